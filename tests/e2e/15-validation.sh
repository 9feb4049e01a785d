#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Control-plane input that would take over the node, refused with nothing changed:
# subnets on the node's own routes and addresses or in special ranges, the node's
# own netns as a container's, ports on addresses the node does not own, an empty
# --instance, a --bpffs that is no bpffs, and a status that tells the truth. Then
# a second endpoint in one netns (docker network connect): a route for its subnet
# only, traffic on both networks, and the default route handed over on removal.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet"
TCP_PORT=5001
SIDE_IP=10.61.0.1	# on side0, a second node interface (up): a connected route
DOWN_IP=10.62.0.1	# on side1, down: an address with no route
LO_IP=10.63.0.1		# a /32 on lo: an address with no route
VIA_NET=172.30.0.0/16	# a static route via the uplink's neighbour

# ---- helpers ------------------------------------------------------------------------

links_of() { # link names of a netns
	ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}

# map_digest MAP: what a control-plane map holds (the datapath never writes these)
map_digest() {
	[ -e "$PINS/$INST/$1" ] || { echo "no $1"; return; }
	bpftool -j map dump pinned "$PINS/$INST/$1" | md5sum
}

# What a refused command must leave as it was.
SNAP_NS=""
snapshot() {
	local c m
	echo "== networks"
	bn --json network ls
	echo "== endpoints"
	bn --json endpoint ls
	echo "== ports"
	bn --json port ls
	echo "== run dir"
	find "$BPFNET_RUN_DIR" | sort
	echo "== node links"
	links_of "$NODE"
	echo "== node addresses"
	ip -n "$NODE" -o addr show
	echo "== node routes"
	ip -n "$NODE" route show table all
	for c in $SNAP_NS; do
		echo "== $c links, addresses, routes"
		links_of "$PFX$c"
		ip -n "$PFX$c" -o addr show
		ip -n "$PFX$c" route show
	done
	for m in networks ep_by_ip ep_by_ifindex portmap4 node_addrs flood_ports; do
		echo "== map $m"
		map_digest $m
	done
}

# refused DESC RC NEEDLE CMD...: CMD exits RC, its stderr has NEEDLE, the snapshot is unchanged
refused() {
	local desc=$1 rc=$2
	shift 2
	refused_with "$rc" "$desc" "$@"
}

# sleeper NETNS: start a process in NETNS (stopped by the trap); its pid in $SLEEPER
SLEEPER=""
sleeper() {
	bg timeout 300 ip netns exec "$1" sh -c "echo \$\$ >'$TMP/pid.$1'; exec sleep 300"
	wait_until 5 test -s "$TMP/pid.$1" && SLEEPER=$(cat "$TMP/pid.$1")
}

# ---- the node: more interfaces, addresses and routes than the uplink ---------------------

check "init --uplink $UPLINK" bn init --uplink "$UPLINK" || bail "init failed"
ip -n "$NODE" link add side0 type veth peer name side1 &&
	ip -n "$NODE" addr add $SIDE_IP/24 dev side0 &&
	ip -n "$NODE" addr add $DOWN_IP/24 dev side1 &&
	ip -n "$NODE" link set side0 up &&
	ip -n "$NODE" addr add $LO_IP/32 dev lo &&
	ip -n "$NODE" route add $VIA_NET via "$EXT_IP" &&
	ip -n "$NODE" route add default via "$EXT_IP" || bail "cannot give the node its routes"
ip netns exec "$EXT" sysctl -qw net.ipv4.ip_forward=1

# ---- network create: subnets that would take over the node ---------------------------------

refused "the uplink's subnet is refused, naming the node's route" 1 \
	"subnet 192.168.77.0/24 overlaps the node's route 192.168.77.0/24 dev $UPLINK" \
	bn network create x --subnet 192.168.77.0/24
refused "... also in bridge mode (no gateway address is taken)" 1 \
	"overlaps the node's route 192.168.77.0/24 dev $UPLINK" \
	bn network create x --mode bridge --subnet 192.168.77.0/24
refused "a part of the uplink's subnet (192.168.77.128/25) is refused" 1 \
	"overlaps the node's route 192.168.77.0/24 dev $UPLINK" \
	bn network create x --subnet 192.168.77.128/25
