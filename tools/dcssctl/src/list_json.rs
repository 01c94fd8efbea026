//! `dcssctl list --json`: the catalog for programs. The schema (README.md, "dcssctl") carries
//! what the segment files record and nothing of the QUERY NSS MAP table's stand-in columns:
//!
//! ```text
//! [{"name": "MIXED", "size": 2097152,
//!   "ranges": [{"first_page": "20000", "last_page": "200FF", "type": "EW"},
//!              {"first_page": "20100", "last_page": "201FF", "type": "EN"}]}]
//! ```
//!
//! Page numbers are strings in CP DEFSEG notation (upper-case hex, no leading zeros), the text
//! `defseg` takes back; `size` is the bytes of contents, what `export` writes.

use serde::Serialize;

use crate::segment_file::{PageRange, SegmentLayout, SegmentName};

#[derive(Serialize)]
struct SegmentEntry<'a> {
    name: &'a str,
    size: u64,
    ranges: Vec<RangeEntry>,
}

#[derive(Serialize)]
struct RangeEntry {
    first_page: String,
    last_page: String,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl From<&PageRange> for RangeEntry {
    fn from(range: &PageRange) -> Self {
        RangeEntry {
            first_page: format!("{:X}", range.first),
            last_page: format!("{:X}", range.last),
            kind: range.kind.as_str(),
        }
    }
}

/// One JSON array, one object per segment in the order given, then a newline.
pub fn render(segments: &[(SegmentName, SegmentLayout)]) -> String {
    let entries: Vec<SegmentEntry> = segments
        .iter()
        .map(|(name, layout)| SegmentEntry {
            name: name.as_str(),
            size: layout.data_len(),
            ranges: layout.ranges().iter().map(RangeEntry::from).collect(),
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&entries).expect("strings and integers always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::segment_file::defined as segment;

    #[test]
    fn empty_catalog_is_an_empty_array() {
        assert_eq!(render(&[]), "[]\n");
    }

    #[test]
    fn segments_in_cp_notation() {
        let text = render(&[
            segment("mixed", &["20000-200ff", "ew", "20100-201FF", "EN"]),
            segment("LOW", &["0-FF", "SC"]),
        ]);
        let expected = serde_json::json!([
            {"name": "MIXED", "size": 2 << 20, "ranges": [
                {"first_page": "20000", "last_page": "200FF", "type": "EW"},
                {"first_page": "20100", "last_page": "201FF", "type": "EN"},
            ]},
            {"name": "LOW", "size": 1 << 20, "ranges": [
                {"first_page": "0", "last_page": "FF", "type": "SC"},
            ]},
        ]);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed, expected);
        assert!(text.ends_with("]\n"));
    }
}
