#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet-cni through the CNI harness (tests/cni), exec'd as libcni execs it, in
# the node netns of the sandbox: VERSION as podman sends it; ADD, CHECK, DEL,
# GC and STATUS for every cniVersion (0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0) with
# the result format of each; the dataplane initialising itself on the first
# ADD, a later `bpfnet init` disturbing nothing; every error path with the
# spec's code and nothing left behind; DEL idempotent (twice, after the netns
# is gone, after a failed ADD, with all bpfnet state gone); ADD after an ADD
# SIGKILLed at random points, and a repeated ADD; CHECK catching a removed
# address, a removed map entry and a removed published port; GC; published
# ports from outside with the client's address seen, UDP, a hostIP binding;
# two attachments talking (l3 and bridge); the ips and mac capabilities and
# CNI_ARGS IP=/MAC=; a chained plugin (tuning) after bpfnet-cni; 50
# concurrent ADDs then DELs with no address twice and nothing left (links, map
# entries, endpoints, published ports).
#
# BPFNET_CNI=PATH tests another build of the plugin; CNI_KILLS=N kill points (8).
source "$(dirname "$0")/lib.sh"
# shellcheck source=../cni/lib.sh
source "$REPO_DIR/tests/cni/lib.sh"
PLUGIN=${BPFNET_CNI:-$REPO_DIR/build/bpfnet-cni}
REF=/usr/lib/cni
sandbox_setup
[ -x "$PLUGIN" ] || bail "no plugin at $PLUGIN: run make first"
mkdir -p "$TMP/bin"
cp "$PLUGIN" "$TMP/bin/bpfnet-cni" || bail "cannot copy $PLUGIN"
cp "$CNI_DIR/recorder" "$TMP/bin/recorder"
cni_setup "$TMP/bin" "$REF"
diag "plugin: $PLUGIN"
PINS="$BPFNET_BPFFS/bpfnet/$INST"
STATE="$BPFNET_RUN_DIR/$INST/state.json"
VERSIONS="0.3.0 0.3.1 0.4.0 1.0.0 1.1.0"
SUBNET=10.89.0.0/24 GW=10.89.0.1
KILLS=${CNI_KILLS:-8}
SEED=${CNI_SEED:-$RANDOM}
RANDOM=$SEED

# ---- helpers -------------------------------------------------------------------------------

# cid NAME: a 64-hex container ID, as runtimes make them
cid() { printf '%s' "$1" | sha256sum | cut -c1-64; }
nspath() { echo "/run/netns/$(nsname "$1")"; }

# conf FILE VERSION [NAME [SUBNET [GATEWAY [MODE [EXTRA_KEYS]]]]]: a conflist of bpfnet-cni
conf() {
	cat >"$1" <<EOF
{ "cniVersion": "$2", "name": "${3:-cninet}", "plugins": [
  { "type": "bpfnet-cni", "mode": "${6:-l3}", "subnet": "${4:-$SUBNET}", "gateway": "${5:-$GW}",
    "uplinks": ["$UPLINK"], "instance": "$INST", "bpffs": "$BPFNET_BPFFS", "runDir": "$BPFNET_RUN_DIR",
    "dns": {"nameservers": ["10.89.0.1"], "search": ["cni.test"], "options": ["ndots:2"]},
    "someFutureKey": {"ignored": true},
    "capabilities": {"portMappings": true, "ips": true, "mac": true} ${7:+, $7} } ] }
EOF
}

# what the plugin made, counted
ep_count() { bn --json endpoint ls | json 'len(d)'; }
port_count() { bn --json port ls | json 'len(d)'; }
map_count() { # map_count MAP: entries of a pinned hash map
	bpftool -j map dump pinned "$PINS/$1" 2>/dev/null | json 'len(d)'
}
host_veths() { ip -n "$NODE" -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx "$UPLINK"; }
veth_count() { host_veths | grep -c .; }
# footprint: every count that must come back to what it was
footprint() {
	printf 'endpoints=%s ports=%s veths=%s ep_by_ip=%s ep_by_ifindex=%s portmap4=%s backends4=%s\n' \
		"$(ep_count)" "$(port_count)" "$(veth_count)" "$(map_count ep_by_ip)" \
		"$(map_count ep_by_ifindex)" "$(map_count portmap4)" "$(map_count backends4)"
}
no_journal() { json '"pending: %s" % d["journal"] if d.get("journal") else "none"' <"$STATE"; }
# ep_json CID [IFNAME]: the endpoint of that attachment in endpoint ls --json
ep_json() {
	bn --json endpoint ls | json "[e for e in d if e.get('container_id') == '$1' and e['ifname'] == '${2:-eth0}'][0]"
}
addr_of() { jf "$1" 'd["ips"][0]["address"].split("/")[0]'; }
own_eth0() { ip -n "$(nsname "$1")" link show eth0 | grep -q 'eth0@own0'; }
in_mac() { ns "$1" cat "/sys/class/net/${2:-eth0}/address"; }