refused "a subnet around the uplink's (192.168.0.0/16) is refused" 1 \
	"overlaps the node's route 192.168.77.0/24 dev $UPLINK" \
	bn network create x --subnet 192.168.0.0/16
refused "another interface's subnet (side0, $SIDE_IP/24) is refused" 1 \
	"overlaps the node's route 10.61.0.0/24 dev side0" \
	bn network create x --subnet 10.61.0.0/24
refused "the subnet of an address on a device that is down (no route) is refused" 1 \
	"overlaps the node's address $DOWN_IP/24 dev side1" \
	bn network create x --subnet 10.62.0.0/24
refused "a subnet holding a /32 of the node's lo is refused" 1 \
	"overlaps the node's address $LO_IP/32 dev lo" \
	bn network create x --subnet 10.63.0.0/24
refused "a subnet under a static route via a neighbour is refused" 1 \
	"overlaps the node's route $VIA_NET via $EXT_IP dev $UPLINK" \
	bn network create x --subnet 172.30.5.0/24
# a special range is wrong on any node: a value error (exit 2), not a conflict with the node (1)
refused "127.0.0.0/8 (loopback) is refused" 2 "127.0.0.0/8, the loopback range" \
	bn network create x --subnet 127.0.0.0/8
refused "127.1.0.0/16 (inside loopback) is refused" 2 "overlaps 127.0.0.0/8, the loopback range" \
	bn network create x --subnet 127.1.0.0/16
refused "169.254.0.0/16 (link-local) is refused" 2 "169.254.0.0/16, the link-local range" \
	bn network create x --subnet 169.254.0.0/16
refused "224.0.0.0/24 (multicast) is refused" 2 "overlaps 224.0.0.0/4, the multicast range" \
	bn network create x --subnet 224.0.0.0/24
refused "0.0.0.0/8 is refused" 2 "overlaps 0.0.0.0/8, the \"this network\" range" \
	bn network create x --subnet 0.0.0.0/8
refused "240.0.0.0/8 (reserved, broadcast) is refused" 2 \
	"overlaps 240.0.0.0/4, the reserved range" \
	bn network create x --subnet 240.0.0.0/8
check "a clean subnet works, the node's default route notwithstanding" \
	bn network create n1 --subnet 10.50.0.0/24
check "a second clean subnet (bridge)" bn network create n2 --mode bridge --subnet 10.51.0.0/24
refused "a subnet over an existing network names the network (not its /32 routes)" 1 \
	"subnet 10.50.0.0/16 overlaps network 'n1' (10.50.0.0/24)" \
	bn network create x --subnet 10.50.0.0/16
is "$(bn --json network ls | json '",".join(n["name"] for n in d)')" "n1,n2" \
	"after every refusal: exactly n1 and n2"

# ---- endpoint add: the node's own netns is no container -------------------------------------

new_ns c1 p1 p2 m
sleeper "$NODE" || bail "no process in the node netns"
NODE_PID=$SLEEPER
SNAP_NS="c1"
# the node's own netns is never a container's: a value error (exit 2)
refused "endpoint add --netns NODE (by name) is refused" 2 "is the node's own network namespace" \
	bn endpoint add n1 --netns "$NODE" --name x
refused "endpoint add --netns /proc/self/ns/net is refused" 2 \
	"'/proc/self/ns/net' (/proc/self/ns/net) is the node's own network namespace" \
	bn endpoint add n1 --netns /proc/self/ns/net --name x
refused "endpoint add --netns /proc/PID/ns/net of a process in the node is refused" 2 \
	"/proc/$NODE_PID/ns/net) is the node's own network namespace" \
	bn endpoint add n1 --netns "/proc/$NODE_PID/ns/net" --name x
refused "endpoint add --netns of a bind mount of the node's netns is refused" 2 \
	"is the node's own network namespace" \
	bn endpoint add n2 --netns "/var/run/netns/$NODE" --name x
check "a container's netns works" bn endpoint add n1 --netns "$(nsname c1)" --name c1
SNAP_NS=""

# ---- port add: only on addresses of the node ----------------------------------------------------

bg timeout 300 ip netns exec "$(nsname c1)" socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
wait_until 5 tcp_listening c1 $TCP_PORT || bail "echo server in c1"
refused "port add on 198.51.100.77 (not the node's) is refused" 1 \
	"host address 198.51.100.77 is not an address of this node" \
	bn port add c1 198.51.100.77:8080:$TCP_PORT
