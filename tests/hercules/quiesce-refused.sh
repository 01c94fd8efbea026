# tools/vm ends a Hercules guest whatever the guest does after its exit line. Hercules answers
# SIGTERM by asking the guest to quiesce (an SCLP event; Linux then reboots into a disabled wait)
# and waits until every CPU has stopped. A guest that never does (here: ctrl-alt-del off, so the
# event only sends init a SIGINT, which init ignores) is ended by the KILL after it, which must
# reach Hercules itself: killing only timeout(1), Hercules' parent, left Hercules running with
# the console pipe open and tools/vm waiting for it until the test's hour ran out (CI,
# 2026-12-08, tests/hercules/mixed-share).
set -euo pipefail
. "$TOP/tools/lib.sh"
plain_kernel
printf '%s\n' 'echo 0 >/proc/sys/kernel/ctrl-alt-del' 'echo "ctrl-alt-del=$(cat /proc/sys/kernel/ctrl-alt-del)"' \
	'echo "@@DCSSTEST-EXIT 0@@"' 'sleep 1000' >"$T/linger"
mkdir -p "$T/pids"
# hercules_alive: the guest's Hercules still runs (a zombie, killed but not yet reaped by init
# after its parent died first, does not; nor does another process that got its pid since)
hercules_alive() {
	local pid state
	pid=$(cat "$T/pids/g0.pid" 2>/dev/null) || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = hercules ] || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "$state" != Z ]
}
# whatever fails below, no Hercules of this test outlives it
trap '! hercules_alive || kill -KILL "$(cat "$T/pids/g0.pid")"' EXIT
start=$SECONDS
rc=0
timeout "$(scaled 300)" "$VM" run --emulator hercules --timeout 240 --pid-dir "$T/pids" "$T/linger" >"$T/out" 2>&1 || rc=$?
took=$((SECONDS - start))
cat "$T/out"
[ "$rc" != 124 ] || { echo "FAIL: tools/vm still waited for Hercules after $(scaled 300) s"; exit 1; }
[ "$rc" = 0 ] || { echo "FAIL: tools/vm exited $rc for a guest whose script reported 0"; exit 1; }
# The premise: the guest turned ctrl-alt-del off and did not quiesce (no restart on the console).
grep -q 'ctrl-alt-del=0' "$T/out" || { echo "FAIL: the guest did not turn ctrl-alt-del off"; exit 1; }
! grep -q 'reboot: Restarting system' "$T/out" || { echo "FAIL: the guest quiesced: nothing tested"; exit 1; }
! hercules_alive || { echo "FAIL: Hercules (pid $(cat "$T/pids/g0.pid")) outlived tools/vm"; exit 1; }
# The boot takes 10-30 s; the watcher's TERM and KILL 13 s more. The guest's own timeout (240 s)
# must not be what ended it.
[ "$took" -lt "$(scaled 200)" ] || { echo "FAIL: tools/vm took $took s: the guest's timeout ended it, not its exit line"; exit 1; }
echo "ok - a Hercules guest that refuses to quiesce after its exit line ends in $took s, Hercules with it"
# Without its exit line the guest's timeout ends it, and tools/vm reports a timeout. (timeout sends
# Hercules TERM twice, which ends its wait for the quiesce: here it exits within timeout's 15 s;
# when it does not, timeout's KILL of its group ends timeout too, status 137, which tools/vm
# also reports as the timeout it is.)
printf '%s\n' 'echo 0 >/proc/sys/kernel/ctrl-alt-del' 'sleep 1000' >"$T/hang"
if "$VM" run --emulator hercules --timeout 40 "$T/hang" >"$T/out" 2>&1; then cat "$T/out"; echo "FAIL: a hanging guest passed"; exit 1; fi
grep -q 'timed out after' "$T/out" || { cat "$T/out"; echo "FAIL: a hanging Hercules guest was not reported as timed out"; exit 1; }
echo "ok - a Hercules guest that hangs and refuses to quiesce is reported as timed out"
