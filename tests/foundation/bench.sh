# make bench's short slice (the whole: `make bench`, README "Benchmark"): the quick job set for
# both drivers, brd and the copy limit in one boot, on the instruction clock. tools/bench fails if
# the guest fails or a measurement is missing; here the report must also carry a Rust/C ratio and
# a copy-limit share for every job it planned, and the plot must exist.
# emulator: qemu (fio on a virtio disk image, the instruction clock)
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
# 20 ms of guest time per job (make bench: 100): on the instruction clock a 1 MiB job copies
# hundreds of MiB per 100 ms in host time, which made this slice 764 s of guest run on 2026-12-07.
BENCH_OUT=$T/out ROUNDS=2 JOBS=quick RUNTIME_MS=20 ICOUNT=1 "$TOP/tools/bench" >"$T/log" 2>&1 ||
	{ cat "$T/log"; fail "make bench (quick) failed"; }
cat "$T/out/report.md"
grep -q 'clock: instruction count' "$T/out/report.md" || fail "the report does not name the instruction clock"
for j in psync-direct-read-1m libaio-direct-randwrite-4k mmap-dax-read-1m; do
	grep -qE "^\| $j \| [0-9]+ \| [0-9]+ \| \*\*[0-9]+\.[0-9]{3}\*\* \([0-9.]+-[0-9.]+\) \| ([0-9]+|-) \| [0-9]+\.[0-9]{2} \| [0-9]+\.[0-9]{2} \|$" \
		"$T/out/report.md" || fail "no complete row for $j"
done
[ "$(awk '$2 == "dcssblk" || $2 == "dcssblk_rs"' "$T/out/results.txt" | wc -l)" = $((2 * 2 * 4)) ] ||
	fail "want 2 rounds x 2 drivers x 4 measurements (3 jobs, add+remove) in results.txt"
[ -s "$T/out/throughput.png" ] || fail "no throughput.png"
echo "ok make bench's quick set reports every job for both drivers, brd and the copy limit"
