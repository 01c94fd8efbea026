// SPDX-License-Identifier: GPL-2.0

//! Block device majors (`include/linux/blkdev.h`: `__register_blkdev`, `unregister_blkdev`).

use kernel::{
    bindings,
    error::{
        to_result,
        Result, //
    },
    ffi::CStr,
    str::CStrExt, //
};

/// A dynamically allocated block major, listed under its name in `/proc/devices`; unregistered on
/// drop.
///
/// # Invariants
///
/// `number` is registered under `name`.
pub(crate) struct Major {
    number: u32,
    name: &'static CStr,
}

impl Major {
    /// Asks the block layer for a free major named `name`.
    pub(crate) fn register(name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is NUL-terminated and static (the block layer keeps the pointer); no
        // probe callback.
        let rc = unsafe { bindings::__register_blkdev(0, name.as_char_ptr(), None) };
        to_result(rc)?;
        // INVARIANT: Registered above; a non-negative result is the major's number.
        Ok(Self {
            number: rc.unsigned_abs(),
            name,
        })
    }

    /// The major's number.
    pub(crate) fn number(&self) -> u32 {
        self.number
    }
}

impl Drop for Major {
    fn drop(&mut self) {
        // SAFETY: By the type invariant the major is registered under this name.
        unsafe { bindings::unregister_blkdev(self.number, self.name.as_char_ptr()) };
    }
}
