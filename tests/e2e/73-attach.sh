#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A container on two networks, as `docker run --network A` then `docker network connect B`
# (what `bpfnet run --network A --network B` asks of the library): netns m on an l3 network
# (eth0, the default route via its gateway) and a bridge network (eth1, endpoint add
# --no-default-route: only its subnet's route). m reaches the peers of both networks (ping,
# TCP, both ways) and the outside through the first; endpoint check and bpfnet check miss
# nothing for the absent default route; state.json says "default_route": false of that
# endpoint only. Then what only the option explains: removing eth0 does not hand the default
# route to eth1 (without it the next endpoint takes it over, 15-validation.sh), a netns with
# only such an endpoint has no default route and reaches its subnet only, a repair that
# rebuilds it makes none either, and a later default endpoint there takes the default route.
# The same for a macvlan endpoint (no veth: the parent's segment). Finally removal leaves
# nothing.
source "$(dirname "$0")/lib.sh"
sandbox_setup

TCP_PORT=5073
STATE="$BPFNET_RUN_DIR/$INST/state.json"

# no_default NS: container NS has no default route at all
no_default() { route_is "$1" default ""; }

# ep_clean EP: endpoint check EP finds nothing (exit 0, [])
ep_clean() {
	local out
	out=$(bn --json endpoint check "$1") || { echo "exit $?: $out"; return 1; }
	[ "$out" = "[]" ] || { echo "$out"; return 1; }
}

# node_clean: bpfnet check finds nothing
node_clean() {
	local out
	out=$(bn --json check) || { echo "exit $?: $out"; return 1; }
	[ "$(json 'len(d)' <<<"$out")" = 0 ] || { echo "$out"; return 1; }
}

# default_route_of EP: the endpoint's "default_route" in state.json ("absent" if none)
default_route_of() {
	json "[e.get('default_route', 'absent') for e in d['endpoints'] if e['name'] == '$1'][0]" \
		<"$STATE"
}

echo_server() {
	bg timeout 300 ip netns exec "$(nsname "$1")" \
		socat TCP-LISTEN:$TCP_PORT,fork,reuseaddr EXEC:cat
	wait_until 5 tcp_listening "$1" $TCP_PORT || bail "echo server in $1"
}

bn init --uplink "$UPLINK" >/dev/null || bail "init failed"
bn network create n1 --subnet 10.73.0.0/24 >/dev/null || bail "network create n1 (l3)"
bn network create b1 --subnet 10.74.0.0/24 --mode bridge >/dev/null ||
	bail "network create b1 (bridge)"
new_ns p1 pb m q
bn endpoint add n1 --netns "$(nsname p1)" --name p1 >/dev/null || bail "endpoint add p1"
bn endpoint add b1 --netns "$(nsname pb)" --name pb >/dev/null || bail "endpoint add pb"
echo_server p1
echo_server pb
P1=$(ep_ip p1) PB=$(ep_ip pb)

# ---- m: l3 first (default route), bridge second (--no-default-route) ----------------------

check "endpoint add ma: m on n1 (l3) as eth0" bn endpoint add n1 --netns "$(nsname m)" --name ma
check "endpoint add mb: m on b1 (bridge) as eth1, --no-default-route" \
	bn endpoint add b1 --netns "$(nsname m)" --name mb --ifname eth1 --no-default-route
MA=$(ep_ip ma) MB=$(ep_ip mb)
check "m's default route is via n1's gateway on eth0" \
	route_is m default "default via 10.73.0.1 dev eth0 proto static"
check "m has b1's subnet on eth1, as its connected route only" \
	route_is m "dev eth1" "10.74.0.0/24 proto kernel scope link src $MB"
echo_server m
check "m pings p1 (l3 peer)" ns m ping -c1 -W2 "$P1"
check "m pings pb (bridge peer)" ns m ping -c1 -W2 "$PB"
check "m pings b1's gateway on eth1" ns m ping -c1 -W2 10.74.0.1
check "m -> p1 over TCP" tcp_echo m "$P1"
check "m -> pb over TCP" tcp_echo m "$PB"
check "p1 -> m's n1 address over TCP" tcp_echo p1 "$MA"
check "pb -> m's b1 address over TCP" tcp_echo pb "$MB"
check "m reaches the outside through n1 (masquerade)" ns m ping -c1 -W2 "$EXT_IP"
check "endpoint check mb: nothing missing for its absent default route" ep_clean mb
check "endpoint check ma: clean" ep_clean ma
check "bpfnet check: clean" node_clean
is "$(default_route_of mb)" "false" 'state.json: mb has "default_route": false'
is "$(default_route_of ma)" "absent" 'state.json: ma has no "default_route" (absent = yes)'

