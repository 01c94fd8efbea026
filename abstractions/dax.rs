// SPDX-License-Identifier: GPL-2.0

//! DAX (direct access) for a range of the kernel's identity mapping that lies outside RAM, aligned
//! to memory-hotplug subsections.
//!
//! C headers: [`include/linux/dax.h`](srctree/include/linux/dax.h),
//! [`include/linux/memremap.h`](srctree/include/linux/memremap.h)
//!
//! A DAX-capable disk needs `struct page`s for its range (a `MEMORY_DEVICE_FS_DAX` page map),
//! a `dax_device` whose `direct_access` translates page offsets into the range's kernel
//! mapping, and a host entry linking that `dax_device` to the gendisk. [`Dax`] owns all three and
//! tears them down in reverse order: host entry, `dax_device`, page map. The first two go before
//! the gendisk is deleted ([`Dax::shut_down`]), the page map only after: unmapping it removes the
//! range's kernel mapping (s390 `arch_remove_memory()`), which bios may use until then.
//! [`crate::abstractions::memdisk::MemoryDisk`] keeps that order.

use core::ptr::{
    self,
    NonNull, //
};
use kernel::{
    bindings,
    error::{
        from_err_ptr,
        to_result, //
    },
    ffi::{
        c_int,
        c_long,
        c_ulong,
        c_void, //
    },
    page::{
        PAGE_SHIFT,
        PAGE_SIZE, //
    },
    prelude::*,
    types::Opaque,
};

// The DAX functions `drivers/dax/super.c` exports with `CONFIG_DAX` and `CONFIG_FS_DAX` (which
// dcssblk requires; without them `linux/dax.h` has only inline stubs, bindgen binds nothing and
// the build fails).
use crate::abstractions::bindings::{
    alloc_dax,
    dax_access_mode,
    dax_access_mode_DAX_ACCESS,
    dax_add_host,
    dax_device,
    dax_direct_access,
    dax_flush,
    dax_get_private,
    dax_operations,
    dax_remove_host,
    kill_dax,
    put_dax,
    set_dax_synchronous, //
};

/// Whether a range (`end` inclusive) can get DAX: both `start` and `end + 1` must be
/// aligned to a memory-hotplug subsection (`SUBSECTION_SIZE`, 2 MiB), the granularity
/// `memremap_pages()` works in.
pub(crate) fn is_dax_capable(start: u64, end: u64) -> bool {
    let subsection = u64::from(bindings::SUBSECTION_SIZE);
    end.checked_add(1)
        .is_some_and(|limit| start % subsection == 0 && limit % subsection == 0)
}

/// `struct page`s for a range (`memremap_pages(MEMORY_DEVICE_FS_DAX)`); also the
/// `dax_device`'s private data, since it knows the range.
///
/// # Invariants
///
/// `pgmap` was successfully passed to `memremap_pages()` and not yet to `memunmap_pages()`.
#[pin_data(PinnedDrop)]
struct PageMap {
    #[pin]
    pgmap: Opaque<bindings::dev_pagemap>,
    start: u64,
    end: u64,
}

impl PageMap {
    fn new(start: u64, end: u64) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            pgmap <- Opaque::try_ffi_init(move |slot: *mut bindings::dev_pagemap| {
                // SAFETY: `slot` is valid for writes of one `dev_pagemap`; all-zero is its
                // expected initial state (the C driver's is inside a `kzalloc`ed struct).
                unsafe { slot.write_bytes(0, 1) };
                // SAFETY: `slot` is valid and initialised (zeroed) above.
                let pgmap = unsafe { &mut *slot };
                pgmap.type_ = bindings::memory_type_MEMORY_DEVICE_FS_DAX;
                pgmap.nr_range = 1;
                // SAFETY: `range` is the active member of the union for a single range.
                let range = unsafe { pgmap.__bindgen_anon_1.range.as_mut() };
                range.start = start;
                range.end = end;
                // SAFETY: `slot` is a fully set up page map in its final, pinned location.
                // INVARIANT: On success the map is set up, and `PinnedDrop` unmaps it.
                from_err_ptr(unsafe { bindings::memremap_pages(slot, bindings::NUMA_NO_NODE) })
                    .map(|_| ())
            }),
            start,
            end,
        })
    }

    /// Kernel address, PFN and number of pages from page `pgoff` of the range to its end.
    fn direct_access(&self, pgoff: c_ulong) -> Result<(*mut c_void, c_ulong, c_long)> {
        let size = self.end - self.start + 1;
        let offset = (pgoff as u64).checked_mul(PAGE_SIZE as u64).ok_or(ERANGE)?;
        let remaining = size.checked_sub(offset).filter(|&r| r > 0).ok_or(ERANGE)?;
        let phys = self.start + offset;
        let pages = c_long::try_from(remaining / PAGE_SIZE as u64).map_err(|_| ERANGE)?;
        Ok((
            crate::abstractions::memory::phys_to_virt(phys).cast(),
            (phys >> PAGE_SHIFT) as c_ulong,
            pages,
        ))
    }
}

