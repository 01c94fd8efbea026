# tests/emulator/storage on Hercules with ZVMSEGS: a loaded segment is storage for the CPU at its
# address and nowhere else, in the host range Hercules reserves for segments (tools/hercules/
# zvm-herc.c); guest storage, the gap and a purged segment stay addressing exceptions.
export DCSS_EMULATOR=hercules
. tests/emulator/storage.sh
