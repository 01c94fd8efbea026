// SPDX-License-Identifier: GPL-2.0

//! The segment devices, and the one lock over them.
//!
//! One lock for everything, like the C driver's `dcssblk_devices_sem`: sysfs writes, opens, the
//! last close and the device list are rare and may sleep (they load, save and unload segments).
//!
//! The lock order is kept by types: the registry lock is only taken as a [`Locked`], and what
//! must not be torn down under it leaves only through [`Locked::detach`] and [`Locked::install`],
//! which give up the lock before they hand it back or drop it. Deleting a device waits for its
//! running sysfs callbacks, which take the lock; deleting a disk takes its `open_mutex`, under
//! which `open` and `release` take the lock.

use crate::{
    abstractions::{
        block::major::Major,
        device::Registration,
        extmem::{
            ModeSwitchError,
            Segment,
            SegmentName,
            SegmentSet, //
        },
        memdisk::MemoryDisk,
    },
    dcss_device::{
        DcssDevice,
        SegmentDevice, //
    },
    disk_ops::DcssOps,
};
use core::ptr;
use kernel::{
    bindings,
    prelude::*,
    sync::{
        aref::ARef,
        GlobalGuard, //
    },
};

kernel::sync::global_lock! {
    // SAFETY: Initialized by `init`, in the module initializer, before anything can take it.
    unsafe(uninit) static DEVICES: Mutex<Registry> = Registry::new();
}

kernel::sync::global_lock! {
    // SAFETY: Initialized by `init`, in the module initializer, before anything can take it.
    pub(crate) unsafe(uninit) static ADDING: Mutex<()> = ();
}

/// Initialises the locks; the returned object gives back what the registry holds at module exit.
/// Devices can be added once [`RegistryMemory::open`] has handed over the block major.
///
/// # Safety
///
/// Called once, in the module initializer, before any other function of this file.
pub(crate) unsafe fn init() -> RegistryMemory {
    // SAFETY: Called once, before anything takes the locks (the caller's guarantee).
    unsafe {
        DEVICES.init();
        ADDING.init();
    }
    RegistryMemory
}

/// All segment devices with their disks, segments and open counts.
struct Registry {
    devices: KVec<Entry>,
    /// The devices still being torn down: their minors and segment names stay taken until then
    /// (see [`ReleaseHold`]).
    releasing: KVec<ARef<SegmentDevice>>,
    /// The block major: `None` until module init has set everything up ([`RegistryMemory::open`]),
    /// so that an `add` racing a failing init adds nothing.
    major: Option<Major>,
}

impl Registry {
    const fn new() -> Self {
        Self {
            devices: KVec::new(),
            releasing: KVec::new(),
            major: None,
        }
    }
}

/// A device in the registry with everything that hangs off it. Leaves the registry only through
/// [`Locked::detach`], whose [`Detached`] tears it down in order.
pub(crate) struct Entry {
    device: ARef<SegmentDevice>,
    /// The disk, which owns the segments.
    disk: MemoryDisk<DcssOps, SegmentSet>,
    registration: Registration<DcssDevice>,
    /// Number of openers. Counted under the registry lock, like every check of it: `remove`,
    /// `shared` and `save` act on "not in use" while holding the lock, so no open can slip in
    /// between their check and their change (the C driver counts without its lock).
    pub(crate) openers: u32,
    /// Save when the last opener closes.
    pub(crate) save_pending: bool,
}

impl Entry {
    pub(crate) fn device(&self) -> &ARef<SegmentDevice> {
        &self.device
    }

    /// The segments, in the order given at `add`.
    pub(crate) fn segments(&self) -> &[Segment] {
        self.disk.backing().segments()
    }

    /// Runs `switch` on the segments, which the disk allows only while nobody has it open
    /// (`EBUSY`); the disk is read-only or writable afterwards as the segments are.
    pub(crate) fn switch_segments(
        &mut self,
        switch: impl FnOnce(&mut SegmentSet) -> Result<(), ModeSwitchError>,
    ) -> Result<Result<(), ModeSwitchError>> {
        self.disk.change_backing(switch)
    }
}

