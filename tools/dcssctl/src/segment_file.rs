//! The segment file format as specified in README.md, "NAME.seg": what a segment name is, the
//! DEFSEG page ranges and the rules they obey together, the 4 KiB text header that records them,
//! and where a segment's contents live in the file behind it. Storing these files in a catalog
//! directory (locking, atomic replacement) is `catalog`'s business.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use crate::error::{Error, IoContext, Result};

/// Segment pages are z/Architecture 4 KiB pages.
pub const PAGE_SIZE: u64 = 4096;
/// The header occupies one page so that the contents start at an mmap()able offset.
pub const HEADER_LEN: u64 = 4096;
/// First header line; the digit is the format version.
pub const MAGIC: &str = "ZVMSEG1";
/// Linux's extmem accepts at most 6 page ranges per segment.
pub const MAX_RANGES: usize = 6;
/// Highest page number CP accepts on DEFSEG (Linux: MAX_DCSS_ADDR = 512 GiB).
pub const MAX_PAGE: u64 = 0x7FF_FFFF;
/// Segments begin and end on 1 MiB boundaries, i.e. multiples of 0x100 pages.
pub const PAGES_PER_MIB: u64 = 0x100;
/// Suffix of segment files (`NAME.seg`).
pub const SEGMENT_SUFFIX: &str = ".seg";
/// Longest segment name (CP file names are 8 characters).
pub const MAX_NAME_LEN: usize = 8;

/// A validated segment name: upper case, 1-8 characters of `[A-Z0-9@#$_-]`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SegmentName(String);

impl SegmentName {
    /// Upper-cases `text` (CP names are case-insensitive) and checks it.
    pub fn parse(text: &str) -> Result<Self> {
        let upper = text.to_ascii_uppercase();
        let valid_char =
            |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || "@#$_-".contains(c);
        if upper.is_empty() || upper.len() > MAX_NAME_LEN || !upper.chars().all(valid_char) {
            return Err(Error::BadName(text.to_string()));
        }
        Ok(SegmentName(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `NAME.seg`
    pub fn file_name(&self) -> String {
        format!("{}{SEGMENT_SUFFIX}", self.0)
    }
}

impl fmt::Display for SegmentName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The DEFSEG page range types (z/VM spec section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageType {
    SW,
    EW,
    SR,
    ER,
    SN,
    EN,
    SC,
}

impl PageType {
    pub const ALL: [PageType; 7] = [
        PageType::SW,
        PageType::EW,
        PageType::SR,
        PageType::ER,
        PageType::SN,
        PageType::EN,
        PageType::SC,
    ];

    /// Case-insensitive, as CP takes it.
    pub fn parse(text: &str) -> Result<Self> {
        let upper = text.to_ascii_uppercase();
        PageType::ALL
            .into_iter()
            .find(|t| t.as_str() == upper)
            .ok_or_else(|| Error::UnknownType(text.to_string()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PageType::SW => "SW",
            PageType::EW => "EW",
            PageType::SR => "SR",
            PageType::ER => "ER",
            PageType::SN => "SN",
            PageType::EN => "EN",
            PageType::SC => "SC",
        }
    }

    /// SAVESEG keeps the pages of SW/EW/SR/ER ranges; SN/EN/SC pages start as zeros on load.
    pub fn saves_data(self) -> bool {
        !matches!(self, PageType::SN | PageType::EN | PageType::SC)
    }
}

impl fmt::Display for PageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One inclusive range of page numbers (address >> 12) with its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRange {
    pub first: u64,
    pub last: u64,
    pub kind: PageType,
}

impl PageRange {
    /// Parses CP DEFSEG syntax: `hexpage-hexpage` and a type, e.g. `20000-2FFFF` `SR`.
    /// Only checks the range on its own; `SegmentLayout::new` checks how ranges fit together.
    pub fn parse(range: &str, kind: &str) -> Result<Self> {
        let (first, last) = range
            .split_once('-')
            .ok_or_else(|| Error::BadRangeSyntax(range.to_string()))?;
        let page = |digits: &str| -> Result<u64> {
            if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::BadRangeSyntax(range.to_string()));
            }
            // All hex digits, so the only possible failure is overflow: certainly too high.
            u64::from_str_radix(digits, 16).map_err(|_| Error::PageTooHigh(range.to_string()))
        };
        let (first, last) = (page(first)?, page(last)?);
        if first > MAX_PAGE || last > MAX_PAGE {
            return Err(Error::PageTooHigh(range.to_string()));
        }
        if first > last {
            return Err(Error::ReversedRange(range.to_string()));
        }
        Ok(PageRange {
            first,
            last,
            kind: PageType::parse(kind)?,
        })
    }

    /// `SSSSS-EEEEE` in CP's notation: upper-case hex, no leading zeros.
    pub fn pages(&self) -> String {
        format!("{:X}-{:X}", self.first, self.last)
    }

    pub fn page_count(&self) -> u64 {
        self.last - self.first + 1
    }
}

impl fmt::Display for PageRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.pages(), self.kind)
    }
}

