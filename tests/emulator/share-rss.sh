# Two guests (two QEMU processes) load the same SR segment shared and read all of it: the host
# holds its pages once. Each QEMU maps DIR/NAME.seg MAP_SHARED, so in /proc/PID/smaps both show
# the whole segment resident (Rss) and each is charged half of it (Pss ~ Rss/2).
set -euo pipefail
. tests/emulator/lib.bash
defseg BIG 20000-23FFF SR           # 64 MiB at 512 MiB
head -c $((64 << 20)) /dev/urandom >"$T/d"
"$DCSSCTL" --dir "$SEG" import BIG "$T/d"
rm -f "$T/d"
mkdir -p "$T/pids"
truncate -s 1M "$T/disk"
vm --guests 2 --pid-dir "$T/pids" --shared-disk "$T/disk" --timeout 900 --env MD="$(export_md5 BIG)" \
	tests/emulator/share-rss.guest >"$T/out" 2>&1 &
vmpid=$!
# Both guests print READY after reading everything, then keep the segment until the host has
# measured (MEASURED on the shared disk).
both_ready() { [ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || ! kill -0 $vmpid 2>/dev/null; }
poll 600 both_ready || true
[ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || { cat "$T/out"; fail "guests did not get ready"; }
read -r r0 p0 < <(smaps_of "$(cat "$T/pids/g0.pid")" "$SEG/BIG.seg")
read -r r1 p1 < <(smaps_of "$(cat "$T/pids/g1.pid")" "$SEG/BIG.seg")
echo "# QEMU g0: Rss ${r0} KiB Pss ${p0} KiB; QEMU g1: Rss ${r1} KiB Pss ${p1} KiB (segment 65536 KiB)"
printf MEASURED | dd of="$T/disk" conv=notrunc status=none
wait $vmpid || { cat "$T/out"; fail "guests failed"; }
expect_one_host_copy $((65536 * 95 / 100)) "$r0" "$p0" "$r1" "$p1"
pass "segment pages shared by both QEMUs (Pss = Rss/2)"
