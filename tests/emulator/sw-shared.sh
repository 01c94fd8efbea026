# SW loaded shared by two guests: one copy, writable, a store by A is seen at once by B and the
# other way round (MAP_SHARED of a live copy in DIR/.live). As on z/VM the saved version does not
# change without SAVESEG, and the live copy goes away with its last user.
set -euo pipefail
. tests/emulator/lib.bash
defseg SWS 20000-200FF SW
for ((i = 0; i < 256; i++)); do l=$(printf '%-15s' "OLD:$i"); printf "$l\n%.0s" {1..256}; done >"$T/d"
"$DCSSCTL" --dir "$SEG" import SWS "$T/d"
truncate -s 1M "$T/disk"
cat tests/emulator/mailbox.guest.inc tests/emulator/sw-shared.guest >"$T/guest"
vm --guests 2 --shared-disk "$T/disk" "$T/guest"
"$DCSSCTL" --dir "$SEG" export SWS "$T/x"
cmp -s "$T/d" "$T/x" || fail "the saved version changed without SAVESEG"
pass "saved version unchanged"
[ -z "$(ls -A "$SEG/.live" 2>/dev/null)" ] || fail "live copy left behind: $(ls -A "$SEG/.live")"
pass "live copy removed by its last user"
