#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Inserts the z/VM-lite hooks into a pristine QEMU 10.0.x tree.

Usage: hooks.py PRISTINE WORK

Every hook is an exact text edit anchored on pristine QEMU source; a missing or ambiguous
anchor aborts the build (QEMU moved on: re-check the hook by hand). The edited files are
computed from PRISTINE and written into WORK only when their content changes, so ninja
rebuilds no more than it must. Our own sources (zvm-cp.c/.h and the emulator-independent core
tools/zvm/zvm-core.c/.h) are copied the same way.
All behaviour lives in hw/s390x/zvm-cp.c and zvm-core.c; the hooks only route into them, and every routed
path is a no-op unless -machine ...,zvm-segments=DIR was given.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (file, anchor, replacement, why)
HOOKS = [
    # --- build system -------------------------------------------------------------
    ("hw/s390x/meson.build",
     "  's390-hypercall.c',\n))\n",
     "  's390-hypercall.c',\n  'zvm-cp.c',\n  'zvm-core.c',\n))\n",
     "zvm-cp.c and its core are machine code: built with the s390-ccw-virtio machine only."),

    # --- machine: property, init, reset ---------------------------------------------
    ("include/hw/s390x/s390-virtio-ccw.h",
     "    uint64_t max_pagesize;\n\n    SCLPDevice *sclp;\n",
     "    uint64_t max_pagesize;\n    char *zvm_segments;   /* z/VM-lite: segment catalog dir */\n\n"
     "    SCLPDevice *sclp;\n",
     "The zvm-segments property value lives in the machine state like loadparm."),
    ("hw/s390x/s390-virtio-ccw.c",
     '#include "hw/s390x/s390-virtio-ccw.h"\n',
     '#include "hw/s390x/s390-virtio-ccw.h"\n#include "hw/s390x/zvm-cp.h"\n',
     "Declarations of the zvm_cp_* entry points."),
    ("hw/s390x/s390-virtio-ccw.c",
     "    /* init memory + setup max page size. Required for the CPU model */\n"
     "    s390_memory_init(machine);\n",
     "    /* init memory + setup max page size. Required for the CPU model */\n"
     "    s390_memory_init(machine);\n"
     "    /* z/VM-lite: needs the memory limit; does nothing without zvm-segments */\n"
     "    zvm_cp_init(machine, &error_fatal);\n",
     "Enable z/VM mode after guest storage is laid out (segments must lie above it)."),
    ("hw/s390x/s390-virtio-ccw.c",
     "    /* all CPUs are paused and synchronized at this point */\n"
     "    s390_cmma_reset();\n",
     "    /* all CPUs are paused and synchronized at this point */\n"
     "    s390_cmma_reset();\n"
     "    /* z/VM-lite: every IPL/reset purges all loaded saved segments */\n"
     "    zvm_cp_reset();\n",
     "On z/VM an IPL drops the guest's saved segments; all reset types pass here."),
    ("hw/s390x/s390-virtio-ccw.c",
     '    mc->default_nic = "virtio-net-ccw";\n',
     '    mc->default_nic = "virtio-net-ccw";\n    zvm_cp_class_init(oc);\n',
     "Registers the zvm-segments machine property (default unset = stock QEMU)."),

    # --- TCG: DIAG 8/64 with a condition code, IUCV ------------------------------------
    ("target/s390x/helper.h",
     "DEF_HELPER_4(diag, void, env, i32, i32, i32)\n",
     "DEF_HELPER_4(diag, void, env, i32, i32, i32)\n"
     "DEF_HELPER_4(diag_cc, i32, env, i32, i32, i32)\n"
     "DEF_HELPER_1(iucv, i32, env)\n",
     "Stock HELPER(diag) returns void; DIAG 8/64 set the cc, IUCV sets cc 3."),
    ("target/s390x/tcg/translate.c",
     "    gen_helper_diag(tcg_env, r1, r3, func_code);\n    return DISAS_NEXT;\n}\n#endif\n",
     "    if (get_field(s, i2) == 0x008 || get_field(s, i2) == 0x064) {\n"
     "        /* z/VM CP services (zvm-core.c): they set the condition code */\n"
     "        gen_helper_diag_cc(cc_op, tcg_env, r1, r3, func_code);\n"
     "        set_cc_static(s);\n"
     "        if (get_field(s, i2) == 0x064) {\n"
     "            /*\n"
     "             * A saved segment was mapped or unmapped: leave the TB so the\n"
     "             * TLB flush queued by the memory transaction runs before the\n"
     "             * next instruction (same idiom as op_lctl).\n"
     "             */\n"
     "            s->exit_to_mainloop = true;\n"
     "            return DISAS_TOO_MANY;\n"
     "        }\n"
     "        return DISAS_NEXT;\n"
     "    }\n"
     "    gen_helper_diag(tcg_env, r1, r3, func_code);\n    return DISAS_NEXT;\n}\n\n"
     "static DisasJumpType op_iucv(DisasContext *s, DisasOps *o)\n"
     "{\n"
     "    /* cc 3 in z/VM mode, operation exception otherwise (helper decides) */\n"
     "    gen_helper_iucv(cc_op, tcg_env);\n"
     "    set_cc_static(s);\n"
     "    return DISAS_NEXT;\n"
     "}\n#endif\n",
     "Route DIAG 8/64 to a cc-returning helper; add the IUCV op."),
    ("target/s390x/tcg/insn-data.h.inc",
     "    F(0x8300, DIAG,    RSI,   Z,   0, 0, 0, 0, diag, 0, IF_PRIV | IF_IO)\n",
     "    F(0x8300, DIAG,    RSI,   Z,   0, 0, 0, 0, diag, 0, IF_PRIV | IF_IO)\n"
     "/* IUCV (z/VM); Linux probes it at boot once it believes it runs on z/VM */\n"
     "    F(0xb2f0, IUCV,    S,     Z,   0, 0, 0, 0, iucv, 0, 0)\n",
     "Decode B2F0; without z/VM mode the helper raises the stock operation exception."),
    ("target/s390x/tcg/misc_helper.c",
     "#include CONFIG_DEVICES\n#endif\n",
     "#include CONFIG_DEVICES\n#ifdef CONFIG_S390_CCW_VIRTIO\n#include \"hw/s390x/zvm-cp.h\"\n#endif\n#endif\n",
     "Declarations of zvm_cp_enabled/zvm_cp_diag8/zvm_cp_diag64."),
    ("target/s390x/tcg/misc_helper.c",
     "/* Set Prefix */\nvoid HELPER(spx)",
     "/* DIAG 8 and 64: z/VM CP services, only with -machine ...,zvm-segments=DIR */\n"
     "uint32_t HELPER(diag_cc)(CPUS390XState *env, uint32_t r1, uint32_t r3,\n"
     "                         uint32_t num)\n"
     "{\n"
     "#ifdef CONFIG_S390_CCW_VIRTIO\n"
     "    if (zvm_cp_enabled()) {\n"
     "        return num == 0x64 ? zvm_cp_diag64(env, r1, r3, GETPC())\n"
     "                           : zvm_cp_diag8(env, r1, r3, GETPC());\n"
     "    }\n"
     "#endif\n"
     "    /* stock QEMU: unknown DIAGNOSE code */\n"
     "    tcg_s390_program_interrupt(env, PGM_SPECIFICATION, GETPC());\n"
     "}\n\n"
     "/* IUCV: z/VM-lite has no IUCV; cc 3 makes Linux switch it off cleanly */\n"
     "uint32_t HELPER(iucv)(CPUS390XState *env)\n"
     "{\n"
     "#ifdef CONFIG_S390_CCW_VIRTIO\n"
     "    if (zvm_cp_enabled()) {\n"
     "        return 3;\n"
     "    }\n"
     "#endif\n"
     "    /* stock QEMU does not decode B2F0 */\n"
     "    tcg_s390_program_interrupt(env, PGM_OPERATION, GETPC());\n"
     "}\n\n"
     "/* Set Prefix */\nvoid HELPER(spx)",
     "The helpers themselves; all logic is in zvm-cp.c and zvm-core.c."),
    ("target/s390x/tcg/misc_helper.c",
     '            ebcdic_put(sysib.sysib_322.vm[0].cpi, "KVM/Linux       ", 16);\n',
     "#ifdef CONFIG_S390_CCW_VIRTIO\n"
     "            if (zvm_cp_enabled()) {\n"
     "                /* Linux checks the first 4 bytes for \"z/VM\" (MFEATURE_VM) */\n"
     '                ebcdic_put(sysib.sysib_322.vm[0].cpi, "z/VM    7.4.0   ", 16);\n'
     "            } else\n"
     "#endif\n"
     '            ebcdic_put(sysib.sysib_322.vm[0].cpi, "KVM/Linux       ", 16);\n',
     "STSI 3.2.2 control-program id: the guest must believe it runs on z/VM."),

    # --- MMU: read-only shared segments raise PROTECTION -------------------------------
    ("target/s390x/mmu_helper.c",
     '#include "hw/boards.h"\n',
     '#include "hw/boards.h"\n#include CONFIG_DEVICES\n'
     "#ifdef CONFIG_S390_CCW_VIRTIO\n#include \"hw/s390x/zvm-cp.h\"\n#endif\n",
     "Declaration of zvm_frame_readonly."),
    ("target/s390x/mmu_helper.c",
     "        *raddr = mmu_real2abs(env, *raddr);\n\n"
     "        if (!mmu_absolute_addr_valid(*raddr, rw == MMU_DATA_STORE)) {\n",
     "        *raddr = mmu_real2abs(env, *raddr);\n\n"
     "#ifdef CONFIG_S390_CCW_VIRTIO\n"
     "        /*\n"
     "         * z/VM write-protects the pages of SR/SC/ER segments loaded shared:\n"
     "         * a store is a PROTECTION exception, neither dropped like a ROM write\n"
     "         * nor the ADDRESSING exception QEMU gives a store into read-only RAM\n"
     "         * (mmu_absolute_addr_valid below), so this comes first. Never cache such\n"
     "         * a frame writable in the TLB (mmu_handle_skey only clears PAGE_WRITE).\n"
     "         */\n"
     "        if (unlikely(zvm_frame_readonly(*raddr))) {\n"
     "            *flags &= ~PAGE_WRITE;\n"
     "            if (rw == MMU_DATA_STORE) {\n"
     "                /* reported like DAT protection: bit 61, address valid */\n"
     "                *tec = (vaddr & TARGET_PAGE_MASK) | (asc >> 46) | FS_WRITE | 0x4;\n"
     "                return PGM_PROTECTION;\n"
     "            }\n"
     "        }\n"
     "#endif\n"
     "        if (!mmu_absolute_addr_valid(*raddr, rw == MMU_DATA_STORE)) {\n",
     "Faithful SR protection (design doc 5.5), before the validity check a store fails."),
    ("target/s390x/mmu_helper.c",
     "    *addr = mmu_real2abs(env, raddr & TARGET_PAGE_MASK);\n\n"
     "    if (!mmu_absolute_addr_valid(*addr, rw == MMU_DATA_STORE)) {\n",
     "    *addr = mmu_real2abs(env, raddr & TARGET_PAGE_MASK);\n\n"
     "#ifdef CONFIG_S390_CCW_VIRTIO\n"
     "    /* same write protection for real-mode (MMU_REAL_IDX) accesses */\n"
     "    if (unlikely(zvm_frame_readonly(*addr))) {\n"
     "        *flags &= ~PAGE_WRITE;\n"
     "        if (rw == MMU_DATA_STORE) {\n"
     "            *tec = (raddr & TARGET_PAGE_MASK) | FS_WRITE | 0x4;\n"
     "            return PGM_PROTECTION;\n"
     "        }\n"
     "    }\n"
     "#endif\n"
     "    if (!mmu_absolute_addr_valid(*addr, rw == MMU_DATA_STORE)) {\n",
     "Real-address accesses (STURA etc.) go through mmu_translate_real."),
]

