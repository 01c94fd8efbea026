# IBM's DCSS workflow with CP commands from Linux (issue 10, item 1; spec 5.6): vmcp (s390-tools)
# on the kernel's /dev/vmcp. A guest whose storage (1280 MiB) covers the range while Linux runs
# with mem=512M below it defines the segment with `vmcp defseg APPS 40000-43FFF SR` and saves it
# with `vmcp saveseg APPS`; the driver cannot load it there (the range overlaps its storage).
# Then a guest with storage below the range adds it, shared=0, mkfs.ext2, copies files in, saves,
# and `vmcp q nss map` shows the new version (new spool file id, class A) beside the old one it
# still holds (class P) until remove; the saved version holds the guest's file system. A segment
# purged (`vmcp purge nss name`) while loaded is listed as class P only, until remove.
set -euo pipefail
NO_KMEMLEAK="vmcp talks to the emulator, not the driver; blockio and save leak-check these driver paths"
. tests/lib/host.sh
vm --mem 1280M --append mem=512M tests/driver/vmcp-workflow.define.guest
"$DCSSCTL" --dir "$SEG" list | tee "$T/list"
grep -qE '^[0-9]{4} APPS +DCSS +N/A +40000 +43FFF +SR +A ' "$T/list" || fail "vmcp saveseg left no saved APPS"
echo "ok SAVESEG from the guest saved APPS in the catalog"
defseg PURG 44000-440FF SR          # for PURGE NSS while loaded
vm --timeout 1200 tests/driver/vmcp-workflow.update.guest
"$DCSSCTL" --dir "$SEG" export APPS "$T/apps.img"
magic=$(dd if="$T/apps.img" bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' ')
[ "$magic" = 53ef ] || fail "no file system in the saved APPS (magic '$magic')"
echo "ok the saved APPS holds the file system"
[ "$(debugfs -R 'cat /VERSION' "$T/apps.img" 2>/dev/null)" = "vmcp workflow" ] || fail "the saved file system lacks the guest's /VERSION"
echo "ok and the file the guest wrote (what the next guest to add it mounts: workflow-ext2 runs that side)"
