/*
 * z/VM-lite core: the z/VM CP services Linux uses for saved segments (DCSS).
 *
 * SPDX-License-Identifier: MIT OR GPL-2.0-or-later
 *
 * The emulator tells the guest it runs on z/VM and routes here:
 *  - DIAG X'64' SEGEXTX (X'38'), LOADSHRX (X'20'), LOADNSRX (X'24'),
 *    PURGESEG (X'08') on the saved segments of the catalog DIR
 *    (format: README.md of the dcssblk-rs project, "Segment catalog format");
 *  - DIAG X'08' with a small CP command set (QUERY CONSOLE/TERM/CPLEVEL/
 *    USERID/NSS MAP, TERM, SET, DEFSEG, SAVESEG, PURGE NSS NAME).
 *
 * A loaded segment is mapped by the emulator (zvm_ops.map_seg), range by
 * range, from the catalog file at the range's guest address above guest
 * storage:
 *  - SR/SC loaded shared: MAP_SHARED read-only of DIR/NAME.seg, so every
 *    emulator process on the host uses the same page-cache pages; guest
 *    stores get a PROTECTION exception (zvm_frame_readonly);
 *  - SW/SN loaded shared: MAP_SHARED read/write of a "live" copy
 *    DIR/.live/NAME.<dev>.<ino>, created from the saved version by its first
 *    user and deleted by its last one (flock(LOCK_SH) per user). As on z/VM,
 *    writes are seen at once by all guests that share the segment, but the
 *    saved version changes only with SAVESEG;
 *  - exclusive (EW/EN/ER loaded shared, any type loaded by LOADNSRX):
 *    MAP_PRIVATE copy-on-write of DIR/NAME.seg; ER loaded shared stays
 *    write-protected.
 * Catalog files are never modified in place (new versions are renamed over
 * them), so a loaded version stays intact until it is purged.
 *
 * Program interruptions leave by longjmp in both emulators, so no heap
 * memory may be held where ops->pgm can be called.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* copy_file_range */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zvm-core.h"

#define ZVM_CMD_MAX         240             /* CP command length limit */
#define ZVM_MIB             (1ULL << 20)
#define ZVM_MIN(a, b)       ((a) < (b) ? (a) : (b))
#define ZVM_ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))

/* DIAG X'64' return codes (Ry with cc 2) */
#define ZVM_RC_NOSEG        44      /* segment does not exist (-ENOENT) */
#define ZVM_RC_OVERLAP      36      /* overlaps storage/another segment */
#define ZVM_RC_IOERR        177     /* paging (here: host file) I/O error */

/* CP command return codes (CP convention: the HCPxxxnnnE message number) */
#define CP_RC_UNKNOWN       1       /* HCPCMD001E Unknown CP command */
#define CP_RC_BADOPT        3       /* HCPCMD003E Invalid option */
#define CP_RC_BADOPND       26      /* HCPCMD026E Operand missing or invalid */
#define CP_RC_NOSEG         44      /* no such saved segment / skeleton */
#define CP_RC_IOERR         177     /* host I/O error while saving */

static const char *const seg_type_str[] = {
    "SW", "EW", "SR", "ER", "SN", "EN", "SC"
};

/* Tests only (ZVM_TEST_FAULTS): z/VM failing on purpose, see zvm_fault */
struct zvm_fault {
    char op[12];
    char name[9];
    long value;
    unsigned long skip;
};

static struct {
    bool enabled;
    const struct zvm_ops *ops;
    char *dir;
    uint64_t storage_end;   /* first byte above guest storage (incl. devmem) */
    char userid[9];
    struct zvm_seg *loaded[ZVM_MAX_LOADED];
    struct zvm_segdef *skeletons;   /* pending DEFSEGs, in definition order */
    size_t nr_skeletons;
    /*
     * Tests only (ZVM_TEST_LOAD_DELAY_MS): a slow CP. Each load waits this
     * long, without the big lock, before it maps the segment, while the
     * other CPUs run on: the gap between the PURGESEG and the LOAD of a mode
     * change (extmem's segment_modify_shared) becomes wide enough for a race
     * test to land a guest access in it.
     */
    unsigned long load_delay_us;
    struct zvm_fault *faults;
    size_t nr_faults;
} zvm;

/* ---------------------------------------------------------------------- */
/* Small helpers: messages, strings, big-endian fields                    */

static void zvm_report(bool warning, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void zvm_report(bool warning, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    zvm.ops->report(warning, msg);
}

static void *zvm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        fprintf(stderr, "zvm: out of memory\n");
        abort();
    }
    return p;
}

static char *zvm_printf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *zvm_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    s = zvm_xmalloc(n + 1);
    va_start(ap, fmt);
    vsnprintf(s, n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A growable response text */
struct zvm_buf {
    char *s;
    size_t len, cap;
};

static void zvm_buf_printf(struct zvm_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void zvm_buf_printf(struct zvm_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (b->len + n + 1 > b->cap) {
        char *s;

        b->cap = (b->len + n + 1) * 2;
        s = realloc(b->s, b->cap);
        if (!s) {
            fprintf(stderr, "zvm: out of memory\n");
            abort();
        }
        b->s = s;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, n + 1, fmt, ap);
    va_end(ap);
    b->len += n;
}

static void zvm_copy_str(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src);
}

static bool zvm_isupper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool zvm_isdigit(char c)
{
    return c >= '0' && c <= '9';
}

static char zvm_toupper(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static uint16_t zvm_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t zvm_ld32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
           (uint32_t)p[2] << 8 | p[3];
}

static void zvm_st32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8) {
        p[i] = v & 0xff;
    }
}

static void zvm_st64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) {
        p[i] = v & 0xff;
    }
}

/*
 * strtoull with its errors: no digits, or out of range. With end NULL the
 * whole string must be the number.
 */
static bool zvm_strtou64(const char *s, const char **end, int base,
                         uint64_t *v)
{
    char *e;

    errno = 0;
    *v = strtoull(s, &e, base);
    if (e == s || errno) {
        return false;
    }
    if (end) {
        *end = e;
        return true;
    }
    return *e == 0;
}

/* ---------------------------------------------------------------------- */
/* Write-protected and loaded frames, read by the emulator's TLB fill     */

struct zvm_frames {
    uint64_t start, end;    /* absolute byte addresses; end exclusive */
    bool ro;
};
static struct zvm_frames zvm_frames[ZVM_MAX_LOADED * ZVM_MAX_RANGES];
uint64_t zvm_ro_lowest = UINT64_MAX;
uint64_t zvm_seg_lowest = UINT64_MAX;

