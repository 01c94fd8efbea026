# DAX (spec 5.5, quirk 8): set up only when the device's start AND end+1 are 2 MiB aligned
# ("DAX support enabled for DCSS X"); otherwise "DCSS X is not aligned to 2097152 bytes, DAX
# support disabled" and a plain block device. The alignment is that of the whole device: two
# 1 MiB members that together span an aligned 2 MiB get DAX. `mount -o dax` is refused by ext4
# ("DAX unsupported by block device") on an unaligned device and works on an aligned one, where
# files carry STATX_ATTR_DAX. queue/dax on an unaligned device: 1 with the C driver (it always
# advertises BLK_FEAT_DAX, quirk 8), 0 with dcssblk_rs (deliberate fix: README.md, "Differences
# from the C driver", item 3). remove + add again sets DAX up again (devm_memunmap_pages ran); the
# SW contents saved while shared (save of an idle device) are there after the re-add.
set -euo pipefail
. tests/lib/host.sh
defseg DX2 4D000-4D7FF SW      # 8 MiB at 1232 MiB: aligned
defseg DX1 4D900-4DAFF SW      # 2 MiB at 1241 MiB: start not 2 MiB aligned
defseg DX3 4DC00-4DCFF SW      # 1 MiB at 1244 MiB: start aligned, end+1 not
defseg DA 4DE00-4DEFF SW       # DA:DB = 2 MiB at 1246 MiB: aligned as a device
defseg DB 4DF00-4DFFF SW
vm --timeout 1200 tests/driver/dax.guest
