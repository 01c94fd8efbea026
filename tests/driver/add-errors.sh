# `add` error table (spec 5.3), every row reachable under the emulator:
# ENAMETOOLONG (empty, > 8, trailing ':', empty member), ENOENT (unknown, also 2nd of a set),
# EEXIST (already in a device, also as part of A:B, also lower case), EOPNOTSUPP (multi-range not
# all EW/EN), EBUSY (guest RAM; overlap with a loaded DCSS), EINVAL (set not contiguous, SR:SW,
# ER:EW, A:A). After every failure nothing may stay loaded (no "(DCSS)" in /proc/iomem).
# Not here: ENOSYS (add-enosys, guest without z/VM), ERANGE/EIO (add-errors-crafted),
# EPERM (other-user: a second in-kernel user of the DCSS),
# ENOMEM/ENODEV and "no free minor" (not provokable from user space).
# Two DCSSs sharing one MiB without overlapping cannot exist: the catalog (like CP) makes every
# segment start and end on a MiB boundary, so the 1 MiB-granular check is exercised by a real overlap.
set -euo pipefail
. tests/lib/host.sh
defseg A 40000-400FF SR
defseg B 40100-401FF SR
defseg W 40200-402FF SW
defseg C 40400-404FF SR
defseg ER1 40500-405FF ER
defseg EW1 40600-406FF EW
defseg MR 40800-4087F SR 40880-408FF SR
defseg MX 40900-4097F EW 40980-409FF SW
defseg LOW 10000-100FF SR
defseg OV 40000-401FF SW
defseg ABCDEFGH 40A00-40AFF SR
vm tests/driver/add-errors.guest
