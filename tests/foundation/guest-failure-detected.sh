# The harness itself must fail: a failing guest script and a guest that never finishes are failures.
set -uo pipefail
. "$TOP/tools/lib.sh"
plain_kernel
echo 'exit 3' >"$T/fail"
if "$VM" run "$T/fail" >"$T/out" 2>&1; then echo "a failing guest script passed"; exit 1; fi
grep -q 'script exited 3' "$T/out" || { cat "$T/out"; exit 1; }
echo 'sleep 1000' >"$T/hang"
if "$VM" run --timeout 20 "$T/hang" >"$T/out" 2>&1; then echo "a hanging guest passed"; exit 1; fi
grep -q 'timed out after' "$T/out" || { cat "$T/out"; exit 1; }
echo "failures detected"
