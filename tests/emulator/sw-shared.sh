# SW loaded shared by two guests: one copy, writable, a store by A is seen at once by B and the
# other way round (MAP_SHARED of a live copy in DIR/.live). As on z/VM the saved version does not
# change without SAVESEG, and the live copy goes away with its last user. A live copy nobody holds
# (what a QEMU that died leaves) is replaced by the next loader; after a SAVESEG, a new loader gets
# the new version in a copy of its own while the guests still on the old version keep sharing theirs.
set -euo pipefail
. tests/emulator/lib.bash
defseg SWS 20000-200FF SW
for ((i = 0; i < 256; i++)); do l=$(printf '%-15s' "OLD:$i"); printf "$l\n%.0s" {1..256}; done >"$T/d"
"$DCSSCTL" --dir "$SEG" import SWS "$T/d"
# A dead QEMU's live copy of this version: complete, but no QEMU holds its flock.
mkdir -p "$SEG/.live"
{
	head -c 4096 "$SEG/SWS.seg"
	for ((i = 0; i < 256; i++)); do l=$(printf '%-15s' "STALE:$i"); printf "$l\n%.0s" {1..256}; done
} >"$SEG/.live/SWS.$(stat -c '%d %i' "$SEG/SWS.seg" | { read -r d i; printf '%x.%x' "$d" "$i"; })"
vm --guests 2 tests/emulator/sw-shared.guest
# The saved version is what A saved: its store and B's, not the stores made after the save.
for ((i = 0; i < 256; i++)); do
	case $i in 0) t=AAA ;; 1) t=BBB ;; *) t=OLD ;; esac
	l=$(printf '%-15s' "$t:$i"); printf "$l\n%.0s" {1..256}
done >"$T/want"
"$DCSSCTL" --dir "$SEG" export SWS "$T/x"
cmp -s "$T/want" "$T/x" || fail "the saved version is not what A saved (pages 0, 1 new; 2, 3 old)"
pass "saved version = the SAVESEG, unchanged by stores before and after it"
[ -z "$(ls -A "$SEG/.live" 2>/dev/null)" ] || fail "live copy left behind: $(ls -A "$SEG/.live")"
pass "live copies (stale one included) removed by their last users"
