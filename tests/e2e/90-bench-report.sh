#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/bench's report (tools/bench.d/report.py) on synthetic OUT dirs: rep-by-rep ratios
# against every baseline with their min–max, headlines, the new paths and variants, the
# verdicts/pps/mem sections and the targets' verdicts. No netns, no root needed: it only
# reads and writes files in a temp dir of its own (tests/e2e/benchreport.py).
exec python3 "$(dirname "$0")/benchreport.py"