/// The validated page ranges of one segment (the catalog rules in README.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentLayout {
    ranges: Vec<PageRange>,
}

impl SegmentLayout {
    pub fn new(ranges: Vec<PageRange>) -> Result<Self> {
        if ranges.is_empty() {
            return Err(Error::NoRanges);
        }
        if ranges.len() > MAX_RANGES {
            return Err(Error::TooManyRanges(ranges.len()));
        }
        for range in &ranges {
            if range.first > range.last {
                return Err(Error::ReversedRange(range.pages()));
            }
            if range.last > MAX_PAGE {
                return Err(Error::PageTooHigh(range.pages()));
            }
        }
        for pair in ranges.windows(2) {
            let (prev, next) = (pair[0], pair[1]);
            if next.last < prev.first {
                return Err(Error::RangesNotAscending(prev, next));
            }
            if next.first <= prev.last {
                return Err(Error::RangesOverlap(prev, next));
            }
            if next.first != prev.last + 1 {
                return Err(Error::RangesNotContiguous(prev, next));
            }
        }
        let first = ranges[0].first;
        let last = ranges[ranges.len() - 1].last;
        if !first.is_multiple_of(PAGES_PER_MIB) {
            return Err(Error::MisalignedStart(first));
        }
        if !(last + 1).is_multiple_of(PAGES_PER_MIB) {
            return Err(Error::MisalignedEnd(last));
        }
        Ok(SegmentLayout { ranges })
    }

    /// Parses DEFSEG operands: `RANGE TYPE [RANGE TYPE ...]`.
    pub fn from_defseg_args<S: AsRef<str>>(args: &[S]) -> Result<Self> {
        if args.is_empty() {
            return Err(Error::NoRanges);
        }
        let mut ranges = Vec::new();
        for pair in args.chunks(2) {
            match pair {
                [range, kind] => ranges.push(PageRange::parse(range.as_ref(), kind.as_ref())?),
                [range] => {
                    // Syntax first, so "20000-2FFFF" alone says "type missing", not "bad range".
                    PageRange::parse(range.as_ref(), "SW")?;
                    return Err(Error::MissingType(range.as_ref().to_string()));
                }
                _ => unreachable!("chunks(2) yields one or two items"),
            }
        }
        SegmentLayout::new(ranges)
    }

    pub fn ranges(&self) -> &[PageRange] {
        &self.ranges
    }

    pub fn first_page(&self) -> u64 {
        self.ranges[0].first
    }

    pub fn last_page(&self) -> u64 {
        self.ranges[self.ranges.len() - 1].last
    }

    /// Bytes of segment contents (everything after the header).
    pub fn data_len(&self) -> u64 {
        (self.last_page() - self.first_page() + 1) * PAGE_SIZE
    }

    /// Length of a segment file with this layout: the header page, then the contents.
    pub fn file_len(&self) -> u64 {
        HEADER_LEN + self.data_len()
    }

    /// Offset of `range` within the contents.
    pub fn data_offset(&self, range: &PageRange) -> u64 {
        (range.first - self.first_page()) * PAGE_SIZE
    }

    /// The range holding the page at `data_offset` bytes into the contents.
    pub fn range_at(&self, data_offset: u64) -> Option<&PageRange> {
        let page = self.first_page() + data_offset / PAGE_SIZE;
        self.ranges
            .iter()
            .find(|range| range.first <= page && page <= range.last)
    }

    /// The 4 KiB header page: `ZVMSEG1\n`, one `S-E TT\n` line per range, NUL padding.
    pub fn header(&self) -> Vec<u8> {
        let mut text = format!("{MAGIC}\n");
        for range in &self.ranges {
            text.push_str(&format!("{range}\n"));
        }
        let mut header = text.into_bytes();
        // 1 + 6 lines of at most 18 bytes: always fits.
        header.resize(HEADER_LEN as usize, 0);
        header
    }

