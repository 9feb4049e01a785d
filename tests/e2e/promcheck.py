#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A strict checker of Prometheus' text exposition format 0.0.4, for tests.

    promcheck.py FILE                       every line valid, or the first errors and exit 1
    promcheck.py FILE NAME [LABEL=VALUE...] also print the sum of the samples of NAME
                                            whose labels include those (exit 1: none)

Stricter than Prometheus' own parser where bpfnet has no reason to differ:
every line is "# HELP name text", "# TYPE name type" or a sample
"name{label="value",...} value" (no other comment, no empty line, no
timestamp); each metric has exactly one HELP and one TYPE, both before its
first sample, and its samples follow without another family in between;
metric and label names are valid, label values use only the escapes \\\\ \\"
\\n, no label twice, no series twice; a counter's name ends in _total and its
values are finite and non-negative; the text ends with a line feed.
"""
import math
import re
import sys

METRIC = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
HELP_TEXT = re.compile(r"(?:[^\\\n]|\\\\|\\n)*")
# Go's strconv.ParseFloat forms as Prometheus writes them
VALUE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?|Inf|NaN)")


class Bad(Exception):
    pass


def unescape_value(s, pos):
    """The label value starting after the opening quote at s[pos:]; (value, pos after the quote)."""
    out = []
    while True:
        if pos >= len(s):
            raise Bad("a label value is not closed")
        c = s[pos]
        if c == '"':
            return "".join(out), pos + 1
        if c == "\\":
            nxt = s[pos + 1:pos + 2]
            if nxt not in ('\\', '"', 'n'):
                raise Bad("label value escape '\\%s' (only \\\\ \\\" \\n)" % nxt)
            out.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
            pos += 2
            continue
        if c == "\n":
            raise Bad("a raw line feed in a label value")
        out.append(c)
        pos += 1


def parse_labels(s, pos):
    """{...} at s[pos] == '{': (dict, pos after '}')."""
    labels = {}
    pos += 1
    if s[pos:pos + 1] == "}":
        return labels, pos + 1
    while True:
        m = LABEL.match(s, pos)
        if not m:
            raise Bad("bad label name at '%s'" % s[pos:pos + 20])
        name = m.group(0)
        if name.startswith("__"):
            raise Bad("label name '%s' is reserved (__)" % name)
        if name in labels:
            raise Bad("label '%s' twice" % name)
        pos = m.end()
        if s[pos:pos + 2] != '="':
            raise Bad("label '%s' is not followed by =\"" % name)
        labels[name], pos = unescape_value(s, pos + 2)
        if s[pos:pos + 1] == ",":
            pos += 1
            continue
        if s[pos:pos + 1] == "}":
            return labels, pos + 1
        raise Bad("after label '%s': '%s'" % (name, s[pos:pos + 10]))


def parse(text):
    """{name: {"type", "help", "samples": [(labels, value)]}} or Bad."""
    if not text.endswith("\n"):
        raise Bad("the text does not end with a line feed")
    families = {}
    current = None          # the family whose samples are being read
    done = set()            # families whose samples are over
    series = set()
    for n, line in enumerate(text[:-1].split("\n"), 1):
        try:
            current = parse_line(line, families, current, done, series)
        except Bad as e:
            raise Bad("line %d: %s: %r" % (n, e, line))
    for name, f in families.items():
        if "type" not in f or "help" not in f:
            raise Bad("%s has no %s" % (name, "TYPE" if "type" not in f else "HELP"))
    return families


def parse_line(line, families, current, done, series):
    if line.startswith("#"):
        m = re.fullmatch(r"# (HELP|TYPE) (\S+) (.*)", line)
        if not m:
            raise Bad("a comment that is neither '# HELP name text' nor '# TYPE name type'")
        what, name, rest = m.groups()
        if not METRIC.fullmatch(name):
            raise Bad("bad metric name '%s'" % name)
        f = families.setdefault(name, {"samples": []})
        if f["samples"] or name in done:
            raise Bad("%s of %s after its samples" % (what, name))
        key = what.lower()
        if key in f:
            raise Bad("a second %s of %s" % (what, name))
        if what == "TYPE":
            if rest not in TYPES:
                raise Bad("unknown type '%s'" % rest)
            if rest == "counter" and not name.endswith("_total"):
                raise Bad("counter %s does not end in _total" % name)
        elif not HELP_TEXT.fullmatch(rest):
            raise Bad("HELP text escapes only \\\\ and \\n")
        f[key] = rest
        if current and current != name:
            done.add(current)
        return name
    m = METRIC.match(line)
    if not m:
        raise Bad("not a comment nor a sample")
    name, pos = m.group(0), m.end()
    labels = {}
    if line[pos:pos + 1] == "{":
        labels, pos = parse_labels(line, pos)
    if line[pos:pos + 1] != " ":
        raise Bad("no single space before the value")
    value = line[pos + 1:]
    if not VALUE.fullmatch(value):
        raise Bad("bad value '%s' (or a timestamp)" % value)
    f = families.get(name)
    if not f or "type" not in f or "help" not in f:
        raise Bad("a sample of %s before its HELP and TYPE" % name)
    if name in done:
        raise Bad("a sample of %s after another family began" % name)
    v = float(value.replace("Inf", "inf").replace("NaN", "nan"))
    if f["type"] == "counter" and (math.isnan(v) or math.isinf(v) or v < 0):
        raise Bad("counter %s is %s" % (name, value))
    key = (name, tuple(sorted(labels.items())))
    if key in series:
        raise Bad("series %s%s twice" % (name, labels))
    series.add(key)
    f["samples"].append((labels, v))
    if current and current != name:
        done.add(current)
    return name


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as fh:
        text = fh.read()
    try:
        families = parse(text)
    except Bad as e:
        print("promcheck: %s" % e)
        sys.exit(1)
    if len(sys.argv) == 2:
        return
    name, want = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
    hits = [v for labels, v in families.get(name, {"samples": []})["samples"]
            if all(labels.get(k) == w for k, w in want.items())]
    if not hits:
        print("promcheck: no sample of %s with %s" % (name, want))
        sys.exit(1)
    total = sum(hits)
    print(int(total) if total == int(total) else total)


if __name__ == "__main__":
    main()
