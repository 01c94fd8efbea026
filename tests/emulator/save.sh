# shared=0, write, save=1, remove: SAVESEG writes the saver's private copy as a new version in the
# catalog (dcssctl export shows it) and a new guest (another QEMU) loads the new version.
set -euo pipefail
. tests/emulator/lib.bash
defseg SAV 20000-201FF SR           # 2 MiB
# page P = "OLD:P" lines, like tests/lib/guest.sh gen_pages
for ((i = 0; i < 512; i++)); do l=$(printf '%-15s' "OLD:$i"); printf "$l\n%.0s" {1..256}; done >"$T/d"
"$DCSSCTL" --dir "$SEG" import SAV "$T/d"
before=$(stat -c %i "$SEG/SAV.seg")
vm tests/emulator/save.guest
[ "$(stat -c %i "$SEG/SAV.seg")" != "$before" ] || fail "SAVESEG did not make a new version (same inode)"
"$DCSSCTL" --dir "$SEG" export SAV "$T/x"
page() { dd if="$T/x" bs=4096 skip="$1" count=1 2>/dev/null | head -n1 | tr -d ' \0'; }
[ "$(page 3)" = NEW:3 ] || fail "page 3 of the saved version: $(page 3)"
[ "$(page 2)" = OLD:2 ] && [ "$(page 511)" = OLD:511 ] || fail "other pages changed"
head -c 4096 "$SEG/SAV.seg" | tr -d '\0' | grep -qx '20000-201FF SR' || fail "header: $(head -c 100 "$SEG/SAV.seg")"
pass "dcssctl export shows the saved change"
ls "$SEG" | grep -q tmp && fail "tmp file left in the catalog: $(ls -a "$SEG")"
vm --env GUEST_ROLE=reader tests/emulator/save.guest
pass "a new guest sees the new version"
