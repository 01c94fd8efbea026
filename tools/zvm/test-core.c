/*
 * Host test of the z/VM-lite core (zvm-core.c) through its emulator
 * interface, with the storage model the Hercules build uses: guest absolute
 * storage is one reserved host range, guest storage read/write at its start,
 * segments mapped MAP_FIXED above it by map_seg. The "CPU" is a register
 * file; program interruptions longjmp back to the test. The guest's own
 * paths (Linux extmem, dcssblk) are tested in guests (tests/emulator,
 * tests/driver); this test reaches the core's rules directly, including the
 * ones a guest cannot provoke, and runs in seconds under ASan and UBSan.
 *
 * SPDX-License-Identifier: MIT OR GPL-2.0-or-later
 *
 * Usage: test-core CATALOG-DIR (an empty directory)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zvm-core.h"

#define STORAGE     (16ULL << 20)           /* guest storage: 16 MiB */
#define SPACE       (1ULL << 32)            /* reserved guest absolute space */
#define SEG_AT      (64ULL << 20)           /* where the test's segments go */

static uint8_t *space;
static const char *dir;
static int failures;

struct cpu {
    uint64_t regs[16];
    uint64_t mask;
    jmp_buf pgm;
    int pgm_code;
};

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            failures++; \
            fprintf(stderr, "FAIL %s:%d: ", __func__, __LINE__); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
        } \
    } while (0)

/* ---- the emulator side ---------------------------------------------- */

static uint64_t get_reg(void *c, int r) { return ((struct cpu *)c)->regs[r]; }
static void set_reg(void *c, int r, uint64_t v) { ((struct cpu *)c)->regs[r] = v; }
static uint64_t addr_mask(void *c) { return ((struct cpu *)c)->mask; }

static bool addressable(uint64_t a, uint64_t len, bool is_write)
{
    for (uint64_t p = a & ~4095ULL; p < a + len; p += 4096) {
        enum zvm_frame_kind k = p < STORAGE ? ZVM_FRAME_RW : zvm_frame_kind(p);

        if (p >= SPACE || k == ZVM_FRAME_NONE || (is_write && k == ZVM_FRAME_RO)) {
            return false;
        }
    }
    return true;
}

static bool real_rw(void *c, uint64_t a, void *buf, uint64_t len, bool is_write)
{
    (void)c;                /* no prefixing: the test's CPU has prefix 0 */
    if (!addressable(a, len, is_write)) {
        return false;
    }
    if (is_write) {
        memcpy(space + a, buf, len);
    } else {
        memcpy(buf, space + a, len);
    }
    return true;
}

static void __attribute__((noreturn)) pgm(void *c, int code)
{
    ((struct cpu *)c)->pgm_code = code;
    longjmp(((struct cpu *)c)->pgm, 1);
}

static int lock_depth;
static void lock(void *c) { (void)c; CHECK(lock_depth++ == 0, "lock taken twice"); }
static void unlock(void *c) { (void)c; CHECK(--lock_depth == 0, "unlock without lock"); }

