# Opening the disk while `shared` reloads its DCSS (issue 9, item 1; 2 vCPUs). One worker reads
# the disk with O_DIRECT in a loop (open, 1 MiB read, close) while another toggles `shared`
# between 0 and 1. Before open took part in the registry lock, `shared` checked "not in use",
# then purged and reloaded the segment while a reader that opened in between copied from the
# purged range: an addressing exception, an oops (the guest boots with oops=panic). Now every
# toggle sees the reader open (EBUSY) or not at all, every read returns the saved contents, and
# the kernel log stays clean.
# dcssblk_rs only: the C driver has the bug, and its run would be a guest panic, not a record.
set -euo pipefail
DRIVER=dcssblk_rs
NO_KMEMLEAK="no allocation on these paths (open counts under the lock); add/remove/shared are leak-checked in tests/driver"
. tests/lib/host.sh
defseg OVS 4E000-4EFFF SR
pages OVS 0 4096 >"$T/d"
"$DCSSCTL" --dir "$SEG" import OVS "$T/d"
vm --smp 2 --timeout 1200 tests/races/open-vs-shared.guest
