#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The CLI end to end: init, networks, endpoints, IPAM, MTU, bad input refused
# without side effects, concurrency, re-init, down, JSON output and errors.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet"

# ---- helpers ------------------------------------------------------------------------

# valid_json DESC EXPR CMD...: CMD prints JSON (exit 0) for which python EXPR (d = the JSON) is true
valid_json() {
	local desc=$1 expr=$2 out rc
	shift 2
	out=$("$@" 2>"$TMP/err")
	rc=$?
	if [ $rc = 0 ] && printf '%s' "$out" | python3 -c 'import json,sys; json.load(sys.stdin)' \
		>/dev/null 2>&1 && [ "$(printf '%s' "$out" | json "bool($expr)" 2>/dev/null)" = true ]; then
		ok "$desc"
	else
		not_ok "$desc"
		diag "command: $* (exit $rc); expected: $expr"
		diag "$out"
		diag_file "$TMP/err"
	fi
}

links_of() { # link names of a netns
	ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}

# What a refused command must leave as it was: networks, endpoints, the links
# and routes of the node and of the containers in $SNAP_NS, the datapath maps.
SNAP_NS=""
snapshot() {
	local c
	echo "== networks"
	bn --json network ls
	echo "== endpoints"
	bn --json endpoint ls
	echo "== node links"
	links_of "$NODE"
	echo "== node routes"
	ip -n "$NODE" route show
	for c in $SNAP_NS; do
		echo "== $c links"
		links_of "$PFX$c"
		echo "== $c addresses"
		ip -n "$PFX$c" -o addr show
	done
	echo "== ep_by_ip entries"
	[ -e "$PINS/$INST/ep_by_ip" ] &&
		bpftool -j map dump pinned "$PINS/$INST/ep_by_ip" | json 'len(d)'
	echo "== ep_by_ifindex entries"
	[ -e "$PINS/$INST/ep_by_ifindex" ] &&
		bpftool -j map dump pinned "$PINS/$INST/ep_by_ifindex" | json 'len(d)'
}

# refused DESC NEEDLE CMD...: CMD fails with exit 1 or 2, names NEEDLE, changes nothing
refused() { refused_with "1 2" "$@"; }

net_names() { bn --json network ls | json '",".join(n["name"] for n in d)'; }

# ---- init -----------------------------------------------------------------------------

refused "init on a missing uplink is refused and names it" nosuchdev bn init --uplink nosuchdev
refused "init without --uplink and no default route to detect by is refused" \
	"no IPv4 default route" bn init
check "init --uplink $UPLINK" bn init --uplink "$UPLINK"
valid_json "status --json: initialized on $UPLINK" \
	'd["initialized"] is True and d["uplink"] == "up0" and d["instance"] == "'"$INST"'"' \
	bn --json status
check "pins exist under \$BPFNET_BPFFS/bpfnet/$INST" test -e "$PINS/$INST/ep_by_ip"
check "clsact qdisc on the uplink" sh -c "tc -n $NODE qdisc show dev $UPLINK | grep -q clsact"
refused "init on loopback while initialized is refused" "loopback" bn init --uplink lo
refused "init on a missing device while initialized is refused" nosuchdev \
	bn init --uplink "$UPLINK,nosuchdev"

# ---- networks ---------------------------------------------------------------------------

valid_json "network create n1 --json: fields" \
	'd["name"] == "n1" and d["mode"] == "l3" and d["subnet"] == "10.10.0.0/24" and
	 d["gateway"] == "10.10.0.1" and d["endpoints"] == 0 and isinstance(d["id"], int)' \
	bn --json network create n1 --mode l3 --subnet 10.10.0.0/24
valid_json "network create with --gateway and options first" \
	'd["name"] == "n2" and d["subnet"] == "10.20.0.0/24" and d["gateway"] == "10.20.0.254"' \
	bn network create --subnet 10.20.0.0/24 --gateway 10.20.0.254 n2 --json
