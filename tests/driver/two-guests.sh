# Two guests at once (the point of a DCSS): an SW segment loaded shared in both is ONE copy —
# guest 0's write is read by guest 1 and vice versa (ping/pong through the segment itself); an SR
# segment made exclusive-writable in guest 0 is a PRIVATE copy — guest 1 (shared) keeps seeing the
# saved contents, and so does the catalog.
set -euo pipefail
NO_KMEMLEAK="one guest's paths, leak-checked by add-multi, shared and save"
. tests/lib/host.sh
defseg PP 4E000-4E0FF SW
defseg PRIV 4E100-4E1FF SR
pages PRIV 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import PRIV "$T/d"
vm --guests 2 --timeout 900 tests/driver/two-guests.guest
[ "$(seg_page PRIV 0)" = PRIV:0 ] || fail "guest 0's private write reached the catalog"
# the shared SW copy lived only while loaded; nobody saved it
[ "$(seg_page PP 0)" = "" ] || fail "SW segment's saved version changed: $(seg_page PP 0)"
echo "ok catalog as expected"
