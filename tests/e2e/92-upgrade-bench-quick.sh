#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/upgrade-bench --quick: it gives conn/s before, during and after every swap it
# knows (both controls, (a), (b) and back, (c) and back with build-next/), no connection
# failed, its report files are written, and it leaves nothing behind: no netns, mount,
# temp dir or cgroup of its run. No timing is asserted: the machine is shared.
source "$(dirname "$0")/lib.sh"

LIMIT=240 # seconds; --quick takes under a minute
if [ "$(id -u)" != 0 ]; then
	diag "the bench needs root"
	exit 1
fi
OUTDIR=$(mktemp -d /tmp/bpfnet-upgrade-bench-test.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT

make -C "$REPO_DIR" --no-print-directory -s prog-variant >"$OUTDIR/make.log" 2>&1 ||
	{ diag_file "$OUTDIR/make.log"; bail "make prog-variant"; }
make -C "$REPO_DIR" --no-print-directory -s next >"$OUTDIR/make.log" 2>&1 ||
	{ diag_file "$OUTDIR/make.log"; bail "make next"; }
SWAPS="none busy a-same b-prog b-back c-next c-back"

start=$SECONDS
timeout -k 10 "$LIMIT" "$REPO_DIR/tools/upgrade-bench" --quick --out "$OUTDIR/out" \
	>"$OUTDIR/bench.log" 2>&1
rc=$?
if [ $rc = 0 ]; then
	ok "tools/upgrade-bench --quick exits 0: no connection failed ($((SECONDS - start)) s)"
else
	not_ok "tools/upgrade-bench --quick exits 0 (exit $rc after $((SECONDS - start)) s)"
	diag "$(tail -n 30 "$OUTDIR/bench.log")"
fi

# every swap: its three windows with connections in them, none failed, its init done
for s in $SWAPS; do
	got=$(python3 - "$OUTDIR/out/windows.csv" "$s" <<'PY'
import csv, sys
try:
    rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["swap"] == sys.argv[2]]
except OSError as e:
    sys.exit(print(f"no windows.csv: {e}"))
bad = [f"{r['window']}: {r['conns']} conns, {r['errors']} failed, init exit {r['swap_rc']}"
       for r in rows if int(r["conns"]) == 0 or r["errors"] != "0" or r["swap_rc"] != "0"]
wins = sorted(r["window"] for r in rows)
if wins != ["after", "before", "during"]:
    bad.append(f"windows {wins}")
print("; ".join(bad) or "ok " + ", ".join(f"{r['window']} {r['conn_per_s']}/s" for r in rows))
PY
)
	if [[ "$got" == "ok "* ]]; then
		ok "swap $s: conn/s before, during and after, none failed (${got#ok })"
	else
		not_ok "swap $s: conn/s before, during and after, none failed"
		diag "$got"
	fi
done

missing=""
for f in summary.md windows.csv raw.csv conditions.txt; do
	[ -s "$OUTDIR/out/$f" ] || missing+=" $f"
done
if [ -z "$missing" ]; then ok "report files written"; else not_ok "report files missing:$missing"; fi

# what the run made: "# sandbox: netns bnuPID-*, temp dir /run/..., cgroup ...", as
# left_nothing reads it
sed -n 's/^# sandbox: /sandbox: /p' "$OUTDIR/bench.log" >"$OUTDIR/where"
check "nothing left behind (netns, mounts, temp dir, cgroup)" left_nothing "$OUTDIR/where"

done_testing
