// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * zvmtest: a guest-side probe of the z/VM-lite emulation (tools/qemu), for
 * tests/emulator/. What no user-space program can reach:
 *   cmd=STRING     run a CP command via DIAG 8 with a response buffer of
 *                  rlen bytes (default 4096); prints rc, length and response
 *   cmdnr=STRING   the same without a response buffer; prints rc
 *   prot=NAME      load NAME shared, try to store into it; prints the result and
 *                  the program-interruption code of a failed store
 *   bad=1          issue malformed DIAG 8/64 under an exception-table fixup;
 *                  prints the program-interruption code each one got
 *   iucv=1         IUCV QUERY (B2F0); prints its cc or program-interruption code
 *   rawload=NAME   raw DIAG X'64' LOADSHRX of NAME (no Linux checks), print
 *                  cc, Rx and Ry, then PURGESEG twice (cc of each)
 *   rawpurge=NAME  raw PURGESEG of NAME; prints its cc (1 = was not loaded)
 *   hold=NAME      load NAME through extmem (shared, or exclusive with
 *                  holdexcl=1) and keep it loaded until rmmod: a second
 *                  kernel user of the DCSS, as monreader is on real z/VM
 *   snatch=NAME    a thread tries to load NAME shared through extmem, again
 *                  and again (extmem refuses while another user has it
 *                  exclusive), and keeps it from its first success until
 *                  rmmod; prints "zvmtest: snatched NAME" then. It catches a
 *                  DCSS in the moment it is loaded shared.
 *   dma=ADDR|ram   read sector 0 of /dev/vda by virtio DMA into the page at
 *                  physical address ADDR (hex; it needs a struct page, e.g. a
 *                  DAX-mapped DCSS) or into a fresh RAM page; prints the
 *                  request's status and the page's first 8 bytes (hex)
 *   peek=ADDR      load 8 bytes from real address ADDR (hex) with LURAG; prints
 *                  the program-interruption code (0x5: addressing) and the value
 *   leak=1         allocate 64 zeroed blocks of 64 bytes and lose the pointers (for
 *                  the harness's kmemleak check; a stale copy of a pointer in
 *                  a reused kernel stack may hide a few of them)
 * All results go to the kernel log as "zvmtest: ..." lines; init returns 0,
 * rmmod it afterwards.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/asm-extable.h>
#include <asm/cpcmd.h>
#include <asm/ebcdic.h>
#include <asm/extmem.h>
#include <asm/lowcore.h>

static char *cmd, *cmdnr, *prot, *rawload, *rawpurge, *hold, *dma, *snatch, *peek;
static int rlen = 4096;
static bool bad, iucv, holdexcl, holding, leak;
module_param(cmd, charp, 0);
module_param(cmdnr, charp, 0);
module_param(prot, charp, 0);
module_param(rawload, charp, 0);
module_param(rawpurge, charp, 0);
module_param(rlen, int, 0);
module_param(bad, bool, 0);
module_param(iucv, bool, 0);
module_param(hold, charp, 0);
module_param(holdexcl, bool, 0);
module_param(leak, bool, 0);
module_param(dma, charp, 0);
module_param(snatch, charp, 0);
module_param(peek, charp, 0);

static struct task_struct *snatcher;
static bool snatched;

static int run_snatch(void *unused)
{
	unsigned long start, end;

	while (!kthread_should_stop()) {
		if (snatched) {
			schedule_timeout_interruptible(HZ / 10);
		} else if (segment_load(snatch, SEGMENT_SHARED, &start, &end) >= 0) {
			snatched = true;
			pr_info("zvmtest: snatched %s\n", snatch);
		} else {
			cond_resched();
		}
	}
	return 0;
}

static void run_cmd(void)
{
	char *buf = kzalloc(rlen + 1, GFP_KERNEL | GFP_DMA);
	char *line, *p;
	int rc = -1, len;

	if (!buf)
		return;
	len = cpcmd(cmd, buf, rlen, &rc);
	pr_info("zvmtest: cmd rc=%d len=%d\n", rc, len);
	p = buf;
	while ((line = strsep(&p, "\n")))
		pr_info("zvmtest: | %s\n", line);
	kfree(buf);
}

static void run_prot(void)
{
	unsigned long start, end;
	unsigned char before = 0, after = 0, val;
	long w;
	int type, code = 0;

	type = segment_load(prot, SEGMENT_SHARED, &start, &end);
	pr_info("zvmtest: prot load type=%d\n", type);
	if (type < 0)
		return;
	copy_from_kernel_nofault(&before, (void *)start, 1);
	val = before ^ 0xff;
	/* a store into a write-protected saved segment: z/VM raises PROTECTION (0x4) */
	w = 0;
	preempt_disable();
	pagefault_disable();
	__put_kernel_nofault((void *)start, &val, u8, fault);
	goto stored;
fault:
	w = -EFAULT;
	code = get_lowcore()->pgm_code;
stored:
	pagefault_enable();
	preempt_enable();
	copy_from_kernel_nofault(&after, (void *)start, 1);
	pr_info("zvmtest: prot store=%ld pgm=%#x unchanged=%d\n", w, code, before == after);
	segment_unload(prot);
}

