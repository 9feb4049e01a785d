#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet-cni run as a runtime runs it (CNI_* environment, config on stdin,
# result on stdout), on real packets: VERSION with podman's dummy environment,
# the first ADD initialising the dataplane and making the network (no bpfnet
# init before), two containers talking, a published port answering from
# outside, CHECK finding a removed address, GC, STATUS, and DEL leaving
# nothing. The systematic harness is 80-cni.sh.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PLUGIN_BUILT=$REPO_DIR/build/bpfnet-cni
[ -x "$PLUGIN_BUILT" ] || bail "$PLUGIN_BUILT is missing: run make first"
PLUGIN=$TMP/bpfnet-cni
cp "$PLUGIN_BUILT" "$PLUGIN" || bail "cannot copy the plugin"
SUBNET=10.89.0.0/24
GW=10.89.0.1
CID1=$(printf 'a%.0s' {1..64})
CID2=$(printf 'b%.0s' {1..64})

# conf [RUNTIMECONFIG]: the plugin's config as libcni passes a conflist's first plugin
# ($VER its cniVersion, $EXTRA more keys: ', "prevResult": {...}')
VER=1.0.0
EXTRA=""
conf() {
	cat <<JSON
{"cniVersion": "$VER", "name": "cninet", "type": "bpfnet-cni", "mode": "l3",
 "subnet": "$SUBNET", "gateway": "$GW", "uplinks": ["$UPLINK"], "instance": "$INST",
 "dns": {"nameservers": ["$GW"]}, "unknownKey": {"ignored": true},
 "runtimeConfig": ${1:-{\}}$EXTRA}
JSON
}

# cni COMMAND ID NETNS [RUNTIMECONFIG] [CNI_ARGS]: the plugin in the node netns; its stdout
cni() {
	conf "${4:-}" | timeout -k 5 60 ip netns exec "$NODE" env CNI_COMMAND="$1" \
		CNI_CONTAINERID="$2" CNI_NETNS="$3" CNI_IFNAME=eth0 CNI_PATH=/nonexistent \
		CNI_ARGS="${5:-IgnoreUnknown=1}" "$PLUGIN"
}

new_ns c1 c2
NS1=/run/netns/$(nsname c1)
NS2=/run/netns/$(nsname c2)

out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION CNI_CONTAINERID= CNI_NETNS=dummy \
	CNI_IFNAME=dummy CNI_PATH=dummy "$PLUGIN")
is "$(json 'd["cniVersion"] + " " + ",".join(d["supportedVersions"])' <<<"$out")" \
	"1.0.0 0.3.0,0.3.1,0.4.0,1.0.0,1.1.0" "VERSION with podman's dummy environment"

is "$(bn --json status | json 'd["initialized"]')" false "no dataplane before the first ADD"
r1=$(cni ADD "$CID1" "$NS1" '' 'IgnoreUnknown=1;K8S_POD_NAME=web1')
is "$(bn --json status | json 'd["initialized"]')" true "ADD c1 initialised the node"
is "$(json 'd["ips"][0]["address"] + " " + d["ips"][0]["gateway"]' <<<"$r1")" \
	"10.89.0.2/24 $GW" "ADD c1: the first address, the gateway"
is "$(json '[i.get("sandbox", "") for i in d["interfaces"]][1] + " " + str(d["ips"][0]["interface"])' <<<"$r1")" \
	"$NS1 1" "ADD c1: the sandbox interface, its index"
is "$(json 'd["dns"]["nameservers"][0] + " " + d["routes"][0]["dst"]' <<<"$r1")" "$GW 0.0.0.0/0" \
	"ADD c1: dns from the config, the default route"
is "$(bn --json endpoint show web1 | json 'd["container_id"]')" "$CID1" \
	"ADD c1: endpoint web1 (K8S_POD_NAME) records the container ID"
mac1=$(ns c1 cat /sys/class/net/eth0/address)
is "$(json 'd["interfaces"][1]["mac"]' <<<"$r1")" "$mac1" "ADD c1: the result's MAC is eth0's"

r2=$(cni ADD "$CID2" "$NS2" \
	'{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}' \
	'IgnoreUnknown=1;IP=10.89.0.50;MAC=02:00:00:00:00:50')
is "$(json 'd["ips"][0]["address"] + " " + d["interfaces"][1]["mac"]' <<<"$r2")" \
	"10.89.0.50/24 02:00:00:00:00:50" "ADD c2: IP= and MAC= of CNI_ARGS"
