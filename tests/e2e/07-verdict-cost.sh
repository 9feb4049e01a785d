#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/verdict-cost, briefly: every verdict class of every program gives a
# number and the CSV of the bench's contract (hook,program,verdict,ns,ns_min,
# ns_max,samples,method), each sample having returned its expected verdict
# (the tool checks every one and exits non-zero otherwise); its checks do
# fail when a verdict is not the expected one; hostile options are refused.
# The tool makes a netns of its own and leaves nothing behind.
source "$(dirname "$0")/lib.sh"

VC=$REPO_DIR/build/tools/verdict-cost
[ -x "$VC" ] || bail "$VC is missing: run make"
TMP=$(mktemp -d /tmp/bpfnet-verdicts.XXXXXX) || bail "mktemp"
trap 'rm -rf "$TMP"' EXIT
SAMPLES=30 BATCHES=3 REPEAT=200
BRIEF=(--samples "$SAMPLES" --batches "$BATCHES" --repeat "$REPEAT")

check "a brief run passes every check and writes the CSV" \
	"$VC" "${BRIEF[@]}" --csv "$TMP/v.csv"

# shellcheck disable=SC2317 # called through check
# every row: hook,program,verdict once; numbers; min <= median <= max; samples; method
check_csv() {
	python3 - "$1" "$SAMPLES" "$BATCHES" <<'EOF'
import csv, sys
path, samples, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
want = {
    ("tc", "from_uplink"): ["not_ours", "dropped", "portmap_new", "dnat_established"],
    ("xdp", "xdp_from_uplink"): ["not_ours", "dropped", "portmap_new", "dnat_established"],
    ("tc", "from_container"): ["reply_reverse_nat", "masq_new", "masq_established",
                               "routed_local", "arp_answered", "bridge_switched", "flooded"],
}
repeat_ok = {"not_ours", "dropped", "bridge_switched", "flooded"}
with open(path) as f:
    rows = list(csv.reader(f))
header = "hook,program,verdict,ns,ns_min,ns_max,samples,method".split(",")
if rows[0] != header:
    sys.exit(f"header {rows[0]}, expected {header}")
seen, bad = {}, []
for r in rows[1:]:
    if len(r) != len(header):
        bad.append(f"row of {len(r)} fields: {r}")
        continue
    d = dict(zip(header, r))
    key = (d["hook"], d["program"], d["verdict"])
    if d["verdict"] == "empty_program":
        key += (d["method"].split(" ")[0],)
    if key in seen:
        bad.append(f"{key} twice")
    seen[key] = d
    try:
        ns, lo, hi = float(d["ns"]), float(d["ns_min"]), float(d["ns_max"])
    except ValueError:
        bad.append(f"{key}: not numbers: {d['ns']} {d['ns_min']} {d['ns_max']}")
        continue
    if not lo <= ns <= hi:
        bad.append(f"{key}: not min <= median <= max: {lo} {ns} {hi}")
    repeat = d["method"].startswith("repeat=")
    if not repeat and not d["method"].startswith("fresh"):
        bad.append(f"{key}: method '{d['method']}'")
    if int(d["samples"]) != (batches if repeat else samples):
        bad.append(f"{key}: {d['samples']} samples")
    if d["verdict"] in repeat_ok and not repeat:
        bad.append(f"{key}: measured fresh, expected repeat")
    if d["verdict"] not in repeat_ok | {"empty_program"} and repeat:
        bad.append(f"{key}: the program changes packet or state, but measured by repeat")
for (hook, prog), verdicts in want.items():
    for v in verdicts:
        if (hook, prog, v) not in seen:
            bad.append(f"no row for {hook} {prog} {v}")
for hook in ("tc", "xdp"):
    for m in ("repeat=200", "fresh"):
        if (hook, "empty", "empty_program", m) not in seen:
            bad.append(f"no empty_program baseline for {hook} {m}")
if bad:
    sys.exit("\n".join(bad))
EOF
}
check "every verdict class of every program has a row of numbers, measured the honest way" \
	check_csv "$TMP/v.csv"

for v in portmap_new flooded; do  # one fresh-measured, one repeat-measured
	rm -f "$TMP/w.csv"
	check_fails "a run expecting another verdict of $v fails" \
		"$VC" --samples 2 --batches 1 --repeat 10 --wrong-verdict "$v" --csv "$TMP/w.csv"
	result "$([ ! -e "$TMP/w.csv" ]; echo $?)" "  and writes no CSV"
done

check_fails "--samples 0 is refused" "$VC" --samples 0
check_fails "--repeat x is refused" "$VC" --repeat x
check_fails "--wrong-verdict of no class is refused" "$VC" --wrong-verdict nope
check_fails "a stray argument is refused" "$VC" stray
check_fails "--csv into a missing directory fails" \
	"$VC" "${BRIEF[@]}" --csv "$TMP/missing/v.csv"

done_testing
