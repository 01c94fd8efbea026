/*
 * dcssblk-rs: z/VM-lite saved segments for Hercules, the architecture-independent part.
 * Included once by vm.c, after its z900 pass (zvm-herc-arch.c), with the core zvm-core.c.
 *
 * SPDX-License-Identifier: MIT
 *
 * Storage: with ZVMSEGS, guest absolute storage is one host reservation covering every address
 * a saved segment can have (up to page X'7FFFFFF', Linux's MAX_DCSS_ADDR: 512 GiB), PROT_NONE
 * and never committed, with guest storage read/write at its start. A loaded segment is mapped
 * there MAP_FIXED from the catalog file (one host copy for every guest on the host, QEMU's
 * included, where the core maps shared) and goes back to PROT_NONE when purged. mainstor never
 * moves and mainsize never changes, so every storage check of Hercules still refuses segment
 * addresses except the one in logical_to_main_l (hooks.py, dat.h), which asks zvm_frame_kind:
 * CPU accesses reach loaded segments, channel programs and the like do not (README, Hercules).
 * The storage key array covers the whole reservation, committed as it is touched.
 */

#define ZVM_HERC_SPACE  ((ZVM_MAX_PAGE + 1) << ZVM_PAGE_SHIFT)

static void zvm_herc_unmap_ranges(const struct zvm_map *m, int n);

static struct {
    char *dir;
    char userid[9];
    U64 space;                  /* bytes reserved for guest absolute storage */
} zvm_herc;

int zvm_herc_enabled(void)
{
    return zvm_herc.dir != NULL;
}

static const char *zvm_herc_userid(void)
{
    return zvm_herc.userid;
}

/* ZVMSEGS DIR [USERID NAME]: configuration statement only */
int zvmsegs_cmd(int argc, char *argv[], char *cmdline)
{
    int i;

    UNREFERENCED(cmdline);
    if (!(argc == 2 || (argc == 4 && !strcasecmp(argv[2], "USERID") && strlen(argv[3]) <= 8)))
    {
        logmsg("HHCZV001S ZVMSEGS: want ZVMSEGS DIR [USERID NAME] (NAME up to 8 characters)\n");
        return -1;
    }
    free(zvm_herc.dir);
    zvm_herc.dir = strdup(argv[1]);
    snprintf(zvm_herc.userid, sizeof(zvm_herc.userid), "%s", argc == 4 ? argv[3] : "LINUX01");
    /* CP user ids are upper case (QUERY USERID and STSI's VM name alike) */
    for (i = 0; zvm_herc.userid[i]; i++)
        zvm_herc.userid[i] = toupper((unsigned char)zvm_herc.userid[i]);
    return 0;
}

