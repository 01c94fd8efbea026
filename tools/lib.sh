# Shared by the tools/ scripts: cache location, toolchain environment, logging.
# shellcheck shell=bash
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DCSSBLK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dcssblk-rs}
mkdir -p "$CACHE"
export PATH=/usr/lib/llvm-19/bin:/usr/local/bin:$PATH
export RUSTC=/usr/bin/rustc
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
# make_checkout TARGET...: make in the checkout, one at a time: make check runs tests that build
# there at once (demo, bench, rust-analyzer), and Kbuild's temporary files have fixed names.
make_checkout() { flock "$CACHE/make-checkout.lock" make -s -C "$TOP" "$@"; }
# Serialises CPU-heavy steps (kernel, QEMU) across concurrent scripts: the machine has 2 cores.
heavy() { local rc=0; exec 9>"$CACHE/heavy.lock"; flock 9; "$@" || rc=$?; exec 9>&-; return $rc; }
# MODULE_SOURCES: the files a build of dcssblk_rs reads (the driver's files at the top, the kernel
# abstractions under abstractions/), for the cache keys of and the copies in the scripts that build
# it outside the checkout (KUnit build, fleet image, Debian package, broken-module test).
MODULE_SOURCES=("$TOP"/*.rs "$TOP/glue.c" "$TOP/glue.h" "$TOP/Kbuild" "$TOP/bindings/bindings_helper.h")
while IFS= read -r f; do MODULE_SOURCES+=("$TOP/$f"); done < <(cd "$TOP" && find abstractions -name '*.rs' 2>/dev/null | LC_ALL=C sort)
# kunit_suites: the names of the module's KUnit suites, one a line, from its
# #[kunit_tests(NAME)] attributes (make check's KUnit layer and tests/hercules count them).
kunit_suites() { local f; for f in "${MODULE_SOURCES[@]}"; do [[ $f != *.rs ]] || sed -n 's/^#\[kunit_tests(\(.*\))\]$/\1/p' "$f"; done; }
# copy_module_sources DEST: MODULE_SOURCES into DEST, keeping their folders
copy_module_sources() { local dest; dest=$(realpath -m -- "$1"); (cd "$TOP" && cp --parents -- "${MODULE_SOURCES[@]#"$TOP"/}" "$dest"); }
# The unpacked Debian linux-source for $KVER_WANT (fetched pinned from unstable, never installed).
kernel_source() {
	local dir=$CACHE/src/linux-source-$KVER_WANT deb
	if [ ! -e "$dir/.unpacked" ]; then
		mkdir -p "$CACHE/src"
		(cd "$CACHE/src" && apt-get download "linux-source-$KVER_WANT" >/dev/null 2>&1) || {
			newest=$(apt-cache search --names-only '^linux-source-7\.[0-9]+$' | awk '{print $1}' | sort -V | tail -1)
			die "linux-source-$KVER_WANT is not in Debian unstable any more (newest 7.x found: ${newest:-none}); refusing to build against anything else"
		}
		deb=$(ls -t "$CACHE/src/linux-source-${KVER_WANT}_"*_all.deb | head -1)
		rm -rf "$dir"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "./usr/src/linux-source-$KVER_WANT.tar.*" |
			tar -xJ -C "$CACHE/src"
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}
# Guest timeouts: every `--timeout`/`timeout` of the suite is at least 3x the duration measured on
# the project's 2-core machine (README "What make check runs"), and all of them are multiplied by
# DCSS_TIMEOUT_SCALE (default 1; e.g. 2 on a machine that runs guests half as fast).
TIMEOUT_SCALE=${DCSS_TIMEOUT_SCALE:-1}
[[ $TIMEOUT_SCALE =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v f="$TIMEOUT_SCALE" 'BEGIN { exit !(f > 0) }' ||
	die "DCSS_TIMEOUT_SCALE=$TIMEOUT_SCALE: want a positive number"
# plain_kernel: this test's guests boot the plain kernel (tools/build-kernel plain), unless the
# caller chose a kernel (DCSS_KERNEL set, even empty: make check-debug's KASAN one). For the tests
# whose subject is not the Rust driver (the C reference, the emulator, the harness, packaging):
# the test kernel's debugging aids make a guest about 5x slower and check nothing of ours there.
plain_kernel() { export DCSS_KERNEL=${DCSS_KERNEL-plain}; }
# scaled SECONDS: SECONDS x DCSS_TIMEOUT_SCALE, rounded up.
scaled() { awk -v s="$1" -v f="$TIMEOUT_SCALE" 'BEGIN { t = s * f; i = int(t); print (t > i) ? i + 1 : i }'; }
# poll SECONDS CMD...: runs CMD every 0.5 s until it succeeds (status 0) or SECONDS (scaled) have
# passed (status 1).
poll() { local end=$((SECONDS + $(scaled "$1"))); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.5; done; }
# half_charged RSS PSS: a process is charged about half of what it has resident (KiB): exactly
# two processes map those pages, one host copy (tests' expect_one_host_copy, make demo).
half_charged() { [ "$1" -gt 0 ] && [ $(($2 * 100 / $1)) -ge 45 ] && [ $(($2 * 100 / $1)) -le 55 ]; }
# smaps_of PID FILE: "Rss Pss" in KiB summed over process PID's mappings of FILE (a QEMU maps a
# loaded shared segment's NAME.seg MAP_SHARED: one host copy, Pss = Rss / number of guests).
smaps_of() {
	awk -v f="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == f) }
		m && $1 == "Rss:" { r += $2 } m && $1 == "Pss:" { p += $2 }
		END { print r + 0, p + 0 }' "/proc/$1/smaps"
}
# elf_closure TREE ELF...: the shared libraries the ELF files need, transitively, found below TREE
# (lib/, usr/lib/): one "SONAME PATH" line each (PATH with symlinks resolved); fails naming the
# first library TREE lacks.
elf_closure() {
	local tree=$1 f lib path
	shift
	local -a todo=("$@")
	local -A seen=()
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]} todo=("${todo[@]:1}")
		for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1
			path=$(find "$tree/lib" "$tree/usr/lib" -name "$lib" -print -quit)
			[ -n "$path" ] || { log "error: $f needs $lib, which $tree does not provide"; return 1; }
			path=$(readlink -f "$path")
			echo "$lib $path"
			todo+=("$path")
		done
	done
}
