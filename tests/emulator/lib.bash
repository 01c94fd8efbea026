# Host side of tests/emulator/*.sh (the z/VM-lite QEMU emulation, tools/qemu/), checked with the
# in-tree C dcssblk.ko as the reference client. Source after `set -euo pipefail`.
# shellcheck shell=bash
# Env from tests/run: TOP, VM, DCSSCTL, T. Segments live in $SEG (a fresh catalog).
. "$TOP/tests/lib/common.sh"
plain_kernel
# vm [tools/vm run options...] SCRIPT: guests with the z/VM emulation on $SEG, C dcssblk driver.
vm() { "$VM" run --segments "$SEG" --env DRIVER=dcssblk "$@"; }
# export_md5 NAME: md5 of the saved contents of NAME as dcssctl exports them.
export_md5() { "$DCSSCTL" --dir "$SEG" export "$1" "$T/.export" && md5sum <"$T/.export" | cut -d' ' -f1; }
