// SPDX-License-Identifier: GPL-2.0

//! Segment devices and what sysfs and `segments=` do with them: `add`, `remove`, `shared`,
//! `save`, `seglist`, with the C driver's checks, errnos and messages.

use crate::{
    abstractions::{
        block::gen_disk::{
            GenDiskBuilder,
            ParentDevice, //
        },
        dax,
        device::{
            Device,
            RunningStore,
            UnregisteredDevice, //
        },
        extmem::{
            self,
            AccessMode,
            Extent,
            ModeSwitchError,
            Segment,
            SegmentName,
            SegmentSet,
            SegmentType, //
        },
        memdisk::{
            Backing,
            MemoryDisk, //
        },
    },
    disk_ops::{
        BLOCK_SIZE,
        FOPS, //
    },
    registry::{
        Detached,
        Locked,
        Staged,
        ADDING, //
    },
    segment, sysfs,
};
use kernel::{
    bindings,
    ffi::CStr,
    prelude::*,
    str::BStr,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// A segment device: `/sys/devices/dcssblk/<NAME>` plus its disk `dcssblk<minor>`.
pub(crate) type SegmentDevice = Device<DcssDevice>;

/// What a segment device is ([`SegmentDevice`] embeds it with its `struct device`); what changes
/// after `add` lives in the registry's entry, apart from the access mode.
pub(crate) struct DcssDevice {
    /// Device name: the first segment's name.
    pub(crate) name: SegmentName,
    /// Device type: the first segment's type.
    kind: SegmentType,
    pub(crate) minor: u32,
    /// The names of its segments, in the order given at `add`: `seglist` reads them without
    /// the registry lock, also before `add` has installed the device and after `remove` took
    /// it off.
    segment_names: KVec<SegmentName>,
    /// Loaded shared (`true`) or exclusive-writable. Written under the registry lock, read
    /// locklessly by the I/O path.
    shared: Atomic<bool>,
}

impl DcssDevice {
    /// Creates the (not yet registered) device of `segments`, named after and of the type of
    /// `first`.
    fn new(first: &Extent, segments: &SegmentSet, minor: u32) -> Result<UnregisteredDevice<Self>> {
        let mut segment_names = KVec::with_capacity(segments.segments().len(), GFP_KERNEL)?;
        for segment in segments.segments() {
            segment_names.push(*segment.name(), GFP_KERNEL)?;
        }
        let name = first.name;
        let data = Self {
            name,
            kind: first.kind,
            minor,
            segment_names,
            shared: Atomic::new(true),
        };
        let name = CStr::from_bytes_with_nul(name.as_bytes_with_nul()).map_err(|_| EINVAL)?;
        UnregisteredDevice::new(data, name, &sysfs::DEVICE_GROUPS, &crate::THIS_MODULE)
    }

    pub(crate) fn is_shared(&self) -> bool {
        self.shared.load(Relaxed)
    }
}

/// Who asks for a device change: a store to one of that device's own sysfs attributes (which
/// must then remove itself with `device_remove_file_self`), or the module (`segments=`).
pub(crate) enum Caller<'a> {
    /// A store to this attribute of the device.
    Attribute(RunningStore<'a, SegmentDevice>),
    /// The module itself.
    Kernel,
}

/// The segment names of an `add` request, validated one at a time: an empty name (also after a
/// trailing `:`) or one longer than eight bytes is `ENAMETOOLONG` when it is reached.
fn requested_names(text: &[u8]) -> impl Iterator<Item = Result<SegmentName>> + '_ {
    text.split(|&c| c == b':').map(SegmentName::new)
}

/// Loads segment `name` unless a device has it already (`EEXIST`).
fn load_segment(name: Result<SegmentName>) -> Result<Segment> {
    let name = name?;
    if Locked::lock().segment_in_use(&name) {
        return Err(EEXIST);
    }
    Segment::load(name)
}

