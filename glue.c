// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for dcssblk_rs: only what Rust cannot reach directly (static inline functions, macros,
 * initialised tables and the string module parameter).
 */
#include <linux/module.h>
