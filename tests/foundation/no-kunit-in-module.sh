# The production module (make module) carries no KUnit suites: loaded with KUnit enabled, it runs
# none and does not taint the kernel with TAINT_TEST (bit 18); the test build
# (tools/build-module --kunit) runs all of them (the KUnit layer of make check counts them).
set -euo pipefail
cat >"$T/guest" <<'G'
set -e
dmesg -C
modprobe dcssblk_rs
t=$(cat /proc/sys/kernel/tainted)
if [ $(( (t >> 18) & 1 )) -ne 0 ]; then echo "loading dcssblk_rs set TAINT_TEST (tainted=$t)"; exit 1; fi
if dmesg | grep -E 'Subtest: dcssblk_rs|KTAP'; then echo "loading dcssblk_rs ran KUnit suites"; exit 1; fi
rmmod dcssblk_rs
echo "no KUnit suites in the production module (tainted=$t)"
G
"$VM" run --kunit "$T/guest"
