#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/bench's report: medians, min-max and ratios from raw.csv.

  report.py --out DIR --variants V1,V2,... --reps N

Reads DIR/raw.csv (section,variant,path,ports,rep,metric,value) and DIR/notes.csv, and
when other stages wrote them DIR/verdicts.csv, pps.csv and mem.csv; writes DIR/summary.md
(also printed), DIR/summary.csv and DIR/plots/ (gnuplot data, scripts, PNG and SVG;
skipped with a word when gnuplot is missing).
Ratios are taken rep by rep (the variants run interleaved: rep k of a variant ÷ rep k of
the baseline) and shown as median (min–max), against every baseline of the same run: the
floor (one veth pair, no node between, measured once: the baseline of every path),
routed (plain kernel forwarding through the node), bridge-iptables (Docker's rule set)
and docker (the real dockerd).
"""
import argparse
import csv
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

from reportlib import Spread, fmt, per_rep_ratio, table
from stages import mem_section, pps_section, verdicts_section
from targets import targets_section

PATHS = [
    ("c2c", "container → container"),
    ("ingress", "external → published port (DNAT)"),
    ("egress", "container → external (masquerade)"),
    ("local", "node process → 127.0.0.1:published port"),
    ("hairpin", "container → node's uplink address:published port (hairpin)"),
]
PATH_METRICS = [  # metric, column title
    ("tcp1_gbps", "TCP 1 stream Gbit/s"),
    ("tcp2_gbps", "TCP 2 streams Gbit/s"),
    ("rr_p50_us", "RR p50 µs"),
    ("rr_p99_us", "RR p99 µs"),
    ("conn_per_s", "new conn/s"),
]
CPU_METRICS = [  # METRIC_cpu_ns: all cores' busy ns (/proc/stat) over the work of METRIC
    ("conn_per_s_cpu_ns", "per connection"),
    ("rr_p50_us_cpu_ns", "per RR transaction"),
    ("tcp1_gbps_cpu_ns", "per KB, TCP 1 stream"),
    ("tcp2_gbps_cpu_ns", "per KB, TCP 2 streams"),
    ("udp_frag_mbps_cpu_ns", "per UDP datagram"),
]
RATIO_METRICS = [  # metric, name, which way is better: the rows of the ratio tables
    ("conn_per_s", "new conn/s", "higher"),
    ("rr_p50_us", "RR p50", "lower"),
    ("tcp1_gbps", "TCP 1 stream", "higher"),
    ("conn_per_s_cpu_ns", "CPU ns per connection", "lower"),
    ("rr_p50_us_cpu_ns", "CPU ns per RR transaction", "lower"),
]
HEADLINE_METRICS = ["conn_per_s", "rr_p50_us"]
SATURATED_PCT = 90  # cores busier than this during a test: the CPU ns carry no news
UDP_METRICS = [  # fragmented UDP (iperf3 -u -l 3000), shown path by path side by side
    ("udp_frag_loss_pct", "lost %"),
    ("udp_frag_mbps", "received Mbit/s"),
]
SCALE_METRICS = [
    ("install_ms", "Install time of N+{m} published ports, ms (iptables-restore / nft -f / bpfnet port add)"),
    ("publish_one_ms", "Publishing one more port with N there, ms (Docker's 3 iptables -A / nft add element / bpfnet port add)"),
    ("rule_add_ms", "One `iptables -t nat -A` with N there, ms"),
    ("mappings", "Port mappings the dataplane lists after the install (a check: N+{m})"),
    ("conn_per_s", "New connections/s through the last published port (external → DNAT)"),
    ("conn_per_s_cpu_ns", "CPU ns per connection through the last published port (all cores' busy time)"),
    ("kmem_kb", "Kernel memory taken by installing the ports, KiB (unreclaimable slab + vmalloc + per-CPU, machine-wide delta)"),
    ("dp_mem_kb", "Dataplane's own accounting, KiB (bpfnet: memlock of its pinned maps)"),
    ("ct_entries", "Conntrack entries in the node netns after the connection test"),
]
CTRM_METRICS = [
    ("rm_p50_ms", "endpoint rm p50, ms (the whole bpfnet command)"),
    ("rm_p99_ms", "endpoint rm p99, ms"),
    ("add_p50_ms", "endpoint add p50, ms (the same endpoints, before the table was filled)"),
    ("add_p99_ms", "endpoint add p99, ms"),
    ("ct_entries", "Conntrack entries while removing (synthetic live flows, tools/ctfill)"),
    ("ct_entries_after", "Conntrack entries after the removals"),
    ("rm_n", "Removals timed"),
]
FLOOR, IPT, ROUTED, DOCKER = "floor", "bridge-iptables", "routed", "docker"
FLOOR_NAME = "floor (one veth pair, no node between)"
BASELINES = [(FLOOR, "x floor"), (ROUTED, "x routed"), (IPT, "x iptables"), (DOCKER, "x docker")]
HEADLINE_ORDER = [IPT, DOCKER, ROUTED]  # the floor: in the tables
MEASURED = 2  # published ports measured through, after the N extras (--measured)


def load(out):
    vals, status = {}, {}
    with open(os.path.join(out, "raw.csv")) as f:
        for r in csv.DictReader(f):
            key = (r["section"], r["variant"], r["path"], int(r["ports"]))
            if r["value"] == "unsupported":
                status[key] = "unsupported"
                continue
            k = key + (r["metric"],)
            if r["value"] == "error":
                status[k] = "error"
                continue
            vals.setdefault(k, {})[int(r["rep"])] = float(r["value"])
    notes = []
    path = os.path.join(out, "notes.csv")
    if os.path.exists(path):
        with open(path) as f:
            notes = list(csv.DictReader(f))
    return vals, status, notes


class Data:
    def __init__(self, vals, status):
        self.vals, self.status = vals, status

    def get(self, sec, v, path, ports, metric):
        """(values, status): status is '', 'unsupported' or 'error'."""
        for p in (path, "all"):
            if (sec, v, p, ports) in self.status:
                return [], "unsupported"
        k = (sec, v, path, ports, metric)
        # metric "*": the whole step failed (its setup)
        return (list(self.vals.get(k, {}).values()),
                self.status.get(k, self.status.get(k[:4] + ("*",), "")))

    def reps(self, sec, v, path, ports, metric):
        """{rep: value} of one figure."""
        return self.vals.get((sec, v, path, ports, metric), {})

    def why_empty(self, sec, v, ports):
        """A word for a plot where a variant has no number."""
        unsup = any(k[:2] == (sec, v) and k[3] == ports for k in self.status if len(k) == 4)
        return "unsupported" if unsup else "no numbers"

    def ratio(self, v, path, metric, base, sec="paths", ports=0):
        """Spread of V's METRIC on PATH ÷ BASE's, rep by rep (the floor: its one path)."""
        return per_rep_ratio(self.reps(sec, v, path, ports, metric),
                             self.reps(sec, base, base_path(base, path), ports, metric))


def base_path(v, path):
    return "c2c" if v == FLOOR else path  # one veth pair: the baseline of every path


def cell(vals, st):
    if st == "unsupported":
        return "unsupported"
    if not vals:
        return "error" if st else "–"
    med = statistics.median(vals)
    text = fmt(med) if len(vals) == 1 else f"{fmt(med)} ({fmt(min(vals))}–{fmt(max(vals))})"
    return text + (" (some reps failed)" if st == "error" else "")


def ratio_text(s):
    """'0.98 (0.95–1.01)', with ' ~' when the min–max spans 1.00."""
    return s.text() + (" ~" if s.spans(1.0) else "")


SPANS_NOTE = ("~: the min–max spans 1.00: this run cannot tell which is better, so a 5% "
              "judgement cannot be made.")


def baselines_of(variants):
    return [(b, head) for b, head in BASELINES if b in variants]


def value_rows(d, vs, path, metrics):
    return [[FLOOR_NAME if v == FLOOR else v]
            + [cell(*d.get("paths", v, base_path(v, path), 0, m)) for m, _ in metrics]
            for v in vs]


def has_any(d, vs, path, metrics):
    return any(d.get("paths", v, base_path(v, path), 0, m)[0] for v in vs for m, _ in metrics)


def busy_note(d, vs, path):
    """A word when the cores were nearly all busy during the path's tests: then CPU ns per
    unit says no more than the rate does."""
    pct = [x for v in vs for m, _ in CPU_METRICS
           for x in d.get("paths", v, base_path(v, path), 0, m.replace("_cpu_ns", "_cpu_busy_pct"))[0]]
    if not pct or statistics.median(pct) < SATURATED_PCT:
        return []
    return [f"The cores were {statistics.median(pct):.0f}% busy during these tests (median): "
            "then CPU ns per unit is about cores ÷ rate and tells no more than the rate, "
            "whether the test itself or other load filled them (the load average in "
            "conditions.txt says which).", ""]


def floor_section(d, variants):
    if FLOOR not in variants:
        return []
    md = [f"### {FLOOR_NAME}", "",
          "Two namespaces joined by one veth pair: the one-hop floor that no two-hop path "
          "can reach, measured once; \"x floor\" in every path's ratios divides by it.", ""]
    md += table(["variant"] + [t for _, t in PATH_METRICS], value_rows(d, [FLOOR], "c2c",
                                                                        PATH_METRICS)) + [""]
    if has_any(d, [FLOOR], "c2c", CPU_METRICS):
        md += ["CPU ns (all cores' busy time ÷ the work):", ""]
        md += table(["variant"] + [t for _, t in CPU_METRICS],
                    value_rows(d, [FLOOR], "c2c", CPU_METRICS)) + [""]
        md += busy_note(d, [FLOOR], "c2c")
    return md


def ratio_rows(d, vs, path, bases):
    rows = []
    for m, name, better in RATIO_METRICS:
        first = True
        for v in vs:
            cells = ["–" if b == v else ratio_text(d.ratio(v, path, m, b)) for b, _ in bases]
            if all(c == "–" for c in cells):
                continue
            rows.append([f"{name} ({better} is better)" if first else "", v] + cells)
            first = False
    return rows


def paths_section(d, variants, paths, reps):
    md = [f"## Paths: median (min–max) of {reps} rep(s)", "",
          "Throughput and conn/s: higher is better; latency and CPU ns: lower is better. "
          "CPU ns: the busy time of all the machine's cores (/proc/stat: user, nice, system, "
          "irq, softirq, steal) over the test, divided by the work done: per connection, per "
          "request/response transaction, per KB (1,000 bytes) received, per UDP datagram "
          "received. Machine-wide, so it holds whatever else ran; steadier than a rate on a "
          "shared machine, but no absolute figure.", ""]
    md += floor_section(d, variants)
    vs = [v for v in variants if v != FLOOR]
    bases = baselines_of(variants)
    for path, title in paths_titles(paths):
        md += [f"### {title}", ""]
        md += table(["variant"] + [t for _, t in PATH_METRICS],
                    value_rows(d, vs, path, PATH_METRICS)) + [""]
        if has_any(d, vs, path, CPU_METRICS):
            md += ["CPU ns:", ""] + table(["variant"] + [t for _, t in CPU_METRICS],
                                          value_rows(d, vs, path, CPU_METRICS)) + [""]
            md += busy_note(d, vs, path)
        rows = ratio_rows(d, vs, path, bases) if bases else []
        if rows:
            md += ["Ratios, rep by rep (rep k ÷ the baseline's rep k), median (min–max):", ""]
            md += table(["figure", "variant"] + [h for _, h in bases], rows) + [""]
            if any(c.endswith(" ~") for r in rows for c in r):
                md += [SPANS_NOTE, ""]
    return md


def paths_titles(paths):
    known = dict(PATHS)
    return [(p, known.get(p, p)) for p in paths]


def headline_part(d, v, path, m, bases):
    parts = []
    for b in HEADLINE_ORDER:
        if b == v or b not in bases:
            continue
        s = d.ratio(v, path, m, b)
        if s:
            extra = f" ({s.lo:.2f}–{s.hi:.2f})" if s.n > 1 else ""
            parts.append(f"{s.med:.2f}x {dict(BASELINES)[b][2:]}{extra}"
                         + (" ~" if s.spans(1.0) else ""))
    return f"{v} " + ", ".join(parts) if parts else ""


def headlines(d, variants, paths):
    """One line per path and figure: each bpfnet variant against every baseline."""
    bases = [b for b, _ in baselines_of(variants)]
    vs = [v for v in variants if v.startswith("bpfnet-")] or \
        [v for v in variants if v not in bases]
    names = {m: n for m, n, _ in RATIO_METRICS}
    better = {m: b for m, _, b in RATIO_METRICS}
    md = []
    for path, _ in paths_titles(paths):
        for m in HEADLINE_METRICS:
            parts = [p for p in (headline_part(d, v, path, m, bases) for v in vs) if p]
            if parts:
                md.append(f"- {path} {names[m]} ({better[m]} is better): " + "; ".join(parts))
    if not md:
        return []
    return ["## Headlines", "", "Ratios rep by rep, median (min–max); ~: the min–max spans "
            "1.00 (a 5% judgement cannot be made).", ""] + md + [""]


def udp_section(d, variants, paths, reps, desc):
    """Fragmented UDP: each NAT path next to container → container, in one table per metric."""
    ps = paths_titles(paths)
    md = [f"## Fragmented UDP ({desc}): median (min–max) of {reps} rep(s)", "",
          "The sender cuts every datagram into fragments; one fragment lost loses the datagram. "
          "The floor, one veth pair, has one path: its loss is the machine's own.", ""]
    for m, title in UDP_METRICS:
        rows = [[FLOOR_NAME if v == FLOOR else v]
                + [cell(*d.get("paths", v, p, 0, m)) if v != FLOOR or p == "c2c" else "–"
                   for p, _ in ps] for v in variants]
        md += [f"### {title}", ""] + table(["variant"] + [t for _, t in ps], rows) + [""]
    return md


RATIO_SCALE = ("install_ms", "publish_one_ms", "conn_per_s")  # also shown ÷ bridge-iptables
FAMILY_SCALE = ("rule_add_ms", "dp_mem_kb", "ct_entries")  # only some variants have these


def scale_section(d, variants, scale):
    md = ["## Published ports at scale (ingress: external → node:port, DNAT to a container)",
          "", "N extra mappings (host port p → container port p) are installed ahead of the "
          f"{MEASURED} measured ones, so in a rule chain the measured port is matched last.", ""]
    nat = [v for v in variants if v != FLOOR]
    head = ["variant"] + [f"N={n}" for n in scale]
    for m, title in SCALE_METRICS:
        rows, ratios = [], []
        for v in nat:
            cells = [d.get("scale", v, "ingress", n, m) for n in scale]
            if all(not vals and not st for vals, st in cells):
                continue  # a metric this variant does not have
            if m in FAMILY_SCALE and all(st == "unsupported" for _, st in cells):
                continue  # said once in the other tables and the notes
            rows.append([v] + [cell(*c) for c in cells])
            if m in RATIO_SCALE and v != IPT and IPT in variants:
                ratios.append([v] + [ratio_text(d.ratio(v, "ingress", m, IPT, "scale", n))
                                     for n in scale])
        if not rows:
            continue
        md += [f"### {title.format(m=MEASURED)}", ""] + table(head, rows) + [""]
        if ratios:
            md += ["x iptables (÷ bridge-iptables at the same N, rep by rep), median (min–max):",
                   ""] + table(head, ratios) + [""]
    return md


def ctrm_section(d, variants, counts):
    md = ["## endpoint rm with N conntrack entries", "",
          "Endpoints are added, the conntrack table is filled with N entries through its pinned "
          "map, then the endpoints are removed one by one.", ""]
    head = ["variant"] + [f"N={n}" for n in counts]
    for m, title in CTRM_METRICS:
        rows = []
        for v in variants:
            cells = [d.get("ctrm", v, "endpoint-rm", n, m) for n in counts]
            if all(not vals and not st for vals, st in cells):
                continue
            rows.append([v] + [cell(*c) for c in cells])
        if rows:
            md += [f"### {title}", ""] + table(head, rows) + [""]
    return md


def notes_section(notes):
    seen, md = set(), []
    for n in notes:
        key = (n["variant"], n["status"], n["reason"])
        if key in seen:
            continue
        seen.add(key)
        md.append(f"- **{n['variant']}** {n['status']} ({n['scope']}): {n['reason']}")
    return ["## Unsupported and failed", ""] + md + [""] if md else []


CSV_BASES = [(FLOOR, "ratio_to_floor"), (IPT, "ratio_to_bridge_iptables"),
             (ROUTED, "ratio_to_routed"), (DOCKER, "ratio_to_docker")]


def write_csv(d, variants, paths, scale, ctrm, path):
    """One row a figure; ratio_to_* are the medians of the rep-by-rep ratios."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "variant", "path", "ports", "metric", "n", "median", "min",
                    "max"] + [c for _, c in CSV_BASES] + ["status"])
        keys = [("paths", v, p, 0, m) for p in paths for v in variants
                for m, _ in PATH_METRICS + UDP_METRICS + CPU_METRICS]
        keys += [("scale", v, "ingress", n, m) for n in scale for v in variants if v != FLOOR
                 for m, _ in SCALE_METRICS]
        keys += [("ctrm", v, "endpoint-rm", n, m) for n in ctrm for v in variants
                 for m, _ in CTRM_METRICS]
        for k in keys:
            vals, st = d.get(*k)
            if not vals and not st:
                continue
            sec, v, p, n, m = k
            rs = []
            for b, _ in CSV_BASES:
                r = d.ratio(v, p, m, b, sec, n) if (sec == "paths" or b != FLOOR) and b != v \
                    else Spread([])
                rs.append(f"{r.med:.3f}" if r else "")
            s = Spread(vals)
            w.writerow(list(k) + [s.n, fmt(s.med), fmt(s.lo), fmt(s.hi)] + rs + [st or "ok"])