# ---- the option's own consequences ----------------------------------------------------------

check "endpoint rm ma (the one with the default route)" bn endpoint rm ma
check "the default route did not move to mb: m has none" no_default m
check "m still reaches pb over eth1" tcp_echo m "$PB"
check "endpoint check mb still clean without any default route in m" ep_clean mb
check_fails "m does not reach the outside (no way out was asked for)" \
	ns m ping -c1 -W1 "$EXT_IP"
check "endpoint add ma again: a default endpoint takes the default route" \
	bn endpoint add n1 --netns "$(nsname m)" --name ma
check "m's default route is via n1 again" \
	route_is m default "default via 10.73.0.1 dev eth0 proto static"

# q: only an endpoint without a default route, the first of its netns with a gateway
check "endpoint add qb: q on b1 with --no-default-route (the only endpoint of q)" \
	bn endpoint add b1 --netns "$(nsname q)" --name qb --no-default-route
check "q has no default route" no_default q
check "q reaches its subnet: pb over TCP" tcp_echo q "$PB"
check_fails "q reaches nothing beyond: not p1 on n1" ns q ping -c1 -W1 "$P1"
check "endpoint check qb: clean" ep_clean qb
is "$(bn --json endpoint add b1 --netns "$(nsname q)" --name qx --ifname eth1 \
	--no-default-route=1 >/dev/null 2>&1; echo $?)" 2 \
	"--no-default-route takes no value (usage error)"

# a repair that makes qb again (its veth deleted behind bpfnet's back) makes no default route
ip -n "$(nsname q)" link del eth0
check "bpfnet check --repair rebuilds qb" bn check --repair
check "qb's eth0 is back with its address" \
	route_is q "dev eth0" "10.74.0.0/24 proto kernel scope link src $(ep_ip qb)"
check "... and q still has no default route" no_default q
check "... and qb is clean" ep_clean qb
is "$(default_route_of qb)" "false" '... and state.json still has "default_route": false'
check "q reaches pb after the repair" tcp_echo q "$PB"
check "a default endpoint in q then takes the default route (n1 as eth1)" \
	bn endpoint add n1 --netns "$(nsname q)" --name qa --ifname eth1
check "q's default route is via n1 on eth1" \
	route_is q default "default via 10.73.0.1 dev eth1 proto static"
check "bpfnet check: clean with both kinds" node_clean

# ---- macvlan: the same for a macvlan endpoint (no veth, the parent's segment) ----------------

# r: macvlan first, without a default route, then l3 as eth1 with it
check "network create mv (macvlan on $UPLINK, gateway ext)" \
	bn network create mv --mode macvlan --parent "$UPLINK" --subnet 192.168.77.0/24 \
	--gateway "$EXT_IP"
new_ns r
check "endpoint add rv: r on mv (macvlan) with --no-default-route" \
	bn endpoint add mv --netns "$(nsname r)" --name rv --no-default-route
check "r has no default route" no_default r
check "r reaches ext on the parent's segment" ns r ping -c1 -W2 "$EXT_IP"
check "endpoint check rv: clean" ep_clean rv
is "$(default_route_of rv)" "false" 'state.json: rv has "default_route": false'
check "endpoint add ra: r on n1 as eth1, the default route" \
	bn endpoint add n1 --netns "$(nsname r)" --name ra --ifname eth1
check "r's default route is via n1 on eth1" \
	route_is r default "default via 10.73.0.1 dev eth1 proto static"
check "r -> p1 over TCP" tcp_echo r "$P1"
check "bpfnet check: clean with a macvlan endpoint without a default route" node_clean

# ---- removal ------------------------------------------------------------------------------

check "endpoint rm rv" bn endpoint rm rv
check "endpoint rm ra" bn endpoint rm ra
check "network rm mv" bn network rm mv
for ep in mb ma qa qb pb p1; do
	check "endpoint rm $ep" bn endpoint rm $ep
done
is "$(json 'len(d["endpoints"])' <"$STATE")" 0 "state.json has no endpoint left"
for n in m q r; do
	is "$(ip -n "$(nsname $n)" -o link show | grep -c 'eth[01]')" 0 "$n has no eth0/eth1 left"
	check "$n has no route left" route_is $n "" ""
done
is "$(ip -n "$NODE" -o link show type veth | grep -vc "$UPLINK")" 0 \
	"no veth of an endpoint left on the node"
check "bpfnet check: clean after removal" node_clean

done_testing
