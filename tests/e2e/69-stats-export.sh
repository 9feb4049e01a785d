#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet stats --prometheus and stats --watch on real traffic: the exposition passes a
# strict checker of the text format 0.0.4 (promcheck.py, itself shown to refuse broken
# texts) and its values move by exactly the traffic sent (pings, one spoofed packet, one
# connection through a published port, one masqueraded); --watch shows a 10 packets/s ping
# as about 10/s, in blocks, in JSON Lines, and ends cleanly on SIGINT; bad options are
# refused with words and exit 2.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PROMCHECK="python3 $E2E_DIR/promcheck.py"
C1_IP=10.10.0.2
C2_IP=10.10.0.3
GW=10.10.0.1
FAKE_IP=10.10.0.99
TCP_PORT=80

# ---- the checker refuses what it must --------------------------------------------------

bad_text() { # bad_text DESC TEXT: promcheck refuses TEXT
	printf '%b' "$2" >"$TMP/bad.prom"
	check_fails "promcheck refuses $1" $PROMCHECK "$TMP/bad.prom"
}
GOOD='# HELP a_total x\n# TYPE a_total counter\na_total{l="v"} 1\n'
printf '%b' "$GOOD" >"$TMP/good.prom"
check "promcheck takes a valid text" $PROMCHECK "$TMP/good.prom"
bad_text "a sample without HELP" '# TYPE a_total counter\na_total 1\n'
bad_text "TYPE after the samples" '# HELP a_total x\na_total 1\n# TYPE a_total counter\n'
bad_text "a counter not in _total" '# HELP a x\n# TYPE a counter\na 1\n'
bad_text "a negative counter" '# HELP a_total x\n# TYPE a_total counter\na_total -1\n'
bad_text "an unescaped quote" '# HELP a_total x\n# TYPE a_total counter\na_total{l="a"b"} 1\n'
bad_text "a bad label name" '# HELP a_total x\n# TYPE a_total counter\na_total{1l="v"} 1\n'
bad_text "a split family" "${GOOD}# HELP b x\n# TYPE b gauge\nb 1\na_total{l=\"w\"} 2\n"
bad_text "a series twice" "${GOOD}a_total{l=\"v\"} 2\n"
bad_text "a stray comment" "# hello\n$GOOD"
bad_text "no final line feed" '# HELP b x\n# TYPE b gauge\nb 1'

# ---- the sandbox: two endpoints, published ports, static neighbours --------------------

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.10.0.0/24
new_ns c1 c2
sandbox_ipv6_off c1 c2
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1_IP ||
	bail "cannot add c1"
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2_IP ||
	bail "cannot add c2"
check "port add c2 8080:80 8443-8444:443-444" bn port add c2 8080:$TCP_PORT 8443-8444:443-444
# no ARP in the counted traffic: each container knows for good the MAC (its host side's)
# that the datapath answers for the gateway and the other container
for c in "c1 $C2_IP" "c2 $C1_IP"; do
	set -- $c
	mac=$(bn --json endpoint show $1 | json 'd["host_mac"]')
	for ip in $GW $2; do
		ip -n "$(nsname $1)" neigh replace $ip lladdr "$mac" dev eth0 nud permanent
	done
done
bg timeout 120 ip netns exec "$(nsname c2)" socat -T 5 TCP-LISTEN:$TCP_PORT,fork,reuseaddr \
	SYSTEM:'echo hello'
wait_until 5 tcp_listening c2 $TCP_PORT || bail "the TCP server in c2 did not start"

# prom FILE: the exposition into FILE
prom() { bn stats --prometheus >"$1"; }
# val FILE NAME LABEL=VALUE...: a sample's value (the sum of those matching)
val() { $PROMCHECK "$@"; }
# delta A B NAME LABELS...: its growth from A to B
delta() {
	local a=$1 b=$2
	shift 2
	echo $(($(val "$b" "$@") - $(val "$a" "$@")))
}

check "stats --prometheus exits 0" prom "$TMP/p0.prom"
check "the exposition passes the strict checker" $PROMCHECK "$TMP/p0.prom"
diag "$(grep -c '^# TYPE' "$TMP/p0.prom") metrics, $(grep -vc '^#' "$TMP/p0.prom") samples"
check "every sample is of instance $INST" \
	test "$(grep -v '^#' "$TMP/p0.prom" | grep -vc "bpfnet_instance=\"$INST\"")" = 0
is "$(val "$TMP/p0.prom" bpfnet_endpoints)" 2 "bpfnet_endpoints is 2"
is "$(val "$TMP/p0.prom" bpfnet_published_ports)" 3 "bpfnet_published_ports is 3 (a range counts 2)"
is "$(val "$TMP/p0.prom" bpfnet_endpoint_published_ports endpoint=c2 network=n1)" 3 \
	"c2 of n1 publishes 3 ports"