# ---- plots -------------------------------------------------------------------------------------

MACHINE = ""  # the plots' second title line: machine, kernel, date (set by main)


def machine_line(out):
    """'CPU model, N cores · kernel R · date' from conditions.txt (this machine's when the
    file is not there: a report redrawn elsewhere says so by its date)."""
    cond, date = {}, ""
    path = os.path.join(out, "conditions.txt")
    if os.path.exists(path):
        with open(path) as f:
            lines = f.read().splitlines()
        date = lines[0].split(", ", 1)[1] if lines and ", " in lines[0] else ""
        cond = dict(line.split(": ", 1) for line in lines if ": " in line)
    cpu = cond.get("cpu", "")
    if cpu.endswith(" online"):
        model, _, n = cpu[:-len(" online")].rpartition(", ")
        cpu = f"{model}, {n} cores"
    else:
        cpu = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    kernel = cond.get("kernel", "").split()
    kernel = kernel[1] if len(kernel) > 1 else platform.release()
    date = date or time.strftime("%Y-%m-%d %H:%M UTC (report drawn)", time.gmtime())
    return f"{cpu} · kernel {kernel} · {date}"


def gp_title(title, better):
    """A gnuplot title: what it shows, which way is better, the machine, kernel and date
    (noenhanced: a CPU model's '@' or '_' is no markup)."""
    text = f"{title} ({better} is better)\n{MACHINE}"
    esc = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'set title "{esc}" noenhanced'