/// Loads the segments `text` names, in that order, and returns the first one's extent too.
fn load_segments(text: &[u8]) -> Result<(Extent, KVec<Segment>)> {
    // Each name is checked and loaded before the next one is parsed, so the errno for a bad
    // list is the C driver's.
    let (head, tail) = match text.iter().position(|&c| c == b':') {
        Some(colon) => (&text[..colon], Some(&text[colon + 1..])),
        None => (text, None),
    };
    let first = load_segment(SegmentName::new(head))?;
    let extent = *first.extent();
    let mut segments = KVec::new();
    segments.push(first, GFP_KERNEL)?;
    for name in tail.into_iter().flat_map(requested_names) {
        segments.push(load_segment(name)?, GFP_KERNEL)?;
    }
    Ok((extent, segments))
}

/// `add`: creates a device from the segments `NAME[:NAME...]`, loaded shared, under `parent`.
///
/// One `add` at a time ([`ADDING`], held until everything a failed one set up is gone), which
/// also keeps the minor and the names it picks free until it installs the device: only `add`
/// takes them. And when a DAX set-up fails, dropping its page map removes the kernel mapping
/// of the segments' memory (s390 `arch_remove_memory()`) although extmem keeps them loaded for
/// any other holder; serialised, no other `add` can hold one of those segments then: it would
/// have loaded it before this one failed and then built a device on unmapped memory. (Another
/// kernel user of the same DCSS, such as monreader, is as exposed as with the C driver's
/// `remove`.)
pub(crate) fn add_device(parent: &impl ParentDevice, input: &[u8]) -> Result {
    if matches!(input.first(), None | Some(b'\0' | b'\n')) {
        return Err(extmem::name_too_long());
    }
    // Declared first, so it is dropped last, after what a failed `add` built.
    let _adding = ADDING.lock();
    let text = sysfs::input_text(input);
    // The device is named after the first segment given and has its type.
    let (first, segments) = load_segments(text)?;
    let mut extents = KVec::with_capacity(segments.len(), GFP_KERNEL)?;
    for segment in &segments {
        extents.push(*segment.extent(), GFP_KERNEL)?;
    }
    segment::check_set(&mut extents).map_err(|err| {
        err.log();
        EINVAL
    })?;
    let segments = SegmentSet::new(segments)?;
    let (start, end) = segments.range();
    let with_dax = dax::is_dax_capable(start, end);
    let size = end - start + 1;
    let input_name = BStr::from_bytes(text);
    let mut gen_disk = GenDiskBuilder::new()
        .logical_block_size(BLOCK_SIZE)?
        .capacity_sectors(size >> bindings::SECTOR_SHIFT)?
        .dax(with_dax)
        .build(&FOPS)?;
    dcss_info!(
        "Loaded {} with total size {} bytes and capacity {} sectors\n",
        input_name,
        size,
        size >> bindings::SECTOR_SHIFT
    );
    let minor = {
        let registry = Locked::lock();
        let minor = registry.free_minor()?;
        gen_disk.set_number(registry.major()?, minor, format_args!("dcssblk{minor}"))?;
        minor
    };
    let new_device = DcssDevice::new(&first, &segments, minor)?;
    let device = new_device.device().clone();
    // Without the registry lock: a failed `device_add` waits for the sysfs readers of what it
    // had made, and `seglist` takes the lock.
    let registration = new_device.register(parent)?;
    let disk = MemoryDisk::new(gen_disk, segments, with_dax)?;
    if with_dax {
        dcss_info!("DAX support enabled for DCSS {}\n", input_name);
    } else {
        dcss_info!(
            "DCSS {} is not aligned to {} bytes, DAX support disabled\n",
            input_name,
            bindings::SUBSECTION_SIZE
        );
    }
    Locked::lock().install(Staged {
        disk,
        registration,
        device,
    })
}

