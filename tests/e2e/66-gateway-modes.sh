#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Gateway modes (Docker 28's names), end to end, with the outside host routing
# every container subnet via the node: nat (the default) lets in only
# published ports and replies of the containers' own flows, with and without
# masquerade; routed opens the published container ports to direct access
# and leaves the container's own address on its flows; nat-unprotected opens
# everything. network show/ls/--json and the state say which mode.
source "$(dirname "$0")/lib.sh"
sandbox_setup

declare -A IP=([n]=10.66.1.2 [r]=10.66.2.2 [m]=10.66.3.2 [u]=10.66.4.2)
declare -A HOSTPORT=([n]=8080 [r]=8081 [m]=8082 [u]=8083)
PUBLISHED=80 UNPUBLISHED=81 WHO=8000

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create nat (default gateway mode)" bn network create nat --subnet 10.66.1.0/24
check "network create routed --gateway-mode routed" \
	bn network create routed --subnet 10.66.2.0/24 --gateway-mode routed
check "network create natm --no-masquerade (nat)" \
	bn network create natm --subnet 10.66.3.0/24 --no-masquerade
check "network create open --gateway-mode nat-unprotected" \
	bn network create open --subnet 10.66.4.0/24 --gateway-mode nat-unprotected
out=$(bn network create bogus --subnet 10.66.5.0/24 --gateway-mode wide-open 2>&1)
rc=$?
# a value on the command line that is no gateway mode: a usage error (2), nothing tried
check "an unknown gateway mode is refused as a usage error, naming the allowed ones" \
	bash -c '[ "$1" = 2 ] && grep -q "unknown gateway mode .wide-open.: allowed: nat, routed, nat-unprotected" <<<"$2"' \
	_ "$rc" "$out"
out=$(bn network create iso --mode bridge --internal --subnet 10.66.6.0/24 --gateway-mode routed 2>&1)
rc=$?
# EINVAL, a value wrong on any node: exit 2
check "an internal network takes no gateway mode but nat (exit 2)" \
	bash -c '[ "$1" = 2 ] && grep -q "internal network has none" <<<"$2"' _ "$rc" "$out"

# ---- what the CLI and the state say ---------------------------------------------------------------

mode_of() { bn --json network show "$1" | json 'd["gateway_mode"]'; }
is "$(mode_of nat)" nat "network show --json: nat"
is "$(mode_of routed)" routed "network show --json: routed"
is "$(mode_of open)" nat-unprotected "network show --json: nat-unprotected"
is "$(bn --json network show routed | json 'd["masquerade"]')" false "routed never masquerades"
check "network show routed (text) says gateway-mode: routed" \
	grep -qE '^gateway-mode: +routed$' <<<"$(bn network show routed)"
check "network show nat (text) says gateway-mode: nat" \
	grep -qE '^gateway-mode: +nat$' <<<"$(bn network show nat)"
check "network ls shows each mode" bash -c 'out=$1
	grep -qE "^nat +l3 .* nat +0 " <<<"$out" && grep -qE "^routed +l3 .* routed +0 " <<<"$out" &&
	grep -qE "^open +l3 .* nat-unprotected +0 " <<<"$out"' _ "$(bn network ls)"
is "$(python3 -c 'import json,sys; print(sorted((n["name"], n["gateway_mode"]) for n in json.load(open(sys.argv[1]))["networks"]))' "$BPFNET_RUN_DIR/$INST/state.json")" \
	"[('nat', 'nat'), ('natm', 'nat'), ('open', 'nat-unprotected'), ('routed', 'routed')]" \
	"state.json keeps every network's gateway mode"

# ---- containers, published ports, and an outside host routing the subnets via the node -----------

new_ns n r m u
declare -A NET=([n]=nat [r]=routed [m]=natm [u]=open)
for c in n r m u; do
	check "endpoint add $c (${IP[$c]}) to ${NET[$c]}" \
		bn endpoint add "${NET[$c]}" --netns "$(nsname $c)" --name $c --ip "${IP[$c]}" ||
		bail "endpoint $c"
	check "port add $c ${HOSTPORT[$c]}:$PUBLISHED" bn port add $c "${HOSTPORT[$c]}:$PUBLISHED"
	for p in $PUBLISHED $UNPUBLISHED; do
		bg timeout 300 ip netns exec "$(nsname $c)" socat TCP-LISTEN:$p,fork,reuseaddr \
			SYSTEM:'echo $SOCAT_PEERADDR '"$c-$p"
	done