/// What `add` has built without the lock, for [`Locked::install`]: dropped in field order if it
/// cannot be installed.
pub(crate) struct Staged {
    pub(crate) disk: MemoryDisk<DcssOps, SegmentSet>,
    pub(crate) registration: Registration<DcssDevice>,
    pub(crate) device: ARef<SegmentDevice>,
}

/// The registry, locked.
pub(crate) struct Locked(GlobalGuard<DEVICES>);

impl Locked {
    /// Takes the registry lock.
    pub(crate) fn lock() -> Self {
        Self(DEVICES.lock())
    }

    /// The block major; `ENODEV` while module init has not finished setting up.
    pub(crate) fn major(&self) -> Result<&Major> {
        self.0.major.as_ref().ok_or(ENODEV)
    }

    /// The device named `name` (its first segment's name).
    pub(crate) fn find(&self, name: &SegmentName) -> Option<&Entry> {
        self.0
            .devices
            .iter()
            .find(|entry| entry.device.name == *name)
    }

    /// The entry of `device`; `None` once it was taken off (it is being torn down).
    pub(crate) fn entry_of(&mut self, device: &DcssDevice) -> Option<&mut Entry> {
        self.0
            .devices
            .iter_mut()
            .find(|entry| ptr::eq(&**entry.device, device))
    }

    /// Whether segment `name` is part of any device, or of one still being torn down (its extmem
    /// reference and DAX page map may not be gone yet).
    pub(crate) fn segment_in_use(&self, name: &SegmentName) -> bool {
        let uses = |device: &ARef<SegmentDevice>| device.segment_names().contains(name);
        self.0.devices.iter().any(|entry| uses(&entry.device)) || self.0.releasing.iter().any(uses)
    }

    /// The lowest minor no device and no device being torn down has, as
    /// `dcssblk_assign_free_minor` picks it: until `del_gendisk()` has returned,
    /// `dcssblk<minor>` still exists in sysfs.
    pub(crate) fn free_minor(&self) -> Result<u32> {
        lowest_free_minor(|minor| self.minor_taken(minor))
    }

    fn minor_taken(&self, minor: u32) -> bool {
        self.0
            .devices
            .iter()
            .any(|entry| entry.device.minor == minor)
            || self.0.releasing.iter().any(|device| device.minor == minor)
    }

    /// Adds what `add` built to the registry and makes its disk visible, or, if that fails,
    /// unlocks and then drops it.
    pub(crate) fn install(mut self, staged: Staged) -> Result {
        let mut staged = staged;
        let minor = staged.device.minor;
        let added = if self.minor_taken(minor) {
            Err(EBUSY)
        } else {
            // Reserved first: once the disk is visible, nothing may fail.
            self.0
                .devices
                .reserve(1, GFP_KERNEL)
                .map_err(Error::from)
                .and_then(|()| staged.disk.add(&staged.registration, staged.device.clone()))
        };
        if let Err(err) = added {
            drop(self);
            drop(staged);
            return Err(err);
        }
        let Staged {
            disk,
            registration,
            device,
        } = staged;
        let entry = Entry {
            device,
            disk,
            registration,
            openers: 0,
            save_pending: false,
        };
        if let Err(err) = self.0.devices.push_within_capacity(entry) {
            // Cannot happen after the reservation; torn down as a removal would be.
            let entry = err.0;
            drop(self);
            drop(Detached::from(entry, None));
            return Err(ENOMEM);
        }
        Ok(())
    }

    /// Makes sure [`Locked::detach`] of `device` will not need to allocate, and returns its
    /// entry too: a device whose segments extmem has dropped must come off the registry whatever
    /// memory is left. `ENODEV` if it is not in the registry (a concurrent removal took it).
    pub(crate) fn reserve_detach(
        &mut self,
        device: &DcssDevice,
    ) -> Result<(DetachReservation, &mut Entry)> {
        self.0.releasing.reserve(1, GFP_KERNEL)?;
        let entry = self.entry_of(device).ok_or(ENODEV)?;
        Ok((DetachReservation(()), entry))
    }

