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
]

if __name__ == "__main__":
    engine.apply(sys.argv[1], sys.argv[2], HOOKS, [], HERE)
