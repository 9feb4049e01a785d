#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What a hostile neighbour on the uplink's segment and a hostile container
# must not get through, with real frames: martian addresses (a frame to the
# node's MAC for 127.0.0.1 and a port published on 127.0.0.1, moby#45610; a
# loopback source; a container's frame to 127.0.0.1), VLAN tags (a tagged
# frame from a container's netns, which the kernel moves into metadata at the
# host veth, and a tagged frame from outside to a published port), the l3
# gateway address on the node (its services answer there; with a default route
# nothing sent to it or to an unassigned address of the subnet leaves the
# uplink), a TCP header with a data offset below 5, and IP options through NAT.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1=10.65.1.2 C2=10.65.1.3 GW=10.65.1.1 UNASSIGNED=10.65.1.77 B1=10.65.2.2 B2=10.65.2.3
PUB=8080 PUB_LO=9090 NODE_SVC=9191

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1 (l3)" bn network create n1 --subnet 10.65.1.0/24 || bail "n1"
check "network create br (bridge)" bn network create br --mode bridge --subnet 10.65.2.0/24 ||
	bail "br"
new_ns c1 c2 b1 b2
for c in c1:n1:$C1 c2:n1:$C2 b1:br:$B1 b2:br:$B2; do
	IFS=: read -r name net ip <<<"$c"
	check "endpoint add $name ($ip)" bn endpoint add "$net" --netns "$(nsname "$name")" \
		--name "$name" --ip "$ip" || bail "endpoint $name"
done
check "port add c1 $PUB:80 127.0.0.1:$PUB_LO:80" bn port add c1 $PUB:80 127.0.0.1:$PUB_LO:80

bg timeout 300 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr \
	SYSTEM:'echo $SOCAT_PEERADDR c1'
bg timeout 300 ip netns exec "$EXT" socat -u UDP-RECV:9999,reuseaddr /dev/null
bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
wait_until 5 tcp_listening c1 80 && wait_until 5 tcp_listening ext 8000 || bail "servers"

mac_of() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }
ep_field() { bn --json endpoint show "$1" | json "d['$2']"; }
NODE_MAC=$(mac_of "$NODE" "$UPLINK")
EXT_MAC=$(mac_of "$EXT" "$EXT_IF")

# raw_send NETNS DEV KEY=VALUE...: frames built byte by byte and sent through an AF_PACKET
# socket, so nothing of the sender's stack corrects them: dst, src (MACs), vlan (0x8100,
# 0x88a8: a tag in the frame), proto (tcp SYN or udp), saddr, sport, daddr, dport, doff
# (TCP data offset), count
cat >"$TMP/raw_send.py" <<'PY'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

a = dict(x.split("=", 1) for x in sys.argv[2:])
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
saddr, daddr = socket.inet_aton(a["saddr"]), socket.inet_aton(a["daddr"])
sport, dport, data = int(a["sport"]), int(a["dport"]), b"bpfnet e2e"
if a.get("proto", "tcp") == "tcp":
    proto, coff = 6, 16
    l4 = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, int(a.get("doff", 5)) << 4, 0x02,
                     64240, 0, 0) + data
else:
    proto, coff = 17, 6
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
c = csum(saddr + daddr + struct.pack("!BBH", 0, proto, len(l4)) + l4) or 0xFFFF
l4 = l4[:coff] + struct.pack("!H", c) + l4[coff + 2:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0x4000, 64, proto, 0, saddr, daddr)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
eth = mac(a["dst"]) + mac(a["src"])
if int(a.get("vlan", "0"), 0):
    eth += struct.pack("!HH", int(a["vlan"], 0), 10)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(int(a.get("count", "3"))):
    s.send(eth + b"\x08\x00" + ip + l4)
PY
raw_send() {
	local n=$1
	shift
	timeout -k 2 10 ip netns exec "$n" python3 "$TMP/raw_send.py" "$@"
}
# from_ext KEY=VALUE...: a frame from the outside neighbour to the node's MAC
from_ext() { raw_send "$EXT" "$EXT_IF" dst="$NODE_MAC" src="$EXT_MAC" "$@"; }
# from_ct NAME KEY=VALUE...: a frame from container NAME to its gateway MAC (or dst=)
from_ct() {
	local c=$1
	shift
	raw_send "$(nsname "$c")" eth0 dst="$(ep_field "$c" host_mac)" src="$(ep_field "$c" mac)" "$@"
}

# grew REASON BEFORE: the drop counter REASON grew by at least 3 (the frames sent) since BEFORE
grew() {
	local now
	now=$(drop_count "$1")
	[ "$now" -ge $(($2 + 3)) ] || { echo "$1: $2 -> $now"; return 1; }
}
# none_in FILE PATTERN: no line of the capture FILE has PATTERN
none_in() {
	! grep -q -- "$2" "$1" || { grep -- "$2" "$1" | head -5; return 1; }
}

# ---- martians ------------------------------------------------------------------------------------

