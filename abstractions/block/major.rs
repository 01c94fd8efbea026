// SPDX-License-Identifier: GPL-2.0

//! Block device majors (`include/linux/blkdev.h`: `__register_blkdev`, `unregister_blkdev`).

use kernel::{
    bindings,
    error::{
        code::EINVAL,
        to_result,
        Result, //
    },
    ffi::CStr,
    str::CStrExt, //
};

/// `struct blk_major_name.name`'s size (`block/genhd.c`).
const MAJOR_NAME_LEN: usize = 16;

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
    /// Asks the block layer for a free major named `name`: `EINVAL` for a name of 16 bytes or
    /// more, which the block layer would cut short (and then not find at unregistration).
    pub(crate) fn register(name: &'static CStr) -> Result<Self> {
        if name.to_bytes().len() >= MAJOR_NAME_LEN {
            return Err(EINVAL);
        }
        // SAFETY: `name` is NUL-terminated (the block layer copies it); no probe callback.
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

#[cfg(dcssblk_kunit)]
use kernel::prelude::*;

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_major)]
mod tests {
    use super::*;

    #[test]
    fn name_must_fit() {
        // Refused before the block layer is asked, so nothing is registered here.
        assert_eq!(Major::register(c"sixteen-bytes-xx").err(), Some(EINVAL));
        assert_eq!(
            Major::register(c"a-longer-name-than-fits").err(),
            Some(EINVAL)
        );
    }
}