refused "port add on 192.168.77.255 (the uplink subnet's broadcast) is refused" 1 \
	"host address 192.168.77.255 is the broadcast address of the node's $NODE_IP/24" \
	bn port add c1 192.168.77.255:8080:$TCP_PORT
refused "port add on 255.255.255.255 is refused" 1 "255.255.255.255 is the broadcast address" \
	bn port add c1 255.255.255.255:8080:$TCP_PORT/udp
refused "port add on 224.0.0.1 (multicast) is refused" 1 "224.0.0.1 is a multicast group" \
	bn port add c1 224.0.0.1:8080:$TCP_PORT/udp
refused "a call with one good and one foreign address publishes nothing" 1 "198.51.100.77" \
	bn port add c1 8090:$TCP_PORT 198.51.100.77:8091:$TCP_PORT
check "port add on the node address, 127.0.0.1 and 0.0.0.0 works" \
	bn port add c1 "$NODE_IP:8081:$TCP_PORT" "127.0.0.1:8082:$TCP_PORT" "0.0.0.0:8083:$TCP_PORT"
check "port add on another node address ($SIDE_IP, side0) works" \
	bn port add c1 "$SIDE_IP:8084:$TCP_PORT"
check "ext -> $NODE_IP:8081 reaches c1" tcp_echo ext "$NODE_IP" 8081
check "ext -> $NODE_IP:8083 (0.0.0.0) reaches c1" tcp_echo ext "$NODE_IP" 8083
check "node -> 127.0.0.1:8082 reaches c1" tcp_echo node 127.0.0.1 8082

# ---- --instance "" -----------------------------------------------------------------------------

# raw: the CLI in the node netns without the script's --instance
raw() { timeout -k 5 60 ip netns exec "$NODE" "$BPFNET" "$@"; }
raw_env() { timeout -k 5 60 env "$@"; }
refused "--instance \"\" status is a usage error" 2 "--instance is empty" raw --instance "" status
refused "--instance= network create is a usage error, nothing created" 2 "--instance is empty" \
	raw --instance= network create x --subnet 10.70.0.0/24
refused "\$BPFNET_INSTANCE=\"\" is a usage error" 2 "\$BPFNET_INSTANCE is empty" \
	raw_env BPFNET_INSTANCE= ip netns exec "$NODE" "$BPFNET" \
	network create x --subnet 10.70.0.0/24
check "no 'default' instance was made" test ! -e "$BPFNET_RUN_DIR/default"

# ---- --bpffs that is no bpffs ------------------------------------------------------------------

mkdir -p "$TMP/plain"
refused "--bpffs /nonexistent status is refused" 2 "--bpffs /nonexistent does not exist" \
	bn --bpffs /nonexistent status
refused "--bpffs of a file is refused" 2 "--bpffs /etc/hostname is not a directory" \
	bn --bpffs /etc/hostname status
refused "--bpffs of a plain directory is refused" 2 "--bpffs $TMP/plain is not a bpffs mount" \
	bn --bpffs "$TMP/plain" status
refused "--bpffs \"\" is refused" 2 "--bpffs is empty" bn --bpffs "" status
refused "\$BPFNET_BPFFS=/nonexistent status is refused" 2 \
	"\$BPFNET_BPFFS /nonexistent does not exist" \
	raw_env BPFNET_BPFFS=/nonexistent ip netns exec "$NODE" "$BPFNET" --instance "$INST" status
refused "--bpffs /nonexistent network create changes nothing" 2 "/nonexistent does not exist" \
	bn --bpffs /nonexistent network create x --subnet 10.70.0.0/24
refused "--bpffs /nonexistent endpoint rm changes nothing" 2 "/nonexistent does not exist" \
	bn --bpffs /nonexistent endpoint rm c1
refused "--bpffs /nonexistent down changes nothing" 2 "/nonexistent does not exist" \
	bn --bpffs /nonexistent down

mkdir -p "$TMP/bpffs2" && mount -t bpf bpf "$TMP/bpffs2" || bail "cannot mount a second bpffs"
out=$(bn --bpffs "$TMP/bpffs2" --json status)
is "$(json '[d["initialized"], d["pins_missing"]]' <<<"$out")" "[false, true]" \
	"status on a bpffs without our pins: not initialized, pins missing"