# add SHORT FILE CONF [CNI-RUN OPTIONS...]: ADD of container SHORT (netns made if missing), result in FILE
add() {
	local c=$1 out=$2 cf=$3
	shift 3
	[ -e "$(nspath "$c")" ] || new_ns "$c"
	cni --netns "$(nspath "$c")" "$@" ADD "$cf" "$(cid "$c")" >"$out" 2>"$out.err"
}
del() { # del SHORT CONF [OPTIONS...]
	local c=$1 cf=$2
	shift 2
	cni --netns "$(nspath "$c")" "$@" DEL "$cf" "$(cid "$c")"
}
check_cmd() { # check_cmd SHORT CONF [OPTIONS...]
	local c=$1 cf=$2
	shift 2
	cni --netns "$(nspath "$c")" "$@" CHECK "$cf" "$(cid "$c")"
}

# refused CODES DESC CNI-RUN-ARGS...: the plugin fails with one of CODES, the footprint unchanged
refused() {
	local codes=$1 desc=$2 rc problems="" got
	shift 2
	footprint >"$TMP/fp-before"
	cni "$@" >"$TMP/ref-out" 2>"$TMP/ref-err"
	rc=$?
	footprint >"$TMP/fp-after"
	got=$(json 'd.get("code")' <"$TMP/ref-out" 2>/dev/null)
	[ "$rc" = 1 ] || problems+="exit status $rc (want 1); "
	[[ " $codes " == *" $got "* ]] || problems+="code '$got' (want $codes); "
	cni_py 'e = json.load(open(sys.argv[1])); p = cniresult.error_problems(e); print("; ".join(p)); sys.exit(1 if p else 0)' \
		"$TMP/ref-out" >"$TMP/ref-why" 2>&1 || problems+="error object: $(cat "$TMP/ref-why"); "
	cmp -s "$TMP/fp-before" "$TMP/fp-after" || problems+="left: $(cat "$TMP/fp-after") (was $(cat "$TMP/fp-before")); "
	if [ -z "$problems" ]; then
		ok "$desc (code $got)"
		return 0
	fi
	not_ok "$desc"
	diag "cni-run $*"
	diag "problems: $problems"
	diag_file "$TMP/ref-out"
	diag_file "$TMP/ref-err"
	return 1
}

# servers SHORT: whoami servers in the container: TCP 80 and UDP 53 answer with the peer's address
servers() {
	bg timeout 600 ip netns exec "$(nsname "$1")" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
	bg timeout 600 ip netns exec "$(nsname "$1")" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto((peer[0] + "\n").encode(), peer)
'
	wait_until 5 tcp_listening "$1" 80 && wait_until 5 udp_listening "$1" 53
}

for v in $VERSIONS; do conf "$TMP/v$v.conflist" "$v"; done
CONF=$TMP/v1.0.0.conflist
CONF11=$TMP/v1.1.0.conflist

# ---- VERSION, as podman sends it ----------------------------------------------------------------

for v in $VERSIONS; do
	cni VERSION bpfnet-cni "$v" >"$TMP/ver" 2>"$TMP/ver.err"
	is "$(jf "$TMP/ver" '[d["cniVersion"], d["supportedVersions"]]' 2>&1)" \
		"[\"$v\", [\"0.3.0\", \"0.3.1\", \"0.4.0\", \"1.0.0\", \"1.1.0\"]]" \
		"VERSION asked for $v (CNI_NETNS=dummy, CNI_IFNAME=dummy, CNI_CONTAINERID=\"\") answers it with every version"
done
printf '{"cniVersion":"1.1.0"}' | cni EXEC bpfnet-cni VERSION >"$TMP/ver" 2>&1
is "$(json 'd["cniVersion"]' <"$TMP/ver" 2>&1)" "1.1.0" "VERSION with no other CNI_* variable at all"

# ---- the first ADD: the dataplane initialises itself -----------------------------------------

bn status --json >"$TMP/st" 2>&1
is "$(json 'd.get("initialized")' <"$TMP/st" 2>&1)" false "no dataplane before the first ADD"
new_ns c1 c2
sandbox_ipv6_off c1 c2
add c1 "$TMP/r1" "$CONF" --args "IgnoreUnknown=1;K8S_POD_NAME=web1;SOME_UNKNOWN=x"
check "ADD c1 (1.0.0, no 'bpfnet init' ran) succeeds" test $? = 0 || { diag_file "$TMP/r1"; diag_file "$TMP/r1.err"; bail "first ADD"; }
is "$(bn status --json | json 'd.get("initialized")')" true "... and initialised the dataplane on $UPLINK"
check "its result is a valid 1.0.0 result" cni_result_ok "$TMP/r1" 1.0.0 "$(nspath c1)"
C1=$(addr_of "$TMP/r1")
ep_json "$(cid c1)" >"$TMP/ep1" 2>&1
is "$(jf "$TMP/ep1" 'd["name"] + " " + d["network"] + " " + d["ip"]' 2>&1)" "web1 cninet $C1" \
	"the endpoint: container_id recorded, named after K8S_POD_NAME, on network cninet"
is "$(jf "$TMP/r1" '[i for i in d["interfaces"] if i.get("sandbox")][0]["mac"]')" "$(in_mac c1)" \
	"the sandbox interface's mac is eth0's in the container"
is "$(jf "$TMP/r1" '[i["name"] + " " + i["mac"] for i in d["interfaces"] if not i.get("sandbox")][0]')" \
	"$(jf "$TMP/ep1" 'd["host_ifname"] + " " + d["host_mac"]')" "the host interface: the host veth and its mac"
