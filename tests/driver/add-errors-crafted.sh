# add -> EIO ("any other DIAG cc 2 rc", spec 5.3): a catalog file CP cannot use (here: hand-made
# files that dcssctl would never write: data shorter than the header's ranges, a bad header). The
# emulator answers the query with cc 2 / rc 177 (paging I/O error), which extmem maps to EIO.
# ERANGE (segment end beyond max(identity map, 512 GiB)) is NOT reachable: CP (and the catalog)
# refuse pages above 7FFFFFF, i.e. every DCSS ends below 512 GiB = MAX_DCSS_ADDR, so
# vmem_add_mapping() never sees a range it cannot map. The same header check refuses > 6 ranges,
# so the "> 6 ranges -> EOPNOTSUPP" row is unreachable too (the multi-range-not-EW/EN part of that
# row is in add-errors).
set -euo pipefail
. tests/lib/host.sh
hdr() { { printf 'ZVMSEG1\n'; printf '%s\n' "$@"; } | head -c 4096 >"$T/h"; truncate -s 4096 "$T/h"; cat "$T/h"; }
{ hdr '4A000-4A0FF SR'; head -c 65536 /dev/zero; } >"$SEG/SHORT.seg"   # 64 KiB of 1 MiB
{ hdr 'NOT A HEADER'; head -c 1048576 /dev/zero; } >"$SEG/BADHDR.seg"
{ printf 'ZVMSEG2\n4A000-4A0FF SR\n'; } >"$T/h2"; truncate -s 4096 "$T/h2"
{ cat "$T/h2"; head -c 1048576 /dev/zero; } >"$SEG/BADMAGIC.seg"
defseg GOOD 4A000-4A0FF SR
vm tests/driver/add-errors-crafted.guest