# Our own sources (relative to tools/qemu) and where they go in the QEMU tree. The core's
# header goes beside it (its own #include) and among QEMU's headers (zvm-cp.h's).
OWN = [
    ("zvm-cp.c", "hw/s390x/zvm-cp.c"),
    ("zvm-cp.h", "include/hw/s390x/zvm-cp.h"),
    ("../zvm/zvm-core.c", "hw/s390x/zvm-core.c"),
    ("../zvm/zvm-core.h", "hw/s390x/zvm-core.h"),
    ("../zvm/zvm-core.h", "include/hw/s390x/zvm-core.h"),
]


def write_if_changed(path, data):
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    tmp = path + ".zvm-tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def apply(pristine, work, hooks, own, here):
    """Writes into WORK the files of PRISTINE that HOOKS edit, and OWN's files (from HERE)."""
    edited = {}
    for rel, anchor, repl, why in hooks:
        if rel not in edited:
            with open(os.path.join(pristine, rel), encoding="utf-8") as f:
                edited[rel] = f.read()
        n = edited[rel].count(anchor)
        if n != 1:
            sys.exit(f"hooks.py: anchor found {n} times (want 1) in {rel}: {anchor[:60]!r}\n"
                     f"  hook purpose: {why}")
        edited[rel] = edited[rel].replace(anchor, repl)

    # Files hooked by a previous run but not now go back to pristine.
    manifest = os.path.join(work, ".zvm-hooked")
    try:
        with open(manifest) as f:
            old = set(f.read().split())
    except FileNotFoundError:
        old = set()
    for rel in old - set(edited) - {dst for _, dst in own}:
        src = os.path.join(pristine, rel)
        if os.path.exists(src):
            with open(src, "rb") as f:
                write_if_changed(os.path.join(work, rel), f.read())
        else:
            os.unlink(os.path.join(work, rel))

    for rel, text in edited.items():
        write_if_changed(os.path.join(work, rel), text.encode("utf-8"))
    for src, dst in own:
        with open(os.path.join(here, src), "rb") as f:
            write_if_changed(os.path.join(work, dst), f.read())
    with open(manifest, "w") as f:
        f.write("\n".join(sorted(set(edited) | {dst for _, dst in own})) + "\n")


if __name__ == "__main__":
    apply(sys.argv[1], sys.argv[2], HOOKS, OWN, HERE)
