# /test/lib.sh in every test guest: assertions, errno capture, dcssblk helpers, final dmesg check.
# shellcheck shell=bash
# Source it first thing in a guest script:   . /test/lib.sh
# Checks print TAP-like lines ("ok N - what" / "not ok N - what") and keep going; the script's exit
# status is non-zero if any check failed, if it ran none, if the kernel log shows an
# oops/WARNING/lockdep/list corruption report, or if kmemleak finds a leak (checked on exit).
# `die` stops at once (for checks later ones depend on).
# DMESG_ALLOW=ERE (in the guest's environment) exempts matching kernel-log lines from that check;
# no test needs it today (tools/vm's console check would not honour it anyway).
#
# errno capture: a failed write(2) to sysfs reaches the shell only as strerror() text; the helpers
# map glibc's texts back to errno names, so tests read  expect_write EEXIST "$ADD" A  and a
# mismatch says  "got ENOENT (No such file or directory)".
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin
# DRIVER (dcssblk or dcssblk_rs) comes from the host; no default, so a lost variable cannot make a
# dcssblk_rs run test the C driver. Scripts that load no dcssblk driver need not set it.
DRIVER=${DRIVER:-}
SYSROOT=/sys/devices/dcssblk
ADD=$SYSROOT/add
REMOVE=$SYSROOT/remove
_N=0 _FAILED=0
_DMESG_ALLOW=${DMESG_ALLOW:-}

_say() { printf '%s\n' "$*"; }
ok() { _N=$((_N + 1)); _say "ok $_N - $*"; }
not_ok() { _N=$((_N + 1)); _FAILED=$((_FAILED + 1)); _say "not ok $_N - $*"; }
# check DESCRIPTION CMD...: CMD must succeed.
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d (command failed: $*)"; fi; }
# check_not DESCRIPTION CMD...: CMD must fail.
check_not() { local d=$1; shift; if "$@"; then not_ok "$d (command succeeded: $*)"; else ok "$d"; fi; }
# assert_eq GOT WANT DESCRIPTION
assert_eq() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3: got '$1', want '$2'"; fi
}
# In a subshell (x=$(dev_of ...), a pipeline) `exit` would end only the subshell: report on
# stderr, which reaches the console, and stop the script itself through its TERM trap.
die() {
	if [ "$BASHPID" != "$$" ]; then
		_say "not ok - FATAL: $*" >&2
		kill -TERM $$
		exit 1
	fi
	not_ok "FATAL: $*"
	exit 1
}
trap '_FAILED=$((_FAILED + 1)); exit 1' TERM
# need DESCRIPTION CMD...: like check, but stop the script if it fails.
need() { local d=$1; shift; "$@" || die "$d (command failed: $*)"; ok "$d"; }
note() { _say "# $*"; }
# Waits scale like the host's timeouts (tools/lib.sh; tools/vm passes TIMEOUT_SCALE).
TIMEOUT_SCALE=${TIMEOUT_SCALE:-1}
scaled() { awk -v s="$1" -v f="$TIMEOUT_SCALE" 'BEGIN { t = s * f; i = int(t); print (t > i) ? i + 1 : i }'; }
# poll SECONDS CMD...: runs CMD every 0.5 s until it succeeds (status 0) or SECONDS (scaled) have
# passed (status 1).
poll() { local end=$((SECONDS + $(scaled "$1"))); shift; until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 0.5; done; }

