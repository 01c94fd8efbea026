// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for dcssblk_rs: only what Rust cannot reach directly. That is the string module
 * parameter and one-line wrappers around static inline functions and macros (bio iteration,
 * __va). Every decision is made in Rust; these functions only translate calling conventions.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "glue.h"

/* Same buffer size, permissions and description as dcssblk.c. */
#define DCSSBLK_PARM_LEN 400

static char dcssblk_rs_segments[DCSSBLK_PARM_LEN] = "\0";
module_param_string(segments, dcssblk_rs_segments, DCSSBLK_PARM_LEN, 0444);
MODULE_PARM_DESC(segments, "Name of DCSS segment(s) to be loaded, "
		 "comma-separated list, names in each set separated "
		 "by commas are separated by colons, each set contains "
		 "names of contiguous segments and each name max. 8 chars.\n"
		 "Adding \"(local)\" to the end of each set equals echoing 0 "
		 "to /sys/devices/dcssblk/<device name>/shared after loading "
		 "the contiguous segments - \n"
		 "e.g. segments=\"mydcss1,mydcss2:mydcss3,mydcss4(local)\"");

const char *dcssblk_rs_segments_param(void)
{
	return dcssblk_rs_segments;
}

/*
 * One step of bio_for_each_segment(): the segment's kernel address and length (s390 has no
 * highmem), or false once the iterator is exhausted. One call per segment keeps the I/O path's
 * cost near C's: bio_iter_iovec, bio_advance_iter_single and bvec_virt are static inlines.
 */
bool dcssblk_rs_bio_next_segment(struct bio *bio, struct bvec_iter *iter, void **virt,
				 unsigned int *len)
{
	struct bio_vec bv;

	if (!iter->bi_size)
		return false;
	bv = bio_iter_iovec(bio, *iter);
	bio_advance_iter_single(bio, iter, bv.bv_len);
	*virt = bvec_virt(&bv);
	*len = bv.bv_len;
	return true;
}

/* False for a bio that has a size but no pages (discard, write-zeroes). */
bool dcssblk_rs_bio_has_data(struct bio *bio)
{
	return bio_has_data(bio);
}

bool dcssblk_rs_bio_is_write(struct bio *bio)
{
	return bio_data_dir(bio) == WRITE;
}

void dcssblk_rs_bio_io_error(struct bio *bio)
{
	bio_io_error(bio);
}

void *dcssblk_rs_phys_to_virt(unsigned long phys)
{
	return __va(phys);
}
