# Shared by the host sides of the guest tests (tests/lib/host.sh for tests/driver/,
# tests/emulator/lib.bash): the catalog in $T/seg, failing, catalog and memory helpers.
# shellcheck shell=bash
: "${T:?}" "${VM:?}" "${DCSSCTL:?}" "${TOP:?}"
. "$TOP/tools/lib.sh"
SEG=$T/seg
mkdir -p "$SEG"
# In a subshell ("$(seg_page ...)") exit would end only the subshell: stop the test itself.
fail() { echo "FAIL: $*" >&2; [ "$BASHPID" = "$$" ] || kill -TERM $$; exit 1; }
pass() { echo "ok - $*"; }
# defseg NAME RANGE TYPE [RANGE TYPE ...]   (hex pages, CP DEFSEG syntax)
defseg() { "$DCSSCTL" --dir "$SEG" defseg "$@" >/dev/null; }
# smaps_of PID FILE: "Rss Pss" in KiB summed over process PID's mappings of FILE (a QEMU maps a
# loaded shared segment's NAME.seg MAP_SHARED: one host copy, Pss = Rss / number of guests).
smaps_of() {
	awk -v f="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == f) }
		m && $1 == "Rss:" { r += $2 } m && $1 == "Pss:" { p += $2 }
		END { print r + 0, p + 0 }' "/proc/$1/smaps"
}
# expect_one_host_copy KIB RSS0 PSS0 RSS1 PSS1: both QEMUs have at least KIB of the segment
# resident and each is charged about half of what it has (exactly these two processes map every
# page: one host copy).
expect_one_host_copy() {
	local want=$1 r p
	shift
	while [ $# -ge 2 ]; do
		r=$1 p=$2
		shift 2
		[ "$r" -ge "$want" ] || fail "Rss $r KiB: less than the $want KiB the guests read is resident"
		[ $((p * 100 / r)) -ge 45 ] && [ $((p * 100 / r)) -le 55 ] || fail "Pss $p KiB is not about half of Rss $r KiB"
	done
}
. "$TOP/tests/lib/zvmtest.sh"
