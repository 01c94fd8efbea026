// SPDX-License-Identifier: GPL-2.0

//! Bio-based gendisks (`include/linux/blkdev.h`, `block/genhd.c`).
//!
//! `kernel::block::mq::GenDisk` always allocates a blk-mq disk with a tag set, keeps its data in
//! the queue and takes it back when the `GenDisk` is dropped, which is too early once the disk
//! has `open`/`release`: an opener can outlive it. Here the disk owns its data
//! ([`ForeignOwnable`], in `private_data`) from [`GenDisk::add`] until the block layer frees the
//! disk (`free_disk`), and the operations table is a driver `static` ([`Vtable`]) with its owner
//! set.

use super::{
    bio::Bio,
    major::Major, //
};
use crate::abstractions::bindings as extra;
use core::{
    fmt,
    marker::PhantomData,
    mem::MaybeUninit,
    ptr::{
        self,
        NonNull, //
    },
};
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    ffi::c_int,
    page::PAGE_SIZE,
    prelude::*,
    static_lock_class,
    str::Formatter,
    types::ForeignOwnable,
};

/// The callbacks of a bio-based disk (`struct block_device_operations`).
///
/// The table's owner pins the module only while the disk is open, but `free_disk` and the drop
/// of `Data` it does are module code that runs whenever the last reference on the gendisk goes,
/// which can be after the [`GenDisk`] is dropped: `Data` must keep the module loaded until it is
/// freed (e.g. hold a module reference it gives back in its release).
#[vtable]
pub(crate) trait Operations: Sized + 'static {
    /// What the disk serves. The disk owns it from [`GenDisk::add`] until the block layer frees
    /// the disk, so every callback can borrow it.
    type Data: ForeignOwnable + Send + Sync;

    /// Serves a bio. A bio not completed with [`Bio::end`] fails when dropped.
    fn submit_bio(data: Borrowed<'_, Self>, bio: Bio);

    /// An open of the disk; an error refuses it.
    fn open(_data: Borrowed<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The close that pairs with a successful [`Operations::open`].
    fn release(_data: Borrowed<'_, Self>) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// How the callbacks of `T` see the disk's data.
pub(crate) type Borrowed<'a, T> = <<T as Operations>::Data as ForeignOwnable>::Borrowed<'a>;

/// The operations table of every disk of `T`, built once as a driver `static`:
/// `static FOPS: Vtable<MyOps> = Vtable::new(&THIS_MODULE);`. The owner pins the module while a
/// disk is open.
#[repr(transparent)]
pub(crate) struct Vtable<T: Operations>(bindings::block_device_operations, PhantomData<T>);

// SAFETY: The table is never written after it is built; the block layer only reads it.
unsafe impl<T: Operations> Sync for Vtable<T> {}

impl<T: Operations> Vtable<T> {
    /// The table for `T`, owned by `owner` (the module that implements `T`).
    pub(crate) const fn new(owner: &'static ThisModule) -> Self {
        // SAFETY: All zeroes is a valid `block_device_operations`: null pointers and `None`s.
        let zeroed =
            unsafe { MaybeUninit::<bindings::block_device_operations>::zeroed().assume_init() };
        Self(
            bindings::block_device_operations {
                owner: owner.as_ptr(),
                submit_bio: Some(Self::submit_bio),
                open: if T::HAS_OPEN { Some(Self::open) } else { None },
                release: if T::HAS_RELEASE {
                    Some(Self::release)
                } else {
                    None
                },
                free_disk: Some(Self::free_disk),
                ..zeroed
            },
            PhantomData,
        )
    }

    /// The data of a disk of ours.
    ///
    /// # Safety
    ///
    /// `disk` is live and was set up with this table, `private_data` holds the `T::Data` that
    /// [`GenDisk::add`] stored before `device_add_disk`, and `free_disk` has not run, for `'a`.
    unsafe fn data<'a>(disk: *mut bindings::gendisk) -> Borrowed<'a, T> {
        // SAFETY: Per the safety requirements `private_data` holds what `add` stored with
        // `into_foreign`, taken back only by `free_disk`, after the last callback.
        unsafe { T::Data::borrow((*disk).private_data) }
    }

    /// # Safety
    ///
    /// Called by the block layer with a live bio for a disk of this table.
    unsafe extern "C" fn submit_bio(bio: *mut bindings::bio) {
        let Some(raw) = NonNull::new(bio) else {
            return;
        };
        // SAFETY: The block layer hands over a live bio, ours to complete.
        let bio = unsafe { Bio::from_raw(raw) };
        // SAFETY: A bio is submitted only to an added disk, live during the call (`del_gendisk`
        // waits for `submit_bio` callers).
        let data = unsafe { Self::data(bio.disk()) };
        T::submit_bio(data, bio);
    }

    /// # Safety
    ///
    /// Called by the block layer for an added disk of this table, live during the call.
    unsafe extern "C" fn open(disk: *mut bindings::gendisk, _mode: bindings::blk_mode_t) -> c_int {
        // SAFETY: Per the safety requirements.
        match T::open(unsafe { Self::data(disk) }) {
            Ok(()) => 0,
            Err(err) => err.to_errno(),
        }
    }

    /// # Safety
    ///
    /// Called by the block layer for an added disk of this table, live during the call.
    unsafe extern "C" fn release(disk: *mut bindings::gendisk) {
        // SAFETY: Per the safety requirements.
        T::release(unsafe { Self::data(disk) });
    }

    /// # Safety
    ///
    /// Called by the block layer once, when an added disk of this table is freed.
    unsafe extern "C" fn free_disk(disk: *mut bindings::gendisk) {
        // SAFETY: The disk is live during the call.
        let private = unsafe { (*disk).private_data };
        if !private.is_null() {
            // SAFETY: `add` stored the data here with `into_foreign`; this is the only place that
            // takes it back, and no callback runs after it.
            drop(unsafe { T::Data::from_foreign(private) });
        }
    }
}

/// The shape of a disk to allocate: logical block size, capacity, and whether its queue offers
/// DAX. One minor, no partitions.
#[derive(Clone, Copy)]
pub(crate) struct GenDiskBuilder {
    logical_block_size: u32,
    capacity_sectors: u64,
    dax: bool,
}

impl GenDiskBuilder {
    /// 512-byte blocks, no capacity, no DAX.
    pub(crate) const fn new() -> Self {
        Self {
            logical_block_size: 512,
            capacity_sectors: 0,
            dax: false,
        }
    }

    /// The logical block size: a power of two from 512 bytes to the page size, `EINVAL`
    /// otherwise (`blk_validate_block_size` allows up to 64 KiB on kernels with transparent huge
    /// pages; a memory disk that copies whole pages has no use for more than one).
    pub(crate) fn logical_block_size(mut self, size: u32) -> Result<Self> {
        if !(512..=PAGE_SIZE as u32).contains(&size) || !size.is_power_of_two() {
            return Err(EINVAL);
        }
        self.logical_block_size = size;
        Ok(self)
    }

    /// The capacity in 512-byte sectors: at most `BLK_DEV_MAX_SECTORS` (`LLONG_MAX >> 9`),
    /// `EINVAL` otherwise.
    pub(crate) fn capacity_sectors(mut self, sectors: u64) -> Result<Self> {
        if sectors > i64::MAX as u64 >> bindings::SECTOR_SHIFT {
            return Err(EINVAL);
        }
        self.capacity_sectors = sectors;
        Ok(self)
    }

    /// Whether the queue says it supports DAX (`BLK_FEAT_DAX`).
    pub(crate) fn dax(mut self, dax: bool) -> Self {
        self.dax = dax;
        self
    }

    /// Allocates the disk (`blk_alloc_disk`), not yet visible.
    pub(crate) fn build<T: Operations>(self, fops: &'static Vtable<T>) -> Result<GenDisk<T>> {
        // SAFETY: All zeroes is valid `queue_limits`: the block layer fills in what is zero.
        let mut limits: bindings::queue_limits = unsafe { MaybeUninit::zeroed().assume_init() };
        limits.logical_block_size = self.logical_block_size;
        if self.dax {
            limits.features = extra::DCSSBLK_RS_BLK_FEAT_DAX;
        }
        // SAFETY: `limits` is valid for the call; the lock class key is static, as
        // `blk_alloc_disk` makes it. Error pointers become `Err`.
        let raw = from_err_ptr(unsafe {
            bindings::__blk_alloc_disk(
                &mut limits,
                bindings::NUMA_NO_NODE,
                static_lock_class!().as_ptr(),
            )
        })?;
        let gd = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `gd` is a fresh gendisk nobody else knows of.
        unsafe {
            (*raw).minors = 1;
            (*raw).flags |= bindings::GENHD_FL_NO_PART as c_int;
            (*raw).fops = &fops.0;
            bindings::set_capacity(raw, self.capacity_sectors);
        }
        // INVARIANT: Allocated above with `fops`, not added.
        Ok(GenDisk {
            gd,
            numbered: false,
            added: false,
            _ops: PhantomData,
        })
    }
}

/// A bio-based gendisk whose callbacks are `T`'s; deleted (once added) and put on drop.
///
/// # Invariants
///
/// `gd` holds the reference from `blk_alloc_disk`, its `fops` is a [`Vtable<T>`], `numbered`
/// says whether it has a device number, and `added` whether `device_add_disk` succeeded, after
/// which `private_data` holds a `T::Data` (`into_foreign`) until `free_disk`.
pub(crate) struct GenDisk<T: Operations> {
    gd: NonNull<bindings::gendisk>,
    numbered: bool,
    added: bool,
    _ops: PhantomData<T>,
}

// SAFETY: A gendisk may be set up, deleted and put from any thread; `T::Data` is `Send + Sync`.
unsafe impl<T: Operations> Send for GenDisk<T> {}

impl<T: Operations> GenDisk<T> {
    /// Sets the device number `major:minor` and the disk's name, before it is added: `EBUSY`
    /// after, `EINVAL` for a name of 32 bytes or more or a number out of range; nothing changes
    /// on error.
    pub(crate) fn set_number(
        &mut self,
        major: &Major,
        minor: u32,
        name: fmt::Arguments<'_>,
    ) -> Result {
        if self.added {
            return Err(EBUSY);
        }
        let major = c_int::try_from(major.number())?;
        let minor = c_int::try_from(minor)?;
        let mut buf = [0u8; bindings::DISK_NAME_LEN as usize];
        // Leaves room for the terminating NUL.
        let mut f = Formatter::new(&mut buf[..bindings::DISK_NAME_LEN as usize - 1]);
        fmt::Write::write_fmt(&mut f, name).map_err(|_| EINVAL)?;
        let len = f.bytes_written();
        let gd = self.gd.as_ptr();
        // SAFETY: `gd` is valid (type invariant) and not added, so nobody else reads these fields.
        unsafe {
            (*gd).major = major;
            (*gd).first_minor = minor;
            ptr::copy_nonoverlapping(buf.as_ptr(), (*gd).disk_name.as_mut_ptr().cast(), len + 1);
        }
        // INVARIANT: Numbered above.
        self.numbered = true;
        Ok(())
    }

    /// Makes the disk visible under `parent`, serving `data`, which it owns until the block layer
    /// frees it. `EBUSY` if already added, `EINVAL` without a device number
    /// ([`GenDisk::set_number`]). The parent must stay registered until the disk is dropped
    /// (deleted): the disk's sysfs directory lives in the parent's.
    pub(crate) fn add(&mut self, parent: &impl ParentDevice, data: T::Data) -> Result {
        if self.added {
            return Err(EBUSY);
        }
        if !self.numbered {
            return Err(EINVAL);
        }
        let foreign = data.into_foreign();
        let gd = self.gd.as_ptr();
        // SAFETY: `gd` is valid and not added; `parent` is a live, registered device
        // (`ParentDevice`). Callbacks may run (and read `private_data`) once `add_disk_final`
        // has made the block device visible; every failure of `device_add_disk` comes before
        // that, so none has seen it when the add fails.
        let result = unsafe {
            (*gd).private_data = foreign;
            to_result(bindings::device_add_disk(
                parent.as_raw_device(),
                gd,
                ptr::null_mut(),
            ))
        };
        if let Err(err) = result {
            // SAFETY: A disk that was not added is freed without `free_disk`, so the data stored
            // above is still ours.
            unsafe {
                (*gd).private_data = ptr::null_mut();
                drop(T::Data::from_foreign(foreign));
            }
            return Err(err);
        }
        // INVARIANT: Added, with the reference in `private_data`.
        self.added = true;
        Ok(())
    }

    /// The data an added disk serves; `None` before [`GenDisk::add`].
    pub(crate) fn data(&self) -> Option<Borrowed<'_, T>> {
        // SAFETY: Added (the flag says so, type invariant) and not freed: this object holds a
        // reference on the gendisk, so `free_disk` has not run.
        self.added
            .then(|| unsafe { Vtable::<T>::data(self.gd.as_ptr()) })
    }

    /// Sets or clears the disk's read-only flag (`set_disk_ro`).
    pub(crate) fn set_read_only(&self, read_only: bool) {
        // SAFETY: `gd` is valid (type invariant).
        unsafe { bindings::set_disk_ro(self.gd.as_ptr(), read_only) };
    }

    /// The C gendisk, for the DAX set-up, which must name it before it is added.
    pub(crate) fn as_raw(&self) -> NonNull<bindings::gendisk> {
        self.gd
    }
}

impl<T: Operations> Drop for GenDisk<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `gd` is valid, added iff `added`, and ours to put.
        // `del_gendisk` waits for every `submit_bio` in progress.
        unsafe {
            if self.added {
                bindings::del_gendisk(self.gd.as_ptr());
            }
            bindings::put_disk(self.gd.as_ptr());
        }
    }
}

