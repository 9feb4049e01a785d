#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Anti-spoofing: a container sending with a source IP or MAC that is not its
# endpoint's is dropped on its host veth (spoofed_ip / spoofed_mac counted), the
# peer sees nothing, and traffic works again once the container is honest.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1_IP=10.10.0.2
C2_IP=10.10.0.3
FAKE_IP=10.10.0.99
FAKE_MAC=02:00:00:00:00:99
UDP_PORT=5002

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.10.0.0/24
new_ns c1 c2
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1_IP ||
	bail "cannot add c1"
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2_IP ||
	bail "cannot add c2"
C1_MAC=$(bn --json endpoint show c1 | json 'd["mac"]')
is "$(ip -n "$(nsname c1)" -br link show eth0 | awk '{print $3}')" "$C1_MAC" \
	"c1's eth0 has the endpoint's MAC ($C1_MAC)"
bg timeout 60 ip netns exec "$(nsname c2)" socat -T 5 UDP-LISTEN:$UDP_PORT,fork,reuseaddr PIPE
wait_until 5 udp_listening c2 $UDP_PORT || bail "the UDP echo in c2 did not start"

udp_from() { # udp_from SRC: a datagram c1 -> c2 from address SRC, echoed back?
	local got
	got=$(echo "hello" | ns c1 socat -t 1 -T 2 - "UDP:$C2_IP:$UDP_PORT,bind=$1")
	[ "$got" = hello ]
}

check "baseline: c1 pings c2" ns c1 ping -c1 -W2 $C2_IP
check "baseline: UDP c1 -> c2" udp_from $C1_IP

# ---- spoofed source IP ----------------------------------------------------------------------

ip -n "$(nsname c1)" addr add $FAKE_IP/24 dev eth0
sip0=$(drop_count spoofed_ip)
smac0=$(drop_count spoofed_mac)
drops0=$(stat_of c1 drops)
capture_start c2 "$TMP/ip.cap" "host $FAKE_IP" || diag "tcpdump in c2 did not start"
check_fails "ping -I $FAKE_IP (not c1's address) to c2 gets no reply" \
	ns c1 ping -I $FAKE_IP -c3 -i0.2 -W1 $C2_IP
check_fails "UDP from $FAKE_IP to c2 gets no reply" udp_from $FAKE_IP
capture_stop
sip1=$(drop_count spoofed_ip)
check "spoofed_ip grew by >= 4 ($sip0 -> $sip1)" test "$sip1" -ge $((sip0 + 4))
is "$(drop_count spoofed_mac)" "$smac0" "spoofed_mac unchanged (the MAC was right)"
drops1=$(stat_of c1 drops)
check "c1's per-endpoint drops grew by >= 4 ($drops0 -> $drops1)" test "$drops1" -ge $((drops0 + 4))
n=$(grep -c "$FAKE_IP" "$TMP/ip.cap")
is "$n" 0 "c2 saw no packet from $FAKE_IP (tcpdump)"
[ "$n" = 0 ] || diag_file "$TMP/ip.cap"

# a spoofed source outside the network, towards the node, is dropped as well
ip -n "$(nsname c1)" addr add 192.168.77.50/32 dev eth0
sip1=$(drop_count spoofed_ip)
check_fails "ping -I 192.168.77.50 to the node gets no reply" \
	ns c1 ping -I 192.168.77.50 -c2 -i0.2 -W1 "$NODE_IP"
sip2=$(drop_count spoofed_ip)
check "spoofed_ip grew by >= 2 ($sip1 -> $sip2)" test "$sip2" -ge $((sip1 + 2))
ip -n "$(nsname c1)" addr del 192.168.77.50/32 dev eth0

check "with its own address c1 still reaches c2 meanwhile" ns c1 ping -c1 -W2 $C2_IP
ip -n "$(nsname c1)" addr del $FAKE_IP/24 dev eth0
check "after removing $FAKE_IP: c1 pings c2" ns c1 ping -c1 -W2 $C2_IP
check "after removing $FAKE_IP: UDP c1 -> c2" udp_from $C1_IP

# ---- spoofed source MAC ----------------------------------------------------------------------

# Changing the MAC flushes c1's neighbour cache: first its ARP requests carry
# the wrong MAC (dropped as spoofed_mac, so nothing resolves) ...
sip0=$(drop_count spoofed_ip)
smac0=$(drop_count spoofed_mac)
drops0=$(stat_of c1 drops)
ip -n "$(nsname c1)" link set eth0 address $FAKE_MAC
capture_start c2 "$TMP/mac.cap" icmp or udp or arp || diag "tcpdump in c2 did not start"
check_fails "with MAC $FAKE_MAC c1 cannot ping c2" ns c1 ping -c3 -i0.2 -W1 $C2_IP
check_fails "with MAC $FAKE_MAC c1 cannot reach c2 over UDP" udp_from $C1_IP
check_fails "with MAC $FAKE_MAC c1 cannot ping the node" ns c1 ping -c2 -i0.2 -W1 "$NODE_IP"
smac1=$(drop_count spoofed_mac)
check "spoofed_mac grew (its ARP requests) ($smac0 -> $smac1)" test "$smac1" -gt "$smac0"
# ... then, with the gateway MAC known statically, its IPv4 frames carry it
host_mac=$(bn --json endpoint show c1 | json 'd["host_mac"]')
ip -n "$(nsname c1)" neigh replace $C2_IP lladdr "$host_mac" dev eth0 nud permanent
check_fails "with a static neighbour for c2, IPv4 from MAC $FAKE_MAC still gets no reply" \
	ns c1 ping -c3 -i0.2 -W1 $C2_IP
capture_stop
smac2=$(drop_count spoofed_mac)
check "spoofed_mac grew by >= 3 (its IPv4 frames) ($smac1 -> $smac2)" test "$smac2" -ge $((smac1 + 3))
is "$(drop_count spoofed_ip)" "$sip0" "spoofed_ip unchanged (the address was right)"
drops1=$(stat_of c1 drops)
check "c1's per-endpoint drops grew by >= 4 ($drops0 -> $drops1)" test "$drops1" -ge $((drops0 + 4))
n=$(grep -c "$C1_IP" "$TMP/mac.cap")
is "$n" 0 "c2 saw no packet from c1 while its MAC was wrong (tcpdump)"
[ "$n" = 0 ] || diag_file "$TMP/mac.cap"
ip -n "$(nsname c1)" neigh del $C2_IP dev eth0

ip -n "$(nsname c1)" link set eth0 address "$C1_MAC"
check "MAC restored: c1 pings c2" ns c1 ping -c1 -W2 $C2_IP
check "MAC restored: UDP c1 -> c2" udp_from $C1_IP
check "MAC restored: c1 pings the node" ns c1 ping -c1 -W2 "$NODE_IP"
check "c2 pings c1" ns c2 ping -c1 -W2 $C1_IP
smac3=$(drop_count spoofed_mac)
sip3=$(drop_count spoofed_ip)
check "no more spoof drops once honest (mac $smac2 -> $smac3, ip $sip0 -> $sip3)" \
	test "$smac3" = "$smac2" -a "$sip3" = "$sip0"

bg_kill_all
check "down" bn down
done_testing