def stat3(d, *key):
    vals, _ = d.get(*key)
    if not vals:
        return ["NaN"] * 3
    return [f"{statistics.median(vals):g}", f"{min(vals):g}", f"{max(vals):g}"]


def bars(d, variants, series, name, ylabel, title, better, logy, pdir):
    """Clustered bars (one cluster a variant, one bar a series) with min-max error bars."""
    if not any(d.get("paths", v, *key)[0] for v in variants for _, key in series):
        return None  # nothing to draw (e.g. no CPU figures in an older raw.csv)
    with open(os.path.join(pdir, name + ".dat"), "w") as f:
        f.write("# variant " + " ".join(f"{s}_med {s}_min {s}_max" for s, _ in series) + "\n")
        for v in variants:
            row = ['"floor (one veth pair)"' if v == FLOOR else f'"{v}"']
            for _, key in series:
                row += stat3(d, "paths", v, *key)
            f.write(" ".join(row) + "\n")
    plots = ", ".join(
        f"'{name}.dat' using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}"
        + (":xtic(1)" if i == 0 else "") + f" title '{s}'"
        for i, (s, _) in enumerate(series))
    labels = [f"set label '{d.why_empty('paths', v, 0)}' at {x}, graph 0.05 rotate by 90 left"
              for x, v in enumerate(variants)
              if all(not d.get("paths", v, *key)[0] for _, key in series)]
    return "\n".join(labels + [
        gp_title(title, better), f"set ylabel '{ylabel}'", "unset xlabel",
        "set logscale y" if logy else "set yrange [0:*]", "set xtics rotate by -20",
        "set style data histogram", "set style histogram errorbars gap 2 lw 1",
        "set style fill solid 0.8 border -1", "set key outside right top", "set grid ytics",
        f"plot {plots}", ""])


