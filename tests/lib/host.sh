# Host side of tests/driver/*.sh: source it after `set -euo pipefail`.
# shellcheck shell=bash
# Env from tests/run: TOP, VM, DCSSCTL, T, DRIVER. Segments live in $SEG (a fresh catalog).
: "${DRIVER:?}"
. "$TOP/tests/lib/common.sh"
case $DRIVER in dcssblk | dcssblk_rs) ;; *) echo "DRIVER=$DRIVER: want dcssblk or dcssblk_rs" >&2; exit 1 ;; esac
# tools/vm options of every driver test's guest: the driver, and kmemleak for the Rust driver (the
# C reference is not under test). kmemleak makes every guest step 2-3x slower, so a test whose
# driver paths other tests already leak-check sets NO_KMEMLEAK="why" before sourcing this file.
DRIVER_VM=(--env DRIVER="$DRIVER")
# The Rust driver under test runs on the test kernel (lockdep, kmemleak, list and sleep checks),
# the C reference's run on the plain kernel (its checks and transcript do not need them), unless
# the test sets C_ON_TEST_KERNEL="why" before sourcing this file.
[ "$DRIVER" != dcssblk ] || [ -n "${C_ON_TEST_KERNEL:-}" ] || plain_kernel
[ "$DRIVER" != dcssblk_rs ] || [ -n "${NO_KMEMLEAK:-}" ] || DRIVER_VM+=(--kmemleak)
# vm [tools/vm run options...] SCRIPT: one or more guests with the z/VM emulation on $SEG.
vm() { "$VM" run --segments "$SEG" "${DRIVER_VM[@]}" "$@"; }
# seg_page NAME PAGE: first line of 4 KiB page PAGE (relative) of segment NAME's saved contents.
seg_page() {
	"$DCSSCTL" --dir "$SEG" export "$1" "$T/.export" || fail "dcssctl export $1"
	dd if="$T/.export" bs=4096 skip="$2" count=1 2>/dev/null | head -n1 | tr -d ' \0'
}
# pages TAG FIRST COUNT: the pattern tests/lib/guest.sh's gen_pages makes (page = "TAG:P" lines).
pages() {
	local i l
	for ((i = $2; i < $2 + $3; i++)); do l=$(printf '%-15s' "$1:$i"); printf "$l\n%.0s" {1..256}; done
}
# fill NAME COUNT: saves pages NAME:0 .. NAME:COUNT-1 as the contents of segment NAME.
fill() { pages "$1" 0 "$2" >"$T/.fill" && "$DCSSCTL" --dir "$SEG" import "$1" "$T/.fill" || fail "dcssctl import $1"; }