out=$(bn network ls)
check "network ls lists n1 and n2" grep -qE '^n1 .*10\.10\.0\.0/24' <<<"$out"
check "network ls lists n2" grep -qE '^n2 .*10\.20\.0\.0/24 +10\.20\.0\.254' <<<"$out"
valid_json "network ls --json: both, with every field" \
	'[n["name"] for n in d] == ["n1", "n2"] and
	 all(set(n) >= {"name", "id", "mode", "subnet", "gateway", "endpoints"} for n in d)' \
	bn network ls --json
valid_json "network show n2 --json" \
	'd["name"] == "n2" and d["gateway"] == "10.20.0.254" and d["mode"] == "l3"' \
	bn network --json show n2
out=$(bn network show n1)
check "network show n1 (text)" grep -q 'subnet: *10.10.0.0/24' <<<"$out"
check "network create n9 (to remove)" bn network create n9 --subnet 10.90.0.0/24
check "network rm n9" bn network rm n9
is "$(net_names)" "n1,n2" "n9 is gone from network ls"
check "a removed network's subnet and name can be used again" \
	bn network create n9 --subnet 10.90.0.0/24
check "network rm n9 (again)" bn network rm n9
refused "network rm of a missing network" nope bn network rm nope
refused "network show of a missing network" nope bn network show nope

# ---- networks: bad input ------------------------------------------------------------------

refused "bad CIDR 10.1.0.0/33 refused" 10.1.0.0/33 bn network create x --subnet 10.1.0.0/33
refused "CIDR with host bits 10.1.0.5/24 refused" 10.1.0.5/24 \
	bn network create x --subnet 10.1.0.5/24
refused "CIDR 'abc' refused" abc bn network create x --subnet abc
refused "CIDR without a prefix refused" 10.1.0.0 bn network create x --subnet 10.1.0.0
refused "CIDR 10.1.0.0/-1 refused" 10.1.0.0/-1 bn network create x --subnet 10.1.0.0/-1
refused "CIDR 0.0.0.0/0 refused" 0.0.0.0/0 bn network create x --subnet 0.0.0.0/0
refused "CIDR 10.1.0.0/31 (no host room) refused" 10.1.0.0/31 \
	bn network create x --subnet 10.1.0.0/31
refused "missing --subnet refused" subnet bn network create x
refused "unknown mode l2 refused" l2 bn network create x --mode l2 --subnet 10.1.0.0/24
refused "duplicate network name n1 refused" n1 bn network create n1 --subnet 10.1.0.0/24
refused "overlapping subnet 10.10.0.0/16 refused" 10.10.0.0/16 \
	bn network create x --subnet 10.10.0.0/16
refused "overlapping subnet 10.10.0.128/25 refused" 10.10.0.128/25 \
	bn network create x --subnet 10.10.0.128/25
refused "gateway outside the subnet refused" 10.5.0.1 \
	bn network create x --subnet 10.1.0.0/24 --gateway 10.5.0.1
refused "gateway = network address refused" 10.1.0.0 \
	bn network create x --subnet 10.1.0.0/24 --gateway 10.1.0.0
refused "gateway = broadcast address refused" 10.1.0.255 \
	bn network create x --subnet 10.1.0.0/24 --gateway 10.1.0.255
refused "gateway 'gw' (not an address) refused" gw \
	bn network create x --subnet 10.1.0.0/24 --gateway gw
refused "network name with a space refused" "bad name" \
	bn network create "bad name" --subnet 10.1.0.0/24
refused "network name with a slash refused" "a/b" bn network create a/b --subnet 10.1.0.0/24
refused "network name starting with '-' refused" "-x" bn network create -x --subnet 10.1.0.0/24
refused "network name with ';' refused" "n;rm" bn network create "n;rm" --subnet 10.1.0.0/24
refused "empty network name refused" "invalid network name" \
	bn network create "" --subnet 10.1.0.0/24