def lines(d, variants, scale, metric, name, ylabel, title, better, logy, pdir):
    """One line per variant against N (log x; N=0 is drawn a decade left of the next N)."""
    pos = [n for n in scale if n > 0]
    zero_x = min(pos) / 10 if pos else 1
    xs = {n: (n if n > 0 else zero_x) for n in scale}
    nat = [v for v in variants if v != FLOOR]
    if not any(d.get("scale", v, "ingress", n, metric)[0] for v in nat for n in scale):
        return None  # nothing to draw: no figure rather than gnuplot's error
    with open(os.path.join(pdir, name + ".dat"), "w") as f:
        for v in nat:
            f.write(f'"{v}"\n')
            for n in scale:
                med, lo, hi = stat3(d, "scale", v, "ingress", n, metric)
                if logy and med != "NaN" and float(med) <= 0:
                    med = lo = hi = "NaN"
                f.write(f"{xs[n]:g} {med} {lo} {hi}\n")
            f.write("\n\n")

    def title_of(v):
        if any(d.get("scale", v, "ingress", n, metric)[0] for n in scale):
            return v
        return f"{v} ({d.why_empty('scale', v, scale[0])})"
    xtics = ", ".join(f'"{n}" {xs[n]:g}' for n in scale)
    plots = ", ".join(f"'{name}.dat' index {i} using 1:2:3:4 with yerrorlines title '{title_of(v)}'"
                      for i, v in enumerate(nat))
    return "\n".join([
        gp_title(title, better), f"set ylabel '{ylabel}'", "set xlabel 'published ports (N)'",
        "set logscale x", "set logscale y" if logy else "set yrange [0:*]",
        f"set xtics ({xtics})", "set key outside right top", "set grid",
        "set offsets graph 0.05, graph 0.05, 0, 0", f"plot {plots}", ""])


