// SPDX-License-Identifier: GPL-2.0

//! Root devices and typed sysfs attributes of devices (`include/linux/device.h`,
//! `include/linux/sysfs.h`).
//!
//! An attribute is a driver `static` built by a `const fn` ([`DeviceAttribute::new`]) from a type
//! implementing [`AttributeOps`]; [`attribute_groups!`] puts such statics into the
//! NULL-terminated tables `struct device.groups` wants. The statics live in writable memory
//! (`Opaque`), as C's do: with lockdep, sysfs uses the address of each attribute's `skey` as a
//! lock class key.

use core::{
    marker::PhantomData,
    ptr::{
        self,
        NonNull, //
    },
    slice,
};
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::{
        c_char,
        CStr, //
    },
    page::PAGE_SIZE,
    prelude::*,
    str::CStrExt,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};

/// `/sys/devices/NAME`: a device without bus or class, the parent of a driver's devices;
/// unregistered on drop, with its attribute files.
///
/// # Invariants
///
/// `dev` is a registered root device.
pub(crate) struct RootDevice {
    dev: NonNull<bindings::device>,
}

// SAFETY: A root device may be used and unregistered from any thread.
unsafe impl Send for RootDevice {}
// SAFETY: `RootDevice` offers no interior mutability; the device has its own locking.
unsafe impl Sync for RootDevice {}

impl RootDevice {
    /// Registers `/sys/devices/NAME` for `module`; `EEXIST` if that name is taken.
    pub(crate) fn register(name: &'static CStr, module: &'static ThisModule) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated (the driver core copies it) and `module` is live.
        let dev = from_err_ptr(unsafe {
            bindings::__root_device_register(name.as_char_ptr(), module.as_ptr())
        })?;
        // INVARIANT: Registration succeeded (error pointers became `Err` above).
        Ok(Self {
            dev: NonNull::new(dev).ok_or(ENOMEM)?,
        })
    }

    /// The `struct device`, as parent of other devices.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.dev.as_ptr()
    }

    /// Creates the attribute files of `groups`.
    pub(crate) fn add_groups(&self, groups: &'static AttributeGroups<RootTarget>) -> Result {
        // SAFETY: The device is registered (type invariant); the table is static and
        // NULL-terminated.
        to_result(unsafe { bindings::device_add_groups(self.dev.as_ptr(), groups.as_raw()) })
    }
}

impl Drop for RootDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the root device is registered; this is its only
        // unregistration. Its attribute files go with its directory.
        unsafe { bindings::root_device_unregister(self.dev.as_ptr()) };
    }
}

/// The target of a root device's attributes: they act on the driver as a whole, not on an object
/// of its own.
pub(crate) struct RootTarget;

// SAFETY: `RootTarget` holds nothing; any device may map to it.
unsafe impl AttributeTarget for RootTarget {
    unsafe fn from_raw_device<'a>(_dev: *mut bindings::device) -> &'a Self {
        &RootTarget
    }
}

/// The object a device's attribute callbacks act on: the one that embeds the `struct device`.
///
/// # Safety
///
/// For every device that carries attributes whose [`AttributeOps::Target`] is `Self`,
/// [`AttributeTarget::from_raw_device`] returns the object that device belongs to, valid while
/// the device is.
pub(crate) unsafe trait AttributeTarget: Sync + Sized {
    /// The object `dev` belongs to.
    ///
    /// # Safety
    ///
    /// `dev` carries attributes of `Self` and is live for `'a`.
    unsafe fn from_raw_device<'a>(dev: *mut bindings::device) -> &'a Self;
}

/// The callbacks of one device attribute.
#[vtable]
pub(crate) trait AttributeOps: 'static {
    /// What the callbacks act on.
    type Target: AttributeTarget;

    /// Fills `page` (one page) and returns how many bytes it filled.
    fn show(_target: &Self::Target, _page: &mut [u8]) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Takes a write: all of `input` on success. The target is `store.target()`.
    fn store(_store: RunningStore<'_, Self::Target>, _input: &[u8]) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A store callback in progress on one attribute of one device, valid only during that callback
/// (`'a`): it lends the callback its target, and lets it remove the attribute from within
/// ([`RunningStore::remove_self`]).
///
/// # Invariants
///
/// The store callback of `attr` is running on `dev`, whose target is `target`, for `'a`.
pub(crate) struct RunningStore<'a, T: AttributeTarget> {
    target: &'a T,
    dev: *mut bindings::device,
    attr: *const bindings::device_attribute,
}

