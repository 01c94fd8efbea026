// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The copy limit of make bench (tools/bench): what moving the bytes alone costs, in the boot that
 * measures the drivers. It loads the segment itself, exclusive as the benchmark's disks have it
 * (shared=0), and times plain memcpy() between the segment and a kernel buffer in each request
 * size the fio jobs use, over as many bytes as they move. A block driver cannot beat this; its
 * distance from it is what the block layer, the driver and the system call cost.
 *
 * Prints "COPYLIMIT <read|write> <bs> <bytes> <ns>" per measurement; loading fails only if the
 * segment cannot be loaded or the buffer allocated.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/timekeeping.h>
#include <asm/extmem.h>

static char *segment = "BENCH";
module_param(segment, charp, 0444);
MODULE_PARM_DESC(segment, "DCSS to copy from and to");

static char *sizes = "4096,65536,1048576";
module_param(sizes, charp, 0444);
MODULE_PARM_DESC(sizes, "request sizes in bytes, comma-separated");

static unsigned long bytes = SZ_256M;
module_param(bytes, ulong, 0444);
MODULE_PARM_DESC(bytes, "bytes moved per measurement");

/* Copies @bytes in @bs pieces, walking the segment as a sequential job walks its disk. */
static u64 time_copy(void *seg, unsigned long seg_len, void *buf, unsigned int bs, bool write)
{
	unsigned long off = 0, done;
	u64 t0 = ktime_get_ns();

	for (done = 0; done < bytes; done += bs) {
		if (write)
			memcpy(seg + off, buf, bs);
		else
			memcpy(buf, seg + off, bs);
		/* the buffer is never read: keep the compiler from dropping the copy into it */
		barrier_data(buf);
		off += bs;
		if (off + bs > seg_len)
			off = 0;
	}
	return ktime_get_ns() - t0;
}

static int __init copylimit_init(void)
{
	unsigned long start, end, seg_len;
	char *list, *p, *tok;
	unsigned int bs;
	void *buf;
	int rc;

	rc = segment_load(segment, SEGMENT_EXCLUSIVE, &start, &end);
	if (rc < 0) {
		pr_err("copylimit: loading segment %s failed: %d\n", segment, rc);
		return rc;
	}
	seg_len = end - start + 1;
	rc = -ENOMEM;
	list = kstrdup(sizes, GFP_KERNEL);
	buf = kvmalloc(SZ_1M, GFP_KERNEL);
	if (!list || !buf)
		goto out;
	/* The first write to each page of an exclusive copy costs the host a copy-on-write fault:
	 * the drivers' runs pay it before they are timed, so the limit does too. */
	memset((void *)start, 0, seg_len);
	p = list;
	while ((tok = strsep(&p, ","))) {
		rc = kstrtouint(tok, 0, &bs);
		if (rc || !bs || bs > SZ_1M || bs > seg_len) {
			pr_err("copylimit: bad request size '%s'\n", tok);
			rc = -EINVAL;
			goto out;
		}
		pr_info("COPYLIMIT write %u %lu %llu\n", bs, bytes,
			time_copy((void *)start, seg_len, buf, bs, true));
		pr_info("COPYLIMIT read %u %lu %llu\n", bs, bytes,
			time_copy((void *)start, seg_len, buf, bs, false));
	}
	rc = 0;
out:
	kvfree(buf);
	kfree(list);
	segment_unload(segment);
	return rc;
}
module_init(copylimit_init);

static void __exit copylimit_exit(void)
{
}
module_exit(copylimit_exit);

MODULE_DESCRIPTION("make bench: memcpy between a DCSS and memory, timed");
MODULE_LICENSE("GPL");
