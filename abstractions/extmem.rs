// SPDX-License-Identifier: GPL-2.0

//! z/VM saved segments (DCSSs) through the kernel's extmem service.
//!
//! C header: [`arch/s390/include/asm/extmem.h`](srctree/arch/s390/include/asm/extmem.h)
//!
//! extmem keeps its own reference-counted list of loaded segments, keyed by name. A [`Segment`]
//! owns one such reference and gives it back when dropped, so every error path of a user unloads
//! exactly the segments it loaded. extmem upper-cases a name and uses its first eight bytes;
//! [`SegmentName`] holds a name in that form, so that two names that differ compare different.

use super::{bindings, memdisk::Backing};
use kernel::{
    fmt,
    prelude::*,
    str::BStr, //
};

/// `ENAMETOOLONG`, which `kernel::error::code` does not provide: the C driver's answer to an
/// empty or over-long name.
pub(crate) fn name_too_long() -> Error {
    Error::from_errno(-(kernel::bindings::ENAMETOOLONG as i32))
}

/// Longest DCSS name z/VM accepts.
pub(crate) const NAME_MAX_LEN: usize = 8;

/// Upper-cases one byte exactly like the kernel's `toupper()` (`lib/ctype.c`), which also
/// treats the Latin-1 letters as lower case, so names compare and print as in the C driver.
pub(crate) const fn kernel_toupper(c: u8) -> u8 {
    match c {
        b'a'..=b'z' | 0xdf..=0xf6 | 0xf8..=0xff => c - 32,
        _ => c,
    }
}

/// A validated DCSS name: 1 to 8 bytes, upper case, stored NUL-terminated for extmem.
///
/// # Invariants
///
/// `1 <= len <= 8` and `bytes[len..]` are all NUL, so `bytes` is NUL-terminated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentName {
    /// The name followed by at least one NUL byte.
    bytes: [u8; NAME_MAX_LEN + 1],
    len: usize,
}

impl SegmentName {
    /// Validates and upper-cases `raw`.
    ///
    /// Fails with [`name_too_long`] for an empty name or one longer than eight bytes, which is what
    /// the C driver returns for both.
    pub(crate) fn new(raw: &[u8]) -> Result<Self> {
        if raw.is_empty() || raw.len() > NAME_MAX_LEN {
            return Err(name_too_long());
        }
        let mut bytes = [0u8; NAME_MAX_LEN + 1];
        for (dst, &src) in bytes.iter_mut().zip(raw) {
            *dst = kernel_toupper(src);
        }
        // INVARIANT: `raw.len()` is 1 to 8, and the bytes after it stay zero.
        Ok(Self {
            bytes,
            len: raw.len(),
        })
    }

    /// The name without the terminating NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The name with its terminating NUL, for C functions taking a string.
    pub(crate) fn as_bytes_with_nul(&self) -> &[u8] {
        &self.bytes[..=self.len]
    }

    /// A `char *` for extmem, which declares its name parameters non-const but only reads them.
    fn as_extmem_ptr(&self) -> *mut kernel::ffi::c_char {
        self.bytes.as_ptr().cast_mut().cast()
    }
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(BStr::from_bytes(self.as_bytes()), f)
    }
}

