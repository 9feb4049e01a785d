# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the dataplanes under test, each built in the sandbox (sandbox.sh).
#
# A variant V has setup_V (the topology and the dataplane, with no published
# port), and belongs to a family F (floor, iptables, nftables, bpfnet) that has
#   prepare_F FILE        turn the "HOST:CPORT" lines of FILE into the input of
#                         publish_F (not part of the install time)
#   publish_F             publish them all to container c2 (timed)
#   publish_one_F H C     publish one more port (what a "docker run -p" adds)
#   publish_udp_F H C     publish H/udp to port C of c2 (for iperf3 -u through the port)
#   rule_add_F H C        (iptables only) one "iptables -t nat -A" with the rest there
#   dp_mem_F              KiB the dataplane itself says it holds (bpfnet: map memlock)
#   mappings_F            how many port mappings the dataplane lists (a check of the install)
#
#   path_on_F PATH        (optional) what PATH needs of the rule set before it is measured
#   path_off_F PATH       (optional) undo it, after
#
# setup_V runs in a bash of its own with "set -e" (see setup_variant): it prints
# shell assignments that setup_variant evaluates:
#   FAMILY   the family above
#   C2_IP    container c2's address (the server of the c2c path, the DNAT target)
#   HAS_NAT  1 when published ports and masquerade can be measured, else 0 and
#   NAT_WHY  says why not
#   IPT      (iptables family) the iptables binary: iptables-legacy or iptables-nft
# and stops with "unsupported REASON" (exit 3) when the variant cannot be built here.

# shellcheck disable=SC2034 # used by tools/bench, which sources this
VARIANTS_ALL=(floor routed bridge-iptables bridge-iptables-nft nftables docker docker-noproxy
	bpfnet-l3 bpfnet-bridge)
# Run only when --only names them: bpfnet-l3 with a `bpfnet monitor` listening all along (the
# cost of the event monitor: --only bpfnet-l3,bpfnet-l3-mon-drop,bpfnet-l3-mon-all), and
# bpfnet-l3-tc, bpfnet-bridge-tc: tc alone on the uplink (init --xdp off), what XDP changes
VARIANTS_MORE=(bpfnet-l3-mon-drop bpfnet-l3-mon-all bpfnet-l3-tc bpfnet-bridge-tc)
INSTANCE=bench
BR=br0
BR_SUBNET=10.97.0.0/24
BR_GW=10.97.0.1
BPFNET_SUBNET=10.98.0.0/24
RULES_PY=$BENCH_D/rules.py

# unsupported REASON: inside setup_V, the variant cannot be built here
unsupported() {
	printf '%s\n' "$*" >"$TMP/unsupported"
	exit 3
}

# setup_variant V: build V; 0 done (its assignments now set), 3 unsupported
# (reason in $TMP/unsupported), else failed (stderr in $TMP/setup.err).
# A bash of its own, because "set -e" is ignored in a subshell whenever the
# caller is part of an "if", "&&" or "||", and the setups rely on it.
setup_variant() {
	local vars rc
	rm -f "$TMP/unsupported"
	FAMILY='' C2_IP='' HAS_NAT=0 NAT_WHY='' IPT=''
	vars=$(BENCH_PREFIX=$P BENCH_TMP=$TMP OUT=$OUT BPFNET=$BPFNET BR_NETFILTER=$BR_NETFILTER \
		BENCH_LIFETIME=$SERVER_LIFETIME bash -e -c 'source "$BENCH_D/sandbox.sh"; source "$BENCH_D/variants.sh"; "$1"' \
		setup "setup_${1//-/_}" 2>"$TMP/setup.err")
	rc=$?
	[ $rc = 0 ] || return $rc
	eval "$vars"
}

# ---- floor: two netns, one veth pair, no forwarding hop ------------------------------

