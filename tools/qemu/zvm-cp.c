/*
 * z/VM-lite: the z/VM CP services Linux uses for saved segments (DCSS)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * With -machine s390-ccw-virtio,zvm-segments=DIR this QEMU (TCG only) tells
 * the guest it runs on z/VM and offers:
 *  - DIAG X'64' SEGEXTX (X'38'), LOADSHRX (X'20'), LOADNSRX (X'24'),
 *    PURGESEG (X'08') on the saved segments of the catalog DIR
 *    (format: README.md of the dcssblk-rs project, "Segment catalog format");
 *  - DIAG X'08' with a small CP command set (QUERY CONSOLE/TERM/CPLEVEL/
 *    USERID/NSS MAP, TERM, SET, DEFSEG, SAVESEG, PURGE NSS NAME).
 *
 * A loaded segment is a RAM MemoryRegion per page range, mmap()ed from the
 * catalog file at the range's guest-real address above guest storage:
 *  - SR/SC loaded shared: MAP_SHARED read-only of DIR/NAME.seg, so every
 *    QEMU process on the host uses the same page-cache pages; guest stores
 *    get a PROTECTION exception (mmu_helper.c hook);
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
 */

#include "qemu/osdep.h"
#include <sys/file.h>
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qemu/units.h"
#include "qom/object.h"
#include "cpu.h"
#include "s390x-internal.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/tb-flush.h"
#include "hw/boards.h"
#include "hw/s390x/ebcdic.h"
#include "hw/s390x/s390-virtio-ccw.h"
#include "hw/s390x/zvm-cp.h"
#include "migration/blocker.h"
#include "system/kvm.h"
#include "system/system.h"
#include "system/tcg.h"

#define ZVM_MAX_RANGES      6
#define ZVM_MAX_LOADED      32
#define ZVM_HDR_SIZE        4096
#define ZVM_MAX_PAGE        0x7ffffffULL    /* CP limit = Linux MAX_DCSS_ADDR */
#define ZVM_CMD_MAX         240             /* CP command length limit */

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

enum { SEG_SW, SEG_EW, SEG_SR, SEG_ER, SEG_SN, SEG_EN, SEG_SC };
static const char *const seg_type_str[] = {
    "SW", "EW", "SR", "ER", "SN", "EN", "SC"
};

typedef struct ZvmRange {
    uint64_t first, last;   /* page numbers, inclusive */
    int type;
} ZvmRange;

typedef struct ZvmSegDef {
    char name[9];
    int nr;
    ZvmRange r[ZVM_MAX_RANGES];
} ZvmSegDef;

#define TYPE_ZVM_SEGMENT "zvm-segment"
OBJECT_DECLARE_SIMPLE_TYPE(ZvmSegment, ZVM_SEGMENT)

/*
 * One loaded segment. A QOM object so that it owns its MemoryRegions: the
 * FlatViews hold references on it, and the RAM is unmapped only after the
 * last vCPU left its RCU section (qemu_ram_free -> reclaim_ramblock).
 */
struct ZvmSegment {
    Object parent_obj;
    ZvmSegDef def;
    bool shared;            /* loaded by LOADSHRX */
    int nr_mr;
    MemoryRegion mr[ZVM_MAX_RANGES];
    int ro_slot[ZVM_MAX_RANGES];    /* index in zvm_ro[], or -1 */
    int live_fd;            /* holds flock(LOCK_SH) on the live copy, or -1 */
    char *live_path;
    ino_t ino;              /* the saved version it was loaded from, */
    int saved_fd;           /* kept open: its inode number stays its own */
};

typedef struct ZvmState {
    bool enabled;
    char *dir;
    uint64_t storage_end;   /* first byte above guest storage (incl. devmem) */
    ZvmSegment *loaded[ZVM_MAX_LOADED];
    GHashTable *skeletons;  /* pending DEFSEGs: name -> ZvmSegDef */
    Error *migration_blocker;
    /*
     * Tests only (ZVM_TEST_LOAD_DELAY_MS): a slow CP. Each load waits this
     * long, without the BQL, before it maps the segment, while the other
     * vCPUs run on: the gap between the PURGESEG and the LOAD of a mode
     * change (extmem's segment_modify_shared) becomes wide enough for a race
     * test to land a guest access in it.
     */
    unsigned long load_delay_us;
    /* Tests only (ZVM_TEST_FAULTS): z/VM failing on purpose, see zvm_fault */
    GPtrArray *faults;
} ZvmState;

static ZvmState zvm;

/*
 * Write-protected ranges, read without locks by the TLB-fill path. Written
 * under the BQL only; Linux never touches a range while it is (un)loaded,
 * and a stale answer would at worst drop a store to read-only RAM.
 */
typedef struct ZvmRoRange {
    uint64_t start, end;    /* absolute byte addresses; end exclusive */
} ZvmRoRange;
static ZvmRoRange zvm_ro[ZVM_MAX_LOADED * ZVM_MAX_RANGES];
uint64_t zvm_ro_lowest = UINT64_MAX;

bool zvm_frame_readonly_slow(hwaddr addr)
{
    for (int i = 0; i < ARRAY_SIZE(zvm_ro); i++) {
        if (addr >= qatomic_read(&zvm_ro[i].start) &&
            addr < qatomic_read(&zvm_ro[i].end)) {
            return true;
        }
    }
    return false;
}

static void zvm_ro_recompute_lowest(void)
{
    uint64_t low = UINT64_MAX;

    for (int i = 0; i < ARRAY_SIZE(zvm_ro); i++) {
        if (zvm_ro[i].end && zvm_ro[i].start < low) {
            low = zvm_ro[i].start;
        }
    }
    qatomic_set(&zvm_ro_lowest, low);
}

