#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Fixes the debug kernel's KASAN teardown of ZONE_DEVICE shadow on s390 (tools/build-kernel debug).

Usage: kernel-hooks.py SRC

The bug (Linux 7.2, both drivers hit it: the first `remove` of a DAX device panics a KASAN kernel
moments later): s390's boot code maps the KASAN shadow of all memory it does not track (above
the identity map's end, the range where DCSSs live) to the shared early zero-shadow tables.
memremap_pages() (the DAX page map) calls kasan_add_zero_shadow(), which finds that shadow present
and changes nothing, and memunmap_pages() calls kasan_remove_zero_shadow(). A segment's shadow is
1 MiB-granular, not aligned to a whole table, so the remove walks down into the shared
kasan_early_shadow_pmd/pte tables and clears their entries: every other range whose zero shadow
goes through those tables - the vmemmap's included - loses its shadow, and the next KASAN check
of a struct page faults. The hook makes the remove leave an unaligned part of a shared table
alone (it is zero shadow, which is what the remove wants), so shared tables are never written.
mm/kasan/ is built only with KASAN: the other kernel variants, built from the same tree, are
untouched. Each edit is anchored on pristine source and applied once; a missing anchor aborts.
"""
import sys

SRC = sys.argv[1]
PATH = SRC + "/mm/kasan/init.c"
MARK = "/* dcssblk-rs hook: never write a shared early shadow table */"
LEVELS = [("pmd", "pte"), ("pud", "pmd"), ("p4d", "pud"), ("pgd", "p4d")]

text = open(PATH).read()
if MARK in text:
    sys.exit(0)
for entry, table in LEVELS:
    anchor = (f"\t\tif (kasan_{table}_table(*{entry})) {{\n"
              f"\t\t\tif (IS_ALIGNED(addr, {entry.upper()}_SIZE) &&\n"
              f"\t\t\t    IS_ALIGNED(next, {entry.upper()}_SIZE)) {{\n"
              f"\t\t\t\t{entry}_clear({entry});\n"
              f"\t\t\t\tcontinue;\n"
              f"\t\t\t}}\n")
    if entry == "pgd":
        anchor = anchor.replace("PGD_SIZE", "PGDIR_SIZE")
    if text.count(anchor) != 1:
        sys.exit(f"kernel-hooks.py: anchor for the {entry} level not found once in {PATH}")
    text = text.replace(anchor, anchor + f"\t\t\t{MARK}\n\t\t\tcontinue;\n")
open(PATH + ".tmp", "w").write(text)
import os
os.replace(PATH + ".tmp", PATH)