/// `remove`: deletes the idle device `NAME`.
pub(crate) fn remove_device(input: &[u8]) -> Result {
    let name = SegmentName::new(sysfs::input_text(input))?;
    let mut registry = Locked::lock();
    let Some(entry) = registry.find(&name) else {
        drop(registry);
        dcss_warn!(
            "Device {} cannot be removed because it is not a known device\n",
            name
        );
        return Err(ENODEV);
    };
    if entry.openers != 0 {
        drop(registry);
        dcss_warn!("Device {} cannot be removed while it is in use\n", name);
        return Err(EBUSY);
    }
    let device = entry.device().clone();
    let (reservation, _) = registry.reserve_detach(&device)?;
    // Torn down here, after `detach` has unlocked.
    drop(registry.detach(&device, reservation)?);
    Ok(())
}

/// Switches all segments of a device to `mode`. If one is also held by another kernel user,
/// the ones already switched go back to `old`, so the device stays in one consistent mode.
///
/// A segment that cannot go back counts as lost, like one extmem dropped: another user loaded it
/// in its new mode meanwhile, and a device in two modes at once faults on its next write (a
/// write-protected SR segment under a writable disk).
fn switch_segments(
    segments: &mut SegmentSet,
    mode: AccessMode,
    old: AccessMode,
) -> Result<(), ModeSwitchError> {
    for index in 0..segments.segments().len() {
        match segments.switch_mode(index, mode) {
            Ok(()) => {}
            Err(ModeSwitchError::InUse) => {
                for back in (0..index).rev() {
                    match segments.switch_mode(back, old) {
                        Ok(()) => {}
                        Err(ModeSwitchError::InUse) => {
                            if let Some(segment) = segments.segments().get(back) {
                                dcss_err!(
                                    "DCSS {} is in use and cannot be switched back\n",
                                    segment.name()
                                );
                            }
                            return Err(ModeSwitchError::Lost(EAGAIN));
                        }
                        Err(lost) => return Err(lost),
                    }
                }
                return Err(ModeSwitchError::InUse);
            }
            Err(lost) => return Err(lost),
        }
    }
    Ok(())
}

/// `shared` store: reloads every segment shared (`Some(true)`) or exclusive-writable.
pub(crate) fn set_shared(device: &DcssDevice, flag: Option<bool>, caller: Caller<'_>) -> Result {
    let mut registry = Locked::lock();
    if registry
        .entry_of(device)
        .is_some_and(|entry| entry.openers != 0)
    {
        return Err(EBUSY);
    }
    let shared = flag.ok_or(EINVAL)?;
    if !shared && device.kind == SegmentType::Sc {
        dcss_err!(
            "DCSS {} is of type SC and cannot be loaded as exclusive-writable\n",
            device.name
        );
        return Err(EINVAL);
    }
    let mode = AccessMode::shared_if(shared);
    let old = AccessMode::shared_if(device.is_shared());
    // A `remove` (or failed `shared`) that won the lock took the segments (`ENODEV`). Once a
    // segment is lost, the device must come off the registry without allocating.
    let (reservation, entry) = registry.reserve_detach(device)?;
    let switched = entry.switch_segments(|segments| switch_segments(segments, mode, old))?;
    let err = match switched {
        Ok(()) => {
            device.shared.store(shared, Relaxed);
            return Ok(());
        }
        Err(ModeSwitchError::InUse) => return Err(EAGAIN),
        Err(ModeSwitchError::Lost(err)) => err,
    };
    dcss_err!(
        "DCSS device {} is removed after a failed access mode change\n",
        device.name
    );
    let detached = registry.detach(device, reservation)?;
    match caller {
        Caller::Attribute(store) => finish_from(detached, store),
        Caller::Kernel => drop(detached),
    }
    Err(err)
}

