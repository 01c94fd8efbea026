// SPDX-License-Identifier: GPL-2.0

//! DCSS block device driver: z/VM discontiguous saved segments (DCSSs) as block devices.
//!
//! A drop-in alternative to `drivers/s390/block/dcssblk.c`: the same `segments=` parameter,
//! sysfs files, errnos, disk names and messages. Deliberate differences are listed in
//! README.md, "Differences from the C driver".
//!
//! This file holds the module, the `segments=` handling, the device registry with its minor
//! allocation, and the block device operations. The rules for segment sets are in [`segment`],
//! DAX in [`dax`], the sysfs callbacks in [`sysfs`]; the kernel APIs the kernel crate does not
//! wrap (extmem, bios, segment memory, generated prototypes) in [`abstractions`].

/// The prefix of every message the driver prints. The kernel crate's `pr_*` macros use the module
/// name (`dcssblk_rs`); the C driver's `pr_fmt` is `KMSG_COMPONENT ": "` with `KMSG_COMPONENT`
/// `"dcssblk"`, and admin scripts and IBM's message documentation match `dcssblk: ...`. So the
/// driver prints through [`dcss_info!`], [`dcss_warn!`] and [`dcss_err!`] instead, which make the
/// messages identical to C's.
const LOG_PREFIX: &CStr = c"dcssblk";

/// `pr_*` with [`LOG_PREFIX`] in place of the module name.
macro_rules! dcss_print {
    ($level:ident, $($arg:tt)+) => {
        crate::abstractions::print::print(
            crate::abstractions::print::Level::$level,
            crate::LOG_PREFIX,
            ::kernel::prelude::fmt!($($arg)+),
        )
    };
}

/// `pr_info!` with the C driver's prefix `dcssblk: `.
macro_rules! dcss_info {
    ($($arg:tt)+) => { dcss_print!(Info, $($arg)+) };
}

/// `pr_warn!` with the C driver's prefix `dcssblk: `.
macro_rules! dcss_warn {
    ($($arg:tt)+) => { dcss_print!(Warning, $($arg)+) };
}

/// `pr_err!` with the C driver's prefix `dcssblk: `.
macro_rules! dcss_err {
    ($($arg:tt)+) => { dcss_print!(Err, $($arg)+) };
}

mod abstractions;
mod segment;
mod sysfs;

use abstractions::{
    bindings as glue,
    block::{
        bio::Bio,
        gen_disk::{
            GenDiskBuilder,
            Operations,
            Vtable, //
        },
        major::Major, //
    },
    dax,
    device::{
        Device,
        FreeBarrier,
        Registration,
        RootDevice,
        RunningStore,
        UnregisteredDevice, //
    },
    extmem::{
        AccessMode,
        Extent,
        ModeSwitchError,
        Segment,
        SegmentName,
        SegmentType, //
    },
    memdisk::MemoryDisk,
    memory::MappedRange, //
};
use core::ptr;
use kernel::{
    bindings,
    ffi::CStr,
    page::PAGE_SIZE,
    prelude::*,
    str::BStr,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        GlobalGuard,
        GlobalLockedBy, //
    },
};

module! {
    type: DcssblkModule,
    name: "dcssblk_rs",
    authors: ["dcssblk-rs developers"],
    description: "S/390 block driver for DCSS memory (Rust)",
    license: "GPL",
}

/// The block device name, also the registered major's name.
const DCSSBLK_NAME: &CStr = c"dcssblk";

/// Logical block size: the driver transfers whole 4 KiB pages only.
const BLOCK_SIZE: u32 = 4096;

/// The block callbacks of every segment device's disk.
static FOPS: Vtable<DcssOps> = Vtable::new(&THIS_MODULE);

kernel::sync::global_lock! {
    // SAFETY: Initialized in the module initializer before the sysfs files that use it exist.
    unsafe(uninit) static DEVICES: Mutex<Registry> = Registry::new();
}

kernel::sync::global_lock! {
    // SAFETY: Initialized in the module initializer before the sysfs files that use it exist.
    unsafe(uninit) static ADDING: Mutex<()> = ();
}

