# A `shared` change whose rollback is refused (issue 9, item 4; 2 vCPUs). Device RB1:RB2, both
# SR, is exclusive-writable; another kernel user holds RB2 exclusive, so `shared` <- 1 reloads RB1
# shared, fails on RB2 (EAGAIN) and switches RB1 back. zvmtest's snatch thread loads RB1 shared the
# moment it can: when it wins the race, RB1 cannot go back (EAGAIN again). The old code then left
# RB1 shared, write-protected, under a device that still claimed to be writable (a write to it
# faults, on z/VM as in the emulator: a panic with oops=panic); now the device is removed as after
# any lost segment, and answers EAGAIN. Until the snatch wins, every attempt must leave the device
# exclusive and writable: each round writes a page and reads it back first.
# dcssblk_rs only: the C driver does not roll back at all (quirk 4, tests/driver/other-user).
set -euo pipefail
DRIVER=dcssblk_rs
NO_KMEMLEAK="the removal after a lost segment is leak-checked in tests/driver/shared-lost"
. tests/lib/host.sh
. tests/lib/zvmtest.sh
defseg RB1 4B000-4B0FF SR
defseg RB2 4B100-4B1FF SR
ko=$(zvmtest_ko)
vm --smp 2 --module "$TOP/dcssblk-rs.ko" --module "$ko" --timeout 1200 tests/races/shared-rollback.guest
