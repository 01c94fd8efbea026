# Shared by the host sides of the guest tests (tests/lib/host.sh for tests/driver/,
# tests/emulator/lib.bash): the catalog in $T/seg, failing, catalog and memory helpers.
# shellcheck shell=bash
: "${T:?}" "${VM:?}" "${DCSSCTL:?}" "${TOP:?}"
. "$TOP/tools/lib.sh"
mkdir -p "$T/seg"
# Resolved, as tools/vm hands it to QEMU (smaps shows that path).
SEG=$(realpath "$T/seg")
# In a subshell ("$(seg_page ...)") exit would end only the subshell: stop the test itself.
fail() { echo "FAIL: $*" >&2; [ "$BASHPID" = "$$" ] || kill -TERM $$; exit 1; }
pass() { echo "ok - $*"; }
# defseg NAME RANGE TYPE [RANGE TYPE ...]   (hex pages, CP DEFSEG syntax)
defseg() { "$DCSSCTL" --dir "$SEG" defseg "$@" >/dev/null; }
# Signals through the catalog (the guests' side and why: tests/lib/guest.sh): post NAME defines a
# segment the guests see in QUERY NSS MAP; posted NAME: a guest has posted NAME.
post() { defseg "$1" 7FF00-7FFFF SR; }
posted() { [ -e "$SEG/$1.seg" ]; }
# expect_one_host_copy KIB RSS0 PSS0 RSS1 PSS1: both emulator processes have at least KIB of the segment
# resident and each is charged about half of what it has (exactly these two processes map every
# page: one host copy).
expect_one_host_copy() {
	local want=$1 r p
	shift
	while [ $# -ge 2 ]; do
		r=$1 p=$2
		shift 2
		[ "$r" -ge "$want" ] || fail "Rss $r KiB: less than the $want KiB the guests read is resident"
		half_charged "$r" "$p" || fail "Pss $p KiB is not about half of Rss $r KiB"
	done
}
# measure_two_guests NAME [tools/vm options...] SCRIPT: boots two guests with `vm` (the caller's
# library defines it); SCRIPT prints READY-TO-MEASURE once it has read the segment and keeps it
# until the host posts MEASURED. Meanwhile sets R0 P0 R1 P1, each emulator's "Rss Pss" (KiB) of
# NAME.seg; fails if the guests do not get ready or fail.
measure_two_guests() {
	local name=$1 vmpid rc=0
	shift
	mkdir -p "$T/pids"
	vm --guests 2 --pid-dir "$T/pids" "$@" >"$T/out" 2>&1 &
	vmpid=$!
	# A failing check below must not leave the guests waiting for MEASURED.
	_MEASURED_VM=$vmpid
	trap 'kill "$_MEASURED_VM" 2>/dev/null || true' EXIT
	_ready() { [ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ]; }
	_ready_or_gone() { _ready || ! kill -0 "$vmpid" 2>/dev/null; }
	poll 1000 _ready_or_gone || true
	_ready || { wait "$vmpid" || true; cat "$T/out"; fail "guests did not get ready"; }
	read -r R0 P0 < <(smaps_of "$(cat "$T/pids/g0.pid")" "$SEG/$name.seg")
	read -r R1 P1 < <(smaps_of "$(cat "$T/pids/g1.pid")" "$SEG/$name.seg")
	post MEASURED
	wait "$vmpid" || rc=$?
	cat "$T/out"
	[ $rc = 0 ] || fail "guests failed"
	echo "# g0: Rss $R0 KiB Pss $P0 KiB; g1: Rss $R1 KiB Pss $P1 KiB"
}
. "$TOP/tests/lib/zvmtest.sh"
