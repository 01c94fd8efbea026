# add racing with remove (2 vCPUs, no serialisation): four workers each add and remove their own
# DCSS in a loop. Every add must succeed (each worker's DCSS is free when it adds it), no sysfs
# "duplicate filename" may appear, nothing may stay behind.
#
# KNOWN BUG OF THE C REFERENCE (found by this test, Linux 7.2 dcssblk.c): remove takes the device
# off dcssblk_devices (freeing its minor) and drops the lock BEFORE del_gendisk(); an add running
# then takes the same minor and device_add_disk() fails with EEXIST ("sysfs: cannot create
# duplicate filename '/class/block/dcssblkN'"). Its error path then put_device()s the already
# registered struct device without device_del(), so /sys/devices/dcssblk/NAME stays for good:
# every later add of that DCSS fails with EEXIST and rmmod fails ("in use"). For DRIVER=dcssblk the
# guest therefore only reports and does not fail; dcssblk_rs, which keeps a removed device's minor
# reserved until its disk is deleted (README.md, "Fixed C quirks", item 10), must pass.
set -euo pipefail
C_ON_TEST_KERNEL="the C run calibrates the race window for the Rust run"
. tests/lib/host.sh
for i in 0 1 2 3; do defseg R$i 4F${i}00-4F${i}FF SR; done
vm --smp 2 --timeout 1200 tests/driver/concurrency-add-remove.guest
