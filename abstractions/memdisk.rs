// SPDX-License-Identifier: GPL-2.0

//! A disk whose data is a range of memory outside RAM, with DAX when the range allows it.
//!
//! The pieces come from [`super::block::gen_disk`], [`super::dax`] and [`super::memory`]; what
//! this type adds:
//! * It owns the memory ([`Backing`]) and hands each bio a [`MappedRange`] over it, so the
//!   driver's I/O path has no `unsafe`.
//! * Its teardown order, which no caller has to get right: DAX access ends (host entry removed,
//!   `dax_device` killed), then the disk is deleted (`del_gendisk` waits for bios in flight),
//!   then the page map goes, and with it the range's kernel mapping (s390
//!   `arch_remove_memory()`), and only then the memory itself.
//! * Changes to the memory ([`MemoryDisk::change_backing`]) only while nobody has the disk open,
//!   so no bio and no DAX user (a mounted file system holds it open) sees them half done.

use super::{
    block::{
        bio::Bio,
        gen_disk::{
            self,
            GenDisk,
            ParentDevice,
            Vtable, //
        },
    },
    dax::Dax,
    memory::MappedRange,
};
use core::{
    marker::PhantomData,
    mem::ManuallyDrop, //
};
use kernel::{
    error::VTABLE_DEFAULT_ERROR,
    prelude::*,
    sync::{
        aref::{
            ARef,
            AlwaysRefCounted, //
        },
        atomic::{
            Acquire,
            Atomic,
            Relaxed,
            Release, //
        },
    },
};

/// The memory a [`MemoryDisk`] serves, owned by it and dropped after the disk.
///
/// # Safety
///
/// While the object lives and [`Backing::is_intact`] is true, `range()` (inclusive) is memory
/// outside RAM, mapped in the kernel's identity mapping and valid for reads, and for writes while
/// [`Backing::is_writable`]. The answers of `range`, `is_writable` and `is_intact` change only
/// within methods that take `&mut self` (or by replacing the object).
///
/// What a `MemoryDisk` does not promise in return: with DAX, dropping it removes the kernel
/// mapping of the range (s390 `arch_remove_memory()`, not reference counted) even if another
/// kernel user still has the memory, as the C dcssblk does on `remove`.
pub(crate) unsafe trait Backing: Send + Sync {
    /// First and last byte.
    fn range(&self) -> (u64, u64);
    /// Whether the memory may be written.
    fn is_writable(&self) -> bool;
    /// Whether all of the range is still there.
    fn is_intact(&self) -> bool;
}