# c1 captures what reaches its port 80; each raw frame has a source port of its own
capture_start c1 "$TMP/c1.cap" tcp port 80 || bail "tcpdump in c1"
m_dst=$(drop_count martian_destination)
m_src=$(drop_count martian_source)
check "ext sends 3 SYNs to the node's MAC for 127.0.0.1:$PUB_LO (published on 127.0.0.1)" \
	from_ext saddr=$EXT_IP sport=40001 daddr=127.0.0.1 dport=$PUB_LO
check "ext sends 3 SYNs from source 127.0.0.1 to $NODE_IP:$PUB" \
	from_ext saddr=127.0.0.1 sport=40002 daddr=$NODE_IP dport=$PUB
check "c2 sends 3 SYNs to its gateway MAC for 127.0.0.1:$PUB_LO" \
	from_ct c2 saddr=$C2 sport=40003 daddr=127.0.0.1 dport=$PUB_LO
check "control: ext -> $NODE_IP:$PUB reaches c1" expect "$EXT_IP c1" tcp_get ext $NODE_IP $PUB
capture_stop
check "control: c1 saw the real client's SYN" grep -q "$EXT_IP\.[0-9]* > $C1\.80: Flags \[S\]" \
	"$TMP/c1.cap"
check "c1 got nothing of the frames for 127.0.0.1 from the uplink (moby#45610)" \
	none_in "$TMP/c1.cap" "\.40001 > "
check "c1 got nothing of the loopback-sourced frames" none_in "$TMP/c1.cap" "\.40002 > "
check "c1 got nothing of c2's frames for 127.0.0.1 (no hairpin)" none_in "$TMP/c1.cap" "\.40003 > "
check "martian_destination counted (uplink and container: >= 6)" \
	test "$(drop_count martian_destination)" -ge $((m_dst + 6))
check "martian_source counted" grew martian_source "$m_src"

# the node's own stack: a 0.0.0.0 -> 255.255.255.255 DHCP request still reaches it
bg timeout 60 ip netns exec "$NODE" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 67))
data, peer = s.recvfrom(2048)
open(__import__("sys").argv[1], "w").write("%s:%d %s\n" % (peer[0], peer[1], data.decode()))
' "$TMP/dhcp.got"
wait_until 5 udp_listening node 67
dhcp_got() { grep -q "^0.0.0.0:68 bpfnet e2e" "$TMP/dhcp.got" 2>/dev/null; }
from_ext proto=udp saddr=0.0.0.0 sport=68 daddr=255.255.255.255 dport=67 dst=ff:ff:ff:ff:ff:ff
check "0.0.0.0:68 -> 255.255.255.255:67 (DHCP) reaches the node's stack untouched" \
	wait_until 5 dhcp_got

# a port bound to one host address answers only there, for the node's own clients too
reaches_c1() { local got; got=$("$@" 2>&1); [[ "$got" == *" c1" ]] || { echo "got '$got'"; return 1; }; }
check "node client -> 127.0.0.1:$PUB_LO reaches c1 (socket hooks)" \
	reaches_c1 tcp_get node 127.0.0.1 $PUB_LO
check_fails "node client -> $NODE_IP:$PUB_LO (published on 127.0.0.1 only) is not translated" \
	tcp_get node $NODE_IP $PUB_LO
check_fails "node client -> the gateway $GW:$PUB_LO is not translated either" \
	tcp_get node $GW $PUB_LO
check_fails "ext -> $NODE_IP:$PUB_LO is not translated" tcp_get ext $NODE_IP $PUB_LO

# ---- VLAN tags -----------------------------------------------------------------------------------

CAP_IF=$EXT_IF capture_start ext "$TMP/ext.cap" -e udp or vlan || bail "tcpdump in ext"
vlan0=$(drop_count vlan_tagged)
drops0=$(bn --json stats | json "[e['drops'] for e in d['endpoints'] if e['name'] == 'c1'][0]")
check "c1 (l3) sends 3 802.1Q-tagged datagrams to ext:9999 through its gateway" \
	from_ct c1 proto=udp vlan=0x8100 saddr=$C1 sport=40010 daddr=$EXT_IP dport=9999
check "b1 (bridge) sends 3 802.1ad-tagged datagrams to ext:9999" \
	from_ct b1 proto=udp vlan=0x88a8 saddr=$B1 sport=40011 daddr=$EXT_IP dport=9999
check "control: c1 sends an untagged datagram to ext:9999" \
	bash -c "echo control | ip netns exec $(nsname c1) socat -u - UDP:$EXT_IP:9999"
capture_stop
check "control: ext saw c1's datagram, masqueraded" grep -q "$NODE_IP\.[0-9]* > $EXT_IP\.9999" \
	"$TMP/ext.cap"
check "nothing tagged left the uplink" none_in "$TMP/ext.cap" "vlan"
check "vlan_tagged counted the 6 frames" \
	test "$(drop_count vlan_tagged)" -ge $((vlan0 + 6))
