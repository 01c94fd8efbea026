# sysfs and parameter fuzzing (issue 9, section 4): generated writes to add, remove, shared and
# save, and generated segments= strings at module load (tests/driver/fuzz-sysfs.guest). Both
# drivers get the same input sequence (SEED), and tests/run compares their transcripts input by
# input: the errnos must be the C driver's, except where README's differences say otherwise.
# make check: 300 inputs from seed 1; tools/fuzz (make fuzz): 100 000 from a printed seed.
set -euo pipefail
NO_KMEMLEAK=${FUZZ_NO_KMEMLEAK:-} # make fuzz: kmemleak off for speed (set)
. tests/lib/host.sh
defseg FZA 52000-520FF SR
defseg FZB 52100-521FF SR
defseg FZC 52200-522FF EW
defseg FZD 52400-524FF SN
vm --timeout "${FUZZ_TIMEOUT:-1200}" --env SEED="${FUZZ_SEED:-1}" --env INPUTS="${FUZZ_INPUTS:-300}" \
	--env PARAMS="${FUZZ_PARAMS:-8}" --env FUZZ_TRANSCRIPT="${FUZZ_TRANSCRIPT:-1}" tests/driver/fuzz-sysfs.guest
