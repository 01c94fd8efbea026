// SPDX-License-Identifier: GPL-2.0

//! Bios as a bio-based disk's `submit_bio` receives them (`include/linux/bio.h`,
//! `include/linux/bvec.h`).
//!
//! Iterating, classifying and failing a bio are static inlines and macros in C
//! (`bio_iter_iovec`, `bio_advance_iter_single`, `bvec_virt`, `bio_data_dir`, `bio_io_error`):
//! `glue.c` wraps them (`glue.h`), one call per segment.

use crate::abstractions::bindings as glue;
use core::{
    marker::PhantomData,
    mem::ManuallyDrop,
    ptr::{
        self,
        NonNull, //
    },
};
use kernel::{
    bindings,
    error::Result,
    ffi::{
        c_uint,
        c_void, //
    },
    page::PAGE_SIZE,
};

/// A bio handed to `submit_bio`, owned until it is completed: [`Bio::end`] completes it, and a
/// `Bio` dropped without that fails it (`BLK_STS_IOERR`), so none is ever left pending.
///
/// # Invariants
///
/// `raw` is a live bio that has not been completed, and no one but this object completes it.
pub(crate) struct Bio {
    raw: NonNull<bindings::bio>,
}

impl Bio {
    /// Takes charge of a bio.
    ///
    /// # Safety
    ///
    /// `raw` is a live bio that the block layer handed to `submit_bio`, and the caller leaves its
    /// completion to the returned object.
    pub(crate) unsafe fn from_raw(raw: NonNull<bindings::bio>) -> Self {
        // INVARIANT: Per the safety requirements.
        Self { raw }
    }

    /// The disk the bio is for: an opaque pointer, valid as long as the bio is live.
    pub(crate) fn disk(&self) -> *mut bindings::gendisk {
        // SAFETY: The bio is live (type invariant), and a submitted bio's block device is set.
        unsafe { (*(*self.raw.as_ptr()).bi_bdev).bd_disk }
    }

    /// The first sector of the transfer (512-byte units).
    pub(crate) fn sector(&self) -> u64 {
        // SAFETY: The bio is live (type invariant).
        unsafe { (*self.raw.as_ptr()).bi_iter.bi_sector }
    }

    /// The transfer's size in bytes.
    pub(crate) fn size(&self) -> u32 {
        // SAFETY: The bio is live (type invariant).
        unsafe { (*self.raw.as_ptr()).bi_iter.bi_size }
    }

    /// Whether data goes from memory to the device (`bio_data_dir() == WRITE`).
    pub(crate) fn is_write(&self) -> bool {
        // SAFETY: The bio is live (type invariant).
        unsafe { glue::dcssblk_rs_bio_is_write(self.raw.as_ptr()) }
    }

    /// The bio's data, part of a page at a time (`bio_for_each_segment`).
    pub(crate) fn segments(&self) -> Segments<'_> {
        // SAFETY: The bio is live (type invariant); the iterator is copied, not shared.
        let mut iter = unsafe { (*self.raw.as_ptr()).bi_iter };
        // SAFETY: The bio is live (type invariant).
        if !unsafe { glue::dcssblk_rs_bio_has_data(self.raw.as_ptr()) } {
            iter.bi_size = 0;
        }
        Segments {
            bio: self,
            iter,
            destination: !self.is_write(),
        }
    }

    /// Completes the bio: success, or `BLK_STS_IOERR` for any error.
    pub(crate) fn end(self, result: Result) {
        let this = ManuallyDrop::new(self);
        match result {
            // SAFETY: The bio is live and is completed exactly once, here: `this` is never
            // dropped (type invariant).
            Ok(()) => unsafe { bindings::bio_endio(this.raw.as_ptr()) },
            // SAFETY: As above.
            Err(_) => unsafe { glue::dcssblk_rs_bio_io_error(this.raw.as_ptr()) },
        }
    }
}