static int zvm_ro_add(uint64_t start, uint64_t end)
{
    for (int i = 0; i < ARRAY_SIZE(zvm_ro); i++) {
        if (!zvm_ro[i].end) {
            qatomic_set(&zvm_ro[i].start, start);
            qatomic_set(&zvm_ro[i].end, end);
            zvm_ro_recompute_lowest();
            return i;
        }
    }
    g_assert_not_reached();     /* sized for ZVM_MAX_LOADED segments */
}

static void zvm_ro_del(int i)
{
    qatomic_set(&zvm_ro[i].end, 0);
    qatomic_set(&zvm_ro[i].start, 0);
    zvm_ro_recompute_lowest();
}

bool zvm_cp_enabled(void)
{
    return zvm.enabled;
}

/* ---------------------------------------------------------------------- */
/* Guest access and helpers                                               */

static G_NORETURN void zvm_pgm(CPUS390XState *env, uint32_t code,
                               uintptr_t ra)
{
    s390_program_interrupt(env, code, ra);
    g_assert_not_reached();     /* TCG only: the call above does not return */
}

static uint64_t zvm_reg_addr(CPUS390XState *env, int r)
{
    uint64_t a = env->regs[r];

    if (!(env->psw.mask & PSW_MASK_64)) {
        a &= (env->psw.mask & PSW_MASK_32) ? 0x7fffffff : 0x00ffffff;
    }
    return a;
}

/*
 * Read or write guest *real* storage (DIAG operands are real addresses):
 * prefixing applies per page; anything not backed -> ADDRESSING exception.
 */
/* Guest real storage access; false if some of it is not addressable. */
static bool zvm_real_try_rw(CPUS390XState *env, uint64_t addr, void *buf,
                            uint64_t len, bool is_write)
{
    uint8_t *p = buf;

    while (len) {
        uint64_t chunk = MIN(len,
                             TARGET_PAGE_SIZE - (addr & ~TARGET_PAGE_MASK));
        hwaddr abs = mmu_real2abs(env, addr);

        if (address_space_rw(&address_space_memory, abs,
                             MEMTXATTRS_UNSPECIFIED, p, chunk, is_write)
            != MEMTX_OK) {
            return false;
        }
        addr += chunk;
        p += chunk;
        len -= chunk;
    }
    return true;
}

/*
 * The same, raising an addressing exception. zvm_pgm() does not return, so
 * no caller may hold heap memory here (g_autofree cleanups would not run).
 */
static void zvm_real_rw(CPUS390XState *env, uint64_t addr, void *buf,
                        uint64_t len, bool is_write, uintptr_t ra)
{
    if (!zvm_real_try_rw(env, addr, buf, len, is_write)) {
        zvm_pgm(env, PGM_ADDRESSING, ra);
    }
}

static bool zvm_valid_name(const char *name)
{
    size_t n = strlen(name);

    if (n < 1 || n > 8) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isupper(name[i]) && !g_ascii_isdigit(name[i]) &&
            !strchr("@#$_-", name[i])) {
            return false;
        }
    }
    return true;
}

/* 8-byte EBCDIC blank-padded name at a doubleword-aligned real address */
static void zvm_read_name(CPUS390XState *env, uint64_t addr, char *name,
                          uintptr_t ra)
{
    uint8_t ebc[8];

    if (addr & 7) {
        zvm_pgm(env, PGM_SPECIFICATION, ra);
    }
    zvm_real_rw(env, addr, ebc, 8, false, ra);
    ascii_put((uint8_t *)name, (const char *)ebc, 8);
    name[8] = 0;
    for (int i = 7; i >= 0 && name[i] == ' '; i--) {
        name[i] = 0;
    }
    /* CP folds names to upper case */
    for (int i = 0; name[i]; i++) {
        name[i] = g_ascii_toupper(name[i]);
    }
}

static int zvm_parse_type(const char *s)
{
    for (int i = 0; i < ARRAY_SIZE(seg_type_str); i++) {
        if (!g_ascii_strcasecmp(s, seg_type_str[i])) {
            return i;
        }
    }
    return -1;
}

/* "FIRST-LAST" or "PAGE" in hex */
static bool zvm_parse_pages(const char *s, uint64_t *first, uint64_t *last)
{
    const char *end;

    if (qemu_strtou64(s, &end, 16, first) || end == s) {
        return false;
    }
    if (*end == 0) {
        *last = *first;
        return true;
    }
    if (*end != '-') {
        return false;
    }
    s = end + 1;
    return !qemu_strtou64(s, &end, 16, last) && end != s && *end == 0;
}

/* The catalog rules (README.md, "Segment catalog format") */
static bool zvm_def_valid(const ZvmSegDef *def)
{
    if (def->nr < 1 || def->nr > ZVM_MAX_RANGES) {
        return false;
    }
    for (int i = 0; i < def->nr; i++) {
        const ZvmRange *r = &def->r[i];

        if (r->first > r->last || r->last > ZVM_MAX_PAGE ||
            r->type < 0 || r->type > SEG_SC) {
            return false;
        }
        if (i && r->first != def->r[i - 1].last + 1) {
            return false;
        }
    }
    return (def->r[0].first & 0xff) == 0 &&
           ((def->r[def->nr - 1].last + 1) & 0xff) == 0;
}

static uint64_t zvm_def_start(const ZvmSegDef *def)
{
    return def->r[0].first << TARGET_PAGE_BITS;
}

static uint64_t zvm_def_size(const ZvmSegDef *def)
{
    return (def->r[def->nr - 1].last + 1 - def->r[0].first) << TARGET_PAGE_BITS;
}