setup_floor() {
	new_ns c1 c2
	run 10 ip -n "$P-c1" link add eth0 type veth peer name eth0 netns "$P-c2"
	run 10 ip -n "$P-c1" addr add 10.99.0.1/24 dev eth0
	run 10 ip -n "$P-c2" addr add 10.99.0.2/24 dev eth0
	run 10 ip -n "$P-c1" link set eth0 up
	run 10 ip -n "$P-c2" link set eth0 up
	echo "FAMILY=floor C2_IP=10.99.0.2 HAS_NAT=0 NAT_WHY='a veth pair has no NAT'"
}

# ---- routed: the floor of every two-hop path, plain kernel forwarding -------------------

# c1 and c2 on veths of the node with /32 routes to them, the node the gateway of each
# (ROUTED_GW on every host-side veth), ext routing the subnet via the node: no NAT, no
# netfilter rule, no BPF; clients reach the containers' own addresses and ports
ROUTED_SUBNET=10.96.0.0/24
ROUTED_GW=10.96.0.1
setup_routed() {
	local c i=2
	bench_uplink
	new_ns c1 c2
	for c in c1 c2; do
		run 10 ip -n "$P-node" link add "veth-$c" type veth peer name eth0 netns "$P-$c"
		run 10 ip -n "$P-node" addr add "$ROUTED_GW/32" dev "veth-$c"
		run 10 ip -n "$P-node" link set "veth-$c" up
		run 10 ip -n "$P-node" route add "10.96.0.$i/32" dev "veth-$c"
		run 10 ip -n "$P-$c" addr add "10.96.0.$i/32" dev eth0
		run 10 ip -n "$P-$c" link set eth0 up
		run 10 ip -n "$P-$c" route add "$ROUTED_GW" dev eth0
		run 10 ip -n "$P-$c" route add default via "$ROUTED_GW"
		i=$((i + 1))
	done
	nsrun node 10 sysctl -qw net.ipv4.ip_forward=1
	run 10 ip -n "$P-ext" route add "$ROUTED_SUBNET" via "$NODE_IP"
	echo "FAMILY=routed C2_IP=10.96.0.3 HAS_NAT=0 NAT_WHY='no published port without NAT'"
}

# ---- Linux bridge with Docker's iptables rules ------------------------------------------

# bridge_topology: br0 in the node (the gateway), c1 and c2 on it as docker0 has them
bridge_topology() {
	local c i=2
	bench_uplink
	new_ns c1 c2
	run 10 ip -n "$P-node" link add "$BR" type bridge
	run 10 ip -n "$P-node" addr add "$BR_GW/24" dev "$BR"
	run 10 ip -n "$P-node" link set "$BR" up
	for c in c1 c2; do
		run 10 ip -n "$P-node" link add "veth-$c" type veth peer name eth0 netns "$P-$c"
		run 10 ip -n "$P-node" link set "veth-$c" master "$BR" up
		run 10 ip -n "$P-$c" addr add "10.97.0.$i/24" dev eth0
		run 10 ip -n "$P-$c" link set eth0 up
		run 10 ip -n "$P-$c" route add default via "$BR_GW"
		i=$((i + 1))
	done
	nsrun node 10 sysctl -qw net.ipv4.ip_forward=1
	# Docker's setting; the sysctl is per netns and exists when br_netfilter is in the kernel
	if [ "$BR_NETFILTER" = yes ]; then
		nsrun node 10 sysctl -qw net.bridge.bridge-nf-call-iptables=1
	fi
}

# Docker's rule set for one bridge network (docker0), before any port is published
docker_base_rules() {
	cat <<EOF
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s $BR_SUBNET ! -o $BR -j MASQUERADE
-A DOCKER -i $BR -j RETURN
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o $BR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o $BR -j DOCKER
-A FORWARD -i $BR ! -o $BR -j ACCEPT
-A FORWARD -i $BR -o $BR -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i $BR ! -o $BR -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o $BR -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
EOF
}

