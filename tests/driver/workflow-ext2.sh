# The paper's workflow end to end with ext2 (served by the ext4 driver in 7.2): workflow.inc.
set -euo pipefail
FS=ext2
NO_KMEMLEAK="add, shared, save (immediate and pending) and remove: leak-checked in add-multi, shared, save and remove"
. tests/driver/workflow.inc
