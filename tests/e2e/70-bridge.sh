#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bridge mode end to end, without a bridge device: four containers on one L2
# segment (ARP with real MACs, ICMP/TCP/UDP between all, TTL untouched, a
# broadcast received by every other container exactly once), the FDB, the
# gateway owned by the node (its services, the outside through masquerade,
# published ports), a container re-created with the same address and a new
# MAC reachable at once, two bridge networks isolated from each other, an
# internal network with no way in or out, and no bridge or netfilter rule.
source "$(dirname "$0")/lib.sh"
sandbox_setup

declare -A IP=([b1]=10.70.0.2 [b2]=10.70.0.3 [b3]=10.70.0.4 [b4]=10.70.0.5
	[o1]=10.71.0.2 [i1]=10.72.0.2 [i2]=10.72.0.3)
GW=10.70.0.1 GW_I=10.72.0.1 BCAST=10.70.0.255
BR=(b1 b2 b3 b4)
TCP_PORT=5001 UDP_PORT=5002 BC_PORT=5003 WHO_PORT=5004 PUB_PORT=8080

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create br1 --mode bridge" \
	bn network create br1 --mode bridge --subnet 10.70.0.0/24 || bail "no bridge network"
check "network create br2 --mode bridge" bn network create br2 --mode bridge --subnet 10.71.0.0/24
check "network create iso --mode bridge --internal" \
	bn network create iso --mode bridge --subnet 10.72.0.0/24 --internal
check_fails "--internal on an l3 network is refused" \
	bn network create x --mode l3 --subnet 10.73.0.0/24 --internal
new_ns b1 b2 b3 b4 o1 i1 i2
for c in "${BR[@]}"; do
	check "endpoint add $c (${IP[$c]}) to br1" \
		bn endpoint add br1 --netns "$(nsname $c)" --name $c --ip "${IP[$c]}" || bail "add $c"
done
check "endpoint add o1 to br2" bn endpoint add br2 --netns "$(nsname o1)" --name o1 --ip "${IP[o1]}"
for c in i1 i2; do
	check "endpoint add $c to iso" bn endpoint add iso --netns "$(nsname $c)" --name $c \
		--ip "${IP[$c]}"
done

mac_of() { bn --json endpoint show "$1" | json 'd["mac"]'; }
neigh_mac() { ip -n "$(nsname $1)" neigh show "$2" dev eth0 | awk '/lladdr/ {print $3}'; }
GW_MAC=$(bn --json network show br1 | json 'd["gateway_mac"]')

# ---- what the node has, and has not ------------------------------------------------------------

valid_net() { bn --json network show "$1" | json "$2" | grep -qx true; }
check "network show br1: mode bridge, not internal, masquerading, a gateway MAC" \
	valid_net br1 '(d["mode"] == "bridge" and not d["internal"] and d["masquerade"] and
		len(d["gateway_mac"]) == 17)'
check "network show iso: internal, no masquerade" valid_net iso 'd["internal"] and not d["masquerade"]'
check "network ls shows the modes and iso as internal" \
	bash -c 'out=$1; grep -qE "^br1 +bridge .* masquerade$" <<<"$out" &&
		grep -qE "^iso +bridge .* internal$" <<<"$out"' _ "$(bn network ls)"
check "endpoint show b1: the host side carries the gateway MAC" \
	test "$(bn --json endpoint show b1 | json 'd["host_mac"]')" = "$GW_MAC"
macs_distinct() { [ "$(for c in "${BR[@]}"; do mac_of $c; done | sort -u | wc -l)" = 4 ]; }
check "every container has a MAC of its own" macs_distinct

