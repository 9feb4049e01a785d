#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet monitor on real traffic: a container's spoofed packet shows as a drop of reason
# spoofed_ip for its endpoint, with its tuple and first bytes; --pcap writes it so that
# tcpdump -r reads it; a published port's flow shows as a NAT event (before -> after) and
# its end (FIN both ways) as a flow event, masquerade and hairpin as NAT events too;
# --endpoint filters; two monitors both see every event; a monitor killed with SIGKILL
# stops costing: its lease runs out, the mask goes off and the datapath produces no more
# events. Wrong command lines: exit 2, nothing tried.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1=10.77.0.2 C2=10.77.0.3
FAKE=10.77.0.99
PINS="$BPFNET_BPFFS/bpfnet/$INST"
LEASE_S=3	# BPFNET_MON_LEASE_MS

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.77.0.0/24
new_ns c1 c2
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2 || bail "c2"
check "port add c1 8080:80" bn port add c1 8080:80
bg timeout 120 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo c1'
bg timeout 120 ip netns exec "$EXT" socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:'echo ext'
wait_until 5 tcp_listening c1 80 || bail "the server in c1 did not start"
wait_until 5 tcp_listening ext 8000 || bail "the server in ext did not start"
# the containers' neighbours resolved for good: a spoofed source would go into their ARP
# requests too (dropped, as spoofed_ip as well), and the IP packets never be sent
check "c1 pings c2" ns c1 ping -c1 -W2 $C2
for pair in "c1 $C2" "c2 $C1"; do
	set -- $pair
	mac=$(ip -n "$(nsname $1)" neigh show "$2" | awk '{print $5}')
	ip -n "$(nsname $1)" neigh replace "$2" lladdr "$mac" dev eth0 nud permanent
done
ip -n "$(nsname c1)" addr add $FAKE/24 dev eth0
ip -n "$(nsname c2)" addr add 10.77.0.98/24 dev eth0

# mon_start NAME ARGS...: `bpfnet monitor ARGS` in the background (its own PID in MON_PID:
# ip netns exec execs it), stdout in $TMP/NAME.out, stderr in $TMP/NAME.err; it listens once
# it said so. --duration bounds it should a check below never end it.
mon_start() {
	local name=$1
	shift
	ip netns exec "$NODE" "$BPFNET" --instance "$INST" monitor --duration 60 "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" 9>&- &
	MON_PID=$!
	BG_PIDS+=("$MON_PID")
	wait_until 5 grep -q "^monitor: listening" "$TMP/$name.err"
}

# mon_wait PID: the monitor ended by itself (its --count) within 10 s, with exit 0
mon_wait() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.2
	done
	kill -0 "$1" 2>/dev/null && { echo "still running"; kill "$1"; return 1; }
	wait "$1"
}

# events FILE EXPR: python EXPR over ev, the list of JSON objects of FILE (one a line)
events() {
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = eval(sys.argv[2])
print(json.dumps(r) if isinstance(r, (dict, list, bool)) or r is None else r)
' "$@"
}

mon_ctl() { bpftool -j map dump pinned "$PINS/mon_ctl" | json "d[0]['formatted']['value']$1"; }
# mon_produced: events the datapath wrote, summed over CPUs
mon_produced() {
	bpftool -j map dump pinned "$PINS/mon_cpu" |
		json "sum(c['value']['produced'] for c in d[0]['formatted']['values'])"
}

is "$(mon_ctl "['mask']")" 0 "nobody listens: the mask is 0"

# ---- a spoofed packet: a drop of reason spoofed_ip for c1 -----------------------------------

mon_start drop --json --type drop --count 3 --pcap "$TMP/drop.pcap" || bail "monitor did not start"
pid=$MON_PID
check "listening: the mask has the drop bit" test "$(mon_ctl "['mask']")" = 1
check_fails "ping -I $FAKE (not c1's) to c2 gets no reply" \
	ns c1 ping -I $FAKE -c3 -i0.2 -W1 $C2
