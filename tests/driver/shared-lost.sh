# `shared` when reloading fails (spec 5.3: "any other error => the whole device is removed ('DCSS
# device ... is removed after a failed access mode change') and the errno returned"): the DCSS Y of
# device X:Y disappears from the catalog (PURGE NSS, here `dcssctl purge Y`) while the guest has it
# loaded; `echo 0 > shared` then purges and reloads X (fine) and Y (rc 44): ENOENT, device X is
# removed with all its DCSSs, other devices are untouched, and X can be added again.
# Handshake through a shared virtio disk: the guest writes "RR" when ready, the host purges Y
# and answers "GO".
# emulator: qemu (a shared virtio disk)
set -euo pipefail
. tests/lib/host.sh
defseg X 4F900-4F9FF SR
defseg Y 4FA00-4FAFF SR
defseg Z 4FC00-4FCFF SW
truncate -s 1M "$T/disk"
ready() { [ "$(head -c2 "$T/disk")" = RR ]; }
(
	poll 1200 ready || exit 1
	"$DCSSCTL" --dir "$SEG" purge Y
	printf GO | dd of="$T/disk" conv=notrunc status=none
) &
helper=$!
rc=0
vm --shared-disk "$T/disk" tests/driver/shared-lost.guest || rc=$?
kill "$helper" 2>/dev/null || true
wait "$helper" 2>/dev/null || true
exit $rc