/* Parse "ZVMSEG1\nFIRST-LAST TT\n..." */
static bool zvm_parse_header(const char *hdr, ZvmSegDef *def)
{
    g_auto(GStrv) lines = g_strsplit(hdr, "\n", -1);
    int i;

    def->nr = 0;
    if (!lines[0] || strcmp(lines[0], "ZVMSEG1")) {
        return false;
    }
    for (i = 1; lines[i] && lines[i][0]; i++) {
        g_auto(GStrv) tok = g_strsplit(lines[i], " ", -1);
        ZvmRange *r;

        if (def->nr == ZVM_MAX_RANGES || g_strv_length(tok) != 2) {
            return false;
        }
        r = &def->r[def->nr++];
        r->type = zvm_parse_type(tok[1]);
        if (!zvm_parse_pages(tok[0], &r->first, &r->last)) {
            return false;
        }
    }
    return zvm_def_valid(def);
}

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
typedef struct ZvmFault {
    char op[12];
    char name[9];
    long value;
    unsigned long skip;
} ZvmFault;

static bool zvm_faults_parse(const char *spec, Error **errp)
{
    g_auto(GStrv) rules = g_strsplit(spec, ",", -1);

    zvm.faults = g_ptr_array_new_with_free_func(g_free);
    for (char **r = rules; *r; r++) {
        g_autofree char *op = g_strdup(*r);
        char *at, *value, *name;
        uint64_t skip = 0;
        ZvmFault *f;

        if (!*op) {
            continue;               /* "a,,b" or a trailing comma */
        }
        at = strchr(op, '@');
        if (at) {
            *at++ = 0;
            if (qemu_strtou64(at, NULL, 10, &skip) < 0 || skip > INT_MAX) {
                goto bad;
            }
        }
        value = strchr(op, '=');
        if (value) {
            *value++ = 0;
        }
        name = strchr(op, ':');
        if (!name) {
            goto bad;
        }
        *name++ = 0;
        f = g_new0(ZvmFault, 1);
        g_ptr_array_add(zvm.faults, f);
        f->skip = skip;
        if (!*op || strlen(op) >= sizeof(f->op) || !zvm_valid_name(name)) {
            goto bad;
        }
        pstrcpy(f->op, sizeof(f->op), op);
        pstrcpy(f->name, sizeof(f->name), name);
        if (!strcmp(op, "vanish") || !strcmp(op, "truncate")) {
            if (value) {
                goto bad;
            }
        } else if (!strcmp(op, "savefile")) {
            if (!value || (strcmp(value, "EIO") && strcmp(value, "ENOSPC"))) {
                goto bad;
            }
            f->value = strcmp(value, "EIO") ? ENOSPC : EIO;
        } else if (!strcmp(op, "query") || !strcmp(op, "load") ||
                   !strcmp(op, "purge") || !strcmp(op, "defseg") ||
                   !strcmp(op, "saveseg")) {
            /* a DIAG X'64' return code or a CP command rc */
            if (!value || qemu_strtol(value, NULL, 10, &f->value) < 0 ||
                f->value <= 0 || f->value > 65535) {
                goto bad;
            }
        } else {
            goto bad;
        }
        continue;
bad:
        error_setg(errp, "ZVM_TEST_FAULTS: bad rule '%s'", *r);
        return false;
    }
    return true;
}

/* The value of the rule for OP on NAME that fires now, or 0. */
static long zvm_fault(const char *op, const char *name)
{
    for (guint i = 0; zvm.faults && i < zvm.faults->len; i++) {
        ZvmFault *f = g_ptr_array_index(zvm.faults, i);

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

static char *zvm_seg_path(const char *name)
{
    return g_strdup_printf("%s/%s.seg", zvm.dir, name);
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
static int zvm_open_seg(const char *name, ZvmSegDef *def, bool loading)
{
    g_autofree char *path = NULL;
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
        st.st_size < ZVM_HDR_SIZE + zvm_def_size(def)) {
        goto bad;
    }
    pstrcpy(def->name, sizeof(def->name), name);
    return fd;
bad:
    warn_report("zvm: %s: not a valid saved segment file", path);
    close(fd);
    return -ZVM_RC_IOERR;
}

/* Exclusive lock on DIR/.lock: serialises all catalog writers */
static int zvm_catalog_lock(void)
{
    g_autofree char *path = g_strdup_printf("%s/.lock", zvm.dir);
    /* read-only is enough for flock(2) (as dcssctl opens it) */
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);

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

static ZvmSegment **zvm_find_loaded(const char *name)
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
static char *zvm_live_attach(int seg_fd, const ZvmSegDef *def, int *lock_fd)
{
    g_autofree char *livedir = g_strdup_printf("%s/.live", zvm.dir);
    g_autofree char *tmp = NULL;
    char *path;
    struct stat st;
    int cat, fd;

    if (fstat(seg_fd, &st) < 0) {
        return NULL;
    }
    path = g_strdup_printf("%s/%s.%" PRIx64 ".%" PRIx64, livedir, def->name,
                           (uint64_t)st.st_dev, (uint64_t)st.st_ino);
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
        /* left over by a QEMU that died: start again from the saved version */
        close(fd);
    }
    tmp = g_strdup_printf("%s.%d.tmp", path, getpid());
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        goto fail;
    }
    {
        off_t in = 0, out = 0, left = st.st_size;

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
    *lock_fd = fd;
    return path;
fail:
    error_report("zvm: cannot set up the shared copy %s: %s", path,
                 strerror(errno));
    zvm_catalog_unlock(cat);
    g_free(path);
    return NULL;
}

static void zvm_live_detach(ZvmSegment *seg)
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

static void zvm_segment_finalize(Object *obj)
{
    ZvmSegment *seg = ZVM_SEGMENT(obj);

    g_free(seg->live_path);
    if (seg->saved_fd >= 0) {
        close(seg->saved_fd);
    }
}

static const TypeInfo zvm_segment_info = {
    .name = TYPE_ZVM_SEGMENT,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(ZvmSegment),
    .instance_finalize = zvm_segment_finalize,
};

static void zvm_register_types(void)
{
    type_register_static(&zvm_segment_info);
}
type_init(zvm_register_types)

/* BQL held. The memory transaction queues a TLB flush on every vCPU. */
static void zvm_unload(ZvmSegment **slot)
{
    ZvmSegment *seg = *slot;

    memory_region_transaction_begin();
    for (int i = 0; i < seg->nr_mr; i++) {
        memory_region_del_subregion(get_system_memory(), &seg->mr[i]);
        if (seg->ro_slot[i] >= 0) {
            zvm_ro_del(seg->ro_slot[i]);
        }
    }
    memory_region_transaction_commit();
    zvm_live_detach(seg);
    *slot = NULL;
    /* the RAM goes once the FlatViews drop their references (RCU) */
    object_unref(OBJECT(seg));
}

/* Does [start, end) hit guest storage or another loaded segment? */
static bool zvm_overlaps(uint64_t start, uint64_t end)
{
    if (start < zvm.storage_end) {
        return true;
    }
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        ZvmSegment *o = zvm.loaded[i];

        if (o && start < zvm_def_start(&o->def) + zvm_def_size(&o->def) &&
            zvm_def_start(&o->def) < end) {
            return true;
        }
    }
    return false;
}

