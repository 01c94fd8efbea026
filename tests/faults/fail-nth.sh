# Every allocation of `add` and `shared` fails once (issue 9, items 3 and 6; fault injection).
# For n = 1, 2, ... the n-th fault-injection point reached by one sysfs write fails
# (/proc/thread-self/fail-nth, with failslab and fail_page_alloc taking GFP_KERNEL and order-0
# allocations too), until a write passes every point. Each failed `add` must return ENOMEM (or
# the EINVAL device_add_disk() makes of some of its allocation failures) and leave no device and
# no DCSS loaded; each failed `shared` must leave the device in its old mode
# or remove it (a lost segment); one that the kernel shrugs off (an allocation whose failure is
# tolerated, e.g. a uevent) must have worked. kmemleak runs over the whole sweep. The sets: FN, a
# 2 MiB aligned DCSS (DAX: page map, dax_device, host entry), and FA:FB, two segments without DAX.
# dcssblk_rs only: the C driver leaks on these paths (quirk 6) and is not under test.
set -euo pipefail
DRIVER=dcssblk_rs
. tests/lib/host.sh
defseg FN 4C000-4C1FF SR
defseg FA 4C300-4C3FF SR
defseg FB 4C400-4C4FF SR
# make check sweeps every sixth fault point of `add` of the DAX set (the longer path) and every
# point of `shared`; `make faults` every point of both sets (FAIL_NTH_SETS, FAIL_NTH_STRIDE=1).
vm --smp 1 --timeout 2400 --env SETS="${FAIL_NTH_SETS:-FN}" --env STRIDE="${FAIL_NTH_STRIDE:-6}" tests/faults/fail-nth.guest