def plots(d, variants, paths, scale, out, udp_desc):
    if not shutil.which("gnuplot"):
        print("# plots skipped: gnuplot is not installed (apt-get install gnuplot-nox)")
        return
    pdir = os.path.join(out, "plots")
    os.makedirs(pdir, exist_ok=True)
    figs = {}
    ps = paths_titles(paths)
    if ps:
        figs["throughput"] = bars(
            d, variants, [(f"{p} {s} stream{'s' if s > 1 else ''}", (p, 0, f"tcp{s}_gbps"))
                          for p, _ in ps for s in (1, 2)],
            "throughput", "Gbit/s", "TCP throughput (iperf3), median, min-max", "higher", False,
            pdir)
        figs["latency"] = bars(
            d, variants, [(f"{p} p{q}", (p, 0, f"rr_p{q}_us")) for p, _ in ps for q in (50, 99)],
            "latency", "round trip, us (log)",
            "Request/response latency (connrate rr), median, min-max", "lower", True, pdir)
        figs["connrate"] = bars(d, variants, [(p, (p, 0, "conn_per_s")) for p, _ in ps],
                                "connrate", "connections/s", "New connections per second",
                                "higher", False, pdir)
        figs["cpu-conn"] = bars(d, variants, [(p, (p, 0, "conn_per_s_cpu_ns")) for p, _ in ps],
                                "cpu-conn", "CPU ns per connection (all cores)",
                                "CPU time per new connection, median, min-max", "lower", False,
                                pdir)
        figs["udp-frag"] = bars(d, variants, [(p, (p, 0, "udp_frag_loss_pct")) for p, _ in ps],
                                "udp-frag", "datagrams lost, %",
                                f"Fragmented UDP ({udp_desc}), median, min-max", "lower", False,
                                pdir)
    if scale:
        figs["scale-connrate"] = lines(d, variants, scale, "conn_per_s", "scale-connrate",
                                       "connections/s (log)",
                                       "New connections/s at N published ports", "higher", True,
                                       pdir)
        figs["scale-install"] = lines(d, variants, scale, "install_ms", "scale-install", "ms",
                                      f"Time to install N+{MEASURED} published ports", "lower",
                                      True, pdir)
        figs["scale-publish-one"] = lines(d, variants, scale, "publish_one_ms", "scale-publish-one",
                                          "ms", "Time to publish one more port with N there",
                                          "lower", True, pdir)
    figs = {k: v for k, v in figs.items() if v}
    if not figs:
        return
    png = "pngcairo" if subprocess.run(["gnuplot", "-e", "set terminal pngcairo"],
                                       capture_output=True).returncode == 0 else "png"
    failed = []
    for name, body in figs.items():
        for term, ext in ((f"{png} size 1100,600", "png"), ("svg size 1100,600 dynamic", "svg")):
            script = f"set terminal {term}\nset output '{name}.{ext}'\n{body}"
            with open(os.path.join(pdir, f"{name}.{ext}.gp"), "w") as f:
                f.write(script)
            r = subprocess.run(["timeout", "60", "gnuplot", f"{name}.{ext}.gp"], cwd=pdir,
                               capture_output=True, text=True)
            if r.returncode != 0:
                failed.append(f"{name}.{ext}: {r.stderr.strip()[-300:]}")
    for f in failed:
        print(f"# plot failed: {f}", file=sys.stderr)
    print(f"# plots: {pdir}/{{{','.join(figs)}}}.{{png,svg}}")


