#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/bench.d/report.py on synthetic OUT dirs (TAP): the rep-by-rep ratios against
every baseline, their min-max, the headlines, the new paths and variants, the sections
of verdicts.csv, pps.csv and mem.csv, and the verdict of each target. The numbers are
chosen so that each expected figure can be worked out by hand, and so that a ratio of
medians (rather than the median of the per-rep ratios) gives a different answer."""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
REPORT = os.path.join(REPO, "tools", "bench.d", "report.py")
VARIANTS = ["floor", "routed", "bridge-iptables", "docker", "docker-noproxy", "bpfnet-l3",
            "bpfnet-bridge"]
PATHS = ["c2c", "ingress", "egress", "local", "hairpin"]

# (variant, path, metric) -> the values of reps 1, 2, 3; everything else gets FILL
FIG = {
    ("routed", "ingress", "conn_per_s"): [1000, 1000, 1000],
    ("bpfnet-l3", "ingress", "conn_per_s"): [1100, 1050, 1020],  # x routed 1.10 1.05 1.02
    ("bpfnet-bridge", "ingress", "conn_per_s"): [990, 1030, 1000],  # 0.99 1.03 1.00: spans
    ("bridge-iptables", "ingress", "conn_per_s"): [800, 700, 1000],  # l3: 1.375 1.5 1.02
    ("docker", "ingress", "conn_per_s"): [500, 500, 500],
    ("routed", "egress", "conn_per_s"): [2000, 2000, 2000],
    ("bpfnet-l3", "egress", "conn_per_s"): [1800, 1900, 1700],  # 0.90 0.95 0.85: not met
    ("routed", "ingress", "rr_p50_us"): [20, 20, 20],
    ("bpfnet-l3", "ingress", "rr_p50_us"): [20.4, 20.8, 21.6],  # 1.02 1.04 1.08 vs 1.05
    ("bpfnet-bridge", "ingress", "rr_p50_us"): [22, 22.2, 22.4],  # 1.10 1.11 1.12: not met
    ("routed", "c2c", "rr_p50_us"): [10, 10, 10],
    ("bpfnet-l3", "c2c", "rr_p50_us"): [9.5, 9.8, 9.9],  # <= 1.0: met
    ("bpfnet-l3", "c2c", "conn_per_s"): [1000, 1200, 1500],
    ("bpfnet-l3", "local", "conn_per_s"): [1500, 1500, 1500],  # x own c2c 1.5 1.25 1.0: met
    ("routed", "ingress", "conn_per_s_cpu_ns"): [50000, 50000, 50000],
    ("bpfnet-l3", "ingress", "conn_per_s_cpu_ns"): [50000, 52000, 51000],  # 1.00 1.04 1.02
    ("floor", "c2c", "conn_per_s"): [4000, 4000, 5000],
}
SCALE = {  # (variant, N) -> conn_per_s of reps 1..3
    ("bpfnet-l3", 0): [1000, 1000, 1000], ("bpfnet-l3", 50000): [960, 990, 1000],  # met
    ("bpfnet-bridge", 0): [1000, 1000, 1000], ("bpfnet-bridge", 50000): [900, 1000, 980],
}
METRICS = ["tcp1_gbps", "tcp2_gbps", "rr_p50_us", "rr_p99_us", "conn_per_s", "udp_frag_loss_pct",
           "udp_frag_mbps", "conn_per_s_cpu_ns", "rr_p50_us_cpu_ns", "tcp1_gbps_cpu_ns",
           "conn_per_s_cpu_busy_pct"]
FILL_PCT = {"conn_per_s_cpu_busy_pct": [40, 50, 60]}
FILL = [7.0, 7.0, 7.0]

VERDICTS = """hook,program,verdict,ns,ns_min,ns_max,samples,method
tc,empty,empty_program,8,7,9,5,repeat 1000000 on an unchanged packet
tc,from_uplink,not_ours,25,22,28,5,repeat 1000000 on an unchanged packet
xdp,xdp_from_uplink,not_ours,35,32,38,5,live frames
tc,from_uplink,dnat_established,90,85,105,5,repeat 1000000 on an unchanged packet
"""
PPS = """variant,rep,pps,busy_cores,pps_per_core,ns_per_packet,sent,received
bpfnet-xdp,1,3000000,1,3000000,333,3000000,3000000
bpfnet-xdp,2,3300000,1,3300000,303,3300000,3300000
bpfnet-xdp,3,3600000,1,3600000,278,3600000,3600000
bpfnet-tc,1,1000000,1,1000000,1000,1000000,1000000
bpfnet-tc,2,1000000,1,1000000,1000,1000000,1000000
bpfnet-tc,3,1000000,1,1000000,1000,1000000,1000000
iptables,1,500000,1,500000,2000,500000,500000
iptables,2,800000,1,800000,1250,800000,800000
iptables,3,600000,1,600000,1667,600000,600000
nftables,1,unsupported,,,,,
"""
MEM = """variant,what,count,bytes
bpfnet-l3,conntrack flows,2000,512000
bpfnet-l3,published ports,1000,64000
"""

T = {"n": 0, "failed": 0}


def check(cond, what, diag=""):
    T["n"] += 1
    if cond:
        print(f"ok {T['n']} - {what}")
    else:
        T["failed"] += 1
        print(f"not ok {T['n']} - {what}")
        for line in str(diag).splitlines()[:30]:
            print(f"#   {line}")


def write_out(d, stages=True, scale=True):
    os.makedirs(d)
    with open(os.path.join(d, "raw.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "variant", "path", "ports", "rep", "metric", "value"])
        for rep in (1, 2, 3):
            for v in VARIANTS:  # interleaved, as the bench writes them
                for p in (["c2c"] if v == "floor" else PATHS):
                    if v == "docker-noproxy" and p == "local":
                        w.writerow(["paths", v, p, 0, rep, "*", "unsupported"])
                        continue
                    if v == "bpfnet-bridge" and p == "local":
                        continue  # not measured at all
                    for m in METRICS:
                        val = FIG.get((v, p, m), FILL_PCT.get(m, FILL))[rep - 1]
                        if m == "conn_per_s_cpu_busy_pct" and p == "egress":
                            val = 97 + rep % 3  # every egress test found the cores full
                        if v == "docker" and p == "hairpin" and m == "tcp1_gbps" and rep == 2:
                            val = "error"
                        w.writerow(["paths", v, p, 0, rep, m, val])
            for (v, n), vals in (SCALE.items() if scale else []):
                w.writerow(["scale", v, "ingress", n, rep, "conn_per_s", vals[rep - 1]])
                w.writerow(["scale", v, "ingress", n, rep, "install_ms", 5])
    with open(os.path.join(d, "notes.csv"), "w") as f:
        f.write('variant,scope,status,reason\ndocker-noproxy,paths/local,unsupported,'
                '"no docker-proxy: nothing listens on 127.0.0.1"\n')
    with open(os.path.join(d, "conditions.txt"), "w") as f:
        f.write("bpfnet bench, 2030-01-02 03:04:05 UTC\nkernel: Linux 6.18.0-test #1 SMP x86_64\n"
                "cpu: Test CPU @ 2.0GHz, 2 online\n")
    if stages:
        for name, text in (("verdicts.csv", VERDICTS), ("pps.csv", PPS), ("mem.csv", MEM)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)


def report(d, *args):
    r = subprocess.run([sys.executable, REPORT, "--out", d, *args], capture_output=True,
                       text=True, timeout=300)
    md = open(os.path.join(d, "summary.md")).read() if r.returncode == 0 else ""
    return r, md


def md_rows(md):
    return [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in md.splitlines() if line.startswith("|") and not line.startswith("|---")]


def targets(md):
    """{(figure, of): (measured, verdict)} of the Targets table."""
    part = md[md.index("## Targets"):]
    return {(r[0], r[2]): (r[3], r[4]) for r in md_rows(part) if len(r) == 5}


def ratio_row(rows, figure, variant):
    """The row of VARIANT in the group of FIGURE (its name is on the group's first row)."""
    cur = None
    for r in rows:
        cur = r[0] or cur
        if cur == figure and len(r) > 1 and r[1] == variant:
            return r
    return None


def section(md, title):
    i = md.index(title)
    j = md.find("\n## ", i + 1)
    k = md.find("\n### ", i + 1)
    ends = [x for x in (j, k) if x > 0]
    return md[i:min(ends)] if ends else md[i:]


def test_full(tmp):
    out = os.path.join(tmp, "full")
    write_out(out)
    r, md = report(out)  # variants, paths, reps: all from raw.csv
    check(r.returncode == 0, "report.py runs on a synthetic OUT dir", r.stderr)
    if r.returncode:
        return
    t = targets(md)
    want = {
        ("ingress via published port, new conn/s", "bpfnet-l3"): ("1.05x (1.02x–1.10x)", "met"),
        ("ingress via published port, new conn/s", "bpfnet-bridge"):
            ("1.00x (0.99x–1.03x)", "cannot tell (spread crosses the line)"),
        ("egress via masquerade, new conn/s", "bpfnet-l3"): ("0.90x (0.85x–0.95x)", "not met"),
        ("container to container, l3 and bridge, RR p50", "bpfnet-l3"):
            ("0.98x (0.95x–0.99x)", "met"),
        ("published port RR p50", "bpfnet-l3"):
            ("1.04x (1.02x–1.08x)", "cannot tell (spread crosses the line)"),
        ("published port RR p50", "bpfnet-bridge"): ("1.11x (1.10x–1.12x)", "not met"),
        ("any path at 50,000 published ports", "bpfnet-l3 (ingress)"):
            ("0.99x (0.96x–1.00x)", "met"),
        ("any path at 50,000 published ports", "bpfnet-bridge (ingress)"):
            ("0.98x (0.90x–1.00x)", "cannot tell (spread crosses the line)"),
        ("node → 127.0.0.1:published port, new conn/s", "bpfnet-l3"):
            ("1.25x (1.00x–1.50x)", "met"),
        ("uplink published-port pps per core, XDP vs tc", "bpfnet-xdp ÷ bpfnet-tc"):
            ("3.30x (3.00x–3.60x)", "met"),
        ("uplink published-port pps per core, XDP vs iptables", "bpfnet-xdp ÷ iptables"):
            ("6.00x (4.12x–6.00x)", "cannot tell (spread crosses the line)"),
        ("not-ours packet on the uplink", "tc from_uplink"): ("25.00 ns (22.00 ns–28.00 ns)", "met"),
        ("not-ours packet on the uplink", "xdp xdp_from_uplink"):
            ("35.00 ns (32.00 ns–38.00 ns)", "not met"),
        ("established DNAT packet", "tc from_uplink"):
            ("90.00 ns (85.00 ns–105.00 ns)", "cannot tell (spread crosses the line)"),
    }
    for k, v in want.items():
        check(t.get(k) == v, f"target {k[0]} / {k[1]}: {v[0]}, {v[1]}", f"got {t.get(k)}")
    lo = t.get(("node → 127.0.0.1:published port, new conn/s", "bpfnet-bridge"), ("", ""))
    check(lo[1].startswith("not measured"), "a target without numbers is 'not measured'", lo)

    ing = section(md, "### external → published port")
    head = next(r for r in md_rows(ing) if r[0] == "figure")
    check(head == ["figure", "variant", "x floor", "x routed", "x iptables", "x docker"],
          "ratio columns: one baseline each, no units", head)
    rows = md_rows(ing)
    l3 = ratio_row(rows, "new conn/s (higher is better)", "bpfnet-l3")
    # per rep: 1100/800, 1050/700, 1020/1000 (a ratio of medians would say 1.31)
    check(l3 is not None and l3[4] == "1.38 (1.02–1.50)" and l3[3] == "1.05 (1.02–1.10)",
          "bpfnet-l3 ingress conn/s: rep-by-rep ratios, median (min–max)", l3)
    check(l3 is not None and l3[2] == "0.26 (0.20–0.28)",
          "x floor divides by the floor's one path (c2c): 1100/4000 1050/4000 1020/5000", l3)
    br = next((r for r in rows if len(r) > 3 and r[1] == "bpfnet-bridge" and r[3].startswith("1.00")),
              None)
    check(br is not None and br[3].endswith("~"), "a ratio whose min–max spans 1.00 is marked", br)
    check(SPANS_WORDS in ing, "the mark is explained: no 5% judgement", ing[-400:])
    check(not any(r[0].startswith("floor") for r in rows), "no floor row under ingress", rows)
    check(md.count("one veth pair, no node between") >= 1
          and "### floor (one veth pair, no node between)" in md,
          "the floor has its own section, named for what it is")
    check("docker-noproxy" in ing, "variant docker-noproxy in the ingress table")
    for p in ("### node process → 127.0.0.1:published port",
              "### container → node's uplink address:published port (hairpin)"):
        check(p in md, f"path table {p[4:]}")
    cpu = ratio_row(rows, "CPU ns per connection (lower is better)", "bpfnet-l3")
    check(cpu is not None and cpu[3] == "1.02 (1.00–1.04) ~", "CPU ns per connection x routed", cpu)
    eg = section(md, "### container → external")
    check("cores were 98% busy during these tests" in eg and "cores were" not in ing,
          "a path whose tests found the cores saturated says its CPU ns mean little", eg[-600:])
    hl = re.search(r"^- ingress new conn/s.*$", md, re.M)
    check(hl is not None and "bpfnet-l3 1.38x iptables (1.02–1.50)" in hl[0]
          and "1.05x routed (1.02–1.10)" in hl[0] and md.index(hl[0]) < md.index("## Paths"),
          "headline per path at the top", hl and hl[0])

    vd = section(md, "## Per-packet cost")
    rows = md_rows(vd)
    nb = next((r for r in rows if r[2] == "not_ours" and r[0] == "tc"), None)
    check(nb is not None and nb[3] == "25.0 (22.0–28.0)" and len(nb) == 6,
          "verdicts table: ns (min–max) as the tool gave it, net, not subtracted again", nb)
    check(any(r[2] == "empty program (baseline, raw)" for r in rows),
          "the empty program baseline row")
    pp = section(md, "## Packets per second")
    xdp = [r for r in md_rows(pp) if r[0] == "bpfnet-xdp"]
    check(len(xdp) == 2 and xdp[1][1:] == ["3.30 (3.00–3.60)", "6.00 (4.12–6.00)"],
          "pps table: x bpfnet-tc and x iptables rep by rep", xdp)
    check("Not measured: nftables: unsupported" in pp and
          not [r for r in md_rows(pp) if r[0] == "nftables"],
          "pps: an unsupported variant is named, not tabled", pp)
    mm = section(md, "## Memory")
    check(["bpfnet-l3", "conntrack flows", "2000", "512000", "256000"] in md_rows(mm),
          "mem table: bytes per 1,000", md_rows(mm))

    with open(os.path.join(out, "summary.csv")) as f:
        rows = list(csv.DictReader(f))
    row = next((r for r in rows if (r["variant"], r["path"], r["metric"]) ==
                ("bpfnet-l3", "ingress", "conn_per_s")), {})
    check(row.get("ratio_to_routed") == "1.050" and row.get("ratio_to_bridge_iptables") == "1.375"
          and row.get("ratio_to_docker") == "2.100", "summary.csv ratios rep by rep", row)
    check(not any(r["variant"] == "floor" and r["path"] != "c2c" for r in rows),
          "summary.csv: the floor on its one path only")

    if shutil.which("gnuplot"):
        gp = open(os.path.join(out, "plots", "connrate.png.gp")).read()
        check("higher is better" in gp and "Test CPU @ 2.0GHz, 2 cores" in gp
              and "kernel 6.18.0-test" in gp and "2030-01-02" in gp,
              "plot title: which way is better, machine, kernel, date", gp[:300])
        lat = open(os.path.join(out, "plots", "latency.svg.gp")).read()
        check("lower is better" in lat, "latency plot: lower is better")
        check(os.path.getsize(os.path.join(out, "plots", "connrate.png")) > 0,
              "plot drawn", r.stdout[-300:] + r.stderr[-300:])


SPANS_WORDS = "a 5% judgement cannot be made"


def test_no_stages(tmp):
    out = os.path.join(tmp, "bare")
    write_out(out, stages=False, scale=False)
    r, md = report(out, "--variants", ",".join(VARIANTS), "--reps", "3", "--scale", "none")
    check(r.returncode == 0, "report.py without the stage files", r.stderr)
    if r.returncode:
        return
    for s in ("## Per-packet cost", "## Packets per second", "## Memory"):
        check("not measured in this run" in section(md, s), f"{s[3:]}: not measured in this run")
    t = targets(md)
    check(t.get(("established DNAT packet", "–"), ("", ""))[1].startswith("not measured"),
          "verdict target without verdicts.csv: not measured", t)
    check(t.get(("any path at 50,000 published ports", "bpfnet-l3 (ingress)"), ("", ""))[1]
          .startswith("not measured"), "scale target without a scale run: not measured")


def test_bad_stage(tmp):
    out = os.path.join(tmp, "bad")
    write_out(out)
    with open(os.path.join(out, "verdicts.csv"), "w") as f:
        f.write("hook,program,verdict,ns\ntc,x,not_ours,12\n")
    with open(os.path.join(out, "pps.csv"), "a") as f:
        f.write("iptables,4,many,1,1,1,1,1\n")
    r, md = report(out)
    check(r.returncode == 0, "report.py with malformed stage files", r.stderr)
    if r.returncode:
        return
    check("Cannot be shown: verdicts.csv: no column ns_min" in md, "missing columns are named")
    check("Cannot be shown: pps.csv line 12: 'many' in column pps is no number" in md,
          "a bad number is named with its line", section(md, "## Packets per second"))


def test_one_rep(tmp):
    out = os.path.join(tmp, "one")
    write_out(out, stages=False)
    rows = list(csv.reader(open(os.path.join(out, "raw.csv"))))
    with open(os.path.join(out, "raw.csv"), "w", newline="") as f:
        csv.writer(f).writerows([r for r in rows if r[4] in ("rep", "1")])
    r, md = report(out)
    check(r.returncode == 0, "report.py on one rep", r.stderr)
    if r.returncode:
        return
    t = targets(md)
    check(t.get(("ingress via published port, new conn/s", "bpfnet-l3")) ==
          ("1.10x", "met (1 rep: no spread to judge by)"), "one rep: the verdict says so",
          t.get(("ingress via published port, new conn/s", "bpfnet-l3")))
    check("no 5% judgement can be made" in md.split("## Paths")[0], "one rep: said at the top")


def main():
    tmp = tempfile.mkdtemp(prefix="bpfnet-benchreport.")
    try:
        for t in (test_full, test_no_stages, test_bad_stage, test_one_rep):
            try:
                t(tmp)
            except Exception as e:  # a crash of one case fails it, the others still run
                check(False, f"{t.__name__} ran", repr(e))
    finally:
        shutil.rmtree(tmp)
    print(f"1..{T['n']}")
    sys.exit(1 if T["failed"] else 0)


if __name__ == "__main__":
    main()