/// All segment devices, and every piece of their mutable state (through [`GlobalLockedBy`]).
///
/// One lock for everything, like the C driver's `dcssblk_devices_sem`: sysfs writes, the last
/// close and the device list are rare and may sleep (they load, save and unload segments).
struct Registry {
    devices: KVec<ARef<SegmentDevice>>,
    /// One entry per segment of each removed device still being torn down: its minor and
    /// segment names stay taken until then (see [`ReleaseHold`]).
    releasing: KVec<Releasing>,
    /// The block major, registered at module init, unregistered at exit ([`RegistryMemory`]).
    major: Option<Major>,
    /// `/sys/devices/dcssblk`, the parent of all devices; registered at module init,
    /// unregistered at exit ([`RootHold`]).
    root: Option<RootDevice>,
}

impl Registry {
    const fn new() -> Self {
        Self {
            devices: KVec::new(),
            releasing: KVec::new(),
            major: None,
            root: None,
        }
    }
}

type RegistryGuard = GlobalGuard<DEVICES>;

/// A segment of a device being torn down, and that device's minor.
#[derive(Clone, Copy)]
struct Releasing {
    minor: u32,
    segment: SegmentName,
}

/// Finds the device named `name` (its first segment's name).
fn device_index(registry: &RegistryGuard, name: &SegmentName) -> Option<usize> {
    registry.devices.iter().position(|dev| dev.name == *name)
}

/// Whether segment `name` is part of any device, or of one still being torn down (its extmem
/// reference and DAX page map may not be gone yet).
fn segment_in_use(registry: &RegistryGuard, name: &SegmentName) -> bool {
    registry.releasing.iter().any(|r| r.segment == *name)
        || registry.devices.iter().any(|dev| {
            dev.state
                .as_ref(registry)
                .segments
                .iter()
                .any(|segment| segment.name() == name)
        })
}

/// The lowest minor for which `in_use` is false, as `dcssblk_assign_free_minor` picks it.
fn lowest_free_minor(in_use: impl Fn(u32) -> bool) -> Result<u32> {
    (0..1u32 << bindings::MINORBITS)
        .find(|&minor| !in_use(minor))
        .ok_or(EBUSY)
}

/// The module: the block major and the sysfs root. Devices pin the module (`try_module_get`),
/// so none exist when it is dropped.
struct DcssblkModule {
    // Field order is drop order: sysfs root first (as `dcssblk_exit`), then the major and what
    // the registry allocated, then the wait for the last device frees.
    _root: RootHold,
    _registry: RegistryMemory,
    _free_barrier: FreeBarrier,
}

/// Unregisters the root device at module exit, outside the registry lock: that waits for running
/// `add`/`remove` stores, which take it.
struct RootHold;

impl Drop for RootHold {
    fn drop(&mut self) {
        let root = DEVICES.lock().root.take();
        drop(root);
    }
}

/// Unregisters the block major and frees the registry's vectors at module exit: [`DEVICES`] is a
/// static, which is never dropped, so the buffers its vectors have grown would outlive the module
/// unreferenced.
struct RegistryMemory;

impl Drop for RegistryMemory {
    fn drop(&mut self) {
        let mut registry = DEVICES.lock();
        // Empty by now: every device pins the module, and `add` went with the root device.
        registry.devices = KVec::new();
        registry.releasing = KVec::new();
        registry.major = None;
    }
}