is "$(val "$TMP/p0.prom" bpfnet_endpoint_published_ports endpoint=c1)" 0 "c1 publishes none"
max=$(bn --json stats | json 'd["ct_max"]')
is "$(val "$TMP/p0.prom" bpfnet_ct_entries_max)" "$max" "bpfnet_ct_entries_max is the table's ($max)"
reasons=$(bn --json stats | json 'len(d["drops"])')
is "$(grep -c '^bpfnet_drops_total{' "$TMP/p0.prom")" "$reasons" \
	"a bpfnet_drops_total series for each of the $reasons reasons, zeros too"
for m in bpfnet_portmap_flows_total bpfnet_masquerade_flows_total bpfnet_hairpin_flows_total \
	bpfnet_ct_created_total bpfnet_ct_flows bpfnet_ct_entries bpfnet_ct_fill_ratio; do
	check "$m is exposed" val "$TMP/p0.prom" $m
done

# ---- values are the traffic ------------------------------------------------------------

check "c1 pings c2 5 times" ns c1 ping -c5 -i0.2 -W2 -q $C2_IP
prom "$TMP/p1.prom"
check "after the pings: still valid" $PROMCHECK "$TMP/p1.prom"
for e in "c1 tx" "c1 rx" "c2 tx" "c2 rx"; do
	set -- $e
	is "$(delta "$TMP/p0.prom" "$TMP/p1.prom" bpfnet_endpoint_packets_total endpoint=$1 \
		network=n1 direction=$2)" 5 "$1 $2 packets grew by 5"
done
# an echo of 56 data bytes: 98 bytes with its Ethernet header
is "$(delta "$TMP/p0.prom" "$TMP/p1.prom" bpfnet_endpoint_bytes_total endpoint=c1 direction=tx)" \
	490 "c1 tx bytes grew by 5 x 98"
is "$(delta "$TMP/p0.prom" "$TMP/p1.prom" bpfnet_drops_total)" 0 "no drop meanwhile"

ip -n "$(nsname c1)" addr add $FAKE_IP/32 dev eth0
check_fails "one ping from $FAKE_IP (not c1's) gets no reply" ns c1 ping -I $FAKE_IP -c1 -W1 $C2_IP
ip -n "$(nsname c1)" addr del $FAKE_IP/32 dev eth0
prom "$TMP/p2.prom"
is "$(delta "$TMP/p1.prom" "$TMP/p2.prom" bpfnet_drops_total reason=spoofed_ip)" 1 \
	"the spoofed packet raised bpfnet_drops_total{reason=\"spoofed_ip\"} by 1"
is "$(delta "$TMP/p1.prom" "$TMP/p2.prom" bpfnet_drops_total)" 1 "and no other reason"
is "$(delta "$TMP/p1.prom" "$TMP/p2.prom" bpfnet_endpoint_drops_total endpoint=c1)" 1 \
	"and c1's bpfnet_endpoint_drops_total by 1"

check "ext reaches c2 through published port 8080" grep_out hello tcp_get ext "$NODE_IP" 8080
check "c1 pings ext once (masquerade)" ns c1 ping -c1 -W2 "$EXT_IP"
prom "$TMP/p3.prom"
check "after NAT traffic: still valid" $PROMCHECK "$TMP/p3.prom"
is "$(delta "$TMP/p2.prom" "$TMP/p3.prom" bpfnet_portmap_flows_total)" 1 "portmap_flows grew by 1"
is "$(delta "$TMP/p2.prom" "$TMP/p3.prom" bpfnet_masquerade_flows_total)" 1 \
	"masquerade_flows grew by 1"
is "$(delta "$TMP/p2.prom" "$TMP/p3.prom" bpfnet_ct_created_total)" 2 "ct_created grew by 2"
ent=$(val "$TMP/p3.prom" bpfnet_ct_entries)
check "bpfnet_ct_entries holds the flows ($ent >= 4: two entries a flow)" test "$ent" -ge 4
check "bpfnet_ct_fill_ratio is entries over max" python3 -c "
import sys
r = float(sys.argv[1]); want = int(sys.argv[2]) / int(sys.argv[3])
sys.exit(abs(r - want) > 1e-6 * max(want, 1e-9) + 1e-9)" \
	"$(val "$TMP/p3.prom" bpfnet_ct_fill_ratio)" "$ent" "$max"

# ---- --watch: rates -------------------------------------------------------------------

bg timeout 60 ip netns exec "$(nsname c1)" ping -i 0.1 -q $C2_IP
sleep 1
# in_range V LO HI: LO <= V <= HI (floats)
in_range() { python3 -c 'import sys; v, lo, hi = map(float, sys.argv[1:]); sys.exit(not lo <= v <= hi)' "$@"; }
check "stats --watch --count 2 --interval 1 exits 0" \
	sh -c "timeout 20 ip netns exec $NODE $BPFNET --instance $INST stats --watch --count 2 \
		--interval 1 >$TMP/watch.out 2>&1"
