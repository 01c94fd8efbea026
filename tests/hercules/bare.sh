# The Hercules emulator (tools/build-hercules, tools/vm --emulator hercules), as Debian ships it: a
# bare machine without z/VM's services. The test kernel boots there and shows its console; the
# module's KUnit suites all pass there; both drivers load, refuse every add with ENOSYS as on stock
# QEMU (tests/driver/add-enosys) and unload.
set -euo pipefail
. tests/lib/common.sh
ko=$("$TOP/tools/build-module" --kunit) || fail "tools/build-module --kunit"
"$VM" run --emulator hercules --kunit --module "$ko" --timeout 600 tests/hercules/bare.guest | tee "$T/console"
console=$(tr -d '\r' <"$T/console" | sed 's/^\[+[0-9]*s\] //')
# Every KUnit suite of the sources reports "ok" (its own, unindented line), none "not ok".
kunit_suites >"$T/suites"
[ -s "$T/suites" ] || fail "no #[kunit_tests(NAME)] suite found in the sources"
while read -r s; do
	grep -qE "^ok [0-9]+ $s\$" <<<"$console" || fail "KUnit suite $s did not report ok on Hercules"
done <"$T/suites"
! grep -qE '^ *not ok ' <<<"$console" || fail "a KUnit case or a check failed on Hercules"
pass "$(wc -l <"$T/suites") KUnit suites passed on Hercules"