static bool map_seg(struct zvm_seg *seg, const struct zvm_map *m, int n)
{
    CHECK(lock_depth == 1, "map_seg unlocked");
    for (int i = 0; i < n; i++) {
        int prot = PROT_READ | (m[i].readonly ? 0 : PROT_WRITE);
        void *p = mmap(space + m[i].addr, m[i].len, prot,
                       (m[i].shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED,
                       m[i].fd, m[i].offset);

        CHECK(p != MAP_FAILED, "mmap %s range %d: %s", seg->def.name, i, strerror(errno));
        close(m[i].fd);
    }
    seg->backend = space;
    return true;
}

static void unmap_seg(struct zvm_seg *seg)
{
    CHECK(lock_depth == 1, "unmap_seg unlocked");
    for (int i = 0; i < seg->def.nr; i++) {
        uint64_t a = seg->def.r[i].first << ZVM_PAGE_SHIFT;
        uint64_t len = (seg->def.r[i].last + 1 - seg->def.r[i].first) << ZVM_PAGE_SHIFT;

        mmap(space + a, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    }
}

static bool abs_read(uint64_t a, void *buf, uint64_t len)
{
    if (!addressable(a, len, false)) {
        return false;
    }
    memcpy(buf, space + a, len);
    return true;
}

static iconv_t to_a, to_e;

static void conv(iconv_t cd, char *dst, const char *src, size_t n)
{
    char *in = (char *)src, *out = dst;
    size_t il = n, ol = n;

    while (il && iconv(cd, &in, &il, &out, &ol) == (size_t)-1) {
        *out++ = '?';       /* not in the code page */
        in++, il--, ol--;
    }
}

static void to_ascii(char *dst, const uint8_t *src, size_t n) { conv(to_a, dst, (const char *)src, n); }
static void to_ebcdic(uint8_t *dst, const char *src, size_t n) { conv(to_e, (char *)dst, src, n); }

static void report(bool warning, const char *msg)
{
    fprintf(stderr, "%s: %s\n", warning ? "warning" : "error", msg);
}

static const struct zvm_ops ops = {
    .get_reg = get_reg, .set_reg = set_reg, .addr_mask = addr_mask,
    .real_rw = real_rw, .pgm = pgm, .lock = lock, .unlock = unlock,
    .map_seg = map_seg, .unmap_seg = unmap_seg, .abs_read = abs_read,
    .to_ascii = to_ascii, .to_ebcdic = to_ebcdic, .report = report,
};

/* ---- helpers ---------------------------------------------------------- */

/* A catalog file NAME.seg with HEADER's ranges, each page filled with FILL */
static void make_seg(const char *name, const char *ranges, uint64_t pages, int fill)
{
    char path[4096], hdr[4096] = { 0 };
    uint8_t *data = malloc(pages * 4096);
    int fd;

    snprintf(path, sizeof(path), "%s/%s.seg", dir, name);
    snprintf(hdr, sizeof(hdr), "ZVMSEG1\n%s", ranges);
    memset(data, fill, pages * 4096);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, hdr, 4096) != 4096 ||
        write(fd, data, pages * 4096) != (ssize_t)(pages * 4096)) {
        perror(path);
        exit(2);
    }
    close(fd);
    free(data);
}

static void put_name(uint64_t at, const char *name)
{
    char padded[9];

    snprintf(padded, sizeof(padded), "%-8s", name);
    to_ebcdic(space + at, padded, 8);
}

/* DIAGNOSE X'08' (diag8) or X'64' with Rx r1, Ry r3 as set up: cc, or -code of a program check */
static int call(struct cpu *c, bool diag8, int r1, int r3)
{
    if (setjmp(c->pgm)) {
        return -c->pgm_code;
    }
    return diag8 ? zvm_diag8(c, r1, r3) : zvm_diag64(c, r1, r3);
}

/* DIAGNOSE X'64' with subcode on the name at 0x1000: cc, or -code of a program check */
static int diag64(struct cpu *c, uint64_t subcode, const char *name)
{
    put_name(0x1000, name);
    c->regs[2] = 0x1000;
    c->regs[4] = subcode;
    return call(c, false, 2, 4);
}

/* DIAGNOSE X'08' of cmd with a response buffer of buflen at 0x3000: cc, or -code */
static int diag8_call(struct cpu *c, const char *cmd, uint64_t buflen)
{
    size_t n = strlen(cmd);

    to_ebcdic(space + 0x2000, cmd, n);
    c->regs[2] = 0x2000;
    c->regs[3] = 0x3000;
    c->regs[4] = 0x40000000 | n;
    c->regs[5] = buflen;
    memset(space + 0x3000, 0, 8192);
    return call(c, true, 2, 4);
}

