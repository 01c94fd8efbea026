// SPDX-License-Identifier: GPL-2.0

//! Real memory outside the kernel's allocators (a DCSS that z/VM maps into the guest) reached
//! through the kernel's identity mapping (`__va`, `arch/s390/include/asm/page.h`), and the
//! copies between such memory and a bio.

use super::{bindings as glue, block::bio::BioSegment};
use core::{marker::PhantomData, ptr};
use kernel::{
    error::{code::EIO, Result},
    ffi::c_ulong,
};

/// The kernel address of real address `phys` in the identity mapping (`__va`): arithmetic only,
/// it neither maps nor touches anything.
pub(crate) fn phys_to_virt(phys: u64) -> *mut u8 {
    // SAFETY: `__va` is pure address arithmetic; it dereferences nothing.
    unsafe { glue::dcssblk_rs_phys_to_virt(phys as c_ulong) }.cast()
}

/// A range of real memory that stays mapped in the identity mapping for `'a`, with bounds-checked
/// copies to and from bio segments. Writes need a range built writable (a DCSS loaded shared with
/// a read-only type is write-protected by z/VM: a store would take a protection exception).
///
/// The copies are `memmove`s: a bio's page may lie inside this very range (an `O_DIRECT` read into
/// a shared mapping of a file on the same `-o dax` file system), so source and destination may
/// overlap.
///
/// # Invariants
///
/// `virt..virt + len` is the identity mapping of real memory that is mapped and valid for reads
/// for `'a`, and for writes too if `writable`.
pub(crate) struct MappedRange<'a> {
    virt: *mut u8,
    len: u64,
    writable: bool,
    _memory: PhantomData<&'a ()>,
}

impl MappedRange<'_> {
    /// The range of `len` bytes at real address `start`.
    ///
    /// # Safety
    ///
    /// That memory is mapped in the kernel's identity mapping and valid for reads, and for writes
    /// if `writable`, during the returned object's lifetime.
    pub(crate) unsafe fn new(start: u64, len: u64, writable: bool) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            virt: phys_to_virt(start),
            len,
            writable,
            _memory: PhantomData,
        }
    }

    /// A range over kernel memory at `virt` instead of real memory, for tests.
    ///
    /// # Safety
    ///
    /// `virt..virt + len` is valid for reads and writes during the object's lifetime.
    #[cfg(dcssblk_kunit)]
    unsafe fn from_virt(virt: *mut u8, len: u64) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            virt,
            len,
            writable: true,
            _memory: PhantomData,
        }
    }

    /// Whether [`MappedRange::write`] may write: the memory is not write-protected.
    pub(crate) fn is_writable(&self) -> bool {
        self.writable
    }

    /// The address of `len` bytes at `offset` in the range, if they are inside it.
    fn at(&self, offset: u64, len: usize) -> Result<*mut u8> {
        let end = offset.checked_add(len as u64).ok_or(EIO)?;
        if end > self.len {
            return Err(EIO);
        }
        // SAFETY: `offset + len <= self.len`, so the result stays inside the mapped range.
        Ok(unsafe { self.virt.add(offset as usize) })
    }

    /// Copies from the range, at `offset`, into `to`. `EIO` if that part is not inside the range
    /// or `to` is not a destination (a segment of a write bio).
    pub(crate) fn read(&self, offset: u64, to: &BioSegment<'_>) -> Result {
        if !to.is_destination() {
            return Err(EIO);
        }
        let from = self.at(offset, to.len())?;
        // SAFETY: `from` is `to.len()` bytes inside the range, valid for reads (type invariant,
        // `at`); `to` is a destination, valid for writes of `to.len()` bytes (invariant of
        // `BioSegment`). `ptr::copy` allows the two to overlap.
        unsafe { ptr::copy(from, to.as_ptr(), to.len()) };
        Ok(())
    }

    /// Copies `from` into the range, at `offset`. `EIO` if that part is not inside the range or
    /// the range is not writable.
    pub(crate) fn write(&self, offset: u64, from: &BioSegment<'_>) -> Result {
        if !self.writable {
            return Err(EIO);
        }
        let to = self.at(offset, from.len())?;
        // SAFETY: `to` is `from.len()` bytes inside the range, valid for writes as it is
        // writable (type invariant, `at`); `from` is valid for reads of `from.len()` bytes
        // (invariant of `BioSegment`). `ptr::copy` allows the two to overlap.
        unsafe { ptr::copy(from.as_ptr(), to, from.len()) };
        Ok(())
    }
}

