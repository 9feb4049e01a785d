#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The uplink's XDP program, end to end: init attaches xdp_from_uplink natively
# (the sandbox's uplink is a veth, whose driver has native XDP) beside tc's
# from_uplink; traffic through a published port is delivered by XDP (its
# xdp_delivered counter grows) and answers; --xdp off leaves tc alone, the same
# traffic still answers and XDP counts nothing; init switches back; down leaves
# no XDP program on the uplink.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1=10.31.0.2

# the uplink's XDP program as bpftool sees it in the node: NAME:MODE, or nothing
xdp_prog_on_uplink() {
	local id mode
	read -r id mode < <(ip netns exec "$NODE" bpftool -j net show dev "$UPLINK" |
		python3 -c 'import json, sys
for e in json.load(sys.stdin):
    for p in e.get("xdp", []):
        print(p["id"], p["mode"])')
	[ -n "$id" ] || return 0
	echo "$(ip netns exec "$NODE" bpftool -j prog show id "$id" | json 'd["name"]'):$mode"
}
xdp_delivered() { bn --json stats | json 'd["events"]["xdp_delivered"]'; }
uplink_mode() { bn --json status | json 'd["uplinks"][0]["xdp"]'; }
# get_n N: N connections ext -> node:8080, each answered by c1
get_n() {
	local i
	for ((i = 0; i < $1; i++)); do
		expect "$EXT_IP c1" tcp_get ext "$NODE_IP" 8080 || return 1
	done
}

check "init (XDP auto by default)" bn init --uplink "$UPLINK" || bail "init failed"
is "$(uplink_mode)" native "status says the uplink runs XDP natively"
check "bpftool: xdp_from_uplink in driver mode on the uplink" \
	expect "xdp_from_uplink:driver" xdp_prog_on_uplink
check "bpftool: from_uplink still on tc ingress" \
	grep_out from_uplink ip netns exec "$NODE" bpftool net show dev "$UPLINK"
check "status text says native" grep_out "xdp: $UPLINK native" bn status

check "network create n1" bn network create n1 --subnet 10.31.0.0/24
new_ns c1
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
check "GRO on c1's veth (it takes XDP frames)" \
	grep_out "generic-receive-offload: on" ip netns exec "$(nsname c1)" ethtool -k eth0
bg timeout 120 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr \
	SYSTEM:'echo $SOCAT_PEERADDR c1'
wait_until 5 tcp_listening c1 80 || bail "server in c1"
check "port add c1 8080:80" bn port add c1 8080:80

# ext's stack leaves TCP checksums to offload (CHECKSUM_PARTIAL) and a veth hands them
# over so: XDP cannot complete them, it must leave every such frame to tc untouched
x0=$(xdp_delivered)
check "partial checksums: ext -> node:8080 reaches c1 with XDP attached, 3 times" get_n 3
is "$(xdp_delivered)" "$x0" "partial checksums: XDP delivered none of them, tc did"
# as a NIC's frames from a wire: complete checksums, which XDP delivers itself
ip netns exec "$EXT" ethtool -K "$SB_EXT_IF" tx off >/dev/null
check "XDP: ext -> node:8080 reaches c1 (real client address kept), 5 times" get_n 5
x1=$(xdp_delivered)
check "XDP delivered the client's packets (xdp_delivered $x0 -> $x1, >= 10)" \
	test $((x1 - x0)) -ge 10

check "init --xdp off" bn init --xdp off || bail "init --xdp off"
is "$(uplink_mode)" off "status says off"
check "bpftool: no XDP program on the uplink" expect "" xdp_prog_on_uplink
check "tc: ext -> node:8080 still reaches c1, 5 times" get_n 5
is "$(xdp_delivered)" "$x1" "XDP delivered nothing more (xdp_delivered stays $x1)"

check "init again (auto) attaches XDP again" bn init
check "bpftool: xdp_from_uplink back in driver mode" \
	expect "xdp_from_uplink:driver" xdp_prog_on_uplink
check "XDP again: ext -> node:8080 reaches c1" get_n 2
check "xdp_delivered grows again" test "$(xdp_delivered)" -gt "$x1"

check_fails "init --xdp bogus is refused" bn init --xdp generic
check "and changes nothing" expect "xdp_from_uplink:driver" xdp_prog_on_uplink

check "down" bn down
check "bpftool: nothing left on the uplink" expect "" xdp_prog_on_uplink
check_fails "no tc filter of ours left either" \
	grep_out from_uplink ip netns exec "$NODE" bpftool net show dev "$UPLINK"
done_testing
