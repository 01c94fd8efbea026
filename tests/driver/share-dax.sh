# The paper's point, on the host: two guests (two QEMU processes) mount the same SR DCSS
# `-o dax,ro` and read a 12 MiB file from it with read(2) and through an mmap; the host holds the
# segment's pages once (each QEMU's smaps of NAME.seg: Rss >= the file, Pss = Rss / 2) and neither
# guest's page cache grows. tests/emulator/share-rss shows the same for plain block reads.
set -euo pipefail
. tests/lib/host.sh
defseg SHD 50000-50FFF SR          # 16 MiB at 1280 MiB: 2 MiB aligned, DAX
mkdir -p "$T/tree"
head -c $((12 << 20)) /dev/urandom >"$T/tree/data"
"$DCSSCTL" --dir "$SEG" populate SHD --from "$T/tree" >/dev/null
md=$(md5sum <"$T/tree/data" | cut -d' ' -f1)
rm -rf "$T/tree"
mkdir -p "$T/pids"
truncate -s 1M "$T/disk"
vm --guests 2 --pid-dir "$T/pids" --shared-disk "$T/disk" --timeout 1000 --env MD="$md" \
	tests/driver/share-dax.guest >"$T/out" 2>&1 &
vmpid=$!
both_ready() { [ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || ! kill -0 $vmpid 2>/dev/null; }
poll 600 both_ready || true
[ "$(grep -c 'READY-TO-MEASURE' "$T/out" || true)" -ge 2 ] || { cat "$T/out"; fail "guests did not get ready"; }
read -r r0 p0 < <(smaps_of "$(cat "$T/pids/g0.pid")" "$SEG/SHD.seg")
read -r r1 p1 < <(smaps_of "$(cat "$T/pids/g1.pid")" "$SEG/SHD.seg")
printf MEASURED | dd of="$T/disk" conv=notrunc status=none
rc=0
wait $vmpid || rc=$?
cat "$T/out"
[ $rc = 0 ] || fail "guests failed"
echo "# QEMU g0: Rss ${r0} KiB Pss ${p0} KiB; QEMU g1: Rss ${r1} KiB Pss ${p1} KiB (file 12288 KiB)"
expect_one_host_copy 12288 "$r0" "$p0" "$r1" "$p1"
pass "the DAX-mounted segment is one host copy for both guests (Pss = Rss/2)"
