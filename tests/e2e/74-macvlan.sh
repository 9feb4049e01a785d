#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# macvlan networks (Docker's macvlan driver): endpoints are the kernel's macvlan (bridge
# mode) on a parent device of the node, sitting on its L2 segment. With the parent the
# uplink up0 (the usual case: from_uplink runs on its tc ingress, before the macvlan rx
# handler), an endpoint reaches the ext peer of the segment by ping and TCP, and ext
# reaches it, every frame passed by from_uplink (uplink_passed counts them, no drop); two
# endpoints reach each other; the node does not reach them (the kernel's design). With a
# parent that is no uplink (up1 to ext2) the same works. What bpfnet cannot do there is
# refused with words and nothing made: --parent missing, unknown, on l3; --internal,
# --gateway-mode, a gateway that is the node's, a published port. check sees a macvlan
# taken away and --repair makes it again; endpoint rm, network rm and down leave no
# macvlan; endpoint add killed at random points leaves nothing that the next command does
# not finish or undo. The state is version 6, with the parent.
#
# CRASH_SEED=N repeats the kill points; MACVLAN_KILLS=N kills (12).
source "$(dirname "$0")/lib.sh"
sandbox_setup
ext2_setup || bail "cannot make ext2"

SEED=${CRASH_SEED:-$RANDOM}
RANDOM=$SEED
KILLS=${MACVLAN_KILLS:-12}
diag "kill points from seed $SEED (CRASH_SEED=$SEED repeats them)"
STATE="$BPFNET_RUN_DIR/$INST/state.json"
SUB=192.168.77.0/24	# the uplink's own subnet: node .1, ext .2
SUB2=192.168.88.0/24	# up1's: node .1, ext2 .2

# links_of NETNS: the names of its links
links_of() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; }
# macvlans_in SHORT: the macvlan devices of netns SHORT, "name@parent" each
macvlans_in() { ip -n "$PFX$1" -d -o link show type macvlan 2>/dev/null | awk -F': ' '{print $2}'; }
no_macvlan_in() {
	local m
	m=$(macvlans_in "$1")
	[ -z "$m" ] || { echo "netns $1 has macvlan $m"; return 1; }
}
# snapshot: what a refused command must leave as it was
snapshot() {
	cat "$STATE" 2>/dev/null
	links_of "$NODE"
	for n in m1 m2 m3; do echo "== $n"; links_of "$PFX$n"; done
}
refused() { refused_with "1 2" "$@"; }
net_json() { bn --json network show "$1" | json "d$2"; }
ep_json() { bn --json endpoint show "$1" | json "d$2"; }
passed() { bn --json stats | json 'd["events"]["uplink_passed"]'; }
drops() { bn --json stats | json 'sum(d["drops"].values())'; }

check "init --uplink $UPLINK" bn init --uplink "$UPLINK" || bail "init"
new_ns m1 m2 m3 k p

# ---- refused, nothing made ----------------------------------------------------------------

refused "macvlan without --parent" "--parent DEV" \
	bn network create mv --mode macvlan --subnet $SUB --gateway 192.168.77.2
refused "--parent on an l3 network" "--parent is for macvlan networks" \
	bn network create mv --parent "$UPLINK" --subnet 10.74.0.0/24
refused "--parent of no device of the node" "not a device of the node" \
	bn network create mv --mode macvlan --parent nosuch0 --subnet $SUB --gateway 192.168.77.2
refused "--parent lo" "loopback" \
	bn network create mv --mode macvlan --parent lo --subnet $SUB --gateway 192.168.77.2
refused "--internal on macvlan" "--internal is not available on a macvlan network" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet $SUB --gateway 192.168.77.2 \
	--internal
refused "--gateway-mode routed on macvlan" "--gateway-mode is not available on a macvlan" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet $SUB --gateway 192.168.77.2 \
	--gateway-mode routed
refused "the default gateway, the node's own address on the parent" "an address of the node" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet $SUB
refused "a subnet the node routes out of another device" "overlaps the node's" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet $SUB2 --gateway 192.168.88.2
check "an l3 network on the parent's subnet is still refused" \
	grep_out "overlaps the node's" bn network create l3x --subnet $SUB

# ---- the parent is the uplink ---------------------------------------------------------------

check "network create mv (macvlan on $UPLINK, its own subnet, gateway ext)" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet $SUB --gateway 192.168.77.2 ||
	bail "network create mv"
