# An IPL purges every saved segment the guest has loaded (as on z/VM): a guest loads a segment,
# reboots (DIAG 308 re-IPL -> machine reset), and after the IPL PURGESEG finds it not loaded
# (cc 1) and it loads again with the same contents. A marker on a small disk tells the boots apart.
# emulator: qemu (re-IPL and a shared virtio disk)
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
defseg RST 20000-200FF SR
head -c $((1 << 20)) /dev/urandom >"$T/d"; "$DCSSCTL" --dir "$SEG" import RST "$T/d"
truncate -s 1M "$T/disk"
vm --reboot --shared-disk "$T/disk" --module "$ko" --env MD="$(md5sum <"$T/d" | cut -d' ' -f1)" \
	tests/emulator/reset.guest | tee "$T/console"
[ "$(grep -c 'Linux version' "$T/console")" = 2 ] || fail "expected two boots"
pass "IPL purged the segment; it loads again afterwards"
