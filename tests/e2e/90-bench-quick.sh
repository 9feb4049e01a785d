#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/bench --quick on floor, routed, bpfnet-l3, bridge-iptables, nftables and docker
# (the real dockerd: where docker.io is not installed, an "unsupported" line): every
# requested variant gives numbers for each path and scale metric it supports (what
# it does not support is reported as "unsupported" with a reason, and is no
# failure), the report and plots are written, and the host is left as it was:
# no netns, mount, link, cgroup, iptables/nftables rule or /sys/fs/bpf pin.
source "$(dirname "$0")/lib.sh"

VARIANTS=floor,routed,bpfnet-l3,bridge-iptables,nftables,docker
BENCH_LIMIT=360 # seconds; --quick takes about three minutes for these six

if [ "$(id -u)" != 0 ]; then
	diag "the bench needs root"
	exit 1
fi
OUTDIR=$(mktemp -d /tmp/bpfnet-bench-test.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT

# host_state: what the bench must leave as it was in the root netns and the host
host_state() {
	echo "== links"
	ip -o link show | awk -F': ' '{print $2}' | sort
	echo "== /sys/fs/bpf"
	ls -R /sys/fs/bpf 2>/dev/null
	local t
	for t in iptables-legacy-save iptables-nft-save; do
		echo "== $t"
		command -v $t >/dev/null && $t 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
	done
	echo "== nft"
	command -v nft >/dev/null && nft list ruleset 2>/dev/null
	return 0
}

host_state >"$OUTDIR/before"
diag "tools/bench --quick --only $VARIANTS (at most ${BENCH_LIMIT}s)"
start=$SECONDS
# its pid (LIMITED_PID) names the netns it makes
run_limited "$BENCH_LIMIT" "$OUTDIR/bench.log" "$REPO_DIR/tools/bench" --quick --only "$VARIANTS" --out "$OUTDIR/out"
rc=$?
bench=$LIMITED_PID
if [ $rc = 0 ]; then
	ok "tools/bench --quick exits 0 ($((SECONDS - start)) s)"
else
	not_ok "tools/bench --quick exits 0 (exit $rc after $((SECONDS - start)) s)"
	diag "$(tail -n 40 "$OUTDIR/bench.log")"
fi

# one TAP line per variant: its numbers, or why it has none
python3 - "$OUTDIR/out" "$VARIANTS" >"$OUTDIR/verdicts" <<'PY'
import csv, os, re, sys
out, variants = sys.argv[1], sys.argv[2].split(",")
try:  # "... ahead of the 2 measured ones": mappings at N are N + that
    measured = int(re.search(r"ahead of the (\d+) measured", open(os.path.join(out, "conditions.txt")).read())[1])
except (OSError, TypeError):
    measured = None
path_metrics = ["tcp1_gbps", "tcp2_gbps", "rr_p50_us", "rr_p99_us", "conn_per_s",
                "udp_frag_loss_pct", "udp_frag_mbps"]
scale_metrics = ["install_ms", "mappings", "conn_per_s", "publish_one_ms"]
try:
    rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
    notes = list(csv.DictReader(open(os.path.join(out, "notes.csv"))))
except OSError as e:
    for v in variants:
        print(f"not ok\t{v}: no results ({e})")
    sys.exit(0)
for v in variants:
    mine = {(r["section"], r["path"], r["ports"], r["metric"]): r for r in rows if r["variant"] == v}
    why = sorted({n["reason"] for n in notes if n["variant"] == v and n["status"] == "unsupported"})
    paths = ["c2c", "local", "hairpin"] if v == "floor" else ["c2c", "ingress", "egress", "local", "hairpin"]
    wanted = [("paths", p, "0", m) for p in paths for m in path_metrics
              # docker-proxy answers UDP from the wrong address (moby/libnetwork#1729)
              if not (v == "docker" and p == "hairpin" and m.startswith("udp_"))]
    if v != "floor":
        wanted += [("scale", "ingress", n, m) for n in sorted({k[2] for k in mine if k[0] == "scale"})
                   for m in scale_metrics]
        if not any(k[0] == "scale" for k in mine):
            wanted.append(("scale", "ingress", "1000", "install_ms"))
    got, unsup, bad = 0, 0, []
    for k in wanted:
        r = mine.get(k)
        if r is None:
            bad.append("/".join(k) + ": missing")
        elif r["status"] == "unsupported":
            unsup += 1
        elif r["status"] != "ok" or not r["median"]:
            bad.append("/".join(k) + ": " + r["status"])
        elif k[3] == "mappings" and (measured is None or float(r["median"]) != int(k[2]) + measured):
            bad.append("/".join(k) + f": {r['median']} mappings, expected N + {measured}")
        else:
            got += 1
    if bad:
        print(f"not ok\t{v}: {got} numbers, problems: " + "; ".join(bad[:8]))
    elif got == 0:
        print(f"ok\t{v}: unsupported here ({'; '.join(why)})")
    else:
        extra = f", {unsup} unsupported ({'; '.join(why)})" if unsup else ""
        print(f"ok\t{v}: {got} numbers{extra}")
PY
while IFS=$'\t' read -r verdict text; do
	if [ "$verdict" = ok ]; then ok "$text"; else not_ok "$text"; fi
done <"$OUTDIR/verdicts"

missing=""
for f in summary.md summary.csv raw.csv conditions.txt commands.log; do
	[ -s "$OUTDIR/out/$f" ] || missing="$missing $f"
done
if [ -z "$missing" ]; then ok "report files written"; else not_ok "report files missing:$missing"; fi

if command -v gnuplot >/dev/null; then
	missing=""
	for f in throughput latency connrate udp-frag scale-connrate scale-install; do
		for e in png svg; do [ -s "$OUTDIR/out/plots/$f.$e" ] || missing="$missing $f.$e"; done
	done
	if [ -z "$missing" ]; then ok "plots drawn"; else not_ok "plots missing:$missing"; fi
else
	skip_test "plots drawn" "gnuplot is not installed"
fi

# what this run made: "# sandbox: netns bnbPID-*, temp dir /run/..., cgroup ..."
sandbox=$(grep -m1 '^# sandbox:' "$OUTDIR/bench.log")
tmpdir=$(sed -n 's/.*temp dir \([^ ,]*\).*/\1/p' <<<"$sandbox")
cgroup=$(sed -n 's/.*cgroup \([^ ,]*\).*/\1/p' <<<"$sandbox")
host_state >"$OUTDIR/after"
diff -u "$OUTDIR/before" "$OUTDIR/after" >"$OUTDIR/diff"
ip netns list | awk '{print $1}' | grep "^bnb$bench-" >>"$OUTDIR/diff"
[ -n "$tmpdir" ] && { [ -e "$tmpdir" ] && echo "left: $tmpdir"; grep -F "$tmpdir" /proc/mounts; } >>"$OUTDIR/diff"
[ -n "$cgroup" ] && [ -e "$cgroup" ] && echo "left: $cgroup" >>"$OUTDIR/diff"
if [ -n "$sandbox" ] && [ ! -s "$OUTDIR/diff" ]; then
	ok "nothing left behind (netns, mounts, temp dir, cgroup, links, pins, root-netns rules)"
else
	not_ok "nothing left behind"
	[ -n "$sandbox" ] || diag "the bench did not say what its sandbox was"
	diag_file "$OUTDIR/diff"
fi

done_testing
