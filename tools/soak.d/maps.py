#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tools/soak: the entries of every pinned map of an instance, one "name count" a line.

    maps.py PIN_DIR

A hash or LRU map counts its entries; an array (whose slots always exist)
counts the slots whose value is not all zero, on any CPU for a per-CPU one,
and lists them on a line "NAME.slots 1,4,..." ("-": none): an endpoint's
counters left behind in ep_stats show up as a slot of no endpoint. Reads with bpftool (tools may; product code never does).
"""
import json
import os
import subprocess
import sys


def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", *args], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    return json.loads(out) if out.strip() else []


def nonzero(v):
    """A value as bpftool -j dumps it: a list of hex byte strings."""
    return any(int(b, 16) for b in v)


def key_int(key):
    """An array's key (4 bytes, little endian) as a number."""
    return int.from_bytes(bytes(int(b, 16) for b in key), "little")


def count(path):
    """(entries, the array slots that are not zero)"""
    info = bpftool("map", "show", "pinned", path)
    entries = bpftool("map", "dump", "pinned", path)
    if "array" not in info.get("type", ""):
        return len(entries), None
    slots = []
    for e in entries:
        if "values" in e:        # per-CPU: [{"cpu": 0, "value": [...]}, ...]
            used = any(nonzero(c["value"]) for c in e["values"])
        else:
            used = nonzero(e["value"])
        if used:
            slots.append(key_int(e["key"]))
    return len(slots), slots


def main():
    pin_dir = sys.argv[1]
    for name in sorted(os.listdir(pin_dir)):
        path = os.path.join(pin_dir, name)
        if not os.path.isfile(path):
            continue
        try:
            kind = bpftool("map", "show", "pinned", path)
        except subprocess.CalledProcessError:
            continue    # a program or link pin: not a map
        if kind:
            n, slots = count(path)
            print(name, n)
            if slots is not None:
                print("%s.slots %s" % (name, ",".join(map(str, slots)) or "-"))


if __name__ == "__main__":
    main()
