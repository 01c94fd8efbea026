# shellcheck shell=bash
# make paper's workloads: their documents, how the programs are started, and how their memory is
# counted. Sourced by the fleet guests' agent (/etc/fleet/agent) and by tools/paper-host-ceiling,
# which runs the same programs on the x86 host, so that both load the same bytes the same way.
# Sourcing it writes the documents into FLEET_DOC (default /var/tmp/fleet).

# resident PROGRAM...: the processes' resident memory by mapping mode, summed over /proc/PID/smaps
# (paper Table 4): ro_kib in mappings without "w" (text, read-only data: what a DCSS can share),
# rw_kib in writable ones.
resident() {
	local pids
	pids=$(pgrep -d ' ' -f "$(printf '%s|' "$@" | sed 's/|$//')") || { echo "ro_kib=0 rw_kib=0"; return; }
	for p in $pids; do cat "/proc/$p/smaps" 2>/dev/null || true; done | awk '
		/^[0-9a-f]+-[0-9a-f]+ / { w = (substr($2, 2, 1) == "w") }
		$1 == "Rss:" { if (w) rw += $2; else ro += $2 }
		END { printf "ro_kib=%d rw_kib=%d\n", ro, rw }'
}
# ticks PATTERN: CPU time (utime + stime, in clock ticks) of the processes matching PATTERN
# (fields 14 and 15 of /proc/PID/stat, counted after the command name, which may hold spaces)
ticks() { local p s=0; for p in $(pgrep -f "$1"); do s=$((s + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $s; }
# idle PATTERN MAX: waits until processes matching PATTERN used less than 1 % of a CPU over 10 s
# (a program that has finished starting), at most MAX seconds: 0 idle, 1 still busy, 2 no such
# process any more (it exited or died: nothing left to wait for; also one not yet started 10 s
# after the call, so start the program first).
idle() {
	local end=$((SECONDS + $2)) a b
	a=$(ticks "$1")
	while [ $SECONDS -lt $end ]; do
		sleep 10
		pgrep -f "$1" >/dev/null || return 2
		b=$(ticks "$1")
		[ $((b - a)) -ge 10 ] || return 0
		a=$b
	done
	return 1
}
# The documents: a page for the browser, a spreadsheet for the office suite (made here: the same
# bytes in every configuration and on the host).
doc=${FLEET_DOC:-/var/tmp/fleet}
mkdir -p "$doc"
{
	echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>fleet</title></head><body><h1>fleet</h1>'
	for i in $(seq 200); do echo "<p>Paragraph $i of the page every fleet guest loads: <b>text</b>, <i>styles</i>, a <a href=\"#p$i\">link</a>.</p>"; done
	echo '</body></html>'
} >"$doc/page.html"
for i in $(seq 500); do echo "$i,item $i,$((i * 7 % 101)),=A$i*C$i"; done >"$doc/sheet.csv"
firefox() { firefox-esr --headless --no-remote --profile "$doc/profile" "$@"; }
office() { soffice --headless --norestore --nologo --nodefault "$@"; }
# office_open DOCUMENT: a LibreOffice that keeps running with DOCUMENT open (office-open.py);
# waits for it at most 1800 s (its first start, 8 emulated guests on 2 cores). Its UNO pipe is
# this shell's own.
office_open() {
	office --accept="pipe,name=fleet-$$;urp;" </dev/null >/dev/null 2>&1 &
	/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/office-open.py" "fleet-$$" 1800 "$1"
}
