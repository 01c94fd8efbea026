# Without -machine ...,zvm-segments=DIR the QEMU behaves as stock: the guest is a KVM/Linux-style
# guest, not z/VM (dcssblk cannot load anything), IUCV is an operation exception, DIAG 8/64 are
# specification exceptions. A missing catalog directory is refused at start-up.
# emulator: qemu (stock QEMU's own answers: Hercules without ZVMSEGS is tests/hercules/bare)
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
"$VM" run --env DRIVER=dcssblk --module "$ko" tests/emulator/stock.guest
q=$("$TOP/tools/build-qemu" 2>/dev/null)
if out=$("$q" -machine "s390-ccw-virtio,zvm-segments=$T/nonexistent" -display none -nodefaults 2>&1); then
	fail "QEMU started with a missing catalog directory"
fi
echo "$out" | grep -q 'is not a directory' || fail "unexpected error: $out"
pass "missing catalog directory refused: $out"
