# A broken module must fail the guest tests: build a copy of the module whose init returns an
# error and check that the KUnit guest (what `make check` runs first) reports failure.
set -euo pipefail
. "$TOP/tools/lib.sh"
kdir=$("$TOP/tools/build-kernel" ${DCSS_KERNEL:-})
mkdir "$T/broken"
copy_module_sources "$T/broken/"
grep -q 'fn init(_module: &.static ThisModule) -> Result<Self> {' "$T/broken/dcssblk_rs.rs"
sed -i '/fn init(_module: &.static ThisModule) -> Result<Self> {/a\        #[allow(unreachable_code)]\n        return Err(kernel::error::code::EINVAL);' \
	"$T/broken/dcssblk_rs.rs"
make -s -C "$kdir" M="$T/broken" ARCH=s390 LLVM=1 RUSTC=/usr/bin/rustc modules >"$T/build.log" 2>&1 ||
	{ cat "$T/build.log"; exit 1; }
if "$VM" run --kunit --module "$T/broken/dcssblk-rs.ko" "$TOP/tests/kunit.guest" >"$T/out" 2>&1; then
	cat "$T/out"; echo "a module whose init fails passed the KUnit guest"; exit 1
fi
grep -q 'modprobe: ERROR' "$T/out" || { cat "$T/out"; exit 1; }
echo "broken module detected: $(grep 'modprobe: ERROR' "$T/out")"
