#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/bench's report: medians, min-max and ratios from raw.csv.

  report.py --out DIR --variants V1,V2,... --reps N

Reads DIR/raw.csv (section,variant,path,ports,rep,metric,value) and DIR/notes.csv,
writes DIR/summary.md (also printed), DIR/summary.csv and DIR/plots/ (gnuplot data,
scripts, PNG and SVG; skipped with a word when gnuplot is missing).
Ratios divide the median of a variant by the median of the baseline from the same
run: the floor (one veth pair, measured once, the baseline of every path) and
bridge-iptables (Docker's rule set through iptables-legacy).
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys

PATHS = [
    ("c2c", "container → container"),
    ("ingress", "external → published port (DNAT)"),
    ("egress", "container → external (masquerade)"),
]
PATH_METRICS = [  # metric, column title
    ("tcp1_gbps", "TCP 1 stream Gbit/s"),
    ("tcp2_gbps", "TCP 2 streams Gbit/s"),
    ("rr_p50_us", "RR p50 µs"),
    ("rr_p99_us", "RR p99 µs"),
    ("conn_per_s", "new conn/s"),
]
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
FLOOR, IPT = "floor", "bridge-iptables"
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
            vals.setdefault(k, []).append(float(r["value"]))
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
        if v == FLOOR and sec == "paths":
            path = "c2c"  # one veth pair: the baseline of every path
        for p in (path, "all"):
            if (sec, v, p, ports) in self.status:
                return [], "unsupported"
        k = (sec, v, path, ports, metric)
        # metric "*": the whole step failed (its setup)
        return self.vals.get(k, []), self.status.get(k, self.status.get(k[:4] + ("*",), ""))

    def why_empty(self, sec, v, ports):
        """A word for a plot where a variant has no number."""
        unsup = any((sec, v, p, ports) in self.status for p in ("all", "c2c", "ingress", "egress"))
        return "unsupported" if unsup else "no numbers"

    def median(self, *key):
        vals, _ = self.get(*key)
        return statistics.median(vals) if vals else None


def fmt(x):
    if x is None:
        return ""
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(vals, st):
    if st == "unsupported":
        return "unsupported"
    if not vals:
        return "error" if st else "–"
    med = statistics.median(vals)
    text = fmt(med) if len(vals) == 1 else f"{fmt(med)} ({fmt(min(vals))}–{fmt(max(vals))})"
    return text + (" (some reps failed)" if st == "error" else "")


def ratio(a, b):
    return None if a is None or not b else a / b


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def paths_section(d, variants, paths, reps):
    md = [f"## Paths: median (min–max) of {reps} rep(s)", ""]
    for path, title in PATHS:
        if path not in paths:
            continue
        md += [f"### {title}", ""]
        rows = []
        for v in variants:
            name = f"{v} (veth pair)" if v == FLOOR else v
            rows.append([name] + [cell(*d.get("paths", v, path, 0, m)) for m, _ in PATH_METRICS])
        md += table(["variant"] + [t for _, t in PATH_METRICS], rows) + [""]
        rows = []
        for v in variants:
            if v == FLOOR:
                continue
            cells = []
            for m, _ in PATH_METRICS:
                med = d.median("paths", v, path, 0, m)
                rf = ratio(med, d.median("paths", FLOOR, path, 0, m))
                ri = None if v == IPT else ratio(med, d.median("paths", IPT, path, 0, m))
                cells.append(" / ".join("–" if r is None else f"{r:.2f}" for r in (rf, ri)))
            rows.append([v] + cells)
        if rows:
            md += ["Ratios, median ÷ median: to floor / to bridge-iptables (throughput and "
                   "conn/s: higher is better; latency: lower is better)", ""]
            md += table(["variant"] + [t for _, t in PATH_METRICS], rows) + [""]
    return md


def udp_section(d, variants, paths, reps, desc):
    """Fragmented UDP: each NAT path next to container → container, in one table per metric."""
    ps = [(p, t) for p, t in PATHS if p in paths]
    md = [f"## Fragmented UDP ({desc}): median (min–max) of {reps} rep(s)", "",
          "The sender cuts every datagram into fragments; one fragment lost loses the datagram. "
          "The floor is the baseline of every path.", ""]
    for m, title in UDP_METRICS:
        rows = [[f"{v} (veth pair)" if v == FLOOR else v]
                + [cell(*d.get("paths", v, p, 0, m)) for p, _ in ps] for v in variants]
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
            if m in RATIO_SCALE and v != IPT:
                rs = [ratio(d.median("scale", v, "ingress", n, m),
                            d.median("scale", IPT, "ingress", n, m)) for n in scale]
                ratios.append([v] + ["–" if r is None else f"{r:.2f}" for r in rs])
        if not rows:
            continue
        md += [f"### {title.format(m=MEASURED)}", ""] + table(head, rows) + [""]
        if ratios:
            md += ["÷ bridge-iptables at the same N:", ""] + table(head, ratios) + [""]
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


def write_csv(d, variants, paths, scale, ctrm, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "variant", "path", "ports", "metric", "n", "median", "min",
                    "max", "ratio_to_floor", "ratio_to_bridge_iptables", "status"])
        keys = [("paths", v, p, 0, m) for p in paths for v in variants
                for m, _ in PATH_METRICS + UDP_METRICS]
        keys += [("scale", v, "ingress", n, m) for n in scale for v in variants if v != FLOOR
                 for m, _ in SCALE_METRICS]
        keys += [("ctrm", v, "endpoint-rm", n, m) for n in ctrm for v in variants
                 for m, _ in CTRM_METRICS]
        for k in keys:
            vals, st = d.get(*k)
            if not vals and not st:
                continue
            med = statistics.median(vals) if vals else None
            base = k[:1] + (FLOOR,) + k[2:] if k[0] == "paths" else None
            rf = ratio(med, d.median(*base)) if base else None
            ri = ratio(med, d.median(k[0], IPT, *k[2:]))
            w.writerow(list(k) + [len(vals), fmt(med), fmt(min(vals)) if vals else "",
                                  fmt(max(vals)) if vals else "",
                                  "" if rf is None else f"{rf:.3f}",
                                  "" if ri is None else f"{ri:.3f}", st or "ok"])