long64=$(printf 'a%.0s' {1..64})
refused "64-character network name refused" "$long64" \
	bn network create "$long64" --subnet 10.1.0.0/24
long63=${long64:1}
check "63-character network name accepted" bn network create "$long63" --subnet 10.1.0.0/24
check "... and removed" bn network rm "$long63"
refused "unknown option refused" "--bogus" bn network create x --subnet 10.1.0.0/24 --bogus 1
is "$(net_names)" "n1,n2" "after all refusals: exactly n1 and n2"

# ---- endpoints: IPAM ---------------------------------------------------------------------

new_ns a1 a2 a3 a4 a5 e1 e2 m1 m2 m3
check "endpoint add a1 (no --ip)" bn endpoint add n1 --netns "$(nsname a1)" --name a1
check "endpoint add a2 (no --ip)" bn endpoint add n1 --netns "$(nsname a2)" --name a2
check "endpoint add a3 (no --ip)" bn endpoint add n1 --netns "$(nsname a3)" --name a3
is "$(ep_ip a1),$(ep_ip a2),$(ep_ip a3)" "10.10.0.2,10.10.0.3,10.10.0.4" \
	"IPAM hands out the lowest free addresses, distinct, skipping the gateway"
check "a2's eth0 has its address" sh -c "ip -n $(nsname a2) -o addr show dev eth0 | grep -q 'inet 10.10.0.3/24'"
check "a2's default route via the gateway" sh -c "ip -n $(nsname a2) route show default | grep -q 'via 10.10.0.1 dev eth0'"
check "node has a /32 route to a2" sh -c "ip -n $NODE route show 10.10.0.3/32 | grep -q 'dev bn'"
check "endpoint rm a2" bn endpoint rm a2
check "endpoint add a4 (no --ip)" bn endpoint add n1 --netns "$(nsname a4)" --name a4
is "$(ep_ip a4)" "10.10.0.3" "the address freed by endpoint rm is reused"
check "endpoint add a5 (no --ip)" bn endpoint add n1 --netns "$(nsname a5)" --name a5
is "$(ep_ip a5)" "10.10.0.5" "the next one gets the next free address"
check "endpoint add a2 with --ip 10.10.0.200" \
	bn endpoint add n1 --netns "$(nsname a2)" --name a2 --ip 10.10.0.200
is "$(ep_ip a2)" "10.10.0.200" "--ip is honoured"
check "endpoint add in n2 (gateway .254) gets .1" \
	bn endpoint add n2 --netns "$(nsname m3)" --name g1
is "$(ep_ip g1)" "10.20.0.1" "IPAM: lowest free in n2 is .1 when the gateway is .254"
valid_json "endpoint show a1 --json: fields" \
	'd["name"] == "a1" and d["network"] == "n1" and d["ip"] == "10.10.0.2" and
	 d["prefix_len"] == 24 and d["gateway"] == "10.10.0.1" and d["ifname"] == "eth0" and
	 d["host_ifname"].startswith("bn") and len(d["mac"]) == 17 and len(d["host_mac"]) == 17 and
	 d["netns"].endswith("'"$(nsname a1)"'")' \
	bn endpoint show a1 --json
valid_json "endpoint ls --json lists a1 a2 a3 a4 a5 g1" \
	'sorted(e["name"] for e in d) == ["a1", "a2", "a3", "a4", "a5", "g1"]' bn --json endpoint ls
valid_json "network show n1 counts 5 endpoints" 'd["endpoints"] == 5' bn --json network show n1

# ---- endpoints: bad input -----------------------------------------------------------------

SNAP_NS="e1 e2"
refused "endpoint add to an unknown network" nope bn endpoint add nope --netns "$(nsname e1)" --name x
refused "endpoint add with a missing netns" "${PFX}nosuch" \
	bn endpoint add n1 --netns "${PFX}nosuch" --name x
