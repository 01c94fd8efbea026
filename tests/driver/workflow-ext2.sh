# The paper's workflow end to end with ext2 (served by the ext4 driver in 7.2): workflow.inc.
set -euo pipefail
FS=ext2
. tests/driver/workflow.inc
