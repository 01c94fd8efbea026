# `save` attribute (spec 5.3, quirk 7): reads 0; EINVAL for bad input; 1 while idle saves at once
# ("All DCSSs that map to device ... are saved"); 1 while open makes it pending (reads 1, "will be
# saved when it becomes idle") and the save happens at the last close (data written AFTER the
# request is in the saved copy); 0 cancels a pending save; SN/EN segments are skipped with a
# warning; a multi-range EW/EN DCSS is saved with all its ranges (EN part reads as zeros); a
# two-segment device SVB:SVA saves both segments, each with its part of the device.
# Verified on the host with `dcssctl export` after the guest has powered off.
set -euo pipefail
. tests/lib/host.sh
defseg SVI 47000-470FF SR
defseg SVP 47100-471FF SR
defseg SVC 47200-472FF SR
defseg SVN 47300-473FF EN
defseg SVM 47400-4747F EW 47480-474FF EN
defseg SVS 47500-475FF SN
defseg SVA 47600-476FF SR
defseg SVB 47700-477FF SR
for s in SVI SVP SVC; do pages "$s" 0 256 >"$T/d"; "$DCSSCTL" --dir "$SEG" import "$s" "$T/d"; done
svn_before=$(sha256sum <"$SEG/SVN.seg")
svs_before=$(sha256sum <"$SEG/SVS.seg")
vm tests/driver/save.guest
check() { [ "$(seg_page "$1" "$2")" = "$3" ] || fail "$1 page $2 in the catalog is '$(seg_page "$1" "$2")', want '$3'"; echo "ok $1 page $2 = $3"; }
check SVI 0 NEWI:0
check SVI 3 NEWI:3
check SVI 4 SVI:4
check SVP 0 NEWP:0
check SVP 1 LATEP:1
check SVP 2 SVP:2
check SVC 0 SVC:0
check SVM 0 NEWM:0
check SVM 127 NEWM:127
check SVM 128 ""
check SVA 0 NEWAB:0
check SVA 255 NEWAB:255
check SVB 0 NEWAB:256
check SVB 255 NEWAB:511
"$DCSSCTL" --dir "$SEG" list
[ "$(sha256sum <"$SEG/SVN.seg")" = "$svn_before" ] || fail "EN segment SVN was rewritten"
[ "$(sha256sum <"$SEG/SVS.seg")" = "$svs_before" ] || fail "SN segment SVS was rewritten"
echo "save: catalog as expected"