impl fmt::Debug for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Segment (page range) type as extmem reports it (`SEG_TYPE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SegmentType {
    /// Shared, writable.
    Sw,
    /// Exclusive, writable.
    Ew,
    /// Shared, read-only.
    Sr,
    /// Exclusive, read-only.
    Er,
    /// Shared, writable, not saved.
    Sn,
    /// Exclusive, writable, not saved.
    En,
    /// Shared, read-only to the guest, not saved.
    Sc,
    /// Several contiguous EW/EN page ranges (a Linux-only synthetic type).
    EwEn,
}

impl SegmentType {
    /// Converts extmem's non-negative return value (`SEG_TYPE_SW` .. `SEG_TYPE_EWEN`).
    pub(crate) fn from_raw(raw: i32) -> Option<Self> {
        Some(match u32::try_from(raw).ok()? {
            bindings::SEG_TYPE_SW => Self::Sw,
            bindings::SEG_TYPE_EW => Self::Ew,
            bindings::SEG_TYPE_SR => Self::Sr,
            bindings::SEG_TYPE_ER => Self::Er,
            bindings::SEG_TYPE_SN => Self::Sn,
            bindings::SEG_TYPE_EN => Self::En,
            bindings::SEG_TYPE_SC => Self::Sc,
            bindings::SEG_TYPE_EWEN => Self::EwEn,
            _ => return None,
        })
    }

    /// Exclusive types have bit 0 (`SEGMENT_EXCLUSIVE`) set in their code: EW, ER, EN, EW/EN.
    pub(crate) fn is_exclusive(self) -> bool {
        matches!(self, Self::Ew | Self::Er | Self::En | Self::EwEn)
    }

    /// Whether the pages are write-protected while the segment is loaded shared.
    pub(crate) fn is_read_only_when_shared(self) -> bool {
        matches!(self, Self::Sr | Self::Er | Self::Sc)
    }

    /// SN and EN segments hold no saved data, so CP cannot save them.
    pub(crate) fn can_be_saved(self) -> bool {
        !matches!(self, Self::Sn | Self::En)
    }
}

/// How a segment is loaded (`SEGMENT_SHARED` / `SEGMENT_EXCLUSIVE`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AccessMode {
    /// The single system copy; SR/ER/SC pages are write-protected.
    Shared,
    /// A private, writable copy ("exclusive-writable").
    Exclusive,
}

impl AccessMode {
    /// `Shared` if `shared`, else `Exclusive`.
    pub(crate) fn shared_if(shared: bool) -> Self {
        if shared {
            Self::Shared
        } else {
            Self::Exclusive
        }
    }

    fn as_raw(self) -> kernel::ffi::c_int {
        (match self {
            Self::Shared => bindings::SEGMENT_SHARED,
            Self::Exclusive => bindings::SEGMENT_EXCLUSIVE,
        }) as kernel::ffi::c_int
    }
}

/// Where a segment lies in guest real memory and what it is.
#[derive(Clone, Copy)]
pub(crate) struct Extent {
    /// The segment's name.
    pub(crate) name: SegmentName,
    /// Address of its first byte.
    pub(crate) start: u64,
    /// Address of its last byte (inclusive, as z/VM reports it).
    pub(crate) end: u64,
    /// Its type.
    pub(crate) kind: SegmentType,
}

/// Why switching a segment's access mode failed.
pub(crate) enum ModeSwitchError {
    /// Another kernel user (e.g. monreader) holds the segment too (`EAGAIN`); it is still
    /// loaded in the old mode.
    InUse,
    /// Reloading failed and extmem dropped the segment; it is no longer loaded.
    Lost(Error),
}

/// A segment loaded through extmem; unloaded when dropped.
///
/// # Invariants
///
/// While `loaded` is true, this object owns one extmem reference to the segment named
/// `extent.name`, which is loaded at `extent.start..=extent.end` in `mode`.
pub(crate) struct Segment {
    extent: Extent,
    loaded: bool,
    mode: AccessMode,
}

impl Segment {
    /// Loads `name` in shared mode (`segment_load`).
    ///
    /// Failures are reported with extmem's own `segment_warning()` text, as the C driver does.
    pub(crate) fn load(name: SegmentName) -> Result<Self> {
        let mut start: kernel::ffi::c_ulong = 0;
        let mut end: kernel::ffi::c_ulong = 0;
        // SAFETY: `name` is NUL-terminated and lives across the call; `start` and `end` are
        // valid for writes.
        let rc = unsafe {
            bindings::segment_load(
                name.as_extmem_ptr(),
                AccessMode::Shared.as_raw(),
                &mut start,
                &mut end,
            )
        };
        if rc < 0 {
            // SAFETY: `name` is NUL-terminated and lives across the call.
            unsafe { bindings::segment_warning(rc, name.as_extmem_ptr()) };
            return Err(Error::from_errno(rc));
        }
        // INVARIANT: `segment_load` succeeded, so this object now owns one reference.
        let mut segment = Self {
            extent: Extent {
                name,
                start: start as u64,
                end: end as u64,
                kind: SegmentType::Sw,
            },
            loaded: true,
            mode: AccessMode::Shared,
        };
        // extmem returns the type code on success; anything else would be a kernel bug, and
        // dropping `segment` then gives the reference back.
        segment.extent.kind = SegmentType::from_raw(rc).ok_or(EIO)?;
        Ok(segment)
    }

    /// Name, address range and type.
    pub(crate) fn extent(&self) -> &Extent {
        &self.extent
    }

    /// The segment's name.
    pub(crate) fn name(&self) -> &SegmentName {
        &self.extent.name
    }

    /// Reloads the segment in `mode` (`segment_modify_shared`).
    ///
    /// On [`ModeSwitchError::Lost`] extmem has already unloaded the segment, so it is not
    /// unloaded again on drop.
    pub(crate) fn switch_mode(&mut self, mode: AccessMode) -> Result<(), ModeSwitchError> {
        if !self.loaded {
            return Err(ModeSwitchError::Lost(EINVAL));
        }
        // SAFETY: The name is NUL-terminated and lives across the call.
        let rc =
            unsafe { bindings::segment_modify_shared(self.name().as_extmem_ptr(), mode.as_raw()) };
        if rc >= 0 {
            // INVARIANT: Reloaded in `mode`. extmem records whatever address the reload reports;
            // z/VM loads a segment where its definition puts it, so that is the old one (the C
            // driver assumes the same).
            self.mode = mode;
            return Ok(());
        }
        let err = Error::from_errno(rc);
        if err == EAGAIN {
            return Err(ModeSwitchError::InUse);
        }
        // Every other failure (including `EINVAL`, "not loaded") leaves the segment off
        // extmem's list.
        // INVARIANT: The reference is gone, so the object no longer owns one.
        self.loaded = false;
        Err(ModeSwitchError::Lost(err))
    }

    /// Whether the segment is loaded and its memory may be written: z/VM write-protects SR, ER
    /// and SC segments loaded shared.
    pub(crate) fn is_writable(&self) -> bool {
        self.loaded
            && (self.mode == AccessMode::Exclusive || !self.extent.kind.is_read_only_when_shared())
    }

    /// Saves the current content permanently (CP `DEFSEG` + `SAVESEG`, `segment_save`).
    ///
    /// extmem only logs CP's response code; it reports nothing back.
    pub(crate) fn save(&self) {
        if self.loaded {
            // SAFETY: The name is NUL-terminated and lives across the call.
            unsafe { bindings::segment_save(self.name().as_extmem_ptr()) };
        }
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.loaded {
            // SAFETY: By the type invariant this object owns one extmem reference to the segment,
            // given back here exactly once. The name is NUL-terminated.
            unsafe { bindings::segment_unload(self.name().as_extmem_ptr()) };
        }
    }
}

/// The range that `ranges` (first and last byte each) tile without gap or overlap, if they do;
/// sorts them.
fn tiled_range(ranges: &mut [(u64, u64)]) -> Option<(u64, u64)> {
    ranges.sort_unstable();
    let (&(start, _), &(_, end)) = (ranges.first()?, ranges.last()?);
    let tiled = ranges.iter().all(|(low, high)| low <= high)
        && ranges
            .windows(2)
            .all(|pair| pair[0].1.checked_add(1) == Some(pair[1].0));
    tiled.then_some((start, end))
}

/// Loaded segments that together cover one contiguous range of memory, in the order given.
///
/// # Invariants
///
/// `segments` is not empty, and the ranges of its segments tile `start..=end` without gap or
/// overlap.
pub(crate) struct SegmentSet {
    segments: KVec<Segment>,
    start: u64,
    end: u64,
}

impl SegmentSet {
    /// The set of `segments`; `EINVAL` if there are none or they leave a gap or overlap.
    pub(crate) fn new(segments: KVec<Segment>) -> Result<Self> {
        let mut extents = KVec::with_capacity(segments.len(), GFP_KERNEL)?;
        for segment in &segments {
            extents.push((segment.extent.start, segment.extent.end), GFP_KERNEL)?;
        }
        let (start, end) = tiled_range(&mut extents).ok_or(EINVAL)?;
        // INVARIANT: Not empty, and sorted by start each segment begins right after the one
        // before.
        Ok(Self {
            segments,
            start,
            end,
        })
    }

    /// The segments, in the order given.
    pub(crate) fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Reloads segment `index` in `mode` ([`Segment::switch_mode`]). Its memory is unmapped while
    /// z/VM purges and reloads it (at the address its definition gives, the old one): nothing may
    /// access it meanwhile. `EINVAL` (as a lost segment) for an index out of range.
    pub(crate) fn switch_mode(
        &mut self,
        index: usize,
        mode: AccessMode,
    ) -> Result<(), ModeSwitchError> {
        self.segments
            .get_mut(index)
            .ok_or(ModeSwitchError::Lost(EINVAL))?
            .switch_mode(mode)
    }
}

// SAFETY: The range is tiled by the set's segments (type invariant), which stay where they are
// while loaded: DCSSs lie outside RAM, in the identity mapping, and a reload puts a segment
// where z/VM's definition of it says, its old address, or unloads it (`is_intact` then says so).
// Every segment is unloaded only when the set is dropped, or by a failed `switch_mode`, which
// takes `&mut self`; a segment is write-protected only while loaded shared with a read-only
// type, which `Segment::is_writable` tells, and that changes only in `switch_mode` too.
unsafe impl Backing for SegmentSet {
    fn range(&self) -> (u64, u64) {
        (self.start, self.end)
    }

    fn is_writable(&self) -> bool {
        self.segments.iter().all(Segment::is_writable)
    }

    fn is_intact(&self) -> bool {
        self.segments.iter().all(|segment| segment.loaded)
    }
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_extmem)]
mod tests {
    use super::*;

    #[test]
    fn name_is_upper_cased_and_nul_terminated() -> Result {
        let name = SegmentName::new(b"myDcss1")?;
        assert_eq!(name.as_bytes(), b"MYDCSS1");
        assert_eq!(name.as_bytes_with_nul(), b"MYDCSS1\0");
        assert!(name == SegmentName::new(b"MYDCSS1")?);
        Ok(())
    }

    #[test]
    fn name_length_limits() -> Result {
        assert_eq!(SegmentName::new(b"").err(), Some(name_too_long()));
        assert_eq!(SegmentName::new(b"ABCDEFGHI").err(), Some(name_too_long()));
        assert_eq!(SegmentName::new(b"abcdefgh")?.as_bytes(), b"ABCDEFGH");
        assert_eq!(SegmentName::new(b"a")?.as_bytes(), b"A");
        Ok(())
    }

    #[test]
    fn toupper_matches_lib_ctype() {
        assert_eq!(kernel_toupper(b'a'), b'A');
        assert_eq!(kernel_toupper(b'Z'), b'Z');
        assert_eq!(kernel_toupper(b'1'), b'1');
        assert_eq!(kernel_toupper(b'$'), b'$');
        assert_eq!(kernel_toupper(0xe4), 0xc4);
        assert_eq!(kernel_toupper(0xf7), 0xf7);
        assert_eq!(kernel_toupper(0xdf), 0xbf);
    }

    #[test]
    fn type_codes_round_trip() {
        assert_eq!(SegmentType::from_raw(0), Some(SegmentType::Sw));
        assert_eq!(SegmentType::from_raw(6), Some(SegmentType::Sc));
        assert_eq!(SegmentType::from_raw(7), Some(SegmentType::EwEn));
        assert_eq!(SegmentType::from_raw(8), None);
        assert_eq!(SegmentType::from_raw(-1), None);
    }

    #[test]
    fn segment_sets_tile_their_range() {
        let mut one = [(0x1000, 0x1fff)];
        assert_eq!(tiled_range(&mut one), Some((0x1000, 0x1fff)));
        let mut unsorted = [(0x3000, 0x3fff), (0x1000, 0x2fff)];
        assert_eq!(tiled_range(&mut unsorted), Some((0x1000, 0x3fff)));
        let mut gap = [(0x1000, 0x1fff), (0x3000, 0x3fff)];
        assert_eq!(tiled_range(&mut gap), None);
        let mut overlap = [(0x1000, 0x2fff), (0x2000, 0x3fff)];
        assert_eq!(tiled_range(&mut overlap), None);
        let mut same = [(0x1000, 0x1fff), (0x1000, 0x1fff)];
        assert_eq!(tiled_range(&mut same), None);
        let mut inverted = [(0x2000, 0x1000)];
        assert_eq!(tiled_range(&mut inverted), None);
        assert_eq!(tiled_range(&mut []), None);
        let mut top = [(0, u64::MAX - 1), (u64::MAX, u64::MAX)];
        assert_eq!(tiled_range(&mut top), Some((0, u64::MAX)));
    }

    #[test]
    fn type_properties() {
        use SegmentType::*;
        for kind in [Sr, Er, Sc] {
            assert!(kind.is_read_only_when_shared());
        }
        for kind in [Sw, Ew, Sn, En, EwEn] {
            assert!(!kind.is_read_only_when_shared());
        }
        assert!(!Sn.can_be_saved());
        assert!(!En.can_be_saved());
        assert!(Sw.can_be_saved());
        assert!(Sc.can_be_saved());
    }
}