    /// Parses a header page; the error is a reason for `Error::Corrupt`.
    pub fn from_header(header: &[u8]) -> std::result::Result<Self, String> {
        if header.len() < HEADER_LEN as usize {
            return Err(format!(
                "header is {} bytes, expected {HEADER_LEN}",
                header.len()
            ));
        }
        let header = &header[..HEADER_LEN as usize];
        let text_len = header.iter().position(|&b| b == 0).unwrap_or(header.len());
        if header[text_len..].iter().any(|&b| b != 0) {
            return Err("header text is followed by something other than NUL padding".into());
        }
        let text = std::str::from_utf8(&header[..text_len])
            .ok()
            .filter(|text| text.is_ascii())
            .ok_or("header is not ASCII text")?;
        let body = text
            .strip_suffix('\n')
            .ok_or("header text does not end with a newline")?;
        let mut lines = body.split('\n');
        if lines.next() != Some(MAGIC) {
            return Err(format!("first line is not {MAGIC}"));
        }
        let mut ranges = Vec::new();
        for line in lines {
            let (range, kind) = line
                .split_once(' ')
                .ok_or_else(|| format!("bad range line '{line}'"))?;
            ranges.push(PageRange::parse(range, kind).map_err(|e| e.to_string())?);
        }
        SegmentLayout::new(ranges).map_err(|e| e.to_string())
    }
}

/// One segment file opened for reading, without the lock (as a loader does).
#[derive(Debug)]
pub struct Segment {
    pub layout: SegmentLayout,
    pub path: PathBuf,
    pub file: File,
}

impl Segment {
    /// Checks the header and length of the open segment file `file`, found at `path`.
    pub fn from_file(path: PathBuf, file: File) -> Result<Self> {
        let corrupt = |reason: String| Error::Corrupt {
            path: path.clone(),
            reason,
        };
        let file_len = file
            .metadata()
            .context(|| format!("examining {}", path.display()))?
            .len();
        if file_len < HEADER_LEN {
            return Err(corrupt(format!("only {file_len} bytes long")));
        }
        let mut header = vec![0u8; HEADER_LEN as usize];
        file.read_exact_at(&mut header, 0)
            .context(|| format!("reading {}", path.display()))?;
        let layout = SegmentLayout::from_header(&header).map_err(corrupt)?;
        // A shorter file cannot be mapped whole (touching past EOF raises SIGBUS).
        let needed = layout.file_len();
        if file_len < needed {
            return Err(corrupt(format!(
                "{file_len} bytes long, its ranges need {needed}"
            )));
        }
        Ok(Segment { layout, path, file })
    }

    /// Writes the contents to `out` as a guest would see them right after loading: ranges that
    /// save no data read as zeros whatever the file holds there.
    pub fn export(&self, out: &mut dyn Write) -> Result<()> {
        let mut buf = vec![0u8; 1 << 20];
        for range in self.layout.ranges() {
            let mut offset = self.layout.data_offset(range);
            let end = offset + range.page_count() * PAGE_SIZE;
            while offset < end {
                let chunk = &mut buf[..(end - offset).min(1 << 20) as usize];
                if range.kind.saves_data() {
                    self.file
                        .read_exact_at(chunk, HEADER_LEN + offset)
                        .context(|| format!("reading {}", self.path.display()))?;
                } else {
                    chunk.fill(0);
                }
                out.write_all(chunk)
                    .context(|| "writing the exported contents".to_string())?;
                offset += chunk.len() as u64;
            }
        }
        out.flush()
            .context(|| "writing the exported contents".to_string())
    }
}

/// Reads `source` to its end into the contents area of `file`, a segment file with `layout`
/// whose contents are already zero-filled. All-zero pages are skipped so they stay holes.
/// Fails if `source` is larger than the contents or puts non-zero bytes into a range that saves
/// no data: the guest would not see them.
pub fn write_contents(
    name: &SegmentName,
    layout: &SegmentLayout,
    source: &mut dyn Read,
    file: &File,
) -> Result<()> {
    const CHUNK: usize = 1 << 20;
    let mut buf = vec![0u8; CHUNK];
    let mut offset = 0u64;
    loop {
        let filled = read_up_to(source, &mut buf).context(|| "reading the new contents".into())?;
        if filled == 0 {
            return Ok(());
        }
        if offset + filled as u64 > layout.data_len() {
            return Err(Error::DataTooBig {
                name: name.to_string(),
                capacity: layout.data_len(),
                size: None,
            });
        }
        for (i, page) in buf[..filled].chunks(PAGE_SIZE as usize).enumerate() {
            if page.iter().all(|&b| b == 0) {
                continue;
            }
            let page_offset = offset + i as u64 * PAGE_SIZE;
            let range = layout
                .range_at(page_offset)
                .expect("offset checked against data_len");
            if !range.kind.saves_data() {
                return Err(Error::DataInNoSaveRange {
                    name: name.to_string(),
                    range: *range,
                });
            }
            file.write_all_at(page, HEADER_LEN + page_offset)
                .context(|| "writing the new contents".into())?;
        }
        offset += filled as u64;
    }
}