impl kernel::Module for DcssblkModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Called exactly once, before anything else touches `DEVICES` or `ADDING`.
        unsafe {
            DEVICES.init();
            ADDING.init();
        }
        // Declared first, so every error path below waits for freed devices (a failed
        // `segments=` set) and frees what the registry allocated, last.
        let free_barrier = FreeBarrier;
        let registry = RegistryMemory;
        // The major and the root device are known before `add` exists.
        DEVICES.lock().major = Some(Major::register(DCSSBLK_NAME)?);
        let root = RootDevice::register(DCSSBLK_NAME, &THIS_MODULE).inspect_err(|err| {
            if *err == EEXIST {
                dcss_err!("/sys/devices/dcssblk exists already; is the dcssblk module loaded?\n");
            }
        })?;
        // Without the registry lock: a failed `add_groups` waits for a store already running on
        // a file it made, and that store may be waiting for the lock. An `add` that comes before
        // the root is in the registry fails with `ENODEV`.
        root.add_groups(&sysfs::ROOT_GROUPS)?;
        DEVICES.lock().root = Some(root);
        // From here on devices can be added; `root_hold` unregisters the root at exit, outside
        // the lock (nothing below fails).
        let root_hold = RootHold;
        // SAFETY: The parameter buffer is NUL-terminated (`module_param_string` keeps the last
        // byte zero) and is never written after module load.
        let param = unsafe { CStr::from_char_ptr(glue::dcssblk_rs_segments_param()) };
        add_devices_from_param(param.to_bytes());
        Ok(Self {
            _root: root_hold,
            _registry: registry,
            _free_barrier: free_barrier,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// `segments=`
// ---------------------------------------------------------------------------------------------

/// One set of the `segments=` parameter: `NAME[:NAME...]`, maybe followed by `(local)`.
#[derive(Debug, PartialEq)]
struct ParamSet<'a> {
    names: &'a [u8],
    local: bool,
}

/// Splits `segments=` like `dcssblk_check_params`: sets end at `,` or `(`; text from `(` to the
/// next `,` is skipped, and the set is switched to exclusive-writable if it starts with
/// `(local)`.
struct ParamSets<'a> {
    rest: Option<&'a [u8]>,
}

fn param_sets(param: &[u8]) -> ParamSets<'_> {
    ParamSets {
        rest: (!param.is_empty()).then_some(param),
    }
}

impl<'a> Iterator for ParamSets<'a> {
    type Item = ParamSet<'a>;

    fn next(&mut self) -> Option<ParamSet<'a>> {
        let text = self.rest?;
        let names_end = text
            .iter()
            .position(|&c| c == b',' || c == b'(')
            .unwrap_or(text.len());
        let (names, tail) = text.split_at(names_end);
        let local = tail.starts_with(b"(local)");
        self.rest = tail
            .iter()
            .position(|&c| c == b',')
            .map(|comma| &tail[comma + 1..])
            .filter(|rest| !rest.is_empty());
        Some(ParamSet { names, local })
    }
}

