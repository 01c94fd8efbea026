# A hostile guest (issue 9, section 4): tests/emulator/diagfuzz issues CALLS random DIAG X'64'
# and DIAG X'08' calls from SEED (subcodes, names incl. "../X", "A/B" and NULs, unaligned,
# page-crossing, storage-crossing and outside addresses, lengths, CP commands). QEMU must survive
# (the guest powers off normally afterwards), report no AddressSanitizer or UBSan finding (with
# DCSS_QEMU=asan: make fuzz), and touch no host file but the catalog's: nothing new beside the
# catalog directory, and every file in it a well-formed segment (dcssctl reads the whole catalog)
# or its lock and live copies. make check: 20 000 calls on the plain QEMU; make fuzz: 100 000 on
# the sanitized one.
set -euo pipefail
. tests/emulator/lib.bash
. tests/lib/zvmtest.sh
defseg FZ1 53000-530FF SR
defseg FZ2 53100-531FF SW
defseg FZ3 53200-532FF EW
defseg LOW 1000-10FF SR             # inside the guest's 512 MiB
ko=$(probe_ko diagfuzz)
touch "$T/before"
sleep 1
vm --module "$ko" --timeout "${DIAG_FUZZ_TIMEOUT:-900}" --env CALLS="${DIAG_FUZZ_CALLS:-20000}" \
	--env SEED="${DIAG_FUZZ_SEED:-1}" tests/emulator/diag-fuzz.guest >"$T/log" 2>&1 || { cat "$T/log"; fail "the fuzzed guest failed"; }
cat "$T/log"
# (tools/vm has failed the guest already if the emulator or a sanitizer reported a problem)
pass "${DCSS_EMULATOR:-qemu} survived $(grep -ao 'diagfuzz: seed .*' "$T/log")"
new=$(find "$T" -mindepth 1 -newer "$T/before" ! -path "$SEG" ! -path "$SEG/*" ! -path "$T/log" ! -path "$T/diagfuzz*" ! -path "$T/.export" -print)
[ -z "$new" ] || fail "files outside the catalog changed: $new"
pass "no host file outside the catalog changed"
bad=$(cd "$SEG" && find . -regextype posix-extended -mindepth 1 ! -path ./.lock ! -path ./.live ! -path './.live/*' ! -regex '\./[A-Z0-9$#@]{1,8}\.seg' -print)
[ -z "$bad" ] || fail "unexpected files in the catalog: $bad"
"$DCSSCTL" --dir "$SEG" list >"$T/list" || fail "dcssctl cannot read the catalog after the fuzzing"
pass "the catalog holds only well-formed segments: $(grep -c . "$T/list") ($(tr '\n' ' ' <"$T/list" | cut -c1-200))"
