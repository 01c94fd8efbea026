// SPDX-License-Identifier: GPL-2.0

//! The block device operations of a segment device's disk: opens counted in the registry, and
//! bios copied from or to the segment memory.

use crate::{
    abstractions::{
        block::{
            bio::Bio,
            gen_disk::Vtable, //
        },
        memdisk::{
            MemoryDiskVtable,
            Operations, //
        },
        memory::MappedRange,
    },
    dcss_device::{
        save_segments,
        DcssDevice,
        SegmentDevice, //
    },
    registry::Locked,
};
use kernel::{
    bindings,
    page::PAGE_SIZE,
    prelude::*, //
};

/// Logical block size: the driver transfers whole 4 KiB pages only.
pub(crate) const BLOCK_SIZE: u32 = 4096;

/// The block callbacks of every segment device's disk.
pub(crate) static FOPS: MemoryDiskVtable<DcssOps> = Vtable::new(&crate::THIS_MODULE);

/// The block callbacks of a segment device's disk.
pub(crate) struct DcssOps;

#[vtable]
impl Operations for DcssOps {
    type Data = SegmentDevice;

    fn submit_bio(device: &SegmentDevice, memory: &MappedRange<'_>, bio: Bio) {
        let result = transfer(device, memory, &bio);
        bio.end(result);
    }

    /// Counts openers, under the registry lock, so that `remove`, `shared` and `save` see every
    /// opener or none while they act. A device already taken off the registry (its segments are
    /// being unloaded) cannot be opened: `ENXIO`, as for a deleted disk.
    fn open(device: &SegmentDevice) -> Result {
        // Lock order: the disk's `open_mutex` (held by the caller), then the registry; nothing
        // takes them the other way round (see `registry`).
        let mut registry = Locked::lock();
        let entry = registry.entry_of(device).ok_or(ENXIO)?;
        entry.openers += 1;
        Ok(())
    }

    /// On the last close, runs a pending save.
    fn release(device: &SegmentDevice) {
        let mut registry = Locked::lock();
        // Every release pairs with a successful open, which counted, and a device with openers
        // stays in the registry (a test build checks both; a production one does not wrap).
        let entry = registry.entry_of(device);
        debug_assert!(entry.as_ref().is_some_and(|entry| entry.openers > 0));
        let Some(entry) = entry else {
            return;
        };
        entry.openers = entry.openers.saturating_sub(1);
        if entry.openers == 0 && entry.save_pending {
            dcss_info!(
                "Device {} has become idle and is being saved now\n",
                device.name
            );
            save_segments(entry.segments());
            entry.save_pending = false;
        }
    }
}

/// Copies a bio's pages from or to the segment memory.
///
/// Like the C driver, only whole, page-aligned pages at 4 KiB-aligned device offsets are
/// served; anything else, and writes to write-protected segments, are I/O errors.
fn transfer(device: &DcssDevice, memory: &MappedRange<'_>, bio: &Bio) -> Result {
    let (sector, size) = (bio.sector(), bio.size());
    if sector % u64::from(BLOCK_SIZE >> bindings::SECTOR_SHIFT) != 0
        || size as usize % PAGE_SIZE != 0
    {
        return Err(EIO);
    }
    let is_write = bio.is_write();
    if is_write && !memory.is_writable() {
        dcss_warn!(
            "Writing to {} failed because it is a read-only device\n",
            device.name
        );
        return Err(EIO);
    }
    let start = sector.checked_mul(1 << bindings::SECTOR_SHIFT).ok_or(EIO)?;
    let mut offset = start;
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
