# An IPL purges every saved segment the guest has loaded (as on z/VM): a guest loads a segment,
# reboots (DIAG 308 re-IPL -> machine reset), and after the IPL PURGESEG finds it not loaded
# (cc 1) and it loads again with the same contents. tools/vm turns a reboot into an exit
# (-no-reboot), so this test starts QEMU itself the way tools/vm does, with a marker disk.
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
defseg RST 20000-200FF SR
head -c $((1 << 20)) /dev/urandom >"$T/d"; "$DCSSCTL" --dir "$SEG" import RST "$T/d"
kdir=$("$TOP/tools/build-kernel")
kver=$(cat "$kdir/include/config/kernel.release")
initrd=$("$TOP/tools/mkinitramfs" "$kdir")
qemu=$("$TOP/tools/build-qemu")
ov=$T/overlay
mkdir -p "$ov/test" "$ov/lib/modules/$kver/extra"
cp tests/emulator/reset.guest "$ov/test/script"
cp tests/lib/guest.sh "$ov/test/lib.sh"
printf 'GUEST=0\nDRIVER=dcssblk\nMD=%s\n' "$(md5sum <"$T/d" | cut -d' ' -f1)" >"$ov/test/env"
cp "$ko" "$ov/lib/modules/$kver/extra/"
(cd "$ov" && find . | cpio -o -H newc --quiet) | cat "$initrd" - >"$T/initrd"
truncate -s 1M "$T/disk"
timeout 200 "$qemu" -machine "s390-ccw-virtio,zvm-segments=$SEG" -cpu max -m 512M -nographic \
	-nodefaults -chardev stdio,id=con,signal=off -device sclpconsole,chardev=con \
	-kernel "$kdir/arch/s390/boot/bzImage" -initrd "$T/initrd" \
	-append "console=ttysclp0 panic=-1 oops=panic loglevel=7 rcupdate.rcu_cpu_stall_timeout=300 nowatchdog" \
	-drive "file=$T/disk,format=raw,if=none,id=d" -device virtio-blk-ccw,drive=d \
	</dev/null 2>&1 | tr -d '\r' | tee "$T/console"
[ "$(grep -c 'Linux version' "$T/console")" = 2 ] || fail "expected two boots"
grep -qE 'Oops|Kernel panic|BUG:|WARNING:' "$T/console" && fail "kernel problem"
grep -qx '@@DCSSTEST-EXIT 0@@' "$T/console" || fail "second boot failed"
pass "IPL purged the segment; it loads again afterwards"
