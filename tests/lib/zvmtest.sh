# Guest probe modules of tests/emulator/ (zvmtest, diagfuzz), built in $T against the kernel of
# DCSS_KERNEL. Sourced by tests/emulator/lib.bash and tests/lib/host.sh (which define `fail`).
# shellcheck shell=bash
# probe_ko NAME: builds tests/emulator/NAME/NAME.ko; prints its path.
probe_ko() {
	local k
	k=$("$TOP/tools/build-kernel" ${DCSS_KERNEL:-}) || fail "tools/build-kernel"
	rm -rf "$T/$1"; cp -r "$TOP/tests/emulator/$1" "$T/$1"
	PATH=/usr/lib/llvm-19/bin:$PATH make -s -C "$k" M="$T/$1" ARCH=s390 LLVM=1 modules >&2 ||
		fail "building $1.ko"
	echo "$T/$1/$1.ko"
}
zvmtest_ko() { probe_ko zvmtest; }
