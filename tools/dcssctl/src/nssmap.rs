//! `dcssctl list`: the catalog in the layout of CP's `QUERY NSS MAP` response, so that output
//! from a real z/VM and from the emulation can be compared side by side.

use crate::segment_file::{SegmentLayout, SegmentName};

pub const HEADER: [&str; 11] = [
    "FILE", "FILENAME", "FILETYPE", "MINSIZE", "BEGPAG", "ENDPAG", "TYPE", "CL", "#USERS",
    "PARMREGS", "VMGROUP",
];

/// Column widths as CP pads them (the last column is not padded).
const WIDTHS: [usize; 10] = [4, 8, 8, 8, 6, 6, 4, 2, 6, 8];

/// Renders the map: one line per page range; the first line of a segment carries the file
/// columns and continuation lines only BEGPAG, ENDPAG and TYPE, as CP shows multi-range files.
///
/// Host-side stand-ins for what only CP knows: FILE is the segment's position in the listing
/// (CP shows a spool file id), CL is always A (saved and available), and #USERS is N/A because
/// the loaded copies live in running emulators.
pub fn render(segments: &[(SegmentName, SegmentLayout)]) -> String {
    let mut out = format_row(&HEADER.map(String::from));
    for (index, (name, layout)) in segments.iter().enumerate() {
        for (nth, range) in layout.ranges().iter().enumerate() {
            let pages = [page(range.first), page(range.last), range.kind.to_string()];
            let row: [String; 11] = if nth == 0 {
                let [beg, end, kind] = pages;
                [
                    format!("{:04}", index + 1),
                    name.to_string(),
                    "DCSS".into(),
                    "N/A".into(),
                    beg,
                    end,
                    kind,
                    "A".into(),
                    "N/A".into(),
                    "N/A".into(),
                    "N/A".into(),
                ]
            } else {
                let [beg, end, kind] = pages;
                let blank = String::new;
                [
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                    beg,
                    end,
                    kind,
                    blank(),
                    blank(),
                    blank(),
                    blank(),
                ]
            };
            out.push_str(&format_row(&row));
        }
    }
    out
}

/// BEGPAG/ENDPAG: page numbers as 5-digit (or wider, above page FFFFF) upper-case hex.
fn page(number: u64) -> String {
    format!("{number:05X}")
}

fn format_row(cells: &[String; 11]) -> String {
    let mut line = String::new();
    for (cell, width) in cells.iter().zip(WIDTHS) {
        line.push_str(&format!("{cell:<width$} "));
    }
    line.push_str(&cells[10]);
    let mut line = line.trim_end().to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::segment_file::defined as segment;

    #[test]
    fn empty_catalog_is_the_header_only() {
        assert_eq!(
            render(&[]),
            "FILE FILENAME FILETYPE MINSIZE  BEGPAG ENDPAG TYPE CL #USERS PARMREGS VMGROUP\n"
        );
    }

    #[test]
    fn single_and_multi_range_segments() {
        let map = render(&[
            segment("MONDCSS", &["9000-97FF", "SC"]),
            segment("MIXED", &["20000-200FF", "EW", "20100-201FF", "EN"]),
            segment("HIGH", &["7FFFF00-7FFFFFF", "SR"]),
        ]);
        let expected = "\
FILE FILENAME FILETYPE MINSIZE  BEGPAG ENDPAG TYPE CL #USERS PARMREGS VMGROUP
0001 MONDCSS  DCSS     N/A      09000  097FF  SC   A  N/A    N/A      N/A
0002 MIXED    DCSS     N/A      20000  200FF  EW   A  N/A    N/A      N/A
                                20100  201FF  EN
0003 HIGH     DCSS     N/A      7FFFF00 7FFFFFF SR   A  N/A    N/A      N/A
";
        assert_eq!(map, expected);
    }
}
