#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/run-bench, briefly (5 rounds, podman left out for time): it exits 0, every
# variant has 5 timed samples and none failed, the table and raw samples are written, and
# its sandbox (netns, temp dir, bpffs, cgroups, containers' cgroup parent on every
# hierarchy) is gone afterwards.
source "$(dirname "$0")/lib.sh"

VARIANTS=floor,none,net,net-rootfs
if [ "$(id -u)" != 0 ]; then
	diag "the bench needs root"
	exit 1
fi
[ -x "$BPFNET" ] || { diag "$BPFNET is missing: run make first"; exit 1; }
if ! [ -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	skip_test "tools/run-bench --rounds 5" "no static busybox at /bin/busybox (busybox-static; make deps)"
	done_testing
fi
OUTDIR=$(mktemp -d /tmp/bpfnet-run-bench-test.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT

start=$SECONDS
timeout -k 10 170 "$REPO_DIR/tools/run-bench" --rounds 5 --only "$VARIANTS" --out "$OUTDIR/out" \
	>"$OUTDIR/bench.log" 2>&1 9>&-
rc=$?
is "$rc" 0 "tools/run-bench --rounds 5 exits 0 ($((SECONDS - start)) s)" || diag "$(tail -n 30 "$OUTDIR/bench.log")"

for v in ${VARIANTS//,/ }; do
	row=$(awk -F, -v v="$v" '$1 == v { print $3, $4, $7 }' "$OUTDIR/out/summary.csv" 2>/dev/null)
	check "$v: 5 samples, none failed, a p50 ($row)" \
		awk -v r="$row" 'BEGIN { split(r, a, " "); exit !(a[1] == 5 && a[2] == 0 && a[3] > 0) }'
done
missing=""
for f in summary.md summary.csv raw.csv conditions.txt commands.log; do
	[ -s "$OUTDIR/out/$f" ] || missing+=" $f"
done
is "$missing" "" "report files written"
check "the table compares with the floor" grep -q '| floor |.*| 1.0x |' "$OUTDIR/out/summary.md"

# what it made, as its "# sandbox: ..." line says, for left_nothing
sed -n 's/^# sandbox: /sandbox: /p' "$OUTDIR/bench.log" >"$OUTDIR/where"
check "it left no netns, mount, temp dir, cgroup or container cgroup" left_nothing "$OUTDIR/where"

done_testing