/* The same; the response in resp, X'15' line ends as '\n' */
static int diag8(struct cpu *c, const char *cmd, uint64_t buflen, char *resp)
{
    int cc = diag8_call(c, cmd, buflen);
    /* cc 1: the buffer is full, Ry+1 counts what did not fit */
    uint64_t got = cc == 1 ? buflen : cc == 0 ? c->regs[5] : 0;

    to_ascii(resp, space + 0x3000, got);
    resp[got] = 0;
    for (char *p = resp; *p; p++) {
        if (*p == '\x85') {
            *p = '\n';
        }
    }
    return cc;
}

/* SEGEXTX of name: its parameter list at 0x1000, the answer at 0x1100 */
static int segextx(struct cpu *c, const char *name, uint8_t *qout)
{
    memset(space + 0x1000, 0, 0x200);
    put_name(0x1008, name);
    space[0x1012] = 0x11;                       /* qoutptr 0x1100 */
    space[0x1015] = 120;                        /* qoutlen */
    c->regs[2] = 0x1000;
    c->regs[4] = 0x38;
    int cc = call(c, false, 2, 4);
    memcpy(qout, space + 0x1100, 120);
    return cc;
}

static uint64_t be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* ---- tests ---------------------------------------------------------- */

static void test_header(void)
{
    struct zvm_segdef d;

    CHECK(zvm_parse_header("ZVMSEG1\n100-1FF SR\n", &d) && d.nr == 1 && d.r[0].type == ZVM_SR,
          "one SR range");
    CHECK(zvm_parse_header("ZVMSEG1\n100-17F ew\n180-1FF SN\n\n300-3FF SR\n", &d) && d.nr == 2,
          "two ranges, lower-case type, stop at the empty line");
    CHECK(!zvm_parse_header("ZVMSEG2\n100-1FF SR\n", &d), "wrong magic");
    CHECK(!zvm_parse_header("ZVMSEG1x\n100-1FF SR\n", &d), "magic with a suffix");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-1FF  SR\n", &d), "two blanks");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-1FF SR X\n", &d), "three words");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-17F SR\n181-1FF SR\n", &d), "a gap");
    CHECK(!zvm_parse_header("ZVMSEG1\n101-1FF SR\n", &d), "start not on 1 MiB");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-1FE SR\n", &d), "end not on 1 MiB");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-1FF XX\n", &d), "unknown type");
    CHECK(!zvm_parse_header("ZVMSEG1\n7FFFF00-80000FF SR\n", &d), "above MAX_DCSS_ADDR");
    CHECK(!zvm_parse_header("ZVMSEG1\n100-10F SR\n110-11F SR\n120-12F SR\n130-13F SR\n"
                            "140-14F SR\n150-15F SR\n160-1FF SR\n", &d), "seven ranges");
    CHECK(!zvm_parse_header("ZVMSEG1\n", &d), "no range");
    CHECK(zvm_valid_name("A$#@_-9") && !zvm_valid_name("lower") && !zvm_valid_name("NINECHARS") &&
          !zvm_valid_name(""), "name rules");
}

