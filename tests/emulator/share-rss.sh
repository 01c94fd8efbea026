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
vm --guests 2 --pid-dir "$T/pids" --timeout 900 --env MD="$(export_md5 BIG)" \
	tests/emulator/share-rss.guest >"$T/out" 2>&1 &
vmpid=$!
# Both guests print READY after reading everything, then idle for a while.
both_ready() { [ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || ! kill -0 $vmpid 2>/dev/null; }
poll 600 both_ready || true
[ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || { cat "$T/out"; fail "guests did not get ready"; }
# smaps_of PID: "Rss Pss" in KiB summed over the mappings of the segment file.
smaps_of() {
	awk -v f="$SEG/BIG.seg" '
		/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == f) }
		m && $1 == "Rss:" { r += $2 } m && $1 == "Pss:" { p += $2 }
		END { print r + 0, p + 0 }' "/proc/$1/smaps"
}
read -r r0 p0 < <(smaps_of "$(cat "$T/pids/g0.pid")")
read -r r1 p1 < <(smaps_of "$(cat "$T/pids/g1.pid")")
echo "# QEMU g0: Rss ${r0} KiB Pss ${p0} KiB; QEMU g1: Rss ${r1} KiB Pss ${p1} KiB (segment 65536 KiB)"
wait $vmpid || { cat "$T/out"; fail "guests failed"; }
for r in "$r0" "$r1"; do [ "$r" -ge $((65536 * 95 / 100)) ] || fail "Rss $r KiB: segment not resident"; done
for x in "$r0 $p0" "$r1 $p1"; do
	set -- $x
	# Pss is Rss/2 when exactly these two processes map every page
	[ $(($2 * 100 / $1)) -ge 45 ] && [ $(($2 * 100 / $1)) -le 55 ] || fail "Pss $2 KiB is not about half of Rss $1 KiB"
done
pass "segment pages shared by both QEMUs (Pss = Rss/2)"
