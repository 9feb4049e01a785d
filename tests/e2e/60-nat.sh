#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# NAT in BPF, end to end: published ports from outside (TCP, UDP, ranges,
# host-address binding), the real client address seen by the container,
# hairpin, local clients through 127.0.0.1, masquerade, path MTU discovery
# through NAT (ICMP fragmentation-needed translated), 10,000 published ports,
# stale flows ended when a mapping goes (moby#8795), and no netfilter anywhere.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1=10.30.0.2 C2=10.30.0.3
NODE_IP2=192.168.77.10	# a second node address, for host-IP bound mappings
FAR_IP=172.31.9.2	# behind ext, over a link with a small MTU
FAR_MTU=1280

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.30.0.0/24
new_ns c1 c2 far
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2 || bail "c2"
ip -n "$NODE" addr add $NODE_IP2/24 dev "$UPLINK"
# far: reachable from the node through ext, which routes between its two links
ip -n "$EXT" link add far0 mtu $FAR_MTU type veth peer name eth0 netns "$(nsname far)"
ip -n "$EXT" addr add 172.31.9.1/24 dev far0
ip -n "$EXT" link set far0 up
ip -n "$(nsname far)" addr add $FAR_IP/24 dev eth0
ip -n "$(nsname far)" link set eth0 up
ip -n "$(nsname far)" route add default via 172.31.9.1
ip netns exec "$EXT" sysctl -qw net.ipv4.ip_forward=1
ip -n "$NODE" route add 172.31.9.0/24 via $EXT_IP

# whoami servers: answer with the peer address they see
for c in c1 c2; do
	bg timeout 300 ip netns exec "$PFX$c" socat TCP-LISTEN:80,fork,reuseaddr \
		SYSTEM:'echo $SOCAT_PEERADDR '"$c"
	# one socket answering every datagram: socat's UDP fork mode hands peers to children
	bg timeout 300 ip netns exec "$PFX$c" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(("%s %s\n" % (peer[0], sys.argv[1])).encode(), peer)
' "$c"
	for p in 7000 7001 7002; do
		bg timeout 300 ip netns exec "$PFX$c" socat TCP-LISTEN:$p,fork,reuseaddr \
			SYSTEM:"echo port$p"
	done
done
bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
for c in c1 c2; do
	wait_until 5 tcp_listening $c 80 && wait_until 5 udp_listening $c 53 || bail "servers in $c"
done
wait_until 5 tcp_listening ext 8000 || bail "server in ext"

netfilter_empty() {
	local rules
	rules=$(ip netns exec "$NODE" iptables-save 2>/dev/null | grep -vE '^(#|\*|:|COMMIT)')
	rules+=$(ip netns exec "$NODE" nft list ruleset 2>/dev/null)
	[ -z "$rules" ] || { echo "$rules"; return 1; }
}

check "no netfilter rule in the node before publishing" netfilter_empty

# ---- published ports -----------------------------------------------------------------
check "port add c1 8080:80 9000-9002:7000-7002 5353:53/udp 127.0.0.1:8081:80 $NODE_IP2:8082:80" \
	bn port add c1 8080:80 9000-9002:7000-7002 5353:53/udp 127.0.0.1:8081:80 $NODE_IP2:8082:80
check "port ls shows the range folded" grep_out '9000-9002:7000-7002/tcp' bn port ls c1
check "ext -> node:8080 reaches c1, which sees the real client $EXT_IP" \
	expect "$EXT_IP c1" tcp_get ext $NODE_IP 8080
check "UDP ext -> node:5353 reaches c1's :53 and the answer comes back" \
	expect "$EXT_IP c1" udp_get ext $NODE_IP 5353
for p in 0 1 2; do
	check "range: ext -> node:900$p reaches c1:700$p" expect "port700$p" tcp_get ext $NODE_IP 900$p
done
check "bound to $NODE_IP2: ext -> $NODE_IP2:8082 reaches c1" \
	expect "$EXT_IP c1" tcp_get ext $NODE_IP2 8082
check_fails "bound to $NODE_IP2: ext -> $NODE_IP:8082 does not" tcp_get ext $NODE_IP 8082
check_fails "bound to 127.0.0.1: ext -> $NODE_IP:8081 does not (moby#45610)" \
	tcp_get ext $NODE_IP 8081
