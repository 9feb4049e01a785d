# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What the parts of tools/bench's report share: number formatting, markdown tables,
the spread of a set of reps, and the judgement of a figure against a target line."""
import statistics


def fmt(x):
    if x is None:
        return ""
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


class Spread:
    """Median, min and max of the reps of one figure (a value or a ratio)."""

    def __init__(self, values):
        self.values = sorted(values)
        self.n = len(self.values)
        self.med = statistics.median(self.values) if self.values else None
        self.lo = self.values[0] if self.values else None
        self.hi = self.values[-1] if self.values else None

    def __bool__(self):
        return self.n > 0

    def spans(self, line):
        """The min-max holds LINE strictly inside or on its ends, with more than one rep:
        this run cannot say on which side of LINE the figure is."""
        return self.n > 1 and self.lo <= line <= self.hi and self.lo != self.hi

    def text(self, unit="", digits=2):
        """'0.98 (0.95–1.01)', or '0.98' for a single rep; UNIT after each number."""
        f = (lambda x: f"{x:.{digits}f}{unit}") if digits is not None else (lambda x: fmt(x) + unit)
        if not self:
            return "–"
        if self.n == 1:
            return f(self.med)
        return f"{f(self.med)} ({f(self.lo)}–{f(self.hi)})"


def per_rep_ratio(a, b):
    """Spread of A[k] / B[k] over the reps k both have (interleaved reps: rep k of one
    variant ran next to rep k of the other, so their ratio cancels what changed between
    reps). A and B map rep -> value."""
    return Spread([a[k] / b[k] for k in a if k in b and b[k]])


def judge(s, op, line):
    """'met', 'not met', 'cannot tell (spread crosses the line)' or 'not measured' for the
    Spread S against 'OP LINE' (OP '>=' or '<=')."""
    if not s:
        return "not measured"
    ok = (lambda x: x >= line) if op == ">=" else (lambda x: x <= line)
    if ok(s.lo) and ok(s.hi):
        word = "met"
    elif not ok(s.lo) and not ok(s.hi):
        word = "not met"
    else:
        return "cannot tell (spread crosses the line)"
    return word + (" (1 rep: no spread to judge by)" if s.n == 1 else "")
