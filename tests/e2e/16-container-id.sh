#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The runtime's identity of an attachment (CNI): a 64-hex container ID kept with the endpoint
# and found again by (ID, ifname), a second (ID, ifname) refused with nothing changed; a MAC
# given for the container side, used there, in the maps, in the FDB of a bridge network and by
# real traffic, refused when the network has it already.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet/$INST"
ID=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
ID2=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
MAC=02:11:22:33:44:55
BMAC=02:aa:00:00:00:07

# ---- helpers ------------------------------------------------------------------------------

links_of() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }

SNAP_NS="c1 c2"
snapshot() {
	local c m
	bn --json endpoint ls
	bn --json fdb ls | json "[{k: v for k, v in e.items() if k != 'age_ms'} for e in d]"
	cat "$BPFNET_RUN_DIR/$INST/state.json"
	links_of "$NODE"
	for c in $SNAP_NS; do
		links_of "$PFX$c"
		ip -n "$PFX$c" -o addr show
		ip -n "$PFX$c" route show
	done
	for m in ep_by_ip ep_by_ifindex flood_ports; do bpftool -j map dump pinned "$PINS/$m"; done
	# the fdb's keys only: traffic refreshes a learned entry's last_seen_ns between two
	# snapshots, and fdb ls above has its values (age left out)
	bpftool -j map dump pinned "$PINS/fdb" | json "sorted(str(e['key']) for e in d)"
}

# ep_field NAME KEY: a key of endpoint NAME's JSON
ep_field() { bn --json endpoint show "$1" | json "d['$2']"; }
# map_mac IP: the container MAC ep_by_ip holds for IP, as aa:bb:..
map_mac() {
	bpftool -j map lookup pinned "$PINS/ep_by_ip" key $(tr . ' ' <<<"$1") |
		json "':'.join('%02x' % int(b, 16) for b in d['value'][16:22])"
}
link_mac() { ip -n "$PFX$1" -j link show "$2" | json "d[0]['address']"; }

# ---- setup ----------------------------------------------------------------------------------

bn init --uplink "$UPLINK" >/dev/null || bail "init failed"
bn network create n1 --subnet 10.10.0.0/24 >/dev/null || bail "network create n1 failed"
bn network create b1 --subnet 10.20.0.0/24 --mode bridge >/dev/null ||
	bail "network create b1 failed"
new_ns c1 c2 c3 c4

# ---- the container ID ----------------------------------------------------------------------

check "endpoint add --container-id of 64 hex characters" \
	bn endpoint add n1 --netns "$(nsname c1)" --name c1 --container-id "$ID"
is "$(ep_field c1 container_id)" "$ID" "endpoint show --json: container_id"
is "$(bn --json endpoint ls | json "[e['container_id'] for e in d if e['name'] == 'c1'][0]")" \
	"$ID" "endpoint ls --json: container_id"
check "endpoint show: the container in words" grep_out "^container: $ID\$" bn endpoint show c1
check "endpoint ls: the short ID as a column" grep_out "^c1 .* ${ID:0:12} " bn endpoint ls
is "$(bn --json endpoint show --container-id "$ID" | json "d['name']")" "c1" \
	"endpoint show --container-id: found (ifname eth0 by default)"
check "the same container on a second network, at net1" \
	bn endpoint add b1 --netns "$(nsname c1)" --name c1-net1 --ifname net1 --container-id "$ID"
is "$(bn --json endpoint show --container-id "$ID" --ifname net1 | json "d['name']")" "c1-net1" \
	"endpoint show --container-id --ifname net1: the other one"
bn endpoint show --container-id "$ID" --ifname net2 >"$TMP/out" 2>"$TMP/err"
is "$?" 1 "no endpoint of the container at net2: exit 1"
check "... in words" grep -q "no endpoint of container $ID at net2" "$TMP/err"
check "an endpoint without --container-id has container_id null" \
	bn endpoint add n1 --netns "$(nsname c2)" --name c2
is "$(ep_field c2 container_id)" "null" "... (null in JSON)"

