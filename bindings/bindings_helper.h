/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What dcssblk_rs binds beyond the kernel crate's bindings (Linux 7.2 binds neither extmem nor
 * DAX), generated at build time from the kernel tree it builds against (Kbuild), so that a changed
 * C prototype breaks the build instead of the ABI. Types these prototypes mention come from
 * kernel::bindings (abstractions/bindings.rs).
 */
#include <linux/sizes.h>	/* asm/extmem.h uses SZ_1G without including it */
#include <asm/extmem.h>
#include <linux/dax.h>
#include "../glue.h"

/* Macros bindgen cannot evaluate on their own (casts), as the kernel crate's RUST_CONST_HELPER_. */
const blk_features_t DCSSBLK_RS_BLK_FEAT_DAX = BLK_FEAT_DAX;