/* BQL held. Returns 0 or a DIAG X'64' return code for cc 2. */
static int zvm_load(const char *name, bool shared, uint64_t *start,
                    uint64_t *end)
{
    ZvmSegment **old = zvm_find_loaded(name);
    ZvmSegment *seg, **slot = NULL;
    ZvmSegDef def;
    Error *err = NULL;
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

    seg = ZVM_SEGMENT(object_new(TYPE_ZVM_SEGMENT));
    seg->def = def;
    seg->shared = shared;
    seg->live_fd = -1;
    seg->saved_fd = -1;
    {
        struct stat st;

        seg->ino = fstat(fd, &st) == 0 ? st.st_ino : 0;
    }
    for (i = 0; i < ZVM_MAX_RANGES; i++) {
        seg->ro_slot[i] = -1;
    }
    for (i = 0; shared && i < def.nr; i++) {
        if (def.r[i].type == SEG_SW || def.r[i].type == SEG_SN) {
            seg->live_path = zvm_live_attach(fd, &def, &seg->live_fd);
            if (!seg->live_path) {
                goto fail;
            }
            break;
        }
    }

    memory_region_transaction_begin();
    for (i = 0; i < def.nr; i++) {
        const ZvmRange *r = &def.r[i];
        uint64_t off = (r->first - def.r[0].first) << TARGET_PAGE_BITS;
        uint64_t len = (r->last + 1 - r->first) << TARGET_PAGE_BITS;
        uint64_t addr = r->first << TARGET_PAGE_BITS;
        g_autofree char *mrname = g_strdup_printf("zvm-dcss-%s-%d", name, i);
        bool shw = shared && (r->type == SEG_SW || r->type == SEG_SN);
        bool shr = shared && (r->type == SEG_SR || r->type == SEG_SC);
        bool ro = shared && (r->type == SEG_SR || r->type == SEG_SC ||
                             r->type == SEG_ER);
        uint32_t flags = (shw || shr ? RAM_SHARED : 0) |
                         (ro ? RAM_READONLY : 0);
        /* QEMU closes the RAMBlock's fd itself when the RAM is freed */
        int rfd = shw ? open(seg->live_path, O_RDWR | O_CLOEXEC) : dup(fd);

        if (rfd < 0 ||
            !memory_region_init_ram_from_fd(&seg->mr[i], OBJECT(seg), mrname,
                                            len, flags, rfd,
                                            ZVM_HDR_SIZE + off, &err)) {
            if (rfd < 0) {
                error_report("zvm: %s: %s", name, strerror(errno));
            } else {
                error_report_err(err);
                err = NULL;
                close(rfd);
            }
            for (int j = 0; j < seg->nr_mr; j++) {
                memory_region_del_subregion(get_system_memory(), &seg->mr[j]);
                if (seg->ro_slot[j] >= 0) {
                    zvm_ro_del(seg->ro_slot[j]);
                }
            }
            memory_region_transaction_commit();
            goto fail;
        }
        memory_region_add_subregion(get_system_memory(), addr, &seg->mr[i]);
        seg->nr_mr++;
        if (ro) {
            seg->ro_slot[i] = zvm_ro_add(addr, addr + len);
        }
    }
    memory_region_transaction_commit();
    /*
     * Held while the segment is loaded: a saved version replaced by SAVESEG
     * or PURGE NSS keeps its inode, so no new version gets its number (the
     * file id QUERY NSS MAP shows, the key of its live copy).
     */
    seg->saved_fd = fd;
    *slot = seg;
    *start = zvm_def_start(&def);
    *end = *start + zvm_def_size(&def) - 1;
    return 0;

fail:
    zvm_live_detach(seg);
    object_unref(OBJECT(seg));
    close(fd);
    return ZVM_RC_IOERR;
}

static void zvm_purge_all(void)
{
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        if (zvm.loaded[i]) {
            zvm_unload(&zvm.loaded[i]);
        }
    }
}