refused "endpoint add with a netns path that is not a netns" /etc/hostname \
	bn endpoint add n1 --netns /etc/hostname --name x
refused "endpoint add without --netns" "--netns" bn endpoint add n1 --name x
refused "--ip outside the subnet" 10.99.0.5 \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ip 10.99.0.5
refused "--ip equal to the gateway" 10.10.0.1 \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ip 10.10.0.1
refused "--ip already used by a1" 10.10.0.2 \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ip 10.10.0.2
refused "--ip network address" 10.10.0.0 \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ip 10.10.0.0
refused "--ip broadcast address" 10.10.0.255 \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ip 10.10.0.255
refused "--ip 'abc'" abc bn endpoint add n1 --netns "$(nsname e1)" --name x --ip abc
refused "--mtu abc" abc bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu abc
refused "--mtu 0" "'0'" bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu 0
refused "--mtu 50 (below 68)" 50 bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu 50
refused "--mtu -1" -1 bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu -1
refused "--mtu 70000" 70000 bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu 70000
refused "--mtu 1500x" 1500x bn endpoint add n1 --netns "$(nsname e1)" --name x --mtu 1500x
refused "duplicate endpoint name a1" a1 bn endpoint add n1 --netns "$(nsname e1)" --name a1
refused "endpoint name defaults to the netns name: a1's netns again" "$(nsname a1)" \
	bn endpoint add n1 --netns "$(nsname a1)"
refused "invalid endpoint name 'x y'" "x y" bn endpoint add n1 --netns "$(nsname e1)" --name "x y"
refused "invalid endpoint name '-x'" "-x" bn endpoint add n1 --netns "$(nsname e1)" --name=-x
refused "invalid --ifname 'a/b'" a/b bn endpoint add n1 --netns "$(nsname e1)" --name x --ifname a/b
refused "--ifname longer than 15 characters" abcdefghijklmnop \
	bn endpoint add n1 --netns "$(nsname e1)" --name x --ifname abcdefghijklmnop
# failures after the veth pair exists: the add must undo what it made
ip -n "$(nsname e2)" link add eth0 type veth peer name eth0p
refused "--ifname taken in the container netns (eth0 exists)" eth0 \
	bn endpoint add n1 --netns "$(nsname e2)" --name x
ip -n "$(nsname e2)" link del eth0
ip -n "$(nsname e2)" link add d0 type veth peer name d0p
ip -n "$(nsname e2)" link set d0 up
ip -n "$(nsname e2)" route add default dev d0
refused "a default route already in the container: add fails and removes its veth" \
	"$(nsname e2)" bn endpoint add n1 --netns "$(nsname e2)" --name x
ip -n "$(nsname e2)" link del d0
ip -n "$NODE" route add 10.10.0.50/32 dev "$UPLINK"
refused "a /32 route already in the node: add fails and removes its veth" "bn" \
	bn endpoint add n1 --netns "$(nsname e2)" --name x --ip 10.10.0.50
ip -n "$NODE" route del 10.10.0.50/32 dev "$UPLINK"
check "after the refusals the same netns still takes an endpoint" \
	bn endpoint add n1 --netns "$(nsname e2)" --name e2 --ip 10.10.0.50
check "... which works (ping a1 from e2)" ns e2 ping -c1 -W2 10.10.0.2
check "endpoint rm e2" bn endpoint rm e2
SNAP_NS=""

# ---- network rm with endpoints ------------------------------------------------------------------

refused "network rm n1 refused while endpoints are attached" n1 bn network rm n1
valid_json "n1 is still there" 'd["name"] == "n1" and d["endpoints"] == 5' bn --json network show n1
refused "endpoint rm of a missing endpoint" nope bn endpoint rm nope
refused "endpoint show of a missing endpoint" nope bn endpoint show nope

# ---- concurrency --------------------------------------------------------------------------

