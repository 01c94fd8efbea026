# zvmtest_ko: builds the guest probe module tests/emulator/zvmtest in $T; prints the .ko path.
# Sourced by tests/emulator/lib.bash and tests/lib/host.sh (which define `fail`).
# shellcheck shell=bash
zvmtest_ko() {
	local k
	k=$("$TOP/tools/build-kernel" ${DCSS_KERNEL:-}) || fail "tools/build-kernel"
	rm -rf "$T/zvmtest"; cp -r "$TOP/tests/emulator/zvmtest" "$T/zvmtest"
	PATH=/usr/lib/llvm-19/bin:$PATH make -s -C "$k" M="$T/zvmtest" ARCH=s390 LLVM=1 modules >&2 ||
		fail "building zvmtest.ko"
	echo "$T/zvmtest/zvmtest.ko"
}
