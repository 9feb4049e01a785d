#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/cni-bench's report: p50/p99 of ADD and DEL per chain and endpoint count.

  report.py --out DIR --variants V1,V2 --baseline ref

Reads DIR/raw.csv (variant,endpoints,op,sample,ms), writes DIR/summary.md (also
printed) and DIR/summary.csv. Ratios divide a chain's median by the baseline
chain's at the same endpoint count, from the same run.
"""
import argparse
import csv
import os
from collections import defaultdict

TITLES = {"bpfnet": "bpfnet-cni", "ref": "bridge + host-local + portmap"}


def pct(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def load(path):
    data = defaultdict(list)   # (variant, endpoints, op) -> [ms]
    with open(path) as f:
        for row in csv.DictReader(f):
            data[(row["variant"], int(row["endpoints"]), row["op"])].append(float(row["ms"]))
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", required=True)
    ap.add_argument("--baseline", default="ref")
    ap.add_argument("--target-ms", type=float, default=20.0)
    o = ap.parse_args()
    variants = o.variants.split(",")
    data = load(os.path.join(o.out, "raw.csv"))
    counts = sorted({k[1] for k in data})
    lines = ["# CNI ADD/DEL latency through the plugin binaries", "",
             "Each ADD/DEL: the plugins of the chain exec'd as libcni does (a fresh netns per",
             "container, one port mapping per ADD), timed from the first plugin's exec to the",
             "last one's exit, in ms. Ratio: the chain's p50 over the p50 of %s" % TITLES.get(o.baseline, o.baseline),
             "at the same endpoint count, in the same run.", "",
             "| chain | endpoints on the node | n | ADD p50 | ADD p99 | DEL p50 | DEL p99 | ADD p50 ratio | DEL p50 ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    rows = []
    for v in variants:
        for n in counts:
            add, dele = data.get((v, n, "ADD")), data.get((v, n, "DEL"))
            if not add:
                continue
            base_add = data.get((o.baseline, n, "ADD"))
            base_del = data.get((o.baseline, n, "DEL"))
            r = {"chain": v, "endpoints": n, "n": len(add),
                 "add_p50": pct(add, 50), "add_p99": pct(add, 99),
                 "del_p50": pct(dele, 50) if dele else None, "del_p99": pct(dele, 99) if dele else None}
            r["add_ratio"] = r["add_p50"] / pct(base_add, 50) if base_add and v != o.baseline else None
            r["del_ratio"] = (r["del_p50"] / pct(base_del, 50)
                              if base_del and dele and v != o.baseline else None)
            rows.append(r)
            f = lambda x, spec="%.1f": "–" if x is None else spec % x  # noqa: E731
            lines.append("| %s | %d | %d | %s | %s | %s | %s | %s | %s |" % (
                TITLES.get(v, v), n, r["n"], f(r["add_p50"]), f(r["add_p99"]), f(r["del_p50"]),
                f(r["del_p99"]), f(r["add_ratio"], "%.2f"), f(r["del_ratio"], "%.2f")))
    lines.append("")
    lines += per_plugin(data, variants, counts)
    lines += verdict(rows, variants, o)
    text = "\n".join(lines) + "\n"
    with open(os.path.join(o.out, "summary.md"), "w") as f:
        f.write(text)
    with open(os.path.join(o.out, "summary.csv"), "w") as f:
        w = csv.DictWriter(f, fieldnames=["chain", "endpoints", "n", "add_p50", "add_p99",
                                          "del_p50", "del_p99", "add_ratio", "del_ratio"])
        w.writeheader()
        w.writerows(rows)
    print(text, end="")


def per_plugin(data, variants, counts):
    """Where a chain's ADD time goes: p50 of each plugin's own run."""
    out = []
    for v in variants:
        ops = sorted({k[2] for k in data if k[0] == v and k[2].startswith("ADD:")})
        if len(ops) < 2:
            continue
        out.append("ADD p50 by plugin, %s: " % TITLES.get(v, v) + "; ".join(
            "%d endpoints: %s" % (n, ", ".join("%s %.1f" % (op[4:], pct(data[(v, n, op)], 50))
                                              for op in ops if data.get((v, n, op))))
            for n in counts))
        out.append("")
    return out


def verdict(rows, variants, o):
    """The issue's target: ADD p50 under target-ms at the largest count, flat in the count."""
    out = []
    for v in variants:
        if v == o.baseline:
            continue
        mine = [r for r in rows if r["chain"] == v]
        if len(mine) < 1:
            continue
        lo, hi = mine[0], mine[-1]
        out.append("%s: ADD p50 %.1f ms at %d endpoints (target < %.0f ms: %s); %.1f ms at %d: "
                   "%.2fx from %d to %d endpoints." % (
                       TITLES.get(v, v), hi["add_p50"], hi["endpoints"], o.target_ms,
                       "met" if hi["add_p50"] < o.target_ms else "NOT met", lo["add_p50"],
                       lo["endpoints"], hi["add_p50"] / lo["add_p50"], lo["endpoints"],
                       hi["endpoints"]))
    return out


if __name__ == "__main__":
    main()
