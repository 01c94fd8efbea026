# Stress (issue 9, section 2): eleven actors on 2 vCPUs for DURATION seconds over four devices -
# add/remove of a DCSS and of an A:B set from two actors, an opener racing them, O_DIRECT and
# buffered I/O with write-read-back sessions, `shared` switches, immediate, pending and cancelled
# saves, a reloader that checks each saved version is one whole write session, sysfs readers, and
# mmap/write readers and writers on a `-o dax` file system whose pending save lands at umount.
# Every result is checked against the set that some interleaving explains (tests/stress/
# mixed.guest). make check: dcssblk_rs for 40 s on the KASAN kernel (its debug-kernel slice,
# tools/kernel-debug.config); make stress (tools/stress): DURATION= for both drivers on the test
# kernel (STRESS_KERNEL= picks the variant), the C reference recorded (RECORD_ONLY=1), not judged.
set -euo pipefail
DRIVER=${DRIVER:-dcssblk_rs}
export DCSS_KERNEL=${STRESS_KERNEL-debug}
# make check's slice on the KASAN kernel goes without kmemleak (both together make the actors
# too slow to meet); make stress (STRESS_DURATION set) runs with it.
[ -n "${STRESS_DURATION:-}" ] || NO_KMEMLEAK="the slice's paths are leak-checked in tests/driver; make stress checks the whole run"
. tests/lib/host.sh
defseg STA 50000-500FF SR
defseg STB1 50100-501FF SR
defseg STB2 50200-502FF SR
defseg STX 50300-504FF SR
defseg STD 50600-509FF SR
fill STA 256
fill STB1 256
fill STB2 256
fill STX 512
duration=${STRESS_DURATION:-40}
# (make check's slice took 462 s of its guest on 2026-12-07, before its checks lost their forks)
vm --smp 2 --timeout $((1200 + 3 * duration)) --env DURATION="$duration" --env RECORD_ONLY="${RECORD_ONLY:-0}" tests/stress/mixed.guest