static void test_cp(struct cpu *c)
{
    char resp[8192];
    int cc;

    cc = diag8(c, "q userid", 4096, resp);
    CHECK(cc == 0 && c->regs[4] == 0 && !strcmp(resp, "TESTUSER AT ZVMLITE"),
          "QUERY USERID: cc %d rc %lu '%s'", cc, (unsigned long)c->regs[4], resp);
    cc = diag8(c, "CP  FROB", 4096, resp);
    CHECK(cc == 0 && c->regs[4] == 1 && !strcmp(resp, "HCPCMD001E Unknown CP command: FROB"),
          "unknown command: rc %lu '%s'", (unsigned long)c->regs[4], resp);
    cc = diag8(c, "QUERY CPLEVEL", 4096, resp);
    size_t full = strlen(resp);
    cc = diag8(c, "QUERY CPLEVEL", 10, resp);
    CHECK(cc == 1 && c->regs[5] == full - 10 && !strcmp(resp, "z/VM Versi"),
          "a short buffer: cc %d, %lu bytes left over of %zu, '%s'", cc,
          (unsigned long)c->regs[5], full, resp);
    cc = diag8(c, "SAVESEG NOSKEL", 4096, resp);
    CHECK(cc == 0 && c->regs[4] == 44, "SAVESEG without DEFSEG: rc %lu", (unsigned long)c->regs[4]);
    cc = diag8(c, "DEFSEG BAD 100-17F SR 181-1FF SR", 4096, resp);
    CHECK(c->regs[4] == 26 && strstr(resp, "contiguous"), "DEFSEG with a gap: rc %lu '%s'",
          (unsigned long)c->regs[4], resp);
    cc = diag8(c, "PURGE NSS NAME NONE", 4096, resp);
    CHECK(c->regs[4] == 44, "PURGE NSS of nothing: rc %lu", (unsigned long)c->regs[4]);
    /* odd register pair with a response wanted, and a command above 240 bytes */
    c->regs[4] = 0x40000000 | 4;
    cc = call(c, true, 3, 4);
    CHECK(cc == -ZVM_PGM_SPECIFICATION, "odd Rx: %d, not a specification exception", cc);
    c->regs[2] = 0x2000;
    c->regs[4] = 241;
    cc = call(c, true, 2, 4);
    CHECK(cc == -ZVM_PGM_SPECIFICATION, "241-byte command: %d, not a specification exception", cc);
    /* a response buffer outside storage: addressing, after the command ran */
    to_ebcdic(space + 0x2000, "Q USERID", 8);
    c->regs[3] = STORAGE + 4096;
    c->regs[4] = 0x40000000 | 8;
    c->regs[5] = 100;
    cc = call(c, true, 2, 4);
    CHECK(cc == -ZVM_PGM_ADDRESSING, "unaddressable response: %d, not an addressing exception", cc);
}

static void test_load(struct cpu *c)
{
    uint64_t a = SEG_AT;
    uint8_t q[120];
    int cc;

    make_seg("SRSEG", "4000-40FF SR\n", 256, 0xa5);
    cc = segextx(c, "srseg", q);        /* lower case: CP folds names */
    CHECK(cc == 0 && be64(q) == a && be64(q + 8) == a + (1 << 20) - 1 && q[19] == 1 &&
          be64(q + 24) == (a | ZVM_SR), "SEGEXTX: cc %d, %lx-%lx, %d ranges", cc,
          (unsigned long)be64(q), (unsigned long)be64(q + 8), q[19]);
    cc = segextx(c, "NOSUCH", q);
    CHECK(cc == 2 && c->regs[4] == 44, "SEGEXTX of nothing: cc %d rc %lu", cc,
          (unsigned long)c->regs[4]);
    cc = diag64(c, 0x20, "SRSEG");
    CHECK(cc == 0 && c->regs[2] == a && c->regs[4] == a + (1 << 20) - 1,
          "LOADSHRX SR: cc %d start %lx end %lx", cc, (unsigned long)c->regs[2],
          (unsigned long)c->regs[4]);
    CHECK(space[a + 12345] == 0xa5, "the segment's data is at its address");
    CHECK(zvm_frame_kind(a) == ZVM_FRAME_RO && zvm_frame_readonly(a + (1 << 20) - 1) &&
          zvm_frame_kind(a + (1 << 20)) == ZVM_FRAME_NONE && zvm_frame_kind(STORAGE) == ZVM_FRAME_NONE,
          "frame kinds of a loaded SR segment");
    cc = diag64(c, 0x20, "NOSUCH");
    CHECK(cc == 2 && c->regs[4] == 44, "LOADSHRX of nothing: cc %d rc %lu", cc, (unsigned long)c->regs[4]);
    make_seg("LOW", "0-FF SR\n", 256, 1);
    cc = diag64(c, 0x20, "LOW");
    CHECK(cc == 2 && c->regs[4] == 36, "a segment over guest storage: cc %d rc %lu", cc,
          (unsigned long)c->regs[4]);
    make_seg("OVER", "4000-41FF EW\n", 512, 2);
    cc = diag64(c, 0x20, "OVER");
    CHECK(cc == 2 && c->regs[4] == 36, "overlapping a loaded one: cc %d rc %lu", cc,
          (unsigned long)c->regs[4]);
    cc = diag64(c, 0x08, "SRSEG");
    CHECK(cc == 0 && zvm_frame_kind(a) == ZVM_FRAME_NONE, "PURGESEG: cc %d", cc);
    cc = diag64(c, 0x08, "SRSEG");
    CHECK(cc == 1, "PURGESEG of a segment not loaded: cc %d", cc);
    cc = diag64(c, 0x44, "SRSEG");
    CHECK(cc == -ZVM_PGM_SPECIFICATION, "an unknown subcode: %d", cc);
    c->regs[2] = 0x1001;
    c->regs[4] = 0x20;
    cc = call(c, false, 2, 4);
    CHECK(cc == -ZVM_PGM_SPECIFICATION, "unaligned name: %d, not a specification exception", cc);
}

