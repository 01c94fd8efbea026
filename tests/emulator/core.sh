# The z/VM-lite core (tools/zvm/zvm-core.c, shared by the QEMU and Hercules builds) on the host,
# through its emulator interface (tools/zvm/test-core.c): the catalog rules, CP commands and their
# responses, DIAG X'64' loads, overlaps, purges and program checks, SAVESEG of a changed exclusive
# segment, a live copy shared by two processes and deleted by the last purge, fault rules. Under
# AddressSanitizer and UBSan: a leak (heap held across a program check) or an overflow fails it.
set -euo pipefail
cc -std=gnu99 -g -O1 -Wall -Wextra -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -o "$T/test-core" tools/zvm/test-core.c tools/zvm/zvm-core.c
mkdir "$T/catalog"
"$T/test-core" "$T/catalog"