check "monitor --count 3 ends by itself after 3 events" mon_wait "$pid"
is "$(events "$TMP/drop.out" 'len(ev)')" 3 "3 JSON lines"
is "$(events "$TMP/drop.out" \
	'sorted({(e["event"], e["reason"], e["endpoint"], e["direction"]) for e in ev})')" \
	'[["drop", "spoofed_ip", "c1", "from_endpoint"]]' \
	"each: a drop, spoofed_ip, endpoint c1, sent by it"
is "$(events "$TMP/drop.out" \
	'sorted({(e["tuple"]["proto"], e["tuple"]["src"], e["tuple"]["dst"]) for e in ev})')" \
	"[[\"icmp\", \"$FAKE\", \"$C2\"]]" "the tuple of each: icmp $FAKE -> $C2"
# ping's 64 bytes of ICMP: a 98-byte frame, all of it captured
is "$(events "$TMP/drop.out" 'sorted({(e["len"], e["cap_len"]) for e in ev})')" "[[98, 98]]" \
	"the packet's length and its captured bytes (98 of 98)"
fake_hex=$(printf '%02x' ${FAKE//./ })
is "$(events "$TMP/drop.out" 'ev[0]["data"][52:60]')" "$fake_hex" \
	"the captured bytes hold the spoofed source at offset 26 ($fake_hex)"
check "the monitor reported what the rate limit suppressed" \
	grep -q "events suppressed by the rate limit" "$TMP/drop.err"
out=$(tcpdump -n -r "$TMP/drop.pcap" 2>&1)
is "$(grep -c "IP $FAKE > $C2: ICMP echo request" <<<"$out")" 3 \
	"tcpdump -r reads the 3 dropped packets from --pcap"
[ "$(grep -c "IP $FAKE" <<<"$out")" = 3 ] || diag "$out"

# ---- text output; --endpoint filters ------------------------------------------------------------

mon_start ep --type drop --endpoint c2 --count 1 || bail "monitor did not start"
pid=$MON_PID
check_fails "c1 spoofs (not c2's: not shown)" ns c1 ping -I $FAKE -c1 -W1 $C2
check_fails "c2 spoofs" ns c2 ping -I 10.77.0.98 -c1 -W1 $C1
check "monitor --endpoint c2 --count 1 ends" mon_wait "$pid"
is "$(wc -l <"$TMP/ep.out")" 1 "one line"
check "... c2's drop, in words: reason, endpoint, direction, tuple" \
	grep -qE "^[0-9:.]+ drop +spoofed_ip c2 from-endpoint icmp 10.77.0.98 -> $C1 id [0-9]+ len 98$" \
	"$TMP/ep.out"
grep -q spoofed_ip "$TMP/ep.out" || diag_file "$TMP/ep.out"

# ---- a published port: a NAT event, and the flow's end --------------------------------------

mon_start nat --json --type nat --count 1 || bail "monitor did not start"
pid_nat=$MON_PID
mon_start flow --json --type flow --count 2 || bail "monitor did not start"
pid_flow=$MON_PID
check "ext -> node:8080 reaches c1" expect c1 tcp_get ext $NODE_IP 8080
check "monitor --type nat ends after its event" mon_wait "$pid_nat"
check "monitor --type flow ends after its 2 events" mon_wait "$pid_flow"
is "$(events "$TMP/nat.out" \
	'[ev[0]["event"], ev[0]["flow"]["kind"], ev[0]["endpoint"], ev[0]["direction"]]')" \
	'["flow_new", "portmap", "c1", "to_endpoint"]' "a new portmap flow into c1"
is "$(events "$TMP/nat.out" \
	'[(t["src"], t["dst"], t["dport"]) for t in (ev[0]["flow"]["before"], ev[0]["flow"]["after"])]')" \
	"[[\"$EXT_IP\", \"$NODE_IP\", 8080], [\"$EXT_IP\", \"$C1\", 80]]" \
	"before -> after: $EXT_IP -> $NODE_IP:8080 => $EXT_IP -> $C1:80"
is "$(events "$TMP/flow.out" '[(e["event"], e["flow"]["state"]) for e in ev]')" \
	'[["flow_new", "syn_sent"], ["flow_end", "time_wait"]]' \
	"--type flow: the flow made (syn_sent), then ended by the FINs (time_wait)"

# masquerade (c1 out to ext) and hairpin (c2 to the node's published port): NAT events too
mon_start nat2 --json --type nat --count 2 || bail "monitor did not start"
pid=$MON_PID
check "c1 -> ext:8000 (masqueraded)" expect ext tcp_get c1 "$EXT_IP" 8000
check "c2 -> node:8080 (hairpin) reaches c1" expect c1 tcp_get c2 $NODE_IP 8080
check "monitor --type nat ends after the 2 new flows" mon_wait "$pid"
is "$(events "$TMP/nat2.out" \
	'[(e["flow"]["kind"], e["endpoint"], e["flow"]["before"]["src"], e["flow"]["after"]["src"],
	   e["flow"]["after"]["dst"], e["flow"]["after"]["dport"]) for e in ev]')" \
	"[[\"masquerade\", \"c1\", \"$C1\", \"$NODE_IP\", \"$EXT_IP\", 8000], \
[\"hairpin\", \"c2\", \"$C2\", \"$NODE_IP\", \"$C1\", 80]]" \
	"masquerade: $C1 => $NODE_IP; hairpin: $C2 -> node:8080 => $NODE_IP -> $C1:80"