check "hairpin: c2 -> node:8080 reaches c1" grep_out c1 tcp_get c2 $NODE_IP 8080
check "hairpin to itself: c1 -> node:8080 reaches c1" grep_out c1 tcp_get c1 $NODE_IP 8080
check "UDP hairpin: c2 -> node:5353 reaches c1" grep_out c1 udp_get c2 $NODE_IP 5353
check "local client: node -> 127.0.0.1:8081 reaches c1" grep_out c1 tcp_get node 127.0.0.1 8081
check "local client: node -> $NODE_IP:8080 reaches c1" grep_out c1 tcp_get node $NODE_IP 8080
check_fails "a conflicting mapping is refused" bn port add c2 8080:80
check_fails "a call with one bad spec is refused" bn port add c2 8090:80 8091:80/sctp
check_fails "... and publishes nothing of it" grep_out '8090' bn port ls c2
check "ct ls shows the portmap flows" grep_out portmap bn ct ls

# ---- masquerade and path MTU ----------------------------------------------------------
check "masquerade: c1 -> ext:8000 arrives from the node address" \
	expect "$NODE_IP" tcp_get c1 $EXT_IP 8000
check "masquerade: c1 -> far ($FAR_IP) through ext" ns c1 ping -c1 -W2 $FAR_IP

# bulk: 8 MB each way, so TCP builds GSO super-packets larger than the MTU
head -c 8000000 /dev/urandom >"$TMP/bulk"
BULK_MD5=$(md5sum <"$TMP/bulk" | cut -d' ' -f1)
bulk_got() { [ -s "$TMP/bulk.got" ]; }
upload_md5() { # 8 MB from c1 to a server in ext that writes down their md5
	rm -f "$TMP/bulk.got"
	ns c1 socat -T 10 -u "FILE:$TMP/bulk" "TCP:$EXT_IP:8001,connect-timeout=3" || return 1
	wait_until 10 bulk_got || { echo "the server wrote no md5"; return 1; }
	[ "$(cut -d' ' -f1 "$TMP/bulk.got")" = "$BULK_MD5" ] ||
		{ echo "md5 $(cat "$TMP/bulk.got"), want $BULK_MD5"; return 1; }
}
bg timeout 300 ip netns exec "$EXT" socat -u TCP-LISTEN:8001,reuseaddr,fork \
	SYSTEM:"md5sum >$TMP/bulk.got.tmp; mv $TMP/bulk.got.tmp $TMP/bulk.got"
wait_until 5 tcp_listening ext 8001
NS_TIMEOUT=30 check "masquerade: 8 MB upload c1 -> ext intact (GSO through the FIB redirect)" \
	upload_md5
download_md5() { # 8 MB from c1's published port 7101 to ext
	local got
	got=$(ns ext socat -T 10 -u "TCP:$NODE_IP:7101,connect-timeout=3" - | md5sum | cut -d' ' -f1)
	[ "$got" = "$BULK_MD5" ] || { echo "md5 got '$got', want '$BULK_MD5'"; return 1; }
}
# -U: from the file to whoever connects
bg timeout 300 ip netns exec "$(nsname c1)" socat -U TCP-LISTEN:7100,reuseaddr,fork "FILE:$TMP/bulk"
wait_until 5 tcp_listening c1 7100
check "port add c1 7101:7100" bn port add c1 7101:7100
NS_TIMEOUT=30 check "published port: 8 MB download ext <- c1 intact" download_md5

# pmtu_learned: a DF ping too big for the far link makes ext answer "fragmentation needed"
# to the node address; translated back, it teaches c1's kernel the path MTU.
pmtu_learned() {
	ns c1 ping -c1 -W1 -M do -s 1400 $FAR_IP >/dev/null 2>&1
	ns c1 ping -c1 -W1 -M do -s 1400 $FAR_IP >/dev/null 2>&1
	ip -n "$(nsname c1)" route get $FAR_IP | grep -q "mtu $FAR_MTU"
}
check "PMTU: fragmentation-needed reaches c1 through NAT (route cache mtu $FAR_MTU)" pmtu_learned
check "icmp_errors_translated counted" \
	test "$(bn --json stats | json 'd["events"]["icmp_errors_translated"]')" -gt 0

# ---- checksums after NAT, from partial (offloaded) and from full checksums ------------------
# ext forwards to far over far0 with checksum offload off, so the kernel completes a
# partial checksum in software there, and far's tcpdump verifies every checksum it sees.
bg timeout 300 ip netns exec "$(nsname far)" socat TCP-LISTEN:9,fork,reuseaddr SYSTEM:'echo far'
bg timeout 300 ip netns exec "$(nsname far)" socat -T 2 UDP-LISTEN:9,fork,reuseaddr SYSTEM:'echo far'
wait_until 5 tcp_listening far 9
ip netns exec "$EXT" ethtool -K far0 tx off >/dev/null 2>&1

