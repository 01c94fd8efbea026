//! Everything that can go wrong in dcssctl, for the segment file format and the catalog alike.
//! The messages reach the user as `dcssctl: MESSAGE`; each names the offending input, and tests
//! (tests/cli.rs, the shell tests under tests/) match parts of them.

use std::io;
use std::path::PathBuf;

use crate::segment_file::{PageRange, MAX_NAME_LEN, MAX_PAGE, MAX_RANGES};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "invalid segment name '{0}': must be 1-{max} characters of A-Z 0-9 @ # $ _ -",
        max = MAX_NAME_LEN
    )]
    BadName(String),
    #[error("invalid page range '{0}': expected hexpage-hexpage, e.g. 20000-2FFFF")]
    BadRangeSyntax(String),
    #[error("invalid page range '{0}': first page is above last page")]
    ReversedRange(String),
    #[error("unknown page range type '{0}': expected one of SW EW SR ER SN EN SC")]
    UnknownType(String),
    #[error("page range '{0}' has no type: expected one of SW EW SR ER SN EN SC")]
    MissingType(String),
    #[error("a segment needs at least one page range")]
    NoRanges,
    #[error("{0} page ranges given: a segment has at most {max}", max = MAX_RANGES)]
    TooManyRanges(usize),
    #[error(
        "page range '{0}' goes beyond the highest page {max:X} (512 GiB)",
        max = MAX_PAGE
    )]
    PageTooHigh(String),
    #[error("page ranges {} and {} overlap", .0.pages(), .1.pages())]
    RangesOverlap(PageRange, PageRange),
    #[error(
        "page ranges must be in ascending order: {} comes after {}",
        .1.pages(),
        .0.pages()
    )]
    RangesNotAscending(PageRange, PageRange),
    #[error(
        "page ranges must be contiguous: {} does not start right after {} (expected {:X})",
        .1.pages(),
        .0.pages(),
        .0.last + 1
    )]
    RangesNotContiguous(PageRange, PageRange),
    #[error("segment starts at page {0:X}, not on a 1 MiB boundary (a multiple of 100)")]
    MisalignedStart(u64),
    #[error("segment ends at page {0:X}, not on a 1 MiB boundary (last page must end in FF)")]
    MisalignedEnd(u64),
    #[error("segment catalog {} does not exist", .0.display())]
    NoCatalog(PathBuf),
    #[error("segment {0} does not exist")]
    UnknownSegment(String),
    #[error("{} is not a valid segment file: {reason}", .path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{} larger than segment {name} ({capacity} bytes)", data_of(*.size))]
    DataTooBig {
        name: String,
        capacity: u64,
        /// Known in advance for a regular file, not for a pipe (found out while copying).
        size: Option<u64>,
    },
    #[error(
        "segment {name}: data would land in range {range}, whose pages are not saved \
         (type {} reads as zeros when loaded)",
        .range.kind
    )]
    DataInNoSaveRange { name: String, range: PageRange },
    #[error("source directory is too big for segment {name} ({capacity} bytes): {detail}")]
    SourceTooBig {
        name: String,
        capacity: u64,
        detail: String,
    },
    #[error("mke2fs failed: {0}")]
    Mke2fs(String),
    /// The io::Error's text is part of the message because the message is all the user sees.
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
}

/// The subject of `Error::DataTooBig`: with the size when it is known.
fn data_of(size: Option<u64>) -> String {
    match size {
        Some(size) => format!("data of {size} bytes is"),
        None => "data is".to_string(),
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Attaches "what we were doing" to an io::Error.
pub(crate) trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io {
            context: what(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment_file::PageType;

    /// The exact texts: scripts and the shell tests match them, so they must not drift.
    #[test]
    fn messages() {
        let range = |first, last, kind| PageRange { first, last, kind };
        let (a, b) = (
            range(0, 0xFF, PageType::SW),
            range(0x200, 0x2FF, PageType::EN),
        );
        let cases: Vec<(Error, &str)> = vec![
            (
                Error::BadName("A.B".into()),
                "invalid segment name 'A.B': must be 1-8 characters of A-Z 0-9 @ # $ _ -",
            ),
            (
                Error::BadRangeSyntax("20000".into()),
                "invalid page range '20000': expected hexpage-hexpage, e.g. 20000-2FFFF",
            ),
            (
                Error::ReversedRange("FF-0".into()),
                "invalid page range 'FF-0': first page is above last page",
            ),
            (
                Error::UnknownType("QQ".into()),
                "unknown page range type 'QQ': expected one of SW EW SR ER SN EN SC",
            ),
            (
                Error::MissingType("0-FF".into()),
                "page range '0-FF' has no type: expected one of SW EW SR ER SN EN SC",
            ),
            (Error::NoRanges, "a segment needs at least one page range"),
            (
                Error::TooManyRanges(7),
                "7 page ranges given: a segment has at most 6",
            ),
            (
                Error::PageTooHigh("0-8000000".into()),
                "page range '0-8000000' goes beyond the highest page 7FFFFFF (512 GiB)",
            ),
            (
                Error::RangesOverlap(a, b),
                "page ranges 0-FF and 200-2FF overlap",
            ),
            (
                Error::RangesNotAscending(a, b),
                "page ranges must be in ascending order: 200-2FF comes after 0-FF",
            ),
            (
                Error::RangesNotContiguous(a, b),
                "page ranges must be contiguous: 200-2FF does not start right after 0-FF \
                 (expected 100)",
            ),
            (
                Error::MisalignedStart(0x80),
                "segment starts at page 80, not on a 1 MiB boundary (a multiple of 100)",
            ),
            (
                Error::MisalignedEnd(0xFE),
                "segment ends at page FE, not on a 1 MiB boundary (last page must end in FF)",
            ),
            (
                Error::NoCatalog("/x/cat".into()),
                "segment catalog /x/cat does not exist",
            ),
            (
                Error::UnknownSegment("GONE".into()),
                "segment GONE does not exist",
            ),
            (
                Error::Corrupt {
                    path: "/x/A.seg".into(),
                    reason: "only 3 bytes long".into(),
                },
                "/x/A.seg is not a valid segment file: only 3 bytes long",
            ),
            (
                Error::DataTooBig {
                    name: "S".into(),
                    capacity: 4096,
                    size: Some(4097),
                },
                "data of 4097 bytes is larger than segment S (4096 bytes)",
            ),
            (
                Error::DataTooBig {
                    name: "S".into(),
                    capacity: 4096,
                    size: None,
                },
                "data is larger than segment S (4096 bytes)",
            ),
            (
                Error::DataInNoSaveRange {
                    name: "S".into(),
                    range: b,
                },
                "segment S: data would land in range 200-2FF EN, whose pages are not saved \
                 (type EN reads as zeros when loaded)",
            ),
            (
                Error::SourceTooBig {
                    name: "S".into(),
                    capacity: 4096,
                    detail: "why".into(),
                },
                "source directory is too big for segment S (4096 bytes): why",
            ),
            (Error::Mke2fs("exit 1".into()), "mke2fs failed: exit 1"),
            (
                Error::Io {
                    context: "opening f".into(),
                    source: io::Error::from_raw_os_error(2),
                },
                "opening f: No such file or directory (os error 2)",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text, "{error:?}");
        }
    }

    #[test]
    fn io_errors_keep_their_cause() {
        let error = Err::<(), _>(io::Error::from_raw_os_error(28))
            .context(|| "writing x".into())
            .unwrap_err();
        let cause = std::error::Error::source(&error).expect("the io::Error");
        assert_eq!(cause.to_string(), "No space left on device (os error 28)");
    }
}