# ---- two monitors at once: each sees every event ---------------------------------------------

mon_start two_a --json --count 2 || bail "monitor did not start"
pid_a=$MON_PID
mon_start two_b --json --count 2 || bail "monitor did not start"
pid_b=$MON_PID
check_fails "c1 spoofs twice" ns c1 ping -I $FAKE -c2 -i0.2 -W1 $C2
check "the first monitor got both" mon_wait "$pid_a"
check "the second monitor got both" mon_wait "$pid_b"
is "$(events "$TMP/two_a.out" '[e["data"] for e in ev]')" \
	"$(events "$TMP/two_b.out" '[e["data"] for e in ev]')" "the same two packets, byte for byte"

# ---- killed with SIGKILL: the lease runs out, the cost goes --------------------------------

mon_start killed --json --type all || bail "monitor did not start"
pid=$MON_PID
check "traffic while it listens" ns c1 ping -c2 -i0.2 -W1 $C2
is "$(mon_ctl "['mask']")" 15 "listening for all: the mask has every bit"
# (the group's stderr: bash's own "Killed" notice)
{ kill -KILL "$pid" && wait "$pid"; } 2>/dev/null
sleep $((LEASE_S + 1))
# the datapath lowers the mask at the first packet that finds the lease over
check "traffic after the lease ran out" ns c1 ping -c1 -W1 $C2
is "$(mon_ctl "['mask']")" 0 "the mask is off again"
p0=$(mon_produced)
check "more traffic" ns c1 ping -c3 -i0.2 -W1 $C2
is "$(mon_produced)" "$p0" "no event produced any more ($p0)"
mon_start after --json --count 1 || bail "a new monitor cannot start"
check "a new monitor takes a slot again: the mask has the drop bit" \
	test "$(mon_ctl "['mask']")" = 1
kill "$MON_PID"
wait "$MON_PID" 2>/dev/null
is "$(mon_ctl "['slot_mask']")" "[0, 0, 0, 0]" "a monitor ended by SIGTERM gives its slot back"

# ---- wrong command lines: exit 2 ---------------------------------------------------------------

refused() { # refused WANT_EXIT ARGS...: bpfnet monitor ARGS exits WANT_EXIT at once
	local want=$1 got
	shift
	bn monitor "$@" >/dev/null 2>&1
	got=$?
	[ "$got" = "$want" ] || { echo "exit $got, want $want"; return 1; }
}
check "--type bogus: exit 2" refused 2 --type bogus
check "--count 0: exit 2" refused 2 --count 0
check "--duration x: exit 2" refused 2 --duration x
check "--endpoint nosuch: exit 1" refused 1 --endpoint nosuch
check "--pcap into a missing directory: exit 1" refused 1 --pcap "$TMP/none/x.pcap"
is "$(mon_ctl "['mask']")" 0 "none of them left a listener"

done_testing