# ---- plots -------------------------------------------------------------------------------------

def stat3(d, *key):
    vals, _ = d.get(*key)
    if not vals:
        return ["NaN"] * 3
    return [f"{statistics.median(vals):g}", f"{min(vals):g}", f"{max(vals):g}"]


def bars(d, variants, series, name, ylabel, title, logy, pdir):
    """Clustered bars (one cluster a variant, one bar a series) with min-max error bars."""
    with open(os.path.join(pdir, name + ".dat"), "w") as f:
        f.write("# variant " + " ".join(f"{s}_med {s}_min {s}_max" for s, _ in series) + "\n")
        for v in variants:
            row = [f"{v}(veth)" if v == FLOOR else v]
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
        f"set title '{title}'", f"set ylabel '{ylabel}'", "unset xlabel",
        "set logscale y" if logy else "set yrange [0:*]", "set xtics rotate by -20",
        "set style data histogram", "set style histogram errorbars gap 2 lw 1",
        "set style fill solid 0.8 border -1", "set key outside right top", "set grid ytics",
        f"plot {plots}", ""])


def lines(d, variants, scale, metric, name, ylabel, title, logy, pdir):
    """One line per variant against N (log x; N=0 is drawn a decade left of the next N)."""
    pos = [n for n in scale if n > 0]
    zero_x = min(pos) / 10 if pos else 1
    xs = {n: (n if n > 0 else zero_x) for n in scale}
    nat = [v for v in variants if v != FLOOR]
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
        f"set title '{title}'", f"set ylabel '{ylabel}'", "set xlabel 'published ports (N)'",
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
    ps = [(p, t) for p, t in PATHS if p in paths]
    if ps:
        figs["throughput"] = bars(
            d, variants, [(f"{p} {s} stream{'s' if s > 1 else ''}", (p, 0, f"tcp{s}_gbps"))
                          for p, _ in ps for s in (1, 2)],
            "throughput", "Gbit/s", "TCP throughput (iperf3), median, min-max", False, pdir)
        figs["latency"] = bars(
            d, variants, [(f"{p} p{q}", (p, 0, f"rr_p{q}_us")) for p, _ in ps for q in (50, 99)],
            "latency", "round trip, us (log)",
            "Request/response latency (connrate rr), median, min-max", True, pdir)
        figs["connrate"] = bars(d, variants, [(p, (p, 0, "conn_per_s")) for p, _ in ps],
                                "connrate", "connections/s", "New connections per second", False,
                                pdir)
        figs["udp-frag"] = bars(d, variants, [(p, (p, 0, "udp_frag_loss_pct")) for p, _ in ps],
                                "udp-frag", "datagrams lost, %",
                                f"Fragmented UDP ({udp_desc}), median, min-max", False, pdir)
    if scale:
        figs["scale-connrate"] = lines(d, variants, scale, "conn_per_s", "scale-connrate",
                                       "connections/s (log)", "New connections/s at N published ports",
                                       True, pdir)
        figs["scale-install"] = lines(d, variants, scale, "install_ms", "scale-install", "ms",
                                      f"Time to install N+{MEASURED} published ports", True, pdir)
        figs["scale-publish-one"] = lines(d, variants, scale, "publish_one_ms", "scale-publish-one",
                                          "ms", "Time to publish one more port with N there",
                                          True, pdir)
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


