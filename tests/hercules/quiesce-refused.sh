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
printf '%s\n' 'echo 0 >/proc/sys/kernel/ctrl-alt-del' 'echo "@@DCSSTEST-EXIT 0@@"' 'sleep 1000' >"$T/linger"
mkdir -p "$T/pids"
start=$SECONDS
rc=0
timeout "$(scaled 300)" "$VM" run --emulator hercules --timeout 240 --pid-dir "$T/pids" "$T/linger" >"$T/out" 2>&1 || rc=$?
took=$((SECONDS - start))
cat "$T/out"
[ "$rc" != 124 ] || { echo "FAIL: tools/vm still waited for Hercules after $(scaled 300) s"; exit 1; }
[ "$rc" = 0 ] || { echo "FAIL: tools/vm exited $rc for a guest whose script reported 0"; exit 1; }
hercules=$(cat "$T/pids/g0.pid")
# (killed, its parent gone before it, Hercules may stay a zombie until init reaps it: dead)
state=$(awk '{ print $3 }' "/proc/$hercules/stat" 2>/dev/null) || state=gone
[ "$state" = gone ] || [ "$state" = Z ] || { kill -KILL "$hercules"; echo "FAIL: Hercules (pid $hercules) outlived tools/vm"; exit 1; }
# The boot takes 10-30 s; the watcher's TERM and KILL 13 s more. The guest's own timeout (240 s)
# must not be what ended it.
[ "$took" -lt "$(scaled 200)" ] || { echo "FAIL: tools/vm took $took s: the guest's timeout ended it, not its exit line"; exit 1; }
echo "ok - a Hercules guest that refuses to quiesce after its exit line ends in $took s, Hercules with it"
