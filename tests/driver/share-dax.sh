# The paper's point, on the host: two guests (two emulator processes) mount the same SR DCSS
# `-o dax,ro` and read a 12 MiB file from it with read(2) and through an mmap; the host holds the
# segment's pages once (each emulator's smaps of NAME.seg: Rss >= the file, Pss = Rss / 2) and neither
# guest's page cache grows. tests/emulator/share-rss shows the same for plain block reads.
set -euo pipefail
NO_KMEMLEAK="the DAX paths of dax and workflow-ext2, which are leak-checked"
. tests/lib/host.sh
defseg SHD 50000-50FFF SR          # 16 MiB at 1280 MiB: 2 MiB aligned, DAX
mkdir -p "$T/tree"
head -c $((12 << 20)) /dev/urandom >"$T/tree/data"
"$DCSSCTL" --dir "$SEG" populate SHD --from "$T/tree" >/dev/null
md=$(md5sum <"$T/tree/data" | cut -d' ' -f1)
rm -rf "$T/tree"
measure_two_guests SHD --timeout 1000 --env MD="$md" tests/driver/share-dax.guest
expect_one_host_copy 12288 "$R0" "$P0" "$R1" "$P1"   # the 12 MiB file at least
pass "the DAX-mounted segment is one host copy for both guests (Pss = Rss/2)"