check "network create n3" bn network create n3 --subnet 10.30.0.0/24
for i in 1 2 3 4 5 6 7 8; do new_ns "p$i"; done
pids=()
for i in 1 2 3 4 5 6 7 8; do
	bn endpoint add n3 --netns "$(nsname p$i)" --name "p$i" >"$TMP/p$i.out" 2>&1 &
	pids+=($!)
done
fails=0
for i in 0 1 2 3 4 5 6 7; do
	if ! wait "${pids[$i]}"; then
		fails=$((fails + 1))
		diag "endpoint add p$((i + 1)) failed:"
		diag_file "$TMP/p$((i + 1)).out"
	fi
done
is "$fails" 0 "8 parallel endpoint adds all succeed"
ips=$(bn --json endpoint ls | json '",".join(sorted(e["ip"] for e in d if e["network"] == "n3"))')
n_ips=$(printf '%s' "$ips" | tr ',' '\n' | grep -c .)
n_distinct=$(printf '%s' "$ips" | tr ',' '\n' | sort -u | grep -c .)
is "$n_ips/$n_distinct" "8/8" "8 endpoints in n3 with 8 distinct addresses ($ips)"
is "$ips" "10.30.0.2,10.30.0.3,10.30.0.4,10.30.0.5,10.30.0.6,10.30.0.7,10.30.0.8,10.30.0.9" \
	"... the 8 lowest free ones"
n_veth=$(links_of "$NODE" | grep -c '^bn')
is "$n_veth" 14 "node has one host veth per endpoint (6 + 8)"
all_addr=0
for i in 1 2 3 4 5 6 7 8; do
	grep -q 'inet 10\.30\.0\.' <<<"$(ip -n "$(nsname p$i)" -o addr show dev eth0 2>/dev/null)" ||
		all_addr=$((all_addr + 1))
done
is "$all_addr" 0 "each of the 8 containers has its eth0 address"
check "p1 pings p8" ns p1 ping -c1 -W2 "$(ep_ip p8)"

# ---- MTU ------------------------------------------------------------------------------------

ip -n "$NODE" link set "$UPLINK" mtu 1400
check "endpoint add m1 after uplink MTU 1400" bn endpoint add n1 --netns "$(nsname m1)" --name m1
check "m1's eth0 has MTU 1400 (follows the uplink)" \
	sh -c "ip -n $(nsname m1) link show eth0 | grep -q 'mtu 1400 '"
m1_host=$(bn --json endpoint show m1 | json 'd["host_ifname"]')
check "m1's host veth $m1_host has MTU 1400" \
	sh -c "ip -n $NODE link show $m1_host | grep -q 'mtu 1400 '"
valid_json "endpoint show m1 says mtu 1400" 'd["mtu"] == 1400' bn --json endpoint show m1
check "endpoint add m2 --mtu 1300" bn endpoint add n1 --netns "$(nsname m2)" --name m2 --mtu 1300
check "m2's eth0 has MTU 1300 (--mtu overrides)" \
	sh -c "ip -n $(nsname m2) link show eth0 | grep -q 'mtu 1300 '"
ip -n "$NODE" link set "$UPLINK" mtu 1500
check "a 1272-byte ping fits m2's MTU (no fragments: -M do)" \
	ns m2 ping -c1 -W2 -M "do" -s 1272 "$(ep_ip m1)"
check_fails "a 1273-byte ping does not (-M do)" ns m2 ping -c1 -W2 -M "do" -s 1273 "$(ep_ip m1)"

# ---- re-running init ------------------------------------------------------------------------

check "a1 pings a3 before re-init" ns a1 ping -c1 -W2 10.10.0.4
bn --json endpoint ls >"$TMP/eps-before"
tx_before=$(stat_of a1 tx_packets)
check "init again (same uplink) succeeds" bn init --uplink "$UPLINK"
bn --json endpoint ls >"$TMP/eps-after"
tx_after=$(stat_of a1 tx_packets)
check "a1's tx counter survives re-init ($tx_before before, $tx_after after)" \
	test "$tx_before" -gt 0 -a "$tx_after" -ge "$tx_before"
