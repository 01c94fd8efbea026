/*
 * z/VM-lite: the z/VM CP services Linux uses for saved segments (DCSS)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Enabled only by -machine s390-ccw-virtio,zvm-segments=DIR (TCG only).
 * Without it every entry point below is a no-op and QEMU behaves as stock.
 * The rules live in the emulator-independent core (zvm-core.c, shared with
 * the Hercules build); zvm-cp.c connects it to QEMU.
 */
#ifndef HW_S390X_ZVM_CP_H
#define HW_S390X_ZVM_CP_H

#include "exec/hwaddr.h"
#include "cpu.h"
#include "hw/s390x/zvm-core.h"

/* Machine side (s390-virtio-ccw.c) */
void zvm_cp_class_init(ObjectClass *oc);
void zvm_cp_init(MachineState *machine, Error **errp);
void zvm_cp_reset(void);

/* TCG side (misc_helper.c, mmu_helper.c; zvm_frame_readonly: zvm-core.h) */
bool zvm_cp_enabled(void);
uint32_t zvm_cp_diag8(CPUS390XState *env, uint32_t r1, uint32_t r3,
                      uintptr_t ra);
uint32_t zvm_cp_diag64(CPUS390XState *env, uint32_t r1, uint32_t r3,
                       uintptr_t ra);

#endif
