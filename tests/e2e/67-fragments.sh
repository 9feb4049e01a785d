#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# IPv4 fragments through NAT, end to end: UDP datagrams of 3000 and 9000
# bytes (3 and 7 fragments at MTU 1500) echoed whole both ways through a
# published port, through masquerade and through hairpin; ping -s 3000
# through masquerade; a 3.9 kB DNS answer from dnsmasq in a container to
# dig +bufsize=4096 outside, through a published 53/udp. The node's own stack
# sees none of it: it reassembles nothing and sends no "port unreachable".
# Routed to a container's own address, every fragment gets the gateway
# mode's verdict on the first: in to a published container port of a routed
# network, dropped (direct_routing, once a fragment) in nat mode. Then
# fragments made by hand: in order they reach the container; a middle one
# before its first is counted and left to the node (see frag4_to_node() in
# bpf/datapath.bpf.c), which gives it up without an ICMP error.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1=10.31.0.2 C2=10.31.0.3
C3=10.31.1.2		# in a routed network (gateway mode "routed")
ECHO_PORT=7000		# UDP echo servers in c1 and ext
PUB_PORT=17000		# published to c1:7000
SIZES="3000 9000"
TXT_RECORDS=16		# of 230 bytes each: a 3925-byte answer
ANSWER_MIN=3500

for t in dnsmasq dig nstat; do
	command -v $t >/dev/null || bail "$t is missing (make deps installs it)"
done

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.31.0.0/24
new_ns c1 c2
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2 || bail "c2"
check "port add c1 $PUB_PORT:$ECHO_PORT/udp 53:53/udp" \
	bn port add c1 $PUB_PORT:$ECHO_PORT/udp 53:53/udp
check "network create r1 --gateway-mode routed" \
	bn network create r1 --subnet 10.31.1.0/24 --gateway-mode routed
new_ns c3
check "endpoint add c3" bn endpoint add r1 --netns "$(nsname c3)" --name c3 --ip $C3 || bail "c3"
check "port add c3 $((PUB_PORT + 1)):$ECHO_PORT/udp" bn port add c3 $((PUB_PORT + 1)):$ECHO_PORT/udp
# ext routes the container subnets via the node, as a neighbour that reaches them directly
ip -n "$EXT" route add 10.31.0.0/16 via $NODE_IP

# one socket echoing every datagram back whole (socat's UDP fork mode hands peers to children)
cat >"$TMP/udp_echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
PY
# udp_roundtrip.py DST PORT SIZE: SIZE random bytes come back unchanged (3 tries)
cat >"$TMP/udp_roundtrip.py" <<'PY'
import os, socket, sys
dst, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
sent = []
for attempt in range(3):
    sent.append(os.urandom(size))
    s.sendto(sent[-1], (dst, port))
    try:
        while True:
            got = s.recv(65535)
            if got == sent[-1]:
                print("%d bytes sent, the same %d came back" % (size, len(got)))
                sys.exit(0)
            if got not in sent:
                print("%d bytes sent, %d other bytes came back" % (size, len(got)))
    except socket.timeout:
        print("try %d: no answer in 2 s" % (attempt + 1))
sys.exit(1)
PY
for n in c1 c3 ext; do
	bg timeout 300 ip netns exec "$PFX$n" python3 "$TMP/udp_echo.py" $ECHO_PORT
done
bg timeout 300 ip netns exec "$(nsname c1)" python3 "$TMP/udp_echo.py" $((ECHO_PORT + 1))
txt=()
for i in $(seq 1 $TXT_RECORDS); do
	txt+=("--txt-record=big.test,$(printf 'r%02d-%0226d' "$i" 0)")
done
# -d: in the foreground, no pid file, no change of user; nothing of the host's read
bg timeout 300 ip netns exec "$(nsname c1)" dnsmasq -d -C /dev/null --no-resolv --no-hosts \
	--bind-interfaces --listen-address=$C1 --port=53 --edns-packet-max=4096 "${txt[@]}"
for n in c1 c3 ext; do wait_until 5 udp_listening $n $ECHO_PORT || bail "echo server in $n"; done
wait_until 5 udp_listening c1 $((ECHO_PORT + 1)) || bail "second echo server in c1"
wait_until 5 udp_listening c1 53 || bail "dnsmasq in c1"

