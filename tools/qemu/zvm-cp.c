/*
 * z/VM-lite: the z/VM CP services Linux uses for saved segments (DCSS)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * With -machine s390-ccw-virtio,zvm-segments=DIR this QEMU (TCG only) tells
 * the guest it runs on z/VM and routes DIAG X'08' and X'64' to the
 * emulator-independent core (zvm-core.c: every rule and return code, the
 * catalog, the CP commands). This file is what the core needs from QEMU:
 * guest register and real storage access, the BQL, and loaded segments as
 * RAM MemoryRegions, one per page range, mmap()ed from the catalog file at
 * the range's guest-real address above guest storage (RAM_SHARED where the
 * core maps shared, so that every QEMU on the host uses the same page-cache
 * pages; RAM_READONLY where guest stores must fail, see mmu_helper.c).
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
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
#include "system/system.h"
#include "system/tcg.h"

#define TYPE_ZVM_SEGMENT "zvm-segment"
OBJECT_DECLARE_SIMPLE_TYPE(ZvmSegment, ZVM_SEGMENT)

/*
 * One loaded segment's RAM. A QOM object so that it owns its MemoryRegions:
 * the FlatViews hold references on it, and the RAM is unmapped only after
 * the last vCPU left its RCU section (qemu_ram_free -> reclaim_ramblock).
 */
struct ZvmSegment {
    Object parent_obj;
    int nr_mr;
    MemoryRegion mr[ZVM_MAX_RANGES];
};

static const TypeInfo zvm_segment_info = {
    .name = TYPE_ZVM_SEGMENT,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(ZvmSegment),
};

static void zvm_register_types(void)
{
    type_register_static(&zvm_segment_info);
}
type_init(zvm_register_types)

static Error *zvm_migration_blocker;

/* The core's handle of the CPU that issued the DIAGNOSE */
typedef struct ZvmCpu {
    CPUS390XState *env;
    uintptr_t ra;
} ZvmCpu;

static uint64_t zvm_get_reg(void *cpu, int r)
{
    return ((ZvmCpu *)cpu)->env->regs[r];
}

static void zvm_set_reg(void *cpu, int r, uint64_t v)
{
    ((ZvmCpu *)cpu)->env->regs[r] = v;
}

static uint64_t zvm_addr_mask(void *cpu)
{
    CPUS390XState *env = ((ZvmCpu *)cpu)->env;

    if (env->psw.mask & PSW_MASK_64) {
        return UINT64_MAX;
    }
    return (env->psw.mask & PSW_MASK_32) ? 0x7fffffff : 0x00ffffff;
}

