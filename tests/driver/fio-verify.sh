# fio (Debian's s390x build, tools/build-fio-image) writes the disk with crc32c checksums in every
# block and reads them back (issue 10, item 3): O_DIRECT through libaio and io_uring, buffered
# through psync, random and sequential; every block must verify. The control: after a write-only
# pass, one block overwritten behind fio's back makes `--verify_only` fail.
set -euo pipefail
NO_KMEMLEAK="blockio leak-checks the same bio paths"
. tests/lib/host.sh
defseg FIOW 5A000-5AFFF EW            # 16 MiB
fio=$("$TOP/tools/build-fio-image" --tar) || fail "tools/build-fio-image --tar failed"
vm --file "$fio" tests/driver/fio-verify.guest
