/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The interface between glue.c and the Rust side of dcssblk_rs. glue.c includes it, so the C
 * compiler checks the definitions against it; bindgen reads it (bindings/bindings_helper.h), so
 * the Rust side calls exactly these prototypes.
 */
#ifndef DCSSBLK_RS_GLUE_H
#define DCSSBLK_RS_GLUE_H

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/device.h>

/* Provided by glue.c to Rust. */
const char *dcssblk_rs_segments_param(void);
struct gendisk *dcssblk_rs_alloc_disk(unsigned int logical_block_size, bool dax);
bool dcssblk_rs_bio_next_segment(struct bio *bio, struct bvec_iter *iter, void **virt,
				 unsigned int *len);
bool dcssblk_rs_bio_has_data(struct bio *bio);
bool dcssblk_rs_bio_is_write(struct bio *bio);
void dcssblk_rs_bio_io_error(struct bio *bio);
void *dcssblk_rs_phys_to_virt(unsigned long phys);
extern const struct block_device_operations dcssblk_rs_fops;
extern const struct dax_operations dcssblk_rs_dax_ops;
/* NULL-terminated, as struct device.groups wants them. */
extern const struct attribute_group *dcssblk_rs_root_groups[2];
extern const struct attribute_group *dcssblk_rs_dev_groups[2];

/* Implemented in Rust (sysfs.rs, dcssblk_rs.rs, dax.rs), called by glue.c. */
ssize_t dcssblk_rs_add_store(const char *buf, size_t count);
ssize_t dcssblk_rs_remove_store(const char *buf, size_t count);
ssize_t dcssblk_rs_shared_show(struct device *dev, char *buf);
ssize_t dcssblk_rs_shared_store(struct device *dev, const struct device_attribute *attr,
				const char *buf, size_t count);
ssize_t dcssblk_rs_save_show(struct device *dev, char *buf);
ssize_t dcssblk_rs_save_store(struct device *dev, const char *buf, size_t count);
ssize_t dcssblk_rs_seglist_show(struct device *dev, char *buf);
void dcssblk_rs_submit_bio(struct bio *bio);
int dcssblk_rs_open(struct gendisk *disk, blk_mode_t mode);
void dcssblk_rs_release(struct gendisk *disk);
void dcssblk_rs_free_disk(struct gendisk *disk);
long dcssblk_rs_dax_direct_access(void *range, pgoff_t pgoff, void **kaddr, unsigned long *pfn);
int dcssblk_rs_dax_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff, size_t nr_pages);

#endif