/// Tears a device down from within a store to one of its own attributes.
///
/// Deleting a device waits for its running attribute callbacks, so the running store first
/// gives up its active reference (`device_remove_file_self`); the rest is as on drop.
fn finish_from(mut detached: Detached, store: RunningStore<'_, SegmentDevice>) {
    detached.release_disk();
    // Whether this call removed the attribute or a concurrent self-removal of the same
    // attribute did, it is removed and drained of other callbacks when this returns, and this
    // store no longer counts as active: deleting the device below cannot wait for it. (The C
    // driver leaks the device when another removal came first.)
    store.remove_self();
}

/// `save` show.
pub(crate) fn save_pending(device: &DcssDevice) -> bool {
    Locked::lock()
        .entry_of(device)
        .is_some_and(|entry| entry.save_pending)
}

/// Saves every segment that holds data; SN and EN segments cannot be saved.
pub(crate) fn save_segments(segments: &[Segment]) {
    for segment in segments {
        if segment.extent().kind.can_be_saved() {
            segment.save();
        } else {
            dcss_warn!(
                "DCSS {} is of type SN or EN and cannot be saved\n",
                segment.name()
            );
        }
    }
}

/// `save` store: `true` saves now if the device is idle, else when it becomes idle; `false`
/// cancels a pending save.
pub(crate) fn save(device: &DcssDevice, now: bool) -> Result {
    let mut registry = Locked::lock();
    // A `remove` (or failed `shared`) that won the lock took the segments: nothing to save.
    let entry = registry.entry_of(device).ok_or(ENODEV)?;
    if now {
        if entry.openers == 0 {
            dcss_info!("All DCSSs that map to device {} are saved\n", device.name);
            save_segments(entry.segments());
        } else {
            dcss_info!(
                "Device {} is in use, its DCSSs will be saved when it becomes idle\n",
                device.name
            );
            entry.save_pending = true;
        }
    } else if entry.save_pending {
        entry.save_pending = false;
        dcss_info!(
            "A pending save request for device {} has been canceled\n",
            device.name
        );
    }
    Ok(())
}

impl DcssDevice {
    /// The names of the device's segments, in `add` order.
    pub(crate) fn segment_names(&self) -> &[SegmentName] {
        &self.segment_names
    }
}

/// Loads the `segments=` set `names` as a device, and with `local` makes it exclusive-writable;
/// failures are only logged.
pub(crate) fn add_from_param(parent: &impl ParentDevice, names: &[u8], local: bool) {
    if add_device(parent, names).is_err() || !local {
        return;
    }
    // The device is named after the set's first segment.
    let first = names.split(|&c| c == b':').next().unwrap_or_default();
    let Ok(name) = SegmentName::new(first) else {
        return;
    };
    let device = Locked::lock()
        .find(&name)
        .map(|entry| entry.device().clone());
    if let Some(device) = device {
        // As `echo 0 > shared`; errors are logged there.
        let _ = set_shared(&device, Some(false), Caller::Kernel);
    }
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_device_ops)]
mod tests {
    use super::*;

    #[test]
    fn add_request_names() -> Result {
        let names = |text| -> Result<KVec<Option<KVec<u8>>>> {
            let mut out = KVec::new();
            for name in requested_names(text) {
                let name = match name {
                    Ok(name) => {
                        let mut bytes = KVec::new();
                        bytes.extend_from_slice(name.as_bytes(), GFP_KERNEL)?;
                        Some(bytes)
                    }
                    Err(err) => {
                        assert_eq!(err, extmem::name_too_long());
                        None
                    }
                };
                out.push(name, GFP_KERNEL)?;
            }
            Ok(out)
        };
        let got = names(b"a:Bc")?;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_deref(), Some(&b"A"[..]));
        assert_eq!(got[1].as_deref(), Some(&b"BC"[..]));
        // Trailing colon: the last name is empty.
        let got = names(b"a:")?;
        assert_eq!(got.len(), 2);
        assert!(got[1].is_none());
        // Empty name in the middle, and first.
        assert!(names(b"a::b")?[1].is_none());
        assert!(names(b":a")?[0].is_none());
        assert!(names(b"a:ABCDEFGHI")?[1].is_none());
        Ok(())
    }
}
