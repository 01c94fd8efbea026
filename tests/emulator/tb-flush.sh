# PURGESEG flushes translated code. A guest runs a program from a DAX-mounted SR segment (its code
# is translated from the segment's host mapping), removes the device (PURGESEG); the host saves a
# new version whose only change is one byte of that program's machine code; the guest adds the
# segment again and must run the new code. QEMU keys translations by ram_addr, and the new
# mapping's RAMBlock may get the old one's, so without the flush the old code would run; Hercules
# keeps each CPU's current instruction page (its host address) until the purge drops it.
set -euo pipefail
. tests/emulator/lib.bash
mkdir -p "$T/tree"
for v in 1 2; do
	clang-19 --target=s390x-linux-gnu -O2 -DVERSION=$v -nostdlib -static -fuse-ld=lld \
		-Wl,--build-id=none -o "$T/prog$v" tests/emulator/exit-code.c
done
byte=$( { cmp -l "$T/prog1" "$T/prog2" || true; } | awk '{ n++; o = $1 - 1 } END { if (n == 1) print o }')
[ -n "$byte" ] || fail "the two builds differ in more than one byte"
cp "$T/prog1" "$T/tree/prog"
defseg TBF 40000-401FF SR           # 2 MiB at 1 GiB: DAX
"$DCSSCTL" --dir "$SEG" populate TBF --from "$T/tree" >/dev/null
"$DCSSCTL" --dir "$SEG" export TBF "$T/v1"
# Version 2 of the segment: version 1 with that one byte of the program's code changed.
at=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(open(sys.argv[2], "rb").read()))' "$T/v1" "$T/prog1")
[ "$at" -ge 0 ] || fail "the program is not in the segment image"
cp "$T/v1" "$T/v2"
dd if="$T/prog2" of="$T/v2" bs=1 skip="$byte" seek=$((at + byte)) count=1 conv=notrunc status=none
[ "$(cmp -l "$T/v1" "$T/v2" | wc -l)" = 1 ] || fail "version 2 differs in more than the code byte"
vm --env BYTE="$byte" tests/emulator/tb-flush.guest >"$T/out" 2>&1 &
vmpid=$!
trap 'kill "$vmpid" 2>/dev/null || true' EXIT
v1_done() { posted V1DONE || ! kill -0 $vmpid 2>/dev/null; }
poll 900 v1_done || true
if posted V1DONE; then
	"$DCSSCTL" --dir "$SEG" import TBF "$T/v2"
	post V2READY
fi
rc=0
wait $vmpid || rc=$?
cat "$T/out"
[ $rc = 0 ] || fail "guest failed"
pass "the new version's code ran after PURGESEG and LOADSHRX"
