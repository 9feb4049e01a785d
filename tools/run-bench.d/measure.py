#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""run-bench's timing loop and report.

measure.py --variants FILE --rounds N --warmup N --out DIR [--floor NAME]

FILE: one variant a line, "NAME<TAB>DESCRIPTION<TAB>ARGV as JSON". Each round runs every
variant once, in the file's order (interleaved, so that the machine's load of the moment
falls on all of them alike); a sample is fork+exec of the command to its exit, timed with
CLOCK_MONOTONIC (perf_counter_ns). A command that exits non-zero is a failure, counted and
not timed. Writes DIR/raw.csv (every sample), DIR/summary.csv and DIR/summary.md (printed).
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import time


def pct(sorted_ms, p):
    """The p-th percentile, nearest rank (p99 of 200 samples is the 198th)."""
    if not sorted_ms:
        return float("nan")
    k = max(0, min(len(sorted_ms) - 1, -(-p * len(sorted_ms) // 100) - 1))
    return sorted_ms[k]


def run_once(argv, errf):
    t0 = time.perf_counter_ns()
    rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errf)
    return (time.perf_counter_ns() - t0) / 1e6, rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", required=True)
    ap.add_argument("--rounds", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--floor", default="floor")
    a = ap.parse_args()
    variants = []
    for line in open(a.variants):
        name, desc, argv = line.rstrip("\n").split("\t")
        variants.append((name, desc, json.loads(argv)))
    samples = {v[0]: [] for v in variants}
    fails = {v[0]: 0 for v in variants}
    with open(os.path.join(a.out, "errors.log"), "a") as errf:
        for _ in range(a.warmup):
            for name, _, argv in variants:
                run_once(argv, errf)
        with open(os.path.join(a.out, "raw.csv"), "w", newline="") as raw:
            w = csv.writer(raw)
            w.writerow(["round", "variant", "ms", "exit"])
            for r in range(a.rounds):
                for name, _, argv in variants:
                    ms, rc = run_once(argv, errf)
                    w.writerow([r, name, f"{ms:.3f}", rc])
                    if rc == 0:
                        samples[name].append(ms)
                    else:
                        fails[name] += 1
                if (r + 1) % 50 == 0:
                    print(f"  round {r + 1}/{a.rounds}", file=sys.stderr)
    floor = sorted(samples.get(a.floor, []))
    f50, f99 = pct(floor, 50), pct(floor, 99)
    rows = []
    for name, desc, argv in variants:
        s = sorted(samples[name])
        rows.append(dict(variant=name, what=desc, n=len(s), failed=fails[name],
                         min=s[0] if s else float("nan"), p50=pct(s, 50), p99=pct(s, 99),
                         max=s[-1] if s else float("nan"),
                         p50_x_floor=pct(s, 50) / f50 if floor else float("nan"),
                         p99_x_floor=pct(s, 99) / f99 if floor else float("nan")))
    with open(os.path.join(a.out, "summary.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})
    md = ["| variant | command | n | failed | min ms | p50 ms | p99 ms | max ms | p50 / floor | p99 / floor |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        md.append(f"| {r['variant']} | {r['what']} | {r['n']} | {r['failed']} | {r['min']:.2f} | "
                  f"{r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r['p50_x_floor']:.1f}x | "
                  f"{r['p99_x_floor']:.1f}x |")
    text = "\n".join(md) + "\n"
    open(os.path.join(a.out, "summary.md"), "w").write(text)
    print(text, end="")
    return 1 if any(fails.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
