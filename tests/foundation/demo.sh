# make demo, the project's main job, as a user sees it: it ends with its success line, and every
# step the guests announce (the "say" lines of tools/demo-guests) is on the screen, in order,
# followed by its evidence (a filter once dropped them and left blank lines).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
"$TOP/tools/demo" >"$T/out" 2>&1 || { cat "$T/out"; fail "make demo failed"; }
cat "$T/out"
grep -q '^demo finished: both guests ran programs from one shared DCSS$' "$T/out" || fail "no success line"
steps=$(sed -n 's/^say "\(.*\)"$/\1/p' "$TOP/tools/demo-guests/build.guest")
[ "$(echo "$steps" | grep -c .)" -ge 4 ] || fail "found no steps in build.guest"
shown=$(sed -n 's/^### //p' "$T/out")
[ "$(echo "$shown" | grep -Fxf <(echo "$steps"))" = "$steps" ] || fail "build steps missing or out of order: want '$steps', shown '$shown'"
for s in "mount -o dax,ro" "statx says the file is DAX" "chroot /mnt /bin/bash"; do
	[ "$(grep -c "^\[g[01]\] ### $s" "$T/out")" = 2 ] || fail "step '$s' not shown for both guests"
done
[ "$(grep -cE '^g[01]: segment Rss [0-9]+ KiB, Pss [0-9]+ KiB$' "$T/out")" = 2 ] || fail "no host-side Rss/Pss line for each guest"
echo "ok make demo shows its $(echo "$steps" | grep -c .) build steps and both guests' steps, and finishes"