refused_with 1 "a second endpoint for (ID, eth0) is refused, nothing changed" \
	"container $ID already has an interface eth0: endpoint 'c1'" \
	bn endpoint add n1 --netns "$(nsname c3)" --name c3 --container-id "$ID"
refused_with 2 "a container ID with '/' is refused" "invalid container ID 'bad/id'" \
	bn endpoint add n1 --netns "$(nsname c3)" --name c3 --container-id bad/id
refused_with 2 "a container ID of 128 characters is refused" "1-127 letters" \
	bn endpoint add n1 --netns "$(nsname c3)" --name c3 --container-id "$ID$ID"

# ---- the MAC ------------------------------------------------------------------------------------

check "endpoint add --mac (l3)" \
	bn endpoint add n1 --netns "$(nsname c3)" --name c3 --mac "$MAC" --container-id "$ID2"
C3_IP=$(bn --json endpoint show c3 | json "d['ip']")
is "$(ep_field c3 mac)" "$MAC" "endpoint show: the MAC given"
is "$(link_mac c3 eth0)" "$MAC" "the container side has it"
is "$(map_mac "$C3_IP")" "$MAC" "ep_by_ip holds it"
C1_IP=$(bn --json endpoint show c1 | json "d['ip']")
# the datapath drops frames whose source MAC is not the endpoint's: traffic shows all agree
check "c3 (given MAC) pings c1" ns c3 ping -c1 -W2 "$C1_IP"

check "endpoint add --mac (bridge)" \
	bn endpoint add b1 --netns "$(nsname c4)" --name c4 --mac "${BMAC^^}"
C4_IP=$(bn --json endpoint show c4 | json "d['ip']")
is "$(link_mac c4 eth0)" "$BMAC" "bridge: the container side has it (upper case given)"
is "$(map_mac "$C4_IP")" "$BMAC" "bridge: ep_by_ip holds it"
check "bridge: the FDB has it, static, behind c4" \
	grep_out "b1 .*$BMAC .*c4 .*static" bn fdb ls b1
C1B_IP=$(bn --json endpoint show c1-net1 | json "d['ip']")
check "bridge: c4 (given MAC) pings c1's net1" ns c4 ping -c1 -W2 "$C1B_IP"
check "bridge: c1 learned c4's MAC for its address" \
	grep_out "$C4_IP .*lladdr $BMAC" ip -n "$PFX"c1 neigh show dev net1

SNAP_NS="c1 c2 c3 c4"
new_ns c5
refused_with 1 "a MAC the network has is refused, nothing changed" \
	"MAC $BMAC is already used in network 'b1' by endpoint 'c4'" \
	bn endpoint add b1 --netns "$(nsname c5)" --name c5 --mac "$BMAC"
GW_MAC=$(bn --json network show b1 | json "d['gateway_mac']")
refused_with 1 "the bridge gateway's MAC is refused" "is the gateway's of network 'b1'" \
	bn endpoint add b1 --netns "$(nsname c5)" --name c5 --mac "$GW_MAC"
refused_with 2 "a multicast MAC is refused" "multicast" \
	bn endpoint add n1 --netns "$(nsname c5)" --name c5 --mac 01:00:5e:00:00:01
refused_with 2 "an all-zero MAC is refused" "all zero" \
	bn endpoint add n1 --netns "$(nsname c5)" --name c5 --mac 00:00:00:00:00:00
refused_with 2 "a MAC that is no MAC is refused" "invalid MAC 'zz:zz'" \
	bn endpoint add n1 --netns "$(nsname c5)" --name c5 --mac zz:zz
check "the MAC of b1's c4 is free in n1" \
	bn endpoint add n1 --netns "$(nsname c5)" --name c5 --mac "$BMAC"

# ---- kept ---------------------------------------------------------------------------------------

check "endpoint rm c1" bn endpoint rm c1
check "its (ID, eth0) is free again" \
	bn endpoint add n1 --netns "$(nsname c1)" --name c1b --container-id "$ID"
is "$(bn --json endpoint show --container-id "$ID" | json "d['name']")" "c1b" \
	"... and found as the new endpoint"
check "check: consistent" bn check

done_testing
