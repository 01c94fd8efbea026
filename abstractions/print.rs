// SPDX-License-Identifier: GPL-2.0

//! `printk` with a prefix of the caller's choosing (`include/linux/printk.h`).
//!
//! The kernel crate's `pr_*` macros prefix every message with the module's name
//! (`__LOG_PREFIX`, set by `module!`) and offer no public way to change it: the functions behind
//! them, `call_printk` and `format_strings`, are `#[doc(hidden)]`. A driver whose messages must
//! match a C driver's `pr_fmt` prefix prints through [`print`], the one place that uses them
//! (their signatures are checked again by the compiler at each kernel update).

use core::fmt;
use kernel::{
    ffi::CStr,
    print::{
        call_printk,
        format_strings, //
    },
};

/// A `printk` log level.
#[derive(Clone, Copy)]
pub(crate) enum Level {
    /// `KERN_ERR`
    Err,
    /// `KERN_WARNING`
    Warning,
    /// `KERN_INFO`
    Info,
}

/// Prints `args` at `level` as `"<prefix>: <args>"`, as `pr_*` does with the module name.
pub(crate) fn print(level: Level, prefix: &CStr, args: fmt::Arguments<'_>) {
    let format = match level {
        Level::Err => &format_strings::ERR,
        Level::Warning => &format_strings::WARNING,
        Level::Info => &format_strings::INFO,
    };
    // SAFETY: The format string is one of the fixed ones in `format_strings`, and the prefix
    // comes from a `CStr`, so it is NUL-terminated.
    unsafe { call_printk(format, prefix.to_bytes_with_nul(), args) };
}