no_bridge_device() {
	local out
	out=$(ip -d -n "$NODE" link show)
	! grep -qwE 'bridge|bridge_slave' <<<"$out" || { echo "$out"; return 1; }
}
netfilter_empty() {
	local rules
	rules=$(ip netns exec "$NODE" iptables-save 2>/dev/null | grep -vE '^(#|\*|:|COMMIT)')
	rules+=$(ip netns exec "$NODE" nft list ruleset 2>/dev/null)
	[ -z "$rules" ] || { echo "$rules"; return 1; }
}
# the whole output first: grep -q quitting early would SIGPIPE ip under pipefail
lo_has() { local out; out=$(ip -n "$NODE" -4 addr show dev lo); grep -q "inet $1/32" <<<"$out"; }
check "no bridge device in the node netns (ip -d link)" no_bridge_device
check "no netfilter rule in the node" netfilter_empty
check "the node owns br1's gateway $GW (a /32 on lo)" lo_has $GW
check_fails "... but not the internal network's $GW_I" lo_has $GW_I
check "b1's default route is via the gateway" \
	grep -q "default via $GW" <<<"$(ip -n "$(nsname b1)" route)"
check_fails "i1 has no default route (internal)" \
	grep -q default <<<"$(ip -n "$(nsname i1)" route)"

# ---- servers ---------------------------------------------------------------------------

for c in "${BR[@]}" o1 i1 i2 node ext; do
	bg timeout 300 ip netns exec "$PFX$c" socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
	bg timeout 300 ip netns exec "$PFX$c" socat -T 5 UDP-LISTEN:$UDP_PORT,fork,reuseaddr PIPE
done
bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:$WHO_PORT,fork,reuseaddr \
	SYSTEM:'echo $SOCAT_PEERADDR'
for c in "${BR[@]}" o1 i1 i2 node ext; do
	wait_until 5 tcp_listening $c $TCP_PORT && wait_until 5 udp_listening $c $UDP_PORT ||
		bail "the echo servers in $c did not start"
done
wait_until 5 tcp_listening ext $WHO_PORT || bail "whoami in ext did not start"

# ---- one L2 segment -----------------------------------------------------------------------

for a in "${BR[@]}"; do
	for b in "${BR[@]}"; do
		[ $a = $b ] && continue
		check "ICMP $a -> $b, reply TTL 64 (switched, not routed)" ping_ttl $a "${IP[$b]}" 64
	done
done
for a in "${BR[@]}"; do
	for b in "${BR[@]}"; do
		[ $a = $b ] || check "ARP: $a sees $b's own MAC" \
			test "$(neigh_mac $a "${IP[$b]}")" = "$(mac_of $b)"
	done
done
for a in "${BR[@]}"; do
	for b in "${BR[@]}"; do
		[ $a = $b ] || check "TCP $a -> $b" tcp_echo $a "${IP[$b]}"
	done
done
for a in "${BR[@]}"; do
	for b in "${BR[@]}"; do
		[ $a = $b ] || check "UDP $a -> $b" udp_echo $a "${IP[$b]}"
	done
done

# ---- broadcast: every other container once, nobody else ----------------------------------

for c in "${BR[@]}" o1 i1; do
	: >"$TMP/bc.$c"
	bg timeout 120 ip netns exec "$PFX$c" sh -c \
		"socat -u UDP-RECV:$BC_PORT,reuseaddr - >>'$TMP/bc.$c'"
done
for c in "${BR[@]}" o1 i1; do
	wait_until 5 udp_listening $c $BC_PORT || bail "listener in $c"
done
flood0=$(bn --json stats | json 'd["events"]["flooded"]')
token="broadcast-$RANDOM"
check "b1 sends one UDP datagram to $BCAST" \
	bash -c "echo $token | ip netns exec $(nsname b1) socat -u - \
		UDP-DATAGRAM:$BCAST:$BC_PORT,broadcast"
token2="limited-broadcast-$RANDOM"
check "b1 sends one UDP datagram to 255.255.255.255" \
	bash -c "echo $token2 | ip netns exec $(nsname b1) socat -u - \
		UDP-DATAGRAM:255.255.255.255:$BC_PORT,broadcast"
for c in b2 b3 b4; do wait_until 5 grep -q "^$token2\$" "$TMP/bc.$c"; done
sleep 0.5 # a duplicate would come within microseconds; time enough for it to show
for c in b2 b3 b4; do
	is "$(grep -c "^$token\$" "$TMP/bc.$c")" 1 "$c got the subnet broadcast exactly once"
	is "$(grep -c "^$token2\$" "$TMP/bc.$c")" 1 "$c got the limited broadcast exactly once"
