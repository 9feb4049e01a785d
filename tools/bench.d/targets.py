# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The "Targets" table of tools/bench's report: each target of issue 13, the figure this
run measured (median and min-max over the reps) and whether it is met. A target is met
when the whole min-max is on the right side of its line, not met when the whole of it is
on the wrong side, and cannot be told when the line falls inside the spread."""
from reportlib import judge, per_rep_ratio, table
from stages import StageError, load_pps, load_verdicts, pps_by_rep, verdict_spread

# the variants a ratio target is judged for
TARGET_VARIANTS = ["bpfnet-l3", "bpfnet-bridge"]
ROUTED = "routed"

# Issue 13's targets, as its table words them. kind:
#   ratio    METRIC on PATH of each bpfnet variant ÷ BASE's (BASE None: the same variant's,
#            on BASE_PATH), rep by rep
#   scale    ingress METRIC at N published ports ÷ at N=0, the same variant, rep by rep
#   pps      pps per core of A ÷ B (pps.csv), rep by rep
#   verdict  ns per packet of VERDICT, each program that has it (verdicts.csv)
TARGETS = [
    dict(figure="ingress via published port, new conn/s", target=">= 1.0x `routed`",
         kind="ratio", path="ingress", metric="conn_per_s", base=ROUTED, op=">=", line=1.0),
    dict(figure="egress via masquerade, new conn/s", target=">= 1.0x `routed`",
         kind="ratio", path="egress", metric="conn_per_s", base=ROUTED, op=">=", line=1.0),
    dict(figure="container to container, l3 and bridge, new conn/s", target=">= 1.0x `routed`",
         kind="ratio", path="c2c", metric="conn_per_s", base=ROUTED, op=">=", line=1.0),
    dict(figure="container to container, l3 and bridge, RR p50", target="<= 1.0x `routed`",
         kind="ratio", path="c2c", metric="rr_p50_us", base=ROUTED, op="<=", line=1.0),
    dict(figure="published port RR p50", target="<= 1.05x `routed`",
         kind="ratio", path="ingress", metric="rr_p50_us", base=ROUTED, op="<=", line=1.05),
    dict(figure="any path at 50,000 published ports", target=">= 0.95x its own N=0",
         kind="scale", metric="conn_per_s", ports=50000, op=">=", line=0.95),
    dict(figure="node → 127.0.0.1:published port, new conn/s",
         target=">= 1.0x container to container", kind="ratio", path="local",
         metric="conn_per_s", base=None, base_path="c2c", op=">=", line=1.0),
    dict(figure="uplink published-port pps per core, XDP vs tc", target="XDP >= 3x tc",
         kind="pps", a="bpfnet-xdp", b="bpfnet-tc", op=">=", line=3.0),
    dict(figure="uplink published-port pps per core, XDP vs iptables",
         target="XDP >= 5x iptables", kind="pps", a="bpfnet-xdp", b="iptables", op=">=", line=5.0),
    dict(figure="not-ours packet on the uplink", target="<= 30 ns per packet in the XDP or tc "
         "fast check", kind="verdict", verdict="not_ours", op="<=", line=30.0),
    dict(figure="established DNAT packet", target="<= 100 ns per packet",
         kind="verdict", verdict="dnat_established", op="<=", line=100.0),
]


def row(t, who, s, unit, why=""):
    """A table row: the figure, its target, who it is of, what was measured, the verdict."""
    if not s:
        return [t["figure"], t["target"], who, "–", "not measured" + (f" ({why})" if why else "")]
    return [t["figure"], t["target"], who, s.text(unit), judge(s, t["op"], t["line"])]


def ratio_rows(t, d, variants):
    vs = [v for v in TARGET_VARIANTS if v in variants]
    if not vs:
        return [row(t, "bpfnet", None, "", "no bpfnet variant in this run")]
    if t["base"] and t["base"] not in variants:
        return [row(t, v, None, "", f"no `{t['base']}` in this run") for v in vs]
    out = []
    for v in vs:
        base = t["base"] or v
        a = d.reps("paths", v, t["path"], 0, t["metric"])
        b = d.reps("paths", base, t.get("base_path", t["path"]), 0, t["metric"])
        why = f"no {t['path']} numbers" if not a else f"no numbers of {base}" if not b else ""
        out.append(row(t, v, per_rep_ratio(a, b), "x", why))
    return out


def scale_rows(t, d, variants):
    vs = [v for v in TARGET_VARIANTS if v in variants]
    if not vs:
        return [row(t, "bpfnet", None, "", "no bpfnet variant in this run")]
    out = []
    for v in vs:
        a = d.reps("scale", v, "ingress", t["ports"], t["metric"])
        b = d.reps("scale", v, "ingress", 0, t["metric"])
        why = "" if a and b else f"--ports-scale did not hold 0 and {t['ports']}"
        out.append(row(t, f"{v} (ingress)", per_rep_ratio(a, b), "x", why))
    return out


def pps_rows(t, out_dir):
    try:
        rows = load_pps(out_dir)
    except (StageError, OSError) as e:
        return [row(t, "–", None, "", str(e))]
    if not rows:
        return [row(t, "–", None, "", "no pps.csv")]
    s = per_rep_ratio(pps_by_rep(rows, t["a"]), pps_by_rep(rows, t["b"]))
    return [row(t, f"{t['a']} ÷ {t['b']}", s, "x", f"pps.csv has no {t['a']} and {t['b']}")]


def verdict_rows(t, out_dir):
    try:
        rows = load_verdicts(out_dir)
    except (StageError, OSError) as e:
        return [row(t, "–", None, "", str(e))]
    if not rows:
        return [row(t, "–", None, "", "no verdicts.csv")]
    mine = [r for r in rows if r["verdict"] == t["verdict"]]
    if not mine:
        return [row(t, "–", None, "", f"verdicts.csv has no {t['verdict']}")]
    return [row(t, f"{r['hook']} {r['program']}", verdict_spread(r), " ns") for r in mine]


def target_rows(t, d, variants, out_dir):
    if t["kind"] == "ratio":
        return ratio_rows(t, d, variants)
    if t["kind"] == "scale":
        return scale_rows(t, d, variants)
    if t["kind"] == "pps":
        return pps_rows(t, out_dir)
    return verdict_rows(t, out_dir)


def targets_section(d, variants, out_dir):
    rows = [r for t in TARGETS for r in target_rows(t, d, variants, out_dir)]
    md = ["## Targets (issue 13)", "",
          "Ratios rep by rep (rep k ÷ rep k of the baseline, interleaved), median (min–max). "
          "Met: the whole min–max is on the target's side of the line; not met: the whole of "
          "it is on the other side; cannot tell: the line falls inside the spread (a 5% "
          "judgement cannot be made from this run; more reps or a quieter machine may).", ""]
    md += table(["path / figure", "target", "of", "measured", "verdict"], rows) + [""]
    return md + ["Tally: " + ", ".join(f"{n} {w}" for w, n in tally(rows).items()), ""]


def tally(rows):
    """{verdict word: count} over the rows' last column."""
    out = {}
    for r in rows:
        w = r[-1].split(" (")[0]
        out[w] = out.get(w, 0) + 1
    return out