/* LOADNSRX (exclusive, copy-on-write), change it, DEFSEG + SAVESEG a new version */
static void test_save(struct cpu *c)
{
    uint64_t a = SEG_AT + (16 << 20);
    char resp[8192], path[4096];
    uint8_t b;
    int cc, fd;

    make_seg("EWSEG", "5000-50FF EW\n", 256, 0x11);
    cc = diag64(c, 0x24, "EWSEG");
    CHECK(cc == 0 && zvm_frame_kind(a) == ZVM_FRAME_RW, "LOADNSRX: cc %d", cc);
    space[a + 4096] = 0x22;
    cc = diag8(c, "DEFSEG EWSEG 5000-50FF EW", 4096, resp);
    CHECK(c->regs[4] == 0, "DEFSEG: rc %lu '%s'", (unsigned long)c->regs[4], resp);
    diag8(c, "QUERY NSS MAP", 8192, resp);
    CHECK(strstr(resp, "0000 EWSEG    DCSS     N/A      05000    050FF    EW   S  00000"),
          "QUERY NSS shows the skeleton: '%s'", resp);
    cc = diag8(c, "SAVESEG EWSEG", 4096, resp);
    CHECK(c->regs[4] == 0 && strstr(resp, "HCPNSS440I Saved segment EWSEG was successfully saved"),
          "SAVESEG: rc %lu '%s'", (unsigned long)c->regs[4], resp);
    snprintf(path, sizeof(path), "%s/EWSEG.seg", dir);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && pread(fd, &b, 1, 4096 + 4096) == 1 && b == 0x22, "the saved version has the change");
    if (fd >= 0) {
        close(fd);
    }
    diag8(c, "QUERY NSS MAP", 8192, resp);
    CHECK(strstr(resp, "EWSEG    DCSS     N/A      05000    050FF    EW   A  00000") &&
          strstr(resp, "EWSEG    DCSS     N/A      05000    050FF    EW   P  00001"),
          "the new version is class A and unused, the loaded one class P: '%s'", resp);
    cc = diag64(c, 0x08, "EWSEG");
    CHECK(cc == 0, "PURGESEG: cc %d", cc);
}

