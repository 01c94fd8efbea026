# One catalog, two emulators: a QEMU guest and a Hercules guest (ZVMSEGS) load the same SR segment
# shared at the same time and read all of it. Both processes map DIR/NAME.seg MAP_SHARED (QEMU's
# zvm-cp.c, Hercules' zvm-herc.c, one core: tools/zvm/zvm-core.c), so the host holds its pages
# once: in each process's /proc/PID/smaps the segment is resident (Rss) and charged half (Pss).
set -euo pipefail
. tests/emulator/lib.bash
defseg MIX 20000-20FFF SR           # 16 MiB at 512 MiB
head -c $((16 << 20)) /dev/urandom >"$T/d"
"$DCSSCTL" --dir "$SEG" import MIX "$T/d"
md=$(md5sum <"$T/d" | cut -d' ' -f1)
rm -f "$T/d"
mkdir -p "$T/pq" "$T/ph"
# Each guest keeps the segment until the host has measured and posts MEASURED (tests/lib/guest.sh).
for e in qemu hercules; do
	vm --emulator "$e" --pid-dir "$T/p${e:0:1}" --timeout 700 --env MD="$md" \
		tests/hercules/mixed-share.guest >"$T/out-$e" 2>&1 &
	eval "vm_$e=$!"
done
trap 'kill "$vm_qemu" "$vm_hercules" 2>/dev/null || true' EXIT
_ready() { grep -q READY-TO-MEASURE "$T/out-qemu" && grep -q READY-TO-MEASURE "$T/out-hercules"; }
_ready_or_gone() { _ready || ! kill -0 "$vm_qemu" 2>/dev/null || ! kill -0 "$vm_hercules" 2>/dev/null; }
poll 500 _ready_or_gone || true
_ready || { cat "$T/out-qemu" "$T/out-hercules"; fail "the guests did not get ready"; }
read -r RQ PQ < <(smaps_of "$(cat "$T/pq/g0.pid")" "$SEG/MIX.seg")
read -r RH PH < <(smaps_of "$(cat "$T/ph/g0.pid")" "$SEG/MIX.seg")
echo "# QEMU: Rss $RQ KiB Pss $PQ KiB; Hercules: Rss $RH KiB Pss $PH KiB"
post MEASURED
rc=0
wait "$vm_qemu" || rc=1
wait "$vm_hercules" || rc=1
cat "$T/out-qemu" "$T/out-hercules"
[ $rc = 0 ] || fail "a guest failed"
expect_one_host_copy $((16384 * 95 / 100)) "$RQ" "$PQ" "$RH" "$PH"
pass "one host copy of the segment for a QEMU and a Hercules guest (Pss = Rss/2 in both)"
