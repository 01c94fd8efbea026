# A DCSS that another kernel user holds as well (monreader on real z/VM; here the probe module
# zvmtest with hold=NAME, which keeps the DCSS loaded through extmem until rmmod):
# * add of a DCSS held in the other access mode (exclusive) -> EPERM (spec 5.3 add table), and
#   nothing stays loaded;
# * `shared` <- 0 while the other user holds it shared: extmem cannot reload it (EAGAIN, "DCSS ...
#   is in use and cannot be reloaded"). C ignores that and flips the mode anyway (quirk 4);
#   dcssblk_rs returns EAGAIN and leaves the device as it was, also for a two-segment device whose
#   first DCSS it had already switched (README, Differences, item 4).
set -euo pipefail
. tests/lib/host.sh
defseg HX 4B000-4B0FF SR
defseg HS 4B100-4B1FF SR
defseg P1 4B200-4B2FF SR
defseg P2 4B300-4B3FF SR
pages P1 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import P1 "$T/d"
ko=$(zvmtest_ko)
vm --module "$TOP/dcssblk-rs.ko" --module "$ko" tests/driver/other-user.guest
