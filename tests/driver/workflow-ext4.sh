# The paper's workflow end to end with ext4: workflow.inc.
set -euo pipefail
FS=ext4
NO_KMEMLEAK="add, shared, save (immediate and pending) and remove: leak-checked in add-multi, shared, save and remove"
. tests/driver/workflow.inc