# setup_docker_iptables BINARY: the bridge and Docker's base rules through BINARY
setup_docker_iptables() {
	local ipt=$1
	command -v "$ipt" >/dev/null || unsupported "$ipt is not installed (apt-get install iptables)"
	command -v "$ipt-restore" >/dev/null || unsupported "$ipt-restore is not installed"
	bridge_topology
	docker_base_rules >"$TMP/base.rules"
	if ! nsrun node 60 "$ipt-restore" -w 30 <"$TMP/base.rules" >"$TMP/ipt.err" 2>&1; then
		# a kernel without the legacy tables (or nf_tables) cannot have this variant
		grep -qiE 'not supported|protocol not|Table does not exist|kernel' "$TMP/ipt.err" &&
			unsupported "$ipt-restore failed: $(head -c 300 "$TMP/ipt.err")"
		cat "$TMP/ipt.err" >&2
		return 1
	fi
	echo "FAMILY=iptables IPT=$ipt C2_IP=10.97.0.3 HAS_NAT=1"
}

setup_bridge_iptables() { setup_docker_iptables iptables-legacy; }
setup_bridge_iptables_nft() { setup_docker_iptables iptables-nft; }

prepare_iptables() { python3 "$RULES_PY" iptables "$1" "$BR" "$C2_IP" >"$TMP/ports.rules"; }
publish_iptables() { nsrun node 600 "$IPT-restore" -w 30 --noflush <"$TMP/ports.rules"; }

# what Docker runs for "-p H:C[/PROTO]" on a running container: three appends
publish_one_iptables() {
	local h=$1 c=$2 proto=${3:-tcp}
	nsrun node 60 "$IPT" -w 30 -t nat -A DOCKER ! -i "$BR" -p "$proto" -m "$proto" \
		--dport "$h" -j DNAT --to-destination "$C2_IP:$c" &&
		nsrun node 60 "$IPT" -w 30 -t filter -A DOCKER -d "$C2_IP/32" ! -i "$BR" -o "$BR" \
			-p "$proto" -m "$proto" --dport "$c" -j ACCEPT &&
		nsrun node 60 "$IPT" -w 30 -t nat -A POSTROUTING -s "$C2_IP/32" -d "$C2_IP/32" \
			-p "$proto" -m "$proto" --dport "$c" -j MASQUERADE
}

publish_udp_iptables() { publish_one_iptables "$1" "$2" udp; }

rule_add_iptables() {
	nsrun node 60 "$IPT" -w 30 -t nat -A DOCKER ! -i "$BR" -p tcp -m tcp --dport "$1" \
		-j DNAT --to-destination "$C2_IP:$2"
}

# the local path: what Docker's rule set has with --userland-proxy=false (with docker-proxy
# on, the rebuilt rules' own, 127.0.0.1 is docker-proxy's, which a rule set has not): nat
# OUTPUT without the 127.0.0.0/8 exception, local sources masqueraded out of the bridge,
# route_localnet on it. Only for that path: the other paths keep Docker's default rules.
ipt_local_rules() { # -A|-D
	nsrun node 60 "$IPT" -w 30 -t nat "$1" OUTPUT -m addrtype --dst-type LOCAL -j DOCKER &&
		nsrun node 60 "$IPT" -w 30 -t nat "$1" POSTROUTING -o "$BR" -m addrtype \
			--src-type LOCAL -j MASQUERADE
}
path_on_iptables() {
	[ "$1" = local ] || return 0
	nsrun node 60 "$IPT" -w 30 -t nat -D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL \
		-j DOCKER && ipt_local_rules -A &&
		nsrun node 10 sysctl -qw "net.ipv4.conf.$BR.route_localnet=1"
}
path_off_iptables() {
	[ "$1" = local ] || return 0
	ipt_local_rules -D &&
		nsrun node 60 "$IPT" -w 30 -t nat -A OUTPUT ! -d 127.0.0.0/8 -m addrtype \
			--dst-type LOCAL -j DOCKER &&
		nsrun node 10 sysctl -qw "net.ipv4.conf.$BR.route_localnet=0"
}