is "$(net_json mv '["parent"]') $(net_json mv '["mode"]') $(net_json mv '["masquerade"]')" \
	"$UPLINK macvlan false" "network show --json: parent, mode, no masquerade"
check "network show prints the parent" grep_out "parent: *$UPLINK" bn network show mv
check "network ls prints the parent" grep_out "mv .*macvlan.*parent=$UPLINK" bn network ls
is "$(json 'd["version"]' <"$STATE") $(json '[n["parent"] for n in d["networks"] if n["name"] == "mv"][0]' <"$STATE")" \
	"6 $UPLINK" "state.json: version 6, the network's parent"
check "the node has no gateway address of mv" bash -c "! ip -n $NODE -4 addr show lo | grep -q 192.168.77"
refused "an l3 network overlapping mv" "overlaps network 'mv'" \
	bn network create l3x --subnet 192.168.77.128/25

check "endpoint add m1" bn endpoint add mv --netns "$(nsname m1)" --name m1 || bail "endpoint add m1"
check "endpoint add m2" bn endpoint add mv --netns "$(nsname m2)" --name m2 || bail "endpoint add m2"
M1=$(ep_json m1 '["ip"]') M2=$(ep_json m2 '["ip"]')
is "$M1 $M2" "192.168.77.3 192.168.77.4" "IPAM skips the node's address on the parent and the gateway"
is "$(ep_json m1 '["host_ifname"]')/$(ep_json m1 '["host_ifindex"]')" "/0" "no host side"
is "$(macvlans_in m1)" "eth0@if$(ip -n "$NODE" -o link show "$UPLINK" | cut -d: -f1)" \
	"m1's eth0 is a macvlan on $UPLINK"
check "in bridge mode" grep_out "macvlan mode bridge" ip -n "$(nsname m1)" -d link show eth0
is "$(ep_json m1 '["mtu"]')" "$(ip -n "$NODE" -o link show "$UPLINK" | sed 's/.* mtu \([0-9]*\).*/\1/')" \
	"the MTU is the parent's"
check "default route via the gateway, a router of the segment" \
	grep_out "^default via 192.168.77.2 dev eth0" ip -n "$(nsname m1)" -4 route show default
check "endpoint ls shows no host veth" grep_out "^m1 .* - " bn endpoint ls
VETHS=$(ip -n "$NODE" -o link show type veth | awk -F': ' '{print $2}' | grep -E '^bn[0-9a-f]{6}-')
is "$VETHS" "" "no veth of the instance in the node"

bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:7474,fork,reuseaddr EXEC:cat
bg timeout 300 ip netns exec "$(nsname m1)" socat TCP-LISTEN:7575,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
wait_until 5 ns ext ss -Hltn "sport = :7474" && wait_until 5 tcp_listening m1 7575

D0=$(drops) P0=$(passed)
check "m1 pings ext on the segment" ns m1 ping -c3 -i0.2 -W2 192.168.77.2
check "m1 reaches ext by TCP" tcp_echo m1 192.168.77.2 7474
is "$(tcp_get ext "$M1" 7575)" "192.168.77.2" "ext reaches m1 by TCP, at its own address"
ext_pings() { ns ext ping -c3 -i0.2 -W2 "$M1" && ns ext ping -c1 -W2 "$M2"; }
check "ext pings m1 and m2" ext_pings
P1=$(passed)
check "from_uplink passed every frame for the macvlans (uplink_passed $P0 -> $P1)" \
	test $((P1 - P0)) -ge 13
is "$(drops)" "$D0" "from_uplink dropped none of them"
check "m1 and m2 reach each other" ns m1 ping -c2 -i0.2 -W2 "$M2"
check_fails "the node does not reach m1 (macvlan never passes parent <-> macvlan)" \
	ns node ping -c1 -W1 "$M1"

refused "port add on a macvlan endpoint" "macvlan network 'mv', which publishes no port" \
	bn port add m1 8080:80
check "endpoint check m1 is clean" bn endpoint check m1
check "check is clean" bn check

# ---- check and repair ---------------------------------------------------------------------

ip -n "$(nsname m2)" link del eth0
check "check finds m2's macvlan gone" grep_out macvlan_missing bn check
check "endpoint check m2 finds it gone" grep_out macvlan_missing bn endpoint check m2
check "check --repair makes it again" bn check --repair
check "... and m1 reaches m2 again" ns m1 ping -c1 -W2 "$M2"
check "... with its default route" \
	grep_out "^default via 192.168.77.2 dev eth0" ip -n "$(nsname m2)" -4 route show default
