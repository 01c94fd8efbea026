# dcssblk-rs: user entry points. The module itself is described in Kbuild.
#   make                 build dcssblk_rs.ko against the cached test kernel (built on first use)
#   make KDIR=/path      build against your own Rust-enabled s390 kernel build tree
#   make modules_install install it (INSTALL_MOD_PATH=DIR: under DIR) into lib/modules/KVER/updates
#   make deb             a Debian package of the module for the kernel tree (KDIR=...): prints its path
#   make rust-analyzer   rust-project.json for editors, against the kernel tree the module builds with
#   make check           every test: host unit tests, KUnit in a guest, guest integration tests
#                        (EMULATOR=hercules: every guest on Hercules, the QEMU-only tests skipped)
#   make demo            the paper's workflow in emulated z/VM guests (EMULATOR=hercules: on Hercules)
#   make bench           the Rust and the C driver side by side, ratio per workload
#   make paper           the paper's experiment with fleets of Debian guests: results/paper/report.md
#   make faults          every fault point of add and shared, both segment sets (make check: every 6th of one)
#   make stress          tests/stress for DURATION s (default 900) per driver: results/stress/report.md
#   make check-debug     make check on the KASAN kernel (tools/kernel-debug.config)
#   make fuzz            100 000 hostile DIAG calls (ASan QEMU), 100 000 sysfs inputs per driver: results/fuzz/
#   make clippy | rustfmt | rustfmtcheck | clean

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
export PATH := /usr/lib/llvm-19/bin:/usr/local/bin:$(PATH)
# Debian's rustc-web 1.96 and its clippy/rustfmt, not rustup's: the kernel's core crate is built by it.
RUSTC ?= /usr/bin/rustc
CLIPPY_DRIVER ?= /usr/bin/clippy-driver
KBUILD_ARGS = ARCH=s390 LLVM=1 RUSTC=$(RUSTC) CLIPPY_DRIVER=$(CLIPPY_DRIVER)
KDIR_FROM_CACHE = $(shell $(TOP)/tools/build-kernel)

.PHONY: all module modules_install deb rust-analyzer clippy rustfmt rustfmtcheck check check-debug demo bench paper faults stress fuzz clean kernel qemu dcssctl setup

all: module

setup:
	$(TOP)/tools/setup

kernel: setup
	@$(TOP)/tools/build-kernel

module: setup
	$(MAKE) -C $(or $(KDIR),$(KDIR_FROM_CACHE)) M=$(TOP) $(KBUILD_ARGS) modules

modules_install: module
	$(MAKE) -C $(or $(KDIR),$(KDIR_FROM_CACHE)) M=$(TOP) $(KBUILD_ARGS) INSTALL_MOD_DIR=updates modules_install

deb: setup
	@$(TOP)/tools/build-deb $(KDIR)

# The module's generated bindings (Kbuild) must exist for rust-analyzer to resolve them.
rust-analyzer: module
	$(MAKE) -C $(or $(KDIR),$(KDIR_FROM_CACHE)) M=$(TOP) $(KBUILD_ARGS) rust-analyzer

clippy: setup
	$(MAKE) -C $(or $(KDIR),$(KDIR_FROM_CACHE)) M=$(TOP) $(KBUILD_ARGS) CLIPPY=1 KRUSTFLAGS=-Dwarnings modules

RUSTFMT = /usr/bin/rustfmt --edition 2021 --config-path $(TOP)/.rustfmt.toml
rustfmt:
	$(RUSTFMT) $(wildcard $(TOP)/*.rs)
rustfmtcheck:
	$(RUSTFMT) --check $(wildcard $(TOP)/*.rs)

qemu: setup
	@$(TOP)/tools/build-qemu

dcssctl:
	cargo build --release --manifest-path $(TOP)/tools/dcssctl/Cargo.toml

check:
	$(TOP)/tests/run

check-debug:
	DCSS_KERNEL=debug $(TOP)/tests/run

demo:
	$(TOP)/tools/demo

bench:
	$(TOP)/tools/bench

paper: setup
	$(TOP)/tools/paper

stress: setup
	$(TOP)/tools/stress

fuzz: setup
	$(TOP)/tools/fuzz

faults:
	FAIL_NTH_SETS="FN FA:FB" FAIL_NTH_STRIDE=1 $(TOP)/tests/run tests/faults/

clean:
	-$(MAKE) -C $(or $(KDIR),$(KDIR_FROM_CACHE)) M=$(TOP) $(KBUILD_ARGS) clean
	rm -rf $(TOP)/tools/dcssctl/target