/// Fills `buf` as far as `source` allows; returns fewer bytes only at end of input.
fn read_up_to(source: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match source.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// For the unit tests of the modules that render segments: NAME with the layout `dcssctl defseg
/// NAME ARGS...` defines.
#[cfg(test)]
pub fn defined(name: &str, args: &[&str]) -> (SegmentName, SegmentLayout) {
    (
        SegmentName::parse(name).unwrap(),
        SegmentLayout::from_defseg_args(args).unwrap(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout<S: AsRef<str>>(args: &[S]) -> Result<SegmentLayout> {
        SegmentLayout::from_defseg_args(args)
    }

    #[test]
    fn names_are_upper_cased_and_checked() {
        assert_eq!(SegmentName::parse("mondcss").unwrap().as_str(), "MONDCSS");
        assert_eq!(SegmentName::parse("A@#$_-9z").unwrap().as_str(), "A@#$_-9Z");
        assert_eq!(SegmentName::parse("x").unwrap().file_name(), "X.seg");
        for bad in [
            "",
            "NINECHARS",
            "A.B",
            "A/B",
            "A B",
            "ÄB",
            "A*",
            "..",
            "A\0",
        ] {
            assert!(
                matches!(SegmentName::parse(bad), Err(Error::BadName(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn types_are_case_insensitive() {
        for kind in PageType::ALL {
            assert_eq!(
                PageType::parse(&kind.as_str().to_lowercase()).unwrap(),
                kind
            );
        }
        assert!(matches!(PageType::parse("SX"), Err(Error::UnknownType(_))));
        assert!(PageType::SW.saves_data() && PageType::ER.saves_data());
        assert!(!PageType::SN.saves_data() && !PageType::EN.saves_data());
        assert!(!PageType::SC.saves_data());
    }

    #[test]
    fn header_round_trip() {
        let cases: &[&[&str]] = &[
            &["20000-2FFFF", "sr"],
            &["0-FF", "SW"],
            &["7FFFF00-7FFFFFF", "SC"],
            &[
                "100-17F", "EW", "180-1FF", "EN", "200-2FF", "SW", "300-300", "SR", "301-3FE",
                "SN", "3FF-3FF", "ER",
            ],
        ];
        for args in cases {
            let original = layout(args).unwrap();
            let header = original.header();
            assert_eq!(header.len(), HEADER_LEN as usize);
            assert_eq!(SegmentLayout::from_header(&header).unwrap(), original);
        }
    }

    #[test]
    fn header_text_is_cp_notation() {
        let header = layout(&["20000-200ff", "ew", "20100-201FF", "En"])
            .unwrap()
            .header();
        let text = b"ZVMSEG1\n20000-200FF EW\n20100-201FF EN\n";
        assert_eq!(&header[..text.len()], text);
        assert!(header[text.len()..].iter().all(|&b| b == 0));
        let header = layout(&["0-FF", "SW"]).unwrap().header();
        assert!(header.starts_with(b"ZVMSEG1\n0-FF SW\n\0"));
    }

    #[test]
    fn bad_headers_are_refused() {
        let page = |text: &[u8]| {
            let mut header = text.to_vec();
            header.resize(HEADER_LEN as usize, 0);
            SegmentLayout::from_header(&header)
        };
        assert!(page(b"ZVMSEG1\n0-FF SW\n").is_ok());
        assert!(page(b"ZVMSEG2\n0-FF SW\n").is_err());
        assert!(page(b"ZVMSEG1\n0-FF SW").is_err(), "missing final newline");
        assert!(page(b"ZVMSEG1\n").is_err(), "no ranges");
        assert!(page(b"ZVMSEG1\n0-FF\n").is_err(), "no type");
        assert!(page(b"ZVMSEG1\n0-FF XX\n").is_err());
        assert!(page(b"ZVMSEG1\n0-FE SW\n").is_err(), "misaligned");
        assert!(page(b"ZVMSEG1\r\n0-FF SW\r\n").is_err());
        assert!(page("ZVMSEG1\n0-FF SW\n\u{e9}\n".as_bytes()).is_err());
        let mut trailing = layout(&["0-FF", "SW"]).unwrap().header();
        trailing[4000] = b'x';
        assert!(SegmentLayout::from_header(&trailing).is_err());
        assert!(
            SegmentLayout::from_header(b"ZVMSEG1\n0-FF SW\n").is_err(),
            "short"
        );
    }

    #[test]
    fn range_syntax_errors() {
        for bad in [
            "",
            "20000",
            "20000-",
            "-2FFFF",
            "2000G-2FFFF",
            "0x0-FF",
            "0-FF-1FF",
            "+0-FF",
        ] {
            assert!(
                matches!(layout(&[bad, "SW"]), Err(Error::BadRangeSyntax(_))),
                "{bad:?}"
            );
        }
        assert!(matches!(
            layout(&["FF-0", "SW"]),
            Err(Error::ReversedRange(_))
        ));
        assert!(matches!(
            layout(&["0-FF", "XY"]),
            Err(Error::UnknownType(_))
        ));
        assert!(matches!(layout(&["0-FF"]), Err(Error::MissingType(_))));
        assert!(matches!(
            layout(&["0-FF", "SW", "100-1FF"]),
            Err(Error::MissingType(_))
        ));
        assert!(matches!(layout(&[] as &[&str]), Err(Error::NoRanges)));
    }

    #[test]
    fn page_limit() {
        assert!(layout(&["7FFFF00-7FFFFFF", "SW"]).is_ok());
        for bad in [
            "7FFFF00-8000000",
            "8000000-80000FF",
            "0-FFFFFFFFFFFFFFFFFFFF",
        ] {
            assert!(
                matches!(layout(&[bad, "SW"]), Err(Error::PageTooHigh(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn range_relations() {
        let ranges = |n: u64| -> Vec<String> {
            (0..n)
                .flat_map(|i| {
                    [
                        format!("{:X}-{:X}", i * 0x100, i * 0x100 + 0xFF),
                        "EW".into(),
                    ]
                })
                .collect()
        };
        assert!(layout(&ranges(6)).is_ok());
        assert!(matches!(layout(&ranges(7)), Err(Error::TooManyRanges(7))));
        assert!(matches!(
            layout(&["0-FF", "SW", "80-1FF", "SW"]),
            Err(Error::RangesOverlap(_, _))
        ));
        assert!(matches!(
            layout(&["0-1FF", "SW", "100-1FF", "SW"]),
            Err(Error::RangesOverlap(_, _))
        ));
        assert!(matches!(
            layout(&["100-1FF", "SW", "0-FF", "SW"]),
            Err(Error::RangesNotAscending(_, _))
        ));
        assert!(matches!(
            layout(&["0-FF", "SW", "200-2FF", "SW"]),
            Err(Error::RangesNotContiguous(_, _))
        ));
        assert!(matches!(
            layout(&["80-FF", "SW"]),
            Err(Error::MisalignedStart(0x80))
        ));
        assert!(matches!(
            layout(&["0-FE", "SW"]),
            Err(Error::MisalignedEnd(0xFE))
        ));
        // Inner boundaries need no alignment, only the segment's ends.
        assert!(layout(&["0-7", "SR", "8-FF", "SN"]).is_ok());
    }

    #[test]
    fn offsets_within_contents() {
        let l = layout(&["20000-200FF", "EW", "20100-201FF", "EN"]).unwrap();
        assert_eq!((l.first_page(), l.last_page()), (0x20000, 0x201FF));
        assert_eq!(l.data_len(), 2 << 20);
        assert_eq!(l.data_offset(&l.ranges()[1]), 1 << 20);
        assert_eq!(l.range_at(0).unwrap().kind, PageType::EW);
        assert_eq!(l.range_at((1 << 20) - 1).unwrap().kind, PageType::EW);
        assert_eq!(l.range_at(1 << 20).unwrap().kind, PageType::EN);
        assert!(l.range_at(2 << 20).is_none());
    }

    #[test]
    fn every_error_names_its_subject() {
        let message = |args: &[&str]| layout(args).unwrap_err().to_string();
        assert!(message(&["0-FF", "QQ"]).contains("QQ"));
        assert!(message(&["0-FG", "SW"]).contains("0-FG"));
        assert!(message(&["0-FF", "SW", "80-1FF", "SW"]).contains("80-1FF"));
        assert!(message(&["0-FF", "SW", "200-2FF", "SW"]).contains("200-2FF"));
        assert!(message(&["10-FF", "SW"]).contains("10"));
        assert!(SegmentName::parse("BAD.NAME")
            .unwrap_err()
            .to_string()
            .contains("BAD.NAME"));
    }
}