dp_mem_iptables() { :; }
mappings_iptables() { nsrun node 60 "$IPT-save" -t nat | grep -c -- '-j DNAT'; }

# ---- the same NAT in nftables, with a port map -------------------------------------------

nft_base_rules() {
	cat <<EOF
table ip bench {
	# host port -> container address . container port; "nft add element" publishes one
	map portmap {
		type inet_service : ipv4_addr . inet_service
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname != "$BR" fib daddr type local dnat ip to tcp dport map @portmap
	}
	chain output {
		type nat hook output priority -100; policy accept;
		ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to tcp dport map @portmap
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $BR_SUBNET oifname != "$BR" masquerade
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "$BR" accept
		oifname "$BR" ct status dnat accept
	}
}
EOF
}

setup_nftables() {
	command -v nft >/dev/null || unsupported "nft is not installed (apt-get install nftables)"
	bridge_topology
	nft_base_rules >"$TMP/base.nft"
	nsrun node 60 nft -f "$TMP/base.nft"
	echo "FAMILY=nftables C2_IP=10.97.0.3 HAS_NAT=1"
}

prepare_nftables() { python3 "$RULES_PY" nft "$1" "$C2_IP" >"$TMP/ports.nft"; }
publish_nftables() { nsrun node 600 nft -f "$TMP/ports.nft"; }

publish_one_nftables() {
	nsrun node 60 nft add element ip bench portmap "{ $1 : $C2_IP . $2 }"
}

# the port map is for TCP: a UDP port gets a rule of its own
publish_udp_nftables() {
	nsrun node 60 nft add rule ip bench prerouting iifname != "$BR" fib daddr type local \
		udp dport "$1" dnat ip to "$C2_IP:$2"
}

# the local path, as for iptables: the output chain's dnat without the 127.0.0.0/8
# exception (and the measured UDP port), local sources masqueraded out of the bridge in a
# table of its own, route_localnet on the bridge; the rules return after the path
path_on_nftables() {
	[ "$1" = local ] || return 0
	cat >"$TMP/local.nft" <<EOF
flush chain ip bench output
add rule ip bench output fib daddr type local dnat ip to tcp dport map @portmap
add rule ip bench output fib daddr type local udp dport $HOST_IPERF dnat ip to $C2_IP:$PORT_IPERF
table ip bench_local {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$BR" fib saddr type local masquerade
	}
}
EOF
	nsrun node 60 nft -f "$TMP/local.nft" &&
		nsrun node 10 sysctl -qw "net.ipv4.conf.$BR.route_localnet=1"
}
path_off_nftables() {
	[ "$1" = local ] || return 0
	printf '%s\n' "flush chain ip bench output" "delete table ip bench_local" \
		"add rule ip bench output ip daddr != 127.0.0.0/8 fib daddr type local dnat ip to tcp dport map @portmap" \
		>"$TMP/local-off.nft"
	nsrun node 60 nft -f "$TMP/local-off.nft" &&
		nsrun node 10 sysctl -qw "net.ipv4.conf.$BR.route_localnet=0"
}

dp_mem_nftables() { :; }
mappings_nftables() {
	nsrun node 60 nft -j list map ip bench portmap |
		python3 -c 'import json, sys
print(sum(len(o["map"].get("elem", [])) for o in json.load(sys.stdin)["nftables"] if "map" in o))'
}

# ---- bpfnet, through its CLI ----------------------------------------------------------------

bn() { nsrun node 120 "$BPFNET" --instance "$INSTANCE" "$@"; }