check "c1's per-endpoint drops counted them" \
	test "$(bn --json stats | json "[e['drops'] for e in d['endpoints'] if e['name'] == 'c1'][0]")" \
	-ge $((drops0 + 3))

capture_start c1 "$TMP/c1v.cap" -e tcp port 80 || bail "tcpdump in c1"
dnat0=$(bn --json stats | json 'd["events"]["portmap_flows"]')
check "ext sends 3 802.1Q-tagged SYNs to the published $NODE_IP:$PUB" \
	from_ext vlan=0x8100 saddr=$EXT_IP sport=40020 daddr=$NODE_IP dport=$PUB
check "ext sends 3 802.1Q-tagged SYNs straight to c1's address" \
	from_ext vlan=0x8100 saddr=$EXT_IP sport=40021 daddr=$C1 dport=80
capture_stop
check "no container got a tagged frame from outside" none_in "$TMP/c1v.cap" "\.4002[01] > "
is "$(bn --json stats | json 'd["events"]["portmap_flows"]')" "$dnat0" \
	"no published-port flow was made of them"

# ---- the l3 gateway is the node's -------------------------------------------------------------------

lo_has() { local out; out=$(ip -n "$NODE" -4 addr show dev lo); grep -q "inet $1/32" <<<"$out"; }
check "the node owns n1's gateway $GW (a /32 on lo)" lo_has $GW
bg timeout 300 ip netns exec "$NODE" socat TCP-LISTEN:$NODE_SVC,bind=$GW,fork,reuseaddr \
	SYSTEM:'echo node-gw'
check "a service on the node listens on the gateway $GW:$NODE_SVC" \
	wait_until 5 tcp_listening node $NODE_SVC
check "c1 -> a service on the node at its gateway $GW:$NODE_SVC answers" \
	expect node-gw tcp_get c1 $GW $NODE_SVC
check "hairpin through the gateway: c2 -> $GW:$PUB reaches c1" \
	expect "$GW c1" tcp_get c2 $GW $PUB
ip -n "$NODE" route add default via $EXT_IP
CAP_IF=$EXT_IF capture_start ext "$TMP/gw.cap" host $GW or host $UNASSIGNED || bail "tcpdump in ext"
un0=$(drop_count unassigned_address)
tcp_get c1 $GW 9 >/dev/null 2>&1 # nobody listens: refused by the node
echo x | ns c1 socat -u - UDP:$GW:9 2>/dev/null
tcp_get c1 $UNASSIGNED 80 >/dev/null 2>&1
ns c1 ping -c2 -i0.2 -W1 $UNASSIGNED >/dev/null 2>&1
capture_stop
check "with a default route via ext: nothing for $GW or $UNASSIGNED left the uplink" \
	bash -c '! grep -q IP "$1" || { cat "$1"; exit 1; }' _ "$TMP/gw.cap"
check "unassigned_address counted c1's packets to $UNASSIGNED" \
	test "$(drop_count unassigned_address)" -ge $((un0 + 3))
check "c1 -> ext still leaves (masqueraded) by the default route" \
	expect "$NODE_IP" tcp_get c1 $EXT_IP 8000
ip -n "$NODE" route del default via $EXT_IP
check "network create n9 (l3): the node takes its gateway 10.65.9.1" \
	bn network create n9 --subnet 10.65.9.0/24
check "... as a /32 on lo" lo_has 10.65.9.1
check "network rm n9 gives it back" bn network rm n9
check_fails "... the /32 is gone" lo_has 10.65.9.1

# ---- malformed TCP from outside, IP options through NAT ----------------------------------------------

capture_start c1 "$TMP/c1l4.cap" tcp port 80 || bail "tcpdump in c1"
bad0=$(drop_count bad_l4_header)
check "ext sends 3 SYNs with a TCP data offset of 4 to the published $NODE_IP:$PUB" \
	from_ext saddr=$EXT_IP sport=40030 daddr=$NODE_IP dport=$PUB doff=4
capture_stop
check "c1 got none of them" none_in "$TMP/c1l4.cap" "\.40030 > "
check "bad_l4_header counted them" grew bad_l4_header "$bad0"

# opts_get FROM ADDR PORT: a TCP exchange whose every packet carries IP options (40 bytes:
# record route, the longest), the answer printed
opts_get() {
	ns "$1" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([7, 39, 4] + [0] * 37))
s.settimeout(3)
s.connect((sys.argv[1], int(sys.argv[2])))
print(s.recv(100).decode().strip())
' "$2" "$3"
}
check "ip options: ext -> $NODE_IP:$PUB (DNAT) reaches c1" expect "$EXT_IP c1" opts_get ext $NODE_IP $PUB
check "ip options: c2 -> $NODE_IP:$PUB (hairpin) reaches c1" expect "$NODE_IP c1" \
	opts_get c2 $NODE_IP $PUB
check "ip options: c1 -> ext:8000 (masquerade)" expect "$NODE_IP" opts_get c1 $EXT_IP 8000

bg_kill_all
check "down" bn down
check_fails "down took the gateway $GW away" lo_has $GW
done_testing
