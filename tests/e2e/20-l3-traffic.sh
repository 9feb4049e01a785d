#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# l3 mode traffic: ICMP, TCP and UDP between the containers of a network (TTL
# decremented), container <-> node, isolation between networks, routed access
# from an external host, ARP answered with the host veth MAC, counters.
source "$(dirname "$0")/lib.sh"
sandbox_setup

declare -A IP=([c1]=10.10.0.2 [c2]=10.10.0.3 [c3]=10.10.0.4 [c4]=10.20.0.2)
TCP_PORT=5001
UDP_PORT=5002

check "init" bn init --uplink "$UPLINK" || bail "init failed"
# nat-unprotected: the external host reaches n1's containers by routing to their addresses
# (below); 66-gateway-modes.sh has what each gateway mode lets in
check "network create n1 10.10.0.0/24" bn network create n1 --mode l3 --subnet 10.10.0.0/24 \
	--gateway-mode nat-unprotected
check "network create n2 10.20.0.0/24" bn network create n2 --mode l3 --subnet 10.20.0.0/24
new_ns c1 c2 c3 c4
for c in c1 c2 c3; do
	check "endpoint add $c (${IP[$c]}) to n1" \
		bn endpoint add n1 --netns "$(nsname $c)" --name "$c" --ip "${IP[$c]}" ||
		bail "cannot add $c"
done
check "endpoint add c4 (${IP[c4]}) to n2" \
	bn endpoint add n2 --netns "$(nsname c4)" --name c4 --ip "${IP[c4]}" || bail "cannot add c4"

host_mac() { bn --json endpoint show "$1" | json 'd["host_mac"]'; }

# servers: a TCP and a UDP echo in every container, and a TCP echo on the node
for c in c1 c2 c3 c4 node ext; do
	bg timeout 120 ip netns exec "$PFX$c" socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
	# the node's bound to the address asked: an unbound socat answers a container from the
	# source routing picks, the first network gateway on lo
	bind=""
	[ $c = node ] && bind=",bind=$NODE_IP"
	bg timeout 120 ip netns exec "$PFX$c" socat -T 5 UDP-LISTEN:$UDP_PORT,fork,reuseaddr$bind PIPE
done
for c in c1 c2 c3 c4 node ext; do
	wait_until 5 tcp_listening "$c" $TCP_PORT && wait_until 5 udp_listening "$c" $UDP_PORT ||
		bail "the echo servers in $c did not start"
done

# ---- within n1 --------------------------------------------------------------------------------

for a in c1 c2 c3; do
	for b in c1 c2 c3; do
		[ $a = $b ] && continue
		check "ICMP $a -> $b, reply TTL 63 (decremented once)" ping_ttl $a "${IP[$b]}" 63
	done
done
for a in c1 c2 c3; do
	for b in c1 c2 c3; do
		[ $a = $b ] && continue
		check "TCP $a -> $b" tcp_echo $a "${IP[$b]}"
	done
done
for a in c1 c2 c3; do
	for b in c1 c2 c3; do
		[ $a = $b ] && continue
		check "UDP $a -> $b" udp_echo $a "${IP[$b]}"
	done
done

capture_start c2 "$TMP/c2.cap" icmp
ns c1 ping -c1 -W2 "${IP[c2]}" >/dev/null
capture_stop
grep -B1 "${IP[c1]} > ${IP[c2]}: ICMP echo request" "$TMP/c2.cap" >"$TMP/c2.req"
check "c2 sees c1's echo request with TTL 63" grep -q 'ttl 63,' "$TMP/c2.req" ||
	diag_file "$TMP/c2.cap"

# bulk TCP: 2 MB with a checksum, both ways, and a short iperf3 run
head -c 2000000 /dev/urandom >"$TMP/blob"
want=$(md5sum <"$TMP/blob" | cut -d' ' -f1)
got=$(ns c1 socat -T 5 - "TCP:${IP[c3]}:$TCP_PORT,connect-timeout=3" <"$TMP/blob" | md5sum | cut -d' ' -f1)
is "$got" "$want" "2 MB through TCP echo c1 -> c3 -> c1 arrive intact"
bg timeout 30 ip netns exec "$(nsname c2)" iperf3 -s -1 -p 5201
wait_until 5 tcp_listening c2 5201
bps=$(NS_TIMEOUT=20 ns c1 iperf3 -c "${IP[c2]}" -p 5201 -t 2 -J 2>/dev/null |
	json 'int(d["end"]["sum_received"]["bits_per_second"])' 2>/dev/null)
check "iperf3 c1 -> c2 moves data (${bps:-?} bit/s)" test "${bps:-0}" -gt 1000000

# ---- container <-> node -------------------------------------------------------------------------

