# `shared` when reloading fails (spec 5.3: "any other error => the whole device is removed ('DCSS
# device ... is removed after a failed access mode change') and the errno returned"): the DCSS Y of
# device X:Y disappears from the catalog (PURGE NSS, here `dcssctl purge Y`) while the guest has it
# loaded; `echo 0 > shared` then purges and reloads X (fine) and Y (rc 44): ENOENT, device X is
# removed with all its DCSSs, other devices are untouched, and X can be added again.
# Handshake through the catalog (tests/lib/guest.sh, post): the guest posts READY, the host purges
# Y and posts GO.
set -euo pipefail
. tests/lib/host.sh
defseg X 4F900-4F9FF SR
defseg Y 4FA00-4FAFF SR
defseg Z 4FC00-4FCFF SW
(
	poll 1200 posted READY || exit 1
	"$DCSSCTL" --dir "$SEG" purge Y
	post GO
) &
helper=$!
rc=0
vm tests/driver/shared-lost.guest || rc=$?
kill "$helper" 2>/dev/null || true
wait "$helper" 2>/dev/null || true
exit $rc