def raw_order(keys, i):
    """The distinct values of field I of raw.csv's keys, in the order they came."""
    return list(dict.fromkeys(k[i] for k in keys))


def counts(arg, keys, sec):
    if arg:
        return [] if arg == "none" else sorted(int(n) for n in arg.split(","))
    return sorted({k[3] for k in keys if k[0] == sec})


def main():
    global MEASURED, MACHINE
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", help="the variants, in order (default: raw.csv's)")
    ap.add_argument("--reps", type=int, help="reps run (default: the most in raw.csv)")
    ap.add_argument("--measured", type=int, default=MEASURED)
    ap.add_argument("--paths", help="the paths measured (default: those in raw.csv)")
    ap.add_argument("--scale", help="the port counts measured, or 'none' (default: raw.csv's)")
    ap.add_argument("--udp", default="iperf3 -u", help="how the fragmented UDP was sent")
    ap.add_argument("--ctrm", help="the conntrack entry counts of endpoint rm, or 'none' "
                    "(default: raw.csv's)")
    a = ap.parse_args()
    MEASURED = a.measured
    MACHINE = machine_line(a.out)
    vals, status, notes = load(a.out)
    d = Data(vals, status)
    keys = list(vals) + list(status)
    variants = a.variants.split(",") if a.variants else raw_order(keys, 1)
    reps = a.reps or max((r for v in vals.values() for r in v), default=1)
    if a.paths:
        paths = [] if a.paths == "none" else a.paths.split(",")
    else:
        seen = raw_order([k for k in keys if k[0] == "paths"], 2)
        paths = [p for p, _ in PATHS if p in seen] + [p for p in seen
                                                        if p not in dict(PATHS) and p != "all"]
    scale, ctrm = counts(a.scale, keys, "scale"), counts(a.ctrm, keys, "ctrm")

    md = ["# bpfnet bench", "", MACHINE, ""]
    if reps < 2:
        md += ["**1 rep: no ratio has a spread, so no 5% judgement can be made from this run "
               "(tools/bench --reps 3 or more).**", ""]
    md += headlines(d, variants, paths)
    cond = os.path.join(a.out, "conditions.txt")
    if os.path.exists(cond):
        with open(cond) as f:
            head = [line.rstrip() for line in f if line.strip()][:15]
        md += ["```"] + head + ["```", "(all of it: conditions.txt)", ""]
    if paths:
        md += paths_section(d, variants, paths, reps)
        md += udp_section(d, variants, paths, reps, a.udp)
    if scale:
        md += scale_section(d, variants, scale)
    if ctrm:
        md += ctrm_section(d, variants, ctrm)
    md += verdicts_section(a.out) + pps_section(a.out) + mem_section(a.out)
    md += notes_section(notes)
    md += targets_section(d, variants, a.out)
    text = "\n".join(md)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(text + "\n")
    write_csv(d, variants, paths, scale, ctrm, os.path.join(a.out, "summary.csv"))
    print(text)
    plots(d, variants, paths, scale, a.out, a.udp)


if __name__ == "__main__":
    main()
