# The paper's workflow end to end with ext4: workflow.inc.
set -euo pipefail
FS=ext4
. tests/driver/workflow.inc