/* SW loaded shared: one live copy for two guests (processes), gone after the last purge */
static void test_live(struct cpu *c)
{
    uint64_t a = SEG_AT + (32 << 20);
    int cc, status, p2c[2], c2p[2];
    char x;
    pid_t pid;

    make_seg("SWSEG", "6000-60FF SW\n", 256, 0x33);
    if (pipe(p2c) || pipe(c2p)) {
        exit(2);
    }
    pid = fork();
    if (pid == 0) {
        int bad = 0;

        bad |= diag64(c, 0x20, "SWSEG") != 0;
        space[a + 100] = 0x44;
        bad |= write(c2p[1], "l", 1) != 1;
        bad |= read(p2c[0], &x, 1) != 1;            /* the parent has looked */
        bad |= diag64(c, 0x08, "SWSEG") != 0;
        _exit(bad || failures);
    }
    CHECK(read(c2p[0], &x, 1) == 1, "the child's load");
    cc = diag64(c, 0x20, "SWSEG");
    CHECK(cc == 0 && space[a + 100] == 0x44, "the second guest sees the first one's store: cc %d, %#x",
          cc, space[a + 100]);
    CHECK(write(p2c[1], "p", 1) == 1, "to the child");
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child guest failed");
    cc = diag64(c, 0x08, "SWSEG");
    CHECK(cc == 0, "PURGESEG: cc %d", cc);
    {
        char live[4096];
        int n = 0;
        FILE *ls;

        snprintf(live, sizeof(live), "ls -A %s/.live | wc -l", dir);
        ls = popen(live, "r");
        CHECK(ls && fscanf(ls, "%d", &n) == 1 && n == 0, "%d live copies left after the last purge", n);
        if (ls) {
            pclose(ls);
        }
    }
    cc = diag64(c, 0x20, "SWSEG");
    CHECK(cc == 0 && space[a + 100] == 0x33, "a new user starts from the saved version: %#x", space[a + 100]);
    diag64(c, 0x08, "SWSEG");
    close(p2c[0]), close(p2c[1]), close(c2p[0]), close(c2p[1]);
}

static int open_fds(void)
{
    char path[64];
    int n = 0;

    for (int fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        n += access(path, F_OK) == 0;
    }
    return n;
}

int main(int argc, char **argv)
{
    struct cpu c = { .mask = UINT64_MAX };
    char err[256];

    if (argc != 2) {
        fprintf(stderr, "usage: test-core CATALOG-DIR\n");
        return 2;
    }
    dir = argv[1];
    to_a = iconv_open("ISO-8859-1", "IBM037");     /* X'15' (NL) is U+0085 */
    to_e = iconv_open("IBM037", "ISO-8859-1");
    space = mmap(NULL, SPACE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (to_a == (iconv_t)-1 || to_e == (iconv_t)-1 || space == MAP_FAILED ||
        mprotect(space, STORAGE, PROT_READ | PROT_WRITE)) {
        perror("test-core: set-up");
        return 2;
    }
    setenv("ZVM_TEST_FAULTS", "load:FAILS=77,nonsense", 1);
    CHECK(!zvm_core_init(dir, STORAGE, "testuser", &ops, err, sizeof(err)) &&
          strstr(err, "bad rule 'nonsense'"), "a bad fault rule: '%s'", err);
    setenv("ZVM_TEST_FAULTS", "load:FAILS=77@1", 1);
    CHECK(zvm_core_init(dir, STORAGE, "testuser", &ops, err, sizeof(err)), "init: %s", err);

    int fds = open_fds();

    test_header();
    test_cp(&c);
    test_load(&c);
    make_seg("FAILS", "7000-70FF SR\n", 256, 0);
    CHECK(diag64(&c, 0x20, "FAILS") == 0 && diag64(&c, 0x20, "FAILS") == 2 && c.regs[4] == 77,
          "the load fault fires after one skipped load: rc %lu", (unsigned long)c.regs[4]);
    test_save(&c);
    test_live(&c);
    CHECK(lock_depth == 0, "lock left held");
    lock(&c);
    zvm_purge_all();
    unlock(&c);
    CHECK(open_fds() == fds, "%d file descriptors open after every purge, %d before", open_fds(), fds);
    if (failures) {
        fprintf(stderr, "test-core: %d failed\n", failures);
        return 1;
    }
    printf("test-core: all passed\n");
    return 0;
}