# csum_ok MODE: TCP and UDP from c1 to far through masquerade, all checksums correct at far
csum_ok() {
	local cap="$TMP/csum-$1.cap"
	# only what arrives: what far sends itself still has a partial checksum
	capture_start far "$cap" dst host $FAR_IP and port 9 || return 1
	tcp_get c1 $FAR_IP 9 >/dev/null
	udp_get c1 $FAR_IP 9 >/dev/null
	capture_stop
	grep -q "cksum 0x[0-9a-f]* (correct)" "$cap" || { cat "$cap"; return 1; }
	! grep -q "incorrect" "$cap" || { grep incorrect "$cap"; return 1; }
}
check "checksums correct after NAT, from partial checksums (veth offload on)" csum_ok partial
ip netns exec "$(nsname c1)" ethtool -K eth0 tx off >/dev/null 2>&1
check "checksums correct after NAT, from full checksums (offload off)" csum_ok full
ip netns exec "$(nsname c1)" ethtool -K eth0 tx on >/dev/null 2>&1

# ---- a flow survives a firewall flush in the node -------------------------------------
long_flow() {
	# one TCP connection, a line a second for 4 s, all echoed back through the published port
	local got
	got=$( (for i in 1 2 3 4; do echo "line$i"; sleep 1; done) |
		ns ext socat -T 6 - "TCP:$NODE_IP:9100,connect-timeout=3")
	[ "$(echo "$got" | wc -l)" = 4 ] || { echo "got: $got"; return 1; }
}
bg timeout 300 ip netns exec "$(nsname c2)" socat TCP-LISTEN:9100,fork,reuseaddr EXEC:cat
wait_until 5 tcp_listening c2 9100
check "port add c2 9100:9100" bn port add c2 9100:9100
long_flow >"$TMP/flow.out" 2>&1 &
FLOW=$!
sleep 1.5
ip netns exec "$NODE" nft flush ruleset 2>/dev/null
ip netns exec "$NODE" iptables -F 2>/dev/null
ip netns exec "$NODE" iptables -t nat -F 2>/dev/null
if wait $FLOW; then ok "a running flow survives nft flush ruleset / iptables -F in the node"
else not_ok "a running flow survives nft flush ruleset / iptables -F in the node"; diag_file "$TMP/flow.out"; fi

# ---- removing a mapping ends its flows (moby#8795) ------------------------------------
# a UDP client keeps one socket (one 4-tuple) open across the change
check "port add c1 6000:53/udp" bn port add c1 6000:53/udp
ns ext python3 - "$NODE_IP" >"$TMP/udp.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.bind(("0.0.0.0", 45678))
for i in range(8):
    s.sendto(b"q", (sys.argv[1], 6000))
    try:
        print(s.recv(100).decode().split()[-1], flush=True)
    except socket.timeout:
        print("timeout", flush=True)
    time.sleep(0.5)
PY
UDPC=$!
sleep 1.2
bn port rm c1 6000:53/udp && bn port add c2 6000:53/udp
wait $UDPC
diag "udp client saw: $(tr "\n" " " <"$TMP/udp.out")"
check "the UDP client first reached c1" grep_out c1 cat "$TMP/udp.out"
is "$(tail -n 2 "$TMP/udp.out" | sort -u)" "c2" \
	"after the mapping moved to c2, the same UDP 4-tuple reaches c2, not c1 through a stale entry"

# ---- 10,000 published ports ------------------------------------------------------------
SPECS=$(seq 20000 29999 | sed 's/$/:80/')
# shellcheck disable=SC2086
check "10,000 ports published in one call" bn port add c2 $SPECS
for p in 20000 23456 27777 29999; do
	check "ext -> node:$p answers (c2)" grep_out c2 tcp_get ext $NODE_IP $p
done
check "port ls lists them" test "$(bn --json port ls c2 | json 'sum(m["host_port_last"] - m["host_port"] + 1 for m in d)')" -ge 10000

check "no netfilter rule in the node after all this" netfilter_empty
check "ct flush" bn ct flush
is "$(bn --json ct ls | json 'len(d)')" 0 "ct ls is empty after a flush"
check "endpoint rm c2 takes its ports" bn endpoint rm c2
is "$(bn --json port ls | json 'len([m for m in d if m["endpoint"] == "c2"])')" 0 "no port of c2 left"
done_testing
