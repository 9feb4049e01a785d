# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The report's sections from the files other bench stages write into the OUT dir:
verdicts.csv (per-packet ns of each verdict class of each BPF program), pps.csv (packets
per second per core, XDP against tc against iptables) and mem.csv (map memory). Each is
rendered only when its file is there; a file that cannot be read is said so, not skipped."""
import csv
import os

from reportlib import Spread, fmt, per_rep_ratio, table

NOT_MEASURED = "not measured in this run"
VERDICT_ORDER = ["empty_program", "not_ours", "arp_answered", "routed_local", "portmap_new",
                 "dnat_established", "reply_reverse_nat", "masq_new", "masq_established",
                 "bridge_switched", "flooded", "dropped"]
VERDICT_COLS = ["hook", "program", "verdict", "ns", "ns_min", "ns_max", "samples", "method"]
PPS_COLS = ["variant", "rep", "pps", "busy_cores", "pps_per_core", "ns_per_packet", "sent",
            "received"]
MEM_COLS = ["variant", "what", "count", "bytes"]
PPS_ORDER = ["bpfnet-xdp", "bpfnet-tc", "iptables", "nftables"]


class StageError(Exception):
    pass


STATUS_WORDS = ("unsupported", "error")


def read_rows(out, name, cols, numeric, status_col=None):
    """The rows of OUT/NAME as dicts (NUMERIC columns as floats), None when the file is
    not there; StageError when it is there but not in the agreed format. A row whose
    STATUS_COL holds a word of STATUS_WORDS instead of a number is kept as it is, with
    its "status" set (its reason is in notes.csv)."""
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        missing = [c for c in cols if c not in (r.fieldnames or [])]
        if missing:
            raise StageError(f"{name}: no column {', '.join(missing)} "
                             f"(expected {','.join(cols)})")
        rows = []
        for i, row in enumerate(r, start=2):
            if status_col and row.get(status_col) in STATUS_WORDS:
                row["status"] = row[status_col]
                rows.append(row)
                continue
            try:
                for c in numeric:
                    row[c] = float(row[c])
            except (TypeError, ValueError):
                raise StageError(f"{name} line {i}: '{row.get(c)}' in column {c} is no number")
            rows.append(row)
    return rows


def load_verdicts(out):
    return read_rows(out, "verdicts.csv", VERDICT_COLS, ["ns", "ns_min", "ns_max", "samples"])


def load_pps(out):
    return read_rows(out, "pps.csv", PPS_COLS, ["rep", "pps", "busy_cores", "pps_per_core",
                                                "ns_per_packet", "sent", "received"], status_col="pps")


def load_mem(out):
    return read_rows(out, "mem.csv", MEM_COLS, ["count", "bytes"])


def guarded(title, loader, render, out):
    """A section: its title, then RENDER(rows), "not measured" or why the file is unusable."""
    md = [f"## {title}", ""]
    try:
        rows = loader(out)
    except (StageError, OSError) as e:
        return md + [f"Cannot be shown: {e}", ""]
    if not rows:
        return md + [f"{NOT_MEASURED}.", ""]
    return md + render(rows) + [""]


# ---- per-packet cost of each verdict ---------------------------------------------------------

def verdict_spread(r):
    """A verdicts.csv row as a Spread-like figure: its median with the min-max it gives."""
    s = Spread([r["ns"]])
    s.lo, s.hi, s.n = r["ns_min"], r["ns_max"], int(r["samples"])
    return s


def render_verdicts(rows):
    order = {v: i for i, v in enumerate(VERDICT_ORDER)}
    rows = sorted(rows, key=lambda r: (r["hook"], r["program"] if r["verdict"] != "empty_program"
                                       else "", order.get(r["verdict"], 99)))
    md = ["Nanoseconds per packet through each program, by the verdict the packet got "
          "(BPF_PROG_TEST_RUN): median (min–max) over the samples, net of an empty program "
          "run the same way (tools/verdict-cost subtracts it; the method column says which "
          "baseline). The empty program's own rows are the test run's cost, raw. "
          "Lower is better.", ""]
    out = []
    for r in rows:
        name = ("empty program (baseline, raw)" if r["verdict"] == "empty_program"
                else r["verdict"])
        out.append([r["hook"], r["program"], name,
                    f"{fmt(r['ns'])} ({fmt(r['ns_min'])}–{fmt(r['ns_max'])})",
                    str(int(r["samples"])), r["method"]])
    return md + table(["hook", "program", "verdict", "ns per packet", "samples", "method"], out)


def verdicts_section(out):
    return guarded("Per-packet cost of each verdict (verdicts.csv)", load_verdicts,
                   render_verdicts, out)


# ---- packets per second per core --------------------------------------------------------------

def pps_by_rep(rows, variant, col="pps_per_core"):
    return {int(r["rep"]): r[col] for r in rows
            if r["variant"] == variant and not r.get("status")}


def pps_variants(rows):
    seen = list(dict.fromkeys(r["variant"] for r in rows))
    return sorted(seen, key=lambda v: PPS_ORDER.index(v) if v in PPS_ORDER else 99)


def render_pps(rows):
    failed = sorted({f"{r['variant']}: {r['status']}" for r in rows if r.get("status")})
    rows = [r for r in rows if not r.get("status")]
    vs = pps_variants(rows)
    md = ["Published-port packets on the uplink: packets per second per busy core "
          "(received ÷ the cores' busy time), median (min–max) over the reps. Higher is better "
          "(ns per packet: lower is better).", ""]
    vals = []
    for v in vs:
        cells = [Spread(pps_by_rep(rows, v, c).values()) for c in
                 ("pps_per_core", "pps", "busy_cores", "ns_per_packet")]
        vals.append([v, cells[0].text(digits=None), cells[1].text(digits=None),
                     cells[2].text(), cells[3].text(digits=None), str(cells[0].n)])
    md += table(["variant", "pps per core", "pps", "busy cores", "ns per packet", "reps"], vals)
    bases = [b for b in ("bpfnet-tc", "iptables") if b in vs]
    if bases:
        md += ["", "pps per core, rep by rep ÷ the same rep of:", ""]
        rs = [[v] + [per_rep_ratio(pps_by_rep(rows, v), pps_by_rep(rows, b)).text()
                     if v != b else "–" for b in bases] for v in vs]
        md += table(["variant"] + [f"x {b}" for b in bases], rs)
    if failed:
        md += ["", "Not measured: " + "; ".join(failed) + " (why: \"Unsupported and failed\")."]
    return md


def pps_section(out):
    return guarded("Packets per second per core (pps.csv)", load_pps, render_pps, out)


# ---- map memory ----------------------------------------------------------------------------

def render_mem(rows):
    out = []
    for r in rows:
        per = fmt(r["bytes"] / r["count"] * 1000) if r["count"] else "–"
        out.append([r["variant"], r["what"], f"{r['count']:.0f}", f"{r['bytes']:.0f}", per])
    return ["Memory the dataplane's tables take (lower is better).", ""] + table(
        ["variant", "what", "count", "bytes", "bytes per 1,000"], out)


def mem_section(out):
    return guarded("Memory per 1,000 flows and ports (mem.csv)", load_mem, render_mem, out)