# bpfnet_nat_check: HAS_NAT/NAT_WHY assignments; "port ls" exits 2 with
# "unknown object" on a bpfnet that has no published ports yet
bpfnet_nat_check() {
	local out rc=0
	out=$(bn port ls 2>&1) || rc=$?
	if [ $rc = 0 ]; then
		echo "HAS_NAT=1"
	elif [ $rc = 2 ] && grep -q "unknown object" <<<"$out"; then
		echo "HAS_NAT=0 NAT_WHY='bpfnet has no published ports yet (bpfnet port ls: unknown object)'"
	else
		echo "HAS_NAT=0 NAT_WHY=$(printf '%q' "bpfnet port ls failed (exit $rc): ${out:0:200}")"
	fi
}

# setup_bpfnet MODE: init on the uplink, one network of MODE, endpoints c1 and c2
# setup_bpfnet MODE [XDP]: XDP auto (the default) or off (tc alone on the uplink)
setup_bpfnet() {
	local mode=$1 xdp=${2:-auto} out ip
	[ -x "$BPFNET" ] || unsupported "$BPFNET is missing (run make)"
	bench_uplink
	new_ns c1 c2
	# tables for the scale test's 50,000 ports and --ct-rm's 250,000 entries (the defaults,
	# 16,384 ports and 65,536 entries, fit a small host); ct4 as large as before issue 13
	bn init --uplink up0 --ct-max 262144 --ports-max 65536 --xdp "$xdp" >/dev/null
	if ! out=$(bn network create bench --mode "$mode" --subnet "$BPFNET_SUBNET" 2>&1); then
		[ "$mode" = l3 ] && { echo "$out" >&2; return 1; }
		unsupported "bpfnet network create --mode $mode failed: ${out:0:200}"
	fi
	bn endpoint add bench --netns "$P-c1" --name c1 --mtu 1500 >/dev/null
	out=$(bn --json endpoint add bench --netns "$P-c2" --name c2 --mtu 1500)
	ip=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ip"])' <<<"$out")
	echo "FAMILY=bpfnet C2_IP=$ip"
	bpfnet_nat_check
}

setup_bpfnet_l3() { setup_bpfnet l3; }
# bpfnet with tc alone on the uplink (init --xdp off): what the uplink's XDP program changes
setup_bpfnet_l3_tc() { setup_bpfnet l3 off; }
setup_bpfnet_bridge_tc() { setup_bpfnet bridge off; }

# monitor_start TYPE: `bpfnet monitor --type TYPE` in the node netns for the variant's life,
# its text stream thrown away (what it costs to read and format it is part of the cost);
# teardown_variant stops it (its pid in $TMP/monitor.pid)
monitor_start() {
	ip netns exec "$P-node" "$BPFNET" --instance "$INSTANCE" monitor --type "$1" \
		--duration 3600 </dev/null >/dev/null 2>"$TMP/monitor.err" &
	echo $! >"$TMP/monitor.pid"
	for _ in $(seq 50); do
		grep -q "^monitor: listening" "$TMP/monitor.err" && return 0
		sleep 0.1
	done
	cat "$TMP/monitor.err" >&2
	return 1
}

setup_bpfnet_l3_mon_drop() { setup_bpfnet l3 && monitor_start drop; }
setup_bpfnet_l3_mon_all() { setup_bpfnet l3 && monitor_start all; }
setup_bpfnet_bridge() { setup_bpfnet bridge; }

prepare_bpfnet() { cp "$1" "$TMP/ports.specs"; }

# publish_bpfnet: "bpfnet port add c2 SPEC..." with as many specs a call as half
# of ARG_MAX holds (xargs splits the list when it gets longer)
publish_bpfnet() {
	local limit=$(($(getconf ARG_MAX) / 2))
	run 600 xargs -a "$TMP/ports.specs" -s "$limit" ip netns exec "$P-node" \
		"$BPFNET" --instance "$INSTANCE" port add c2 >/dev/null
}