enum zvm_frame_kind zvm_frame_kind_slow(uint64_t addr)
{
    for (size_t i = 0; i < ZVM_ARRAY_SIZE(zvm_frames); i++) {
        if (addr >= __atomic_load_n(&zvm_frames[i].start, __ATOMIC_RELAXED) &&
            addr < __atomic_load_n(&zvm_frames[i].end, __ATOMIC_RELAXED)) {
            return __atomic_load_n(&zvm_frames[i].ro, __ATOMIC_RELAXED)
                   ? ZVM_FRAME_RO : ZVM_FRAME_RW;
        }
    }
    return ZVM_FRAME_NONE;
}

bool zvm_frame_readonly_slow(uint64_t addr)
{
    return zvm_frame_kind_slow(addr) == ZVM_FRAME_RO;
}

static void zvm_frames_recompute_lowest(void)
{
    uint64_t ro = UINT64_MAX, any = UINT64_MAX;

    for (size_t i = 0; i < ZVM_ARRAY_SIZE(zvm_frames); i++) {
        if (!zvm_frames[i].end) {
            continue;
        }
        if (zvm_frames[i].start < any) {
            any = zvm_frames[i].start;
        }
        if (zvm_frames[i].ro && zvm_frames[i].start < ro) {
            ro = zvm_frames[i].start;
        }
    }
    __atomic_store_n(&zvm_ro_lowest, ro, __ATOMIC_RELAXED);
    __atomic_store_n(&zvm_seg_lowest, any, __ATOMIC_RELAXED);
}

/* Publish or withdraw a segment's ranges (locked) */
static void zvm_frames_set(const struct zvm_map *m, int n, bool add)
{
    for (int k = 0; k < n; k++) {
        size_t i;

        for (i = 0; i < ZVM_ARRAY_SIZE(zvm_frames); i++) {
            if (add ? !zvm_frames[i].end
                    : zvm_frames[i].start == m[k].addr && zvm_frames[i].end) {
                break;
            }
        }
        if (i == ZVM_ARRAY_SIZE(zvm_frames)) {
            /* sized for ZVM_MAX_LOADED segments; withdraw: never published */
            continue;
        }
        if (add) {
            __atomic_store_n(&zvm_frames[i].ro, m[k].readonly, __ATOMIC_RELAXED);
            __atomic_store_n(&zvm_frames[i].start, m[k].addr, __ATOMIC_RELAXED);
            __atomic_store_n(&zvm_frames[i].end, m[k].addr + m[k].len,
                             __ATOMIC_RELAXED);
        } else {
            __atomic_store_n(&zvm_frames[i].end, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&zvm_frames[i].start, 0, __ATOMIC_RELAXED);
        }
    }
    zvm_frames_recompute_lowest();
}

bool zvm_core_enabled(void)
{
    return zvm.enabled;
}

/* ---------------------------------------------------------------------- */
/* Guest access                                                           */

static uint64_t zvm_reg_addr(void *cpu, int r)
{
    return zvm.ops->get_reg(cpu, r) & zvm.ops->addr_mask(cpu);
}

/* Guest real storage (DIAG operands are real addresses), or ADDRESSING */
static void zvm_real_rw(void *cpu, uint64_t addr, void *buf, uint64_t len,
                        bool is_write)
{
    if (!zvm.ops->real_rw(cpu, addr, buf, len, is_write)) {
        zvm.ops->pgm(cpu, ZVM_PGM_ADDRESSING);
    }
}

bool zvm_valid_name(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > 8) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!zvm_isupper(name[i]) && !zvm_isdigit(name[i]) &&
            !strchr("@#$_-", name[i])) {
            return false;
        }
    }
    return true;
}

/* An 8-byte EBCDIC blank-padded name: ASCII, upper case as CP folds it */
static void zvm_name_from_ebcdic(const uint8_t *ebc, char *name)
{
    zvm.ops->to_ascii(name, ebc, 8);
    name[8] = 0;
    for (int i = 7; i >= 0 && name[i] == ' '; i--) {
        name[i] = 0;
    }
    for (int i = 0; name[i]; i++) {
        name[i] = zvm_toupper(name[i]);
    }
}

/* 8-byte EBCDIC name at a doubleword-aligned real address */
static void zvm_read_name(void *cpu, uint64_t addr, char *name)
{
    uint8_t ebc[8];

    if (addr & 7) {
        zvm.ops->pgm(cpu, ZVM_PGM_SPECIFICATION);
    }
    zvm_real_rw(cpu, addr, ebc, 8, false);
    zvm_name_from_ebcdic(ebc, name);
}

/* ---------------------------------------------------------------------- */
/* Segment definitions                                                    */

static int zvm_parse_type(const char *s)
{
    for (size_t i = 0; i < ZVM_ARRAY_SIZE(seg_type_str); i++) {
        if (strlen(s) == 2 && zvm_toupper(s[0]) == seg_type_str[i][0] &&
            zvm_toupper(s[1]) == seg_type_str[i][1]) {
            return i;
        }
    }
    return -1;
}

/* "FIRST-LAST" or "PAGE" in hex */
static bool zvm_parse_pages(const char *s, uint64_t *first, uint64_t *last)
{
    const char *end;

    if (!zvm_strtou64(s, &end, 16, first)) {
        return false;
    }
    if (*end == 0) {
        *last = *first;
        return true;
    }
    if (*end != '-') {
        return false;
    }
    return zvm_strtou64(end + 1, NULL, 16, last);
}

/* The catalog rules (README.md, "Segment catalog format") */
static bool zvm_def_valid(const struct zvm_segdef *def)
{
    if (def->nr < 1 || def->nr > ZVM_MAX_RANGES) {
        return false;
    }
    for (int i = 0; i < def->nr; i++) {
        const struct zvm_range *r = &def->r[i];

        if (r->first > r->last || r->last > ZVM_MAX_PAGE ||
            r->type < 0 || r->type > ZVM_SC) {
            return false;
        }
        if (i && r->first != def->r[i - 1].last + 1) {
            return false;
        }
    }
    return (def->r[0].first & 0xff) == 0 &&
           ((def->r[def->nr - 1].last + 1) & 0xff) == 0;
}

static uint64_t zvm_def_start(const struct zvm_segdef *def)
{
    return def->r[0].first << ZVM_PAGE_SHIFT;
}

static uint64_t zvm_def_size(const struct zvm_segdef *def)
{
    return (def->r[def->nr - 1].last + 1 - def->r[0].first) << ZVM_PAGE_SHIFT;
}

