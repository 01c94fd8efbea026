# Loading the other driver (dcssblk vs dcssblk_rs) while one is loaded must fail cleanly: both
# want /sys/devices/dcssblk (root_device_register -> EEXIST, which modprobe sees as EBUSY), so the second modprobe fails, with no
# oops and with the first driver's devices untouched. The runner runs this once per driver, so
# both orders are covered (DRIVER is loaded first, the other one second). The kernel's
# "sysfs: cannot create duplicate filename" stack dump is expected here and is not an oops.
# Afterwards: unloading the first and loading the second works, and the DCSS the first one had
# loaded can be added by the second (extmem's state was released).
set -euo pipefail
C_ON_TEST_KERNEL="the C run loads dcssblk_rs too (its init error path, against the loaded C driver)"
NO_KMEMLEAK="add and remove with the other driver loaded: the paths add-multi and remove leak-check"
. tests/lib/host.sh
defseg OD 4C000-4C0FF SR
vm tests/driver/other-driver.guest