is "$(jf "$TMP/r1" '[d["interfaces"][d["ips"][0]["interface"]].get("sandbox"), d["ips"][0]["gateway"]]')" \
	"[\"$(nspath c1)\", \"$GW\"]" "ips[0]: interface is the sandbox's index, gateway $GW"
is "$(jf "$TMP/r1" '"0.0.0.0/0" in [r["dst"] for r in d.get("routes", [])]')" true "routes has the default route"
is "$(jf "$TMP/r1" 'd.get("dns") == {"nameservers": ["10.89.0.1"], "search": ["cni.test"], "options": ["ndots:2"]}')" \
	true "dns is the config's"
check "c1's eth0 has $C1" grep_out "inet $C1/" ns c1 ip -4 addr show eth0
check "c1's default route is via $GW" grep_out "default via $GW" ns c1 ip route

# ---- every version: ADD, CHECK, GC, STATUS, DEL -------------------------------------------------

for v in $VERSIONS; do
	cf=$TMP/v$v.conflist c=ver${v//./}
	add "$c" "$TMP/rv" "$cf"
	check "ADD ($v)" test $? = 0 || { diag_file "$TMP/rv"; diag_file "$TMP/rv.err"; continue; }
	check "... a valid $v result" cni_result_ok "$TMP/rv" "$v" "$(nspath "$c")"
	if [ "$v" = 0.3.0 ] || [ "$v" = 0.3.1 ]; then
		refused 1 "CHECK of a $v config is code 1 (CHECK needs 0.4.0)" --force --netns "$(nspath "$c")" CHECK "$cf" "$(cid "$c")"
	else
		check "CHECK ($v) right after ADD" check_cmd "$c" "$cf"
	fi
	if [ "$v" = 1.1.0 ]; then
		check "STATUS (1.1.0) of a ready dataplane" cni STATUS "$cf"
		check "GC (1.1.0) with everything valid" cni --no-cache-del GC "$cf" "$(cid c1)/eth0" "$(cid "$c")/eth0"
		check "... left $c working" check_cmd "$c" "$cf"
	else
		refused 1 "STATUS of a $v config is code 1 (STATUS needs 1.1.0)" --force STATUS "$cf"
		refused 1 "GC of a $v config is code 1 (GC needs 1.1.0)" --force --no-cache-del GC "$cf" "$(cid c1)/eth0"
	fi
	check "DEL ($v)" del "$c" "$cf"
	check "DEL ($v) again" del "$c" "$cf"
	check_fails "... $c's eth0 is gone" ns "$c" ip link show eth0
	is "$(ep_count)" 1 "... only c1's endpoint is left"
done
conf "$TMP/standalone.conf" 1.0.0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d.pop("plugins")[0]; p.update(d); print(json.dumps(p))' \
	"$TMP/standalone.conf" >"$TMP/s.conf"
add cs "$TMP/rs" "$TMP/s.conf"
check "ADD from a standalone .conf (no plugins list)" cni_result_ok "$TMP/rs" 1.0.0 "$(nspath cs)"
check "DEL of it" del cs "$TMP/s.conf"

# ---- two attachments talking, published ports ------------------------------------------------

PM='{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
 {"hostPort": 5353, "containerPort": 53, "protocol": "udp"},
 {"hostPort": 8443, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"}]}'
add c2 "$TMP/r2" "$CONF" --cap "$PM"
check "ADD c2 with three port mappings" test $? = 0 || { diag_file "$TMP/r2"; diag_file "$TMP/r2.err"; }
C2=$(addr_of "$TMP/r2")
check "c1 and c2 have different addresses ($C1, $C2)" test "$C1" != "$C2"
check "c1 pings c2" ns c1 ping -c1 -W2 "$C2"
servers c2 || diag "no servers in c2"
is "$(tcp_get c1 "$C2" 80)" "$C1" "c1 reaches c2's TCP server by address, c2 sees $C1"
is "$(tcp_get ext "$NODE_IP" 8080)" "$EXT_IP" "hostPort 8080 answers from ext, the server sees ext's address"
is "$(udp_get ext "$NODE_IP" 5353)" "$EXT_IP" "hostPort 5353/udp answers from ext, client address seen"
check "hostIP 127.0.0.1:8443 answers on the node" grep_out . tcp_get node 127.0.0.1 8443
check_fails "... and not from ext at the node's address" tcp_get ext "$NODE_IP" 8443
is "$(bn --json port ls | json 'sorted("%s %s/%s" % (p["host_port"], p["container_port"], p["proto"]) for p in d)')" \
	'["5353 53/udp", "8080 80/tcp", "8443 80/tcp"]' "port ls: c2's three mappings"
check "CHECK c2 (ports included)" check_cmd c2 "$CONF" --cap "$PM"
check "hairpin: c2 reaches its own published port at the node's address" grep_out . tcp_get c2 "$NODE_IP" 8080
bg timeout 600 ip netns exec "$EXT" socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
wait_until 5 tcp_listening ext 8000 || diag "no server in ext"
is "$(tcp_get c1 "$EXT_IP" 8000)" "$NODE_IP" "egress from c1 is masqueraded to the node's address"

# a later 'bpfnet init' disturbs nothing
check "bpfnet init again while containers run" bn init --uplink "$UPLINK"
check "... c1 still pings c2" ns c1 ping -c1 -W2 "$C2"
is "$(tcp_get ext "$NODE_IP" 8080)" "$EXT_IP" "... the published port still answers"
check "... CHECK c1 still passes" check_cmd c1 "$CONF"

# ---- errors, each with its code, nothing left --------------------------------------------------

new_ns e1
E1=$(nspath e1)
E1ID=$(cid e1)
bad_conf() { # bad_conf FILE PYTHON-CODE [BASE]: BASE ($CONF) with d (the list), p (its plugin) changed
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); p = d["plugins"][0]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))' "${3:-$CONF}" "$1" "$2"
}
bad_conf "$TMP/b-ver.conflist" 'd["cniVersion"] = "9.9.9"'
refused 1 "cniVersion 9.9.9: incompatible version" --netns "$E1" ADD "$TMP/b-ver.conflist" "$E1ID"
bad_conf "$TMP/b-ver0.conflist" 'd["cniVersion"] = "0.2.0"'
refused 1 "cniVersion 0.2.0: incompatible version" --netns "$E1" ADD "$TMP/b-ver0.conflist" "$E1ID"
bad_conf "$TMP/b-nosub.conflist" 'del p["subnet"], p["gateway"]'
refused 7 "no subnet and no ipam: invalid network config" --netns "$E1" ADD "$TMP/b-nosub.conflist" "$E1ID"
bad_conf "$TMP/b-sub.conflist" 'p["subnet"] = "10.89.0.0/33"'
refused 7 "subnet 10.89.0.0/33: invalid network config" --netns "$E1" ADD "$TMP/b-sub.conflist" "$E1ID"
bad_conf "$TMP/b-gw.conflist" 'p["gateway"] = "10.1.2.3"'
refused 7 "a gateway outside the subnet: invalid network config" --netns "$E1" ADD "$TMP/b-gw.conflist" "$E1ID"
bad_conf "$TMP/b-mode.conflist" 'p["mode"] = "macvlan"'
refused "2 7" "mode macvlan: unsupported or invalid" --netns "$E1" ADD "$TMP/b-mode.conflist" "$E1ID"
bad_conf "$TMP/b-mtu.conflist" 'p["mtu"] = "big"'
refused 7 "mtu \"big\": invalid network config" --netns "$E1" ADD "$TMP/b-mtu.conflist" "$E1ID"
bad_conf "$TMP/b-other.conflist" 'p["subnet"] = "10.90.0.0/24"; p["gateway"] = "10.90.0.1"'
refused 7 "network cninet exists with another subnet: invalid network config" --netns "$E1" ADD "$TMP/b-other.conflist" "$E1ID"
bad_conf "$TMP/b-othermode.conflist" 'p["mode"] = "bridge"'
refused 7 "network cninet exists in another mode: invalid network config" --netns "$E1" ADD "$TMP/b-othermode.conflist" "$E1ID"
printf '{"cniVersion": "1.0.0", "name": "cninet", "type": "bpfnet-cni", ' >"$TMP/b-json"
refused 6 "a config that is no JSON: failed to decode" EXEC bpfnet-cni ADD CNI_CONTAINERID="$E1ID" \
	CNI_NETNS="$E1" CNI_IFNAME=eth0 CNI_PATH="$TMP/bin" <"$TMP/b-json"