out=$(bn --bpffs "$TMP/bpffs2" status)
check "... and says so in words" \
	grep -q "not running: the state says initialized on $UPLINK" <<<"$out"
umount "$TMP/bpffs2"
rm "$PINS/$INST/node_addrs"
out=$(bn --json status)
is "$(json '[d["initialized"], d["missing_pin"]]' <<<"$out")" '[false, "node_addrs"]' \
	"a pin removed: status names it"
check "init restores the datapath" bn init --uplink "$UPLINK"
is "$(bn --json status | json '[d["initialized"], d["pins_missing"]]')" "[true, false]" \
	"... and status says initialized again"
check "... and c1 is still reached on $NODE_IP:8081" tcp_echo ext "$NODE_IP" 8081

# ---- two endpoints in one netns, on two networks ------------------------------------------------

check "endpoint add p1 (n1)" bn endpoint add n1 --netns "$(nsname p1)" --name p1
check "endpoint add p2 (n2)" bn endpoint add n2 --netns "$(nsname p2)" --name p2
for c in p1 p2; do
	bg timeout 300 ip netns exec "$(nsname $c)" \
		socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
	wait_until 5 tcp_listening $c $TCP_PORT || bail "echo server in $c"
done
P1=$(ep_ip p1) P2=$(ep_ip p2)
check "endpoint add ma: m on n1 (eth0)" bn endpoint add n1 --netns "$(nsname m)" --name ma
sleeper "$(nsname m)" || bail "no process in m"
M_PID=$SLEEPER
check "endpoint add mb: m on n2 as eth1, by /proc/PID/ns/net of a process in m" \
	bn endpoint add n2 --netns "/proc/$M_PID/ns/net" --name mb --ifname eth1
MA=$(ep_ip ma) MB=$(ep_ip mb)
check "m keeps one default route, via n1's gateway on eth0" \
	route_is m default "default via 10.50.0.1 dev eth0 proto static"
check "m has n2's subnet on eth1, as its connected route only" \
	route_is m "dev eth1" "10.51.0.0/24 proto kernel scope link src $MB"
bg timeout 300 ip netns exec "$(nsname m)" socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
wait_until 5 tcp_listening m $TCP_PORT || bail "echo server in m"
check "m pings p1 (n1)" ns m ping -c1 -W2 "$P1"
check "m pings p2 (n2)" ns m ping -c1 -W2 "$P2"
check "m -> p1 over TCP" tcp_echo m "$P1"
check "m -> p2 over TCP" tcp_echo m "$P2"
check "p1 -> m's n1 address over TCP" tcp_echo p1 "$MA"
check "p2 -> m's n2 address over TCP" tcp_echo p2 "$MB"
check "m reaches ext through n1's default route (masquerade)" ns m ping -c1 -W2 "$EXT_IP"

check "endpoint rm mb" bn endpoint rm mb
check "m has no eth1 left" sh -c "! ip -n $(nsname m) link show eth1 2>/dev/null"
check "m still has its default route via n1" \
	route_is m default "default via 10.50.0.1 dev eth0 proto static"
check "m still reaches p1" tcp_echo m "$P1"
check "mb again, by the netns name this time" \
	bn endpoint add n2 --netns "$(nsname m)" --name mb --ifname eth1
MB=$(ep_ip mb)
check "m reaches p2 again" tcp_echo m "$P2"
check "endpoint rm ma (the one with the default route)" bn endpoint rm ma
check "the default route moved to n2's gateway on eth1" \
	route_is m default "default via 10.51.0.1 dev eth1 proto static"
check "m still reaches p2" tcp_echo m "$P2"
check "p2 -> m over TCP" tcp_echo p2 "$MB"
check "m reaches ext through n2 now" ns m ping -c1 -W2 "$EXT_IP"
check "endpoint rm mb" bn endpoint rm mb
is "$(ip -n "$(nsname m)" -o link show | grep -c 'eth[01]')" 0 "m has no endpoint left"
check "p1 and p2 still work (ping p1 from the node)" ns node ping -c1 -W2 "$P1"

done_testing