/* ---------------------------------------------------------------------- */
/* DIAG X'64'                                                             */

static uint32_t zvm_segextx(CPUS390XState *env, uint32_t r1, uint32_t r3,
                            uintptr_t ra)
{
    uint64_t qin_addr = zvm_reg_addr(env, r1);
    uint8_t qin[24], qout[120] = { 0 };
    char name[9];
    ZvmSegDef def;
    uint32_t qoutptr;
    int16_t qoutlen;
    int fd;

    if (qin_addr & 7) {
        zvm_pgm(env, PGM_SPECIFICATION, ra);
    }
    zvm_real_rw(env, qin_addr, qin, sizeof(qin), false, ra);
    ascii_put((uint8_t *)name, (const char *)qin + 8, 8);
    name[8] = 0;
    for (int i = 7; i >= 0 && name[i] == ' '; i--) {
        name[i] = 0;
    }
    for (int i = 0; name[i]; i++) {
        name[i] = g_ascii_toupper(name[i]);
    }
    qoutptr = ldl_be_p(qin + 16) & 0x7fffffff;
    qoutlen = lduw_be_p(qin + 20);

    bql_lock();
    fd = zvm_fault("query", name);
    fd = fd ? -fd : zvm_open_seg(name, &def, false);
    bql_unlock();
    if (fd < 0) {
        env->regs[r3] = -fd;
        return 2;
    }
    close(fd);

    stq_be_p(qout + 0, zvm_def_start(&def));
    stq_be_p(qout + 8, zvm_def_start(&def) + zvm_def_size(&def) - 1);
    stl_be_p(qout + 16, def.nr);
    stl_be_p(qout + 20, def.nr);
    for (int i = 0; i < def.nr; i++) {
        /* start address with the range type in its low-order byte */
        stq_be_p(qout + 24 + 16 * i,
                 (def.r[i].first << TARGET_PAGE_BITS) | def.r[i].type);
        stq_be_p(qout + 32 + 16 * i,
                 ((def.r[i].last + 1) << TARGET_PAGE_BITS) - 1);
    }
    if (qoutlen > 0) {
        if (qoutptr & 7) {
            zvm_pgm(env, PGM_SPECIFICATION, ra);
        }
        zvm_real_rw(env, qoutptr, qout, MIN(qoutlen, sizeof(qout)), true, ra);
    }
    return 0;
}

uint32_t zvm_diag64(CPUS390XState *env, uint32_t r1, uint32_t r3,
                    uintptr_t ra)
{
    uint64_t subcode = env->regs[r3];
    uint64_t start, end;
    char name[9];
    bool reloaded;
    int rc;

    switch (subcode) {
    case 0x38:      /* SEGEXTX: query the extents of a saved segment */
        return zvm_segextx(env, r1, r3, ra);
    case 0x20:      /* LOADSHRX */
    case 0x24:      /* LOADNSRX */
        zvm_read_name(env, zvm_reg_addr(env, r1), name, ra);
        if (zvm.load_delay_us) {
            g_usleep(zvm.load_delay_us);
        }
        bql_lock();
        reloaded = zvm_find_loaded(name) != NULL;
        rc = zvm_load(name, subcode == 0x20, &start, &end);
        bql_unlock();
        if (reloaded) {
            /* zvm_load purged the old copy first: see PURGESEG */
            tb_flush(env_cpu(env));
        }
        if (rc) {
            env->regs[r3] = rc;
            return 2;
        }
        env->regs[r1] = start;
        env->regs[r3] = end;
        return 0;
    case 0x08: {    /* PURGESEG */
        ZvmSegment **slot;

        zvm_read_name(env, zvm_reg_addr(env, r1), name, ra);
        bql_lock();
        rc = zvm_fault("purge", name);
        if (rc) {
            bql_unlock();
            env->regs[r3] = rc;
            return 2;
        }
        slot = zvm_find_loaded(name);
        if (slot) {
            zvm_unload(slot);
        }
        bql_unlock();
        if (!slot) {
            return 1;       /* not loaded by this virtual machine */
        }
        /*
         * TBs are keyed by ram_addr, which the next RAMBlock may reuse:
         * code run from the segment (DAX) must not be found again.
         */
        tb_flush(env_cpu(env));
        return 0;
    }
    default:
        /* subcodes Linux 7.2 no longer uses */
        zvm_pgm(env, PGM_SPECIFICATION, ra);
    }
}

/* ---------------------------------------------------------------------- */
/* DIAG X'08': CP commands                                                */

static const char *zvm_userid(void)
{
    static char id[9];

    if (!id[0]) {
        const char *n = qemu_name ? qemu_name : "LINUX01";

        for (int i = 0; i < 8 && n[i]; i++) {
            id[i] = g_ascii_toupper(n[i]);
        }
    }
    return id;
}

static gint zvm_strcmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void zvm_nss_line(GString *out, unsigned fileid, const ZvmSegDef *def,
                         char cls, int users)
{
    for (int i = 0; i < def->nr; i++) {
        if (i == 0) {
            g_string_append_printf(out, "%04u %-8s %-8s %-8s ", fileid,
                                   def->name, "DCSS", "N/A");
        } else {
            g_string_append_printf(out, "%-32s", "");
        }
        g_string_append_printf(out, "%05" PRIX64 "    %05" PRIX64 "    %-4s",
                               def->r[i].first, def->r[i].last,
                               seg_type_str[def->r[i].type]);
        if (i == 0) {
            g_string_append_printf(out, " %c  %05d  N/A      N/A", cls,
                                   users);
        }
        g_string_append_c(out, '\n');
    }
}