check "ICMP c1 -> node ($NODE_IP)" ns c1 ping -c1 -W2 "$NODE_IP"
check "ICMP node -> c1" ns node ping -c1 -W2 "${IP[c1]}"
check "ICMP node -> c3" ns node ping -c1 -W2 "${IP[c3]}"
check "ICMP c4 -> node" ns c4 ping -c1 -W2 "$NODE_IP"
check "TCP c1 -> node" tcp_echo c1 "$NODE_IP"
check "TCP node -> c1" tcp_echo node "${IP[c1]}"
check "TCP node -> c4" tcp_echo node "${IP[c4]}"
check "UDP c2 -> node" udp_echo c2 "$NODE_IP"
check "UDP node -> c2" udp_echo node "${IP[c2]}"

# ---- ARP: the gateway and peers are the host veth's MAC ----------------------------------------

hm1=$(host_mac c1)
gw_mac=$(ip -n "$(nsname c1)" neigh show 10.10.0.1 dev eth0 | awk '/lladdr/ {print $3}')
is "$gw_mac" "$hm1" "c1's neighbour entry for the gateway 10.10.0.1 is its host veth MAC"
peer_mac=$(ip -n "$(nsname c1)" neigh show "${IP[c2]}" dev eth0 | awk '/lladdr/ {print $3}')
is "$peer_mac" "$hm1" "c1's neighbour entry for peer c2 is its host veth MAC too (l3)"
hv1=$(bn --json endpoint show c1 | json 'd["host_ifname"]')
is "$(ip -n "$NODE" -br link show "$hv1" | awk '{print $3}')" "$hm1" \
	"endpoint show's host_mac is the MAC of $hv1 in the node"
hm4=$(host_mac c4)
gw4_mac=$(ip -n "$(nsname c4)" neigh show 10.20.0.1 dev eth0 | awk '/lladdr/ {print $3}')
is "$gw4_mac" "$hm4" "c4's gateway 10.20.0.1 resolves to c4's host veth MAC"

# ---- isolation between networks ---------------------------------------------------------------

other_before=$(drop_count other_network)
check_fails "ICMP c4 (n2) -> c1 (n1) fails" ns c4 ping -c2 -i0.2 -W1 "${IP[c1]}"
check_fails "ICMP c1 (n1) -> c4 (n2) fails" ns c1 ping -c2 -i0.2 -W1 "${IP[c4]}"
check_fails "TCP c4 -> c1 fails" tcp_echo c4 "${IP[c1]}"
other_after=$(drop_count other_network)
check "other_network drops grew by >= 4 ($other_before -> $other_after)" \
	test "$other_after" -ge $((other_before + 4))
check "c4's per-endpoint drops counted" test "$(stat_of c4 drops)" -gt 0

# ---- routed access from the external host (n1 is nat-unprotected) -------------------------------

ip -n "$EXT" route add 10.10.0.0/24 via "$NODE_IP"
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
check "ICMP ext -> c1 (routed via the node's uplink)" ns ext ping -c1 -W2 "${IP[c1]}"
check "ICMP ext -> c3" ns ext ping -c1 -W2 "${IP[c3]}"
check "TCP ext -> c2" tcp_echo ext "${IP[c2]}"
check "UDP ext -> c2" udp_echo ext "${IP[c2]}"
check "TCP c1 -> ext" tcp_echo c1 "$EXT_IP"
check_fails "ext -> c4 (no route to n2 in ext) fails" ns ext ping -c1 -W1 "${IP[c4]}"

# ---- counters ------------------------------------------------------------------------------

for c in c1 c2 c3; do
	tx=$(stat_of $c tx_packets)
	rx=$(stat_of $c rx_packets)
	check "$c counters: tx_packets $tx > 0, rx_packets $rx > 0" test "$tx" -gt 0 -a "$rx" -gt 0
done
tx1=$(stat_of c1 tx_packets)
txb1=$(stat_of c1 tx_bytes)
rx2=$(stat_of c2 rx_packets)
rxb2=$(stat_of c2 rx_bytes)
check "10 pings c1 -> c2" ns c1 ping -c10 -i0.05 -W2 -q "${IP[c2]}"
tx1b=$(stat_of c1 tx_packets)
txb1b=$(stat_of c1 tx_bytes)
rx2b=$(stat_of c2 rx_packets)
rxb2b=$(stat_of c2 rx_bytes)
check "c1 tx_packets grew by >= 10 ($tx1 -> $tx1b)" test "$tx1b" -ge $((tx1 + 10))
check "c1 tx_bytes grew by >= 10 * 98 ($txb1 -> $txb1b)" test "$txb1b" -ge $((txb1 + 980))
check "c2 rx_packets grew by >= 10 ($rx2 -> $rx2b)" test "$rx2b" -ge $((rx2 + 10))
check "c2 rx_bytes grew by >= 10 * 98 ($rxb2 -> $rxb2b)" test "$rxb2b" -ge $((rxb2 + 980))
out=$(bn stats --all)
check "stats --all (text) shows c1..c4 and every drop reason" \
	sh -c 'for w in c1 c2 c3 c4 spoofed_ip spoofed_mac other_network; do
		printf "%s\n" "$1" | grep -qw "$w" || exit 1; done' _ "$out"

bg_kill_all
check "down" bn down
done_testing
