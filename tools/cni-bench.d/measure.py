#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/cni-bench's timing loop, run in the node netns of one chain.

  measure.py --conf FILE --cache DIR --path DIRS --netns-file FILE --port-base N
             --variant V --endpoints N --raw FILE [--prefill]

For each netns named in --netns-file (one a line, each used once, made by the
caller): ADD of a container in it, with one port mapping (hostPort port-base+i
-> 80/tcp), through the chain in --conf as libcni runs it (tools/lib/cnirt.py);
then, unless --prefill (the containers stay: they are the endpoints the node
holds for the next count), its DEL. Each ADD and DEL is timed from the exec of
the chain's first plugin to the exit of its last, the sum of the plugin runs (the
runtime's own JSON handling between them left out); raw rows
"variant,endpoints,op,sample,ms" are appended to --raw, with op ADD and DEL for
the chain and ADD:<type>, DEL:<type> for each plugin in it. A failure is printed
and counted; more than a tenth of the samples failing ends the run with status 1.
"""

import argparse
import hashlib
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import cnirt  # noqa: E402


def container_id(name):
    return hashlib.sha256(name.encode()).hexdigest()


def timed(rt, fn, *args):
    """fn(*args) on rt; the plugin runs it made and their seconds."""
    first = len(rt.log)
    fn(*args)
    runs = rt.log[first:]
    return sum(i.seconds for i in runs), runs


def main():
    ap = argparse.ArgumentParser()
    for a in ("--conf", "--cache", "--path", "--netns-file", "--variant", "--raw"):
        ap.add_argument(a, required=True)
    ap.add_argument("--port-base", type=int, required=True)
    ap.add_argument("--endpoints", type=int, required=True)
    ap.add_argument("--prefill", action="store_true")
    o = ap.parse_args()
    net = cnirt.load_config(o.conf)
    rt = cnirt.Runtime(path=o.path, cache_dir=o.cache, timeout=120)
    names = [n.strip() for n in open(o.netns_file) if n.strip()]
    failed = 0
    rows = []
    for i, name in enumerate(names):
        att = cnirt.Attachment(container_id(name), "/run/netns/" + name, "eth0",
                               capability_args={"portMappings": [
                                   {"hostPort": o.port_base + i, "containerPort": 80,
                                    "protocol": "tcp"}]})
        ops = [("ADD", rt.add)] + ([] if o.prefill else [("DEL", rt.delete)])
        for op, fn in ops:
            try:
                secs, runs = timed(rt, fn, net, att)
            except (cnirt.PluginError, cnirt.HarnessError) as e:
                failed += 1
                print("cni-bench: %s %s %s: %s" % (o.variant, op, name, e), file=sys.stderr)
                break
            rows.append((op, i, secs))
            for r in runs:
                rows.append(("%s:%s" % (op, os.path.basename(r.plugin)), i, r.seconds))
        if failed * 10 > len(names):
            print("cni-bench: %s: %d of %d failed, giving up" % (o.variant, failed, i + 1),
                  file=sys.stderr)
            break
    rt.log.clear()
    with open(o.raw, "a") as f:
        for op, i, secs in rows:
            f.write("%s,%d,%s,%d,%.3f\n" % (o.variant, o.endpoints, op, i, secs * 1000))
    return 1 if failed * 10 > len(names) else 0


if __name__ == "__main__":
    sys.exit(main())
