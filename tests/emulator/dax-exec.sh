# The IBM workflow on the emulation, C dcssblk as client: an SR segment loaded exclusive-writable
# (shared=0, LOADNSRX private copy) gets an ext2 file system with a program, save=1 writes it back
# (DEFSEG + SAVESEG via DIAG 8), and the re-added shared segment mounts with -o dax and the
# program runs straight from the saved segment (guest code executed from a host file mapping).
set -euo pipefail
. tests/emulator/lib.bash
defseg FS 20000-20FFF SR            # 16 MiB at 512 MiB
vm --smp 2 tests/emulator/dax-exec.guest
# The saved version is an ext2 file system now (magic 0xEF53 at 1024 + 56).
"$DCSSCTL" --dir "$SEG" export FS "$T/fs"
[ "$(od -An -tx2 -j1080 -N2 "$T/fs" | tr -d ' ')" = ef53 ] || fail "saved FS has no ext2 magic"
pass "saved segment holds the ext2 file system"
