// SPDX-License-Identifier: GPL-2.0

//! Saved segments (DCSSs) over the kernel's extmem service.
//!
//! C header: [`arch/s390/include/asm/extmem.h`](srctree/arch/s390/include/asm/extmem.h)
//!
//! extmem keeps its own reference-counted list of loaded segments, keyed by name. A [`Segment`]
//! owns one such reference and gives it back when dropped, so every error path of a device set-up
//! unloads exactly the segments it loaded.

use kernel::{
    fmt,
    prelude::*,
    str::BStr, //
};

/// Prototypes of the functions `arch/s390/mm/extmem.c` exports (`EXPORT_SYMBOL`).
///
/// `asm/extmem.h` is not part of the kernel's generated bindings, so they are declared by hand;
/// they must match the header. extmem never writes through `name`, the pointer is only `char *`
/// for historical reasons.
mod extmem {
    use kernel::ffi::{
        c_char,
        c_int,
        c_ulong, //
    };

    extern "C" {
        pub(super) fn segment_load(
            name: *mut c_char,
            do_nonshared: c_int,
            addr: *mut c_ulong,
            end: *mut c_ulong,
        ) -> c_int;
        pub(super) fn segment_unload(name: *mut c_char);
        pub(super) fn segment_save(name: *mut c_char);
        pub(super) fn segment_modify_shared(name: *mut c_char, do_nonshared: c_int) -> c_int;
        pub(super) fn segment_warning(rc: c_int, seg_name: *mut c_char);
    }
}

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
        Some(match raw {
            0 => Self::Sw,
            1 => Self::Ew,
            2 => Self::Sr,
            3 => Self::Er,
            4 => Self::Sn,
            5 => Self::En,
            6 => Self::Sc,
            7 => Self::EwEn,
            _ => return None,
        })
    }

    /// Exclusive types have bit 0 (`SEGMENT_EXCLUSIVE`) set in their code: EW, ER, EN, EW/EN.
    fn is_exclusive(self) -> bool {
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

    /// Whether two adjacent segments may form one device: the same type, or both exclusive
    /// and writable (EW, EN, EW/EN; never ER).
    pub(crate) fn is_compatible_with(self, other: Self) -> bool {
        self == other
            || (self.is_exclusive()
                && other.is_exclusive()
                && self != Self::Er
                && other != Self::Er)
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
        match self {
            Self::Shared => 0,
            Self::Exclusive => 1,
        }
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

/// Why segments cannot form one device; both cases are `EINVAL` for the user.
#[derive(Debug, PartialEq)]
pub(crate) enum SetError {
    /// A gap (or overlap) between two segments adjacent in address order.
    NotContiguous(SegmentName, SegmentName),
    /// Two segments adjacent in address order whose types do not mix.
    IncompatibleTypes(SegmentName, SegmentName),
}

impl SetError {
    /// Logs the C driver's message for this error.
    pub(crate) fn log(&self) {
        match self {
            Self::NotContiguous(low, high) => {
                dcss_err!("Adjacent DCSSs {} and {} are not contiguous\n", low, high)
            }
            Self::IncompatibleTypes(low, high) => {
                dcss_err!("DCSS {} and DCSS {} have incompatible types\n", low, high)
            }
        }
    }
}

impl fmt::Debug for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Checks that the segments of one device form a single contiguous range of compatible types,
/// like the C driver's `dcssblk_is_continuous`.
///
/// The segments may be given in any order; `extents` is sorted by address to check them.
pub(crate) fn check_set(extents: &mut [Extent]) -> Result<(), SetError> {
    extents.sort_unstable_by_key(|extent| extent.start);
    for pair in extents.windows(2) {
        let (low, high) = (&pair[0], &pair[1]);
        if low.end.checked_add(1) != Some(high.start) {
            return Err(SetError::NotContiguous(low.name, high.name));
        }
        if !low.kind.is_compatible_with(high.kind) {
            return Err(SetError::IncompatibleTypes(low.name, high.name));
        }
    }
    Ok(())
}

/// Why switching a segment's access mode failed.
pub(crate) enum ModeSwitchError {
    /// Another kernel user (e.g. monreader) holds the segment too (`EAGAIN`); it is still
    /// loaded in the old mode.
    InUse,
    /// Reloading failed and extmem dropped the segment; it is no longer loaded.
    Lost(Error),
}

/// A segment this driver loaded through extmem; unloaded when dropped.
///
/// # Invariants
///
/// While `loaded` is true, this object owns one extmem reference to the segment named
/// `extent.name`.
pub(crate) struct Segment {
    extent: Extent,
    loaded: bool,
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
            extmem::segment_load(
                name.as_extmem_ptr(),
                AccessMode::Shared.as_raw(),
                &mut start,
                &mut end,
            )
        };
        if rc < 0 {
            // SAFETY: `name` is NUL-terminated and lives across the call.
            unsafe { extmem::segment_warning(rc, name.as_extmem_ptr()) };
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
            unsafe { extmem::segment_modify_shared(self.name().as_extmem_ptr(), mode.as_raw()) };
        if rc >= 0 {
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

    /// Saves the current content permanently (CP `DEFSEG` + `SAVESEG`, `segment_save`).
    ///
    /// extmem only logs CP's response code; it reports nothing back.
    pub(crate) fn save(&self) {
        if self.loaded {
            // SAFETY: The name is NUL-terminated and lives across the call.
            unsafe { extmem::segment_save(self.name().as_extmem_ptr()) };
        }
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        if self.loaded {
            // SAFETY: By the type invariant this object owns one extmem reference to the segment,
            // given back here exactly once. The name is NUL-terminated.
            unsafe { extmem::segment_unload(self.name().as_extmem_ptr()) };
        }
    }
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_segment)]
mod tests {
    use super::*;

    fn extent(name: &[u8], start: u64, end: u64, kind: SegmentType) -> Result<Extent> {
        Ok(Extent {
            name: SegmentName::new(name)?,
            start,
            end,
            kind,
        })
    }

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

    #[test]
    fn type_compatibility() {
        use SegmentType::*;
        let all = [Sw, Ew, Sr, Er, Sn, En, Sc, EwEn];
        for a in all {
            assert!(a.is_compatible_with(a));
            for b in all {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a));
            }
        }
        assert!(Ew.is_compatible_with(En));
        assert!(Ew.is_compatible_with(EwEn));
        assert!(En.is_compatible_with(EwEn));
        assert!(!Er.is_compatible_with(Ew));
        assert!(!Sw.is_compatible_with(Sn));
        assert!(!Sr.is_compatible_with(Sc));
        assert!(!Sw.is_compatible_with(Ew));
    }

    #[test]
    fn contiguous_sets() -> Result {
        const MB: u64 = 1 << 20;
        let a = extent(b"A", 32 * MB, 33 * MB - 1, SegmentType::Sw)?;
        let b = extent(b"B", 33 * MB, 35 * MB - 1, SegmentType::Sw)?;
        let c = extent(b"C", 35 * MB, 36 * MB - 1, SegmentType::Sw)?;
        assert_eq!(check_set(&mut []), Ok(()));
        assert_eq!(check_set(&mut [a]), Ok(()));
        assert_eq!(check_set(&mut [a, b, c]), Ok(()));
        // Any order is fine; the check sorts by address.
        let mut shuffled = [c, a, b];
        assert_eq!(check_set(&mut shuffled), Ok(()));
        assert!(shuffled[0].name == a.name && shuffled[2].name == c.name);
        // A gap.
        assert_eq!(
            check_set(&mut [c, a]),
            Err(SetError::NotContiguous(a.name, c.name))
        );
        // The same segment twice.
        assert_eq!(
            check_set(&mut [a, a]),
            Err(SetError::NotContiguous(a.name, a.name))
        );
        Ok(())
    }

    #[test]
    fn contiguous_types() -> Result {
        const MB: u64 = 1 << 20;
        let ew = extent(b"EW", 0, MB - 1, SegmentType::Ew)?;
        let en = extent(b"EN", MB, 2 * MB - 1, SegmentType::En)?;
        let er = extent(b"ER", MB, 2 * MB - 1, SegmentType::Er)?;
        let sw = extent(b"SW", MB, 2 * MB - 1, SegmentType::Sw)?;
        assert_eq!(check_set(&mut [ew, en]), Ok(()));
        assert_eq!(
            check_set(&mut [er, ew]),
            Err(SetError::IncompatibleTypes(ew.name, er.name))
        );
        assert_eq!(
            check_set(&mut [ew, sw]),
            Err(SetError::IncompatibleTypes(ew.name, sw.name))
        );
        Ok(())
    }
}
