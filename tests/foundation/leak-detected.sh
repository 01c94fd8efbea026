# The harness must catch a kernel memory leak: a module that loses an allocation fails the guest
# script through tests/lib/guest.sh's kmemleak scan, although every check in it passed.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$TOP/tests/lib/zvmtest.sh"
ko=$(zvmtest_ko)
cat >"$T/guest" <<'G'
. /test/lib.sh
check "kmemleak is on" test -w /sys/kernel/debug/kmemleak
need "modprobe zvmtest leak=1" modprobe zvmtest leak=1
rmmod zvmtest
# No wait here: the final scan itself must wait out kmemleak's 5 s minimum object age.
G
if "$VM" run --kmemleak --module "$ko" "$T/guest" >"$T/out" 2>&1; then cat "$T/out"; fail "a leaking guest passed"; fi
grep -q 'not ok - kmemleak reports unreferenced objects' "$T/out" || { cat "$T/out"; fail "no kmemleak report"; }
grep -q '# all 2 checks passed' "$T/out" && fail "the leak did not count as a failure"
grep -q 'unreferenced object .*(size 64)' "$T/out" || { cat "$T/out"; fail "no 64-byte object in the report"; }
echo "leak detected: $(grep -m1 '#   unreferenced object' "$T/out")"
