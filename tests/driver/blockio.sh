# Block I/O rules (spec 5.4): logical block size 4096; whole 4 KiB pages read and write (direct and
# buffered); sub-page buffered writes work (page cache read-modify-write); misaligned direct I/O is
# refused (EINVAL, by the block layer: the driver's own "not page aligned" EIO path cannot be
# reached from user space because the logical block size is 4096); reads end at the capacity.
# Writes to a shared SR device fail with EPERM and leave it unchanged: the disk is read-only
# (set_disk_ro), so write(2) (block/fops.c) and fallocate/BLKZEROOUT (block/blk-lib.c) refuse
# before any bio exists. The driver's own check ("Writing to X failed because it is a read-only
# device", EIO) is therefore unreachable from user space in 7.2: every user-space write path checks
# bdev_read_only() first, access-mode changes need the device closed, and the stacking drivers that
# skip the check (dm, md) are not in the test kernel. After shared=0 the same zeroing works.
set -euo pipefail
NO_KMEMLEAK="the bio path allocates nothing; its add, shared and remove are leak-checked in add-multi, shared and remove"
. tests/lib/host.sh
defseg SWB 46000-461FF SW
defseg SRB 46200-462FF SR
pages SRB 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import SRB "$T/d"
vm tests/driver/blockio.guest
[ "$(seg_page SRB 0)" = SRB:0 ] || fail "SRB changed in the catalog: $(seg_page SRB 0)"
# SWB is shared-writable, but (as on z/VM) the saved version changes only with a save.
[ "$(seg_page SWB 5)" = "" ] || fail "SWB page 5 in the catalog: $(seg_page SWB 5)"