publish_one_bpfnet() { bn port add c2 "$1:$2" >/dev/null; }
publish_udp_bpfnet() { bn port add c2 "$1:$2/udp" >/dev/null; }
# (port ls shows adjacent mappings as one range)
mappings_bpfnet() {
	bn --json port ls | python3 -c 'import json, sys
print(sum(m["host_port_last"] - m["host_port"] + 1 for m in json.load(sys.stdin)))'
}

# dp_mem_bpfnet: KiB of memlock (the kernel's map_mem_usage) of the instance's pinned maps
dp_mem_bpfnet() {
	local f
	find "$BPFNET_BPFFS/bpfnet/$INSTANCE" -type f 2>/dev/null | while read -r f; do
		run 10 bpftool -j map show pinned "$f" 2>/dev/null
		echo
	done | python3 -c '
import json, sys
total = sum(json.loads(l).get("bytes_memlock", 0) for l in sys.stdin if l.strip())
print(total // 1024)'
}

# shellcheck source=docker.sh
source "$BENCH_D/docker.sh"

# ---- what every family shares ----------------------------------------------------------------

# path_why PATH: why the variant just built cannot measure PATH (nothing when it can)
path_why() {
	case "$FAMILY/$1" in
	*/c2c) ;;
	floor/* | routed/local | routed/hairpin) echo "no published port without NAT" ;;
	routed/*) ;;
	iptables/hairpin | nftables/hairpin)
		echo "Docker's rules with docker-proxy on (the rebuilt ones) leave a container's" \
			"connection to a published port of the node to docker-proxy (DNAT only from" \
			"! -i $BR): see the docker variants" ;;
	*) [ "$HAS_NAT" = 1 ] || echo "$NAT_WHY" ;;
	esac
}

# scale_why V N: why variant V is not measured with N published ports (nothing when it is)
scale_why() {
	case "$1" in
	docker | docker-noproxy) docker_scale_why "$2" ;;
	esac
}

# kmem_kb: kernel memory that rules, sets and maps live in (unreclaimable slab,
# vmalloc, per-CPU), machine-wide, from /proc/meminfo
kmem_kb() {
	awk '/^(SUnreclaim|VmallocUsed|Percpu):/ {s += $2} END {print s}' /proc/meminfo
}

# ct_entries: conntrack entries in the node netns (the iptables/nftables variants)
ct_entries() {
	nsrun node 10 cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null
}

# save_ruleset V: what V installed, beside the results (rules/)
save_ruleset() {
	mkdir -p "$OUT/rules"
	case "$FAMILY" in
	iptables) nsrun node 60 "$IPT-save" >"$OUT/rules/$1.rules" 2>&1 ;;
	nftables) nsrun node 60 nft list ruleset >"$OUT/rules/$1.nft" 2>&1 ;;
	docker)
		{
			nsrun node 60 iptables-save
			dk inspect c1 c2
		} >"$OUT/rules/$1.rules" 2>&1
		;;
	bpfnet)
		{
			bn --json network ls
			bn --json endpoint ls
			[ "$HAS_NAT" = 1 ] && bn --json port ls
		} >"$OUT/rules/$1.json" 2>&1
		;;
	esac
	return 0
}

# br_netfilter_check: sets BR_NETFILTER (yes/no) and says so; the module is loaded
# the way Docker does when the kernel has it as a module that is not loaded yet
br_netfilter_check() {
	BR_NETFILTER=no
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		BR_NETFILTER=yes
		BR_NETFILTER_NOTE="br_netfilter: in the kernel; bridge-nf-call-iptables=1 in the node netns"
	elif timeout 10 modprobe br_netfilter 2>/dev/null &&
		[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		BR_NETFILTER=yes
		BR_NETFILTER_NOTE="br_netfilter: module loaded by the bench (as Docker does); bridge-nf-call-iptables=1 in the node netns"
	else
		BR_NETFILTER_NOTE="br_netfilter: NOT available in this kernel; bridged traffic skips iptables (unlike a real Docker host)"
	fi
}
