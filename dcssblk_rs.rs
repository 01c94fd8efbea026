// SPDX-License-Identifier: GPL-2.0

//! DCSS block device driver: z/VM discontiguous saved segments (DCSSs) as block devices.
//!
//! A drop-in alternative to `drivers/s390/block/dcssblk.c`: the same `segments=` parameter,
//! sysfs files, errnos, disk names and messages. Deliberate differences are listed in
//! README.md, "Differences from the C driver".
//!
//! This file holds the module and the `segments=` parameter. The devices and what sysfs does
//! with them are in [`dcss_device`], the registry and its lock in [`registry`], the block device
//! operations in [`disk_ops`], the rules for segment sets in [`segment`], the sysfs callbacks in
//! [`sysfs`]; the kernel APIs the kernel crate does not wrap in [`abstractions`].

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
mod dcss_device;
mod disk_ops;
mod registry;
mod segment;
mod sysfs;

use abstractions::{
    bindings as glue,
    block::major::Major,
    device::{
        FreeBarrier,
        RootDevice, //
    },
};
use kernel::{
    ffi::CStr,
    prelude::*, //
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

/// The module: the sysfs root, the block major in the registry, and the wait for freed devices.
/// Devices pin the module (`try_module_get`), so none exist when it is dropped.
struct DcssblkModule {
    // Field order is drop order: sysfs root first (as `dcssblk_exit`; this waits for running
    // `add` and `remove` stores), then the major and what the registry allocated, then the
    // wait for the last device frees.
    _root: RootDevice,
    _registry: registry::RegistryMemory,
    _free_barrier: FreeBarrier,
}

impl kernel::Module for DcssblkModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Declared first, so every error path below waits for freed devices (a failed
        // `segments=` set) and frees what the registry allocated, last.
        let free_barrier = FreeBarrier;
        // SAFETY: Called once, here, before anything else uses the registry.
        let registry = unsafe { registry::init() };
        let root = RootDevice::register(DCSSBLK_NAME, &THIS_MODULE).inspect_err(|err| {
            if *err == EEXIST {
                dcss_err!("/sys/devices/dcssblk exists already; is the dcssblk module loaded?\n");
            }
        })?;
        root.add_groups(&sysfs::ROOT_GROUPS)?;
        // Registered last, as by `dcssblk_init`. Until the registry has it, an `add` (its file
        // exists now) fails with `ENODEV`, so none succeeds before init can no longer fail: a
        // device pins the module, and a failed init frees it regardless.
        registry.open(Major::register(DCSSBLK_NAME)?);
        // SAFETY: The parameter buffer is NUL-terminated (`module_param_string` keeps the last
        // byte zero) and is never written after module load.
        let param = unsafe { CStr::from_char_ptr(glue::dcssblk_rs_segments_param()) };
        for set in param_sets(param.to_bytes()) {
            dcss_device::add_from_param(&root, set.names, set.local);
        }
        Ok(Self {
            _root: root,
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
}
