#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Cleanup: endpoint rm, endpoint rm after the container netns is gone, down with
# endpoints attached; and the test sandbox itself: a test that fails or is
# interrupted leaves nothing behind, and the whole setup runs twice in a row.
source "$(dirname "$0")/lib.sh"
sandbox_setup

PINS="$BPFNET_BPFFS/bpfnet/$INST"

links_of() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; }
has_link() { grep -qx -- "$2" <<<"$(links_of "$1")"; }
map_has_ip() { # map_has_ip IP: ep_by_ip has a key for IP
	bpftool -j map dump pinned "$PINS/ep_by_ip" |
		python3 -c '
import json, socket, sys
keys = {bytes(int(b, 16) for b in e["key"]) for e in json.load(sys.stdin)}
sys.exit(0 if socket.inet_aton(sys.argv[1]) in keys else 1)' "$1"
}
ep_names() { bn --json endpoint ls | json '",".join(sorted(e["name"] for e in d))'; }
stat_names() { bn --json stats | json '",".join(sorted(e["name"] for e in d["endpoints"]))'; }
host_if() { bn --json endpoint show "$1" | json 'd["host_ifname"]'; }

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.10.0.0/24
new_ns c1 c2 c3 d1 d2 d3
for c in c1 c2 c3; do
	check "endpoint add $c" bn endpoint add n1 --netns "$(nsname $c)" --name $c || bail "add $c"
done
C1_IP=$(bn --json endpoint show c1 | json 'd["ip"]')
C1_HOST=$(host_if c1)
check "c2 pings c1" ns c2 ping -c1 -W2 "$C1_IP"
check "c1 is in the datapath map" map_has_ip "$C1_IP"

# ---- endpoint rm ---------------------------------------------------------------------------

check "endpoint rm c1" bn endpoint rm c1
check_fails "its host veth $C1_HOST is gone from the node" has_link "$NODE" "$C1_HOST"
check_fails "its eth0 is gone from the container netns" has_link "$(nsname c1)" eth0
is "$(ip -n "$NODE" route show "$C1_IP/32")" "" "the node's /32 route to $C1_IP is gone"
is "$(ep_names)" "c2,c3" "c1 is gone from endpoint ls"
is "$(stat_names)" "c2,c3" "c1 is gone from stats"
check_fails "c1 is gone from the datapath map" map_has_ip "$C1_IP"
check_fails "show c1 fails" bn endpoint show c1
check_fails "c2 cannot reach c1's old address" ns c2 ping -c1 -W1 "$C1_IP"
check "the container netns itself is left alone" ip netns exec "$(nsname c1)" true
check_fails "endpoint rm c1 again fails" bn endpoint rm c1
check "c1 can be added again with the same name" \
	bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip "$C1_IP"
check "... and works" ns c2 ping -c1 -W2 "$C1_IP"

# ---- the container netns deleted first ------------------------------------------------------

C3_IP=$(bn --json endpoint show c3 | json 'd["ip"]')
C3_HOST=$(host_if c3)
ip netns del "$(nsname c3)"
wait_until 5 sh -c "! ip -n $NODE link show $C3_HOST" ||
	diag "$C3_HOST still exists 5 s after its peer's netns was deleted"
check "endpoint rm c3 after its netns was deleted succeeds" bn endpoint rm c3
is "$(ep_names)" "c1,c2" "c3 is gone from endpoint ls"
is "$(stat_names)" "c1,c2" "c3 is gone from stats"
check_fails "its host veth is gone" has_link "$NODE" "$C3_HOST"
is "$(ip -n "$NODE" route show "$C3_IP/32")" "" "the node's route to $C3_IP is gone"
check_fails "c3 is gone from the datapath map" map_has_ip "$C3_IP"
new_ns c3
check "a new c3 reuses name and address" bn endpoint add n1 --netns "$(nsname c3)" --name c3 --ip "$C3_IP"
check "... and works" ns c3 ping -c1 -W2 "$C1_IP"

# ---- down with endpoints attached --------------------------------------------------------------

check "network create n2" bn network create n2 --subnet 10.20.0.0/24
for c in d1 d2 d3; do
	check "endpoint add $c (n2)" bn endpoint add n2 --netns "$(nsname $c)" --name $c
