# The paper's workflow end to end with ext2 (paper.md section 2.5, spec 5.6): guest 1 loads the
# SR DCSS, makes it exclusive-writable, builds a ext2 file system holding dynamically linked
# programs, their libraries and an 8 MiB file, saves it (pending while mounted, done at umount) and
# removes it; a fresh guest 2 adds it shared, mounts it -o dax,ro, runs the programs chrooted on it
# and shows DAX: STATX_ATTR_DAX on the files and no page-cache growth when reading 8 MiB (with a
# non-DAX control mount of the same file system that does grow it).
set -euo pipefail
. tests/lib/host.sh
defseg JAISTSEG 40000-41FFF SR        # 32 MiB at 1 GiB, 2 MiB aligned (guest RAM: 512 MiB)
vm --timeout 600 --env FS=ext2 tests/driver/workflow.build.guest
# the saved segment holds the file system (ext2/3/4 magic 0xEF53 at byte 1080)
"$DCSSCTL" --dir "$SEG" export JAISTSEG "$T/jaist.img"
magic=$(dd if="$T/jaist.img" bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1 | tr -d ' ')
[ "$magic" = 53ef ] || fail "no file system in the saved JAISTSEG (magic '$magic')"
echo "ok saved JAISTSEG holds a file system"
vm --timeout 600 --env FS=ext2 tests/driver/workflow.use.guest
