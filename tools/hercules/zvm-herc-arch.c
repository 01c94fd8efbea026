/*
 * dcssblk-rs: z/VM-lite for Hercules, the z/Architecture part: the DIAGNOSE and STSI front
 * ends and what the core (tools/zvm/zvm-core.c) needs of a CPU. Included by vm.c in its z900
 * pass (tools/hercules/hooks.py), where REGS, the arch macros and program_interrupt are z900's.
 *
 * SPDX-License-Identifier: MIT
 */

/* zvm-herc.c, compiled after this pass */
static void zvm_herc_unmap(struct zvm_seg *seg);
static const char *zvm_herc_userid(void);

static U64 z900_zvm_get_reg(void *cpu, int r)
{
    return ((REGS *)cpu)->GR_G(r);
}

static void z900_zvm_set_reg(void *cpu, int r, U64 v)
{
    ((REGS *)cpu)->GR_G(r) = v;
}

static U64 z900_zvm_addr_mask(void *cpu)
{
    REGS *regs = cpu;

    if (regs->psw.amode64)
        return ~0ULL;
    return regs->psw.amode ? 0x7FFFFFFFULL : 0x00FFFFFFULL;
}

/* Guest real storage, prefixed per page: guest storage and loaded segments (stores not into
   write-protected ones). Never raises: the core raises after freeing what it holds. */
static bool z900_zvm_real_rw(void *cpu, U64 addr, void *buf, U64 len, bool is_write)
{
    REGS *regs = cpu;
    BYTE *p = buf;

    while (len)
    {
        U64 chunk = MIN(len, 4096 - (addr & 0xFFF));
        U64 abs = APPLY_PREFIXING(addr, regs->PX);

        if (abs > regs->mainlim)
        {
            enum zvm_frame_kind k = zvm_frame_kind(abs);

            if (k == ZVM_FRAME_NONE || (is_write && k == ZVM_FRAME_RO))
                return false;
        }
        if (is_write)
        {
            memcpy(regs->mainstor + abs, p, chunk);
            STORAGE_KEY(abs, regs) |= (STORKEY_REF | STORKEY_CHANGE);
        }
        else
        {
            memcpy(p, regs->mainstor + abs, chunk);
            STORAGE_KEY(abs, regs) |= STORKEY_REF;
        }
        addr += chunk;
        p += chunk;
        len -= chunk;
    }
    return true;
}

static void z900_zvm_pgm(void *cpu, int code) __attribute__((noreturn));
static void z900_zvm_pgm(void *cpu, int code)
{
    ARCH_DEP(program_interrupt)((REGS *)cpu, code);
    abort();                    /* program_interrupt leaves by longjmp */
}

/* The core's state and every CPU's view of storage change only with the others stopped at an
   instruction boundary: intlock, then SYNCHRONIZE_CPUS (the pattern of IPTE). intlock is the
   only lock a CPU thread may wait for here (a CPU waiting on another one would never sync). */
static void z900_zvm_lock(void *cpu)
{
    REGS *regs = cpu;

    OBTAIN_INTLOCK(regs);
    SYNCHRONIZE_CPUS(regs);
}

static void z900_zvm_unlock(void *cpu)
{
    UNREFERENCED(cpu);
    RELEASE_INTLOCK(cpu);
}

/* Locked. The TLBs and cached instruction pages of every CPU drop the segment's host
   addresses before the core withdrew them from the address space (zvm_herc_unmap). */
static void z900_zvm_unmap_seg(struct zvm_seg *seg)
{
    int i;

    for (i = 0; i < sysblk.hicpu; i++)
        if (IS_CPU_ONLINE(i))
            ARCH_DEP(purge_tlb)(sysblk.regs[i]);
    zvm_herc_unmap(seg);
}

int z900_zvm_diag(U32 code, int r1, int r2, REGS *regs)
{
    switch (code)
    {
    case 0x008:
        regs->psw.cc = zvm_diag8(regs, r1, r2);
        return 1;
    case 0x064:
        regs->psw.cc = zvm_diag64(regs, r1, r2);
        return 1;
    }
    /* Hercules' own codes X'F00' and up raise host signals, loop or sleep in the CPU thread:
       on z/VM they do not exist (and X'F08', which Hercules allows in problem state, is as
       privileged as every other DIAGNOSE) */
    if (code >= 0xF00)
    {
        PRIV_CHECK(regs);
        ARCH_DEP(program_interrupt)(regs, PGM_SPECIFICATION_EXCEPTION);
    }
    return 0;
}

/* STSI as in a z/VM guest: level 3 for function code 0, SYSIB 3.2.2 naming z/VM; the
   machine (1.x.x) and LPAR (2.x.x) answers stay Hercules' own. */
int z900_zvm_stsi(REGS *regs, int b2, U64 ea)
{
    static const char cpid[] = "z/VM    7.4.0   ";
    U32 fc = regs->GR_L(0) & STSI_GPR0_FC_MASK;
    SYSIB322 *sysib;
    SYSIBVMDB *vmdb;
    char name[9];
    int i;

    if (fc != STSI_GPR0_FC_CURRNUM && fc != STSI_GPR0_FC_VM)
        return 0;
    if (regs->GR_L(0) & STSI_GPR0_RESERVED || regs->GR_L(1) & STSI_GPR1_RESERVED)
        ARCH_DEP(program_interrupt)(regs, PGM_SPECIFICATION_EXCEPTION);
    if (fc == STSI_GPR0_FC_CURRNUM)
    {
        regs->GR_L(0) |= STSI_GPR0_FC_VM;
        regs->psw.cc = 0;
        return 1;
    }
    if (ea & 0xFFF)
        ARCH_DEP(program_interrupt)(regs, PGM_SPECIFICATION_EXCEPTION);
    if ((regs->GR_L(0) & STSI_GPR0_SEL1_MASK) != 2 || (regs->GR_L(1) & STSI_GPR1_SEL2_MASK) != 2)
    {
        regs->psw.cc = 3;
        return 1;
    }
    sysib = (SYSIB322 *)MADDR(ea, b2, regs, ACCTYPE_WRITE, regs->psw.pkey);
    memset(sysib, 0, 4096);
    sysib->dbct = 0x01;
    vmdb = (SYSIBVMDB *)sysib->vmdb;
    STORE_HW(vmdb->totcpu, sysblk.cpus);
    STORE_HW(vmdb->confcpu, sysblk.cpus);
    snprintf(name, sizeof(name), "%-8s", zvm_herc_userid());
    for (i = 0; i < 8; i++)
        vmdb->vmname[i] = host_to_guest(name[i]);
    STORE_FW(vmdb->vmcaf, 1000);
    for (i = 0; i < 16; i++)
        vmdb->cpid[i] = host_to_guest(cpid[i]);
    regs->psw.cc = 0;
    return 1;
}
