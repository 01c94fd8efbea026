// SPDX-License-Identifier: GPL-2.0

//! The sysfs interface: `/sys/devices/dcssblk/{add,remove}` and
//! `/sys/devices/dcssblk/<NAME>/{shared,save,seglist}`, as attribute statics
//! (`abstractions::device`) whose callbacks leave the work to the crate root.
//! Input is interpreted exactly as by the C driver, including its errno for each bad input.

use crate::{
    abstractions::device::{
        attribute_groups,
        AttributeOps,
        DeviceAttribute,
        RootTarget,
        RunningStore, //
    },
    dcss_device::{
        self,
        Caller,
        SegmentDevice, //
    },
};
use kernel::prelude::*;

/// The text a sysfs write carries: up to the first NUL or newline, as the C driver reads it.
pub(crate) fn input_text(input: &[u8]) -> &[u8] {
    let end = input
        .iter()
        .position(|&c| c == b'\0' || c == b'\n')
        .unwrap_or(input.len());
    &input[..end]
}

/// Parses a `shared` or `save` write: `0` or `1`, optionally followed by a newline or NUL.
///
/// A bad second character is `EINVAL` at once; a bad first character yields `Ok(None)`, because
/// the C driver reports it only after checking (under its lock) whether the device is busy.
pub(crate) fn parse_flag(input: &[u8]) -> Result<Option<bool>> {
    if input.len() > 1 && input[1] != b'\n' && input[1] != b'\0' {
        return Err(EINVAL);
    }
    Ok(match input.first() {
        Some(b'1') => Some(true),
        Some(b'0') => Some(false),
        _ => None,
    })
}

/// Writes `"1\n"` or `"0\n"` into a sysfs page.
fn show_flag(page: &mut [u8], flag: bool) -> Result<usize> {
    page[..2].copy_from_slice(if flag { b"1\n" } else { b"0\n" });
    Ok(2)
}

/// `add`: `NAME[:NAME...]`.
struct Add;

#[vtable]
impl AttributeOps for Add {
    type Target = RootTarget;

    fn store(store: RunningStore<'_, RootTarget>, input: &[u8]) -> Result {
        // The new device's parent is the root device this store runs on.
        dcss_device::add_device(&store, input)
    }
}

static ADD: DeviceAttribute<Add> = DeviceAttribute::new(c"add", 0o200);

/// `remove`: `NAME`.
struct Remove;

#[vtable]
impl AttributeOps for Remove {
    type Target = RootTarget;

    fn store(_: RunningStore<'_, RootTarget>, input: &[u8]) -> Result {
        dcss_device::remove_device(input)
    }
}

static REMOVE: DeviceAttribute<Remove> = DeviceAttribute::new(c"remove", 0o200);

attribute_groups! {
    pub(crate) static ROOT_GROUPS: AttributeGroups<RootTarget> = [ADD, REMOVE];
}

/// `shared`: `1` reloads the segments shared, `0` exclusive-writable.
struct Shared;

#[vtable]
impl AttributeOps for Shared {
    type Target = SegmentDevice;

    fn show(device: &SegmentDevice, page: &mut [u8]) -> Result<usize> {
        show_flag(page, device.is_shared())
    }

    fn store(store: RunningStore<'_, SegmentDevice>, input: &[u8]) -> Result {
        // A failed mode change removes the device from within this store, which then gives up
        // its protection of the device (`RunningStore::remove_self`): hold a reference of our
        // own for the whole call.
        let device = store.get();
        parse_flag(input)
            .and_then(|flag| dcss_device::set_shared(&device, flag, Caller::Attribute(store)))
    }
}

static SHARED: DeviceAttribute<Shared> = DeviceAttribute::new(c"shared", 0o600);

/// `save`: `1` saves now (or when idle), `0` cancels a pending save; reads whether a save waits
/// for the device to become idle.
struct Save;

#[vtable]
impl AttributeOps for Save {
    type Target = SegmentDevice;

    fn show(device: &SegmentDevice, page: &mut [u8]) -> Result<usize> {
        show_flag(page, dcss_device::save_pending(device))
    }

    fn store(store: RunningStore<'_, SegmentDevice>, input: &[u8]) -> Result {
        dcss_device::save(store.target(), parse_flag(input)?.ok_or(EINVAL)?)
    }
}

static SAVE: DeviceAttribute<Save> = DeviceAttribute::new(c"save", 0o600);

/// `seglist`: the device's segment names, one per line, in the order given at `add`.
struct Seglist;

#[vtable]
impl AttributeOps for Seglist {
    type Target = SegmentDevice;

    fn show(device: &SegmentDevice, page: &mut [u8]) -> Result<usize> {
        let mut len = 0;
        for name in device.segment_names() {
            // At most 6 * 9 bytes in practice; a page holds far more names than a device can
            // have.
            let line = name.as_bytes();
            if len + line.len() < page.len() {
                page[len..len + line.len()].copy_from_slice(line);
                page[len + line.len()] = b'\n';
                len += line.len() + 1;
            }
        }
        Ok(len)
    }
}

static SEGLIST: DeviceAttribute<Seglist> = DeviceAttribute::new(c"seglist", 0o400);

attribute_groups! {
    pub(crate) static DEVICE_GROUPS: AttributeGroups<SegmentDevice> = [SHARED, SAVE, SEGLIST];
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_sysfs)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(parse_flag(b"1").ok(), Some(Some(true)));
        assert_eq!(parse_flag(b"0\n").ok(), Some(Some(false)));
        assert_eq!(parse_flag(b"1\0garbage").ok(), Some(Some(true)));
        assert_eq!(parse_flag(b"").ok(), Some(None));
        assert_eq!(parse_flag(b"x").ok(), Some(None));
        assert_eq!(parse_flag(b"2\n").ok(), Some(None));
        assert_eq!(parse_flag(b"10").err(), Some(EINVAL));
        assert_eq!(parse_flag(b"1 ").err(), Some(EINVAL));
    }

    #[test]
    fn text_ends_at_newline_or_nul() {
        assert_eq!(input_text(b"abc\n"), b"abc");
        assert_eq!(input_text(b"a:b\0c"), b"a:b");
        assert_eq!(input_text(b"abc"), b"abc");
        assert_eq!(input_text(b"\n"), b"");
    }
}