done
# the sender's own stack loops a broadcast back once; the segment must not send it a second
is "$(grep -c "^$token\$" "$TMP/bc.b1")" 1 \
	"b1 (the sender) got its own local copy only, none back from the segment"
for c in o1 i1; do
	is "$(grep -c broadcast "$TMP/bc.$c")" 0 "$c (another network) got no broadcast of br1"
done
flood1=$(bn --json stats | json 'd["events"]["flooded"]')
check "the flooded counter grew ($flood0 -> $flood1)" test "$flood1" -gt "$flood0"

# ---- the FDB -------------------------------------------------------------------------------

fdb_json() { bn --json fdb ls br1; }
fdb_has() { # fdb_has EP: EP's MAC is behind EP's port, as a static entry
	local mac port
	mac=$(mac_of "$1")
	port=$(bn --json endpoint show "$1" | json 'd["host_ifname"]')
	fdb_json | json "any(e['mac'] == '$mac' and e['endpoint'] == '$1' and
		e['port'] == '$port' and e['type'] == 'static' for e in d)" | grep -qx true
}
for c in "${BR[@]}"; do check "fdb ls br1: $c's MAC behind its port" fdb_has $c; done
is "$(fdb_json | json 'len(d)')" 4 "fdb ls br1: four entries"
is "$(bn --json fdb ls | json 'sorted(set(e["network"] for e in d))')" '["br1", "br2", "iso"]' \
	"fdb ls: every bridge network"
check "fdb ls (text) names the endpoints" \
	bash -c 'out=$1; for c in b1 b2 b3 b4 o1; do grep -qw "$c" <<<"$out" || exit 1; done' _ \
	"$(bn fdb ls)"
check_fails "fdb ls of a missing network is refused" bn fdb ls nope

# ---- the gateway: the node's services, the outside, published ports -------------------------

check "ICMP b1 -> its gateway $GW (the node)" ns b1 ping -c1 -W2 $GW
check "ARP: b1 sees the gateway as the network's gateway MAC" test "$(neigh_mac b1 $GW)" = "$GW_MAC"
check "TCP b1 -> a service on the node at the gateway $GW" tcp_echo b1 $GW
check "UDP b2 -> a service on the node at the gateway $GW" udp_echo b2 $GW
check "TCP b3 -> the node's address $NODE_IP" tcp_echo b3 $NODE_IP
check "ICMP node -> b1" ns node ping -c1 -W2 "${IP[b1]}"
check "TCP node -> b4" tcp_echo node "${IP[b4]}"
who=$(ns b1 socat -T 3 - "TCP:$EXT_IP:$WHO_PORT,connect-timeout=3" </dev/null)
is "$who" "$NODE_IP" "b1 -> ext leaves masqueraded behind the node's address"
check "UDP b2 -> ext" udp_echo b2 $EXT_IP
check "port add b2 $PUB_PORT:$TCP_PORT" bn port add b2 $PUB_PORT:$TCP_PORT
check "published: ext -> $NODE_IP:$PUB_PORT reaches b2" tcp_echo ext $NODE_IP $PUB_PORT
check "hairpin: b1 -> $NODE_IP:$PUB_PORT reaches b2" tcp_echo b1 $NODE_IP $PUB_PORT
check "hairpin through the gateway address: b3 -> $GW:$PUB_PORT" tcp_echo b3 $GW $PUB_PORT
check "another network through the published port: o1 -> $NODE_IP:$PUB_PORT" \
	tcp_echo o1 $NODE_IP $PUB_PORT
check "still no netfilter rule in the node" netfilter_empty

# ---- isolation between bridge networks ----------------------------------------------------------

