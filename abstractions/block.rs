// SPDX-License-Identifier: GPL-2.0

//! Bio-based block devices (`include/linux/blkdev.h`). The kernel crate's `kernel::block::mq`
//! serves blk-mq drivers only; a memory-backed disk is bio-based, like `brd` and the C dcssblk.

pub(crate) mod bio;
pub(crate) mod gen_disk;
pub(crate) mod major;
