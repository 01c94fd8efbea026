// SPDX-License-Identifier: GPL-2.0

//! The sysfs interface: `/sys/devices/dcssblk/{add,remove}` and
//! `/sys/devices/dcssblk/<NAME>/{shared,save,seglist}`.
//!
//! The attribute tables live in `glue.c` (they are built with the `DEVICE_ATTR` macros); their
//! callbacks land here, turn the C buffers into slices and leave the work to the crate root.
//! Input is interpreted exactly as by the C driver, including its errno for each bad input.

use crate::DcssDevice;
use core::{
    ptr::NonNull,
    slice, //
};
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    ffi::c_char,
    page::PAGE_SIZE,
    prelude::*,
    sync::aref::ARef, //
};

/// `dcssblk_rs_root_groups`: `add` and `remove`; `dcssblk_rs_dev_groups`: `shared`, `save` and
/// `seglist` (NULL-terminated tables in `glue.c`).
use crate::abstractions::bindings::{
    dcssblk_rs_dev_groups,
    dcssblk_rs_root_groups, //
};

/// The attribute groups of a segment device, for `struct device.groups`.
pub(crate) fn device_groups() -> *mut *const bindings::attribute_group {
    // The C array decays to a pointer to its first element; the driver core never writes
    // through it despite the non-const field type.
    (&raw const dcssblk_rs_dev_groups).cast_mut().cast()
}

/// `/sys/devices/dcssblk`, the parent of all segment devices; unregistered on drop.
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
    /// Registers the root device, without attributes yet (see [`RootDevice::add_files`]).
    ///
    /// Fails with `EEXIST` while the C `dcssblk` module (which registers the same name) is
    /// loaded.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: The name is a NUL-terminated static string and `THIS_MODULE` is this module.
        let dev = from_err_ptr(unsafe {
            bindings::__root_device_register(c"dcssblk".as_char_ptr(), crate::THIS_MODULE.as_ptr())
        })
        .inspect_err(|err| {
            if *err == EEXIST {
                dcss_err!("/sys/devices/dcssblk exists already; is the dcssblk module loaded?\n");
            }
        })?;
        // INVARIANT: Registration succeeded (error pointers became `Err` above).
        Ok(Self {
            dev: NonNull::new(dev).ok_or(ENOMEM)?,
        })
    }

    /// Creates `add` and `remove`; from then on devices can be added, so the module must be
    /// ready for them.
    pub(crate) fn add_files(&self) -> Result {
        // SAFETY: The device is registered; the group array is static and NULL-terminated.
        to_result(unsafe {
            bindings::device_add_groups(self.as_raw(), (&raw const dcssblk_rs_root_groups).cast())
        })
    }

    /// The `struct device`, as parent of segment devices.
    pub(crate) fn as_raw(&self) -> *mut bindings::device {
        self.dev.as_ptr()
    }
}

impl Drop for RootDevice {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the root device is registered; this is its only
        // unregistration. Its attribute files go with its directory.
        unsafe { bindings::root_device_unregister(self.as_raw()) };
    }
}

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

/// Turns the result of a store into the `ssize_t` sysfs expects: all of `count` or an errno.
fn store_result(result: Result, count: usize) -> isize {
    match result {
        Ok(()) => isize::try_from(count).unwrap_or(isize::MAX),
        Err(err) => err.to_errno() as isize,
    }
}

/// Writes `"1\n"` or `"0\n"` into a sysfs page.
fn show_flag(buf: &mut [u8], flag: bool) -> isize {
    buf[0] = if flag { b'1' } else { b'0' };
    buf[1] = b'\n';
    2
}

/// Views a sysfs store buffer.
///
/// # Safety
///
/// `buf` must be valid for reads of `count` bytes for the returned lifetime.
unsafe fn store_input<'a>(buf: *const c_char, count: usize) -> &'a [u8] {
    // SAFETY: Per the safety requirements.
    unsafe { slice::from_raw_parts(buf.cast::<u8>(), count) }
}

/// Views a sysfs show buffer (one page).
///
/// # Safety
///
/// `buf` must be the page sysfs passes to a `show` callback, unaliased for the returned lifetime.
unsafe fn show_page<'a>(buf: *mut c_char) -> &'a mut [u8] {
    // SAFETY: sysfs passes a `PAGE_SIZE` buffer, per the safety requirements.
    unsafe { slice::from_raw_parts_mut(buf.cast::<u8>(), PAGE_SIZE) }
}

