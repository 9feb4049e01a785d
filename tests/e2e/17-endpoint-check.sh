#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpfnet endpoint check (what a CNI runtime's CHECK asks): clean on fresh endpoints (l3 and
# bridge, with a published port); then each thing made by endpoint add or port add taken away
# or changed behind bpfnet's back, the way an admin or a bug would, found with its kind and
# object, and the other endpoint still clean: the container's address (ip addr del), its
# routes, a map entry (bpftool on the pinned map), a downed link on either end, a MAC and an
# MTU changed, the FDB entry, a published port's frontend; finally a netns that is gone is one
# issue. Exit 1 when something differs, 0 when not; --json as bpfnet check's.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet/$INST"

# ---- helpers ------------------------------------------------------------------------------

# run_check EP: endpoint check --json EP into $OUT, its exit status into $RC
run_check() {
	OUT=$(bn --json endpoint check "$1" 2>"$TMP/err")
	RC=$?
}
# kinds: the "kind object" lines of $OUT, sorted
kinds() { json '"\n".join(sorted(i["kind"] + " " + i["object"] for i in d))' <<<"$OUT"; }

# found EP KIND OBJECT DESC: endpoint check EP says KIND about OBJECT, and exits 1
found() {
	run_check "$1"
	if [ "$RC" = 1 ] && grep -qxF -- "$2 $3" <<<"$(kinds)"; then
		ok "$4"
	else
		not_ok "$4"
		diag "want '$2 $3' and exit 1; exit $RC; found:"
		diag "$(kinds 2>/dev/null)"
		diag_file "$TMP/err"
	fi
}
# clean EP DESC: endpoint check EP finds nothing and exits 0
clean() {
	run_check "$1"
	if [ "$RC" = 0 ] && [ "$OUT" = "[]" ]; then
		ok "$2"
	else
		not_ok "$2"
		diag "exit $RC: $OUT"
		diag_file "$TMP/err"
	fi
}
ip_of() { bn --json endpoint show "$1" | json "d['ip']"; }
field() { bn --json endpoint show "$1" | json "d['$2']"; }
bytes_of() { tr . ' ' <<<"$1"; }

# ---- fresh endpoints ------------------------------------------------------------------------

bn init --uplink "$UPLINK" >/dev/null || bail "init failed"
bn network create n1 --subnet 10.30.0.0/24 >/dev/null || bail "network create n1"
bn network create b1 --subnet 10.31.0.0/24 --mode bridge >/dev/null || bail "network create b1"
new_ns c1 c2 b1 b2
for c in c1 c2; do
	bn endpoint add n1 --netns "$(nsname $c)" --name $c >/dev/null || bail "endpoint add $c"
done
for c in b1 b2; do
	bn endpoint add b1 --netns "$(nsname $c)" --name $c >/dev/null || bail "endpoint add $c"
done
bn port add c1 8080:80 >/dev/null || bail "port add c1"
C1_IP=$(ip_of c1)
B1_IP=$(ip_of b1)
C1_WHERE="eth0 in $(field c1 netns)"

clean c1 "a fresh l3 endpoint with a published port: nothing found, exit 0"
clean b1 "a fresh bridge endpoint: nothing found"
check "in words: as it was made" grep_out "^endpoint c1: as it was made" bn endpoint check c1
bn endpoint check nope >/dev/null 2>"$TMP/err"
is "$?" 1 "endpoint check of no endpoint: exit 1"
check "... in words" grep -q "no endpoint 'nope'" "$TMP/err"
bn endpoint check >/dev/null 2>&1
is "$?" 2 "endpoint check without a name: exit 2"

# ---- the container's address and routes ----------------------------------------------------------

ns c1 ip addr del "$C1_IP/24" dev eth0
found c1 address_missing "$C1_IP/24" "a removed address is found"
check "... in words, naming the address" grep_out "does not have $C1_IP/24" bn endpoint check c1
found c1 route_missing "10.30.0.0/24 dev eth0" "... and the subnet route that went with it"
clean c2 "the other endpoint is still clean"
ns c1 ip addr add "$C1_IP/16" dev eth0
found c1 address_missing "$C1_IP/24" "the address with another prefix is found"
ns c1 ip addr del "$C1_IP/16" dev eth0
ns c1 ip addr add "$C1_IP/24" dev eth0
ns c1 ip route replace default via 10.30.0.1 dev eth0
clean c1 "the address and routes put back: clean again"