/// A registered driver-model device that a disk can be added under (its sysfs parent).
///
/// # Safety
///
/// [`ParentDevice::as_raw_device`] returns a valid, added (`device_add`) `struct device` for as
/// long as the implementor is borrowed.
pub(crate) unsafe trait ParentDevice {
    /// The C `struct device`.
    fn as_raw_device(&self) -> *mut bindings::device;
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_gen_disk)]
mod tests {
    use super::*;

    #[test]
    fn logical_block_size_rule() {
        let size = |n| {
            GenDiskBuilder::new()
                .logical_block_size(n)
                .map(|b| b.logical_block_size)
        };
        assert_eq!(size(512).ok(), Some(512));
        assert_eq!(size(4096).ok(), Some(4096));
        assert_eq!(size(PAGE_SIZE as u32).ok(), Some(PAGE_SIZE as u32));
        assert_eq!(size(256).err(), Some(EINVAL));
        assert_eq!(size(1000).err(), Some(EINVAL));
        assert_eq!(size(2 * PAGE_SIZE as u32).err(), Some(EINVAL));
        assert_eq!(size(0).err(), Some(EINVAL));
    }

    #[test]
    fn capacity_limit() {
        let max = i64::MAX as u64 >> bindings::SECTOR_SHIFT;
        let sectors = |n| {
            GenDiskBuilder::new()
                .capacity_sectors(n)
                .map(|b| b.capacity_sectors)
        };
        assert_eq!(sectors(0).ok(), Some(0));
        assert_eq!(sectors(max).ok(), Some(max));
        assert_eq!(sectors(max + 1).err(), Some(EINVAL));
        assert_eq!(sectors(u64::MAX).err(), Some(EINVAL));
    }
}
