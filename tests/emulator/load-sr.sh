# DIAG X'64' load of SR segments seen through the C dcssblk: right size and contents, read-only,
# DAX for a 2 MiB aligned segment and not for a 1 MiB aligned one; unknown name -> ENOENT (rc 44);
# a segment inside guest storage -> EBUSY (Linux refuses it before the DIAG). Virtio DMA into the
# loaded SR is dropped (zvmtest reads a disk sector into a segment page; RAM is the control).
# emulator: qemu (virtio DMA into a segment)
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
defseg SR2M 20000-203FF SR          # 4 MiB at 512 MiB: 2 MiB aligned
defseg SR1M 20500-205FF SR          # 1 MiB at 517 MiB: only 1 MiB aligned
defseg LOW 1000-10FF SR             # 16 MiB: inside the guest's 512 MiB
head -c $((4 << 20)) /dev/urandom >"$T/d4"; "$DCSSCTL" --dir "$SEG" import SR2M "$T/d4"
head -c $((1 << 20)) /dev/urandom >"$T/d1"; "$DCSSCTL" --dir "$SEG" import SR1M "$T/d1"
printf 'DMAWROTE' >"$T/disk"; truncate -s 1M "$T/disk"
vm --mem 512M --module "$ko" --shared-disk "$T/disk" --env MD4="$(md5sum <"$T/d4" | cut -d' ' -f1)" \
	--env PAGE1="$(od -An -v -tx1 -j 4096 -N 8 "$T/d4" | tr -d ' \n')" \
	--env MD1="$(md5sum <"$T/d1" | cut -d' ' -f1)" tests/emulator/load-sr.guest
