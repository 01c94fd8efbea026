# `remove` (spec 5.3): ENAMETOOLONG (empty, > 8), ENODEV (unknown name, member that is not the
# device name, name with ':'), EBUSY while the block device is open (also while mounted), success
# (sysfs dir, /dev node, iomem entry gone; the DCSS is purged so it can be added again), lower case.
set -euo pipefail
. tests/lib/host.sh
defseg R1 44000-440FF SW
defseg R2 44100-441FF SW
vm tests/driver/remove.guest