def main():
    global MEASURED
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", required=True)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--measured", type=int, default=MEASURED)
    ap.add_argument("--paths", help="the paths measured (default: those in raw.csv)")
    ap.add_argument("--scale", help="the port counts measured, or 'none' (default: raw.csv's)")
    ap.add_argument("--udp", default="iperf3 -u", help="how the fragmented UDP was sent")
    ap.add_argument("--ctrm", help="the conntrack entry counts of endpoint rm, or 'none' "
                    "(default: raw.csv's)")
    a = ap.parse_args()
    MEASURED = a.measured
    vals, status, notes = load(a.out)
    d = Data(vals, status)
    variants = a.variants.split(",")
    keys = list(vals) + list(status)
    if a.paths:
        paths = [] if a.paths == "none" else a.paths.split(",")
    else:
        paths = [p for p, _ in PATHS if any(k[0] == "paths" and k[2] == p for k in keys)]
    if a.scale:
        scale = [] if a.scale == "none" else sorted(int(n) for n in a.scale.split(","))
    else:
        scale = sorted({k[3] for k in keys if k[0] == "scale"})
    if a.ctrm:
        ctrm = [] if a.ctrm == "none" else sorted(int(n) for n in a.ctrm.split(","))
    else:
        ctrm = sorted({k[3] for k in keys if k[0] == "ctrm"})

    md = ["# bpfnet bench", ""]
    cond = os.path.join(a.out, "conditions.txt")
    if os.path.exists(cond):
        with open(cond) as f:
            head = [line.rstrip() for line in f if line.strip()][:15]
        md += ["```"] + head + ["```", "(all of it: conditions.txt)", ""]
    if paths:
        md += paths_section(d, variants, paths, a.reps)
        md += udp_section(d, variants, paths, a.reps, a.udp)
    if scale:
        md += scale_section(d, variants, scale)
    if ctrm:
        md += ctrm_section(d, variants, ctrm)
    md += notes_section(notes)
    text = "\n".join(md)
    with open(os.path.join(a.out, "summary.md"), "w") as f:
        f.write(text + "\n")
    write_csv(d, variants, paths, scale, ctrm, os.path.join(a.out, "summary.csv"))
    print(text)
    plots(d, variants, paths, scale, a.out, a.udp)


if __name__ == "__main__":
    main()
