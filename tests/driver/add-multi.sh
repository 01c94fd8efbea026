# Multi-segment devices (spec 5.3): `A:B` and out-of-order `B:A` make one device named after the
# FIRST name, seglist in the order given, data laid out by address (lowest DCSS first), capacity =
# sum of the sizes, lowest free minor; EW:EN may be mixed, and a multi-range EW/EN DCSS (type
# "EW/EN-MIXED") loads alone or with EW; RO iff the first segment is SR/ER/SC.
set -euo pipefail
. tests/lib/host.sh
defseg P1 41000-410FF SR
defseg P2 41100-412FF SR
defseg P3 41300-413FF SR
pages P1 0 256 >"$T/p1"; "$DCSSCTL" --dir "$SEG" import P1 "$T/p1"
pages P2 0 512 >"$T/p2"; "$DCSSCTL" --dir "$SEG" import P2 "$T/p2"
pages P3 0 256 >"$T/p3"; "$DCSSCTL" --dir "$SEG" import P3 "$T/p3"
defseg EW1 42000-420FF EW
defseg EN1 42100-421FF EN
defseg MIX 42200-4227F EW 42280-422FF EN
defseg EW2 42300-423FF EW
defseg S1 43000-430FF SW
defseg S2 43100-431FF SW
vm tests/driver/add-multi.guest