/*
 * Real storage the kernel has no mapping for (above its memory): LURAG, a fixup
 * on either side of it (PSW after a suppressed, at a nullified instruction).
 */
static void run_peek(void)
{
	unsigned long addr, v = 0;
	int done = 0, code;

	if (kstrtoul(peek, 16, &addr)) {
		pr_info("zvmtest: peek: bad address %s\n", peek);
		return;
	}
	preempt_disable();
	asm volatile(
		"0:	lurag	%[v],%[a]\n"
		"1:	lhi	%[done],1\n"
		"2:\n"
		EX_TABLE(0b, 2b)
		EX_TABLE(1b, 2b)
		: [done] "+d" (done), [v] "+d" (v)
		: [a] "d" (addr) : "cc", "memory");
	code = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	pr_info("zvmtest: peek %lx pgm=%#x value=%016lx\n", addr, code, v);
}

/* Program-interruption code of a DIAG, or 0 if it completed */
static int probe64(unsigned long rx, unsigned long ry)
{
	int done = 0, code;

	preempt_disable();
	asm volatile(
		"	diag	%[rx],%[ry],0x64\n"
		"0:	lhi	%[done],1\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [done] "+d" (done), [rx] "+d" (rx), [ry] "+d" (ry)
		: : "cc", "memory");
	code = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	return code;
}

static int probe8_odd(unsigned long cmdaddr, unsigned long len)
{
	/* Rx = r3 (odd) with the response flag: Rx/Rx+1 must be an even pair */
	register unsigned long r3 asm("3") = cmdaddr;
	register unsigned long r4 asm("4") = len | 0x40000000;
	register unsigned long r5 asm("5") = 0;
	int done = 0, code;

	preempt_disable();
	asm volatile(
		"	diag	%%r3,%%r4,0x8\n"
		"0:	lhi	%[done],1\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [done] "+d" (done), "+d" (r3), "+d" (r4), "+d" (r5)
		: : "cc", "memory");
	code = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	return code;
}

static int probe8(unsigned long cmdaddr, unsigned long len)
{
	int done = 0, code;

	preempt_disable();
	asm volatile(
		"	diag	%[rx],%[ry],0x8\n"
		"0:	lhi	%[done],1\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [done] "+d" (done), [rx] "+d" (cmdaddr), [ry] "+d" (len)
		: : "cc", "memory");
	code = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	return code;
}

static int diag64_cc(unsigned long *rx, unsigned long *ry)
{
	int cc;

	asm volatile(
		"	diag	%[rx],%[ry],0x64\n"
		"	ipm	%[cc]\n"
		"	srl	%[cc],28\n"
		: [cc] "=d" (cc), [rx] "+d" (*rx), [ry] "+d" (*ry)
		: : "cc", "memory");
	return cc;
}

static char *ebcdic_name(const char *ascii)
{
	char *name = kmalloc(8, GFP_KERNEL | GFP_DMA);
	int i;

	if (!name)
		return NULL;
	memset(name, ' ', 8);
	for (i = 0; i < 8 && ascii[i]; i++)
		name[i] = ascii[i];
	ASCEBC(name, 8);
	return name;
}

static void run_rawpurge(void)
{
	char *name = ebcdic_name(rawpurge);
	unsigned long rx, ry = 0x08;

	if (!name)
		return;
	rx = __pa(name);
	pr_info("zvmtest: rawpurge cc=%d\n", diag64_cc(&rx, &ry));
	kfree(name);
}

static void run_rawload(void)
{
	char *name = ebcdic_name(rawload);
	unsigned long rx, ry;
	int cc;

	if (!name)
		return;
	rx = __pa(name);
	ry = 0x20;
	cc = diag64_cc(&rx, &ry);
	pr_info("zvmtest: rawload cc=%d rx=%#lx ry=%#lx\n", cc, rx, ry);
	rx = __pa(name);
	ry = 0x08;
	cc = diag64_cc(&rx, &ry);
	pr_info("zvmtest: rawpurge cc=%d\n", cc);
	rx = __pa(name);
	ry = 0x08;
	cc = diag64_cc(&rx, &ry);
	pr_info("zvmtest: rawpurge-again cc=%d\n", cc);
	kfree(name);
}

static void run_iucv(void)
{
	register unsigned long r0 asm("0") = 0;		/* IUCV QUERY */
	register unsigned long r1 asm("1") = 0;
	int cc = -1, done = 0, code;

	preempt_disable();
	asm volatile(
		"	.long	0xb2f01000\n"
		"0:	ipm	%[cc]\n"
		"	srl	%[cc],28\n"
		"	lhi	%[done],1\n"
		"1:\n"
		EX_TABLE(0b, 1b)
		: [cc] "+d" (cc), [done] "+d" (done), "+d" (r0), "+d" (r1)
		: : "cc", "memory");
	code = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	pr_info("zvmtest: iucv cc=%d pgm=%#x\n", done ? cc : -1, code);
}