refused 4 "no CNI_COMMAND: invalid environment variables" EXEC bpfnet-cni "" CNI_CONTAINERID="$E1ID" \
	CNI_NETNS="$E1" CNI_IFNAME=eth0 <"$CONF"
refused 4 "CNI_COMMAND=FROB: invalid environment variables" EXEC bpfnet-cni FROB CNI_CONTAINERID="$E1ID" \
	CNI_NETNS="$E1" CNI_IFNAME=eth0 <"$CONF"
refused 4 "ADD without CNI_CONTAINERID" --force --netns "$E1" ADD "$CONF" ""
refused 4 "ADD with container ID 'bad/id'" --force --netns "$E1" ADD "$CONF" "bad/id"
refused 4 "ADD without CNI_NETNS" ADD "$CONF" "$E1ID"
refused 4 "ADD with CNI_IFNAME of 16 characters" --force --ifname abcdefghijklmnop --netns "$E1" ADD "$CONF" "$E1ID"
refused 3 "ADD into a netns that does not exist: container unknown" --netns /run/netns/"$PFX"nosuch ADD "$CONF" "$E1ID"
refused 7 "runtimeConfig.ips outside the subnet" --cap '{"ips": ["10.99.0.5/24"]}' --netns "$E1" ADD "$CONF" "$E1ID"
refused "2 7" "runtimeConfig.ips IPv6 only" --cap '{"ips": ["fd00::5/64"]}' --netns "$E1" ADD "$CONF" "$E1ID"
refused 7 "runtimeConfig.mac not a MAC" --cap '{"mac": "zz:zz"}' --netns "$E1" ADD "$CONF" "$E1ID"
refused 7 "a portMapping with hostPort 0" --cap '{"portMappings": [{"hostPort": 0, "containerPort": 80, "protocol": "tcp"}]}' \
	--netns "$E1" ADD "$CONF" "$E1ID"
