# Concurrent use (2 vCPUs): four workers add / read / toggle shared / remove their own DCSS in a
# loop while a reader walks every device's sysfs files and another pair races to add the SAME
# DCSS (exactly one may win, the other gets EEXIST). Nothing may fail unexpectedly, everything is
# unloaded at the end, and the kernel log must stay free of lockdep/list-debug/WARNING reports.
# add and remove themselves are serialised here (the unserialised case is concurrency-add-remove).
set -euo pipefail
NO_KMEMLEAK="race loops over the paths concurrency-add-add and concurrency-add-remove leak-check"
. tests/lib/host.sh
for i in 0 1 2 3; do defseg C$i 4F${i}00-4F${i}FF SR; done
defseg SAME 4F800-4F8FF SR
vm --smp 2 --timeout 1500 tests/driver/concurrency.guest
