/*
 * dcssblk-rs: z/VM-lite saved segments for Hercules (zvm-herc.c, zvm-herc-arch.c), on the
 * emulator-independent core tools/zvm/zvm-core.c. Active only with the configuration
 * statement ZVMSEGS DIR [USERID NAME]; without it every hook below leaves Hercules stock.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef ZVM_HERC_H
#define ZVM_HERC_H

#include "zvm-core.h"

/* ZVMSEGS was given */
int zvm_herc_enabled(void);
/* Guest storage of size bytes at the start of the reserved guest absolute space; also sets
   sysblk.storkeys for the whole space. Exits Hercules if the space cannot be reserved. */
BYTE *zvm_herc_storage(U64 size);
/* System reset and IPL (intlock held, CPUs stopped): every segment is purged, as on z/VM */
void zvm_herc_reset(void);
/* DIAGNOSE code with Rx r1, Ry r2: 1 if z/VM-lite served it (cc set), 0 for Hercules' own */
int z900_zvm_diag(U32 code, int r1, int r2, REGS *regs);
/* STSI: 1 if z/VM-lite answered (function codes 0 and 3: a z/VM guest), 0 for Hercules' own */
int z900_zvm_stsi(REGS *regs, int b2, U64 ea);

#endif