check "endpoints are unchanged by re-init" cmp "$TMP/eps-before" "$TMP/eps-after"
check "a1 pings a3 after re-init" ns a1 ping -c1 -W2 10.10.0.4
check "the node pings a5 after re-init" ns node ping -c1 -W2 10.10.0.5
check "a5 pings the node after re-init" ns a5 ping -c1 -W2 "$NODE_IP"
n_filters=$(tc -n "$NODE" filter show dev "$UPLINK" ingress | grep -c 'direct-action')
is "$n_filters" 1 "one BPF filter on the uplink after re-init (not stacked)"
check "init a third time" bn init --uplink "$UPLINK"
check "p2 pings p3 after the third init" ns p2 ping -c1 -W2 "$(ep_ip p3)"

# ---- JSON errors ------------------------------------------------------------------------------

out=$(bn --json network show nope 2>/dev/null)
rc=$?
is "$rc" 1 "--json network show nope exits 1"
valid_json "... and prints {\"error\": {\"message\", \"errno\"}} on stdout naming it" \
	'isinstance(d["error"], dict) and "nope" in d["error"]["message"] and d["error"]["errno"] > 0' \
	printf '%s' "$out"
out=$(bn endpoint rm nope --json 2>/dev/null)
rc=$?
is "$rc" 1 "endpoint rm nope --json (option last) exits 1"
valid_json "... with a JSON error" '"nope" in d["error"]["message"]' printf '%s' "$out"
out=$(bn --json network create x --subnet 10.1.0.0/33 2>/dev/null)
valid_json "--json network create with a bad CIDR: JSON error naming it" \
	'"10.1.0.0/33" in d["error"]["message"]' printf '%s' "$out"
valid_json "stats --json has endpoints and every drop reason" \
	'len(d["endpoints"]) == 16 and
	 {"spoofed_ip", "spoofed_mac", "other_network"} <= set(d["drops"]) and
	 all(set(e) >= {"name", "tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "drops"}
	     for e in d["endpoints"])' bn --json stats

# ---- down --------------------------------------------------------------------------------------

check "down" bn down
is "$(links_of "$NODE" | grep -c '^bn')" 0 "no bpfnet veth left in the node netns"
is "$(links_of "$NODE" | tr '\n' ' ')" "lo up0 " "the node has only lo and the uplink"
left=0
for c in a1 a3 a4 a5 m1 m2 p1 p8; do
	grep -qx eth0 <<<"$(links_of "$(nsname $c)")" && left=$((left + 1))
done
is "$left" 0 "no eth0 left in the containers"
is "$(ip -n "$NODE" route show | grep -c '^10\.')" 0 "no /32 routes left in the node"
check "no pins under \$BPFNET_BPFFS/bpfnet" sh -c "! find '$PINS' -mindepth 1 2>/dev/null | grep -q ."
check "no state under \$BPFNET_RUN_DIR" sh -c "! find '$BPFNET_RUN_DIR' -mindepth 1 | grep -q ."
check "no clsact qdisc on the uplink" sh -c "! tc -n $NODE qdisc show dev $UPLINK | grep -q clsact"
check "no tc filter on the uplink" sh -c "! tc -n $NODE filter show dev $UPLINK ingress | grep -q ."
valid_json "status: not initialized" 'd["initialized"] is False' bn --json status
check "down again is harmless" bn down
check "init after down works" bn init --uplink "$UPLINK"
check "network create after down + init" bn network create n1 --subnet 10.10.0.0/24
valid_json "the old networks are gone" '[n["name"] for n in d] == ["n1"]' bn --json network ls
check "endpoint add after down + init" bn endpoint add n1 --netns "$(nsname a1)" --name a1
check "down with the new endpoint" bn down
is "$(links_of "$NODE" | grep -c '^bn')" 0 "no bpfnet veth left after the second down"

done_testing
