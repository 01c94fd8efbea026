# make deb, installed as a distribution installs modules (issue 10, item 2): the package built by
# tools/build-deb for the test kernel goes into a guest with `dpkg -i`, whose postinst runs depmod;
# `modprobe dcssblk_rs` then loads it from /lib/modules/KVER/updates (not the copy tools/vm puts
# into extra/, which the guest deletes first), honours segments= from the packaged
# /etc/modprobe.d/dcssblk_rs.conf, and `dpkg -r` takes the module away again (modprobe fails).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
deb=$("$TOP/tools/build-deb") || fail "tools/build-deb failed"
dpkg-deb --info "$deb"
dpkg-deb --contents "$deb" | tee "$T/contents"
grep -q '\./lib/modules/[^/]*/updates/dcssblk-rs\.ko$' "$T/contents" || fail "no module under lib/modules/KVER/updates"
grep -q '\./etc/modprobe\.d/dcssblk_rs\.conf$' "$T/contents" || fail "no /etc/modprobe.d/dcssblk_rs.conf"
[ "$(dpkg-deb --field "$deb" Architecture)" = s390x ] || fail "not an s390x package"
echo "ok the package holds the module under updates/ and the options file"
mkdir -p "$T/seg"
"$DCSSCTL" --dir "$T/seg" defseg DEBA 58000-580FF SR
cat >"$T/guest" <<'G'
. /test/lib.sh
kver=$(uname -r)
rm -f /lib/modules/$kver/extra/dcssblk-rs.ko
need "depmod without tools/vm's copy" depmod -a
check_not "no dcssblk_rs before the package" modinfo -n dcssblk_rs
need "dpkg -i $(basename /test/files/*.deb)" dpkg -i /test/files/*.deb
assert_eq "$(modinfo -n dcssblk_rs)" "/lib/modules/$kver/updates/dcssblk-rs.ko" "modprobe's index (postinst's depmod) finds the packaged module"
check "the options file is a conffile" grep -qx ' /etc/modprobe.d/dcssblk_rs.conf [0-9a-f]*' /var/lib/dpkg/status
echo 'options dcssblk_rs segments=DEBA' >>/etc/modprobe.d/dcssblk_rs.conf
need "modprobe dcssblk_rs" modprobe dcssblk_rs
check "segments= from /etc/modprobe.d added DEBA at load" test -d /sys/devices/dcssblk/DEBA
echo DEBA >/sys/devices/dcssblk/remove
need "rmmod dcssblk_rs" rmmod dcssblk_rs
need "dpkg -r" dpkg -r "$(dpkg-query -W -f '${Package}' 'dcssblk-rs-modules-*')"
check_not "after dpkg -r the module is gone (postrm's depmod)" modinfo -n dcssblk_rs
check_not "and modprobe fails" modprobe dcssblk_rs
G
"$VM" run --segments "$T/seg" --file "$deb" "$T/guest"
