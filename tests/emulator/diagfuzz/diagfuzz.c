// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diagfuzz: a hostile guest for the z/VM-lite emulation (tests/emulator/diag-fuzz).
 * At load it issues calls=N (default 100000) DIAG X'64' and DIAG X'08' calls
 * drawn from seed=S: random subcodes, names (catalog names, path-like ones
 * such as "../X" and "A/B", NULs, random bytes), register values and
 * addresses (unaligned, page- and storage-crossing, outside storage, inside
 * loaded segments), lengths and CP command strings. Every call runs under an
 * exception-table fixup, so the specification and addressing exceptions the
 * emulator raises are counted, not fatal. Whatever the emulator writes back
 * (DIAG X'08' responses, SEGEXTX output) lands only in this module's scratch
 * pages or outside guest storage, so the guest itself survives any answer.
 * Prints "diagfuzz: seed S calls N ..." with counts of condition codes and
 * program-interruption codes; returns -EAGAIN so that it unloads itself.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/asm-extable.h>
#include <asm/ebcdic.h>
#include <asm/lowcore.h>

static unsigned long calls = 100000;
static unsigned long seed = 1;
static char *names = "FZ1,FZ2,LOW";
module_param(calls, ulong, 0);
module_param(seed, ulong, 0);
module_param(names, charp, 0);

#define SCRATCH_ORDER	2			/* 4 pages, physically contiguous */
#define SCRATCH_SIZE	(PAGE_SIZE << SCRATCH_ORDER)

static u64 state;

static u64 next(void)
{
	/* xorshift64*: reproducible from the seed, unlike get_random_u64() */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545F4914F6CDD1DULL;
}

static unsigned long pick(unsigned long n)
{
	return next() % n;
}

static const char *const weird[] = {
	"../X", "A/B", "..", ".", "/", "A\\B", "X\001Y", "", "        ", "a", "LOWER",
	"ABCDEFGHI", "$#@", "*", "NSS", "CP",
};

static char *scratch;
static unsigned long scratch_pa, storage_end;
static char *catalog[8];
static int ncatalog;
static unsigned long cc_count[4], pgm_count[8], pgm_other;

/* DIAG CODE with Rx = r2/r3, Ry = r4/r5; a program interruption skips to 1: with done = 0 */
#define DIAG_FIXUP(code)							\
	asm volatile(								\
		"	diag	%%r2,%%r4," #code "\n"				\
		"0:	ipm	%[c]\n"						\
		"	srl	%[c],28\n"						\
		"	lhi	%[done],1\n"					\
		"1:\n"								\
		EX_TABLE(0b, 1b)						\
		: [done] "+d" (done), [c] "+d" (c), "+d" (r2), "+d" (r3), "+d" (r4), "+d" (r5) \
		: : "cc", "memory")

/* Program-interruption code of one DIAG (0 if none); *cc gets its condition code. */
static int diag(unsigned long rx, unsigned long rx1, unsigned long ry, unsigned long ry1,
		int code, int *cc)
{
	register unsigned long r2 asm("2") = rx;
	register unsigned long r3 asm("3") = rx1;
	register unsigned long r4 asm("4") = ry;
	register unsigned long r5 asm("5") = ry1;
	int done = 0, c = 0, pgm;

	preempt_disable();
	if (code == 0x64)
		DIAG_FIXUP(0x64);
	else
		DIAG_FIXUP(0x8);
	pgm = done ? 0 : get_lowcore()->pgm_code;
	preempt_enable();
	*cc = c & 3;
	return pgm;
}

/* An 8-byte EBCDIC segment name, blank padded, at BUF: a catalog, weird or random one. */
static void put_name(char *buf)
{
	const char *n;
	int i;

	switch (pick(4)) {
	case 0:
		for (i = 0; i < 8; i++)
			buf[i] = next();
		return;
	case 1:
		n = weird[pick(ARRAY_SIZE(weird))];
		break;
	default:
		n = ncatalog ? catalog[pick(ncatalog)] : "FZ1";
	}
	memset(buf, 0x40, 8);
	for (i = 0; i < 8 && n[i]; i++)
		buf[i] = n[i];
	ASCEBC(buf, i);
}

/*
 * An address the emulator may write LEN bytes to: inside the scratch half
 * [BASE, BASE + SCRATCH_SIZE / 2) at any alignment, or outside storage (where
 * only loaded segments are). *LEN is cut to fit the scratch half.
 */
static unsigned long write_addr(unsigned long base, unsigned long *len)
{
	if (pick(6) == 0)
		return storage_end + pick(1UL << 30);
	if (*len > SCRATCH_SIZE / 2)
		*len = pick(SCRATCH_SIZE / 2 + 1);
	return base + pick(SCRATCH_SIZE / 2 - *len + 1);
}

static int fill_command(char *buf, size_t size)
{
	static const char *const types[] = { "SR", "SW", "EW", "SN", "EN", "ER", "SC", "XX", "" };
	static const char *const verbs[] = {
		"DEFSEG", "SAVESEG", "PURGE NSS NAME", "QUERY NSS MAP", "Q NSS", "QUERY",
		"CP DEFSEG", "QUERY USERID", "QUERY CPLEVEL", "TERM", "SET", "PURGE",
	};
	char name[16];
	const char *n;
	unsigned long first, last;
	int len, i;

	if (pick(8) == 0) {
		len = pick(size);
		for (i = 0; i < len; i++)
			buf[i] = next();
		return len;
	}
	n = pick(3) ? (ncatalog ? catalog[pick(ncatalog)] : "FZ1") : weird[pick(ARRAY_SIZE(weird))];
	if (pick(4) == 0)
		snprintf(name, sizeof(name), "FUZ%lu", pick(100));
	else
		strscpy(name, n, sizeof(name));
	first = pick(3) ? 0x53000 + pick(0x100) * 0x100 : next() & 0xfffffff;
	last = pick(4) ? first + pick(0x400) : next() & 0xfffffff;
	len = scnprintf(buf, size, "%s %s %lX-%lX %s %lX-%lX %s", verbs[pick(ARRAY_SIZE(verbs))], name,
			first, last, types[pick(ARRAY_SIZE(types))], last + 1, last + 1 + pick(0x200),
			types[pick(ARRAY_SIZE(types))]);
	if (pick(2))	/* cut after any word */
		len = pick(len + 1);
	ASCEBC(buf, len);
	return len;
}