/* Parse "ZVMSEG1\nFIRST-LAST TT\n..." up to the first empty line */
bool zvm_parse_header(const char *hdr, struct zvm_segdef *def)
{
    const char *line = hdr, *nl;

    def->nr = 0;
    nl = strchr(line, '\n');
    if (strncmp(line, "ZVMSEG1", 7) || (nl ? nl - line : (long)strlen(line)) != 7) {
        return false;
    }
    while (nl && nl[1] && nl[1] != '\n') {
        char tok[2][ZVM_HDR_SIZE + 1];
        const char *sp;
        size_t len;
        struct zvm_range *r;

        line = nl + 1;
        nl = strchr(line, '\n');
        len = nl ? (size_t)(nl - line) : strlen(line);
        sp = memchr(line, ' ', len);
        /* exactly two words, one blank between them */
        if (def->nr == ZVM_MAX_RANGES || !sp ||
            memchr(sp + 1, ' ', len - (sp + 1 - line))) {
            return false;
        }
        memcpy(tok[0], line, sp - line);
        tok[0][sp - line] = 0;
        memcpy(tok[1], sp + 1, len - (sp + 1 - line));
        tok[1][len - (sp + 1 - line)] = 0;
        r = &def->r[def->nr++];
        r->type = zvm_parse_type(tok[1]);
        if (!zvm_parse_pages(tok[0], &r->first, &r->last)) {
            return false;
        }
    }
    return zvm_def_valid(def);
}

/* ---------------------------------------------------------------------- */
/* Test fault injection                                                   */

/*
 * Fault injection for tests (ZVM_TEST_FAULTS="RULE,RULE,..."), so that every
 * error path of the guest's extmem and dcssblk can be provoked. A rule is
 * OP:NAME=VALUE[@SKIP] or, for vanish and truncate, OP:NAME[@SKIP]; it fires
 * on every matching operation after the first SKIP (default 0):
 *   query:N=RC     DIAG X'64' SEGEXTX of N fails with Ry=RC
 *   load:N=RC      LOADSHRX/LOADNSRX of N fails with Ry=RC (the query works)
 *   purge:N=RC     PURGESEG of N answers cc 2, Ry=RC, and leaves N loaded
 *   vanish:N       at a load, N.seg is gone (as if deleted after the query)
 *   truncate:N     at a load, N.seg is shorter than its header says
 *   defseg:N=RC    CP DEFSEG N fails with RC
 *   saveseg:N=RC   CP SAVESEG N fails with RC (the skeleton stays)
 *   savefile:N=E   writing N's new version fails with errno E (EIO, ENOSPC)
 * Only the first rule for an OP and NAME counts. SKIP counts operations (one
 * SAVESEG is one, however many chunks it writes). purge fires whether or not
 * N is loaded. Each firing is reported on stderr ("zvm: test fault: ...").
 */
static bool zvm_fault_parse_rule(char *op, struct zvm_fault *f)
{
    char *at, *value, *name;
    uint64_t skip = 0, v;

    at = strchr(op, '@');
    if (at) {
        *at++ = 0;
        if (!zvm_strtou64(at, NULL, 10, &skip) || skip > 0x7fffffff) {
            return false;
        }
    }
    value = strchr(op, '=');
    if (value) {
        *value++ = 0;
    }
    name = strchr(op, ':');
    if (!name) {
        return false;
    }
    *name++ = 0;
    f->skip = skip;
    if (!*op || strlen(op) >= sizeof(f->op) || !zvm_valid_name(name)) {
        return false;
    }
    zvm_copy_str(f->op, sizeof(f->op), op);
    zvm_copy_str(f->name, sizeof(f->name), name);
    if (!strcmp(op, "vanish") || !strcmp(op, "truncate")) {
        return !value;
    }
    if (!strcmp(op, "savefile")) {
        if (!value || (strcmp(value, "EIO") && strcmp(value, "ENOSPC"))) {
            return false;
        }
        f->value = strcmp(value, "EIO") ? ENOSPC : EIO;
        return true;
    }
    if (!strcmp(op, "query") || !strcmp(op, "load") ||
        !strcmp(op, "purge") || !strcmp(op, "defseg") ||
        !strcmp(op, "saveseg")) {
        /* a DIAG X'64' return code or a CP command rc */
        if (!value || *value == '-' || !zvm_strtou64(value, NULL, 10, &v) ||
            v == 0 || v > 65535) {
            return false;
        }
        f->value = v;
        return true;
    }
    return false;
}

static bool zvm_faults_parse(const char *spec, char *err, size_t errlen)
{
    char *copy = zvm_printf("%s", spec), *rule = copy;

    while (rule) {
        char *next = strchr(rule, ',');
        char *op;
        bool ok;

        if (next) {
            *next++ = 0;
        }
        if (!*rule) {
            rule = next;
            continue;               /* "a,,b" or a trailing comma */
        }
        op = zvm_printf("%s", rule);
        zvm.faults = realloc(zvm.faults, (zvm.nr_faults + 1) * sizeof(*zvm.faults));
        if (!zvm.faults) {
            abort();
        }
        memset(&zvm.faults[zvm.nr_faults], 0, sizeof(*zvm.faults));
        ok = zvm_fault_parse_rule(op, &zvm.faults[zvm.nr_faults++]);
        free(op);
        if (!ok) {
            snprintf(err, errlen, "ZVM_TEST_FAULTS: bad rule '%s'", rule);
            free(copy);
            return false;
        }
        rule = next;
    }
    free(copy);
    return true;
}