static void run_bad(void)
{
	char *page = (char *)get_zeroed_page(GFP_KERNEL | GFP_DMA);
	unsigned long pa;

	if (!page)
		return;
	pa = __pa(page);
	memcpy(page, "\xc1\xc2\xc3\x40\x40\x40\x40\x40", 8);	/* "ABC" */
	memcpy(page + 16, "\xd8\xe4\xc5\xd9\xe8\x40\xe3\xc5\xd9\xd4", 10); /* QUERY TERM */
	pr_info("zvmtest: bad load-misaligned-name pgm=%#x\n", probe64(pa + 1, 0x20));
	pr_info("zvmtest: bad purge-misaligned-name pgm=%#x\n", probe64(pa + 4, 0x08));
	pr_info("zvmtest: bad query-misaligned-qin pgm=%#x\n", probe64(pa + 2, 0x38));
	pr_info("zvmtest: bad load-name-outside-storage pgm=%#x\n",
		probe64(0x3fff0000000UL, 0x20));
	pr_info("zvmtest: bad unknown-subcode pgm=%#x\n", probe64(pa, 0x0c));
	pr_info("zvmtest: bad diag8-odd-pair pgm=%#x\n", probe8_odd(pa + 16, 10));
	pr_info("zvmtest: bad diag8-too-long pgm=%#x\n", probe8(pa + 16, 241));
	pr_info("zvmtest: bad diag8-cmd-outside-storage pgm=%#x\n",
		probe8(0x3fff0000000UL, 10));
	pr_info("zvmtest: bad diag8-good pgm=%#x\n", probe8(pa + 16, 10));
	free_page((unsigned long)page);
}

static void run_leak(void)
{
	int i, n = 0;

	for (i = 0; i < 64; i++)
		n += kzalloc(64, GFP_KERNEL) != NULL;
	pr_info("zvmtest: leaked %d blocks of 64 bytes\n", n);
}

static void run_dma(void)
{
	struct page *page, *fresh = NULL;
	struct dev_pagemap *pgmap = NULL;
	unsigned long addr;
	struct file *f;
	struct bio *bio;
	int rc;

	if (!strcmp(dma, "ram")) {
		page = fresh = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page) {
			pr_info("zvmtest: dma no-memory\n");
			return;
		}
	} else {
		/* only device pages (a DAX-mapped DCSS): a typo must not DMA over kernel memory */
		pgmap = kstrtoul(dma, 16, &addr) ? NULL : get_dev_pagemap(PHYS_PFN(addr));
		if (!pgmap) {
			pr_info("zvmtest: dma no-device-page-at %s\n", dma);
			return;
		}
		page = pfn_to_page(PHYS_PFN(addr));
	}
	f = bdev_file_open_by_path("/dev/vda", BLK_OPEN_READ, NULL, NULL);
	if (IS_ERR(f)) {
		pr_info("zvmtest: dma open=%ld\n", PTR_ERR(f));
		goto out;
	}
	/*
	 * One page: QEMU bounces a DMA into read-only memory through a single 4 KiB buffer; a
	 * bigger request would break the device instead of testing the drop.
	 */
	bio = bio_alloc(file_bdev(f), 1, REQ_OP_READ, GFP_KERNEL);
	bio->bi_iter.bi_sector = 0;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	rc = submit_bio_wait(bio);
	bio_put(bio);
	fput(f);
	pr_info("zvmtest: dma rc=%d data=%8phN\n", rc, page_address(page));
out:
	if (fresh)
		__free_page(fresh);
	if (pgmap)
		put_dev_pagemap(pgmap);
}

static int __init zvmtest_init(void)
{
	if (cmd)
		run_cmd();
	if (cmdnr) {
		int rc = -1;

		cpcmd(cmdnr, NULL, 0, &rc);
		pr_info("zvmtest: cmdnr rc=%d\n", rc);
	}
	if (prot)
		run_prot();
	if (bad)
		run_bad();
	if (rawload)
		run_rawload();
	if (iucv)
		run_iucv();
	if (rawpurge)
		run_rawpurge();
	if (hold) {
		unsigned long start, end;
		int type = segment_load(hold, holdexcl ? SEGMENT_EXCLUSIVE : SEGMENT_SHARED,
					&start, &end);

		holding = type >= 0;
		pr_info("zvmtest: hold %s type=%d\n", holdexcl ? "exclusive" : "shared", type);
	}
	if (leak)
		run_leak();
	if (dma)
		run_dma();
	if (peek)
		run_peek();
	if (snatch) {
		snatcher = kthread_run(run_snatch, NULL, "zvmtest-snatch");
		if (IS_ERR(snatcher)) {
			pr_info("zvmtest: snatch thread rc=%ld\n", PTR_ERR(snatcher));
			snatcher = NULL;
		}
	}
	pr_info("zvmtest: done\n");
	return 0;
}

static void __exit zvmtest_exit(void)
{
	if (snatcher)
		kthread_stop(snatcher);
	if (snatched)
		segment_unload(snatch);
	if (holding)
		segment_unload(hold);
}

module_init(zvmtest_init);
module_exit(zvmtest_exit);
MODULE_DESCRIPTION("Probe of the z/VM-lite emulation (tests only)");
MODULE_LICENSE("GPL");
