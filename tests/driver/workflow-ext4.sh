# The paper's workflow end to end with ext4: workflow.inc.
set -euo pipefail
FS=ext4
NO_KMEMLEAK="the driver paths of workflow-ext2, which is leak-checked"
. tests/driver/workflow.inc