/* The value of the rule for OP on NAME that fires now, or 0. */
static long zvm_fault(const char *op, const char *name)
{
    for (size_t i = 0; i < zvm.nr_faults; i++) {
        struct zvm_fault *f = &zvm.faults[i];

        if (strcmp(f->op, op) || strcmp(f->name, name)) {
            continue;
        }
        if (f->skip) {
            f->skip--;
            return 0;
        }
        fprintf(stderr, "zvm: test fault: %s %s\n", op, name);
        return f->value ? f->value : 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The catalog                                                            */

static char *zvm_seg_path(const char *name)
{
    return zvm_printf("%s/%s.seg", zvm.dir, name);
}

/*
 * The spool file id CP shows for a saved version (QUERY NSS MAP's FILE,
 * HCPNSS440I): 1-9999 from its file's inode, so that a SAVESEG gives a new id
 * (a new spool file on z/VM) and a version keeps it while loaded (the fd its
 * users hold pins the inode). Two versions can share one, unlike on z/VM:
 * the ids are for reading, not for telling versions apart. 0000 is a
 * skeleton's.
 */
static unsigned zvm_fileid(ino_t ino)
{
    return ino % 9999 + 1;
}

/*
 * Open DIR/NAME.seg and parse its header. Returns the fd, -ZVM_RC_NOSEG if
 * there is no such segment, -ZVM_RC_IOERR if the file is unusable.
 */
static int zvm_open_seg(const char *name, struct zvm_segdef *def, bool loading)
{
    char *path;
    char hdr[ZVM_HDR_SIZE + 1];
    struct stat st;
    int fd;

    if (!zvm_valid_name(name)) {
        return -ZVM_RC_NOSEG;
    }
    path = zvm_seg_path(name);
    if (loading && zvm_fault("vanish", name)) {
        fd = -1;
        errno = ENOENT;     /* deleted between the query and the load */
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0) {
        free(path);
        return errno == ENOENT ? -ZVM_RC_NOSEG : -ZVM_RC_IOERR;
    }
    if (pread(fd, hdr, ZVM_HDR_SIZE, 0) != ZVM_HDR_SIZE ||
        fstat(fd, &st) < 0) {
        goto bad;
    }
    if (loading && zvm_fault("truncate", name)) {
        st.st_size = ZVM_HDR_SIZE;
    }
    hdr[ZVM_HDR_SIZE] = 0;
    if (!zvm_parse_header(hdr, def) ||
        (uint64_t)st.st_size < ZVM_HDR_SIZE + zvm_def_size(def)) {
        goto bad;
    }
    zvm_copy_str(def->name, sizeof(def->name), name);
    free(path);
    return fd;
bad:
    zvm_report(true, "zvm: %s: not a valid saved segment file", path);
    free(path);
    close(fd);
    return -ZVM_RC_IOERR;
}

/* Exclusive lock on DIR/.lock: serialises all catalog writers */
static int zvm_catalog_lock(void)
{
    char *path = zvm_printf("%s/.lock", zvm.dir);
    /* read-only is enough for flock(2) (as dcssctl opens it) */
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);

    free(path);
    if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void zvm_catalog_unlock(int fd)
{
    if (fd >= 0) {
        close(fd);  /* drops the flock */
    }
}

/* ---------------------------------------------------------------------- */
/* Loading and purging                                                    */

static struct zvm_seg **zvm_find_loaded(const char *name)
{
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        if (zvm.loaded[i] && !strcmp(zvm.loaded[i]->def.name, name)) {
            return &zvm.loaded[i];
        }
    }
    return NULL;
}

/*
 * Shared writable ranges map a live copy of the saved version seg_fd, kept
 * while any guest on the host has it loaded shared (flock LOCK_SH each).
 * Returns the path and the locked fd, or NULL.
 */
static char *zvm_live_attach(int seg_fd, const struct zvm_segdef *def,
                             int *lock_fd)
{
    char *livedir = zvm_printf("%s/.live", zvm.dir);
    char *tmp = NULL, *path;
    struct stat st;
    int cat = -1, fd;

    if (fstat(seg_fd, &st) < 0) {
        free(livedir);
        return NULL;
    }
    path = zvm_printf("%s/%s.%llx.%llx", livedir, def->name,
                      (unsigned long long)st.st_dev,
                      (unsigned long long)st.st_ino);
    cat = zvm_catalog_lock();
    if (cat < 0) {
        goto fail;
    }
    if (mkdir(livedir, 0755) < 0 && errno != EEXIST) {
        goto fail;
    }
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            /* in use by another guest: join it */
            if (flock(fd, LOCK_SH) < 0) {
                close(fd);
                goto fail;
            }
            goto done;
        }
        /* left over by an emulator that died: start again from the saved version */
        close(fd);
    }
    tmp = zvm_printf("%s.%d.tmp", path, (int)getpid());
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        goto fail;
    }
    {
        loff_t in = 0, out = 0;
        off_t left = st.st_size;

        while (left > 0) {
            ssize_t n = copy_file_range(seg_fd, &in, fd, &out, left, 0);
            if (n <= 0) {
                close(fd);
                unlink(tmp);
                goto fail;
            }
            left -= n;
        }
    }
    if (flock(fd, LOCK_SH) < 0 || rename(tmp, path) < 0) {
        close(fd);
        unlink(tmp);
        goto fail;
    }
done:
    zvm_catalog_unlock(cat);
    free(tmp);
    free(livedir);
    *lock_fd = fd;
    return path;
fail:
    zvm_report(false, "zvm: cannot set up the shared copy %s: %s", path,
               strerror(errno));
    zvm_catalog_unlock(cat);
    free(tmp);
    free(livedir);
    free(path);
    return NULL;
}

static void zvm_live_detach(struct zvm_seg *seg)
{
    int cat, fd;

    if (seg->live_fd < 0) {
        return;
    }
    close(seg->live_fd);
    seg->live_fd = -1;
    /* the last user deletes the live copy: its writes were never saved */
    cat = zvm_catalog_lock();
    fd = open(seg->live_path, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            unlink(seg->live_path);
        }
        close(fd);
    }
    zvm_catalog_unlock(cat);
}

static void zvm_seg_free(struct zvm_seg *seg)
{
    zvm_live_detach(seg);
    free(seg->live_path);
    if (seg->saved_fd >= 0) {
        close(seg->saved_fd);
    }
    free(seg);
}

/* How each range of seg is mapped (fd left -1) */
static void zvm_seg_maps(const struct zvm_seg *seg, struct zvm_map *m)
{
    const struct zvm_segdef *def = &seg->def;

    for (int i = 0; i < def->nr; i++) {
        const struct zvm_range *r = &def->r[i];
        bool shw = seg->shared && (r->type == ZVM_SW || r->type == ZVM_SN);
        bool shr = seg->shared && (r->type == ZVM_SR || r->type == ZVM_SC);

        m[i].addr = r->first << ZVM_PAGE_SHIFT;
        m[i].len = (r->last + 1 - r->first) << ZVM_PAGE_SHIFT;
        m[i].offset = ZVM_HDR_SIZE +
                      ((r->first - def->r[0].first) << ZVM_PAGE_SHIFT);
        m[i].shared = shw || shr;
        m[i].readonly = seg->shared && (r->type == ZVM_SR ||
                                        r->type == ZVM_SC ||
                                        r->type == ZVM_ER);
        m[i].fd = -1;
    }
}

/* Locked. */
static void zvm_unload(struct zvm_seg **slot)
{
    struct zvm_seg *seg = *slot;
    struct zvm_map m[ZVM_MAX_RANGES];

    zvm_seg_maps(seg, m);
    zvm_frames_set(m, seg->def.nr, false);
    zvm.ops->unmap_seg(seg);
    *slot = NULL;
    zvm_seg_free(seg);
}

/* Does [start, end) hit guest storage or another loaded segment? */
static bool zvm_overlaps(uint64_t start, uint64_t end)
{
    if (start < zvm.storage_end) {
        return true;
    }
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        struct zvm_seg *o = zvm.loaded[i];

        if (o && start < zvm_def_start(&o->def) + zvm_def_size(&o->def) &&
            zvm_def_start(&o->def) < end) {
            return true;
        }
    }
    return false;
}