done
is "$(links_of "$NODE" | grep -c '^bn')" 6 "6 host veths before down"
check "down with 6 endpoints attached" bn down
is "$(links_of "$NODE" | grep -c '^bn')" 0 "no host veth left"
left=""
for c in c1 c2 c3 d1 d2 d3; do has_link "$(nsname $c)" eth0 && left+="$c "; done
is "$left" "" "no container has an eth0 left"
is "$(ip -n "$NODE" route show | grep -c '^10\.')" 0 "no container route left in the node"
is "$(ip -n "$NODE" neigh show | grep -c '^10\.')" 0 "no container neighbour left in the node"
check "no pins left (no \$BPFNET_BPFFS/bpfnet)" test ! -e "$BPFNET_BPFFS/bpfnet"
check "no state left" sh -c "! find '$BPFNET_RUN_DIR' -mindepth 1 | grep -q ."
check "no clsact on the uplink" sh -c "! tc -n $NODE qdisc show dev $UPLINK | grep -q clsact"
check "the uplink still works (node pings ext)" ns node ping -c1 -W2 "$EXT_IP"

# ---- the same instance twice in a row ---------------------------------------------------------

for round in 1 2; do
	check "round $round: init" bn init --uplink "$UPLINK"
	check "round $round: network create" bn network create n1 --subnet 10.10.0.0/24
	check "round $round: endpoint add c1, c2" sh -c "
		timeout 60 ip netns exec $NODE $BPFNET --instance $INST endpoint add n1 --netns $(nsname c1) --name c1 &&
		timeout 60 ip netns exec $NODE $BPFNET --instance $INST endpoint add n1 --netns $(nsname c2) --name c2"
	check "round $round: c1 pings c2" ns c1 ping -c1 -W2 10.10.0.3
	check "round $round: down" bn down
	is "$(links_of "$NODE" | grep -c '^bn')" 0 "round $round: no host veth left"
done

# ---- the sandbox of a test that fails, is interrupted, or passes -------------------------------

SUB="$TMP/sub.sh"
cat >"$SUB" <<'EOF'
#!/usr/bin/env bash
# A tiny test: sandbox, endpoints, a server, traffic; then MODE: fail (exit 1
# midway), wait (until a signal comes), ok (down and pass).
source "$1"
mode=$2
sandbox_setup
echo "SUB_WHERE=$(sandbox_where)"
bn init --uplink "$UPLINK" >/dev/null || exit 3
bn network create n1 --subnet 10.10.0.0/24 >/dev/null || exit 3
new_ns c1 c2
bn endpoint add n1 --netns "$(nsname c1)" --name c1 >/dev/null || exit 3
bn endpoint add n1 --netns "$(nsname c2)" --name c2 >/dev/null || exit 3
bg timeout 60 ip netns exec "$(nsname c2)" socat TCP-LISTEN:5001,fork,reuseaddr EXEC:cat
wait_until 5 tcp_listening c2 5001 || exit 3
echo "SUB_PIDS=${BG_PIDS[*]} $(ip netns pids "$(nsname c2)" | tr '\n' ' ')"
ns c1 ping -c1 -W2 10.10.0.3 >/dev/null || exit 3
[ "$(echo hi | ns c1 socat -T2 - TCP:10.10.0.3:5001)" = hi ] || exit 3
echo "SUB_READY"
case $mode in
fail) exit 1 ;;
wait)
	bg sleep 60
	wait
	;;
ok) bn down >/dev/null || exit 3 ;;
esac
exit 0
EOF
chmod +x "$SUB"

# run_sub MODE WANT_RC [INSTANCE]: run the sub-script in the foreground
run_sub() {
	local out="$TMP/sub-$1-$RANDOM.out" rc
	E2E_INSTANCE=${3:-} timeout -k 5 120 "$SUB" "$E2E_DIR/lib.sh" "$1" >"$out" 2>&1
	rc=$?
	is "$rc" "$2" "sub-test '$1' exits $2" || diag_file "$out"
	check "sub-test '$1' got as far as its traffic" grep -q SUB_READY "$out"
	check "sub-test '$1' left no netns, mount, temp dir, cgroup or process" left_nothing "$out"
}

# signal_sub SIG WANT_RC: start the sub-script, send it SIG once it is ready
signal_sub() {
	local out="$TMP/sub-$1.out" rc
	signal_when_ready "sub-test 'wait'" "$1" "$out" timeout -k 5 120 "$SUB" "$E2E_DIR/lib.sh" wait
	rc=$?
	is "$rc" "$2" "sub-test interrupted by SIG$1 exits $2" || diag_file "$out"
	check "sub-test interrupted by SIG$1 left no netns, mount, temp dir, cgroup or process" \
		left_nothing "$out"
}

run_sub fail 1
signal_sub INT 130
signal_sub TERM 143
# the whole setup twice in a row, with the same instance name
run_sub ok 0 "e2e-twice-$$"
run_sub ok 0 "e2e-twice-$$"

done_testing
