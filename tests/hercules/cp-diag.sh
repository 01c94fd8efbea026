# tests/emulator/cp-diag on Hercules with ZVMSEGS (tools/hercules/zvm-herc*.c): the same CP
# commands, DIAG X'64' condition and return codes and program exceptions from the same core
# (tools/zvm/zvm-core.c), a z/VM identity from STSI (extmem loads nothing without it), the
# protection exception on a store into a shared SR (Hercules' storage check), SAVESEG of what
# the guest wrote into an exclusive segment, and the same catalog files.
export DCSS_EMULATOR=hercules
. tests/emulator/cp-diag.sh
