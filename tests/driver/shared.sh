# `shared` attribute (spec 5.3): reads 1 after add; EINVAL for anything but 0/1 (+ optional \n);
# EBUSY while open; SC -> EINVAL on 0 (stays shared); SR/ER switch RO <-> RW (ro attribute and
# BLKROGET); the exclusive copy is writable and private, switching back to shared discards it;
# SW stays writable in both modes; 1 while shared is a no-op.
set -euo pipefail
. tests/lib/host.sh
defseg SR1 45000-450FF SR
defseg SC1 45100-451FF SC
defseg SW1 45200-452FF SW
defseg ER1 45300-453FF ER
pages SR1 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import SR1 "$T/d"
pages ER1 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import ER1 "$T/d"
vm tests/driver/shared.guest
# The guest wrote its exclusive copies but never saved: the catalog is unchanged.
[ "$(seg_page SR1 3)" = SR1:3 ] || fail "SR1 page 3 (written exclusive, not saved) changed in the catalog: $(seg_page SR1 3)"
[ "$(seg_page ER1 0)" = ER1:0 ] || fail "ER1 page 0 (written exclusive, not saved) changed in the catalog: $(seg_page ER1 0)"
echo "ok - the unsaved exclusive writes (SR1 page 3, ER1 page 0) left the catalog unchanged"
