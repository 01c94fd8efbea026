# Opening the disk while `shared` reloads its DCSS (issue 9, item 1; 2 vCPUs). A reader reads
# the disk with O_DIRECT in a loop (open, 256 KiB read, close), a writer writes a page and reads it
# back within one open (xfs_io -d), and a third worker toggles `shared` between 0 and 1. Before
# open took part in the registry lock, `shared` checked "not in use", and a writer that opened
# after the check wrote into the exclusive copy `shared` <- 1 then discarded (or into the
# write-protected segment after it): its own read-back differed; and a reader that opened in
# between could copy from the purged range (an addressing exception, a panic with oops=panic).
# Now every toggle sees the disk open (EBUSY) or not at all, every write opened on a writable
# disk reads itself back, every read returns the saved contents, and the kernel log stays clean.
# dcssblk_rs only: the C driver has the bug, and its run could be a guest panic, not a record.
set -euo pipefail
DRIVER=dcssblk_rs
NO_KMEMLEAK="no allocation on these paths (open counts under the lock); add/remove/shared are leak-checked in tests/driver"
. tests/lib/host.sh
defseg OVS 4E000-4EFFF SR
fill OVS 4096
# A slow CP (tools/zvm/zvm-core.c): each LOAD waits 100 ms while the other vCPU runs on, so the gap
# between the PURGESEG and the LOAD of a mode change is wide enough to land an access in it.
export ZVM_TEST_LOAD_DELAY_MS=100
# make check: 24 reads and 24 writes (the guest's default, 60 each, was measured in README).
vm --smp 2 --timeout 1800 --env READS="${RACE_READS:-24}" --env WRITES="${RACE_WRITES:-24}" tests/races/open-vs-shared.guest
