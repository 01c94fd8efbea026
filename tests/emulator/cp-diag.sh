# The CP interface itself, probed from the guest kernel with tests/emulator/zvmtest.ko:
# DIAG X'08' commands (QUERY CONSOLE/TERM/CPLEVEL/USERID/NSS MAP, TERM, SET, DEFSEG, SAVESEG,
# PURGE NSS, unknown commands, response truncation), raw DIAG X'64' condition and return codes,
# the program exceptions for malformed operands, and PROTECTION on a store into a shared SR.
set -euo pipefail
. tests/emulator/lib.bash
ko=$(zvmtest_ko)
defseg SRP 20000-200FF SR
defseg LOW 1000-10FF SR             # inside the guest's 512 MiB
defseg EWS 20200-202FF EW
defseg ERP 20400-204FF ER
defseg SCP 20600-206FF SC
defseg SWP 20800-208FF SW
head -c $((1 << 20)) /dev/urandom >"$T/d"; "$DCSSCTL" --dir "$SEG" import SRP "$T/d"
"$VM" run --segments "$SEG" --env DRIVER=dcssblk --module "$ko" --timeout 1800 tests/emulator/cp-diag.guest
[ ! -e "$SEG/LOW.seg" ] || fail "PURGE NSS NAME LOW left LOW.seg"
pass "PURGE NSS removed the saved segment"
"$DCSSCTL" --dir "$SEG" export COPY "$T/x" || fail "no segment COPY after DEFSEG/SAVESEG"
[ "$(head -n1 "$T/x" | tr -d ' ')" = CPY:0 ] || fail "COPY page 0: $(head -n1 "$T/x")"
head -c 4096 "$SEG/COPY.seg" | tr -d '\0' | grep -qx '20200-202FF SR' || fail "COPY header"
pass "SAVESEG saved the guest's view under a new name and type"
