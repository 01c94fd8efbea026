# segments= module parameter (spec 5.2): each SET is added like `add`; "(local)" right after a
# SET that was added makes it exclusive-writable; bad SETs are logged and skipped; any other
# parenthesised text is ignored (also "(LOCAL)": the match is case-sensitive); empty SETs are
# skipped; "(local)" on SC fails quietly (device stays shared); the value is visible read-only
# under /sys/module/$DRIVER/parameters/segments; a value of 400+ characters fails the load.
set -euo pipefail
. tests/lib/host.sh
defseg A1 48000-480FF SR
defseg B1 48100-481FF SR
defseg C1 48200-482FF SR
defseg D1 48300-483FF SR
defseg E1 48400-484FF SR
defseg F1 48500-485FF SR
defseg SC1 48600-486FF SC
vm tests/driver/param-segments.guest