impl<T: AttributeTarget> RunningStore<'_, T> {
    /// The object the store acts on, for as long as the store is not given up.
    pub(crate) fn target(&self) -> &T {
        self.target
    }
}

impl<T: AttributeTarget + AlwaysRefCounted> RunningStore<'_, T> {
    /// A counted reference on the target, which outlives [`RunningStore::remove_self`].
    pub(crate) fn get(&self) -> ARef<T> {
        ARef::from(self.target)
    }

    /// Removes this attribute from the device the store runs on, and gives up the store's active
    /// reference, so that deleting the device does not wait for this store
    /// (`device_remove_file_self`). Whether this call removed the file or a concurrent
    /// self-removal did, it is gone when this returns.
    ///
    /// From then on only counted references keep the target alive: this consumes the store, so
    /// no borrow of [`RunningStore::target`] survives it; take one with [`RunningStore::get`]
    /// first.
    pub(crate) fn remove_self(self) {
        // SAFETY: The store of `attr` is running on `dev` (type invariant), so the device is live
        // until the store's active reference is given up inside this call, after which
        // `device_remove_file_self` no longer touches it.
        let _ = unsafe { bindings::device_remove_file_self(self.dev, self.attr) };
    }
}

/// A device attribute whose callbacks are `A`'s, for a driver `static`.
#[repr(transparent)]
pub(crate) struct DeviceAttribute<A: AttributeOps>(
    Opaque<bindings::device_attribute>,
    PhantomData<A>,
);

// SAFETY: sysfs and lockdep only use the attribute's address and read its fields; the driver
// never writes it after it is built.
unsafe impl<A: AttributeOps> Sync for DeviceAttribute<A> {}

impl<A: AttributeOps> DeviceAttribute<A> {
    /// The attribute `name` with permissions `mode`. A mode with read bits needs a `show`, one
    /// with write bits a `store`, and only permission bits are allowed (checked at build time).
    pub(crate) const fn new(name: &'static CStr, mode: u16) -> Self {
        assert!(mode & !0o777 == 0, "only permission bits");
        assert!((mode & 0o444 != 0) == A::HAS_SHOW, "read bits iff show");
        assert!((mode & 0o222 != 0) == A::HAS_STORE, "write bits iff store");
        // SAFETY: All zeroes is a valid `device_attribute`: null pointers, `None`s and a lock
        // class key sysfs initialises itself.
        let mut attr: bindings::device_attribute =
            unsafe { core::mem::MaybeUninit::zeroed().assume_init() };
        // (`as_char_ptr` is not `const`.)
        attr.attr.name = name.to_bytes_with_nul().as_ptr().cast();
        attr.attr.mode = mode;
        if A::HAS_SHOW {
            attr.__bindgen_anon_1.show = Some(Self::show);
        }
        if A::HAS_STORE {
            attr.__bindgen_anon_2.store = Some(Self::store);
        }
        Self(Opaque::new(attr), PhantomData)
    }

    /// The `struct attribute` for an attribute table.
    pub(crate) const fn as_attribute(&'static self) -> *mut bindings::attribute {
        // `attr` is the first member of `struct device_attribute`.
        self.0.get().cast()
    }

