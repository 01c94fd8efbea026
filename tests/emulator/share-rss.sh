# Two guests (two emulator processes) load the same SR segment shared and read all of it: the host
# holds its pages once. Each maps DIR/NAME.seg MAP_SHARED, so in /proc/PID/smaps both show
# the whole segment resident (Rss) and each is charged half of it (Pss ~ Rss/2).
set -euo pipefail
. tests/emulator/lib.bash
defseg BIG 20000-23FFF SR           # 64 MiB at 512 MiB
head -c $((64 << 20)) /dev/urandom >"$T/d"
"$DCSSCTL" --dir "$SEG" import BIG "$T/d"
rm -f "$T/d"
# Both guests read everything, then keep the segment until the host has measured.
measure_two_guests BIG --timeout 900 --env MD="$(export_md5 BIG)" tests/emulator/share-rss.guest
expect_one_host_copy $((65536 * 95 / 100)) "$R0" "$P0" "$R1" "$P1"
pass "segment pages shared by both emulator processes (Pss = Rss/2)"
