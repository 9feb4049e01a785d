#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/bench's pps stage, briefly (2 s a variant, no other stage): pps.csv has the
# contract's header and a row per variant; a supported variant received packets (counted
# in the container), no more than were sent, with a per-core rate and a cost per packet
# that agree; an unsupported one says why in notes.csv; the sandbox is gone afterwards.
source "$(dirname "$0")/lib.sh"

BENCH_LIMIT=120 # seconds; about 30 for the three variants

if [ "$(id -u)" != 0 ]; then
	diag "the bench needs root"
	exit 1
fi
OUTDIR=$(mktemp -d /tmp/bpfnet-bench-pps-test.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT

diag "tools/bench --pps yes with every other stage off (at most ${BENCH_LIMIT}s)"
run_limited "$BENCH_LIMIT" "$OUTDIR/bench.log" "$REPO_DIR/tools/bench" --paths none --ports-scale none \
	--ct-rm none --reps 1 --pps yes --pps-duration 2 --out "$OUTDIR/out"
rc=$?
bench=$LIMITED_PID
if [ $rc = 0 ]; then
	ok "tools/bench --pps yes exits 0"
else
	not_ok "tools/bench --pps yes exits 0 (exit $rc)"
	diag "$(tail -n 30 "$OUTDIR/bench.log")"
fi

python3 - "$OUTDIR/out" >"$OUTDIR/verdicts" <<'PY'
import csv, os, sys
out = sys.argv[1]
head = "variant,rep,pps,busy_cores,pps_per_core,ns_per_packet,sent,received"
try:
    lines = open(os.path.join(out, "pps.csv")).read().splitlines()
    notes = list(csv.DictReader(open(os.path.join(out, "notes.csv"))))
except OSError as e:
    print(f"not ok\tpps.csv and notes.csv written ({e})")
    sys.exit(0)
print(("ok" if lines[:1] == [head] else "not ok") + f"\tpps.csv header is the contract's ({lines[:1]})")
rows = {r["variant"]: r for r in csv.DictReader(lines)}
supported = 0
for v in ("bpfnet-xdp", "bpfnet-tc", "iptables"):
    r = rows.get(v)
    if r is None:
        print(f"not ok\t{v}: no row")
        continue
    if r["pps"] == "unsupported":
        why = [n["reason"] for n in notes if n["variant"] == v and n["status"] == "unsupported"]
        print(("ok" if why and why[0] else "not ok") + f"\t{v}: unsupported, with a reason ({why})")
        continue
    try:
        pps, cores, ppc, ns = (float(r[k]) for k in ("pps", "busy_cores", "pps_per_core", "ns_per_packet"))
        sent, recv = int(r["sent"]), int(r["received"])
    except ValueError:
        print(f"not ok\t{v}: numbers in every column ({r})")
        continue
    bad = []
    if recv <= 0:
        bad.append("nothing received")
    if recv > sent:
        bad.append("received > sent")
    if not 0 < cores <= 1.05:  # two threads on one CPU: at most that CPU
        bad.append(f"busy_cores {cores} not in (0, 1]")
    if ppc <= 0 or ns <= 0 or abs(ppc * ns / 1e9 - 1) > 0.01:
        bad.append(f"pps_per_core {ppc} and ns_per_packet {ns} disagree")
    if ppc < pps:  # received / busy seconds >= received / seconds when busy <= 1 core
        bad.append(f"pps_per_core {ppc} below pps {pps}")
    supported += not bad
    print(("not ok" if bad else "ok") + f"\t{v}: {recv} of {sent} received, {ppc:.0f} pps per core"
          + (": " + "; ".join(bad) if bad else ""))
# tc and iptables need nothing this kernel lacks: at least one must give numbers
print(("ok" if supported else "not ok") + f"\tat least one variant measured ({supported})")
PY
while IFS=$'\t' read -r verdict text; do
	if [ "$verdict" = ok ]; then ok "$text"; else not_ok "$text"; fi
done <"$OUTDIR/verdicts"

left=$(ip netns list | awk '{print $1}' | grep "^bnb$bench-")
tmpdir=$(sed -n 's/^# sandbox:.*temp dir \([^ ,]*\).*/\1/p' "$OUTDIR/bench.log")
[ -n "$tmpdir" ] && [ -e "$tmpdir" ] && left="$left $tmpdir"
if [ -z "$left" ] && [ -n "$tmpdir" ]; then
	ok "nothing left behind (netns, temp dir)"
else
	not_ok "nothing left behind: ${left:-the bench did not say what its sandbox was}"
fi
if pgrep -f "$REPO_DIR/build/tools/pps (gen|sink)" >/dev/null; then
	not_ok "no pps process left"
else
	ok "no pps process left"
fi

done_testing