impl Drop for Bio {
    fn drop(&mut self) {
        // SAFETY: The bio is live and is completed exactly once, here, as it was not by `end`,
        // which does not drop (type invariant).
        unsafe { glue::dcssblk_rs_bio_io_error(self.raw.as_ptr()) };
    }
}

// A segment's kernel address is its page's linear-map address (`bvec_virt`), which only exists
// for every page without highmem.
const _: () = assert!(!cfg!(CONFIG_HIGHMEM));

/// The segments of a [`Bio`] ([`Bio::segments`]): none for a bio without data (a discard or
/// write-zeroes request has a size but no pages).
pub(crate) struct Segments<'a> {
    bio: &'a Bio,
    /// A private copy of the bio's iterator: iterating leaves the bio as it is. Empty for a bio
    /// without data.
    iter: bindings::bvec_iter,
    /// The bio is a read: its pages are written to. Asked once per bio, not per page: each
    /// question is a call into `glue.c`, and the per-page cost is what `make bench` measures.
    destination: bool,
}

impl<'a> Iterator for Segments<'a> {
    type Item = BioSegment<'a>;

    fn next(&mut self) -> Option<BioSegment<'a>> {
        let mut virt: *mut c_void = ptr::null_mut();
        let mut len: c_uint = 0;
        // SAFETY: The bio is live for `'a` (invariant of `Bio`); `self.iter` is a copy of its
        // iterator that only this call advances; `virt` and `len` are valid for writes.
        let more = unsafe {
            glue::dcssblk_rs_bio_next_segment(
                self.bio.raw.as_ptr(),
                &mut self.iter,
                &mut virt,
                &mut len,
            )
        };
        // INVARIANT: `bvec_virt` of a bio's segment is the kernel address of `len` bytes of one
        // of its pages (s390 has no highmem), valid while the bio is live.
        more.then(|| BioSegment {
            addr: virt.cast(),
            len: len as usize,
            destination: self.destination,
            _bio: PhantomData,
        })
    }
}

/// Part of one page of a bio's data: `len` bytes at kernel address `addr`.
///
/// Deliberately not a slice: the page may be mapped elsewhere at the same time (with DAX it can
/// be a page of the very memory a driver copies to or from), so a `&[u8]` could alias.
///
/// # Invariants
///
/// `addr..addr + len` is kernel memory within one page of a live bio, valid for reads for `'a`,
/// and for writes too if `destination` (the bio is a read): a write bio's page may be one that
/// must not change (`ZERO_PAGE`, page cache under writeback).
pub(crate) struct BioSegment<'a> {
    addr: *mut u8,
    len: usize,
    destination: bool,
    _bio: PhantomData<&'a Bio>,
}

impl BioSegment<'_> {
    /// A segment over `len` bytes at `addr`, for tests of code that copies to or from segments.
    ///
    /// # Safety
    ///
    /// `addr..addr + len` is valid for reads and writes while the segment exists.
    #[cfg(dcssblk_kunit)]
    pub(crate) unsafe fn from_raw_parts(addr: *mut u8, len: usize) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            addr,
            len,
            destination: true,
            _bio: PhantomData,
        }
    }

    /// The same as a segment of a write bio (a source only).
    ///
    /// # Safety
    ///
    /// `addr..addr + len` is valid for reads while the segment exists.
    #[cfg(dcssblk_kunit)]
    pub(crate) unsafe fn from_raw_parts_source(addr: *mut u8, len: usize) -> Self {
        // INVARIANT: Per the safety requirements.
        Self {
            addr,
            len,
            destination: false,
            _bio: PhantomData,
        }
    }

    /// The segment's kernel address (see the type invariants for what it may be used for).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.addr
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether data may be copied into the segment: it belongs to a read bio.
    pub(crate) fn is_destination(&self) -> bool {
        self.destination
    }

    /// Whether the segment starts on a page boundary and covers whole pages.
    pub(crate) fn is_page_aligned(&self) -> bool {
        self.addr as usize % PAGE_SIZE == 0 && self.len % PAGE_SIZE == 0
    }
}