/* Locked. Map every range, or none. */
static bool zvm_herc_map_seg(struct zvm_seg *seg, const struct zvm_map *m, int n)
{
    int i, j;

    for (i = 0; i < n; i++)
    {
        int prot = PROT_READ | (m[i].readonly ? 0 : PROT_WRITE);
        int flags = (m[i].shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
        void *want = sysblk.mainstor + m[i].addr;

        int outside = m[i].addr + m[i].len > zvm_herc.space;

        if (outside || mmap(want, m[i].len, prot, flags, m[i].fd, m[i].offset) != want)
        {
            logmsg("HHCZV002E zvm: %s: mapping range %d: %s\n", seg->def.name, i,
                   outside ? "above the reserved space" : strerror(errno));
            for (j = i; j < n; j++)
                close(m[j].fd);
            /* a failed MAP_FIXED may have unmapped part of range i already */
            zvm_herc_unmap_ranges(m, outside ? i : i + 1);
            return false;
        }
        close(m[i].fd);
        /* a segment's frames start with key 0, unreferenced, unchanged */
        memset(sysblk.storkeys + m[i].addr / STORAGE_KEY_UNITSIZE, 0,
               m[i].len / STORAGE_KEY_UNITSIZE);
    }
    seg->backend = sysblk.mainstor;
    return true;
}

/* The ranges back to reserved, inaccessible space; Hercules' 8 KiB of read/write slack above
   guest storage (config_storage allocates mainsize + 8192) back to read/write */
static void zvm_herc_unmap_ranges(const struct zvm_map *m, int n)
{
    U64 slack_end = sysblk.mainsize + 8192;
    int i;

    for (i = 0; i < n; i++)
    {
        if (mmap(sysblk.mainstor + m[i].addr, m[i].len, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
            logmsg("HHCZV003E zvm: unmapping %llX: %s\n", (unsigned long long)m[i].addr,
                   strerror(errno));
        if (m[i].addr < slack_end)
            mprotect(sysblk.mainstor + m[i].addr, MIN(m[i].len, slack_end - m[i].addr),
                     PROT_READ | PROT_WRITE);
    }
}

/* Locked, no CPU holding a translation of it (z900_zvm_unmap_seg) */
static void zvm_herc_unmap(struct zvm_seg *seg)
{
    struct zvm_map m[ZVM_MAX_RANGES];
    int i;

    for (i = 0; i < seg->def.nr; i++)
    {
        m[i].addr = seg->def.r[i].first << ZVM_PAGE_SHIFT;
        m[i].len = (seg->def.r[i].last + 1 - seg->def.r[i].first) << ZVM_PAGE_SHIFT;
    }
    zvm_herc_unmap_ranges(m, seg->def.nr);
}

/* SAVESEG: guest absolute storage, loaded segments included */
static bool zvm_herc_abs_read(U64 abs, void *buf, U64 len)
{
    U64 a;

    for (a = abs & ~0xFFFULL; a < abs + len; a += 4096)
        if (a >= sysblk.mainsize && zvm_frame_kind(a) == ZVM_FRAME_NONE)
            return false;
    memcpy(buf, sysblk.mainstor + abs, len);
    return true;
}

static void zvm_herc_to_ascii(char *dst, const uint8_t *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        dst[i] = guest_to_host(src[i]);
}

static void zvm_herc_to_ebcdic(uint8_t *dst, const char *src, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        dst[i] = host_to_guest(src[i]);
}

static void zvm_herc_report(bool warning, const char *msg)
{
    logmsg("HHCZV004%c %s\n", warning ? 'W' : 'E', msg);
}

static const struct zvm_ops zvm_herc_ops = {
    .get_reg = z900_zvm_get_reg,
    .set_reg = z900_zvm_set_reg,
    .addr_mask = z900_zvm_addr_mask,
    .real_rw = z900_zvm_real_rw,
    .pgm = z900_zvm_pgm,
    .lock = z900_zvm_lock,
    .unlock = z900_zvm_unlock,
    .map_seg = zvm_herc_map_seg,
    .unmap_seg = z900_zvm_unmap_seg,
    .abs_read = zvm_herc_abs_read,
    .to_ascii = zvm_herc_to_ascii,
    .to_ebcdic = zvm_herc_to_ebcdic,
    .report = zvm_herc_report,
};

static void zvm_herc_fatal(const char *fmt, const char *what)
{
    logmsg((char *)fmt, what);
    usleep(100000);             /* as bldcfg.c's delayed_exit: let the logger write it */
    exit(1);
}

BYTE *zvm_herc_storage(U64 size)
{
    char err[256];
    BYTE *base;

    /* a guest must never reach the host: DIAG X'08' is z/VM's CP here */
    if (sysblk.diag8cmd & DIAG8CMD_ENABLE)
        zvm_herc_fatal("HHCZV005S %s: ZVMSEGS and DIAG8CMD ENABLE exclude each other\n", "zvm");
    zvm_herc.space = MAX(ZVM_HERC_SPACE, size);
    base = mmap(NULL, zvm_herc.space, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED
     || mprotect(base, size, PROT_READ | PROT_WRITE) < 0)
        zvm_herc_fatal("HHCZV006S zvm: cannot reserve 512 GiB of address space for saved "
                       "segments (ulimit -v?): %s\n", strerror(errno));
    sysblk.storkeys = mmap(NULL, zvm_herc.space / STORAGE_KEY_UNITSIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (sysblk.storkeys == MAP_FAILED)
        zvm_herc_fatal("HHCZV007S zvm: no storage key array: %s\n", strerror(errno));
    if (!zvm_core_init(zvm_herc.dir, sysblk.mainsize, zvm_herc.userid, &zvm_herc_ops,
                       err, sizeof(err)))
        zvm_herc_fatal("HHCZV008S %s\n", err);
    return base;
}

void zvm_herc_reset(void)
{
    if (zvm_herc_enabled())
        zvm_purge_all();
}
