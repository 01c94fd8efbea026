# Segment-type rules of a multi-segment device (spec section 2, dcssblk_is_continuous): the DCSSs of
# one device must all have the same type, or all be exclusive-writable (EW, EN, and the multi-range
# EW/EN-MIXED), ER excluded; anything else is EINVAL ("... have incompatible types"). The rule is
# symmetric, so every unordered pair of the eight types (each type with itself included) is tried,
# as two adjacent DCSSs T<i><j>A (type i) and T<i><j>B (type j), i <= j. The device is read-only
# iff its first DCSS is SR, ER or SC (while shared).
set -euo pipefail
NO_KMEMLEAK="36 adds and removes of the paths add-multi leak-checks"
. tests/lib/host.sh
types="SW EW SR ER SN EN SC MIX"
page=$((0x60000))
i=0
for a in $types; do
	j=0
	for b in $types; do
		[ $j -ge $i ] || { j=$((j + 1)); continue; }
		for half in "A $a" "B $b"; do
			set -- $half
			s=$(printf '%X' $page) m=$(printf '%X' $((page + 0x7F))) n=$(printf '%X' $((page + 0x80)))
			e=$(printf '%X' $((page + 0xFF)))
			if [ "$2" = MIX ]; then defseg "T$i$j$1" "$s-$m" EW "$n-$e" EN; else defseg "T$i$j$1" "$s-$e" "$2"; fi
			page=$((page + 0x100))
		done
		j=$((j + 1))
	done
	i=$((i + 1))
done
vm --timeout 1800 --env TYPES="$types" tests/driver/type-rules.guest