/// Adds the devices named by `segments=`; failures are only logged (by `add_device`).
fn add_devices_from_param(param: &[u8]) {
    for set in param_sets(param) {
        if add_device(set.names).is_err() || !set.local {
            continue;
        }
        // The device is named after the set's first segment.
        let first = set.names.split(|&c| c == b':').next().unwrap_or_default();
        let Ok(name) = SegmentName::new(first) else {
            continue;
        };
        let device = {
            let registry = DEVICES.lock();
            device_index(&registry, &name).map(|index| registry.devices[index].clone())
        };
        if let Some(device) = device {
            // As `echo 0 > shared`; errors are logged there.
            let _ = set_shared(&device, Some(false), Caller::Kernel);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Segment devices
// ---------------------------------------------------------------------------------------------

/// A segment device: `/sys/devices/dcssblk/<NAME>` plus its disk `dcssblk<minor>`.
pub(crate) type SegmentDevice = Device<DcssDevice>;

/// What a segment device knows of itself ([`SegmentDevice`] embeds it with its `struct device`).
pub(crate) struct DcssDevice {
    /// Device name: the first segment's name.
    name: SegmentName,
    /// First byte of the device's memory (lowest segment start).
    start: u64,
    /// Last byte of the device's memory (highest segment end).
    end: u64,
    /// Device type: the first segment's type.
    kind: SegmentType,
    minor: u32,
    /// Loaded shared (`true`) or exclusive-writable. Written under the registry lock, read
    /// locklessly by the I/O path.
    shared: Atomic<bool>,
    state: GlobalLockedBy<DeviceState, DEVICES>,
}

/// The parts of a device that change after `add`.
#[derive(Default)]
struct DeviceState {
    /// Set once the device is fully added; taken with the segments by [`detach`], whose
    /// [`Detached`] drops the disk first (a `DeviceState` itself is only dropped empty, when the
    /// device is freed: the disk's reference keeps it alive until then).
    resources: Option<Resources>,
    /// In the order given at `add`.
    segments: KVec<Segment>,
    /// Number of openers. Counted under the registry lock, like every check of it: `remove`,
    /// `shared` and `save` act on "not in use" while holding the lock, so no open can slip in
    /// between their check and their change (the C driver counts without its lock).
    openers: u32,
    /// Save when the last opener closes.
    save_pending: bool,
}

/// What a device registers with other subsystems. Only ever taken apart by [`detach`], which
/// orders their teardown (see [`Detached`]).
struct Resources {
    disk: MemoryDisk<DcssOps>,
    registration: Registration<DcssDevice>,
}

impl DcssDevice {
    /// Creates the (not yet registered) device for contiguous segments `start..=end`.
    fn new(
        name: SegmentName,
        start: u64,
        end: u64,
        kind: SegmentType,
        minor: u32,
    ) -> Result<UnregisteredDevice<Self>> {
        let data = Self {
            name,
            start,
            end,
            kind,
            minor,
            shared: Atomic::new(true),
            state: GlobalLockedBy::new(DeviceState::default()),
        };
        let name = CStr::from_bytes_with_nul(name.as_bytes_with_nul()).map_err(|_| EINVAL)?;
        UnregisteredDevice::new(data, name, &sysfs::DEVICE_GROUPS, &THIS_MODULE)
    }

    pub(crate) fn is_shared(&self) -> bool {
        self.shared.load(Relaxed)
    }

    /// Whether writes fail: shared SR, ER and SC segments are write-protected by z/VM.
    fn is_read_only(&self) -> bool {
        self.is_shared() && self.kind.is_read_only_when_shared()
    }

    fn size(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// A device taken off the registry, torn down when dropped: DAX access, disk, DAX page map,
/// segments (after the disk, so no I/O can reach unloaded memory), driver-core registration,
/// then its minor and segment names are free again, and the registry's reference goes.
///
/// Must be dropped without the registry lock held: `del_gendisk()` takes the disk's
/// `open_mutex`, under which our `release` takes the registry lock; and [`ReleaseHold`] takes it.
struct Detached {
    // Field order is drop order, after `release_disk` (see `Drop`).
    disk: Option<MemoryDisk<DcssOps>>,
    segments: KVec<Segment>,
    _registration: Option<Registration<DcssDevice>>,
    _hold: ReleaseHold,
    _device: ARef<SegmentDevice>,
}

impl Detached {
    /// Deletes the disk (with its DAX set-up, in the order [`MemoryDisk`] keeps), then unloads
    /// the segments.
    fn release_disk(&mut self) {
        self.disk = None;
        self.segments = KVec::new();
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
///
/// Dropping it takes the registry lock.
struct ReleaseHold(u32);

impl Drop for ReleaseHold {
    fn drop(&mut self) {
        // A minor is held at most once: no device gets it while it is in `releasing`.
        DEVICES.lock().releasing.retain(|r| r.minor != self.0);
    }
}

/// Makes room to [`detach`] device `index` without allocating, so that a device whose
/// segments extmem has already dropped can always be taken off the registry.
fn reserve_detach(registry: &mut RegistryGuard, index: usize) -> Result {
    let device = registry.devices.get(index).ok_or(EINVAL)?;
    let count = device.state.as_ref(registry).segments.len();
    registry.releasing.reserve(count, GFP_KERNEL)?;
    Ok(())
}

/// Takes device `index` off the registry. The caller drops the result after unlocking.
fn detach(registry: &mut RegistryGuard, index: usize) -> Result<Detached> {
    reserve_detach(registry, index)?;
    let minor = registry.devices.get(index).ok_or(EINVAL)?.minor;
    // Reserved before the device (and with it its minor and segments) leaves `devices`; nothing
    // has changed if this fails.
    let reserved = registry.releasing.len();
    for nth in 0.. {
        let Some(segment) = registry
            .devices
            .get(index)
            .and_then(|device| device.state.as_ref(registry).segments.get(nth))
            .map(|segment| *segment.name())
        else {
            break;
        };
        if registry
            .releasing
            .push_within_capacity(Releasing { minor, segment })
            .is_err()
        {
            registry.releasing.truncate(reserved);
            return Err(ENOMEM);
        }
    }
    // Cannot fail: `index` was checked above.
    let device = registry.devices.remove(index).map_err(|_| EINVAL)?;
    let state = device.state.as_mut(registry);
    let segments = core::mem::take(&mut state.segments);
    let (disk, registration) = match state.resources.take() {
        Some(Resources { disk, registration }) => (Some(disk), Some(registration)),
        None => (None, None),
    };
    Ok(Detached {
        disk,
        segments,
        _registration: registration,
        // Created only here, after the last fallible step, so no error above drops it (taking
        // the lock) under the lock.
        _hold: ReleaseHold(minor),
        _device: device,
    })
}

/// Who asks for a device change: a store to one of that device's own sysfs attributes (which
/// must then remove itself with `device_remove_file_self`), or the module (`segments=`).
pub(crate) enum Caller<'a> {
    /// A store to this attribute of the device.
    Attribute(RunningStore<'a, SegmentDevice>),
    /// The module itself.
    Kernel,
}

impl Detached {
    /// Tears the device down from within a store to one of its own attributes.
    ///
    /// Deleting a device waits for its running attribute callbacks, so the running store first
    /// gives up its active reference (`device_remove_file_self`); the rest is as on drop.
    fn finish_from(mut self, store: RunningStore<'_, SegmentDevice>) {
        self.release_disk();
        // Whether this call removed the attribute or a concurrent self-removal of the same
        // attribute did, it is removed and drained of other callbacks when this returns, and
        // this store no longer counts as active: deleting the device below cannot wait for it.
        // (The C driver leaks the device when another removal came first.)
        store.remove_self();
    }
}

/// The segment names of an `add` request, validated one at a time: an empty name (also after a
/// trailing `:`) or one longer than eight bytes is `ENAMETOOLONG` when it is reached.
fn requested_names(text: &[u8]) -> impl Iterator<Item = Result<SegmentName>> + '_ {
    text.split(|&c| c == b':').map(SegmentName::new)
}

/// `add`: creates a device from the segments `NAME[:NAME...]`, loaded shared.
///
/// One `add` at a time ([`ADDING`], held until everything a failed one set up is gone): when a
/// DAX set-up fails, dropping its page map removes the kernel mapping of the segments'
/// memory (s390 `arch_remove_memory()`) although extmem keeps them loaded for any other
/// holder. Serialised, no other `add` can hold one of those segments then: it would have
/// loaded it before this one failed and then built a device on unmapped memory. (Another
/// kernel user of the same DCSS, such as monreader, is as exposed as with the C driver's
/// `remove`.)
pub(crate) fn add_device(input: &[u8]) -> Result {
    if matches!(input.first(), None | Some(b'\0' | b'\n')) {
        return Err(abstractions::extmem::name_too_long());
    }
    // Declared first, so it is dropped last, after the registry lock and what a failed `add`
    // built.
    let _adding = ADDING.lock();
    let text = sysfs::input_text(input);
    let mut segments = KVec::new();
    // Each name is checked and loaded before the next one is parsed, so the errno for a bad
    // list is the C driver's.
    for name in requested_names(text) {
        let name = name?;
        if segment_in_use(&DEVICES.lock(), &name) {
            return Err(EEXIST);
        }
        segments.push(Segment::load(name)?, GFP_KERNEL)?;
    }
    let mut extents = KVec::with_capacity(segments.len(), GFP_KERNEL)?;
    for segment in &segments {
        extents.push(*segment.extent(), GFP_KERNEL)?;
    }
    // The device is named after the first segment given and has its type.
    let first: Extent = *extents.first().ok_or(EINVAL)?;
    segment::check_set(&mut extents).map_err(|err| {
        err.log();
        EINVAL
    })?;
    // Sorted by address now, and contiguous.
    let start = extents.first().map_or(first.start, |extent| extent.start);
    let end = extents.last().map_or(first.end, |extent| extent.end);
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

    // Whatever is built under the lock but not finished is declared before the guard, so on an
    // error it is torn down after unlocking: deleting the device waits for its sysfs readers,
    // and `seglist` takes the lock. (A `MemoryDisk::new` that fails puts its never-added disk
    // at once, under the lock: that takes no lock of ours.)
    let mut building = Building::default();
    // Held until the device is complete, so minors stay unique. Segment names cannot have
    // been taken since they were checked: only `add` takes them.
    let mut registry = DEVICES.lock();
    let minor = lowest_free_minor(|minor| {
        registry.devices.iter().any(|d| d.minor == minor)
            || registry.releasing.iter().any(|r| r.minor == minor)
    })?;
    let major = registry.major.as_ref().ok_or(ENODEV)?;
    gen_disk.set_number(major, minor, format_args!("dcssblk{minor}"))?;
    let new_device = DcssDevice::new(first.name, start, end, first.kind, minor)?;
    let device = building.device.insert(new_device.device().clone());
    building.registration = Some(new_device.register(registry.root.as_ref().ok_or(ENODEV)?)?);
    // Allocated before DAX is set up, so only `disk.add` can fail after it.
    registry.devices.reserve(1, GFP_KERNEL)?;
    // SAFETY: The segments are loaded at `start..=end` until the disk is dropped: if this `add`
    // fails, `building` goes before `segments` (declared earlier); once added, both move into
    // the device's state, and only `detach` takes them out, into a `Detached` that drops the
    // disk first. A `shared` switch purges and reloads them at the same address while the disk
    // is neither open nor mounted (no I/O, no DAX user), which the contract allows.
    let disk = building
        .disk
        .insert(unsafe { MemoryDisk::new(gen_disk, start, end, with_dax)? });
    if with_dax {
        dcss_info!("DAX support enabled for DCSS {}\n", input_name);
    } else {
        dcss_info!(
            "DCSS {} is not aligned to {} bytes, DAX support disabled\n",
            input_name,
            bindings::SUBSECTION_SIZE
        );
    }
    disk.add(
        building.registration.as_ref().ok_or(EINVAL)?,
        ARef::from(&**device),
    )?;
    // Nothing can fail from here on.
    disk.set_read_only(device.is_read_only());
    let Building {
        disk: Some(disk),
        registration: Some(registration),
        device: Some(device),
    } = building
    else {
        return Err(EINVAL);
    };
    let state = device.state.as_mut(&mut registry);
    state.segments = segments;
    state.resources = Some(Resources { disk, registration });
    registry.devices.push(device, GFP_KERNEL)?;
    Ok(())
}

/// The parts of a device `add` has set up so far; dropped in field order if it fails.
#[derive(Default)]
struct Building {
    disk: Option<MemoryDisk<DcssOps>>,
    registration: Option<Registration<DcssDevice>>,
    device: Option<ARef<SegmentDevice>>,
}

/// `remove`: deletes the idle device `NAME`.
pub(crate) fn remove_device(input: &[u8]) -> Result {
    let name = SegmentName::new(sysfs::input_text(input))?;
    let mut registry = DEVICES.lock();
    let Some(index) = device_index(&registry, &name) else {
        drop(registry);
        dcss_warn!(
            "Device {} cannot be removed because it is not a known device\n",
            name
        );
        return Err(ENODEV);
    };
    if registry.devices[index].state.as_ref(&registry).openers != 0 {
        drop(registry);
        dcss_warn!("Device {} cannot be removed while it is in use\n", name);
        return Err(EBUSY);
    }
    let detached = detach(&mut registry, index)?;
    drop(registry);
    drop(detached);
    Ok(())
}

/// Switches all segments of a device to `mode`. If one is also held by another kernel user,
/// the ones already switched go back to `old`, so the device stays in one consistent mode.
///
/// A segment that cannot go back counts as lost, like one extmem dropped: another user loaded it
/// in its new mode meanwhile, and a device in two modes at once faults on its next write (a
/// write-protected SR segment under a writable disk).
fn switch_segments(
    segments: &mut [Segment],
    mode: AccessMode,
    old: AccessMode,
) -> Result<(), ModeSwitchError> {
    for index in 0..segments.len() {
        match segments[index].switch_mode(mode) {
            Ok(()) => {}
            Err(ModeSwitchError::InUse) => {
                for segment in segments[..index].iter_mut().rev() {
                    match segment.switch_mode(old) {
                        Ok(()) => {}
                        Err(ModeSwitchError::InUse) => {
                            dcss_err!(
                                "DCSS {} is in use and cannot be switched back\n",
                                segment.name()
                            );
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

/// Where `device` is in the registry; `None` once it was taken off (it is being torn down).
fn registry_index(registry: &RegistryGuard, device: &DcssDevice) -> Option<usize> {
    registry.devices.iter().position(|d| ptr::eq(&***d, device))
}

/// `shared` store: reloads every segment shared (`Some(true)`) or exclusive-writable.
pub(crate) fn set_shared(device: &DcssDevice, flag: Option<bool>, caller: Caller<'_>) -> Result {
    let mut registry = DEVICES.lock();
    if device.state.as_ref(&registry).openers != 0 {
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
    let index = registry_index(&registry, device).ok_or(ENODEV)?;
    // Once a segment is lost, the device must come off the registry without allocating.
    reserve_detach(&mut registry, index)?;
    let state = device.state.as_mut(&mut registry);
    let err = match switch_segments(&mut state.segments, mode, old) {
        Ok(()) => {
            device.shared.store(shared, Relaxed);
            if let Some(resources) = &state.resources {
                resources.disk.set_read_only(device.is_read_only());
            }
            return Ok(());
        }
        Err(ModeSwitchError::InUse) => return Err(EAGAIN),
        Err(ModeSwitchError::Lost(err)) => err,
    };
    dcss_err!(
        "DCSS device {} is removed after a failed access mode change\n",
        device.name
    );
    let detached = detach(&mut registry, index)?;
    drop(registry);
    match caller {
        Caller::Attribute(store) => detached.finish_from(store),
        Caller::Kernel => drop(detached),
    }
    Err(err)
}

/// `save` show.
pub(crate) fn save_pending(device: &DcssDevice) -> bool {
    device.state.as_ref(&DEVICES.lock()).save_pending
}

/// Saves every segment that holds data; SN and EN segments cannot be saved.
fn save_segments(segments: &[Segment]) {
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
    let mut registry = DEVICES.lock();
    // A `remove` (or failed `shared`) that won the lock took the segments: nothing to save.
    registry_index(&registry, device).ok_or(ENODEV)?;
    let state = device.state.as_mut(&mut registry);
    if now {
        if state.openers == 0 {
            dcss_info!("All DCSSs that map to device {} are saved\n", device.name);
            save_segments(&state.segments);
        } else {
            dcss_info!(
                "Device {} is in use, its DCSSs will be saved when it becomes idle\n",
                device.name
            );
            state.save_pending = true;
        }
    } else if state.save_pending {
        state.save_pending = false;
        dcss_info!(
            "A pending save request for device {} has been canceled\n",
            device.name
        );
    }
    Ok(())
}

/// Calls `f` with each segment name of `device`, in `add` order.
pub(crate) fn for_each_segment_name(device: &DcssDevice, mut f: impl FnMut(&SegmentName)) {
    let registry = DEVICES.lock();
    for segment in &device.state.as_ref(&registry).segments {
        f(segment.name());
    }
}

// ---------------------------------------------------------------------------------------------
// Block device operations (the table is `FOPS`, a `gen_disk::Vtable`)
// ---------------------------------------------------------------------------------------------

/// The block callbacks of a segment device's disk.
struct DcssOps;

#[vtable]
impl Operations for DcssOps {
    type Data = SegmentDevice;

    fn submit_bio(device: &SegmentDevice, bio: Bio) {
        let result = transfer(device, &bio);
        bio.end(result);
    }

    /// Counts openers, under the registry lock, so that `remove`, `shared` and `save` see every
    /// opener or none while they act. A device already taken off the registry (its segments are
    /// being unloaded) cannot be opened: `ENXIO`, as for a deleted disk.
    fn open(device: &SegmentDevice) -> Result {
        // Lock order: the disk's `open_mutex` (held by the caller), then the registry; nothing
        // takes them the other way round (see `Detached`).
        let mut registry = DEVICES.lock();
        if registry_index(&registry, device).is_none() {
            return Err(ENXIO);
        }
        device.state.as_mut(&mut registry).openers += 1;
        Ok(())
    }

    /// On the last close, runs a pending save.
    fn release(device: &SegmentDevice) {
        let mut registry = DEVICES.lock();
        let state = device.state.as_mut(&mut registry);
        // Every release pairs with a successful open, which counted (the block layer guarantees
        // it; a test build checks it, a production one does not wrap around).
        debug_assert!(state.openers > 0, "release without an open");
        state.openers = state.openers.saturating_sub(1);
        if state.openers == 0 && state.save_pending {
            dcss_info!(
                "Device {} has become idle and is being saved now\n",
                device.name
            );
            save_segments(&state.segments);
            state.save_pending = false;
        }
    }
}

/// Copies a bio's pages from or to the segment memory.
///
/// Like the C driver, only whole, page-aligned pages at 4 KiB-aligned device offsets are
/// served; anything else, and writes to write-protected segments, are I/O errors.
fn transfer(device: &DcssDevice, bio: &Bio) -> Result {
    let (sector, size) = (bio.sector(), bio.size());
    if sector % u64::from(BLOCK_SIZE >> bindings::SECTOR_SHIFT) != 0
        || size as usize % PAGE_SIZE != 0
    {
        return Err(EIO);
    }
    let is_write = bio.is_write();
    if is_write && device.is_read_only() {
        dcss_warn!(
            "Writing to {} failed because it is a read-only device\n",
            device.name
        );
        return Err(EIO);
    }
    let start = sector.checked_mul(1 << bindings::SECTOR_SHIFT).ok_or(EIO)?;
    let mut offset = start;
    // SAFETY: A bio in flight keeps the device's segments loaded and mapped: `del_gendisk`, which
    // comes before they are unloaded (`Detached`), waits for it; and a `shared` switch, which
    // purges and reloads them at the same address, happens only without openers, so without I/O.
    // They are writable unless loaded shared with a read-only type, which `is_read_only` tells,
    // and that too changes only with a `shared` switch.
    let memory = unsafe { MappedRange::new(device.start, device.size(), !device.is_read_only()) };
    for segment in bio.segments() {
        if !segment.is_page_aligned() {
            return Err(EIO);
        }
        if is_write {
            memory.write(offset, &segment)?;
        } else {
            memory.read(offset, &segment)?;
        }
        offset += segment.len() as u64;
    }
    // A bio whose pages do not add up to its size (one without data: a discard or write-zeroes,
    // which the queue does not offer) fails rather than succeeds unserved.
    if offset - start != u64::from(size) {
        return Err(EIO);
    }
    Ok(())
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_main)]
mod tests {
    use super::*;

    fn sets(param: &[u8]) -> Result<KVec<(KVec<u8>, bool)>> {
        let mut out = KVec::new();
        for set in param_sets(param) {
            let mut names = KVec::new();
            names.extend_from_slice(set.names, GFP_KERNEL)?;
            out.push((names, set.local), GFP_KERNEL)?;
        }
        Ok(out)
    }

    #[test]
    fn param_grammar() -> Result {
        let got = sets(b"mydcss1,mydcss2:mydcss3,mydcss4(local)")?;
        assert_eq!(got.len(), 3);
        assert_eq!(&got[0].0[..], b"mydcss1");
        assert!(!got[0].1);
        assert_eq!(&got[1].0[..], b"mydcss2:mydcss3");
        assert!(!got[1].1);
        assert_eq!(&got[2].0[..], b"mydcss4");
        assert!(got[2].1);
        Ok(())
    }

    #[test]
    fn param_edge_cases() -> Result {
        assert_eq!(sets(b"")?.len(), 0);
        // An empty set is still handed to `add` (which rejects it).
        let got = sets(b",a")?;
        assert_eq!(got.len(), 2);
        assert_eq!(&got[0].0[..], b"");
        assert_eq!(&got[1].0[..], b"a");
        // A trailing comma ends the list.
        assert_eq!(sets(b"a,")?.len(), 1);
        // Text after `(` up to the next comma is skipped; only `(local)` counts.
        let got = sets(b"a(locx),b(local)junk,c(")?;
        assert_eq!(got.len(), 3);
        assert!(!got[0].1);
        assert_eq!(&got[1].0[..], b"b");
        assert!(got[1].1);
        assert_eq!(&got[2].0[..], b"c");
        assert!(!got[2].1);
        Ok(())
    }

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
                        assert_eq!(err, abstractions::extmem::name_too_long());
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

    #[test]
    fn minors() {
        assert_eq!(lowest_free_minor(|_| false).ok(), Some(0));
        assert_eq!(lowest_free_minor(|m| m < 3).ok(), Some(3));
        assert_eq!(lowest_free_minor(|m| m == 0 || m == 2).ok(), Some(1));
        assert_eq!(lowest_free_minor(|_| true).err(), Some(EBUSY));
    }
}
