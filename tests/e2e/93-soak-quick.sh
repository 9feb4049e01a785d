#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tools/soak's accounting works: a quick clean run (--quick: 20 cycles, 20,000 connections)
# passes with every account line ok, and a run that leaks on purpose (--leak-test: a link,
# a netns, a pin, a map entry, a state file) fails naming exactly those; both leave no
# netns, mount, temp dir or cgroup behind. No figure is asserted: the full soak is run by
# hand (tools/soak) and its figures are in the closing note.
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	diag "the soak needs root"
	exit 1
fi
OUTDIR=$(mktemp -d /tmp/bpfnet-soak-test.XXXXXX)
trap 'rm -rf "$OUTDIR"' EXIT

# soak NAME LIMIT ARGS...: tools/soak ARGS with its results in $OUTDIR/NAME; its exit status
soak() {
	local name=$1 limit=$2
	shift 2
	timeout -k 10 "$limit" "$REPO_DIR/tools/soak" --out "$OUTDIR/$name" "$@" >"$OUTDIR/$name.log" 2>&1
}

# row NAME ACCOUNT: the verdict cell of one row of the leak table
row() { awk -F' \\| ' -v a="$2" '$1 == "| " a { sub(/ \|$/, "", $5); print $5 }' "$OUTDIR/$1/summary.md"; }

soak quick 600 --quick
rc=$?
is "$rc" 0 "tools/soak --quick passes (exit $rc)" || diag "$(tail -n 30 "$OUTDIR/quick.log")"
check "it left nothing behind" left_nothing "$OUTDIR/quick.log"
S=$OUTDIR/quick/summary.md
check "summary.md says PASS" grep -q '^PASS: nothing leaked' "$S"
for a in links netns pins state objects "map ct4" "map portmap4" "map backends4" "map ep_ports" \
	"map fdb" "map ep_by_ip" "map ep_by_ifindex" "map sock_nat" "map frag4" "map flood_ports"; do
	is "$(row quick "$a")" ok "account '$a' is ok"
done
check "ep_stats: no slot of a removed endpoint is left" \
	grep -q '^| map ep_stats | .*no slot of a removed endpoint' "$S"
is "$(awk -F, 'NR > 1 && $2 == "soak"' "$OUTDIR/quick/cycles.csv" | wc -l)" 20 "20 cycles timed"
is "$(awk -F, 'NR > 1 && $7 != 1' "$OUTDIR/quick/cycles.csv" | wc -l)" 0 "every cycle's traffic went through"
check "the cycle times have p50 and p99" grep -qE '^\| whole cycle \| [0-9]+ \| [0-9]+ \|' "$S"
check "both NAT paths ran: 20,000 connections tried" python3 -c '
import sys
n = 0
for l in open(sys.argv[1]):
    kind, rest = l.split(" ", 1)
    f = dict(kv.split("=") for kv in rest.split())
    n += int(f["conns"]) + int(f["errors"])
sys.exit(n < 20000)' "$OUTDIR/quick/conns.txt"
check "the kernel memory section is there, not asserted" \
	grep -q '^Verdict: .*(not asserted: --kmem-check no)' "$S"

soak leaky 300 --cycles 2 --warmup 1 --conns 0 --leak-test link,netns,pin,map,state
rc=$?
is "$rc" 1 "a soak that leaks on purpose fails (exit $rc)"
check "it left nothing behind either" left_nothing "$OUTDIR/leaky.log"
is "$(row leaky links)" "LEAK: +soakleak0 +soakleak1" "the leaked veth pair is named"
check "the leaked netns is named" grep -q '^| netns | .*LEAK: +bns[0-9]*-leak' "$OUTDIR/leaky/summary.md"
is "$(row leaky pins)" "LEAK: +./bpfnet/soak/soak_leaked_pin" "the leaked pin is named"
is "$(row leaky state)" "LEAK: +./soak/soak-leaked-file" "the leaked state file is named"
is "$(row leaky "map ep_ports")" "LEAK: +1 entries" "the leaked map entry is counted"
is "$(row leaky objects)" ok "and nothing else: objects ok"
is "$(row leaky "map portmap4")" ok "and portmap4 ok"

for bad in "--cycles 0" "--cycles x" "--conns -1" "--leak-test rope" "--kmem-check maybe" "--bogus"; do
	# shellcheck disable=SC2086 # the words of the case
	timeout 20 "$REPO_DIR/tools/soak" $bad >"$OUTDIR/bad.log" 2>&1
	rc=$?
	if [ $rc = 2 ] && grep -q '^soak: ' "$OUTDIR/bad.log"; then
		ok "tools/soak $bad is refused (exit 2, said why)"
	else
		not_ok "tools/soak $bad is refused (exit $rc)"
		diag_file "$OUTDIR/bad.log"
	fi
done

done_testing