/*
 * QUERY NSS [MAP]: saved segments (class A), versions superseded by a
 * SAVESEG or a PURGE while this guest still has them loaded (class P: z/VM
 * keeps them for their users) and pending skeletons (S). #USERS counts this
 * guest only: the emulator does not see the other guests.
 */
static int zvm_query_nss(GString *out)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    GDir *dir = g_dir_open(zvm.dir, 0, NULL);
    GHashTableIter it;
    gpointer key, val;
    const char *f;
    bool current[ZVM_MAX_LOADED] = { false };   /* loaded version is class A */

    g_string_append(out, "FILE FILENAME FILETYPE MINSIZE  BEGPAG   ENDPAG   "
                    "TYPE CL #USERS PARMREGS VMGROUP\n");
    while (dir && (f = g_dir_read_name(dir))) {
        if (g_str_has_suffix(f, ".seg")) {
            g_ptr_array_add(names, g_strndup(f, strlen(f) - 4));
        }
    }
    if (dir) {
        g_dir_close(dir);
    }
    g_ptr_array_sort(names, zvm_strcmp);
    for (guint i = 0; i < names->len; i++) {
        ZvmSegment **used = zvm_find_loaded(names->pdata[i]);
        bool in_use;
        ZvmSegDef def;
        struct stat st;
        int fd = zvm_open_seg(names->pdata[i], &def, false);

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
    }
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        if (zvm.loaded[i] && !current[i]) {
            zvm_nss_line(out, zvm_fileid(zvm.loaded[i]->ino),
                         &zvm.loaded[i]->def, 'P', 1);
        }
    }
    g_hash_table_iter_init(&it, zvm.skeletons);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        zvm_nss_line(out, 0, val, 'S', 0);
    }
    return 0;
}