check "ADD c2: endpoint named by the ID's first 12 characters" bn endpoint show "${CID2:0:12}"

check "c1 pings c2" ns c1 ping -c1 -W2 10.89.0.50
bg timeout 60 ip netns exec "$(nsname c2)" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hello-from-c2'
wait_until 5 tcp_listening c2 80 || diag "c2's server did not start"
is "$(tcp_get ext "$NODE_IP" 8080)" "hello-from-c2" "published 8080 answers from outside"

PM2='{"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}'
EXTRA=", \"prevResult\": $r2"
check "CHECK c2 right after ADD" cni CHECK "$CID2" "$NS2" "$PM2"
ip -n "$(nsname c2)" addr del 10.89.0.50/24 dev eth0
out=$(cni CHECK "$CID2" "$NS2" "$PM2")
is "$(json 'str(d["code"]) + " " + str("10.89.0.50" in d["details"])' <<<"$out")" "100 True" \
	"CHECK c2 after its address was removed: code 100 naming it"
EXTRA=""
VER=1.1.0
check "STATUS: ready" cni STATUS "" ""
out=$(EXTRA=", \"cni.dev/valid-attachments\": [{\"containerID\": \"$CID1\", \"ifname\": \"eth0\"}]" cni GC "" "")
is "$out" "" "GC keeping c1 only: no output"
is "$(bn endpoint ls -q | tr '\n' ' ')" "web1 " "GC removed c2, kept c1"
VER=1.0.0
check "DEL c1" cni DEL "$CID1" "$NS1"
check "DEL c1 again" cni DEL "$CID1" "$NS1"
check "DEL c2 (gone by GC) with no netns given" cni DEL "$CID2" ""
is "$(bn endpoint ls -q | wc -l)" 0 "no endpoint left"
is "$(bn port ls | grep -c 8080)" 0 "no published port left"
is "$(ip -n "$NODE" -o link show type veth | awk -F': ' '{print $2}' | sed 's/@.*//' | tr '\n' ' ')" \
	"$UPLINK " "no host veth left, the uplink alone"
ns c2 ip -o link show eth0 >/dev/null 2>&1 && not_ok "c2 has no eth0 left" || ok "c2 has no eth0 left"

# a config of `bpfnet cni config`, as libcni gives its plugin to the plugin
new_ns c3
check "bpfnet cni config" sh -c "'$BPFNET' --instance '$INST' cni config cfgnet --subnet 10.91.0.0/24 \
	--uplink '$UPLINK' --dns-server 10.91.0.1 >'$TMP/cfgnet.conflist'"
is "$(json 'd["cniVersion"] + " " + d["plugins"][0]["type"] + " " + str(sorted(d["plugins"][0]["capabilities"]))' \
	<"$TMP/cfgnet.conflist")" "1.0.0 bpfnet-cni ['ips', 'mac', 'portMappings']" \
	"cni config: a 1.0.0 conflist of bpfnet-cni with its capabilities"
python3 -c 'import json, sys; l = json.load(open(sys.argv[1])); p = l["plugins"][0]
p.update(name=l["name"], cniVersion=l["cniVersion"]); print(json.dumps(p))' "$TMP/cfgnet.conflist" \
	>"$TMP/cfgnet.json"
r3=$(ip netns exec "$NODE" env CNI_COMMAND=ADD CNI_CONTAINERID=c3 CNI_NETNS="/run/netns/$(nsname c3)" \
	CNI_IFNAME=eth0 "$PLUGIN" <"$TMP/cfgnet.json")
is "$(json 'd["ips"][0]["address"] + " " + d["dns"]["nameservers"][0]' <<<"$r3")" \
	"10.91.0.2/24 10.91.0.1" "ADD with that config"
check "DEL with that config" sh -c "ip netns exec '$NODE' env CNI_COMMAND=DEL CNI_CONTAINERID=c3 \
	CNI_IFNAME=eth0 '$PLUGIN' <'$TMP/cfgnet.json'"

VER=1.1.0
out=$(conf | sed "s/\"$UPLINK\"/\"nosuchdev0\"/; s/\"$INST\"/\"${INST:0:28}-new\"/" |
	ip netns exec "$NODE" env CNI_COMMAND=STATUS "$PLUGIN")
is "$(json 'd["code"]' <<<"$out")" 50 "STATUS with uplink nosuchdev0 and no dataplane: 50"

done_testing
