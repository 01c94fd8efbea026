# Module unload with devices present. The C driver takes a module reference per device
# (try_module_get in add, module_put in the device release), so `rmmod` FAILS while any device
# exists ("Module dcssblk is in use"); it does not remove them. Once every device is removed,
# rmmod works, /sys/devices/dcssblk and the /proc/devices entry go away, every DCSS is purged
# (no iomem entry), and a fresh modprobe starts over (same segments add again, minor 0).
# Also: a mounted device keeps rmmod and remove failing.
set -euo pipefail
. tests/lib/host.sh
defseg U1 4B000-4B0FF SW
defseg U2 4B100-4B1FF SW
defseg U3 4B200-4B2FF SW
vm tests/driver/module-unload.guest
