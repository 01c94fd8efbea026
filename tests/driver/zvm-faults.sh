# z/VM failing on purpose (issue 9, section 3; the emulator's ZVM_TEST_FAULTS rules, tools/zvm/
# zvm-core.c): every error extmem can bring to the driver. A query (DIAG X'64' SEGEXTX) failing, a
# load failing after its query worked (alone and as the second of a set), the segment file
# vanishing or truncated between query and load, a reload failing during a `shared` switch,
# PURGESEG failing, DEFSEG, SAVESEG and the host's write of the new version failing (EIO,
# ENOSPC). Each failed add returns the C driver's errno, logs it and leaves nothing loaded
# (kmemleak on for dcssblk_rs); a failed reload removes the device; each failed save keeps the
# catalog's previous version (checked here on the host) while `save` reports success on both
# drivers (quirk 7, unchanged on purpose: extmem's segment_save() returns nothing).
set -euo pipefail
. tests/lib/host.sh
defseg FQ 51000-510FF SR    # query fails
defseg FL 51100-511FF SR    # load fails
defseg FT1 51200-512FF SR   # FT1:FT2, the second load fails
defseg FT2 51300-513FF SR
defseg FV 51400-514FF SR    # file gone at the load
defseg FR 51500-515FF SR    # file short at the load
defseg FM 51600-516FF SR    # the reload of shared <- 0 fails
defseg FP 51700-517FF SR    # PURGESEG fails
defseg FD 51800-518FF SW    # DEFSEG fails at save
defseg FS 51900-519FF SW    # SAVESEG fails
defseg FE 51A00-51AFF SW    # the new version's write fails: EIO
defseg FN 51B00-51BFF SW    # ... ENOSPC
for s in FD FS FE FN; do fill $s 256; done
export ZVM_TEST_FAULTS=query:FQ=177,load:FL=177,load:FT2=177,vanish:FV,truncate:FR,load:FM=177@1,purge:FP=177,defseg:FD=26,saveseg:FS=177,savefile:FE=EIO,savefile:FN=ENOSPC
vm --timeout 900 tests/driver/zvm-faults.guest | tee "$T/log"
# Each rule fired (QEMU's stderr is in the console log), and the two host write errors were the
# ones asked for.
for f in "query FQ" "load FL" "load FT2" "vanish FV" "truncate FR" "load FM" "purge FP" "defseg FD" "saveseg FS" "savefile FE" "savefile FN"; do
	grep -aq "zvm: test fault: $f\$" "$T/log" || fail "the fault rule '$f' never fired"
done
grep -aq 'zvm: saving FE: Input/output error' "$T/log" || fail "FE's save did not fail with EIO"
grep -aq 'zvm: saving FN: No space left on device' "$T/log" || fail "FN's save did not fail with ENOSPC"
pass "every fault rule fired, the host write errors as asked"
# Every failed save left the version the catalog had.
for s in FD FS FE FN; do
	[ "$(seg_page $s 0)" = "$s:0" ] || fail "$s: the catalog holds '$(seg_page $s 0)', want its previous version '$s:0'"
	pass "$s: the failed save kept the catalog's previous version"
done