/// `add` store: `NAME[:NAME...]`.
///
/// # Safety
///
/// Called by sysfs with a buffer of `count` bytes.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_add_store(buf: *const c_char, count: usize) -> isize {
    // SAFETY: Per the function's safety requirements.
    let input = unsafe { store_input(buf, count) };
    store_result(crate::add_device(input), count)
}

/// `remove` store: `NAME`.
///
/// # Safety
///
/// Called by sysfs with a buffer of `count` bytes.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_remove_store(buf: *const c_char, count: usize) -> isize {
    // SAFETY: Per the function's safety requirements.
    let input = unsafe { store_input(buf, count) };
    store_result(crate::remove_device(input), count)
}

/// `shared` show.
///
/// # Safety
///
/// Called by sysfs on a segment device with a page buffer.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_shared_show(dev: *mut bindings::device, buf: *mut c_char) -> isize {
    // SAFETY: Only segment devices carry this attribute; sysfs keeps them alive meanwhile.
    let device = unsafe { DcssDevice::from_raw(dev) };
    // SAFETY: Per the function's safety requirements.
    show_flag(unsafe { show_page(buf) }, device.is_shared())
}

/// `shared` store: `1` reloads the segments shared, `0` exclusive-writable.
///
/// # Safety
///
/// Called by sysfs on a segment device, for attribute `attr`, with a buffer of `count` bytes.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_shared_store(
    dev: *mut bindings::device,
    attr: *const bindings::device_attribute,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: Only segment devices carry this attribute; sysfs keeps them alive until the
    // store gives up its active reference (`device_remove_file_self` after a failed mode
    // change), which is why it holds a reference of its own for the whole call.
    let device: ARef<DcssDevice> = unsafe { DcssDevice::from_raw(dev) }.into();
    // SAFETY: Per the function's safety requirements.
    let input = unsafe { store_input(buf, count) };
    // SAFETY: `attr` is the attribute whose store is running, on `device`.
    let store = unsafe { crate::RunningStore::new(attr) };
    let result = parse_flag(input)
        .and_then(|flag| crate::set_shared(&device, flag, crate::Caller::Attribute(store)));
    store_result(result, count)
}

/// `save` show: whether a save waits for the device to become idle.
///
/// # Safety
///
/// Called by sysfs on a segment device with a page buffer.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_save_show(dev: *mut bindings::device, buf: *mut c_char) -> isize {
    // SAFETY: Only segment devices carry this attribute; sysfs keeps them alive meanwhile.
    let device = unsafe { DcssDevice::from_raw(dev) };
    // SAFETY: Per the function's safety requirements.
    show_flag(unsafe { show_page(buf) }, crate::save_pending(device))
}

/// `save` store: `1` saves now (or when idle), `0` cancels a pending save.
///
/// # Safety
///
/// Called by sysfs on a segment device with a buffer of `count` bytes.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_save_store(
    dev: *mut bindings::device,
    buf: *const c_char,
    count: usize,
) -> isize {
    // SAFETY: Only segment devices carry this attribute; sysfs keeps them alive meanwhile.
    let device = unsafe { DcssDevice::from_raw(dev) };
    // SAFETY: Per the function's safety requirements.
    let input = unsafe { store_input(buf, count) };
    let result = parse_flag(input).and_then(|flag| crate::save(device, flag.ok_or(EINVAL)?));
    store_result(result, count)
}

/// `seglist` show: the device's segment names, one per line, in the order given at `add`.
///
/// # Safety
///
/// Called by sysfs on a segment device with a page buffer.
#[no_mangle]
unsafe extern "C" fn dcssblk_rs_seglist_show(
    dev: *mut bindings::device,
    buf: *mut c_char,
) -> isize {
    // SAFETY: Only segment devices carry this attribute; sysfs keeps them alive meanwhile.
    let device = unsafe { DcssDevice::from_raw(dev) };
    // SAFETY: Per the function's safety requirements.
    let page = unsafe { show_page(buf) };
    let mut len = 0;
    crate::for_each_segment_name(device, |name| {
        // At most 6 * 9 bytes in practice; a page holds far more names than a device can have.
        let line = name.as_bytes();
        if len + line.len() < page.len() {
            page[len..len + line.len()].copy_from_slice(line);
            page[len + line.len()] = b'\n';
            len += line.len() + 1;
        }
    });
    isize::try_from(len).unwrap_or(0)
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

    #[test]
    fn store_results() {
        assert_eq!(store_result(Ok(()), 5), 5);
        assert_eq!(store_result(Err(EBUSY), 5), -16);
    }
}