refused 7 "a portMapping with protocol sctp" --cap '{"portMappings": [{"hostPort": 81, "containerPort": 80, "protocol": "sctp"}]}' \
	--netns "$E1" ADD "$CONF" "$E1ID"
# taken by c2: not a config error, but the ADD fails and leaves nothing
cni --cap '{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}' --netns "$E1" \
	ADD "$CONF" "$E1ID" >"$TMP/out" 2>/dev/null
is "$?/$(json 'd.get("code") is not None' <"$TMP/out" 2>&1)" "1/true" "hostPort 8080 taken by c2: ADD fails with an error object"
is "$(ep_count)/$(port_count)" "2/3" "... and left no endpoint and no port of its own"
check "DEL after that failed ADD succeeds" cni --netns "$E1" DEL "$CONF" "$E1ID"
is "$(port_count)" 3 "... and leaves c2's ports"
cni --cap "{\"ips\": [\"$C2/24\"]}" --netns "$E1" ADD "$CONF" "$E1ID" >"$TMP/out" 2>/dev/null
is "$?/$(ep_count)" "1/2" "runtimeConfig.ips with c2's address: ADD fails, nothing added"
check "c2 still answers at $C2" ns c1 ping -c1 -W2 "$C2"
check "DEL after it succeeds" cni --netns "$E1" DEL "$CONF" "$E1ID"

# ---- capabilities and CNI_ARGS ----------------------------------------------------------------

add ip1 "$TMP/rip" "$CONF" --cap '{"ips": ["10.89.0.50/24"], "mac": "02:aa:bb:cc:dd:01"}'
is "$(addr_of "$TMP/rip" 2>&1)" 10.89.0.50 "runtimeConfig.ips honoured"
is "$(in_mac ip1)" 02:aa:bb:cc:dd:01 "runtimeConfig.mac honoured on eth0"
is "$(jf "$TMP/rip" '[i["mac"] for i in d["interfaces"] if i.get("sandbox")][0]' 2>&1)" 02:aa:bb:cc:dd:01 "... and in the result"
check "ip1 pings c1" ns ip1 ping -c1 -W2 "$C1"
add ip2 "$TMP/rip2" "$CONF" --cap '{"ips": ["10.89.0.51"]}'
is "$(addr_of "$TMP/rip2" 2>&1)" 10.89.0.51 "runtimeConfig.ips without a prefix length honoured"
add ip3 "$TMP/rip3" "$CONF" --args "IgnoreUnknown=1;IP=10.89.0.52;MAC=02:aa:bb:cc:dd:03"
is "$(addr_of "$TMP/rip3" 2>&1) $(in_mac ip3)" "10.89.0.52 02:aa:bb:cc:dd:03" "CNI_ARGS IP= and MAC= honoured"
add n1 "$TMP/rn1" "$CONF" --args "K8S_POD_NAME=dup"
add n2 "$TMP/rn2" "$CONF" --args "K8S_POD_NAME=dup"
is "$(ep_json "$(cid n2)" | json 'd["name"]' 2>&1)" "$(cid n2 | cut -c1-12)" \
	"K8S_POD_NAME taken by another container: named after the ID"
add n3 "$TMP/rn3" "$CONF" --args "K8S_POD_NAME=bad name!"
is "$(ep_json "$(cid n3)" | json 'd["name"]' 2>&1)" "$(cid n3 | cut -c1-12)" \
	"K8S_POD_NAME not a valid name: named after the ID"
for c in n1 n2 n3; do del "$c" "$CONF" >/dev/null 2>&1 || not_ok "DEL $c"; done
new_ns x1
ip -n "$(nsname x1)" link add eth0 type veth peer name own0	# the container's own eth0
refused "2 4 7 11 100" "ADD when CNI_IFNAME exists in the container already: an error (SPEC: MUST)" \
	--netns "$(nspath x1)" ADD "$CONF" "$(cid x1)"
check "... the container's own eth0 is left" own_eth0 x1
check "DEL after it leaves it too" del x1 "$CONF"
check "... still" own_eth0 x1
nocaps=$TMP/nocaps.conflist
bad_conf "$nocaps" 'p["capabilities"] = {"portMappings": True}'
add ip4 "$TMP/rip4" "$nocaps" --cap '{"ips": ["10.89.0.53"]}'
check "ips not in the config's capabilities: not passed, so not honoured" test "$(addr_of "$TMP/rip4")" != 10.89.0.53
for c in ip1 ip2 ip3 ip4; do del "$c" "$CONF" >/dev/null 2>&1 || not_ok "DEL $c"; done
is "$(ep_count)" 2 "the four gone again"

# eth1: a second attachment of one container
add c1 "$TMP/r1b" "$CONF" --ifname eth1 --args "IgnoreUnknown=1;K8S_POD_NAME=web1"
check "a second attachment of c1, ifname eth1" cni_result_ok "$TMP/r1b" 1.0.0 "$(nspath c1)"
is "$(ep_json "$(cid c1)" eth1 | json 'd["name"]' 2>&1)" "web1-eth1" "... named K8S_POD_NAME-eth1"
add c3 "$TMP/r3" "$CONF" --ifname net1
is "$(ep_json "$(cid c3)" net1 | json 'd["name"]' 2>&1)" "$(cid c3 | cut -c1-12)-net1" \
	"no K8S_POD_NAME: named after the ID's first 12 characters, -net1 appended"