#[pinned_drop]
impl PinnedDrop for PageMap {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: By the type invariant the page map is mapped; this unmaps it exactly once.
        unsafe { bindings::memunmap_pages(self.pgmap.get()) };
    }
}

/// An allocated `dax_device`; killed (unless [`DaxDevice::kill`] did) and released on drop.
///
/// # Invariants
///
/// `raw` came from a successful `alloc_dax()` and is released only by `drop`; `killed` says
/// whether `kill_dax()` was called.
struct DaxDevice {
    raw: NonNull<dax_device>,
    killed: bool,
}

impl DaxDevice {
    /// Allocates a synchronous `dax_device` (CPU stores are persistent as soon as they are
    /// done, there is no cache to flush to the "media") serving `pages`.
    ///
    /// # Safety
    ///
    /// `pages` must stay at its address until the returned object is dropped.
    unsafe fn new(pages: &PageMap) -> Result<Self> {
        // SAFETY: `OPS` is a static table; the private pointer stays valid per the caller's
        // guarantee, and the callbacks only read it.
        let raw =
            from_err_ptr(unsafe { alloc_dax(ptr::from_ref(pages).cast_mut().cast(), &OPS.0) })?;
        // INVARIANT: `alloc_dax` succeeded; error pointers were turned into `Err` above.
        let device = Self {
            raw: NonNull::new(raw).ok_or(ENOMEM)?,
            killed: false,
        };
        // SAFETY: `raw` is a live `dax_device`.
        unsafe { set_dax_synchronous(device.raw.as_ptr()) };
        Ok(device)
    }
}

impl DaxDevice {
    /// Ends DAX access: once this returns, no `direct_access` runs or starts.
    fn kill(&mut self) {
        if !self.killed {
            // SAFETY: By the type invariant `raw` is a live `dax_device`.
            unsafe { kill_dax(self.raw.as_ptr()) };
            self.killed = true;
        }
    }
}

impl Drop for DaxDevice {
    fn drop(&mut self) {
        self.kill();
        // SAFETY: By the type invariant `raw` is a live `dax_device` released only here.
        unsafe { put_dax(self.raw.as_ptr()) };
    }
}

/// The link from a gendisk to its `dax_device` (`dax_add_host`), removed on drop.
///
/// # Invariants
///
/// `disk` is registered as a DAX host and stays valid until this object is dropped.
struct HostEntry {
    disk: NonNull<bindings::gendisk>,
}

impl Drop for HostEntry {
    fn drop(&mut self) {
        // SAFETY: By the type invariant `disk` is valid and registered.
        unsafe { dax_remove_host(self.disk.as_ptr()) };
    }
}

/// Everything DAX needs for one device, torn down in reverse order of set-up.
///
/// # Invariants
///
/// `_pages` is `device`'s private data and is dropped after it (field order); `host`, while
/// set, links `device` to a disk that stays valid until [`Dax::shut_down`] or drop.
pub(crate) struct Dax {
    // Field order is drop order.
    host: Option<HostEntry>,
    device: DaxDevice,
    _pages: Pin<KBox<PageMap>>,
}

// SAFETY: The raw pointers refer to kernel objects that may be used and released from any
// thread; nothing here is tied to the creating thread.
unsafe impl Send for Dax {}

impl Dax {
    /// Sets up DAX for the range `start..=end` served by `disk`.
    ///
    /// # Safety
    ///
    /// `disk` must be a valid gendisk until [`Dax::shut_down`] is called or the returned
    /// object is dropped, whichever comes first; the range must stay mapped until the returned
    /// object is dropped.
    pub(super) unsafe fn new(
        start: u64,
        end: u64,
        disk: NonNull<bindings::gendisk>,
    ) -> Result<Self> {
        let pages = KBox::pin_init(PageMap::new(start, end), GFP_KERNEL)?;
        // SAFETY: `pages` is pinned on the heap and dropped after `device` (field order of
        // `Dax`, or reverse declaration order on the error paths below).
        let device = unsafe { DaxDevice::new(&pages)? };
        // SAFETY: Both pointers are valid; `disk` outlives the entry (dropped by `shut_down` or
        // with `self`) per the caller's guarantee.
        to_result(unsafe { dax_add_host(device.raw.as_ptr(), disk.as_ptr()) })?;
        // INVARIANT: `dax_add_host` succeeded.
        let host = HostEntry { disk };
        Ok(Self {
            host: Some(host),
            device,
            _pages: pages,
        })
    }

    /// Unlinks the `dax_device` from the disk and kills it; call before the disk is deleted.
    /// The page map, and with it the segment's kernel mapping, stays until `self` is dropped.
    pub(super) fn shut_down(&mut self) {
        self.host = None;
        self.device.kill();
    }
}

