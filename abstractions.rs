// SPDX-License-Identifier: GPL-2.0

//! Kernel abstractions that dcssblk_rs needs and the kernel crate of Linux 7.2 lacks, written as
//! `rust/kernel` modules would be: each file names the C header it wraps, keeps every `unsafe`
//! of that API inside, states the `# Invariants` of its types, and offers the driver a safe API.
//! Nothing in here knows about DCSSs; the driver is the files beside `dcssblk_rs.rs`.

pub(crate) mod bindings;
pub(crate) mod block;
pub(crate) mod dax;
pub(crate) mod device;
pub(crate) mod extmem;
pub(crate) mod memdisk;
pub(crate) mod memory;
pub(crate) mod print;
