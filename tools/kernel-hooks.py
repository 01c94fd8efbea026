#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fixes the KASAN kernel's shadow teardown for DAX page maps on s390 (tools/build-kernel debug).

Usage: kernel-hooks.py SRC

The bug (Linux 7.2; both drivers hit it: the first `remove` of a DAX device panics a KASAN
kernel moments later): s390's boot code (arch/s390/boot/vmem.c, kasan_populate_shadow) maps the
KASAN shadow of all memory it does not track - above the identity map's end, where DCSSs live -
to the shared early zero-shadow tables. memremap_pages() (the DAX page map) calls
kasan_add_zero_shadow(), which finds that shadow present (it rewrites a few shared entries with
the same page), and memunmap_pages() calls kasan_remove_zero_shadow(). A segment is 1 MiB
granular, its shadow 128 KiB, so the remove does not line up with whole tables: it walks down
into the shared kasan_early_shadow_pmd/pte tables and clears their entries, and every other
range whose zero shadow goes through them - the vmemmap's included - loses its shadow; the next
KASAN check of a struct page faults. Where it does line up, it clears zero shadow the boot code
made, leaving a hole that a later non-DAX mapping of the same memory would fault in.

On s390 the shadow that memremap_pages() "adds" is the boot's and must stay: the hook makes
kasan_remove_zero_shadow() return at once there. (What the add may have allocated stays mapped
as zero shadow, reused by the next add of the same range.) mm/kasan/ is built only with KASAN:
the other kernel variants, built from the same tree, are untouched. The edit is anchored on
pristine source and applied once; a missing anchor aborts. Run under tools/build-kernel's lock.
"""
import os
import sys

PATH = sys.argv[1] + "/mm/kasan/init.c"
MARK = "/* dcssblk-rs hook (tools/kernel-hooks.py): */"
ANCHOR = ("void kasan_remove_zero_shadow(void *start, unsigned long size)\n"
          "{\n"
          "\tunsigned long addr, end, next;\n"
          "\tpgd_t *pgd;\n"
          "\n")
HOOK = (f"\t{MARK}\n"
        "\t/* s390 keeps the boot's zero shadow of untracked memory (see the script) */\n"
        "\tif (IS_ENABLED(CONFIG_S390))\n"
        "\t\treturn;\n"
        "\n")

text = open(PATH).read()
if MARK in text:
    sys.exit(0)
if text.count(ANCHOR) != 1:
    sys.exit(f"kernel-hooks.py: anchor of kasan_remove_zero_shadow() not found once in {PATH}")
tmp = f"{PATH}.{os.getpid()}.tmp"
with open(tmp, "w") as f:
    f.write(text.replace(ANCHOR, ANCHOR + HOOK))
os.replace(tmp, PATH)