ip -n "$(nsname m2)" addr flush dev eth0
check "endpoint check finds m2's address gone" grep_out address_missing bn endpoint check m2
check "endpoint rm m2" bn endpoint rm m2
check "no macvlan left in m2" no_macvlan_in m2
check "check is clean" bn check

# ---- a parent that is not an uplink -------------------------------------------------------

check "network create mv2 (macvlan on $UPLINK2, no uplink)" \
	bn network create mv2 --mode macvlan --parent "$UPLINK2" --subnet $SUB2 --gateway 192.168.88.2
check "endpoint add m3 on mv2" bn endpoint add mv2 --netns "$(nsname m3)" --name m3 --ip 192.168.88.30
bg timeout 300 ip netns exec "$EXT2" socat TCP-LISTEN:7474,fork,reuseaddr EXEC:cat
wait_until 5 ns ext2 ss -Hltn "sport = :7474"
check "m3 pings ext2 on up1's segment" ns m3 ping -c2 -i0.2 -W2 192.168.88.2
check "m3 reaches ext2 by TCP" tcp_echo m3 192.168.88.2 7474
check "check is clean" bn check
refused "network rm mv2 while m3 is attached" "has 1 endpoint" bn network rm mv2
check "endpoint rm m3, network rm mv2" bash -c "$(declare -f bn); NODE=$NODE BPFNET=$BPFNET INST=$INST; bn endpoint rm m3 && bn network rm mv2"
check "no macvlan left in m3" no_macvlan_in m3

# ---- endpoint add killed at random points --------------------------------------------------

exec {NAP_FD}<> <(:)
nap() { read -r -t "0.$(printf '%03d' "$1")" -u "$NAP_FD"; return 0; }
FAILS=()
HITS=0 PENDING=0
for i in $(seq 1 $((3 * KILLS))); do
	[ $HITS -ge "$KILLS" ] && break
	ms=$((1 + RANDOM % 40))
	ip netns exec "$NODE" "$BPFNET" --instance "$INST" endpoint add mv --netns "$(nsname k)" \
		--name k >/dev/null 2>&1 &
	pid=$!
	nap $ms
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	[ $? = 137 ] && HITS=$((HITS + 1))
	grep -q '"journal"' "$STATE" 2>/dev/null && PENDING=$((PENDING + 1))
	# the next command finishes or undoes it: then k is an endpoint with its macvlan, or neither
	if ! out=$(bn endpoint add mv --netns "$(nsname p)" --name p 2>&1); then
		FAILS+=("kill at $ms ms: endpoint add p: $out")
		continue
	fi
	if bn endpoint show k >/dev/null 2>&1; then
		[ "$(macvlans_in k | cut -d@ -f1)" = eth0 ] || FAILS+=("kill at $ms ms: k has no macvlan")
	else
		m=$(macvlans_in k)
		[ -z "$m" ] || FAILS+=("kill at $ms ms: k is no endpoint, yet has macvlan $m")
	fi
	out=$(bn check 2>&1) || FAILS+=("kill at $ms ms: check: $out")
	out=$( (bn endpoint rm p && { ! bn endpoint show k >/dev/null 2>&1 || bn endpoint rm k; }) 2>&1) ||
		FAILS+=("kill at $ms ms: endpoint rm: $out")
done
diag "$HITS kills landed while endpoint add ran, $PENDING of them after its intent was recorded"
if [ ${#FAILS[@]} = 0 ] && [ $HITS -gt 0 ]; then
	ok "endpoint add killed $HITS times: the next command finished or undid it, check clean"
else
	not_ok "endpoint add killed $HITS times: the next command finished or undid it, check clean"
	for f in "${FAILS[@]:0:5}"; do diag "$f"; done
fi
check "no macvlan left in k or p" bash -c "$(declare -f macvlans_in no_macvlan_in); PFX=$PFX; no_macvlan_in k && no_macvlan_in p"

# ---- down ---------------------------------------------------------------------------------

check "endpoint add m2 again" bn endpoint add mv --netns "$(nsname m2)" --name m2
check "down" bn down
check "no macvlan left in m1 or m2 after down" \
	bash -c "$(declare -f macvlans_in no_macvlan_in); PFX=$PFX; no_macvlan_in m1 && no_macvlan_in m2"
check "no state left" test ! -e "$STATE"

done_testing
