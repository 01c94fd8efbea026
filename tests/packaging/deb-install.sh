# make deb, installed as a distribution installs modules (issue 10, item 2): the packages built by
# tools/build-deb for the kernel the guest boots go into a guest with `dpkg -i`, whose postinst
# runs depmod; `modprobe dcssblk_rs` then loads the module from /lib/modules/KVER/updates (not the
# copy tools/vm puts into extra/, which the guest deletes first), honours segments= from
# dcssblk-rs-common's /etc/modprobe.d/dcssblk_rs.conf, and `dpkg -r` takes the module away again
# (postrm's depmod: modprobe fails) while the options file, a conffile, stays until purge.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
. "$TOP/tools/lib.sh"
plain_kernel
kdir=$("$TOP/tools/build-kernel" ${DCSS_KERNEL:-}) || fail "tools/build-kernel failed"
"$TOP/tools/build-deb" "$kdir" >"$T/debs" || fail "tools/build-deb failed"
mapfile -t debs <"$T/debs"
[ ${#debs[@]} = 2 ] || fail "tools/build-deb printed ${#debs[@]} paths, want the modules and the common package"
for deb in "${debs[@]}"; do dpkg-deb --info "$deb"; dpkg-deb --contents "$deb"; done | tee "$T/contents"
dpkg-deb --contents "${debs[0]}" | grep -q '\./lib/modules/[^/]*/updates/dcssblk-rs\.ko$' || fail "no module under lib/modules/KVER/updates"
dpkg-deb --contents "${debs[1]}" | grep -q '\./etc/modprobe\.d/dcssblk_rs\.conf$' || fail "no /etc/modprobe.d/dcssblk_rs.conf in the common package"
dpkg-deb --contents "${debs[0]}" >"$T/modules.list"
! grep -q '\./etc/' "$T/modules.list" || fail "the per-kernel package ships /etc files (two kernels' packages would clash)"
[ "$(dpkg-deb --field "${debs[0]}" Architecture)" = s390x ] || fail "the modules package is not s390x"
[ "$(dpkg-deb --field "${debs[1]}" Architecture)" = all ] || fail "the common package is not Architecture: all"
echo "ok the modules package holds the module under updates/, the common one the options file"
mkdir -p "$T/seg"
"$DCSSCTL" --dir "$T/seg" defseg DEBA 58000-580FF SR
cat >"$T/guest" <<'G'
. /test/lib.sh
kver=$(uname -r)
rm -f /lib/modules/$kver/extra/dcssblk-rs.ko
need "depmod without tools/vm's copy" depmod -a
check_not "no dcssblk_rs before the package" modinfo -n dcssblk_rs
need "dpkg -i of both packages" dpkg -i /test/files/*.deb
assert_eq "$(modinfo -n dcssblk_rs)" "/lib/modules/$kver/updates/dcssblk-rs.ko" "modprobe's index (postinst's depmod) finds the packaged module"
check "the options file is a conffile" grep -qx ' /etc/modprobe.d/dcssblk_rs.conf [0-9a-f]*' /var/lib/dpkg/status
echo 'options dcssblk_rs segments=DEBA' >>/etc/modprobe.d/dcssblk_rs.conf
need "modprobe dcssblk_rs" modprobe dcssblk_rs
check "segments= from /etc/modprobe.d added DEBA at load" test -d /sys/devices/dcssblk/DEBA
echo DEBA >/sys/devices/dcssblk/remove
need "rmmod dcssblk_rs" rmmod dcssblk_rs
need "dpkg -r of the modules package" dpkg -r "$(dpkg-query -W -f '${Package}' 'dcssblk-rs-modules-*')"
check_not "after dpkg -r the module is gone (postrm's depmod)" modinfo -n dcssblk_rs
check_not "and modprobe fails" modprobe dcssblk_rs
need "dpkg -r dcssblk-rs-common" dpkg -r dcssblk-rs-common
check "the edited options file stays after remove (a conffile)" grep -qx 'options dcssblk_rs segments=DEBA' /etc/modprobe.d/dcssblk_rs.conf
need "dpkg --purge dcssblk-rs-common" dpkg --purge dcssblk-rs-common
check_not "and goes at purge" test -e /etc/modprobe.d/dcssblk_rs.conf
G
"$VM" run --segments "$T/seg" --file "${debs[0]}" --file "${debs[1]}" "$T/guest"