static void count(int pgm, int cc)
{
	if (!pgm)
		cc_count[cc]++;
	else if (pgm < ARRAY_SIZE(pgm_count))
		pgm_count[pgm]++;
	else
		pgm_other++;
}

/*
 * DIAG X'64': Rx = the name's address (SEGEXTX: the qin's), Ry = the subcode.
 * Operands live in the first scratch half; SEGEXTX's output (qout, 120 bytes)
 * goes to the second half or outside storage. A qin that is not in scratch
 * is made unreadable (outside storage, or fewer than its 24 bytes inside),
 * so that the emulator never takes a qoutptr from the guest's own memory.
 */
static void one_diag64(void)
{
	static const unsigned long subcodes[] = { 0x08, 0x20, 0x24, 0x38 };
	unsigned long sub, rx, ry, qlen;
	int cc = 0, pgm;
	char *p;

	sub = pick(8) ? subcodes[pick(ARRAY_SIZE(subcodes))] : pick(0x100);
	switch (pick(8)) {
	case 0:
		rx = storage_end - 1 - pick(sub == 0x38 ? 23 : 16);	/* crosses the end of storage */
		break;
	case 1:
		rx = storage_end + pick(1UL << 30);			/* outside storage */
		break;
	case 2:
		rx = next();						/* anything */
		if (sub == 0x38 && rx < storage_end)
			rx += storage_end;
		break;
	default:						/* scratch, any alignment */
		rx = scratch_pa + pick(SCRATCH_SIZE / 2 - 24);
		p = scratch + (rx - scratch_pa);
		if (sub == 0x38) {
			/* qin: name at +8, qoutptr at +16, qoutlen at +20 */
			qlen = pick(4) ? 120 : pick(0x10000);
			put_name(p + 8);
			*(u32 *)(p + 16) = write_addr(scratch_pa + SCRATCH_SIZE / 2, &qlen);
			*(u16 *)(p + 20) = qlen;
		} else {
			put_name(p);
		}
	}
	ry = sub | (pick(16) ? 0 : next() << 8);
	pgm = diag(rx, next(), ry, next(), 0x64, &cc);
	count(pgm, cc);
	if (!pgm && cc == 0 && (sub == 0x20 || sub == 0x24) && pick(2)) {
		/* a load succeeded: most of the time purge it again */
		count(diag(rx, 0, 0x08, 0, 0x64, &cc), cc);
	}
}

/*
 * DIAG X'08': Rx = the command's address, Rx+1 the response buffer's; Ry =
 * the command length with flags (X'40000000': response wanted), Ry+1 the
 * response buffer's length. Command in the first scratch half (or read from
 * anywhere), response into the second half or outside storage.
 */
static void one_diag8(void)
{
	unsigned long cmd, len, flags, resp, rlen;
	int cc = 0, pgm;

	len = fill_command(scratch, 300);
	cmd = scratch_pa;
	if (pick(8) == 0)
		cmd = pick(2) ? storage_end - pick(len + 1) : next();
	if (pick(8) == 0)
		len = next() & 0xffffff;
	flags = pick(2) ? 0x40000000 : (pick(8) ? 0 : next() & 0xff000000);
	rlen = pick(4) ? pick(SCRATCH_SIZE / 2) : next() & 0xffffffff;
	resp = write_addr(scratch_pa + SCRATCH_SIZE / 2, &rlen);
	pgm = diag(cmd, resp, len | flags, rlen, 0x8, &cc);
	count(pgm, cc);
}

static int __init diagfuzz_init(void)
{
	char *list, *p, *n;
	unsigned long i;

	scratch = (char *)__get_free_pages(GFP_KERNEL | GFP_DMA | __GFP_ZERO, SCRATCH_ORDER);
	if (!scratch)
		return -ENOMEM;
	scratch_pa = __pa(scratch);
	storage_end = __pa(high_memory);	/* the first byte above guest storage */
	list = kstrdup(names, GFP_KERNEL);
	for (p = list; list && (n = strsep(&p, ",")) && ncatalog < ARRAY_SIZE(catalog);)
		if (*n)
			catalog[ncatalog++] = n;
	state = seed ? seed : 1;
	for (i = 0; i < calls; i++) {
		if (pick(2))
			one_diag64();
		else
			one_diag8();
		if (i % 1000 == 999)
			cond_resched();
	}
	pr_info("diagfuzz: seed %lu calls %lu cc0 %lu cc1 %lu cc2 %lu cc3 %lu pgm-protection %lu pgm-addressing %lu pgm-specification %lu pgm-other %lu\n",
		seed, calls, cc_count[0], cc_count[1], cc_count[2], cc_count[3], pgm_count[4],
		pgm_count[5], pgm_count[6],
		pgm_other + pgm_count[1] + pgm_count[2] + pgm_count[3] + pgm_count[7]);
	kfree(list);
	free_pages((unsigned long)scratch, SCRATCH_ORDER);
	return -EAGAIN;
}

module_init(diagfuzz_init);
MODULE_DESCRIPTION("Hostile-guest fuzzer of the z/VM-lite DIAG interface (tests only)");
MODULE_LICENSE("GPL");
