/*
 * z/VM-lite: the z/VM CP services Linux uses for saved segments (DCSS)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Enabled only by -machine s390-ccw-virtio,zvm-segments=DIR (TCG only).
 * Without it every entry point below is a no-op and QEMU behaves as stock.
 */
#ifndef HW_S390X_ZVM_CP_H
#define HW_S390X_ZVM_CP_H

#include "exec/hwaddr.h"
#include "cpu.h"

/* Machine side (s390-virtio-ccw.c) */
void zvm_cp_class_init(ObjectClass *oc);
void zvm_cp_init(MachineState *machine, Error **errp);
void zvm_cp_reset(void);

/* TCG side (misc_helper.c, mmu_helper.c) */
bool zvm_cp_enabled(void);
uint32_t zvm_diag8(CPUS390XState *env, uint32_t r1, uint32_t r3, uintptr_t ra);
uint32_t zvm_diag64(CPUS390XState *env, uint32_t r1, uint32_t r3,
                    uintptr_t ra);

/*
 * True if the absolute address lies in a saved segment range the guest
 * loaded write-protected (SR/SC/ER via LOADSHRX). Called on every TLB fill,
 * so the common case (nothing protected loaded) is one load and compare.
 */
extern uint64_t zvm_ro_lowest;
bool zvm_frame_readonly_slow(hwaddr addr);
static inline bool zvm_frame_readonly(hwaddr addr)
{
    return addr >= qatomic_read(&zvm_ro_lowest) &&
           zvm_frame_readonly_slow(addr);
}

#endif
