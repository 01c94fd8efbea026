// SPDX-License-Identifier: GPL-2.0

//! Root devices and typed sysfs attributes of devices (`include/linux/device.h`,
//! `include/linux/sysfs.h`).
//!
//! An attribute is a driver `static` built by a `const fn` ([`DeviceAttribute::new`]) from a type
//! implementing [`AttributeOps`]; [`attribute_groups!`] puts such statics into the
//! NULL-terminated tables `struct device.groups` wants. The statics live in writable memory
//! (`Opaque`), as C's do: with lockdep, sysfs uses the address of each attribute's `skey` as a
//! lock class key.

use crate::abstractions::block::gen_disk::ParentDevice;
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
    types::{
        Opaque,
        ScopeGuard, //
    },
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

// SAFETY: Attributes of target `RootTarget` are installed only by `RootDevice::add_groups`, on a
// registered root device. Its only unregistration (`RootDevice::drop`) waits for running stores
// before it puts the device, so the device is valid until this store returns; `device_del` may
// have begun meanwhile, and a child added then fails (`ENOENT`) or loses its directory with the
// parent's (it holds a reference on the parent, so nothing is freed under it).
unsafe impl ParentDevice for RunningStore<'_, RootTarget> {
    fn as_raw_device(&self) -> *mut bindings::device {
        self.dev
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
    /// with write bits a `store`, and only the bits of `0664` are allowed, as sysfs wants
    /// (`VERIFY_OCTAL_PERMISSIONS`; checked at build time).
    pub(crate) const fn new(name: &'static CStr, mode: u16) -> Self {
        assert!(mode & !0o664 == 0, "only the permission bits of 0664");
        assert!((mode & 0o444 != 0) == A::HAS_SHOW, "read bits iff show");
        assert!((mode & 0o222 != 0) == A::HAS_STORE, "write bits iff store");
        // SAFETY: All zeroes is a valid `device_attribute`: null pointers, `None`s and a lock
        // class key, which sysfs uses by address as it is (`&attr->skey`): valid because the
        // attribute is a `static`.
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
        // SAFETY: As in `show`; the borrow lasts for the callback only (`RunningStore`), or until
        // `remove_self`, which consumes the store.
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

/// A driver object `T` with an embedded `struct device`, reference counted by that device
/// (`ARef<Device<T>>`), and freed an RCU grace period after the last reference goes. Until then it
/// holds a reference on the module it was made by: its release callback is that module's code.
///
/// # Invariants
///
/// * `dev` is initialised with [`Device::release`] as its release callback, and the object was
///   allocated by [`UnregisteredDevice::new`] as a leaked pinned `KBox`.
/// * The object holds a reference on `module`, given back when it is freed ([`Device::free`]).
#[pin_data]
pub(crate) struct Device<T: 'static> {
    #[pin]
    dev: Opaque<bindings::device>,
    /// Queues [`Device::free`] after the release callback (see there).
    #[pin]
    rcu: Opaque<bindings::callback_head>,
    module: &'static ThisModule,
    data: T,
}

// SAFETY: A `Device` is shared through `ARef`s and the driver core's pointers; its `struct device`
// has its own locking, and `T` is `Send + Sync`.
unsafe impl<T: Send + Sync> Send for Device<T> {}
// SAFETY: See `Send`.
unsafe impl<T: Send + Sync> Sync for Device<T> {}

// SAFETY: The reference count is the embedded `struct device`'s; the object is freed by the
// release callback only when it drops to zero.
unsafe impl<T> AlwaysRefCounted for Device<T> {
    fn inc_ref(&self) {
        // SAFETY: By the type invariant `dev` is initialised.
        unsafe { bindings::get_device(self.dev.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The caller owns a reference, so the object is alive.
        unsafe { bindings::put_device(obj.as_ref().dev.get()) };
    }
}

// SAFETY: Attribute groups of target `Device<T>` exist only as `AttributeGroups<Device<T>>`
// (`AttributeGroups::new` is `unsafe`, and `attribute_groups!` checks every attribute's target),
// and those are installed only by `UnregisteredDevice::<T>::new`, on the `dev` field of a
// `Device<T>`, which lives as long as that `struct device` (its release frees it);
// `RootDevice::add_groups` takes only `RootTarget` groups.
unsafe impl<T: Send + Sync> AttributeTarget for Device<T> {
    unsafe fn from_raw_device<'a>(dev: *mut bindings::device) -> &'a Self {
        // SAFETY: `dev` is the `dev` field of a live `Device<T>` (see above), for `'a` by the
        // caller's guarantee.
        unsafe { &*kernel::container_of!(Opaque::cast_from(dev), Self, dev) }
    }
}

impl<T> core::ops::Deref for Device<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T: Send + Sync> Device<T> {
    /// `struct device.release`: frees the device once its last reference is gone, after an RCU
    /// grace period.
    ///
    /// The last reference may be dropped in module code nothing else pins, such as a store that
    /// removed its own attribute: putting the module reference here would let a concurrent
    /// `rmmod` free the text this function returns into. [`Device::free`] puts it instead, a
    /// grace period later, and module exit waits for it to have returned ([`FreeBarrier`]). That
    /// narrows the window to a caller preempted within the few instructions after this returns
    /// for a whole grace period plus an `rmmod`; closing it would need the last put in code
    /// outside the module.
    ///
    /// # Safety
    ///
    /// Called by the driver core for a device created by [`UnregisteredDevice::new`].
    unsafe extern "C" fn release(dev: *mut bindings::device) {
        let device = kernel::container_of!(Opaque::cast_from(dev), Self, dev).cast_mut();
        // SAFETY: `dev` is the `dev` field of a live `Device<T>` (type invariant), so its `rcu`
        // field is valid and unused; nobody refers to the device any more.
        unsafe { bindings::call_rcu((*device).rcu.get(), Some(Self::free)) };
    }

    /// RCU callback queued by [`Device::release`]: frees the device and gives back its module
    /// reference.
    ///
    /// # Safety
    ///
    /// Called by RCU for the `rcu` field of a released `Device<T>`.
    unsafe extern "C" fn free(head: *mut bindings::callback_head) {
        let device = kernel::container_of!(Opaque::cast_from(head), Self, rcu).cast_mut();
        // SAFETY: `head` is the `rcu` field of a `Device<T>` allocated as a `KBox` by `new`
        // (type invariant), released and referenced by nobody.
        let device = unsafe { KBox::from_raw(device) };
        let module = device.module;
        drop(device);
        // SAFETY: Gives back the module reference the device held (type invariant).
        unsafe { bindings::module_put(module.as_ptr()) };
    }
}

/// A [`Device`] not yet known to the driver core: registered once, by
/// [`UnregisteredDevice::register`], or just dropped (put).
///
/// # Invariants
///
/// `device` is initialised and has not been added.
pub(crate) struct UnregisteredDevice<T: 'static> {
    device: ARef<Device<T>>,
}

impl<T: Send + Sync> UnregisteredDevice<T> {
    /// A device named `name` holding `data`, whose sysfs directory will have the attributes of
    /// `groups`; registered with [`UnregisteredDevice::register`]. It pins `module` until it is
    /// freed. `EINVAL` for an empty name.
    ///
    /// What the type does not check, and its user must ensure:
    /// * `T`'s drop runs in softirq context (an RCU callback), so it must not sleep: empty what
    ///   sleeps to drop before the last reference goes.
    /// * The module drops a [`FreeBarrier`] at exit, and its init does not fail once a device
    ///   exists (a failed init frees the module whatever references it holds).
    pub(crate) fn new(
        data: T,
        name: &CStr,
        groups: &'static AttributeGroups<Device<T>>,
        module: &'static ThisModule,
    ) -> Result<Self> {
        if name.is_empty() {
            return Err(EINVAL);
        }
        // SAFETY: `module` is live (it is running this code).
        if !unsafe { bindings::try_module_get(module.as_ptr()) } {
            return Err(ENODEV);
        }
        let module_ref = ScopeGuard::new(|| {
            // SAFETY: Gives back the reference taken above.
            unsafe { bindings::module_put(module.as_ptr()) }
        });
        let device = KBox::pin_init(
            pin_init!(Device {
                dev <- Opaque::ffi_init(|slot: *mut bindings::device| {
                    // SAFETY: `slot` is valid for writes; a zeroed device is what
                    // `device_initialize` expects.
                    unsafe { slot.write_bytes(0, 1) };
                }),
                rcu: Opaque::uninit(),
                module,
                data,
            }),
            GFP_KERNEL,
        )?;
        module_ref.dismiss();
        // SAFETY: The device stays pinned; it is freed through `release` only.
        let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(device) });
        // SAFETY: `raw` is valid and `dev` zeroed; from here the device's reference count owns
        // the allocation and the module reference (type invariants).
        let dev = unsafe {
            let dev = (*raw).dev.get();
            (*dev).release = Some(Device::<T>::release);
            (*dev).groups = groups.as_raw();
            bindings::device_initialize(dev);
            dev
        };
        // SAFETY: `device_initialize` set the count to one, which the `ARef` now owns.
        let device = unsafe { ARef::from_raw(NonNull::new_unchecked(raw)) };
        // SAFETY: `dev` is initialised; the format is a static "%s" and `name` NUL-terminated
        // (the driver core copies it).
        to_result(unsafe { bindings::dev_set_name(dev, c"%s".as_char_ptr(), name.as_char_ptr()) })?;
        // INVARIANT: Initialised, not added.
        Ok(Self { device })
    }

    /// The device, e.g. to keep a reference of one's own.
    pub(crate) fn device(&self) -> &ARef<Device<T>> {
        &self.device
    }

    /// Adds the device to the driver core as a child of `parent` (`device_add`).
    pub(crate) fn register(self, parent: &impl ParentDevice) -> Result<Registration<T>> {
        let dev = self.device.dev.get();
        // SAFETY: Not added (type invariant), so nobody else reads `parent`; the parent is a
        // registered device (`ParentDevice`), on which `device_add` takes a reference.
        to_result(unsafe {
            (*dev).parent = parent.as_raw_device();
            bindings::device_add(dev)
        })?;
        // INVARIANT: Added above.
        Ok(Registration {
            device: self.device,
        })
    }
}