roundtrip() { # FROM DST PORT SIZE
	ns "$1" python3 "$TMP/udp_roundtrip.py" "$2" "$3" "$4"
}

# node_stat COUNTER...: the node's own stack counters, "NAME VALUE" per line
node_stat() {
	ip netns exec "$NODE" nstat -asz "$@" | awk '!/^#/ { print $1, $2 }'
}
NODE_COUNTERS=(IpReasmReqds IpReasmOKs IcmpOutDestUnreachs UdpNoPorts)
# node_untouched SNAPSHOT: none of NODE_COUNTERS moved since SNAPSHOT was taken
node_untouched() {
	local now
	now=$(node_stat "${NODE_COUNTERS[@]}")
	[ "$now" = "$(cat "$1")" ] || { diff <(cat "$1") <(echo "$now"); return 1; }
}
node_stat "${NODE_COUNTERS[@]}" >"$TMP/node.start"
diag "the node's stack before: $(tr '\n' ' ' <"$TMP/node.start")"

# ---- published port, both ways ----------------------------------------------------------------
node_stat "${NODE_COUNTERS[@]}" >"$TMP/node.pub"
for size in $SIZES; do
	check "published port: $size-byte UDP ext -> node:$PUB_PORT -> c1 and back, whole" \
		roundtrip ext $NODE_IP $PUB_PORT "$size"
done
check "published port: the node's stack reassembled nothing, sent no port unreachable" \
	node_untouched "$TMP/node.pub"

# ---- hairpin ----------------------------------------------------------------------------------
for size in $SIZES; do
	check "hairpin: $size-byte UDP c2 -> node:$PUB_PORT -> c1 and back, whole" \
		roundtrip c2 $NODE_IP $PUB_PORT "$size"
done

# ---- masquerade -------------------------------------------------------------------------------
for size in $SIZES; do
	check "masquerade: $size-byte UDP c1 -> ext:$ECHO_PORT and back, whole" \
		roundtrip c1 $EXT_IP $ECHO_PORT "$size"
done
# ping_big FROM DST: 3 pings of 3000 bytes, every one answered
ping_big() {
	local out
	out=$(ns "$1" ping -c 3 -i 0.2 -W 2 -s 3000 "$2" 2>&1)
	grep -q " 3 received" <<<"$out" || { echo "$out"; return 1; }
}
check "masquerade: ping -s 3000 c1 -> ext answered" ping_big c1 $EXT_IP

