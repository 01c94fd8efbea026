// SPDX-License-Identifier: GPL-2.0

//! Which segments may form one device: the C driver's rules for segment sets.

use crate::abstractions::extmem::{
    Extent,
    SegmentType, //
};
use kernel::prelude::*;

/// Whether two adjacent segments may form one device: the same type, or both exclusive and
/// writable (EW, EN, EW/EN; never ER).
pub(crate) fn types_mix(a: SegmentType, b: SegmentType) -> bool {
    a == b || (a.is_exclusive() && b.is_exclusive() && a != SegmentType::Er && b != SegmentType::Er)
}

/// Why segments cannot form one device; both cases are `EINVAL` for the user.
#[derive(Debug, PartialEq)]
pub(crate) enum SetError {
    /// A gap (or overlap) between two segments adjacent in address order.
    NotContiguous(
        crate::abstractions::extmem::SegmentName,
        crate::abstractions::extmem::SegmentName,
    ),
    /// Two segments adjacent in address order whose types do not mix.
    IncompatibleTypes(
        crate::abstractions::extmem::SegmentName,
        crate::abstractions::extmem::SegmentName,
    ),
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
        if !types_mix(low.kind, high.kind) {
            return Err(SetError::IncompatibleTypes(low.name, high.name));
        }
    }
    Ok(())
}

#[cfg(dcssblk_kunit)]
#[kunit_tests(dcssblk_rs_segment)]
mod tests {
    use super::*;
    use crate::abstractions::extmem::SegmentName;

    fn extent(name: &[u8], start: u64, end: u64, kind: SegmentType) -> Result<Extent> {
        Ok(Extent {
            name: SegmentName::new(name)?,
            start,
            end,
            kind,
        })
    }

    #[test]
    fn type_compatibility() {
        use SegmentType::*;
        let all = [Sw, Ew, Sr, Er, Sn, En, Sc, EwEn];
        for a in all {
            assert!(types_mix(a, a));
            for b in all {
                assert_eq!(types_mix(a, b), types_mix(b, a));
            }
        }
        assert!(types_mix(Ew, En));
        assert!(types_mix(Ew, EwEn));
        assert!(types_mix(En, EwEn));
        assert!(!types_mix(Er, Ew));
        assert!(!types_mix(Sw, Sn));
        assert!(!types_mix(Sr, Sc));
        assert!(!types_mix(Sw, Ew));
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
