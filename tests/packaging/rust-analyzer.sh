# make rust-analyzer (issue 10, item 5): the kernel's generator writes rust-project.json for the
# module against the kernel tree it builds with; the file names dcssblk_rs.rs as a crate root that
# depends on the kernel crate, whose root is the kernel source's rust/kernel/lib.rs.
set -euo pipefail
. "$TOP/tools/lib.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -f "$TOP/rust-project.json"
make_checkout rust-analyzer >"$T/log" 2>&1 || { cat "$T/log"; fail "make rust-analyzer failed"; }
[ -s "$TOP/rust-project.json" ] || fail "make rust-analyzer wrote no rust-project.json"
python3 - "$TOP/rust-project.json" "$TOP" <<'EOPY' || fail "rust-project.json does not describe the module"
import json, os, sys
p = json.load(open(sys.argv[1]))
top = sys.argv[2]
crates = p["crates"]
mod = [c for c in crates if os.path.realpath(c["root_module"]) == os.path.realpath(os.path.join(top, "dcssblk_rs.rs"))]
assert mod, "no crate with root_module dcssblk_rs.rs"
deps = {d["name"] for d in mod[0]["deps"]}
assert "kernel" in deps, "the module crate does not depend on kernel: %s" % deps
kernel = crates[[d["crate"] for d in mod[0]["deps"] if d["name"] == "kernel"][0]]
assert kernel["root_module"].endswith("rust/kernel/lib.rs") and os.path.exists(kernel["root_module"]), kernel["root_module"]
print("ok crate %s (root %s) depends on kernel at %s" % (mod[0].get("display_name"), mod[0]["root_module"], kernel["root_module"]))
EOPY
