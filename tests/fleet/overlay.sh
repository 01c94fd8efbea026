# The writable /usr of a fleet guest (make paper's overlay configuration): /usr is an overlay whose
# lower layer is the DCSS (dcssblk_rs, -o dax,ro) and whose upper layer is the guest's own disk.
# `apt-get install` of a package works in one guest, the package is still there after that guest
# reboots, and neither the DCSS (its saved contents in the catalog) nor a second guest changes.
set -euo pipefail
. tests/lib/common.sh
img=$("$TOP/tools/build-fleet-image")
before=$(sha256sum <"$img/segments/FLEETUSR.seg")
fleet() { "$TOP/tools/fleet-run" --config overlay-rs --settle 1 --timeout 900 --disks "$T/disks" --consoles "$T" --csv "$T/rows.csv" "$@"; }
# what guest $3 of the boot of $2 guests (task $1) said in phase $4; a getty prompt may share its line
said() { tr -d '\r' <"$T/$1.overlay-rs.$2.console$3" | sed -n "s/.*FLEET $4 //p" | tail -1; }
fleet --guests 1 --task install 2>"$T/log1" || { cat "$T/log1"; fail "the install boot failed"; }
got=$(said install 1 0 install)
[ "$got" = "rc=0 hello=Hello,_world!" ] || { cat "$T/install.overlay-rs.1.console0"; fail "apt-get install in the overlay: '$got'"; }
echo "ok apt-get install of hello into the overlay /usr: $got"
# guest 0 boots its own disk again; guest 1 a fresh one
fleet --guests 2 --task check 2>"$T/log2" || { cat "$T/log2"; fail "the check boot failed"; }
got=$(said check 2 0 check)
[ "$got" = "hello=Hello,_world!" ] || fail "after its reboot, guest 0 says '$got'"
echo "ok the package survives the guest's reboot"
got=$(said check 2 1 check)
[ "$got" = hello=absent ] || fail "a second guest sees '$got'"
echo "ok a second guest on the same DCSS does not see it"
[ "$(sha256sum <"$img/segments/FLEETUSR.seg")" = "$before" ] || fail "the DCSS's saved contents changed"
echo "ok the DCSS is unchanged"
grep -q 'usr=overlay,overlay' "$T/check.overlay-rs.2.console1" || fail "guest 1's /usr is not the overlay"
echo "ok /usr is the overlay in both guests"