    /// Takes `device` off the registry, unlocks, and returns it for teardown: its minor and
    /// segment names stay taken until that is done. `ENODEV` if it is not in the registry.
    pub(crate) fn detach(
        mut self,
        device: &DcssDevice,
        _reservation: DetachReservation,
    ) -> Result<Detached> {
        let index = self
            .0
            .devices
            .iter()
            .position(|entry| ptr::eq(&**entry.device, device))
            .ok_or(ENODEV)?;
        let entry = self.0.devices.remove(index).map_err(|_| ENODEV)?;
        let hold = match self.0.releasing.push_within_capacity(entry.device.clone()) {
            Ok(()) => Some(ReleaseHold(entry.device.minor)),
            // Only if the reservation was used up by another detach under the same lock; the
            // minor and names are then free at once.
            Err(_) => None,
        };
        drop(self);
        Ok(Detached::from(entry, hold))
    }
}

/// Room for one [`Locked::detach`]: a slot in the registry's list of devices being torn down.
pub(crate) struct DetachReservation(());

/// A device taken off the registry, torn down when dropped: the disk (DAX access, disk, DAX page
/// map, segments: [`MemoryDisk`]), driver-core registration, then its minor and segment names
/// are free again, and the registry's reference goes.
///
/// Exists only outside the registry lock ([`Locked::detach`] unlocks before it returns one).
pub(crate) struct Detached {
    // Field order is drop order, after `release_disk` (see `Drop`).
    disk: Option<MemoryDisk<DcssOps, SegmentSet>>,
    _registration: Registration<DcssDevice>,
    _hold: Option<ReleaseHold>,
    _device: ARef<SegmentDevice>,
}

impl Detached {
    fn from(entry: Entry, hold: Option<ReleaseHold>) -> Self {
        Self {
            disk: Some(entry.disk),
            _registration: entry.registration,
            _hold: hold,
            _device: entry.device,
        }
    }

    /// Deletes the disk and unloads the segments, in the order [`MemoryDisk`] keeps; the rest
    /// goes on drop.
    pub(crate) fn release_disk(&mut self) {
        self.disk = None;
    }
}

impl Drop for Detached {
    fn drop(&mut self) {
        self.release_disk();
    }
}

/// The minor and segment names of a device taken off the registry, kept in
/// [`Registry::releasing`] until this is dropped after the disk, the segments and the
/// registration: until `del_gendisk()` has returned, `dcssblk<minor>` still exists in sysfs (an
/// `add` reusing the minor would fail with `EEXIST`), and until the segments are unloaded, an
/// `add` of one of them would share the old extmem reference and DAX page map.
struct ReleaseHold(u32);

impl Drop for ReleaseHold {
    fn drop(&mut self) {
        // A minor is held at most once: no device gets it while it is in `releasing`.
        let removed = {
            let mut registry = DEVICES.lock();
            let index = registry
                .releasing
                .iter()
                .position(|device| device.minor == self.0);
            index.and_then(|index| registry.releasing.remove(index).ok())
        };
        // The reference is given back after unlocking.
        drop(removed);
    }
}

/// Gives back, at module exit, the block major and the buffers the registry's vectors have
/// grown: [`DEVICES`] is a static, which is never dropped.
pub(crate) struct RegistryMemory;

impl RegistryMemory {
    /// Lets devices be added, numbered in `major`.
    pub(crate) fn open(&self, major: Major) {
        DEVICES.lock().major = Some(major);
    }
}

impl Drop for RegistryMemory {
    fn drop(&mut self) {
        // Empty by now (every device pins the module, and `add` went with the root device), and
        // dropped after unlocking all the same.
        let taken = {
            let mut registry = DEVICES.lock();
            (
                core::mem::take(&mut registry.devices),
                core::mem::take(&mut registry.releasing),
                registry.major.take(),
            )
        };
        drop(taken);
    }
}

/// The lowest minor for which `in_use` is false.
fn lowest_free_minor(in_use: impl Fn(u32) -> bool) -> Result<u32> {
    (0..1u32 << bindings::MINORBITS)
        .find(|&minor| !in_use(minor))
        .ok_or(EBUSY)
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_registry)]
mod tests {
    use super::*;

    #[test]
    fn minors() {
        assert_eq!(lowest_free_minor(|_| false).ok(), Some(0));
        assert_eq!(lowest_free_minor(|m| m < 3).ok(), Some(3));
        assert_eq!(lowest_free_minor(|m| m == 0 || m == 2).ok(), Some(1));
        assert_eq!(lowest_free_minor(|_| true).err(), Some(EBUSY));
    }
}