is "$(grep -c '^interval [0-9]*: rates over' "$TMP/watch.out")" 2 "--count 2: two blocks"
rate=$(awk '/^interval 2:/ { b = 1 } b && $1 == "c1" { print $2; exit }' "$TMP/watch.out")
# loose: ping sends 10/s, fewer when the machine is busy (a window may catch one more)
check "the second block shows c1 sending up to 10 packets/s ($rate)" in_range "${rate:-0}" 2 15
diag_file "$TMP/watch.out"
check "stats --json --watch --count 2 exits 0" \
	sh -c "timeout 20 ip netns exec $NODE $BPFNET --instance $INST --json stats --watch \
		--count 2 --interval 1 >$TMP/watch.json 2>&1"
is "$(wc -l <"$TMP/watch.json")" 2 "--json --watch: one line a block"
# rate x seconds is the whole number of packets counted between the two reads, 98 bytes each
check "each line is a JSON object: c1 sends up to 10 echoes/s of 98 bytes" python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    c1 = [e for e in d["endpoints"] if e["name"] == "c1"][0]
    assert c1["network"] == "n1", c1
    assert 2 <= c1["tx_packets_per_s"] <= 15, c1
    n = c1["tx_packets_per_s"] * d["seconds"]
    assert abs(n - round(n)) < 1e-6, (n, d["seconds"])
    assert abs(c1["tx_bytes_per_s"] * d["seconds"] - 98 * round(n)) < 1e-6, c1
    assert 0.5 <= d["seconds"] <= 5, d["seconds"]
    assert "max" in d["ct"] and isinstance(d["drops_per_s"], dict), d
' "$TMP/watch.json"

# a moving drop reason shows up: spoofed packets at 10/s
ip -n "$(nsname c1)" addr add $FAKE_IP/32 dev eth0
bg timeout 60 ip netns exec "$(nsname c1)" ping -I $FAKE_IP -i 0.1 -q $C2_IP
sleep 1
check "stats --json --watch --count 1 during spoofing" \
	sh -c "timeout 20 ip netns exec $NODE $BPFNET --instance $INST --json stats --watch \
		--count 1 --interval 1 >$TMP/watch2.json 2>&1"
check "drops_per_s has spoofed_ip at up to 10/s, and only the reasons that moved" python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert list(d["drops_per_s"]) == ["spoofed_ip"], d["drops_per_s"]
assert 2 <= d["drops_per_s"]["spoofed_ip"] <= 15, d["drops_per_s"]
' "$TMP/watch2.json"
bg_kill_all
ip -n "$(nsname c1)" addr del $FAKE_IP/32 dev eth0

# Ctrl-C: no --count, SIGINT once the first block is out
ip netns exec "$NODE" "$BPFNET" --instance "$INST" stats --watch --interval 0.2 \
	>"$TMP/watch3.out" 2>&1 &
wpid=$!
wait_until 10 grep -q '^interval 1:' "$TMP/watch3.out"
kill -INT $wpid
t0=$SECONDS
wait $wpid
rc=$?
is "$rc" 0 "SIGINT ends stats --watch with exit 0"
check "promptly ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 2

# ---- bad options ------------------------------------------------------------------------

snapshot() { bn --json stats | json '{k: v for k, v in d.items() if k != "ct"}' >/dev/null; }
refuse() { # refuse NEEDLE ARGS...
	local needle=$1
	shift
	refused_with 2 "stats $* is refused" "$needle" bn stats "$@"
}
refuse "--interval takes seconds" --watch --interval 0
refuse "--interval takes seconds" --watch --interval abc
refuse "--interval takes seconds" --watch --interval 1e9
refuse "--interval takes seconds" --watch --interval nan
refuse "--interval takes seconds" --watch --interval ""
refuse "--count takes a whole number" --watch --count 0
refuse "--count takes a whole number" --watch --count -1
refuse "--count takes a whole number" --watch --count 1.5
refuse "--count takes a whole number" --watch --count 99999999999999999999
refuse "is an option of --watch" --interval 1
refuse "is an option of --watch" --count 3
refuse "do not go together" --prometheus --watch
# --json: the error is JSON on stdout
bn --json stats --prometheus >"$TMP/pj.out" 2>&1
is "$?" 2 "stats --prometheus --json exits 2"
check "with a JSON error saying why" python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "usage" and "do not go together" in e["message"], e' "$TMP/pj.out"
refuse "--all is for" --prometheus --all
refuse "unknown option" --rate

done_testing