/* Locked. Returns 0 or a DIAG X'64' return code for cc 2. */
static int zvm_load(const char *name, bool shared, uint64_t *start,
                    uint64_t *end)
{
    struct zvm_seg **old = zvm_find_loaded(name);
    struct zvm_seg *seg, **slot = NULL;
    struct zvm_map m[ZVM_MAX_RANGES];
    struct zvm_segdef def;
    struct stat st;
    int fd, i;

    /* CP purges a segment of the same name before loading it again */
    if (old) {
        zvm_unload(old);
    }
    fd = zvm_fault("load", name);
    if (fd) {
        return fd;          /* the test's rc, after the purge as on CP */
    }
    fd = zvm_open_seg(name, &def, true);
    if (fd < 0) {
        return -fd;
    }
    if (zvm_overlaps(zvm_def_start(&def),
                     zvm_def_start(&def) + zvm_def_size(&def))) {
        close(fd);
        return ZVM_RC_OVERLAP;
    }
    for (i = 0; i < ZVM_MAX_LOADED && !slot; i++) {
        if (!zvm.loaded[i]) {
            slot = &zvm.loaded[i];
        }
    }
    if (!slot) {
        close(fd);
        return ZVM_RC_OVERLAP;
    }

    seg = zvm_xmalloc(sizeof(*seg));
    memset(seg, 0, sizeof(*seg));
    seg->def = def;
    seg->shared = shared;
    seg->live_fd = -1;
    /*
     * Held while the segment is loaded: a saved version replaced by SAVESEG
     * or PURGE NSS keeps its inode, so no new version gets its number (the
     * file id QUERY NSS MAP shows, the key of its live copy).
     */
    seg->saved_fd = fd;
    seg->ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
    zvm_seg_maps(seg, m);
    for (i = 0; shared && i < def.nr; i++) {
        if (def.r[i].type == ZVM_SW || def.r[i].type == ZVM_SN) {
            seg->live_path = zvm_live_attach(fd, &def, &seg->live_fd);
            if (!seg->live_path) {
                goto fail;
            }
            break;
        }
    }
    for (i = 0; i < def.nr; i++) {
        bool shw = m[i].shared && !m[i].readonly;

        /*
         * A file description of its own for each range: the emulator may
         * keep it past the purge (QEMU frees RAM after RCU), and the live
         * copy's flock must go with live_fd alone.
         */
        m[i].fd = shw ? open(seg->live_path, O_RDWR | O_CLOEXEC) : dup(fd);
        if (m[i].fd < 0) {
            zvm_report(false, "zvm: %s: %s", name, strerror(errno));
            for (int j = 0; j < i; j++) {
                close(m[j].fd);
            }
            goto fail;
        }
    }
    /*
     * Write protection first: no CPU may see the ranges mapped before it
     * would see them protected (QEMU's other vCPUs run on meanwhile).
     */
    zvm_frames_set(m, def.nr, true);
    if (!zvm.ops->map_seg(seg, m, def.nr)) {
        zvm_frames_set(m, def.nr, false);
        goto fail;
    }
    *slot = seg;
    *start = zvm_def_start(&def);
    *end = *start + zvm_def_size(&def) - 1;
    return 0;

fail:
    zvm_seg_free(seg);
    return ZVM_RC_IOERR;
}

bool zvm_purge_all(void)
{
    bool any = false;

    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        if (zvm.loaded[i]) {
            zvm_unload(&zvm.loaded[i]);
            any = true;
        }
    }
    return any;
}

/* ---------------------------------------------------------------------- */
/* DIAG X'64'                                                             */

static uint32_t zvm_segextx(void *cpu, int r1, int r3)
{
    uint64_t qin_addr = zvm_reg_addr(cpu, r1);
    uint8_t qin[24], qout[120] = { 0 };
    char name[9];
    struct zvm_segdef def;
    uint32_t qoutptr;
    int16_t qoutlen;
    int fd;

    if (qin_addr & 7) {
        zvm.ops->pgm(cpu, ZVM_PGM_SPECIFICATION);
    }
    zvm_real_rw(cpu, qin_addr, qin, sizeof(qin), false);
    zvm_name_from_ebcdic(qin + 8, name);
    qoutptr = zvm_ld32(qin + 16) & 0x7fffffff;
    qoutlen = (int16_t)zvm_ld16(qin + 20);

    zvm.ops->lock(cpu);
    fd = zvm_fault("query", name);
    fd = fd ? -fd : zvm_open_seg(name, &def, false);
    zvm.ops->unlock(cpu);
    if (fd < 0) {
        zvm.ops->set_reg(cpu, r3, -fd);
        return 2;
    }
    close(fd);

    zvm_st64(qout + 0, zvm_def_start(&def));
    zvm_st64(qout + 8, zvm_def_start(&def) + zvm_def_size(&def) - 1);
    zvm_st32(qout + 16, def.nr);
    zvm_st32(qout + 20, def.nr);
    for (int i = 0; i < def.nr; i++) {
        /* start address with the range type in its low-order byte */
        zvm_st64(qout + 24 + 16 * i,
                 (def.r[i].first << ZVM_PAGE_SHIFT) | def.r[i].type);
        zvm_st64(qout + 32 + 16 * i,
                 ((def.r[i].last + 1) << ZVM_PAGE_SHIFT) - 1);
    }
    if (qoutlen > 0) {
        if (qoutptr & 7) {
            zvm.ops->pgm(cpu, ZVM_PGM_SPECIFICATION);
        }
        zvm_real_rw(cpu, qoutptr, qout,
                    ZVM_MIN((size_t)qoutlen, sizeof(qout)), true);
    }
    return 0;
}

uint32_t zvm_diag64(void *cpu, int r1, int r3)
{
    uint64_t subcode = zvm.ops->get_reg(cpu, r3);
    uint64_t start, end;
    char name[9];
    bool reloaded;
    int rc;

    switch (subcode) {
    case 0x38:      /* SEGEXTX: query the extents of a saved segment */
        return zvm_segextx(cpu, r1, r3);
    case 0x20:      /* LOADSHRX */
    case 0x24:      /* LOADNSRX */
        zvm_read_name(cpu, zvm_reg_addr(cpu, r1), name);
        if (zvm.load_delay_us) {
            struct timespec ts = {
                .tv_sec = zvm.load_delay_us / 1000000,
                .tv_nsec = (zvm.load_delay_us % 1000000) * 1000,
            };

            while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
                continue;
            }
        }
        zvm.ops->lock(cpu);
        reloaded = zvm_find_loaded(name) != NULL;
        rc = zvm_load(name, subcode == 0x20, &start, &end);
        zvm.ops->unlock(cpu);
        if (reloaded && zvm.ops->after_unmap) {
            /* zvm_load purged the old copy first: see PURGESEG */
            zvm.ops->after_unmap(cpu);
        }
        if (rc) {
            zvm.ops->set_reg(cpu, r3, rc);
            return 2;
        }
        zvm.ops->set_reg(cpu, r1, start);
        zvm.ops->set_reg(cpu, r3, end);
        return 0;
    case 0x08: {    /* PURGESEG */
        struct zvm_seg **slot;

        zvm_read_name(cpu, zvm_reg_addr(cpu, r1), name);
        zvm.ops->lock(cpu);
        rc = zvm_fault("purge", name);
        if (rc) {
            zvm.ops->unlock(cpu);
            zvm.ops->set_reg(cpu, r3, rc);
            return 2;
        }
        slot = zvm_find_loaded(name);
        if (slot) {
            zvm_unload(slot);
        }
        zvm.ops->unlock(cpu);
        if (!slot) {
            return 1;       /* not loaded by this virtual machine */
        }
        if (zvm.ops->after_unmap) {
            zvm.ops->after_unmap(cpu);
        }
        return 0;
    }
    default:
        /* subcodes Linux 7.2 no longer uses */
        zvm.ops->pgm(cpu, ZVM_PGM_SPECIFICATION);
        return 0;   /* not reached */
    }
}