#[cfg(dcssblk_kunit)]
use kernel::prelude::*;

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_memory)]
mod tests {
    use super::*;
    use kernel::alloc::flags::GFP_KERNEL;

    /// `n` bytes 0, 1, 2, ... (wrapping).
    fn pattern(n: usize) -> Result<KVec<u8>> {
        let mut v = KVec::with_capacity(n, GFP_KERNEL)?;
        for i in 0..n {
            v.push(i as u8, GFP_KERNEL)?;
        }
        Ok(v)
    }

    #[test]
    fn copies_stay_inside_the_range() -> Result {
        let mut memory = pattern(64)?;
        let mut page = KVec::from_elem(0u8, 16, GFP_KERNEL)?;
        {
            // SAFETY: Both buffers outlive `range` and `segment` and are touched only through them.
            let (range, segment) = unsafe {
                (
                    MappedRange::from_virt(memory.as_mut_ptr(), 64),
                    BioSegment::from_raw_parts(page.as_mut_ptr(), 16),
                )
            };
            range.read(48, &segment)?;
            range.write(0, &segment)?;
            // The last 16 bytes, and the first 16 bytes, in range; one byte more is not.
            assert_eq!(range.read(49, &segment), Err(EIO));
            assert_eq!(range.write(49, &segment), Err(EIO));
            assert_eq!(range.read(u64::MAX - 8, &segment), Err(EIO));
            assert_eq!(range.write(u64::MAX, &segment), Err(EIO));
        }
        assert_eq!(&page[..], &memory[48..]);
        assert_eq!(&memory[..16], &memory[48..]);
        assert_eq!(memory[16], 16);
        Ok(())
    }

    #[test]
    fn copies_may_overlap() -> Result {
        // A bio page inside the range itself, as with O_DIRECT into a DAX mapping of the disk.
        let mut memory = pattern(64)?;
        let base = memory.as_mut_ptr();
        {
            // SAFETY: `memory` outlives both and is touched only through them; `base + 8` is 32
            // bytes inside it.
            let (range, segment) = unsafe {
                (
                    MappedRange::from_virt(base, 64),
                    BioSegment::from_raw_parts(base.add(8), 32),
                )
            };
            // Copy bytes 0..32 onto 8..40: a forward memcpy would smear the first 8 bytes.
            range.read(0, &segment)?;
        }
        let expected: KVec<u8> = pattern(32)?;
        assert_eq!(&memory[8..40], &expected[..]);

        // The same the other way: the segment (bytes 0..32) written to the range at 8.
        let mut memory = pattern(64)?;
        let base = memory.as_mut_ptr();
        {
            // SAFETY: As above, with the segment at the start.
            let (range, segment) = unsafe {
                (
                    MappedRange::from_virt(base, 64),
                    BioSegment::from_raw_parts(base, 32),
                )
            };
            range.write(8, &segment)?;
        }
        assert_eq!(&memory[8..40], &expected[..]);
        Ok(())
    }

    #[test]
    fn direction_and_write_protection() -> Result {
        let mut memory = pattern(16)?;
        let mut page = pattern(16)?;
        // SAFETY: Both buffers outlive the objects and are touched only through them.
        let (read_only, source) = unsafe {
            (
                MappedRange {
                    writable: false,
                    ..MappedRange::from_virt(memory.as_mut_ptr(), 16)
                },
                BioSegment::from_raw_parts_source(page.as_mut_ptr(), 16),
            )
        };
        // A write-protected range takes no write; a write bio's page is no destination.
        assert_eq!(read_only.write(0, &source), Err(EIO));
        assert_eq!(read_only.read(0, &source), Err(EIO));
        Ok(())
    }
}