/// A [`Device`] known to the driver core (`device_add`); deleted on drop (`device_del`), which
/// waits for its running attribute callbacks.
///
/// # Invariants
///
/// `device` has been added and not yet deleted.
pub(crate) struct Registration<T: 'static> {
    device: ARef<Device<T>>,
}

// SAFETY: The device is added until the registration is dropped (type invariant), which cannot
// happen while it is borrowed.
unsafe impl<T> ParentDevice for Registration<T> {
    fn as_raw_device(&self) -> *mut bindings::device {
        self.device.dev.get()
    }
}

impl<T> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the device is added; this is its only deletion.
        unsafe { bindings::device_del(self.device.dev.get()) };
    }
}

// SAFETY: A registered root device stays registered while it is borrowed.
unsafe impl ParentDevice for RootDevice {
    fn as_raw_device(&self) -> *mut bindings::device {
        self.dev.as_ptr()
    }
}

/// Waits, when dropped at module exit, until every [`Device::free`] queued so far has returned:
/// the last one's `module_put` lets exit start while it still runs module text.
pub(crate) struct FreeBarrier;

impl Drop for FreeBarrier {
    fn drop(&mut self) {
        // SAFETY: Waits for the RCU callbacks queued so far; takes no lock of ours.
        unsafe { bindings::rcu_barrier() };
    }
}

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
