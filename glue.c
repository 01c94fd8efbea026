// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for dcssblk_rs: only what Rust cannot reach directly. That is the string module
 * parameter, the initialised operation and attribute tables (they need THIS_MODULE and the
 * DEVICE_ATTR/__ATTR macros), and one-line wrappers around static inline functions and macros
 * (bio iteration, __va, blk_alloc_disk). Every decision is made in Rust; these functions only
 * translate calling conventions.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/dax.h>
#include <linux/device.h>
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

/* sysfs: /sys/devices/dcssblk/{add,remove} */
static ssize_t add_store(struct device *dev, struct device_attribute *attr, const char *buf,
			 size_t count)
{
	return dcssblk_rs_add_store(buf, count);
}
static DEVICE_ATTR(add, 0200, NULL, add_store);

static ssize_t remove_store(struct device *dev, struct device_attribute *attr, const char *buf,
			    size_t count)
{
	return dcssblk_rs_remove_store(buf, count);
}
static DEVICE_ATTR(remove, 0200, NULL, remove_store);

static struct attribute *dcssblk_rs_root_attrs[] = {
	&dev_attr_add.attr,
	&dev_attr_remove.attr,
	NULL,
};
static const struct attribute_group dcssblk_rs_root_group = {
	.attrs = dcssblk_rs_root_attrs,
};
const struct attribute_group *dcssblk_rs_root_groups[2] = {
	&dcssblk_rs_root_group,
	NULL,
};

/* sysfs: /sys/devices/dcssblk/<NAME>/{shared,save,seglist} */
static ssize_t shared_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return dcssblk_rs_shared_show(dev, buf);
}
static ssize_t shared_store(struct device *dev, struct device_attribute *attr, const char *buf,
			    size_t count)
{
	return dcssblk_rs_shared_store(dev, attr, buf, count);
}
static DEVICE_ATTR(shared, 0600, shared_show, shared_store);

static ssize_t save_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return dcssblk_rs_save_show(dev, buf);
}
static ssize_t save_store(struct device *dev, struct device_attribute *attr, const char *buf,
			  size_t count)
{
	return dcssblk_rs_save_store(dev, buf, count);
}
static DEVICE_ATTR(save, 0600, save_show, save_store);

static ssize_t seglist_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return dcssblk_rs_seglist_show(dev, buf);
}
static DEVICE_ATTR(seglist, 0400, seglist_show, NULL);

static struct attribute *dcssblk_rs_dev_attrs[] = {
	&dev_attr_shared.attr,
	&dev_attr_save.attr,
	&dev_attr_seglist.attr,
	NULL,
};
static const struct attribute_group dcssblk_rs_dev_group = {
	.attrs = dcssblk_rs_dev_attrs,
};
const struct attribute_group *dcssblk_rs_dev_groups[2] = {
	&dcssblk_rs_dev_group,
	NULL,
};

/* Block device */
const struct block_device_operations dcssblk_rs_fops = {
	.owner = THIS_MODULE,
	.submit_bio = dcssblk_rs_submit_bio,
	.open = dcssblk_rs_open,
	.release = dcssblk_rs_release,
	.free_disk = dcssblk_rs_free_disk,
};

struct gendisk *dcssblk_rs_alloc_disk(unsigned int logical_block_size, bool dax)
{
	struct queue_limits lim = {
		.logical_block_size = logical_block_size,
		.features = dax ? BLK_FEAT_DAX : 0,
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
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

/* DAX */
static long dcssblk_rs_direct_access(struct dax_device *dax_dev, pgoff_t pgoff, long nr_pages,
				     enum dax_access_mode mode, void **kaddr, unsigned long *pfn)
{
	return dcssblk_rs_dax_direct_access(dax_get_private(dax_dev), pgoff, kaddr, pfn);
}

const struct dax_operations dcssblk_rs_dax_ops = {
	.direct_access = dcssblk_rs_direct_access,
	.zero_page_range = dcssblk_rs_dax_zero_page_range,
};