done
bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:$WHO,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
for c in n r m u; do
	wait_until 5 tcp_listening $c $UNPUBLISHED || bail "servers in $c"
done
wait_until 5 tcp_listening ext $WHO || bail "whoami in ext"
ip -n "$EXT" route add 10.66.0.0/16 via "$NODE_IP"
# the node forwards too: nothing here depends on its stack refusing what bpfnet lets by
ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1

# published host ports DNAT in every mode, the container seeing the real client
for c in n r m u; do
	check "${NET[$c]}: ext -> $NODE_IP:${HOSTPORT[$c]} (published) reaches $c:$PUBLISHED" \
		expect "$EXT_IP $c-$PUBLISHED" tcp_get ext $NODE_IP "${HOSTPORT[$c]}"
done

direct0=$(drop_count direct_routing)
check_fails "nat: ext -> ${IP[n]}:$UNPUBLISHED directly is unreachable" tcp_get ext "${IP[n]}" $UNPUBLISHED
check_fails "nat: ext -> ${IP[n]}:$PUBLISHED directly too (only through the host port)" \
	tcp_get ext "${IP[n]}" $PUBLISHED
check_fails "nat: ping ext -> ${IP[n]} is unreachable" ns ext ping -c1 -W1 "${IP[n]}"
check_fails "nat --no-masquerade: ext -> ${IP[m]}:$UNPUBLISHED directly is unreachable" \
	tcp_get ext "${IP[m]}" $UNPUBLISHED
check "direct_routing counted them" test "$(drop_count direct_routing)" -gt "$direct0"

check "routed: ext -> ${IP[r]}:$PUBLISHED (a published container port) directly, real client seen" \
	expect "$EXT_IP r-$PUBLISHED" tcp_get ext "${IP[r]}" $PUBLISHED
check_fails "routed: ext -> ${IP[r]}:$UNPUBLISHED (not published) directly is unreachable" \
	tcp_get ext "${IP[r]}" $UNPUBLISHED
check "routed: egress leaves with the container's own address (ext sees ${IP[r]})" \
	expect "${IP[r]}" tcp_get r $EXT_IP $WHO
check "routed: port rm r ${HOSTPORT[r]}:$PUBLISHED" bn port rm r "${HOSTPORT[r]}:$PUBLISHED"
check_fails "routed: ... and ${IP[r]}:$PUBLISHED is closed to direct access" \
	tcp_get ext "${IP[r]}" $PUBLISHED
check "routed: port add r 9000:$PUBLISHED 9001:$PUBLISHED (two mappings, one container port)" \
	bn port add r 9000:$PUBLISHED 9001:$PUBLISHED
check "routed: port rm r 9000:$PUBLISHED" bn port rm r 9000:$PUBLISHED
check "routed: ${IP[r]}:$PUBLISHED stays open while 9001 leads there" \
	expect "$EXT_IP r-$PUBLISHED" tcp_get ext "${IP[r]}" $PUBLISHED

check "nat --no-masquerade: egress leaves as ${IP[m]} and its replies get back in" \
	expect "${IP[m]}" tcp_get m $EXT_IP $WHO
check "nat: egress is masqueraded, its replies get back in" expect "$NODE_IP" tcp_get n $EXT_IP $WHO

check "nat-unprotected: ext -> ${IP[u]}:$UNPUBLISHED directly" \
	expect "$EXT_IP u-$UNPUBLISHED" tcp_get ext "${IP[u]}" $UNPUBLISHED
check "nat-unprotected: ping ext -> ${IP[u]}" ns ext ping -c1 -W2 "${IP[u]}"

# networks never reach each other but through published ports, whatever their mode
check_fails "n -> ${IP[r]}:$PUBLISHED (another network, routed) directly is refused" \
	tcp_get n "${IP[r]}" $PUBLISHED
check "n -> $NODE_IP:${HOSTPORT[u]} (a published port of another network) works" \
	expect "$NODE_IP u-$PUBLISHED" tcp_get n $NODE_IP "${HOSTPORT[u]}"

check "endpoint rm r takes its published container ports along" bn endpoint rm r
check "ep_ports is empty again" \
	bash -c '[ "$(bpftool -j map dump pinned "$1/bpfnet/$2/ep_ports" | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")" = 0 ]' \
	_ "$BPFNET_BPFFS" "$INST"

bg_kill_all
check "down" bn down
done_testing
