#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/soak: summary.md from the run's files; exit 1 when something leaked or failed.

    report.py OUT CYCLES CONNS CYCLE_FAILS KMEM_CHECK LEAK_TESTS

Exact accounts (links, netns, pins, state files, objects, map entries) must
be equal before the cycles, after them, and after the connections and a
conntrack flush. Kernel memory is machine-wide and the machine is shared: it
is judged with a tolerance (KMEM_FIXED_KB plus KMEM_PER_CYCLE_KB a cycle, on
the change less the other BPF maps of the machine), and by its trend over the
cycles, which a leak makes a line and noise does not.
"""
import csv
import os
import re
import sys

# Counters grow by design; the rest must come back. ep_stats (an array by endpoint id) is
# judged by its slots instead: those not zero must be of live endpoints.
COUNTER_MAPS = {"drop_stats", "global_stats", "cp_stats"}
PER_ENDPOINT_MAPS = {"ep_stats"}
# A cycle leaking one veth pair and its netns would cost well over 30 KiB (the netns
# object alone is 4 KiB of slab, its devices, sysctl tables and per-CPU stats more); the
# fixed part covers slab caches growing to the working set and other users' noise.
KMEM_PER_CYCLE_KB = 4
KMEM_FIXED_KB = 8192
KMEM_FIELDS = ("sunreclaim_kb", "vmalloc_kb", "percpu_kb")
KMEM_WINDOW = 3  # samples of kmem.csv (40 cycles apart) of which the lowest is the floor


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def kv_file(path):
    """A 'name count' file into {name: int} (maps.py's "NAME.slots" lines left out)."""
    out = {}
    for l in lines(path):
        name, n = l.rsplit(" ", 1)
        if not name.endswith(".slots"):
            out[name] = int(n)
    return out


def slots_of(path, name):
    """The slots maps.py listed for array NAME."""
    for l in lines(path):
        k, v = l.rsplit(" ", 1)
        if k == name + ".slots":
            return set() if v == "-" else {int(x) for x in v.split(",")}
    return set()


def endpoint_ids(path):
    return {int(l.split()[2]) for l in lines(path) if l.startswith("endpoint ")}


def pct(values, p):
    if not values:
        return 0
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def prom_values(path):
    """{(name, frozenset(labels)): value} of an exposition (tests/e2e/promcheck.py checks it)."""
    out = {}
    if not os.path.exists(path):
        return out
    for l in lines(path):
        if l.startswith("#") or not l:
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$", l)
        if not m:
            continue
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        labels = frozenset((k, v) for k, v in labels if k != "bpfnet_instance")
        out[(m.group(1), labels)] = float(m.group(3))
    return out


class Report:
    def __init__(self, out, cycles, conns, cycle_fails, kmem_check, leak_tests):
        self.out, self.cycles, self.conns = out, cycles, conns
        self.cycle_fails, self.kmem_check = cycle_fails, kmem_check == "yes"
        self.leak_tests = leak_tests.split()
        self.problems = []
        self.md = []

    def p(self, s=""):
        self.md.append(s)

    def cycles_section(self):
        rows = [r for r in csv.DictReader(open(os.path.join(self.out, "cycles.csv")))
                if r["phase"] == "soak"]
        cols = ("add_ms", "ports_ms", "traffic_ms", "rm_ms")
        total = [sum(int(r[c]) for c in cols) for r in rows]
        self.p("## Cycles")
        self.p()
        self.p("%d cycles (endpoint add, 2 ports published, TCP through one from outside, "
               "ping out and to the node, endpoint rm, netns del), %d failed." %
               (len(rows), self.cycle_fails))
        self.p()
        self.p("| ms | p50 | p99 | max |")
        self.p("|---|---:|---:|---:|")
        for name, vals in [("whole cycle", total)] + [(c[:-3], [int(r[c]) for r in rows]) for c in cols]:
            self.p("| %s | %d | %d | %d |" % (name, pct(vals, 50), pct(vals, 99), max(vals or [0])))
        self.p()
        if self.cycle_fails:
            self.problems.append("%d cycles failed (soak.log says how)" % self.cycle_fails)

    def conns_section(self):
        self.p("## Connections through NAT")
        self.p()
        path = os.path.join(self.out, "conns.txt")
        rows = []
        for l in lines(path) if os.path.exists(path) else []:
            kind, rest = l.split(" ", 1)
            f = dict(kv.split("=") for kv in rest.split())
            rows.append((kind, f))
        if not rows:
            self.p("none (--conns 0)")
            self.p()
            return
        self.p("| path | connections | errors | seconds | conn/s | p50 us | p99 us |")
        self.p("|---|---:|---:|---:|---:|---:|---:|")
        tries = errors = 0
        for kind, f in rows:
            self.p("| %s | %s | %s | %s | %s | %s | %s |" % (kind, f["conns"], f["errors"], f["seconds"],
                                                       f["conn_per_s"], f["p50_us"], f["p99_us"]))
            tries += int(f["conns"]) + int(f["errors"])
            errors += int(f["errors"])
        self.p()
        if tries < self.conns:
            self.problems.append("%d connections tried of %d" % (tries, self.conns))
        if errors > tries / 1000:
            self.problems.append("%d of %d connections failed (more than 0.1%%)" % (errors, tries))
        a = prom_values(os.path.join(self.out, "conns-before.prom"))
        b = prom_values(os.path.join(self.out, "conns-after.prom"))
        moved = [(k, b[k] - a.get(k, 0)) for k in sorted(b, key=lambda k: (k[0], sorted(k[1])))
                 if k[0].endswith("_total") and not k[0].startswith("bpfnet_endpoint_")
                 and b[k] - a.get(k, 0)]
        self.p("Counters that moved meanwhile (`stats --prometheus` before and after):")
        self.p()
        for (name, labels), d in moved:
            lab = ",".join("%s=%s" % kv for kv in sorted(labels))
            self.p("- %s%s: +%d" % (name, "{%s}" % lab if lab else "", d))
        self.p("- bpfnet_ct_lost_flows after: %d" % b.get(("bpfnet_ct_lost_flows", frozenset()), 0))
        self.p()

    def exact_section(self):
        self.p("## Leaks: exact accounts")
        self.p()
        self.p("Before: after %s warm-up cycles; then after the cycles; then after the "
               "connections and `ct flush`. Maps: entries after a `ct gc` walk (arrays: slots "
               "not zero); %s grow by design and are not compared." %
               ("the", ", ".join(sorted(COUNTER_MAPS))))
        self.p()
        self.p("| account | before | after cycles | after conns + flush | verdict |")
        self.p("|---|---:|---:|---:|---|")
        dirs = [os.path.join(self.out, d) for d in ("before", "after-cycles", "after")]
        for name in ("links", "netns", "pins", "state", "objects"):
            sets = [set(lines(os.path.join(d, name))) for d in dirs]
            extra = (sets[1] - sets[0]) | (sets[2] - sets[0])
            gone = (sets[0] - sets[1]) | (sets[0] - sets[2])
            verdict = "ok"
            if extra or gone:
                verdict = "LEAK: " + " ".join(["+" + x for x in sorted(extra)] + ["-" + x for x in sorted(gone)])[:300]
                self.problems.append("%s differ" % name)
            self.p("| %s | %d | %d | %d | %s |" % (name, len(sets[0]), len(sets[1]), len(sets[2]), verdict))
        maps = [kv_file(os.path.join(d, "maps")) for d in dirs]
        for m in sorted(maps[0]):
            v = [x.get(m, -1) for x in maps]
            if m in COUNTER_MAPS:
                verdict = "counters (not compared)"
            elif m in PER_ENDPOINT_MAPS:
                verdict = self.stale_slots(m, dirs)
            elif v[0] == v[1] == v[2]:
                verdict = "ok"
            else:
                verdict = "LEAK: %+d entries" % (max(v[1], v[2]) - v[0])
                self.problems.append("map %s: %d entries before, %d after the cycles, %d at the end" %
                                     (m, v[0], v[1], v[2]))
            self.p("| map %s | %d | %d | %d | %s |" % (m, v[0], v[1], v[2], verdict))
        chk = lines(os.path.join(dirs[2], "check"))
        self.p()
        self.p("`bpfnet check` at the end: %s" % (chk[-1] if chk else "?"))
        self.p()

    def stale_slots(self, m, dirs):
        """Slots of a per-endpoint array that are not zero though no endpoint has their id."""
        stale = set()
        for d in dirs:
            stale |= slots_of(os.path.join(d, "maps"), m) - endpoint_ids(os.path.join(d, "objects"))
        if not stale:
            return "ok (no slot of a removed endpoint is left non-zero)"
        self.problems.append("map %s: slots %s of removed endpoints keep their counters" %
                             (m, ",".join(map(str, sorted(stale)))))
        return "LEAK: slots of removed endpoints not zero: %s" % ",".join(map(str, sorted(stale)))

    def kmem_section(self):
        b = list(csv.DictReader(open(os.path.join(self.out, "before", "kmem"))))[0]
        a = list(csv.DictReader(open(os.path.join(self.out, "after", "kmem"))))[0]
        raw = sum(int(a[f]) - int(b[f]) for f in KMEM_FIELDS)
        bpf = int(a["bpf_maps_kb"]) - int(b["bpf_maps_kb"])
        adj = raw - bpf
        tol = KMEM_FIXED_KB + KMEM_PER_CYCLE_KB * self.cycles
        slope = self.kmem_slope()
        self.p("## Kernel memory (machine-wide, settled)")
        self.p()
        self.p("| kB | before | after | delta |")
        self.p("|---|---:|---:|---:|")
        for f in KMEM_FIELDS + ("bpf_maps_kb", "netns_alive"):
            self.p("| %s | %s | %s | %+d |" % (f, b[f], a[f], int(a[f]) - int(b[f])))
        self.p()
        self.p("Slab + vmalloc + per-CPU: %+d kB; less the change of every BPF map of the "
               "machine (%+d kB, mostly other users'): %+d kB, %.2f kB a cycle. Tolerance: "
               "%d kB + %d kB a cycle = %d kB. Trend over the cycles (Theil-Sen on "
               "the floor of kmem.csv, the lowest of every %d samples, BPF maps taken out): %s." %
               (raw, bpf, adj, adj / max(self.cycles, 1), KMEM_FIXED_KB, KMEM_PER_CYCLE_KB, tol,
                KMEM_WINDOW,
                "%+.2f kB a cycle" % slope if slope is not None else "too few samples"))
        over = adj > tol or (slope is not None and slope > KMEM_PER_CYCLE_KB)
        self.p()
        self.p("Verdict: %s%s" % ("ABOVE the tolerance" if over else "within the tolerance",
                                  "" if self.kmem_check else " (not asserted: --kmem-check no)"))
        if over and self.kmem_check:
            self.problems.append("kernel memory grew %+d kB (tolerance %d kB), trend %s kB a cycle" %
                                 (adj, tol, "%.2f" % slope if slope is not None else "?"))
        self.p()
        self.slab_top()

    def kmem_slope(self):
        rows = list(csv.DictReader(open(os.path.join(self.out, "kmem.csv"))))
        if len(rows) < 3:
            return None
        pts = [(int(r["cycle"]), sum(int(r[f]) for f in KMEM_FIELDS) - int(r["bpf_maps_kb"]))
               for r in rows]
        # Other users only add memory (a build, a test's netns): their bursts sit on top of
        # ours, while a leak of ours raises the floor. So the floor is taken, the lowest
        # sample of each KMEM_WINDOW in a row, and its trend is Theil-Sen's (the median of
        # the slopes of every pair), which a burst that outlasts a window does not move.
        floor = [min(pts[i:i + KMEM_WINDOW], key=lambda p: p[1])
                 for i in range(0, len(pts), KMEM_WINDOW)]
        slopes = sorted((b[1] - a[1]) / (b[0] - a[0])
                        for i, a in enumerate(floor) for b in floor[i + 1:] if b[0] != a[0])
        return slopes[len(slopes) // 2] if slopes else None

    def slab_top(self):
        def slab(d):
            out = {}
            for l in lines(os.path.join(self.out, d, "slab")):
                name, objs, size = l.split()
                out[name] = (int(objs), int(size))
            return out
        b, a = slab("before"), slab("after")
        grow = sorted(((a[n][0] - b.get(n, (0, 0))[0]) * a[n][1], n) for n in a)
        self.p("Slab caches that grew most (active objects x size): " + ", ".join(
            "%s %+d kB (%+d objects)" % (n, g // 1024, a[n][0] - b.get(n, (0, 0))[0])
            for g, n in reversed(grow[-6:]) if g > 0) + ".")
        self.p()

    def run(self):
        self.p("# bpfnet soak")
        self.p()
        if self.leak_tests:
            self.p("Leaks made on purpose (--leak-test): %s" % ", ".join(self.leak_tests))
            self.p()
        self.cycles_section()
        self.conns_section()
        self.exact_section()
        self.kmem_section()
        self.p("## Verdict")
        self.p()
        self.p("PASS: nothing leaked, nothing failed" if not self.problems else
               "FAIL: " + "; ".join(self.problems))
        print("\n".join(self.md))
        return 1 if self.problems else 0


def main():
    out, cycles, conns, fails, kmem, leaks = sys.argv[1:7]
    sys.exit(Report(out, int(cycles), int(conns), int(fails), kmem, leaks).run())


if __name__ == "__main__":
    main()