other0=$(drop_count other_network)
check_fails "ICMP b1 (br1) -> o1 (br2) fails" ns b1 ping -c2 -i0.2 -W1 "${IP[o1]}"
check_fails "ICMP o1 (br2) -> b1 (br1) fails" ns o1 ping -c2 -i0.2 -W1 "${IP[b1]}"
check_fails "TCP o1 -> b2 fails" tcp_echo o1 "${IP[b2]}"
check_fails "UDP b3 -> o1 fails" udp_echo b3 "${IP[o1]}"
other1=$(drop_count other_network)
check "other_network drops grew ($other0 -> $other1)" test "$other1" -gt "$other0"
check "o1 never learned a br1 MAC" \
	bash -c '! ip -n "$1" neigh show | grep -q "10\.70\.0\.[2-9] .*lladdr"' _ "$(nsname o1)"

# ---- the internal network --------------------------------------------------------------------------

check "ICMP i1 -> i2 (internal, among themselves)" ns i1 ping -c1 -W2 "${IP[i2]}"
check "TCP i2 -> i1" tcp_echo i2 "${IP[i1]}"
check_fails "i1 -> its gateway $GW_I fails" ns i1 ping -c1 -W1 $GW_I
check_fails "i1 -> ext fails (no route out)" ns i1 ping -c1 -W1 $EXT_IP
check_fails "i1 -> b1 fails" ns i1 ping -c1 -W1 "${IP[b1]}"
check_fails "b1 -> i1 fails" ns b1 ping -c1 -W1 "${IP[i1]}"
ip -n "$EXT" route add 10.72.0.0/24 via "$NODE_IP"
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
int0=$(drop_count internal_network)
check_fails "ext -> i1 routed at the node fails" ns ext ping -c2 -i0.2 -W1 "${IP[i1]}"
int1=$(drop_count internal_network)
check "internal_network drops grew ($int0 -> $int1)" test "$int1" -gt "$int0"
out=$(bn port add i1 8081:$TCP_PORT 2>&1)
rc=$?
check "port add for an internal endpoint is refused, naming why" \
	bash -c '[ "$1" = 1 ] && grep -q "internal network" <<<"$2"' _ "$rc" "$out"

# ---- a container re-created with the same address and a new MAC ---------------------------------

check "b1 talks to b4 (caches b4's MAC)" ns b1 ping -c1 -W2 "${IP[b4]}"
old_mac=$(mac_of b4)
check "endpoint rm b4" bn endpoint rm b4
ip netns del "$(nsname b4)"
new_ns b4
check "endpoint add b4 again, same address" \
	bn endpoint add br1 --netns "$(nsname b4)" --name b4 --ip "${IP[b4]}" || bail "re-add b4"
new_mac=$(mac_of b4)
check "the new b4 has a new MAC ($old_mac -> $new_mac)" test "$new_mac" != "$old_mac"
is "$(neigh_mac b1 "${IP[b4]}")" "$new_mac" \
	"b1's neighbour entry already has the new MAC (gratuitous ARP)"
check "b1 -> new b4 at once (one ping, 1 s)" ns b1 ping -c1 -W1 "${IP[b4]}"
check "b2 -> new b4 at once" ns b2 ping -c1 -W1 "${IP[b4]}"
check "fdb ls: the new MAC is there" fdb_has b4
is "$(fdb_json | json "len([e for e in d if e['mac'] == '$old_mac'])")" 0 \
	"fdb ls: the old MAC is gone"

# ---- init again: the datapath reloaded in place -------------------------------------------------

check "init again (reload, maps kept)" bn init --uplink "$UPLINK"
check "b1 -> b3 after re-init" ns b1 ping -c1 -W2 "${IP[b3]}"
check "b4 -> the gateway after re-init" ns b4 ping -c1 -W2 $GW
check "the node still owns the gateway" lo_has $GW
is "$(fdb_json | json 'len(d)')" 4 "fdb ls br1: still four entries"
check "i2 -> i1 after re-init" ns i2 ping -c1 -W2 "${IP[i1]}"

# ---- taking it down ------------------------------------------------------------------------------

bg_kill_all
check "endpoint rm o1" bn endpoint rm o1
check "network rm br2" bn network rm br2
check "still no bridge device" no_bridge_device
check "down" bn down
check_fails "the gateway $GW is gone from the node" lo_has $GW
done_testing