/// The operations of every `dax_device` made here; the private data is its [`PageMap`].
struct OpsTable(dax_operations);

// SAFETY: Never written after it is built; the DAX core only reads it.
unsafe impl Sync for OpsTable {}

static OPS: OpsTable = OpsTable(dax_operations {
    direct_access: Some(direct_access),
    zero_page_range: Some(zero_page_range),
    recovery_write: None,
});

/// `dax_operations.direct_access`.
///
/// Like the C driver it ignores `nr_pages` and returns how many pages remain from `pgoff` to
/// the end of the range; the DAX core clamps that to `nr_pages`.
///
/// `dax_get_private()` is null once `kill_dax()` has begun: the DAX core checks that the device
/// is alive before it calls us, but `kill_dax()` clears that flag before it waits for callers
/// already inside (SRCU), so such a caller gets null here, and `ENXIO` (what the DAX core
/// answers for a dead device).
///
/// # Safety
///
/// `dax_dev` is a `dax_device` made by [`DaxDevice::new`] and not yet put, whose private data
/// is null or a [`PageMap`] that is live until this returns: [`Dax`] drops it only after
/// `kill_dax()`, which waits for running callers. `kaddr` and `pfn` are each null or valid for
/// a write.
unsafe extern "C" fn direct_access(
    dax_dev: *mut dax_device,
    pgoff: c_ulong,
    _nr_pages: c_long,
    _mode: dax_access_mode,
    kaddr: *mut *mut c_void,
    pfn: *mut c_ulong,
) -> c_long {
    // SAFETY: `dax_dev` is live (safety requirements).
    let private = unsafe { dax_get_private(dax_dev) };
    // SAFETY: Per the safety requirements the private data is null or a live `PageMap`.
    let Some(pages) = (unsafe { private.cast::<PageMap>().as_ref() }) else {
        return ENXIO.to_errno() as c_long;
    };
    match pages.direct_access(pgoff) {
        Ok((addr, first_pfn, count)) => {
            if !kaddr.is_null() {
                // SAFETY: `kaddr` is non-null and valid for a write per the safety requirements.
                unsafe { kaddr.write(addr) };
            }
            if !pfn.is_null() {
                // SAFETY: `pfn` is non-null and valid for a write per the safety requirements.
                unsafe { pfn.write(first_pfn) };
            }
            count
        }
        Err(err) => err.to_errno() as c_long,
    }
}

/// `dax_operations.zero_page_range`: zeroes `nr_pages` pages from `pgoff`.
///
/// The device may be dying (see [`direct_access`]); `dax_direct_access()` then
/// fails with `ENXIO`, which is returned.
///
/// # Safety
///
/// `dax_dev` must be a `dax_device` allocated by [`DaxDevice::new`] and not yet put, and the
/// caller must hold `dax_read_lock()`, as the DAX core does around this callback.
unsafe extern "C" fn zero_page_range(
    dax_dev: *mut dax_device,
    pgoff: c_ulong,
    nr_pages: usize,
) -> c_int {
    let Some(len) = nr_pages.checked_mul(PAGE_SIZE) else {
        return EINVAL.to_errno();
    };
    let Ok(wanted) = c_long::try_from(nr_pages) else {
        return EINVAL.to_errno();
    };
    let mut kaddr: *mut c_void = ptr::null_mut();
    // SAFETY: `dax_dev` is allocated and not put, and the DAX read lock is held, per the
    // safety requirements; `kaddr` is valid for a write and the PFN is not wanted.
    let available = unsafe {
        dax_direct_access(
            dax_dev,
            pgoff,
            wanted,
            dax_access_mode_DAX_ACCESS,
            &mut kaddr,
            ptr::null_mut(),
        )
    };
    if available < 0 {
        // `dax_mem2blk_err()`: a poisoned page is an I/O error for the block layer.
        let err = c_int::try_from(available).unwrap_or(EIO.to_errno());
        return if err == -(bindings::EHWPOISON as c_int) {
            EIO.to_errno()
        } else {
            err
        };
    }
    if available < wanted {
        // Never write past the segment.
        return EIO.to_errno();
    }
    // SAFETY: `dax_direct_access` mapped at least `nr_pages` pages of the segment at `kaddr`.
    unsafe { kaddr.cast::<u8>().write_bytes(0, len) };
    // SAFETY: Same range as above.
    unsafe { dax_flush(dax_dev, kaddr, len) };
    0
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_dax)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    #[test]
    fn dax_needs_2mib_alignment() {
        assert!(is_dax_capable(32 * MB, 34 * MB - 1));
        assert!(is_dax_capable(0, 2 * MB - 1));
        // 1 MiB aligned segments (z/VM's granularity) at odd megabytes lose DAX.
        assert!(!is_dax_capable(33 * MB, 35 * MB - 1));
        assert!(!is_dax_capable(32 * MB, 33 * MB - 1));
        assert!(!is_dax_capable(32 * MB, u64::MAX));
    }
}