/* Guest real storage: prefixing applies per page */
static bool zvm_real_rw(void *cpu, uint64_t addr, void *buf, uint64_t len,
                        bool is_write)
{
    CPUS390XState *env = ((ZvmCpu *)cpu)->env;
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

static G_NORETURN void zvm_pgm(void *cpu, int code)
{
    ZvmCpu *c = cpu;

    s390_program_interrupt(c->env, code, c->ra);
    g_assert_not_reached();     /* TCG only: the call above does not return */
}

static void zvm_lock(void *cpu)
{
    bql_lock();
}

static void zvm_unlock(void *cpu)
{
    bql_unlock();
}

/* BQL held. One transaction: the guest sees all ranges or none. */
static bool zvm_map_seg(struct zvm_seg *seg, const struct zvm_map *m, int n)
{
    ZvmSegment *s = ZVM_SEGMENT(object_new(TYPE_ZVM_SEGMENT));
    Error *err = NULL;
    int i;

    memory_region_transaction_begin();
    for (i = 0; i < n; i++) {
        g_autofree char *mrname = g_strdup_printf("zvm-dcss-%s-%d",
                                                  seg->def.name, i);
        uint32_t flags = (m[i].shared ? RAM_SHARED : 0) |
                         (m[i].readonly ? RAM_READONLY : 0);

        /* QEMU closes the RAMBlock's fd itself when the RAM is freed */
        if (!memory_region_init_ram_from_fd(&s->mr[i], OBJECT(s), mrname,
                                            m[i].len, flags, m[i].fd,
                                            m[i].offset, &err)) {
            error_report_err(err);
            break;
        }
        memory_region_add_subregion(get_system_memory(), m[i].addr,
                                    &s->mr[i]);
        s->nr_mr++;
    }
    if (i < n) {
        for (int j = i; j < n; j++) {
            close(m[j].fd);
        }
        for (int j = 0; j < s->nr_mr; j++) {
            memory_region_del_subregion(get_system_memory(), &s->mr[j]);
        }
    }
    memory_region_transaction_commit();
    if (i < n) {
        object_unref(OBJECT(s));
        return false;
    }
    seg->backend = s;
    return true;
}

/* BQL held. The memory transaction queues a TLB flush on every vCPU. */
static void zvm_unmap_seg(struct zvm_seg *seg)
{
    ZvmSegment *s = seg->backend;

    memory_region_transaction_begin();
    for (int i = 0; i < s->nr_mr; i++) {
        memory_region_del_subregion(get_system_memory(), &s->mr[i]);
    }
    memory_region_transaction_commit();
    /* the RAM goes once the FlatViews drop their references (RCU) */
    object_unref(OBJECT(s));
    seg->backend = NULL;
}

/*
 * TBs are keyed by ram_addr, which the next RAMBlock may reuse: code run
 * from a purged segment (DAX) must not be found again.
 */
static void zvm_after_unmap(void *cpu)
{
    tb_flush(env_cpu(((ZvmCpu *)cpu)->env));
}

static bool zvm_abs_read(uint64_t abs, void *buf, uint64_t len)
{
    return address_space_read(&address_space_memory, abs,
                              MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

static void zvm_to_ascii(char *dst, const uint8_t *src, size_t n)
{
    ascii_put((uint8_t *)dst, (const char *)src, n);
}

static void zvm_to_ebcdic(uint8_t *dst, const char *src, size_t n)
{
    ebcdic_put(dst, src, n);
}

static void zvm_report(bool warning, const char *msg)
{
    if (warning) {
        warn_report("%s", msg);
    } else {
        error_report("%s", msg);
    }
}

static const struct zvm_ops zvm_qemu_ops = {
    .get_reg = zvm_get_reg,
    .set_reg = zvm_set_reg,
    .addr_mask = zvm_addr_mask,
    .real_rw = zvm_real_rw,
    .pgm = zvm_pgm,
    .lock = zvm_lock,
    .unlock = zvm_unlock,
    .map_seg = zvm_map_seg,
    .unmap_seg = zvm_unmap_seg,
    .after_unmap = zvm_after_unmap,
    .abs_read = zvm_abs_read,
    .to_ascii = zvm_to_ascii,
    .to_ebcdic = zvm_to_ebcdic,
    .report = zvm_report,
};

bool zvm_cp_enabled(void)
{
    return zvm_core_enabled();
}

uint32_t zvm_cp_diag64(CPUS390XState *env, uint32_t r1, uint32_t r3,
                       uintptr_t ra)
{
    ZvmCpu cpu = { .env = env, .ra = ra };

    return zvm_diag64(&cpu, r1, r3);
}

uint32_t zvm_cp_diag8(CPUS390XState *env, uint32_t r1, uint32_t r3,
                      uintptr_t ra)
{
    ZvmCpu cpu = { .env = env, .ra = ra };

    return zvm_diag8(&cpu, r1, r3);
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
    char err[256];

    if (!ms->zvm_segments) {
        return;
    }
    if (!tcg_enabled()) {
        error_setg(errp, "zvm-segments needs TCG (-accel tcg)");
        return;
    }
    /* segment RAM is neither migrated nor part of a snapshot */
    error_setg(&zvm_migration_blocker,
               "z/VM saved segments (zvm-segments) cannot be migrated");
    if (migrate_add_blocker(&zvm_migration_blocker, errp) < 0) {
        return;
    }
    if (!zvm_core_init(ms->zvm_segments, s390_get_memory_limit(ms),
                       qemu_name ? qemu_name : "LINUX01", &zvm_qemu_ops,
                       err, sizeof(err))) {
        error_setg(errp, "%s", err);
    }
}

void zvm_cp_reset(void)
{
    if (zvm_core_enabled() && zvm_purge_all() && first_cpu) {
        tb_flush(first_cpu);
    }
}