check "DEL c3" del c3 "$CONF" --ifname net1
check "DEL of eth1" del c1 "$CONF" --ifname eth1
check_fails "... c1's eth1 is gone" ns c1 ip link show eth1
check "c1's eth0 still there" check_cmd c1 "$CONF"

# ---- chaining: a real plugin after bpfnet-cni -------------------------------------------------

if [ -x "$REF/tuning" ]; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
d["plugins"].append({"type": "tuning", "dataDir": sys.argv[4], "sysctl": {"net.ipv4.conf.eth0.arp_announce": "2"}})
d["plugins"].append({"type": "recorder", "log": sys.argv[3]})
json.dump(d, open(sys.argv[2], "w"))' "$CONF" "$TMP/chain.conflist" "$TMP/rec.log" "$TMP/tuning"
	N=$(trace_count)
	add ch1 "$TMP/rch" "$TMP/chain.conflist"
	check "ADD bpfnet-cni + tuning + recorder" test $? = 0 || diag_file "$TMP/rch.err"
	is "$(ns ch1 sysctl -n net.ipv4.conf.eth0.arp_announce)" 2 "tuning found eth0 from bpfnet-cni's prevResult"
	is "$(trace "req($N + 1)['prevResult'] == json.loads(T[$N]['stdout'])")" true "tuning got bpfnet-cni's result as prevResult"
	check "the final result is still valid" cni_result_ok "$TMP/rch" 1.0.0 "$(nspath ch1)"
	check "CHECK of the chain" check_cmd ch1 "$TMP/chain.conflist"
	N=$(trace_count)
	check "DEL of the chain" del ch1 "$TMP/chain.conflist"
	is "$(trace "[t['plugin'].split('/')[-1] for t in T[$N:]]")" '["recorder", "tuning", "bpfnet-cni"]' "... in reverse order"
	is "$(trace "req(-1)['prevResult'] == json.load(open('$TMP/rch'))")" true "... bpfnet-cni given the cached result"
else
	skip_test "chaining with tuning" "no $REF/tuning"
fi

# ---- CHECK finds what differs ----------------------------------------------------------------