/// The callbacks of a memory disk: as [`gen_disk::Operations`], with the memory handed to
/// `submit_bio`.
#[vtable]
pub(crate) trait Operations: Sized + 'static {
    /// What the disk serves besides the memory; the disk holds a reference on it until the block
    /// layer frees the disk. As for [`gen_disk::Operations::Data`], it must keep the module
    /// loaded until it is freed: the disk may be freed after the [`MemoryDisk`] is dropped.
    type Data: AlwaysRefCounted + Send + Sync;

    /// Serves a bio from `memory`, the whole range, offset 0 at sector 0.
    fn submit_bio(data: &Self::Data, memory: &MappedRange<'_>, bio: Bio);

    /// An open of the disk; an error refuses it.
    fn open(_data: &Self::Data) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The close that pairs with a successful [`Operations::open`].
    fn release(_data: &Self::Data) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// [`Served::state`]: the memory is changing ([`MemoryDisk::change_backing`]).
const CHANGING: u32 = 1 << 30;
/// [`Served::state`]: the memory is gone for good (not [`Backing::is_intact`], or another range).
const GONE: u32 = 1 << 31;
/// [`Served::state`]: the number of openers.
const OPENERS: u32 = CHANGING - 1;

/// What an added memory disk's callbacks see.
///
/// # Invariants
///
/// Unless `CHANGING` or `GONE` is set, `start..start + len` is the range of the [`Backing`] of
/// the [`MemoryDisk`] that owns the disk, which is intact, `writable` what its `is_writable`
/// says, and the disk is read-only unless `writable`. `state` counts the opens that have not been
/// released; `CHANGING` is set only while that count is zero (and while the disk is being added),
/// and opens are refused while it or `GONE` is set, so that the backing changes only without
/// openers, and one that broke is never opened again.
///
/// Bios come only from openers: a file system or a block device file holds the disk open while
/// it submits, and the last close writes back and drops the disk's page cache
/// (`blkdev_put_whole()`: `blkdev_flush_mapping()`) before it calls `release`. So no bio is in
/// flight while `CHANGING` is set, and none starts.
pub(crate) struct Served<T: Operations> {
    data: ARef<T::Data>,
    start: u64,
    len: u64,
    writable: Atomic<bool>,
    state: Atomic<u32>,
}

/// The block callbacks of a memory disk with callbacks `T`; a driver's table is
/// `static FOPS: MemoryDiskVtable<MyOps> = Vtable::new(&THIS_MODULE);`.
pub(crate) struct Adapter<T>(PhantomData<T>);

/// The operations table of memory disks with callbacks `T`.
pub(crate) type MemoryDiskVtable<T> = Vtable<Adapter<T>>;

#[vtable]
impl<T: Operations> gen_disk::Operations for Adapter<T> {
    type Data = KBox<Served<T>>;

    fn submit_bio(served: &Served<T>, bio: Bio) {
        // Bios come only from openers (type invariant), so neither flag is set now; checking costs
        // one load and turns a broken rule into an I/O error rather than a fault.
        if served.state.load(Acquire) & (CHANGING | GONE) != 0 {
            bio.end(Err(EIO));
            return;
        }
        // SAFETY: Neither flag is set and this bio comes from an opener, so the range is that of
        // the backing, which is intact and does not change before the bio ends (type
        // invariant): it is mapped, and writable if `writable` says so. The backing lives until
        // `MemoryDisk` drops it, after `del_gendisk` has waited for this call and left the
        // queue frozen.
        let memory =
            unsafe { MappedRange::new(served.start, served.len, served.writable.load(Relaxed)) };
        T::submit_bio(&served.data, &memory, bio);
    }

    fn open(served: &Served<T>) -> Result {
        if T::HAS_OPEN {
            T::open(&served.data)?;
        }
        let mut state = served.state.load(Relaxed);
        loop {
            if state & (CHANGING | GONE) != 0 || state & OPENERS == OPENERS {
                if T::HAS_RELEASE {
                    T::release(&served.data);
                }
                return Err(if state & GONE != 0 { ENXIO } else { EBUSY });
            }
            // Acquire: pairs with the release that ends a change, so bios see its result.
            match served.state.cmpxchg(state, state + 1, Acquire) {
                Ok(_) => return Ok(()),
                Err(now) => state = now,
            }
        }
    }

    fn release(served: &Served<T>) {
        served.state.fetch_sub(1, Release);
        if T::HAS_RELEASE {
            T::release(&served.data);
        }
    }
}

/// A gendisk serving the memory of a [`Backing`], with DAX if asked for.
///
/// # Invariants
///
/// `disk` is dropped exactly once, by `drop`, between the end of DAX access and the release of
/// the page map, and `backing` after both; `dax` is set up for `disk` and `backing`'s range.
pub(crate) struct MemoryDisk<T: Operations, B: Backing> {
    dax: Option<Dax>,
    disk: ManuallyDrop<GenDisk<Adapter<T>>>,
    backing: ManuallyDrop<B>,
}

impl<T: Operations, B: Backing> MemoryDisk<T, B> {
    /// Takes over `disk` (not yet added) to serve `backing`; with `dax`, sets up DAX for it (the
    /// range must then be aligned: [`super::dax::is_dax_capable`]). On error both are dropped,
    /// the disk first.
    pub(crate) fn new(disk: GenDisk<Adapter<T>>, backing: B, dax: bool) -> Result<Self> {
        let (start, end) = backing.range();
        let dax = if dax {
            // SAFETY: The disk stays valid until `drop` shuts DAX down before deleting it (or
            // until `Dax` is dropped here on error, while `disk` still lives). DAX users are
            // mounted file systems, which hold the disk open, and while it is open the backing
            // is intact and unchanged, so the range is mapped, and a read-write mount exists only
            // on a writable one (the disk is read-only otherwise; `Served`). The backing is
            // dropped after the page map (`drop`, or below).
            match unsafe { Dax::new(start, end, disk.as_raw()) } {
                Ok(dax) => Some(dax),
                Err(err) => {
                    drop(disk);
                    drop(backing);
                    return Err(err);
                }
            }
        } else {
            None
        };
        // INVARIANT: DAX was set up for `disk` and the backing's range above.
        Ok(Self {
            dax,
            disk: ManuallyDrop::new(disk),
            backing: ManuallyDrop::new(backing),
        })
    }

    /// Makes the disk visible under `parent` (see [`GenDisk::add`]), serving `data` and the
    /// memory, read-only unless the backing is writable.
    pub(crate) fn add(&mut self, parent: &impl ParentDevice, data: ARef<T::Data>) -> Result {
        let (start, end) = self.backing.range();
        let writable = self.backing.is_writable();
        // INVARIANT: The backing's range and writability; no openers, and none until the disk's
        // read-only flag is right (`CHANGING`).
        let served = KBox::new(
            Served {
                data,
                start,
                len: end - start + 1,
                writable: Atomic::new(writable),
                state: Atomic::new(CHANGING),
            },
            GFP_KERNEL,
        )?;
        self.disk.add(parent, served)?;
        // After `add`, as `set_disk_ro` tells udev (`DISK_RO=1`) of an added disk only.
        self.disk.set_read_only(!writable);
        if let Some(served) = self.disk.data() {
            served.state.store(0, Release);
        }
        Ok(())
    }

    /// The memory.
    pub(crate) fn backing(&self) -> &B {
        &self.backing
    }

    /// Runs `f` on the memory while nobody has the disk open; `EBUSY` if somebody has, and opens
    /// meanwhile fail with `EBUSY`. Afterwards the disk is read-only unless the backing is
    /// writable, and if the backing is no longer intact, it cannot be opened again (`ENXIO`) and
    /// bios fail.
    pub(crate) fn change_backing<R>(&mut self, f: impl FnOnce(&mut B) -> R) -> Result<R> {
        let Some(served) = self.disk.data() else {
            // Not added: nobody can reach the memory yet.
            return Ok(f(&mut self.backing));
        };
        served
            .state
            .cmpxchg(0, CHANGING, Acquire)
            .map_err(|_| EBUSY)?;
        let range = self.backing.range();
        let result = f(&mut self.backing);
        let writable = self.backing.is_writable();
        // INVARIANT: What the backing says after the change, stored before opens can start; a
        // backing that broke, or now covers another range, is `GONE`.
        served.writable.store(writable, Relaxed);
        self.disk.set_read_only(!writable);
        let intact = self.backing.is_intact() && self.backing.range() == range;
        served.state.store(if intact { 0 } else { GONE }, Release);
        Ok(result)
    }
}

impl<T: Operations, B: Backing> Drop for MemoryDisk<T, B> {
    fn drop(&mut self) {
        if let Some(dax) = &mut self.dax {
            dax.shut_down();
        }
        // SAFETY: Dropped once, here (type invariant); `self.disk` is not used after.
        unsafe { ManuallyDrop::drop(&mut self.disk) };
        self.dax = None;
        // SAFETY: Dropped once, here, after the disk and the page map (type invariant).
        unsafe { ManuallyDrop::drop(&mut self.backing) };
    }
}
