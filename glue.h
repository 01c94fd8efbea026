/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What glue.c offers the Rust side of dcssblk_rs. glue.c includes it, so the C compiler checks
 * the definitions against it; bindgen reads it (bindings/bindings_helper.h), so the Rust side
 * calls exactly these prototypes. Nothing in C calls into Rust: every table of callbacks (block,
 * DAX, sysfs attributes) is a Rust static.
 */
#ifndef DCSSBLK_RS_GLUE_H
#define DCSSBLK_RS_GLUE_H

#include <linux/bio.h>
#include <linux/blkdev.h>

/* Provided by glue.c to Rust. */
const char *dcssblk_rs_segments_param(void);
bool dcssblk_rs_bio_next_segment(struct bio *bio, struct bvec_iter *iter, void **virt,
				 unsigned int *len);
bool dcssblk_rs_bio_has_data(struct bio *bio);
bool dcssblk_rs_bio_is_write(struct bio *bio);
void dcssblk_rs_bio_io_error(struct bio *bio);
void *dcssblk_rs_phys_to_virt(unsigned long phys);

#endif