ns c1 ip route del default
found c1 route_missing "default via 10.30.0.1 dev eth0" "a removed default route is found"
ns c1 ip route add default via 10.30.0.1 dev eth0
ns c1 ip route del 10.30.0.0/24 dev eth0
found c1 route_missing "10.30.0.0/24 dev eth0" "a removed subnet route is found"
ns c1 ip route add 10.30.0.0/24 dev eth0 src "$C1_IP"
clean c1 "routes put back: clean"

# ---- the maps --------------------------------------------------------------------------------------

bpftool map delete pinned "$PINS/ep_by_ip" key $(bytes_of "$C1_IP")
found c1 map_entry_missing "ep_by_ip[$C1_IP]" "a deleted ep_by_ip entry is found"
clean c2 "the other endpoint is still clean"
bn check --repair >/dev/null
clean c1 "repaired by bpfnet check --repair: clean"

IFX=$(field c2 host_ifindex)
bpftool map delete pinned "$PINS/ep_by_ifindex" key $(printf '%d %d %d %d' $((IFX & 255)) \
	$((IFX >> 8 & 255)) $((IFX >> 16 & 255)) $((IFX >> 24)))
found c2 map_entry_missing "ep_by_ifindex[$IFX]" "a deleted ep_by_ifindex entry is found"
bn check --repair >/dev/null

B1_MAC=$(field b1 mac)
N_ID=$(bn --json network show b1 | json "d['id']")
bpftool map delete pinned "$PINS/fdb" key $(printf '%d 0 0 0 ' "$N_ID") \
	$(tr : ' ' <<<"$B1_MAC" | sed 's/\([0-9a-f][0-9a-f]\)/0x\1/g') 0 0
found b1 map_entry_missing "fdb[b1 $B1_MAC]" "a deleted static FDB entry is found"
clean b2 "the other bridge endpoint is clean"
bn check --repair >/dev/null
clean b1 "repaired: clean"

# the frontend of c1's published port: its backend stays, leading to c1, where no port names it
bpftool map delete pinned "$PINS/portmap4" key 0 0 0 0 0x1f 0x90 6 0
run_check c1
if [ "$RC" = 1 ] && grep -q "^stray_map_entry backends4\[" <<<"$(kinds)" &&
	grep -qF "to $C1_IP:80" <<<"$OUT"; then
	ok "a deleted portmap4 entry is found (its backend to c1:80 left alone)"
else
	not_ok "a deleted portmap4 entry is found (its backend to c1:80 left alone)"
	diag "exit $RC: $OUT"
fi
clean c2 "the other endpoint is clean"
bn check --repair >/dev/null
check "port add again after the repair" bn port add c1 8080:80
clean c1 "clean with the port published again"

# ---- the links ---------------------------------------------------------------------------------------

HOST_IF=$(field c1 host_ifname)
ip -n "$NODE" link set "$HOST_IF" down
found c1 link_down "$HOST_IF" "the host veth set down is found"
ip -n "$NODE" link set "$HOST_IF" up
ns c1 ip link set eth0 down
found c1 link_down "$C1_WHERE" "the container side set down is found"
ns c1 ip link set eth0 up
ns c1 ip route replace default via 10.30.0.1 dev eth0
ns c1 ip link set eth0 address 02:00:00:00:00:99
found c1 mac_differs "$C1_WHERE" "a changed container MAC is found"
ns c1 ip link set eth0 address "$(field c1 mac)"
ns c1 ip link set eth0 mtu 1280
found c1 mtu_differs "$C1_WHERE" "a changed container MTU is found"
ns c1 ip link set eth0 mtu "$(field c1 mtu)"
ip -n "$NODE" link set "$HOST_IF" address 02:00:00:00:00:98
found c1 mac_differs "$HOST_IF" "a changed host veth MAC is found"
ip -n "$NODE" link set "$HOST_IF" address "$(field c1 host_mac)"
clean c1 "everything put back: clean"
check "traffic agrees: c2 pings c1" ns c2 ping -c1 -W2 "$C1_IP"

# ---- gone --------------------------------------------------------------------------------------------

ip netns del "$(nsname c2)"
run_check c2
is "$RC:$(kinds)" "1:netns_missing $(field c2 netns)" "a netns that is gone: one issue, exit 1"
check "... in words" grep_out "is gone" bn endpoint check c2
check "endpoint rm of it" bn endpoint rm c2
clean c1 "c1 is clean after all that"

done_testing