# --- errno names -------------------------------------------------------------------------------
# glibc 2.36 strerror() texts for the errnos a block/sysfs driver can return.
declare -A _ERRNO_BY_TEXT=(
	["Operation not permitted"]=EPERM ["No such file or directory"]=ENOENT
	["Input/output error"]=EIO ["No such device or address"]=ENXIO
	["Bad file descriptor"]=EBADF ["Resource temporarily unavailable"]=EAGAIN
	["Cannot allocate memory"]=ENOMEM ["Permission denied"]=EACCES ["Bad address"]=EFAULT
	["Device or resource busy"]=EBUSY ["File exists"]=EEXIST ["No such device"]=ENODEV
	["Invalid argument"]=EINVAL ["No space left on device"]=ENOSPC ["Read-only file system"]=EROFS
	["Numerical result out of range"]=ERANGE ["File name too long"]=ENAMETOOLONG
	["Function not implemented"]=ENOSYS ["Operation not supported"]=EOPNOTSUPP
	["Text file busy"]=ETXTBSY ["Not a directory"]=ENOTDIR ["Is a directory"]=EISDIR
	["Inappropriate ioctl for device"]=ENOTTY ["Value too large for defined data type"]=EOVERFLOW
	["Unknown error 512"]=ERESTARTSYS ["Unknown error 524"]=ENOTSUPP
	["Resource deadlock avoided"]=EDEADLK ["Interrupted system call"]=EINTR
	["Argument list too long"]=E2BIG ["Structure needs cleaning"]=EUCLEAN
	["Exec format error"]=ENOEXEC ["Wrong medium type"]=EMEDIUMTYPE
	["Operation now in progress"]=EINPROGRESS ["Operation already in progress"]=EALREADY
)
# errno_name MESSAGE: sets REPLY to the errno name for the strerror() text that ends MESSAGE's last
# line ("bash: printf: write error: File exists" -> EEXIST); UNKNOWN(text) if it is not in the
# table. (A variable, not output: under TCG every $(...) costs a fork.)
errno_name() {
	local m=${1%$'\n'}
	m=${m##*$'\n'}
	m=${m##*: }
	if [ -n "${_ERRNO_BY_TEXT[$m]:-}" ]; then REPLY=${_ERRNO_BY_TEXT[$m]}; else REPLY="UNKNOWN($m)"; fi
}
# write_errno FILE DATA: writes DATA (printf %s: exactly these bytes, one write(2)) to FILE and
# prints OK or the errno name of the failure (open or write). _write_errno sets REPLY instead: no
# fork (each costs a TCG guest about 0.1 s, 0.3 s with kmemleak). _write_errno FILE DATA %b
# writes DATA's printf %b escapes (\0 a NUL, \n a newline) instead; the transcript shows DATA.
_write_errno() {
	local msg= q raw res err=/tmp/.write-errno-$BASHPID fmt=${3:-%s}
	if { printf "$fmt" "$2" >"$1"; } 2>"$err"; then res=OK; else
		read -r -d '' msg <"$err"
		errno_name "$msg"
		res=$REPLY
	fi
	printf -v q '%q' "$2"
	transcript "write ${1#"$SYSROOT"/} $q $res"
	# (bash drops a NUL and what follows: the state needs only the name before it)
	printf -v raw "$fmt" "$2"
	[ "$res" != OK ] || _transcript_state "$1" "$raw"
	REPLY=$res
}
write_errno() { _write_errno "$@"; echo "$REPLY"; }
# run_errno CMD...: runs CMD, prints OK or the errno name from the last line of its stderr.
run_errno() {
	local msg
	if msg=$("$@" 2>&1 >/dev/null); then REPLY=OK; else errno_name "$msg"; fi
	transcript "run $* $REPLY"
	echo "$REPLY"
}
# expect_write ERRNO|OK FILE DATA [DESCRIPTION]: writing DATA to FILE fails with ERRNO (or works).
# DATA is written as given: pass $'NAME\n' to write what `echo NAME >FILE` writes.
expect_write() {
	local want=$1 f=$2 d=$3 desc=${4:-}
	[ -n "$desc" ] || desc="write $(printf '%q' "$d") to ${f#"$SYSROOT"/} -> $want"
	_write_errno "$f" "$d"
	assert_eq "$REPLY" "$want" "$desc"
}
# expect_errno ERRNO|OK CMD...: CMD fails with ERRNO (taken from its error message) or succeeds.
expect_errno() {
	local want=$1; shift
	local got
	got=$(run_errno "$@")
	assert_eq "$got" "$want" "$* -> $want"
}
# The errno of the write in a shell redirection the way a user types it, e.g.
#   expect_errno ENOENT sh -c 'echo NOPE > /sys/devices/dcssblk/add'
# works too: bash prints "sh: line 1: echo: write error: No such file or directory".

# --- dcssblk helpers ---------------------------------------------------------------------------
load_driver() { # [modprobe args...]
	case $DRIVER in dcssblk | dcssblk_rs) ;; *) die "DRIVER='$DRIVER': want dcssblk or dcssblk_rs" ;; esac
	need "modprobe $DRIVER $*" modprobe "$DRIVER" "$@"
	need "/sys/module/$DRIVER exists (the driver under test is the one loaded)" test -d "/sys/module/$DRIVER"
	need "$SYSROOT exists" test -d "$SYSROOT"
}
# add SPEC [DESCRIPTION]: echo SPEC > add must work (stops the script if not).
add() {
	_write_errno "$ADD" "$1"$'\n'
	[ "$REPLY" = OK ] || die "echo $1 > add: $REPLY"
	ok "echo $1 > add"
}
# remove NAME: echo NAME > remove must work.
remove() {
	_write_errno "$REMOVE" "$1"$'\n'
	[ "$REPLY" = OK ] || die "echo $1 > remove: $REPLY"
	ok "echo $1 > remove"
}
# disk_of NAME: prints dcssblkN, the gendisk of device NAME (upper case), or nothing.
disk_of() { _disk_of "$1" && echo "$REPLY"; }
# _disk_of NAME: sets REPLY to dcssblkN (no fork), or fails.
_disk_of() {
	local d
	for d in "$SYSROOT/$1"/block/dcssblk* "$SYSROOT/$1"/block:dcssblk*; do
		[ -e "$d" ] && { d=${d##*/}; REPLY=${d#block:}; return 0; }
	done
	return 1
}
# dev_of NAME: /dev/dcssblkN of device NAME (devtmpfs node); stops the script if there is none.
dev_of() {
	local d
	d=$(disk_of "$1") || die "no block device under $SYSROOT/$1"
	[ -b "/dev/$d" ] || die "/dev/$d is not a block device"
	echo "/dev/$d"
}
# devices: the device names (directories) under /sys/devices/dcssblk, one a line, sorted.
devices() {
	local d
	for d in "$SYSROOT"/*; do
		[ -d "$d" ] && [ ! -L "$d" ] && [ "${d##*/}" != power ] && echo "${d##*/}"
	done
	return 0
}
# attr NAME shared|save|seglist. Here and below: builtins, not cat/awk (a TCG guest pays about 1 s
# per program start under kmemleak).
attr() { local l; mapfile -t l <"$SYSROOT/$1/$2" && printf '%s\n' "${l[@]}"; }
# The block major from /proc/devices, as the paper's step 4 reads it. The ABI name is "dcssblk";
# both drivers register exactly that name.
dcss_major() { local n d; while read -r n d; do [ "$d" != dcssblk ] || { echo "$n"; return; }; done </proc/devices; }
sectors_of() { local v; read -r v <"/sys/block/$1/size" && echo "$v"; }
ro_of() { local v; read -r v <"/sys/block/$1/ro" && echo "$v"; }

# Kernel log since the last dmesg_mark. The mark is a unique line written to /dev/kmsg, not a line
# count: once the log buffer wraps, a count points past the end and "since the mark" would
# be nothing. A mark that has scrolled out of the buffer stops the script.
_DMESG_MARK=
dmesg_mark() {
	_DMESG_MARK="dcsstest-mark-$$-$RANDOM$RANDOM-$SECONDS"
	echo "$_DMESG_MARK" >/dev/kmsg || die "cannot write the log mark to /dev/kmsg"
}
# _dmesg_new: sets REPLY to the kernel log after the mark's line (one dmesg, no other process).
# The log goes through a file: bash reads a pipe one byte per read(2), and its pattern removal on
# the whole log grows with the square of its length (seconds per call late in a long test). The
# mark is searched from the end.
_dmesg_new() {
	local l i IFS=$'\n' f=/tmp/.dmesg-$BASHPID
	[ -n "$_DMESG_MARK" ] || die "dmesg_new without dmesg_mark"
	dmesg >"$f" || die "dmesg failed"
	mapfile -t l <"$f"
	for ((i = ${#l[@]} - 1; i >= 0; i--)); do [[ ${l[i]} != *"$_DMESG_MARK" ]] || break; done
	[ $i -ge 0 ] || die "log mark $_DMESG_MARK is no longer in the kernel log (buffer wrapped)"
	REPLY="${l[*]:i+1}"
}
dmesg_new() { _dmesg_new; [ -z "$REPLY" ] || printf '%s\n' "$REPLY"; }
# expect_log REGEX [DESCRIPTION]: the kernel logged a line matching REGEX (ERE) since dmesg_mark.
expect_log() {
	_dmesg_new
	if grep -qE -- "$1" <<<"$REPLY"; then ok "${2:-kernel log: $1}"
	else not_ok "${2:-kernel log: $1}: no such line since mark"; sed 's/^/#   /' <<<"$REPLY" | tail -20; fi
}
expect_no_log() {
	_dmesg_new
	if grep -qE -- "$1" <<<"$REPLY"; then not_ok "${2:-kernel log has no: $1}"; grep -E -- "$1" <<<"$REPLY" | sed 's/^/#   /'
	else ok "${2:-kernel log has no: $1}"; fi
}

# Pattern data: page P of a pattern named TAG is 4096 bytes of "TAG:P" lines, so a page shows
# where it came from. gen_pages TAG FIRST COUNT >file.
gen_pages() {
	# no forks: TCG makes every fork expensive
	local tag=$1 p=$2 n=$3 i l
	for ((i = 0; i < n; i++, p++)); do
		printf -v l '%-15s\n' "$tag:$p"
		l=$l$l; l=$l$l; l=$l$l; l=$l$l; l=$l$l; l=$l$l; l=$l$l; l=$l$l # 256 lines
		printf '%s' "$l"
	done
}
# page_of DEV PAGE: the first line of 4 KiB page PAGE of DEV (direct read, bypasses the page cache).
page_of() { dd if="$1" bs=4096 skip="$2" count=1 iflag=direct 2>/dev/null | { read -r l; echo "${l// /}"; }; }

# bytes_read DD-OPERANDS...: how many bytes `dd DD-OPERANDS` read, or "dd-failed" (a failed read
# must not pass for an empty one).
bytes_read() { local n; if n=$(dd "$@" status=none | wc -c; exit "${PIPESTATUS[0]}"); then echo "$n"; else echo dd-failed; fi; }

mib_cached() { awk '$1 == "Cached:" { print int($2 / 1024) }' /proc/meminfo; }
kib_cached() { awk '$1 == "Cached:" { print $2 }' /proc/meminfo; }
drop_caches() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches; true; }

# mounted_dax MOUNTPOINT: the file system on MOUNTPOINT is mounted with dax (or dax=always); not
# dax=never or dax=inode.
mounted_dax() { awk -v m="$1" '$2 == m { print $4 }' /proc/mounts | tr , '\n' | grep -qxE 'dax(=always)?'; }

# statx DAX attribute (STATX_ATTR_DAX 0x200000) of FILE: prints 1 or 0.
is_dax() {
	local a
	a=$(xfs_io -r -c 'statx -r' "$1" 2>/dev/null | awk -F' = ' '$1 == "stat.attributes" { print $2 }')
	[ -n "$a" ] || { echo "?"; return 1; }
	if (((a & 0x200000) != 0)); then echo 1; else echo 0; fi
}

# _dcss_iomem: fills _DCSS_START and _DCSS_END (NAME -> address) from /proc/iomem, where extmem
# names each loaded DCSS "NAME (DCSS)", the name blank-padded to 8. Builtins only: the transcript
# calls it at every add.
declare -A _DCSS_START _DCSS_END
_dcss_iomem() {
	local l x n
	_DCSS_START=() _DCSS_END=()
	mapfile -t l </proc/iomem
	for x in "${l[@]}"; do
		[[ $x =~ ^\ *([0-9a-f]+)-([0-9a-f]+)\ :\ ([^ ]+)\ *\(DCSS\)$ ]] || continue
		n=${BASH_REMATCH[3]}
		_DCSS_START[$n]=$((16#${BASH_REMATCH[1]})) _DCSS_END[$n]=$((16#${BASH_REMATCH[2]}))
	done
}
# dcss_range NAME: "START END" (hex, inclusive) of DCSS NAME in /proc/iomem.
dcss_range() {
	_dcss_iomem
	[ -n "${_DCSS_START[$1]:-}" ] || return 0
	printf '%x %x\n' "${_DCSS_START[$1]}" "${_DCSS_END[$1]}"
}
# pages_in_range PID FILE START END: over every executable mapping of FILE in process PID (its
# code), prints "RESIDENT INSIDE": how many of its pages are resident (/proc/PID/pagemap) and how
# many of those have a physical address in [START, END] (hex). DAX maps the DCSS's own pages; the
# page cache would map copies in RAM. (Other private mappings can hold the process's own copies:
# written data, and relocated data made read-only again, RELRO.)
pages_in_range() {
	local pid=$1 f=$2 lo=$((0x$3)) hi=$((0x$4)) a b e res=0 in=0 pa
	while read -r a b; do
		for e in $(dd if="/proc/$pid/pagemap" bs=8 skip=$((0x$a / 4096)) count=$(((0x$b - 0x$a) / 4096)) \
			status=none | od -An -v -tx8); do
			(((0x$e >> 63) & 1)) || continue
			res=$((res + 1))
			pa=$(((0x$e & ((1 << 55) - 1)) * 4096))
			((pa < lo || pa > hi)) || in=$((in + 1))
		done
	done < <(awk -v f="$f" '$6 == f && $2 ~ /x/ { split($1, r, "-"); print r[1], r[2] }' "/proc/$pid/maps")
	echo "$res $in"
}

# --- output checks and the emulator probe -----------------------------------------------------
# has OUTPUT ERE DESCRIPTION: some line of OUTPUT matches ERE.
has() { if printf '%s\n' "$1" | grep -qE -- "$2"; then ok "$3"; else not_ok "$3"; printf '%s\n' "$1" | sed 's/^/#   /'; fi; }
# hasnt OUTPUT ERE DESCRIPTION: no line matches; it needs output to judge: an empty answer (the
# probe printed nothing) is no evidence.
hasnt() {
	if [ -z "$1" ]; then not_ok "$3 (no output)"
	elif printf '%s\n' "$1" | grep -qE -- "$2"; then not_ok "$3"; printf '%s\n' "$1" | sed 's/^/#   /'; else ok "$3"; fi
}
# cp_cmd CMD...: a CP command through vmcp (s390-tools, /dev/vmcp): its output and vmcp's error
# line in REPLY (also shown as comments), vmcp's exit status in CP_RC (1: non-zero CP return code).
cp_cmd() { REPLY=$(vmcp "$@" 2>&1) && CP_RC=0 || CP_RC=$?; printf '%s\n' "$REPLY" | sed 's/^/#   /'; }
# --- signals through the segment catalog --------------------------------------------------------
# The one channel between guests and the host that QEMU and Hercules share (Hercules has no virtio
# disks): a signal is a saved segment NAME (1-8 letters and digits). post defines and saves it
# (CP DEFSEG + SAVESEG of 1 MiB of this guest's own storage at 15 MiB: what it holds is of no
# interest); the host's side is tests/lib/common.sh (post, posted); waitfor polls QUERY NSS MAP,
# which every guest reads from the catalog.
post() {
	[[ $1 =~ ^[A-Z0-9]{1,8}$ ]] || die "post $1: a signal is 1-8 upper-case letters and digits"
	vmcp DEFSEG "$1" F00-FFF SR >/dev/null && vmcp SAVESEG "$1" >/dev/null || die "post $1: CP DEFSEG/SAVESEG failed"
}
# (a signal is never cleared: each NAME is posted once per catalog)
posted() { vmcp QUERY NSS MAP 2>/dev/null | grep -qE "^[0-9]{4} $1 +DCSS "; }
# waitfor NAME [SECONDS]: until NAME is posted (default 300 s, scaled), or die.
waitfor() { poll "${2:-300}" posted "$1" || die "guest $GUEST: timed out waiting for $1"; }
# zt ARGS...: loads tests/emulator/zvmtest.ko (tools/vm --module) with ARGS, unloads it, prints its
# "zvmtest:" log lines (prefix stripped).
zt() {
	dmesg_mark
	modprobe zvmtest "$@" || die "modprobe zvmtest $*"
	rmmod zvmtest
	# the first out-of-tree module of a boot taints the kernel: that line is not the probe's
	dmesg_new | sed -n '/zvmtest: loading out-of-tree module taints kernel/d; s/^.*zvmtest: //p'
}

# --- kmemleak ----------------------------------------------------------------------------------
# The test kernel has kmemleak without its scan thread (a scan takes seconds under TCG); the boot
# leaves no suspects. At exit two scans (kmemleak reports an object only once its contents stayed
# the same over two) must find none; objects younger than kmemleak's 5 s minimum age are not
# judged, and a stale copy of a pointer (e.g. in a reused kernel stack) can hide a leak.
_KMEMLEAK=/sys/kernel/debug/kmemleak
# On exactly when the kernel was booted with kmemleak=on (tools/vm --kmemleak); then every step
# of the check must work, or the script fails: a check that cannot run is not a pass.
_KMEMLEAK_ON=0
! grep -qw 'kmemleak=on' /proc/cmdline || _KMEMLEAK_ON=1
if [ $_KMEMLEAK_ON = 1 ]; then
	grep -q ' /sys/kernel/debug ' /proc/mounts || mount -t debugfs debugfs /sys/kernel/debug ||
		die "kmemleak=on, but debugfs does not mount"
	[ -w $_KMEMLEAK ] || die "kmemleak=on, but $_KMEMLEAK is not writable"
fi
# _kmemleak_scan: scans twice, after which kmemleak lists every object it judges leaked. The first
# scan notes every object's checksum whatever its age; the second judges objects at least 5 s old
# (kmemleak's minimum age) when it starts, so it waits until 6 s have passed since the call (under
# TCG the first scan itself usually takes longer).
_kmemleak_scan() {
	local t0=${EPOCHREALTIME/./} left
	echo scan >"$_KMEMLEAK" || return 1
	left=$((t0 + 6000000 - ${EPOCHREALTIME/./}))
	[ $left -le 0 ] || sleep "$((left / 1000000)).$(printf %06d $((left % 1000000)))"
	echo scan >"$_KMEMLEAK"
}
# known_leaks WHY: the C reference leaks here by a known bug (WHY, see tests/driver/README.md):
# report what kmemleak finds so far, then have it forget that; the final check judges the rest.
known_leaks() {
	[ $_KMEMLEAK_ON = 1 ] || return 0
	_kmemleak_scan || die "kmemleak=on, but a scan failed"
	note "known leak ($1): $(grep -c '^unreferenced object' "$_KMEMLEAK") unreferenced object(s)"
	grep -A3 '^unreferenced object' "$_KMEMLEAK" | head -8 | sed 's/^/#   /'
	echo clear >"$_KMEMLEAK" || die "kmemleak clear failed"
}

# --- transcript: what make check compares between the two drivers -------------------------------
# In a driver test (DRIVER set), every write through write_errno (file, data, errno) and run_errno
# (command, errno), after each successful write to add, remove, shared or save the state of every
# device (and at an add the new device's attribute files and modes and its disk's sysfs and queue
# values; "queue NAME unaligned ..." where the device's memory is not 2 MiB aligned, the DAX
# condition), and the kernel's dcssblk/extmem lines, in the order they happened: each event goes into
# the kernel log as a debug line (<7>: kept off the console), and _lib_exit prints the lot as
# "@@T ..." lines. tests/lib/transcript-diff compares a test's C and Rust transcripts; a line only
# one of them has must be one of README's "Differences from the C driver".
_T_TAG=dcsstest-transcript
_T_ON=0
[ -z "$DRIVER" ] || _T_ON=1
# Module names read DRIVER (the one under test) and OTHER, so that both runs' lines compare.
_T_DRIVER=$DRIVER
transcript() {
	[ $_T_ON = 1 ] && [ $_T_PAUSED = 0 ] || return 0
	local l=$* w rs=OTHER c=DRIVER
	[ "$_T_DRIVER" = dcssblk ] || { rs=DRIVER c=OTHER; }
	for w in "modprobe " "rmmod " "/sys/module/"; do l=${l//"${w}dcssblk_rs"/"$w$rs"}; l=${l//"${w}dcssblk"/"$w$c"}; done
	# /dev/kmsg takes at most ~1 KiB per write: a longer line goes through a file.
	if [ ${#l} -gt 900 ]; then
		local out=/tmp/.transcript-$BASHPID-${EPOCHREALTIME/./}-$((++_T_SEQ))
		printf '%s\n' "$l" >"$out" || die "cannot write $out"
		l="include $out"
	fi
	echo "<7>$_T_TAG: $l" >/dev/kmsg || die "cannot write the transcript to /dev/kmsg"
}
# transcript_pause / transcript_resume: what happens in between (a race: its order differs from run
# to run) is left out of the transcript, kernel lines included.
# Paused, nothing is recorded at all (workers started meanwhile inherit _T_PAUSED), so the
# snapshots cost the race no time.
_T_PAUSED=0
_T_SEQ=0
transcript_pause() { transcript pause; _T_PAUSED=1; }
# transcript_off: no transcript for this script at all (make fuzz: 100 000 inputs outgrow the
# kernel log; tools/fuzz compares digests instead), so no check that it kept its beginning.
transcript_off() { _T_ON=0; }
transcript_resume() { _T_PAUSED=0; transcript resume; }
# _transcript_values DIR LABEL: appends "LABEL FILE=VALUE" lines for the regular files of DIR to
# _T_OUT. I/O counters and uevent vary with what ran before; reading capability logs a
# deprecation warning.
_transcript_values() {
	local f v l
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		case ${f##*/} in stat | inflight | uevent | diskseq | capability) continue ;; esac
		l=()
		mapfile -t l <"$f" 2>/dev/null || l=("<unreadable>")
		printf -v v '%s,' "${l[@]}"
		_T_OUT+="$2 ${f##*/}=${v%,}"$'\n'
	done
}
# _dcss_aligned DEV: whether device DEV's memory (its lowest segment start to its highest end)
# starts and ends on 2 MiB, the drivers' condition for DAX.
_dcss_aligned() {
	local l seg lo= hi=
	_dcss_iomem
	mapfile -t l <"$SYSROOT/$1/seglist"
	for seg in "${l[@]}"; do
		[ -n "${_DCSS_START[$seg]:-}" ] || die "segment $seg of $1 is not in /proc/iomem"
		[ -n "$lo" ] && [ "$lo" -le "${_DCSS_START[$seg]}" ] || lo=${_DCSS_START[$seg]}
		[ -n "$hi" ] && [ "$hi" -ge "${_DCSS_END[$seg]}" ] || hi=${_DCSS_END[$seg]}
	done
	(( ((lo | (hi + 1)) & 0x1fffff) == 0 ))
}
# _transcript_state FILE DATA: after a successful write of DATA to FILE. The lines go to a file and
# the kernel log gets one line naming it (each /dev/kmsg write costs TCG time); bash builtins only,
# but for one find at an add.
_transcript_state() {
	[ $_T_ON = 1 ] && [ $_T_PAUSED = 0 ] || return 0
	case $1 in "$ADD" | "$REMOVE" | */shared | */save) ;; *) return 0 ;; esac
	local d f l v disk ro size sh sv out=/tmp/.transcript-$BASHPID-${EPOCHREALTIME/./}-$((++_T_SEQ))
	_T_OUT=
	if [ "$1" = "$ADD" ]; then
		d=${2%%[:$'\n']*}
		d=${d^^}
		mapfile -t l < <(find "$SYSROOT/$d" -mindepth 1 -maxdepth 1 -printf '%M %f\n')
		printf -v v '%s, ' "${l[@]}"
		_T_OUT+="files $d: ${v%, }"$'\n'
		if _disk_of "$d"; then
			_transcript_values "/sys/block/$REPLY" "disk $d"
			v=$REPLY
			if _dcss_aligned "$d"; then _transcript_values "/sys/block/$v/queue" "queue $d"
			else _transcript_values "/sys/block/$v/queue" "queue $d unaligned"; fi
		fi
	fi
	for f in "$SYSROOT"/*/seglist; do
		[ -f "$f" ] || continue
		d=${f%/seglist}
		d=${d##*/}
		mapfile -t l <"$f"
		printf -v v '%s,' "${l[@]}"
		read -r sh <"$SYSROOT/$d/shared" || sh=?
		read -r sv <"$SYSROOT/$d/save" || sv=?
		disk=none ro=? size=?
		! _disk_of "$d" || { disk=$REPLY; read -r ro <"/sys/block/$disk/ro"; read -r size <"/sys/block/$disk/size"; }
		_T_OUT+="state $d shared=$sh save=$sv seglist=${v%,} disk=$disk ro=$ro size=$size"$'\n'
	done
	printf '%s' "$_T_OUT" >"$out" || die "cannot write $out"
	transcript "include $out"
}
transcript begin

# --- final check -------------------------------------------------------------------------------
# Kernel reports that make a run fail even if every check passed (tools/vm checks the console too).
_BAD_KLOG='Oops|Kernel panic|kernel BUG|BUG:|WARNING:|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|list_(add|del) corruption|INFO: task .* blocked|Unable to handle kernel|rust_panic|panicked at|refcount_t: |UBSAN|KASAN|DEBUG_LOCKS_WARN_ON|general protection'
_lib_exit() {
	local rc=$? bad
	bad=$(dmesg | grep -E "$_BAD_KLOG" || true)
	if [ -n "$_DMESG_ALLOW" ] && [ -n "$bad" ]; then bad=$(echo "$bad" | grep -vE "$_DMESG_ALLOW" || true); fi
	if [ -n "$bad" ]; then
		_FAILED=$((_FAILED + 1))
		_say "not ok - kernel log reports a problem:"
		dmesg | sed 's/^/#   /' | tail -60
	fi
	if [ $_KMEMLEAK_ON = 1 ]; then
		if ! { _kmemleak_scan && bad=$(cat "$_KMEMLEAK"); }; then
			_FAILED=$((_FAILED + 1))
			_say "not ok - kmemleak=on, but its final scan failed"
			bad=
		fi
		if [ -n "$bad" ]; then
			_FAILED=$((_FAILED + 1))
			_say "not ok - kmemleak reports unreferenced objects:"
			echo "$bad" | sed 's/^/#   /' | head -80
		fi
	fi
	if [ $_T_ON = 1 ]; then
		# The transcript in order; a missing begin means the kernel log wrapped (tools/vm gives it
		# 1 MiB): then awk exits 1 and the script fails.
		dmesg | awk -v tag="$_T_TAG: " '
			{ sub(/^\[[^]]*\] /, "") }
			index($0, tag) == 1 { l = substr($0, length(tag) + 1)
				if (l == "begin") { began = 1; print "@@T begin" }
				else if (l == "pause") paused = 1
				else if (l == "resume") paused = 0
				else if (paused) ;
				else if (l ~ /^include /) { f = substr(l, 9); while ((getline x <f) > 0) print "@@T " x; close(f) }
				else print "@@T " l
				next }
			# The block layer rate-limits its I/O error lines by time: how many show varies.
			/^(Buffer )?I\/O error/ { next }
			# Lines the kernel prints about the module itself (a bad parameter) carry the module
			# name; those of dcssblk_rs get the prefix its own lines already share with C. The
			# out-of-tree taint line is about how the module was built, not what it does.
			/^dcssblk_rs: loading out-of-tree module taints kernel/ { next }
			{ sub(/^dcssblk_rs: /, "dcssblk: ") }
			!paused && (/^(dcssblk|extmem): / || /dcssblk[0-9]/) {
				# mkfs makes a new file system UUID every run
				gsub(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, "UUID")
				print "@@T klog " $0 }
			END { exit !began }' || { _FAILED=$((_FAILED + 1)); _say "not ok - the kernel log lost the transcript's beginning"; }
	fi
	if [ "$_N" -eq 0 ] && [ "$_FAILED" -eq 0 ]; then
		_FAILED=1
		_say "not ok - the script ran no check"
	fi
	if [ "$_FAILED" -gt 0 ]; then
		_say "# $_FAILED of $_N checks failed"
		[ "$rc" -ne 0 ] || rc=1
	else
		_say "# all $_N checks passed"
	fi
	exit "$rc"
}
trap _lib_exit EXIT
