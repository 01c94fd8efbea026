# `save` racing `remove` of the same device (issue 9, item 6; 2 vCPUs). Each round writes a new
# first page into an EW DCSS, then writes 1 to `save` in the background while removing the
# device, then adds the DCSS again and reads what the catalog holds. A save that reports success
# must have saved that round's page; one that lost the race must fail (ENODEV once the remove
# took the segments, ENOENT once the file is gone) and the catalog keeps the previous version.
# The old code took a save after the remove's teardown had begun for a success: it logged "saved"
# and saved nothing (the round's page is then missing).
# dcssblk_rs only: the C driver saves the segments it still has (it unloads them under its
# lock), so its answer is right by another route; the window is a Rust one.
set -euo pipefail
DRIVER=dcssblk_rs
NO_KMEMLEAK="save and remove allocate nothing new here; both are leak-checked in tests/driver"
. tests/lib/host.sh
defseg SVR 4D000-4D0FF EW
fill SVR 256
# make check: 12 rounds (the guest's default, 30, was measured in README).
vm --smp 2 --timeout 1200 --env ROUNDS="${RACE_ROUNDS:-12}" tests/races/save-vs-remove.guest