/* ---------------------------------------------------------------------- */
/* DIAG X'08': CP commands                                                */

static int zvm_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void zvm_nss_line(struct zvm_buf *out, unsigned fileid,
                         const struct zvm_segdef *def, char cls, int users)
{
    for (int i = 0; i < def->nr; i++) {
        if (i == 0) {
            zvm_buf_printf(out, "%04u %-8s %-8s %-8s ", fileid, def->name,
                           "DCSS", "N/A");
        } else {
            zvm_buf_printf(out, "%-32s", "");
        }
        zvm_buf_printf(out, "%05llX    %05llX    %-4s",
                       (unsigned long long)def->r[i].first,
                       (unsigned long long)def->r[i].last,
                       seg_type_str[def->r[i].type]);
        if (i == 0) {
            zvm_buf_printf(out, " %c  %05d  N/A      N/A", cls, users);
        }
        zvm_buf_printf(out, "\n");
    }
}

/*
 * QUERY NSS [MAP]: saved segments (class A), versions superseded by a
 * SAVESEG or a PURGE while this guest still has them loaded (class P: z/VM
 * keeps them for their users) and pending skeletons (S). #USERS counts this
 * guest only: the emulator does not see the other guests.
 */
static int zvm_query_nss(struct zvm_buf *out)
{
    char **names = NULL;
    size_t n = 0;
    DIR *dir = opendir(zvm.dir);
    struct dirent *de;
    bool current[ZVM_MAX_LOADED] = { false };   /* loaded version is class A */

    zvm_buf_printf(out, "FILE FILENAME FILETYPE MINSIZE  BEGPAG   ENDPAG   "
                   "TYPE CL #USERS PARMREGS VMGROUP\n");
    while (dir && (de = readdir(dir))) {
        size_t len = strlen(de->d_name);

        if (len > 4 && !strcmp(de->d_name + len - 4, ".seg")) {
            names = realloc(names, (n + 1) * sizeof(*names));
            if (!names) {
                abort();
            }
            names[n++] = zvm_printf("%.*s", (int)(len - 4), de->d_name);
        }
    }
    if (dir) {
        closedir(dir);
    }
    if (n) {
        qsort(names, n, sizeof(*names), zvm_strcmp);
    }
    for (size_t i = 0; i < n; i++) {
        struct zvm_seg **used = zvm_find_loaded(names[i]);
        bool in_use;
        struct zvm_segdef def;
        struct stat st;
        int fd = zvm_open_seg(names[i], &def, false);

        if (fd >= 0 && fstat(fd, &st) == 0) {
            in_use = used && (*used)->ino == st.st_ino;
            if (in_use) {
                current[used - zvm.loaded] = true;
            }
            zvm_nss_line(out, zvm_fileid(st.st_ino), &def, 'A', in_use);
        }
        if (fd >= 0) {
            close(fd);
        }
        free(names[i]);
    }
    free(names);
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        if (zvm.loaded[i] && !current[i]) {
            zvm_nss_line(out, zvm_fileid(zvm.loaded[i]->ino),
                         &zvm.loaded[i]->def, 'P', 1);
        }
    }
    for (size_t i = 0; i < zvm.nr_skeletons; i++) {
        zvm_nss_line(out, 0, &zvm.skeletons[i], 'S', 0);
    }
    return 0;
}

static struct zvm_segdef *zvm_find_skeleton(const char *name)
{
    for (size_t i = 0; i < zvm.nr_skeletons; i++) {
        if (!strcmp(zvm.skeletons[i].name, name)) {
            return &zvm.skeletons[i];
        }
    }
    return NULL;
}

static bool zvm_remove_skeleton(const char *name)
{
    struct zvm_segdef *s = zvm_find_skeleton(name);

    if (!s) {
        return false;
    }
    memmove(s, s + 1, (zvm.skeletons + zvm.nr_skeletons - (s + 1)) * sizeof(*s));
    zvm.nr_skeletons--;
    return true;
}

/* DEFSEG name range type [range type ...]: a pending skeleton */
static int zvm_defseg(char **tok, int n, struct zvm_buf *out)
{
    struct zvm_segdef def = { .nr = 0 }, *s;
    long fault;

    if (n < 4 || !zvm_valid_name(tok[1])) {
        zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    fault = zvm_fault("defseg", tok[1]);
    if (fault) {
        zvm_buf_printf(out, "HCPNSD%03ldE Saved segment %s was not "
                       "defined\n", fault, tok[1]);
        return fault;
    }
    zvm_copy_str(def.name, sizeof(def.name), tok[1]);
    for (int i = 2; i < n; i += 2) {
        struct zvm_range *r;

        /* optional operands that change nothing here */
        if (!strcmp(tok[i], "LOADNSHR") || !strcmp(tok[i], "RSTD") ||
            !strcmp(tok[i], "SECURE")) {
            i--;
            continue;
        }
        if (i + 1 >= n || def.nr == ZVM_MAX_RANGES) {
            zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid\n");
            return CP_RC_BADOPND;
        }
        r = &def.r[def.nr++];
        r->type = zvm_parse_type(tok[i + 1]);
        if (!zvm_parse_pages(tok[i], &r->first, &r->last) || r->type < 0) {
            zvm_buf_printf(out, "HCPCMD026E Operand missing or "
                           "invalid: %s\n", tok[i]);
            return CP_RC_BADOPND;
        }
    }
    if (!zvm_def_valid(&def)) {
        zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid: page "
                       "ranges must be contiguous, on 1 MB boundaries, "
                       "at most 6, below page 8000000\n");
        return CP_RC_BADOPND;
    }
    s = zvm_find_skeleton(def.name);
    if (!s) {
        zvm.skeletons = realloc(zvm.skeletons,
                                (zvm.nr_skeletons + 1) * sizeof(def));
        if (!zvm.skeletons) {
            abort();
        }
        s = &zvm.skeletons[zvm.nr_skeletons++];
    }
    *s = def;
    zvm_buf_printf(out, "HCPNSD440I Saved segment %s was successfully "
                   "defined in fileid 0000.\n", def.name);
    return 0;
}