add k1 "$TMP/rk" "$CONF" --cap '{"portMappings": [{"hostPort": 9090, "containerPort": 80, "protocol": "tcp"}]}'
K1=$(addr_of "$TMP/rk")
K1CIDR=$(jf "$TMP/rk" 'd["ips"][0]["address"]')
KCAP='{"portMappings": [{"hostPort": 9090, "containerPort": 80, "protocol": "tcp"}]}'
check "CHECK k1" check_cmd k1 "$CONF" --cap "$KCAP"
check "ip addr del $K1CIDR in k1" ns k1 ip addr del "$K1CIDR" dev eth0
refused 100 "CHECK after 'ip addr del $K1' in the container" --netns "$(nspath k1)" --cap "$KCAP" CHECK "$CONF" "$(cid k1)"
check "... the error names $K1" grep -q "$K1" "$TMP/ref-out"
check "DEL k1 with its address gone" del k1 "$CONF" --cap "$KCAP"
add k1 "$TMP/rk" "$CONF" --cap "$KCAP"
K1=$(addr_of "$TMP/rk")
key=$(python3 -c 'import socket,sys; print(" ".join("0x%02x" % b for b in socket.inet_aton(sys.argv[1])))' "$K1")
# shellcheck disable=SC2086
check "bpftool map delete ep_by_ip $K1" bpftool map delete pinned "$PINS/ep_by_ip" key $key
refused 100 "CHECK after the ep_by_ip entry was deleted" --netns "$(nspath k1)" --cap "$KCAP" CHECK "$CONF" "$(cid k1)"
check "DEL k1 with its map entry gone" del k1 "$CONF" --cap "$KCAP"
add k1 "$TMP/rk" "$CONF" --cap "$KCAP"
pkey=$(bpftool -j map dump pinned "$PINS/portmap4" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    k = [int(b, 16) for b in e["key"]]
    if (k[4] << 8 | k[5]) == 9090:
        print(" ".join("0x%02x" % b for b in k))')
# shellcheck disable=SC2086
check "bpftool map delete portmap4 (hostPort 9090)" bpftool map delete pinned "$PINS/portmap4" key $pkey
refused 100 "CHECK after the published port's entry was deleted" --netns "$(nspath k1)" --cap "$KCAP" CHECK "$CONF" "$(cid k1)"
cp "$CNI_CACHE/results/cninet-$(cid k1)-eth0" "$TMP/k1.cache"
check "DEL k1" del k1 "$CONF" --cap "$KCAP"
ip netns del "$(nsname k1)"
refused 7 "CHECK with no prevResult (no ADD cached): invalid config" --netns "$(nspath k1)" CHECK "$CONF" "$(cid k1)"
cp "$TMP/k1.cache" "$CNI_CACHE/results/cninet-$(cid k1)-eth0"
refused "3 100" "CHECK of a DELeted attachment, its old result as prevResult" --netns "$(nspath k1)" CHECK "$CONF" "$(cid k1)"
rm -f "$CNI_CACHE/results/cninet-$(cid k1)-eth0"

# ---- DEL idempotent ----------------------------------------------------------------------------

add d1 "$TMP/rd" "$CONF" --cap '{"portMappings": [{"hostPort": 9191, "containerPort": 80, "protocol": "tcp"}]}'
D1HOST=$(ep_json "$(cid d1)" | json 'd["host_ifname"]')
ip netns del "$(nsname d1)"
check "DEL after the container's netns is gone" cni --netns "$(nspath d1)" DEL "$CONF" "$(cid d1)"
check_fails "... its host veth $D1HOST is gone" ip -n "$NODE" link show "$D1HOST"
check_fails "... its endpoint is gone" ep_json "$(cid d1)"
is "$(bn --json port ls | json '[p for p in d if p["host_port"] == 9191]')" "[]" "... its port is gone"
check "DEL again, netns and all gone" cni --netns "$(nspath d1)" DEL "$CONF" "$(cid d1)"
check "DEL with CNI_NETNS empty" cni DEL "$CONF" "$(cid d1)"
check "DEL of an attachment never added" cni --netns "$(nspath c1)" --ifname eth7 DEL "$CONF" "$(cid never)"
bad_conf "$TMP/b-gone.conflist" 'd["name"] = "nosuchnet"; p["subnet"] = "10.91.0.0/24"; p["gateway"] = "10.91.0.1"'
check "DEL on a network that does not exist" cni --netns "$(nspath c1)" DEL "$TMP/b-gone.conflist" "$(cid c1)"
check_fails "... created nothing" grep_out nosuchnet bn --json network ls

# ---- ADD cut short ----------------------------------------------------------------------------

new_ns kx
cni --netns "$(nspath kx)" ADD "$CONF" "$(cid kx)" >/dev/null 2>&1
win=$(trace "int(T[-1]['seconds'] * 1000)")	# the plugin's own run, from its exec to its exit
del kx "$CONF" >/dev/null 2>&1
[ "$win" -gt 2 ] || win=3
diag "ADD takes ${win} ms here: $KILLS kills at random points of it (CNI_SEED=$SEED repeats them)"
hits=0 bad="" rounds=0
before=$(footprint)
base_eps=$(ep_count)
# until KILLS kills came while the ADD ran (4 x KILLS rounds at most)
while [ "$hits" -lt "$KILLS" ] && [ "$rounds" -lt $((4 * KILLS)) ]; do
	rounds=$((rounds + 1))
	ms=$((RANDOM % win + 1))
	cni --kill-after "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))" --netns "$(nspath kx)" ADD "$CONF" "$(cid kx)" >/dev/null 2>&1
	[ $? = 137 ] && hits=$((hits + 1))
	add kx "$TMP/rkx" "$CONF" || bad+="ADD after a kill at $ms ms failed: $(head -c 300 "$TMP/rkx"); "
	check_cmd kx "$CONF" >/dev/null 2>&1 || bad+="CHECK after the ADD after a kill at $ms ms failed; "
	[ "$(ep_count)" = "$((base_eps + 1))" ] ||
		bad+="after a kill at $ms ms: $(ep_count) endpoints; "
	del kx "$CONF" >/dev/null 2>&1 || bad+="DEL after a kill at $ms ms failed; "
done
is "$bad" "" "ADD after an ADD SIGKILLed mid-way succeeds, CHECK passes, DEL works ($hits kills of $rounds hit a running ADD)"
is "$hits" "$KILLS" "... $KILLS kills came while the ADD ran (in $rounds rounds)"
is "$(footprint)" "$before" "... and nothing is left of the killed ADDs"
is "$(no_journal)" none "... no journal record pending"
add kx "$TMP/rkx1" "$CONF"
add kx "$TMP/rkx2" "$CONF"
check "a second ADD of the same attachment succeeds" test $? = 0
is "$(bn --json endpoint ls | json "len([e for e in d if e.get('container_id') == '$(cid kx)'])")" 1 "... and there is one endpoint of it"
check "... which works" ns kx ping -c1 -W2 "$C1"
check "... CHECK passes" check_cmd kx "$CONF"
check "DEL kx" del kx "$CONF"

# ---- GC ------------------------------------------------------------------------------------------

for c in g1 g2 g3; do
	add $c "$TMP/r$c" "$CONF11" --cap "{\"portMappings\": [{\"hostPort\": 92${c#g}0, \"containerPort\": 80, \"protocol\": \"tcp\"}]}" ||
		not_ok "ADD $c"
done
before=$(ep_count)
check "GC (the plugin's own, no DEL by the runtime) with c1, c2 and g1 valid" \
	cni --no-cache-del GC "$CONF11" "$(cid c1)/eth0" "$(cid c2)/eth0" "$(cid g1)/eth0"
is "$(ep_count)" $((before - 2)) "... removed g2 and g3"
check_fails "... g2's endpoint is gone" ep_json "$(cid g2)"
is "$(bn --json port ls | json 'sorted(p["host_port"] for p in d if p["host_port"] >= 9200)')" "[9210]" "... and their ports"
check "... g1 still works" ns g1 ping -c1 -W2 "$C1"
check "... c2's published port still answers" tcp_get ext "$NODE_IP" 8080
for c in g1 g2 g3; do del $c "$CONF11" >/dev/null 2>&1 || not_ok "DEL $c after GC"; done
ok "DEL of g1, and of g2 and g3 after GC removed them"

# ---- STATUS ----------------------------------------------------------------------------------

check "STATUS (1.1.0)" cni STATUS "$CONF11"

# ---- bridge mode ---------------------------------------------------------------------------

conf "$TMP/br.conflist" 1.0.0 brnet 10.92.0.0/24 10.92.0.1 bridge
add b1 "$TMP/rb1" "$TMP/br.conflist" && add b2 "$TMP/rb2" "$TMP/br.conflist"
check "two ADDs on a bridge-mode network" test $? = 0
check "b1 pings b2" ns b1 ping -c1 -W2 "$(addr_of "$TMP/rb2")"
check_fails "b1 does not reach c1 (another network)" ns b1 ping -c1 -W1 "$C1"
check "GC of cninet (c1, c2 valid) leaves brnet's b1 and b2" \
	cni --no-cache-del GC "$CONF11" "$(cid c1)/eth0" "$(cid c2)/eth0"
is "$(bn --json endpoint ls | json 'sorted(e["network"] for e in d)')" '["brnet", "brnet", "cninet", "cninet"]' \
	"... every endpoint still there"
check "... b1 still pings b2" ns b1 ping -c1 -W2 "$(addr_of "$TMP/rb2")"
del b1 "$TMP/br.conflist" && del b2 "$TMP/br.conflist"
result $? "DEL b1 and b2"

# ---- 50 concurrent ADDs, then DELs ----------------------------------------------------------

del c1 "$CONF" >/dev/null 2>&1
del c2 "$CONF" --cap "$PM" >/dev/null 2>&1
is "$(footprint)" "endpoints=0 ports=0 veths=0 ep_by_ip=0 ep_by_ifindex=0 portmap4=0 backends4=0" \
	"every container DELeted: nothing left"
P=50
for i in $(seq $P); do new_ns "p$i"; done
# the CLI reading all along: neither may deadlock the other
( while :; do bn --json endpoint ls >/dev/null 2>&1; bn --json status >/dev/null 2>&1; done ) 9>&- &
CLI_LOOP=$!
BG_PIDS+=("$CLI_LOOP")
pids=()
for i in $(seq $P); do
	CNI_TIMEOUT=120 add "p$i" "$TMP/rp$i" "$CONF" \
		--cap "{\"portMappings\": [{\"hostPort\": $((10000 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]}" &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "$P concurrent ADDs succeed" || for i in $(seq $P); do
	[ -s "$TMP/rp$i.err" ] && { diag "p$i:"; diag_file "$TMP/rp$i"; diag_file "$TMP/rp$i.err"; break; }
done
is "$(for i in $(seq $P); do addr_of "$TMP/rp$i" 2>/dev/null; done | sort | uniq -d | wc -l)" 0 "no address given twice"
is "$(for i in $(seq $P); do ns "p$i" ip -4 -o addr show eth0 2>/dev/null | awk '{print $4}'; done | sort -u | wc -l)" $P \
	"$P containers with $P distinct addresses on eth0"
is "$(footprint)" "endpoints=$P ports=$P veths=$P ep_by_ip=$P ep_by_ifindex=$P portmap4=$P backends4=$P" \
	"$P endpoints, ports, veths and map entries"
servers p7 >/dev/null 2>&1
is "$(tcp_get ext "$NODE_IP" 10007)" "$EXT_IP" "p7's published port answers"
check "p1 pings p$P" ns p1 ping -c1 -W2 "$(addr_of "$TMP/rp$P")"
pids=()
for i in $(seq $P); do
	CNI_TIMEOUT=120 del "p$i" "$CONF" >"$TMP/dp$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
is "$fails" 0 "$P concurrent DELs succeed (with the CLI reading all along)"
kill "$CLI_LOOP" 2>/dev/null
wait "$CLI_LOOP" 2>/dev/null
is "$(footprint)" "endpoints=0 ports=0 veths=0 ep_by_ip=0 ep_by_ifindex=0 portmap4=0 backends4=0" \
	"nothing left: no endpoint, port, host veth, ep_by_ip/ep_by_ifindex/portmap4/backends4 entry"
left=0
for i in $(seq $P); do ns "p$i" ip link show eth0 >/dev/null 2>&1 && left=$((left + 1)); done
is "$left" 0 "no container has an eth0 left"
is "$(no_journal)" none "no journal record pending"
check "bpfnet check finds nothing wrong" bn check

# ---- DEL with all bpfnet state gone ----------------------------------------------------------

add z1 "$TMP/rz" "$CONF"
check "bpfnet down (all state gone) with z1 attached" bn down
check "DEL of z1 succeeds" del z1 "$CONF"
check "DEL of z1 again" del z1 "$CONF"
rm -rf "${BPFNET_RUN_DIR:?}/$INST"
check "DEL with the run dir gone too" del z1 "$CONF"
bad_conf "$TMP/b-uplink.conflist" 'p["uplinks"] = ["nosuchdev0"]' "$CONF11"
refused "50 51" "STATUS of a dataplane that cannot start (uplink nosuchdev0 missing)" STATUS "$TMP/b-uplink.conflist"

done_testing
