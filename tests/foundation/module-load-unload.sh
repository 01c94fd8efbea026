# The Rust module loads under the test kernel, shows up in sysfs and unloads cleanly.
set -euo pipefail
cat >"$T/guest" <<'G'
set -e
modprobe dcssblk_rs
grep -q '^dcssblk_rs ' /proc/modules
[ -d /sys/module/dcssblk_rs ]
rmmod dcssblk_rs
# (`! cmd` never stops a `set -e` script: test the outcome explicitly.)
if grep -q '^dcssblk_rs ' /proc/modules || [ -e /sys/module/dcssblk_rs ]; then echo "still loaded after rmmod"; exit 1; fi
echo "module loaded and unloaded"
G
"$VM" run "$T/guest"