static bool zvm_is_zero(const uint8_t *p, size_t len)
{
    return !len || (p[0] == 0 && !memcmp(p, p + 1, len - 1));
}

/*
 * SAVESEG name: write the saver's view of the skeleton's ranges as the new
 * version of DIR/NAME.seg (tmp file + rename under DIR/.lock). SN/EN/SC
 * ranges save no data: they stay holes that read as zeros.
 */
static int zvm_saveseg(const char *name, struct zvm_buf *out)
{
    struct zvm_segdef *def = zvm_find_skeleton(name);
    char *path, *tmp;
    uint8_t *buf;
    struct zvm_buf hdr = { 0 };
    int cat, fd = -1;
    bool ok = false;
    long fault, write_fault;
    const char *why = NULL;     /* what failed, for the host's log */
    struct stat st;
    ino_t saved_ino = 0;

    if (!def) {
        zvm_buf_printf(out, "HCPNSS044E No skeleton for %s; "
                       "use DEFSEG first\n", name);
        return CP_RC_NOSEG;
    }
    fault = zvm_fault("saveseg", name);
    if (fault) {
        zvm_buf_printf(out, "HCPNSS%03ldE Saved segment %s was not "
                       "saved\n", fault, name);
        return fault;
    }
    path = zvm_seg_path(name);
    tmp = zvm_printf("%s.%d.tmp", path, (int)getpid());
    zvm_buf_printf(&hdr, "ZVMSEG1\n");
    for (int i = 0; i < def->nr; i++) {
        zvm_buf_printf(&hdr, "%llX-%llX %s\n",
                       (unsigned long long)def->r[i].first,
                       (unsigned long long)def->r[i].last,
                       seg_type_str[def->r[i].type]);
    }
    buf = calloc(1, ZVM_MIB);
    if (!buf) {
        abort();
    }
    memcpy(buf, hdr.s, hdr.len);
    free(hdr.s);

    /* one SAVESEG is one operation for the rule, however many chunks it writes */
    write_fault = zvm_fault("savefile", name);
    cat = zvm_catalog_lock();
    if (cat < 0) {
        why = "locking the catalog";
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || pwrite(fd, buf, ZVM_HDR_SIZE, 0) != ZVM_HDR_SIZE ||
        ftruncate(fd, ZVM_HDR_SIZE + zvm_def_size(def)) < 0) {
        why = strerror(errno);
        goto out;
    }
    if (write_fault) {
        why = strerror(write_fault);    /* the test's host I/O error */
        goto out;
    }
    for (int i = 0; i < def->nr; i++) {
        const struct zvm_range *r = &def->r[i];
        uint64_t addr = r->first << ZVM_PAGE_SHIFT;
        uint64_t end = (r->last + 1) << ZVM_PAGE_SHIFT;

        if (r->type == ZVM_SN || r->type == ZVM_EN || r->type == ZVM_SC) {
            continue;
        }
        for (; addr < end; addr += ZVM_MIB) {
            uint64_t len = ZVM_MIN(end - addr, ZVM_MIB);
            off_t off = ZVM_HDR_SIZE + addr - zvm_def_start(def);

            if (!zvm.ops->abs_read(addr, buf, len)) {
                zvm_buf_printf(out, "HCPNSS177E Pages %llX are not "
                               "addressable\n",
                               (unsigned long long)(addr >> ZVM_PAGE_SHIFT));
                why = "pages not addressable";
                goto out;
            }
            /* keep all-zero chunks sparse */
            if (!zvm_is_zero(buf, len) &&
                pwrite(fd, buf, len, off) != (ssize_t)len) {
                why = "short write";
                goto out;
            }
        }
    }
    ok = fsync(fd) == 0 && fstat(fd, &st) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        why = strerror(errno);
    } else {
        saved_ino = st.st_ino;
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    if (!ok) {
        zvm_report(false, "zvm: saving %s: %s", name, why);
        unlink(tmp);
        zvm_catalog_unlock(cat);
        free(path);
        free(tmp);
        zvm_buf_printf(out, "HCPNSS177E Saved segment %s was not saved\n",
                       name);
        return CP_RC_IOERR;
    }
    zvm_catalog_unlock(cat);
    free(path);
    free(tmp);
    zvm_remove_skeleton(name);
    zvm_buf_printf(out, "HCPNSS440I Saved segment %s was successfully "
                   "saved in fileid %04u.\n", name, zvm_fileid(saved_ino));
    return 0;
}