/* DEFSEG name range type [range type ...]: a pending skeleton */
static int zvm_defseg(char **tok, int n, GString *out)
{
    ZvmSegDef def = { .nr = 0 };
    long fault;

    if (n < 4 || !zvm_valid_name(tok[1])) {
        g_string_append(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    fault = zvm_fault("defseg", tok[1]);
    if (fault) {
        g_string_append_printf(out, "HCPNSD%03ldE Saved segment %s was not "
                               "defined\n", fault, tok[1]);
        return fault;
    }
    pstrcpy(def.name, sizeof(def.name), tok[1]);
    for (int i = 2; i < n; i += 2) {
        ZvmRange *r;

        /* optional operands that change nothing here */
        if (!strcmp(tok[i], "LOADNSHR") || !strcmp(tok[i], "RSTD") ||
            !strcmp(tok[i], "SECURE")) {
            i--;
            continue;
        }
        if (i + 1 >= n || def.nr == ZVM_MAX_RANGES) {
            g_string_append(out, "HCPCMD026E Operand missing or invalid\n");
            return CP_RC_BADOPND;
        }
        r = &def.r[def.nr++];
        r->type = zvm_parse_type(tok[i + 1]);
        if (!zvm_parse_pages(tok[i], &r->first, &r->last) || r->type < 0) {
            g_string_append_printf(out, "HCPCMD026E Operand missing or "
                                   "invalid: %s\n", tok[i]);
            return CP_RC_BADOPND;
        }
    }
    if (!zvm_def_valid(&def)) {
        g_string_append(out, "HCPCMD026E Operand missing or invalid: page "
                        "ranges must be contiguous, on 1 MB boundaries, "
                        "at most 6, below page 8000000\n");
        return CP_RC_BADOPND;
    }
    g_hash_table_replace(zvm.skeletons, g_strdup(def.name),
                         g_memdup2(&def, sizeof(def)));
    g_string_append_printf(out, "HCPNSD440I Saved segment %s was successfully "
                           "defined in fileid 0000.\n", def.name);
    return 0;
}

/*
 * SAVESEG name: write the saver's view of the skeleton's ranges as the new
 * version of DIR/NAME.seg (tmp file + rename under DIR/.lock). SN/EN/SC
 * ranges save no data: they stay holes that read as zeros.
 */
static int zvm_saveseg(const char *name, GString *out)
{
    ZvmSegDef *def = g_hash_table_lookup(zvm.skeletons, name);
    g_autofree char *path = NULL, *tmp = NULL;
    g_autofree uint8_t *buf = NULL;
    GString *hdr;
    int cat, fd = -1;
    bool ok = false;
    long fault, write_fault;
    const char *why = NULL;     /* what failed, for QEMU's log */
    struct stat st;
    ino_t saved_ino = 0;

    if (!def) {
        g_string_append_printf(out, "HCPNSS044E No skeleton for %s; "
                               "use DEFSEG first\n", name);
        return CP_RC_NOSEG;
    }
    fault = zvm_fault("saveseg", name);
    if (fault) {
        g_string_append_printf(out, "HCPNSS%03ldE Saved segment %s was not "
                               "saved\n", fault, name);
        return fault;
    }
    path = zvm_seg_path(name);
    tmp = g_strdup_printf("%s.%d.tmp", path, getpid());
    hdr = g_string_new("ZVMSEG1\n");
    for (int i = 0; i < def->nr; i++) {
        g_string_append_printf(hdr, "%" PRIX64 "-%" PRIX64 " %s\n",
                               def->r[i].first, def->r[i].last,
                               seg_type_str[def->r[i].type]);
    }
    buf = g_malloc0(MAX(ZVM_HDR_SIZE, 1 * MiB));
    memcpy(buf, hdr->str, hdr->len);
    g_string_free(hdr, true);

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
        why = g_strerror(errno);
        goto out;
    }
    if (write_fault) {
        why = g_strerror(write_fault);  /* the test's host I/O error */
        goto out;
    }
    for (int i = 0; i < def->nr; i++) {
        const ZvmRange *r = &def->r[i];
        uint64_t addr = r->first << TARGET_PAGE_BITS;
        uint64_t end = (r->last + 1) << TARGET_PAGE_BITS;

        if (r->type == SEG_SN || r->type == SEG_EN || r->type == SEG_SC) {
            continue;
        }
        for (; addr < end; addr += 1 * MiB) {
            uint64_t len = MIN(end - addr, 1 * MiB);
            off_t off = ZVM_HDR_SIZE + addr - zvm_def_start(def);

            if (address_space_read(&address_space_memory, addr,
                                   MEMTXATTRS_UNSPECIFIED, buf, len)
                != MEMTX_OK) {
                g_string_append_printf(out, "HCPNSS177E Pages %" PRIX64
                                       " are not addressable\n",
                                       addr >> TARGET_PAGE_BITS);
                why = "pages not addressable";
                goto out;
            }
            /* keep all-zero chunks sparse */
            if (!buffer_is_zero(buf, len) &&
                pwrite(fd, buf, len, off) != (ssize_t)len) {
                why = "short write";
                goto out;
            }
        }
    }
    ok = fsync(fd) == 0 && fstat(fd, &st) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        why = g_strerror(errno);
    } else {
        saved_ino = st.st_ino;
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    if (!ok) {
        error_report("zvm: saving %s: %s", name, why);
        unlink(tmp);
        zvm_catalog_unlock(cat);
        g_string_append_printf(out, "HCPNSS177E Saved segment %s was not "
                               "saved\n", name);
        return CP_RC_IOERR;
    }
    zvm_catalog_unlock(cat);
    g_hash_table_remove(zvm.skeletons, name);
    g_string_append_printf(out, "HCPNSS440I Saved segment %s was successfully "
                           "saved in fileid %04u.\n", name,
                           zvm_fileid(saved_ino));
    return 0;
}

/* PURGE NSS NAME name: delete the saved version; loaded copies live on */
static int zvm_purge_nss(const char *name, GString *out)
{
    g_autofree char *path = NULL;
    bool skel = g_hash_table_remove(zvm.skeletons, name);
    int cat, r;

    if (!zvm_valid_name(name)) {
        g_string_append(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    path = zvm_seg_path(name);
    cat = zvm_catalog_lock();
    r = unlink(path);
    zvm_catalog_unlock(cat);
    if (r < 0 && !skel) {
        g_string_append_printf(out, "HCPPGN044E %s does not exist\n", name);
        return CP_RC_NOSEG;
    }
    g_string_append_printf(out, "NSS %s purged\n", name);
    return 0;
}

/* BQL held. Executes one command; the response goes to out ('\n' lines). */
static int zvm_cp_command(char *cmd, GString *out)
{
    g_auto(GStrv) tok = NULL;
    g_autoptr(GPtrArray) w = g_ptr_array_new();
    char **t;
    int n;

    for (char *p = cmd; *p; p++) {
        *p = g_ascii_toupper(*p);
    }
    tok = g_strsplit_set(cmd, " ", -1);
    for (t = tok; *t; t++) {
        if (**t) {
            g_ptr_array_add(w, *t);
        }
    }
    /* an explicit "CP" prefix is allowed */
    if (w->len && !strcmp(w->pdata[0], "CP")) {
        g_ptr_array_remove_index(w, 0);
    }
    g_ptr_array_add(w, NULL);
    t = (char **)w->pdata;
    n = w->len - 1;
    if (n == 0) {
        return 0;
    }

    if (!strcmp(t[0], "QUERY") || !strcmp(t[0], "Q")) {
        const char *what = n > 1 ? t[1] : "";

        if (!strcmp(what, "CONSOLE") || !strcmp(what, "CONS")) {
            /* Linux's conmode_default() needs "SUBCHANNEL =" */
            g_string_append(out,
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
            g_string_append(out,
                "LINEND #, LINEDEL OFF, CHARDEL OFF, ESCAPE \", TABCHAR OFF\n"
                "LINESIZE 080, ATTN OFF, APL OFF, TEXT OFF, MODE VM, "
                "HILIGHT OFF\n"
                "MORE 050 010, HOLD ON, SCROLL CONT, CMDCALL ON\n"
                "BREAKIN IMMED, BRKKEY NONE\n");
            return 0;
        }
        if (!strcmp(what, "CPLEVEL")) {
            g_string_append(out,
                "z/VM Version 7 Release 4.0, service level 0000 (64-bit)\n"
                "Generated at 01/01/25 00:00:00 UTC\n"
                "IPL at 01/01/25 00:00:00 UTC\n");
            return 0;
        }
        if (!strcmp(what, "USERID")) {
            g_string_append_printf(out, "%-8s AT ZVMLITE\n", zvm_userid());
            return 0;
        }
        if (!strcmp(what, "NSS")) {
            return zvm_query_nss(out);
        }
        g_string_append_printf(out, "HCPCQU003E Invalid option - %s\n", what);
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
            g_string_append(out, "HCPCMD026E Operand missing or invalid\n");
            return CP_RC_BADOPND;
        }
        return zvm_saveseg(t[1], out);
    }
    if (!strcmp(t[0], "PURGE")) {
        if (n == 4 && !strcmp(t[1], "NSS") && !strcmp(t[2], "NAME")) {
            return zvm_purge_nss(t[3], out);
        }
        g_string_append(out, "HCPCMD026E Operand missing or invalid\n");
        return CP_RC_BADOPND;
    }
    g_string_append_printf(out, "HCPCMD001E Unknown CP command: %s\n", t[0]);
    return CP_RC_UNKNOWN;
}

/*
 * Runs the command and writes the response to the guest (if wanted); false if
 * the response buffer is not addressable. Everything it allocates is freed
 * on return, so that the caller can raise the exception.
 */
static bool zvm_diag8_run(CPUS390XState *env, char *cmd, bool want_resp,
                          uint32_t r1, uint32_t r3, uint32_t *cc)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_autofree uint8_t *e = NULL;
    uint64_t buf;
    uint32_t buflen, n;
    int rc;

    bql_lock();
    rc = zvm_cp_command(cmd, out);
    bql_unlock();
    env->regs[r3] = rc;
    if (!want_resp) {
        /* without a buffer CP would type the response on the console: dropped */
        return true;
    }
    buf = zvm_reg_addr(env, r1 + 1);
    buflen = env->regs[r3 + 1];
    /* EBCDIC, lines separated by X'15' (NL), no trailing NL */
    if (out->len && out->str[out->len - 1] == '\n') {
        g_string_truncate(out, out->len - 1);
    }
    n = MIN(out->len, buflen);
    e = g_malloc(out->len + 1);
    ebcdic_put(e, out->str, out->len);
    for (size_t i = 0; i < out->len; i++) {
        if (out->str[i] == '\n') {
            e[i] = 0x15;
        }
    }
    if (!zvm_real_try_rw(env, buf, e, n, true)) {
        return false;
    }
    if (out->len > buflen) {
        *cc = 1;
        env->regs[r3 + 1] = out->len - buflen;  /* bytes that did not fit */
    } else {
        env->regs[r3 + 1] = out->len;
    }
    return true;
}

uint32_t zvm_diag8(CPUS390XState *env, uint32_t r1, uint32_t r3,
                   uintptr_t ra)
{
    uint32_t ry = env->regs[r3];
    uint32_t len = ry & 0x00ffffff;
    bool want_resp = ry & 0x40000000;
    char cmd[ZVM_CMD_MAX + 1];
    uint8_t ebc[ZVM_CMD_MAX];
    uint32_t cc = 0;

    /* response: Rx/Rx+1 and Ry/Ry+1 are even-odd register pairs */
    if (len > ZVM_CMD_MAX || (want_resp && ((r1 | r3) & 1))) {
        zvm_pgm(env, PGM_SPECIFICATION, ra);
    }
    zvm_real_rw(env, zvm_reg_addr(env, r1), ebc, len, false, ra);
    ascii_put((uint8_t *)cmd, (const char *)ebc, len);
    cmd[len] = 0;
    if (!zvm_diag8_run(env, cmd, want_resp, r1, r3, &cc)) {
        zvm_pgm(env, PGM_ADDRESSING, ra);
    }
    return cc;
}

/* ---------------------------------------------------------------------- */
/* Machine integration                                                    */

static char *zvm_get_segments(Object *obj, Error **errp)
{
    return g_strdup(S390_CCW_MACHINE(obj)->zvm_segments);
}

static void zvm_set_segments(Object *obj, const char *value, Error **errp)
{
    S390CcwMachineState *ms = S390_CCW_MACHINE(obj);

    g_free(ms->zvm_segments);
    ms->zvm_segments = g_strdup(value);
}

void zvm_cp_class_init(ObjectClass *oc)
{
    object_class_property_add_str(oc, "zvm-segments", zvm_get_segments,
                                  zvm_set_segments);
    object_class_property_set_description(oc, "zvm-segments",
            "Emulate the z/VM services Linux uses for saved segments (DCSS), "
            "with the segment catalog in this host directory (TCG only)");
}

void zvm_cp_init(MachineState *machine, Error **errp)
{
    S390CcwMachineState *ms = S390_CCW_MACHINE(machine);

    if (!ms->zvm_segments) {
        return;
    }
    if (!tcg_enabled()) {
        error_setg(errp, "zvm-segments needs TCG (-accel tcg)");
        return;
    }
    if (!g_file_test(ms->zvm_segments, G_FILE_TEST_IS_DIR)) {
        error_setg(errp, "zvm-segments: %s is not a directory",
                   ms->zvm_segments);
        return;
    }
    zvm.dir = g_strdup(ms->zvm_segments);
    zvm.storage_end = s390_get_memory_limit(ms);
    if (g_getenv("ZVM_TEST_FAULTS") &&
        !zvm_faults_parse(g_getenv("ZVM_TEST_FAULTS"), errp)) {
        return;
    }
    if (g_getenv("ZVM_TEST_LOAD_DELAY_MS")) {
        zvm.load_delay_us = 1000 * g_ascii_strtoull(
            g_getenv("ZVM_TEST_LOAD_DELAY_MS"), NULL, 10);
    }
    zvm.skeletons = g_hash_table_new_full(g_str_hash, g_str_equal,
                                          g_free, g_free);
    /* segment RAM is neither migrated nor part of a snapshot */
    error_setg(&zvm.migration_blocker,
               "z/VM saved segments (zvm-segments) cannot be migrated");
    if (migrate_add_blocker(&zvm.migration_blocker, errp) < 0) {
        return;
    }
    zvm.enabled = true;
}

void zvm_cp_reset(void)
{
    bool any = false;

    if (!zvm.enabled) {
        return;
    }
    for (int i = 0; i < ZVM_MAX_LOADED; i++) {
        any |= zvm.loaded[i] != NULL;
    }
    zvm_purge_all();
    if (any && first_cpu) {
        tb_flush(first_cpu);
    }
}
