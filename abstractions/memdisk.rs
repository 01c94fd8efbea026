// SPDX-License-Identifier: GPL-2.0

//! A disk whose data is a range of memory outside RAM, with DAX when the range allows it.
//!
//! The pieces come from [`super::block::gen_disk`] and [`super::dax`]; what this type adds is
//! their teardown order, which no caller has to get right: DAX access ends (host entry removed,
//! `dax_device` killed), then the disk is deleted (`del_gendisk` waits for bios in flight), and
//! only then the page map goes, and with it the range's kernel mapping (s390
//! `arch_remove_memory()`), which those bios and DAX users read and write until then.

use super::{
    block::gen_disk::{
        GenDisk,
        Operations,
        ParentDevice, //
    },
    dax::Dax,
};
use core::mem::ManuallyDrop;
use kernel::{
    prelude::*,
    sync::aref::ARef, //
};

/// A gendisk serving the memory range `start..=end`, with DAX if asked for.
///
/// # Invariants
///
/// `disk` is dropped exactly once, by `drop`, between the end of DAX access and the release of
/// the page map; `dax` is set up for `disk`.
pub(crate) struct MemoryDisk<T: Operations> {
    dax: Option<Dax>,
    disk: ManuallyDrop<GenDisk<T>>,
}

impl<T: Operations> MemoryDisk<T> {
    /// Takes over `disk` (not yet added) to serve `start..=end`; with `dax`, sets up DAX for it
    /// (the range must then be aligned: [`super::dax::is_dax_capable`]).
    ///
    /// # Safety
    ///
    /// `start..=end` is in the kernel's identity mapping, outside RAM, and mapped whenever the
    /// disk is open or DAX-mapped (bios and DAX users reach it only then) and when the returned
    /// object is dropped (the page map is removed then); nothing else sets up DAX or a page map
    /// for it meanwhile.
    pub(crate) unsafe fn new(disk: GenDisk<T>, start: u64, end: u64, dax: bool) -> Result<Self> {
        let dax = if dax {
            // SAFETY: The disk stays valid until `drop` shuts DAX down before deleting it (or
            // until `Dax` is dropped here on error, while `disk` still lives); the range stays
            // mapped per the safety requirements.
            Some(unsafe { Dax::new(start, end, disk.as_raw())? })
        } else {
            None
        };
        // INVARIANT: DAX was set up for `disk` above.
        Ok(Self {
            dax,
            disk: ManuallyDrop::new(disk),
        })
    }

    /// See [`GenDisk::add`].
    pub(crate) fn add(&mut self, parent: &impl ParentDevice, data: ARef<T::Data>) -> Result {
        self.disk.add(parent, data)
    }

    /// See [`GenDisk::set_read_only`].
    pub(crate) fn set_read_only(&self, read_only: bool) {
        self.disk.set_read_only(read_only);
    }
}

impl<T: Operations> Drop for MemoryDisk<T> {
    fn drop(&mut self) {
        if let Some(dax) = &mut self.dax {
            dax.shut_down();
        }
        // SAFETY: Dropped once, here (type invariant); `self.disk` is not used after.
        unsafe { ManuallyDrop::drop(&mut self.disk) };
        self.dax = None;
    }
}
