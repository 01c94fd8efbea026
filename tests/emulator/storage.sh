# Guest real storage and a loaded segment as the CPU sees them (tests/emulator/zvmtest peek=, a
# LURAG): addressing exceptions above guest storage, in the gap below the segment, at its address
# before it is loaded, past its end and after its purge; its contents at its address while
# loaded. tests/hercules/storage runs it on Hercules, whose segments live in a host reservation
# that only this access path may reach (tools/hercules/zvm-herc.c).
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
defseg SRH 20000-200FF SR           # 1 MiB at 512 MiB, above the guest's 256 MiB
head -c $((1 << 20)) /dev/urandom >"$T/d"; "$DCSSCTL" --dir "$SEG" import SRH "$T/d"
vm --mem 256M --module "$ko" --env FIRST8="$(od -An -v -tx1 -N 8 "$T/d" | tr -d ' \n')" \
	--env LAST8="$(od -An -v -tx1 -j $(((1 << 20) - 8)) -N 8 "$T/d" | tr -d ' \n')" \
	--timeout 1200 tests/emulator/storage.guest