# ---- DNS over UDP with EDNS: a 3.9 kB answer --------------------------------------------------
# dig_big: the whole answer over UDP (+ignore: a truncated one is not retried over TCP)
dig_big() {
	local out n size
	out=$(ns ext dig +bufsize=4096 +ignore +tries=2 +time=2 +comments +stats \
		@$NODE_IP -p 53 big.test TXT 2>&1)
	n=$(grep -c $'^big\\.test\\.\t.*TXT' <<<"$out")
	size=$(sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
	if grep -q "flags:.* tc" <<<"$out" || [ "$n" != $TXT_RECORDS ] ||
		[ "${size:-0}" -lt $ANSWER_MIN ]; then
		echo "$out" | grep -v $'TXT\t"r'
		echo "(want $TXT_RECORDS TXT records, at least $ANSWER_MIN bytes, no tc flag;" \
			"got $n records, ${size:-no} bytes)"
		return 1
	fi
	echo "$n records, $size bytes"
}
out=$(dig_big)
result $? "DNS: dig +bufsize=4096 in ext gets dnsmasq's answer whole through node:53/udp"
diag "$out"

# ---- routed to a container's own address: the gateway mode decides for every fragment ----------
for size in $SIZES; do
	check "routed mode: $size-byte UDP ext -> c3:$ECHO_PORT (published), direct, back whole" \
		roundtrip ext $C3 $ECHO_PORT "$size"
done
direct=$(drop_count direct_routing)
check_fails "nat mode: 3000-byte UDP ext -> c1:$((ECHO_PORT + 1)) directly gets no answer" \
	roundtrip ext $C1 $((ECHO_PORT + 1)) 3000
# three tries of three fragments, each dropped as its first was
is "$(($(drop_count direct_routing) - direct))" 9 \
	"nat mode: every fragment of it dropped as direct_routing, the later ones as their first"

# ---- what the node and bpfnet saw -------------------------------------------------------------
check "the node's stack saw no fragment of any of it and sent no port unreachable" \
	node_untouched "$TMP/node.start"
check "bpfnet tracked fragmented datagrams" \
	test "$(bn --json stats | json 'd["events"]["fragmented_datagrams"]')" -gt 0
frag_drops() {
	local d
	d=$(bn --json stats |
		json 'sum(v for k, v in d["drops"].items() if k.startswith("fragment"))')
	[ "$d" = 0 ] || { bn stats; return 1; }
}
check "no fragment dropped" frag_drops
is "$(bn --json stats | json 'd["events"]["fragments_unmatched_to_node"]')" 0 \
	"no later fragment came before its first"

# ---- a later fragment before its first, from outside to the published port ----------------------
# frags.py DST PORT ORDER: a 3000-byte datagram from port 40123 cut in three fragments by
# hand, sent in ORDER ("012": in order, "102": the middle first) through a raw socket;
# exits 0 when the echo comes back whole
cat >"$TMP/frags.py" <<'PY'
import os, random, socket, struct, sys
dst, port, order = sys.argv[1], int(sys.argv[2]), sys.argv[3]
SPORT, PIECE = 40123, 1008  # three pieces; a multiple of 8, as fragments must be
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", SPORT))
u.settimeout(2)
data = os.urandom(3000)
udp = struct.pack("!HHHH", SPORT, port, 8 + len(data), 0) + data  # no UDP checksum
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)  # IP_HDRINCL
ident = random.randrange(1, 65536)
pieces = [udp[i:i + PIECE] for i in range(0, len(udp), PIECE)]
for i in map(int, order):
    more = 0x2000 if i < len(pieces) - 1 else 0
    # the kernel fills in the total length and the header checksum
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 0, ident, more | (i * PIECE // 8), 64,
                      socket.IPPROTO_UDP, 0, b"\0" * 4, socket.inet_aton(dst))
    raw.sendto(hdr + pieces[i], (dst, 0))
try:
    got = u.recv(65535)
    print("echo: %d bytes, %s" % (len(got), "whole" if got == data else "different"))
    sys.exit(0 if got == data else 1)
except socket.timeout:
    print("no echo in 2 s")
    sys.exit(1)
PY
check "fragments sent in order by hand reach c1 through node:$PUB_PORT, the echo comes back" \
	ns ext python3 "$TMP/frags.py" $NODE_IP $PUB_PORT 012
# the node gives up a datagram it cannot complete after ipfrag_time: 1 s rather than 30
ip netns exec "$NODE" sysctl -qw net.ipv4.ipfrag_time=1
NODE_COUNTERS+=(IpReasmFails IcmpOutTimeExcds)
node_stat "${NODE_COUNTERS[@]}" >"$TMP/node.reorder"
check_fails "the middle fragment first: the datagram is lost (c1 never gets the middle one)" \
	ns ext python3 "$TMP/frags.py" $NODE_IP $PUB_PORT 102
is "$(bn --json stats | json 'd["events"]["fragments_unmatched_to_node"]')" 1 \
	"the middle fragment, before its first, is counted and left to the node"
REASM_FAILS=$(awk '$1 == "IpReasmFails" { print $2 }' "$TMP/node.reorder")
reasm_given_up() { [ "$(node_stat IpReasmFails | cut -d' ' -f2)" -gt "$REASM_FAILS" ]; }
check "the node's stack gave up the one fragment it got, after ipfrag_time" \
	wait_until 10 reasm_given_up
node_stat "${NODE_COUNTERS[@]}" >"$TMP/node.reorder.after"
diag "the node's stack: $(diff "$TMP/node.reorder" "$TMP/node.reorder.after" | grep '^>' |
	tr '\n' ' ')"
for c in IpReasmOKs IcmpOutDestUnreachs IcmpOutTimeExcds UdpNoPorts; do
	is "$(node_stat $c)" "$(grep "^$c " "$TMP/node.reorder")" \
		"... and completed nothing, sent no ICMP error ($c)"
done
done_testing
