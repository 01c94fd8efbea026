# add -> ENOSYS when the guest does not run under z/VM (spec 5.3 "ENOSYS: not running under z/VM").
# The only guest in the suite booted WITHOUT --segments: plain QEMU reports no z/VM, so every
# segment_load() returns -ENOSYS. Also: the module loads and unloads there, and a bad name is still
# rejected by the parser first (ENAMETOOLONG before any hypervisor call).
set -euo pipefail
. tests/lib/host.sh
"$VM" run "${DRIVER_VM[@]}" tests/driver/add-enosys.guest