/* PURGE NSS NAME name: delete the saved version; loaded copies live on */
static int zvm_purge_nss(const char *name, struct zvm_buf *out)
{
    char *path;
    bool skel = zvm_remove_skeleton(name);
    int cat, r;

    if (!zvm_valid_name(name)) {
        zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    path = zvm_seg_path(name);
    cat = zvm_catalog_lock();
    r = unlink(path);
    zvm_catalog_unlock(cat);
    free(path);
    if (r < 0 && !skel) {
        zvm_buf_printf(out, "HCPPGN044E %s does not exist\n", name);
        return CP_RC_NOSEG;
    }
    zvm_buf_printf(out, "NSS %s purged\n", name);
    return 0;
}

static int zvm_cp_words(char **t, int n, struct zvm_buf *out)
{
    if (n == 0) {
        return 0;
    }
    if (!strcmp(t[0], "QUERY") || !strcmp(t[0], "Q")) {
        const char *what = n > 1 ? t[1] : "";

        if (!strcmp(what, "CONSOLE") || !strcmp(what, "CONS")) {
            /* Linux's conmode_default() needs "SUBCHANNEL =" */
            zvm_buf_printf(out, "%s",
                "CONS 0009 ON LDEV L0001   TERM START\n"
                " 0009 CL T NOCONT NOHOLD COPY 001    READY FORM STANDARD\n"
                " 0009 TO LINUX01  DIST OFF      FLASHC 000 DEST OFF\n"
                " 0009 FLASH       CHAR          MDFY   0 FCB\n"
                " 0009 3215   NOEOF OPEN   0001 NOKEEP NOMSG NONAME\n"
                " 0009 SUBCHANNEL = 0000\n");
            return 0;
        }
        if (!strcmp(what, "TERMINAL") || !strcmp(what, "TERM")) {
            /* no CONMODE line: Linux then picks the SCLP console */
            zvm_buf_printf(out, "%s",
                "LINEND #, LINEDEL OFF, CHARDEL OFF, ESCAPE \", TABCHAR OFF\n"
                "LINESIZE 080, ATTN OFF, APL OFF, TEXT OFF, MODE VM, "
                "HILIGHT OFF\n"
                "MORE 050 010, HOLD ON, SCROLL CONT, CMDCALL ON\n"
                "BREAKIN IMMED, BRKKEY NONE\n");
            return 0;
        }
        if (!strcmp(what, "CPLEVEL")) {
            zvm_buf_printf(out, "%s",
                "z/VM Version 7 Release 4.0, service level 0000 (64-bit)\n"
                "Generated at 01/01/25 00:00:00 UTC\n"
                "IPL at 01/01/25 00:00:00 UTC\n");
            return 0;
        }
        if (!strcmp(what, "USERID")) {
            zvm_buf_printf(out, "%-8s AT ZVMLITE\n", zvm.userid);
            return 0;
        }
        if (!strcmp(what, "NSS")) {
            return zvm_query_nss(out);
        }
        zvm_buf_printf(out, "HCPCQU003E Invalid option - %s\n", what);
        return CP_RC_BADOPT;
    }
    if (!strcmp(t[0], "TERMINAL") || !strcmp(t[0], "TERM") ||
        !strcmp(t[0], "SET")) {
        return 0;
    }
    if (!strcmp(t[0], "DEFSEG")) {
        return zvm_defseg(t, n, out);
    }
    if (!strcmp(t[0], "SAVESEG")) {
        if (n != 2) {
            zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid\n");
            return CP_RC_BADOPND;
        }
        return zvm_saveseg(t[1], out);
    }
    if (!strcmp(t[0], "PURGE")) {
        if (n == 4 && !strcmp(t[1], "NSS") && !strcmp(t[2], "NAME")) {
            return zvm_purge_nss(t[3], out);
        }
        zvm_buf_printf(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    zvm_buf_printf(out, "HCPCMD001E Unknown CP command: %s\n", t[0]);
    return CP_RC_UNKNOWN;
}

/* Locked. Executes one command; the response goes to *out ('\n' lines). */
int zvm_cp_command(char *cmd, char **out, size_t *outlen)
{
    /* a command has at most ZVM_CMD_MAX characters, so at most half as many words */
    char *w[ZVM_CMD_MAX / 2 + 2];
    struct zvm_buf b = { 0 };
    char *save = NULL;
    int n = 0, rc;

    for (char *p = cmd; *p; p++) {
        *p = zvm_toupper(*p);
    }
    for (char *p = strtok_r(cmd, " ", &save);
         p && n < (int)ZVM_ARRAY_SIZE(w) - 1; p = strtok_r(NULL, " ", &save)) {
        w[n++] = p;
    }
    w[n] = NULL;
    /* an explicit "CP" prefix is allowed */
    rc = n && !strcmp(w[0], "CP") ? zvm_cp_words(w + 1, n - 1, &b)
                                  : zvm_cp_words(w, n, &b);
    *out = b.s;
    *outlen = b.len;
    return rc;
}

/*
 * Runs the command and writes the response to the guest (if wanted); false if
 * the response buffer is not addressable. Everything it allocates is freed
 * on return, so that the caller can raise the exception.
 */
static bool zvm_diag8_run(void *cpu, char *cmd, bool want_resp, int r1,
                          int r3, uint32_t *cc)
{
    char *out;
    uint8_t *e;
    size_t len;
    uint64_t buf;
    uint32_t buflen, n;
    bool ok;
    int rc;

    zvm.ops->lock(cpu);
    rc = zvm_cp_command(cmd, &out, &len);
    zvm.ops->unlock(cpu);
    zvm.ops->set_reg(cpu, r3, rc);
    if (!want_resp) {
        /* without a buffer CP would type the response on the console: dropped */
        free(out);
        return true;
    }
    buf = zvm_reg_addr(cpu, r1 + 1);
    buflen = zvm.ops->get_reg(cpu, r3 + 1);
    /* EBCDIC, lines separated by X'15' (NL), no trailing NL */
    if (len && out[len - 1] == '\n') {
        len--;
    }
    n = ZVM_MIN(len, buflen);
    e = zvm_xmalloc(len + 1);
    zvm.ops->to_ebcdic(e, out ? out : "", len);
    for (size_t i = 0; i < len; i++) {
        if (out[i] == '\n') {
            e[i] = 0x15;
        }
    }
    free(out);
    ok = zvm.ops->real_rw(cpu, buf, e, n, true);
    free(e);
    if (!ok) {
        return false;
    }
    if (len > buflen) {
        *cc = 1;
        zvm.ops->set_reg(cpu, r3 + 1, len - buflen);  /* bytes that did not fit */
    } else {
        zvm.ops->set_reg(cpu, r3 + 1, len);
    }
    return true;
}

uint32_t zvm_diag8(void *cpu, int r1, int r3)
{
    uint32_t ry = zvm.ops->get_reg(cpu, r3);
    uint32_t len = ry & 0x00ffffff;
    bool want_resp = ry & 0x40000000;
    char cmd[ZVM_CMD_MAX + 1];
    uint8_t ebc[ZVM_CMD_MAX];
    uint32_t cc = 0;

    /* response: Rx/Rx+1 and Ry/Ry+1 are even-odd register pairs */
    if (len > ZVM_CMD_MAX || (want_resp && ((r1 | r3) & 1))) {
        zvm.ops->pgm(cpu, ZVM_PGM_SPECIFICATION);
    }
    zvm_real_rw(cpu, zvm_reg_addr(cpu, r1), ebc, len, false);
    zvm.ops->to_ascii(cmd, ebc, len);
    cmd[len] = 0;
    if (!zvm_diag8_run(cpu, cmd, want_resp, r1, r3, &cc)) {
        zvm.ops->pgm(cpu, ZVM_PGM_ADDRESSING);
    }
    return cc;
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

bool zvm_core_init(const char *dir, uint64_t storage_end, const char *userid,
                   const struct zvm_ops *ops, char *err, size_t errlen)
{
    struct stat st;
    const char *v;

    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "zvm-segments: %s is not a directory", dir);
        return false;
    }
    /* a second call (tests) starts over */
    zvm.enabled = false;
    free(zvm.dir);
    free(zvm.faults);
    zvm.faults = NULL;
    zvm.nr_faults = 0;
    zvm.ops = ops;
    zvm.dir = zvm_printf("%s", dir);
    zvm.storage_end = storage_end;
    for (int i = 0; i < 8 && userid[i]; i++) {
        zvm.userid[i] = zvm_toupper(userid[i]);
    }
    v = getenv("ZVM_TEST_FAULTS");
    if (v && !zvm_faults_parse(v, err, errlen)) {
        return false;
    }
    v = getenv("ZVM_TEST_LOAD_DELAY_MS");
    if (v) {
        zvm.load_delay_us = 1000 * strtoul(v, NULL, 10);
    }
    zvm.enabled = true;
    return true;
}
