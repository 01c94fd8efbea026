# The in-tree C dcssblk.ko, our reference, is installed in the guest and loads with modprobe.
set -euo pipefail
. "$TOP/tools/lib.sh"
plain_kernel
cat >"$T/guest" <<'G'
set -e
modprobe dcssblk
grep -q '^dcssblk ' /proc/modules
[ -d /sys/devices/dcssblk ]
rmmod dcssblk
echo "reference module loaded and unloaded"
G
"$VM" run "$T/guest"