    /// # Safety
    ///
    /// Called by sysfs on a device carrying this attribute, with a page buffer.
    unsafe extern "C" fn show(
        dev: *mut bindings::device,
        _attr: *mut bindings::device_attribute,
        buf: *mut c_char,
    ) -> isize {
        // SAFETY: The device carries this attribute, so its target is `A::Target`, live while
        // sysfs runs the callback.
        let target = unsafe { A::Target::from_raw_device(dev) };
        // SAFETY: sysfs passes a page-sized buffer nobody else uses during the call.
        let page = unsafe { slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) };
        match A::show(target, page) {
            Ok(len) => isize::try_from(len.min(PAGE_SIZE)).unwrap_or(0),
            Err(err) => err.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// Called by sysfs on a device carrying this attribute, with a buffer of `count` bytes.
    unsafe extern "C" fn store(
        dev: *mut bindings::device,
        attr: *mut bindings::device_attribute,
        buf: *const c_char,
        count: usize,
    ) -> isize {
        // SAFETY: As in `show`.
        let target = unsafe { A::Target::from_raw_device(dev) };
        // SAFETY: sysfs passes `count` readable bytes, unchanged during the call.
        let input = unsafe { slice::from_raw_parts(buf.cast::<u8>(), count) };
        // INVARIANT: This is the store of `attr`, running on `dev`, whose target is `target`, for
        // the callback.
        let store = RunningStore { target, dev, attr };
        store_result(A::store(store, input), count)
    }
}

/// What a store callback returns to sysfs: all of `count` on success, the errno otherwise.
fn store_result(result: Result, count: usize) -> isize {
    match result {
        Ok(()) => isize::try_from(count).unwrap_or(isize::MAX),
        Err(err) => err.to_errno() as isize,
    }
}

/// The NULL-terminated list of one attribute group that `struct device.groups` wants, for
/// devices whose attribute target is `T`. Built by [`attribute_groups!`].
///
/// # Invariants
///
/// `groups` is `[group, NULL]` where `group` lists attributes of target `T` only.
#[repr(transparent)]
pub(crate) struct AttributeGroups<T: AttributeTarget> {
    groups: [*const bindings::attribute_group; 2],
    _target: PhantomData<T>,
}

// SAFETY: Never written after it is built; the driver core only reads it.
unsafe impl<T: AttributeTarget> Sync for AttributeGroups<T> {}

impl<T: AttributeTarget> AttributeGroups<T> {
    /// For [`attribute_groups!`] only.
    ///
    /// # Safety
    ///
    /// `group` is a static attribute group listing only attributes whose target is `T`.
    pub(crate) const unsafe fn new(group: *const bindings::attribute_group) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            groups: [group, ptr::null()],
            _target: PhantomData,
        }
    }

    /// For `struct device.groups`, whose type is not `const` although the driver core never
    /// writes through it.
    pub(crate) fn as_raw(&'static self) -> *mut *const bindings::attribute_group {
        self.groups.as_ptr().cast_mut()
    }
}

/// A NULL-terminated table of attribute pointers, for [`attribute_groups!`].
#[repr(transparent)]
pub(crate) struct AttributeTable<const N: usize>(pub(crate) [*mut bindings::attribute; N]);

// SAFETY: Never written after it is built; sysfs only reads it.
unsafe impl<const N: usize> Sync for AttributeTable<N> {}

/// An attribute group for [`attribute_groups!`].
#[repr(transparent)]
pub(crate) struct AttributeGroup(pub(crate) bindings::attribute_group);

// SAFETY: Never written after it is built; sysfs only reads it.
unsafe impl Sync for AttributeGroup {}

impl AttributeGroup {
    /// An unnamed group listing `attrs` (NULL-terminated, static).
    pub(crate) const fn new(attrs: *const *mut bindings::attribute) -> Self {
        // SAFETY: All zeroes is a valid `attribute_group`: null pointers and `None`s.
        let mut group: bindings::attribute_group =
            unsafe { core::mem::MaybeUninit::zeroed().assume_init() };
        group.__bindgen_anon_2.attrs = attrs.cast_mut();
        Self(group)
    }
}

/// `static NAME: AttributeGroups<Target> = [ATTR, ...];`: one unnamed group of the given
/// [`DeviceAttribute`] statics, all of which must have `Target` as their target (checked by
/// the compiler).
macro_rules! attribute_groups {
    ($vis:vis static $name:ident: AttributeGroups<$target:ty> = [$($attr:path),+ $(,)?];) => {
        $vis static $name: $crate::abstractions::device::AttributeGroups<$target> = {
            const fn target_of<A>(
                _attr: &'static $crate::abstractions::device::DeviceAttribute<A>,
            ) where A: $crate::abstractions::device::AttributeOps<Target = $target> {}
            $(target_of(&$attr);)+
            static TABLE: $crate::abstractions::device::AttributeTable<
                { [$(stringify!($attr)),+].len() + 1 },
            > = $crate::abstractions::device::AttributeTable([
                $($attr.as_attribute(),)+
                core::ptr::null_mut(),
            ]);
            static GROUP: $crate::abstractions::device::AttributeGroup =
                $crate::abstractions::device::AttributeGroup::new(TABLE.0.as_ptr());
            // SAFETY: `GROUP` is static and lists only the attributes above, whose target is
            // `$target` (checked by `target_of`).
            unsafe { $crate::abstractions::device::AttributeGroups::new(&GROUP.0) }
        };
    };
}
pub(crate) use attribute_groups;

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_device)]
mod tests {
    use super::*;

    #[test]
    fn store_results() {
        assert_eq!(store_result(Ok(()), 5), 5);
        assert_eq!(store_result(Err(EBUSY), 5), -16);
        assert_eq!(store_result(Ok(()), usize::MAX), isize::MAX);
    }
}
