# An exclusive load (shared=0 -> LOADNSRX private copy) in guest A is invisible to guest B, which
# loads the same segment shared, until A saves; B keeps the version it has loaded (z/VM class P
# "pending purge") and gets the new one on its next load.
set -euo pipefail
. tests/emulator/lib.bash
defseg EXC 20000-200FF SR
for ((i = 0; i < 256; i++)); do l=$(printf '%-15s' "OLD:$i"); printf "$l\n%.0s" {1..256}; done >"$T/d"
"$DCSSCTL" --dir "$SEG" import EXC "$T/d"
vm --guests 2 tests/emulator/exclusive.guest
"$DCSSCTL" --dir "$SEG" export EXC "$T/x"
[ "$(head -n1 "$T/x" | tr -d ' ')" = NEW:0 ] || fail "saved page 0: $(head -n1 "$T/x")"
pass "A's save is in the catalog"
