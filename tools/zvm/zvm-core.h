/*
 * z/VM-lite core: the z/VM CP services Linux uses for saved segments (DCSS),
 * independent of the emulator that hosts them (QEMU: tools/qemu/zvm-cp.c,
 * Hercules: tools/hercules/). Plain C99 and POSIX, no emulator headers.
 *
 * SPDX-License-Identifier: MIT OR GPL-2.0-or-later
 *
 * The core owns every rule and return code: the catalog (README.md of the
 * dcssblk-rs project, "Segment catalog format") and its locking, the live
 * copies of shared writable segments, which segments are loaded where,
 * DIAG X'64' (SEGEXTX, LOADSHRX, LOADNSRX, PURGESEG), DIAG X'08' and its CP
 * commands, and the test fault injection. An emulator supplies guest access,
 * its big lock and the mapping of a segment's ranges into guest storage
 * (struct zvm_ops), and routes DIAG X'08'/X'64' and its storage checks here.
 */
#ifndef ZVM_CORE_H
#define ZVM_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZVM_MAX_RANGES      6
#define ZVM_MAX_LOADED      32
#define ZVM_HDR_SIZE        4096
#define ZVM_PAGE_SHIFT      12
#define ZVM_MAX_PAGE        0x7ffffffULL    /* CP limit = Linux MAX_DCSS_ADDR */

/* Program interruption codes the core raises */
#define ZVM_PGM_ADDRESSING      0x05
#define ZVM_PGM_SPECIFICATION   0x06

enum zvm_seg_type { ZVM_SW, ZVM_EW, ZVM_SR, ZVM_ER, ZVM_SN, ZVM_EN, ZVM_SC };

struct zvm_range {
    uint64_t first, last;   /* page numbers, inclusive */
    int type;               /* enum zvm_seg_type */
};

struct zvm_segdef {
    char name[9];
    int nr;
    struct zvm_range r[ZVM_MAX_RANGES];
};

/* How the emulator is to map one range of a segment being loaded. */
struct zvm_map {
    uint64_t addr, len;     /* guest absolute; page aligned */
    int fd;                 /* the emulator's from now on: it closes it */
    uint64_t offset;        /* in fd */
    bool shared;            /* MAP_SHARED (one host copy), else MAP_PRIVATE */
    bool readonly;          /* guest stores get a protection exception */
};

/* One loaded segment. */
struct zvm_seg {
    struct zvm_segdef def;
    bool shared;            /* loaded by LOADSHRX */
    int live_fd;            /* holds flock(LOCK_SH) on the live copy, or -1 */
    char *live_path;
    ino_t ino;              /* the saved version it was loaded from, */
    int saved_fd;           /* kept open: its inode number stays its own */
    void *backend;          /* the emulator's */
};

/*
 * What the core needs from the emulator. `cpu` is the emulator's handle of
 * the CPU that issued the DIAGNOSE, passed through unchanged.
 */
struct zvm_ops {
    uint64_t (*get_reg)(void *cpu, int r);
    void (*set_reg)(void *cpu, int r, uint64_t v);
    /* 0x00ffffff, 0x7fffffff or all ones: the addressing mode */
    uint64_t (*addr_mask)(void *cpu);
    /* guest real storage (prefixing applies); false if not addressable */
    bool (*real_rw)(void *cpu, uint64_t real, void *buf, uint64_t len,
                    bool is_write);
    /* raise a program interruption; does not return */
    void (*pgm)(void *cpu, int code) __attribute__((noreturn));
    /* the emulator's big lock, around every use of the core's state */
    void (*lock)(void *cpu);
    void (*unlock)(void *cpu);
    /*
     * Locked. Map the ranges into guest storage at once, or nothing and
     * return false (after reporting why). Owns every maps[i].fd.
     */
    bool (*map_seg)(struct zvm_seg *seg, const struct zvm_map *maps, int n);
    /* Locked. Unmap them; no CPU may use a stale translation afterwards. */
    void (*unmap_seg)(struct zvm_seg *seg);
    /* Unlocked, after an unload on a DIAG (QEMU: its translated code); may be NULL */
    void (*after_unmap)(void *cpu);
    /* guest absolute storage, segments included, for SAVESEG */
    bool (*abs_read)(uint64_t abs, void *buf, uint64_t len);
    /* the emulator's EBCDIC code page */
    void (*to_ascii)(char *dst, const uint8_t *src, size_t n);
    void (*to_ebcdic)(uint8_t *dst, const char *src, size_t n);
    /* a message for the host's log (warning: not an error) */
    void (*report)(bool warning, const char *msg);
};

/*
 * Sets the core up for the catalog DIR, guest storage below storage_end and
 * the CP user id (upper-cased, at most 8 characters). Reads the test
 * variables ZVM_TEST_FAULTS and ZVM_TEST_LOAD_DELAY_MS. Returns false with a
 * message in err (size errlen) if DIR or a variable is unusable.
 */
bool zvm_core_init(const char *dir, uint64_t storage_end, const char *userid,
                   const struct zvm_ops *ops, char *err, size_t errlen);
bool zvm_core_enabled(void);

/* DIAGNOSE X'64' and X'08' with Rx = r1, Ry = r3: the condition code */
uint32_t zvm_diag64(void *cpu, int r1, int r3);
uint32_t zvm_diag8(void *cpu, int r1, int r3);

/* Locked. System reset: purge every loaded segment; true if there was one */
bool zvm_purge_all(void);

/*
 * The kind of guest absolute frame at addr, for the emulator's storage
 * checks: not in a loaded segment, in one, in a write-protected range of
 * one (SR/SC/ER loaded by LOADSHRX). Read without locks on every TLB fill,
 * so the common cases are one load and compare. The tables change only under
 * the emulator's lock; a stale answer can only drop a store to read-only
 * storage (QEMU) or give an exception that the guest's own purge earned.
 */
enum zvm_frame_kind { ZVM_FRAME_NONE, ZVM_FRAME_RW, ZVM_FRAME_RO };
extern uint64_t zvm_ro_lowest;      /* lowest write-protected address */
extern uint64_t zvm_seg_lowest;     /* lowest loaded address */
bool zvm_frame_readonly_slow(uint64_t addr);
enum zvm_frame_kind zvm_frame_kind_slow(uint64_t addr);

static inline bool zvm_frame_readonly(uint64_t addr)
{
    return addr >= __atomic_load_n(&zvm_ro_lowest, __ATOMIC_RELAXED) &&
           zvm_frame_readonly_slow(addr);
}

static inline enum zvm_frame_kind zvm_frame_kind(uint64_t addr)
{
    return addr < __atomic_load_n(&zvm_seg_lowest, __ATOMIC_RELAXED)
           ? ZVM_FRAME_NONE : zvm_frame_kind_slow(addr);
}

/* The catalog file rules, exported for the host unit test */
bool zvm_parse_header(const char *hdr, struct zvm_segdef *def);
bool zvm_valid_name(const char *name);
/* One CP command (ASCII, modified in place); the response in *out (malloc) */
int zvm_cp_command(char *cmd, char **out, size_t *outlen);

#endif
