#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Edits a pristine Hercules 3.13 tree for the project's guests.

Usage: hooks.py PRISTINE WORK

Anchored text edits, applied by the QEMU hooks' engine (tools/qemu/hooks.py: a missing or
ambiguous anchor aborts the build; files are rewritten only when their content changes).
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("qemu_hooks", os.path.join(HERE, "..", "qemu", "hooks.py"))
engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(engine)

# (file, anchor, replacement, why)
HOOKS = [
    ("con1052c.c",
     "#define BUFLEN_1052     150             /* 1052 Send/Receive buffer  */\n",
     "/* dcssblk-rs: Linux's 3215 console writes up to 3968 bytes per CCW (RAW3215_MAX_BYTES);\n"
     "   a 150-byte line buffer cut every longer write and lost the rest of the guest's console */\n"
     "#define BUFLEN_1052     4096            /* 1052 Send/Receive buffer  */\n",
     "The integrated 3215 console (3215-C) truncated each write CCW to 150 bytes."),
    # --- z/VM-lite saved segments (zvm-herc.c, zvm-herc-arch.c, ../zvm/zvm-core.c) ---------
    # Every hook is inert without the ZVMSEGS configuration statement.
    ("hercules.h",
     '#include "hexterns.h"     // (Hercules-wide extern function prototypes)\n',
     '#include "hexterns.h"     // (Hercules-wide extern function prototypes)\n'
     '#include "zvm-herc.h"     // dcssblk-rs: z/VM-lite saved segments\n',
     "Declarations the hooks below use, in every file that includes hercules.h."),
    ("dat.h",
     "    /* Program check if absolute address is outside main storage */\n"
     "    if (regs->dat.aaddr > regs->mainlim)\n"
     "        goto vabs_addr_excp;\n",
     "    /* Program check if absolute address is outside main storage */\n"
     "    if (regs->dat.aaddr > regs->mainlim)\n"
     "    {\n"
     "        /* dcssblk-rs: except in a loaded z/VM saved segment, whose write-protected\n"
     "           frames (SR, SC, ER loaded shared) refuse stores as DAT protection does */\n"
     "        enum zvm_frame_kind zk = SIE_MODE(regs) ? ZVM_FRAME_NONE\n"
     "                                                : zvm_frame_kind(regs->dat.aaddr);\n"
     "        if (zk == ZVM_FRAME_NONE)\n"
     "            goto vabs_addr_excp;\n"
     "        if (zk == ZVM_FRAME_RO && !(acctype & ACC_READ))\n"
     "        {\n"
     "            regs->dat.protect = 1;\n"
     "            goto vabs_prot_excp;\n"
     "        }\n"
     "    }\n",
     "The one storage check CPU operand, real-mode and instruction accesses share (all TLB "
     "misses); the ~100 others keep refusing segment addresses."),
    ("diagnose.c",
     "    code = effective_addr2;\n",
     "    code = effective_addr2;\n"
     "\n"
     "#if defined(FEATURE_ESAME)\n"
     "    /* dcssblk-rs: in z/VM mode DIAG X'08' and X'64' are z/VM's CP, never the host */\n"
     "    if (zvm_herc_enabled() && z900_zvm_diag(code, r1, r2, regs))\n"
     "        return;\n"
     "#endif\n",
     "DIAG X'08' (CP commands) and X'64' (saved segments) go to z/VM-lite with ZVMSEGS."),
    ("control.c",
     "    /* Check function code */\n"
     "    if((regs->GR_L(0) & STSI_GPR0_FC_MASK) >  STSI_GPR0_FC_LPAR\n",
     "#if defined(FEATURE_ESAME)\n"
     "    /* dcssblk-rs: with ZVMSEGS the guest runs on z/VM (level 3, SYSIB 3.2.2) */\n"
     "    if (zvm_herc_enabled() && z900_zvm_stsi(regs, b2, effective_addr2))\n"
     "        return;\n"
     "#endif\n"
     "    /* Check function code */\n"
     "    if((regs->GR_L(0) & STSI_GPR0_FC_MASK) >  STSI_GPR0_FC_LPAR\n",
     "Linux believes it is a z/VM guest (MACHINE_IS_VM) only from STSI."),
    ("bldcfg.c",
     "    sysblk.mainstor = calloc((size_t)(sysblk.mainsize + 8192), 1);\n",
     "    /* dcssblk-rs: with ZVMSEGS, guest storage begins a reservation for saved segments */\n"
     "    sysblk.mainstor = zvm_herc_enabled() ? zvm_herc_storage(sysblk.mainsize + 8192)\n"
     "                                         : calloc((size_t)(sysblk.mainsize + 8192), 1);\n",
     "Saved segments are mapped above guest storage in one reserved host range."),
    ("bldcfg.c",
     "    sysblk.storkeys = calloc((size_t)(sysblk.mainsize / STORAGE_KEY_UNITSIZE), 1);\n",
     "    if (!zvm_herc_enabled())    /* dcssblk-rs: zvm_herc_storage sized it for segments */\n"
     "    sysblk.storkeys = calloc((size_t)(sysblk.mainsize / STORAGE_KEY_UNITSIZE), 1);\n",
     "The key array covers the whole reservation."),
    ("ipl.c",
     "    regs = sysblk.regs[cpu];\n\n    HDC1(debug_cpu_state, regs);\n\n"
     "    /* Perform system-reset-normal or system-reset-clear function */\n",
     "    regs = sysblk.regs[cpu];\n\n    HDC1(debug_cpu_state, regs);\n\n"
     "    /* dcssblk-rs: a reset or IPL purges every saved segment, as on z/VM */\n"
     "    zvm_herc_reset();\n\n"
     "    /* Perform system-reset-normal or system-reset-clear function */\n",
     "Segments do not survive the guest's re-IPL."),
    ("cmdtab.h",
     'COMMAND ( "diag8cmd",  CONFIG,        diag8_cmd,   "Set diag8 command option\\n", NULL )\n',
     'COMMAND ( "diag8cmd",  CONFIG,        diag8_cmd,   "Set diag8 command option\\n", NULL )\n'
     'COMMAND ( "zvmsegs",   CONFIG,        zvmsegs_cmd, "z/VM saved segments: zvmsegs DIR [USERID name]\\n", NULL )\n',
     "The configuration statement that switches z/VM-lite on (config only, like DIAG8CMD)."),
    ("vm.c",
     "#endif /*FEATURE_EMULATE_VM*/\n",
     "#if defined(FEATURE_ESAME)\n"
     "/* dcssblk-rs: z/VM-lite, the z/Architecture part */\n"
     "#include \"zvm-herc-arch.c\"\n"
     "#endif\n"
     "#endif /*FEATURE_EMULATE_VM*/\n",
     "vm.c compiles once per architecture: the DIAG and STSI front ends need z900's macros."),
    ("vm.c",
     " #include \"vm.c\"\n#endif\n\n#endif /*!defined(_GEN_ARCH)*/\n",
     " #include \"vm.c\"\n#endif\n\n"
     "/* dcssblk-rs: z/VM-lite, once: the shared core and the architecture-independent part */\n"
     "#include \"zvm-core.c\"\n"
     "#include \"zvm-herc.c\"\n"
     "#endif /*!defined(_GEN_ARCH)*/\n",
     "Included rather than added to the generated Makefile.in (4 coordinated edits)."),
]

# Our own sources (relative to tools/hercules) and where they go in the Hercules tree.
OWN = [
    ("zvm-herc.h", "zvm-herc.h"),
    ("zvm-herc.c", "zvm-herc.c"),
    ("zvm-herc-arch.c", "zvm-herc-arch.c"),
    ("../zvm/zvm-core.h", "zvm-core.h"),
    ("../zvm/zvm-core.c", "zvm-core.c"),
]

if __name__ == "__main__":
    engine.apply(sys.argv[1], sys.argv[2], HOOKS, OWN, HERE)
