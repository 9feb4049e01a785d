#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Several uplinks: a node with two outsides (ext on up0, ext2 on up1, each its own
# subnet). With from_uplink on both, a published port answers from either, the
# container seeing the real client, and masqueraded container flows to ext2 (TCP,
# UDP) get their replies; with up0 alone, neither works from ext2 (the attach is what
# does it). Re-init adding and dropping up1 leaves running flows intact and removes
# only a clsact qdisc of its own. --uplink auto takes the default routes' devices;
# bad lists change nothing; SIGKILL during a multi-uplink init (first or later)
# leaves nothing that breaks the next command.
#
# CRASH_SEED=N repeats the kill points; UPLINK_KILLS=N kills per loop (10).
source "$(dirname "$0")/lib.sh"
sandbox_setup
ext2_setup || bail "cannot make ext2"

SEED=${CRASH_SEED:-$RANDOM}
RANDOM=$SEED
KILLS=${UPLINK_KILLS:-10}
diag "kill points from seed $SEED (CRASH_SEED=$SEED repeats them)"
C1=10.72.0.2
STATE="$BPFNET_RUN_DIR/$INST/state.json"
PINS="$BPFNET_BPFFS/bpfnet/$INST"

# ---- what the node has --------------------------------------------------------------------------

# uplinks: the node's uplinks as status --json lists them, "up0,up1"
uplinks() {
	bn --json status | json '",".join(u["name"] for u in d["uplinks"])'
}
has_filter() { tc -n "$NODE" filter show dev "$1" ingress | grep -q from_uplink; }
has_clsact() { tc -n "$NODE" qdisc show dev "$1" | grep -q clsact; }
# bare DEV: no filter of ours and no clsact qdisc on DEV
bare() {
	! has_filter "$1" || { echo "$1 has a filter"; return 1; }
	! has_clsact "$1" || { echo "$1 has a clsact qdisc"; return 1; }
}
both_bare() { bare "$UPLINK" && bare "$UPLINK2"; }
nothing_left() {
	bare "$UPLINK" && bare "$UPLINK2" || return 1
	[ ! -e "$PINS" ] || { echo "pins: $(ls "$PINS" | tr '\n' ' ')"; return 1; }
	[ ! -e "$BPFNET_RUN_DIR/$INST" ] || { echo "state dir left"; return 1; }
}
# refused DESC NEEDLE CMD...: exit 1 or 2, stderr names NEEDLE, snapshot unchanged
refused() { refused_with "1 2" "$@"; }
# snapshot: what a refused init must leave as it was (refused_with compares it)
snapshot() {
	cat "$STATE" 2>/dev/null
	for d in "$UPLINK" "$UPLINK2"; do
		echo "== $d"
		tc -n "$NODE" qdisc show dev "$d"
		tc -n "$NODE" filter show dev "$d" ingress
	done
}

# ---- the servers ----------------------------------------------------------------------------

check "init --uplink $UPLINK (the first outside only)" bn init --uplink "$UPLINK" || bail "init"
check "network create n1" bn network create n1 --subnet 10.72.0.0/24
new_ns c1
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
check "port add c1 8080:80 5353:53/udp 8090:90" bn port add c1 8080:80 5353:53/udp 8090:90

# whoami: TCP and UDP servers answering with the address they see the client at
whoami_udp='
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(__import__("sys").argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto((peer[0] + "\n").encode(), peer)
'
bg timeout 300 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
bg timeout 300 ip netns exec "$(nsname c1)" python3 -c "$whoami_udp" 53
bg timeout 300 ip netns exec "$(nsname c1)" socat TCP-LISTEN:90,fork,reuseaddr EXEC:cat
for n in "$EXT" "$EXT2"; do
	bg timeout 300 ip netns exec "$n" socat TCP-LISTEN:8000,fork,reuseaddr SYSTEM:'echo $SOCAT_PEERADDR'
	bg timeout 300 ip netns exec "$n" python3 -c "$whoami_udp" 8053
	bg timeout 300 ip netns exec "$n" socat TCP-LISTEN:9000,fork,reuseaddr EXEC:cat
done
wait_until 5 tcp_listening c1 80 && wait_until 5 udp_listening c1 53 &&
	wait_until 5 tcp_listening c1 90 || bail "servers in c1"
for s in ext ext2; do
	wait_until 5 tcp_listening $s 8000 && wait_until 5 udp_listening $s 8053 &&
		wait_until 5 tcp_listening $s 9000 || bail "servers in $s"
done

# ---- one uplink: ext2 gets nothing through bpfnet ------------------------------------------------

check "ext -> $NODE_IP:8080 reaches c1, which sees $EXT_IP" expect "$EXT_IP" tcp_get ext "$NODE_IP" 8080
check_fails "up1 not attached: ext2 -> $UPLINK2_IP:8080 does not answer (the node has no such server)" \
	tcp_get ext2 "$UPLINK2_IP" 8080
check_fails "up1 not attached: UDP ext2 -> $UPLINK2_IP:5353 does not answer" \
	expect "$EXT2_IP" udp_get ext2 "$UPLINK2_IP" 5353
check_fails "up1 not attached: c1 -> ext2 (masqueraded) gets no reply" tcp_get c1 "$EXT2_IP" 8000
check "c1 -> ext (masqueraded) works, ext sees $NODE_IP" expect "$NODE_IP" tcp_get c1 "$EXT_IP" 8000

# ---- bad lists: refused, nothing changed ---------------------------------------------------------

refused "a missing device in the list" nosuchdev0 bn init --uplink "$UPLINK,nosuchdev0"
refused "a device twice" "given twice" bn init --uplink "$UPLINK2,$UPLINK,$UPLINK2"
refused "nine devices" "at most 8" bn init --uplink "$UPLINK,$UPLINK2,a,b,c,d,e,f,g"
refused "an empty name" "empty device name" bn init --uplink "$UPLINK,,$UPLINK2"
refused "c1's host veth" "host veth of an endpoint" \
	bn init --uplink "$UPLINK,$(bn --json endpoint show c1 | json 'd["host_ifname"]')"
check "up1 is bare after the refusals" bare "$UPLINK2"

# ---- two uplinks, added while flows run -------------------------------------------------------------

# a long TCP flow: a line echoed every 0.1 s; exits 1 at the first one lost or late,
# 0 ("ok N") once FILE.stop exists; FILE holds how many came back
long_flow='
import os, socket, sys, time
host, port, f = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=3)
n = 0
while not os.path.exists(f + ".stop"):
    msg = b"line %d\n" % n
    s.sendall(msg)
    got = b""
    while not got.endswith(b"\n"):
        chunk = s.recv(100)
        if not chunk:
            sys.exit("closed after %d lines" % n)
        got += chunk
    if got != msg:
        sys.exit("sent %r, got %r" % (msg, got))
    n += 1
    open(f, "w").write(str(n))
    time.sleep(0.1)
print("ok", n)
'
lines_of() { cat "$1" 2>/dev/null || echo 0; }
# lines_at_least FILE N: FILE's count is N or more
lines_at_least() { [ "$(lines_of "$1")" -ge "$2" ]; }
# flow_grows FILE: FILE's count goes up by 3 (the flow goes on)
flow_grows() {
	local from
	from=$(lines_of "$1")
	wait_until 10 lines_at_least "$1" $((from + 3))
}
IN_FLOW=$TMP/in-flow OUT_FLOW=$TMP/out-flow
timeout 120 ip netns exec "$EXT" python3 -c "$long_flow" "$NODE_IP" 8090 "$IN_FLOW" \
	>"$IN_FLOW.out" 2>&1 9>&- &
IN_PID=$!
timeout 120 ip netns exec "$(nsname c1)" python3 -c "$long_flow" "$EXT_IP" 9000 "$OUT_FLOW" \
	>"$OUT_FLOW.out" 2>&1 9>&- &
OUT_PID=$!
BG_PIDS+=("$IN_PID" "$OUT_PID")
check "a long flow ext -> $NODE_IP:8090 -> c1:90 runs" flow_grows "$IN_FLOW" ||
	diag_file "$IN_FLOW.out"
check "a long flow c1 -> ext:9000 (masqueraded) runs" flow_grows "$OUT_FLOW" ||
	diag_file "$OUT_FLOW.out"

check "init --uplink $UPLINK,$UPLINK2 (adds up1)" bn init --uplink "$UPLINK,$UPLINK2"
check "status: uplinks $UPLINK,$UPLINK2" expect "$UPLINK,$UPLINK2" uplinks
check "status --json: uplink is still the first; ifindexes given" test "$(bn --json status |
	json 'd["uplink"] == "'"$UPLINK"'" and all(u["ifindex"] > 0 for u in d["uplinks"])')" = true
check "status in words names both" grep_out "attached: uplinks $UPLINK yes, $UPLINK2 yes;" bn status
check "from_uplink on up1 and a clsact of ours" has_filter "$UPLINK2"
check "bpfnet check: consistent" bn check
check "the inbound flow went on through the re-init" flow_grows "$IN_FLOW"
check "the masqueraded flow went on through the re-init" flow_grows "$OUT_FLOW"

check "ext -> $NODE_IP:8080 still reaches c1, which sees $EXT_IP" \
	expect "$EXT_IP" tcp_get ext "$NODE_IP" 8080
check "ext2 -> $UPLINK2_IP:8080 reaches c1, which sees the real client $EXT2_IP" \
	expect "$EXT2_IP" tcp_get ext2 "$UPLINK2_IP" 8080
check "UDP ext2 -> $UPLINK2_IP:5353 reaches c1:53, which sees $EXT2_IP" \
	expect "$EXT2_IP" udp_get ext2 "$UPLINK2_IP" 5353
check "c1 -> ext2:8000 (TCP) is masqueraded to up1's $UPLINK2_IP and answered" \
	expect "$UPLINK2_IP" tcp_get c1 "$EXT2_IP" 8000
check "c1 -> ext2:8053 (UDP) is masqueraded to up1's $UPLINK2_IP and answered" \
	expect "$UPLINK2_IP" udp_get c1 "$EXT2_IP" 8053
check "c1 -> ext:8053 (UDP) is still masqueraded to $NODE_IP and answered" \
	expect "$NODE_IP" udp_get c1 "$EXT_IP" 8053

# ---- dropping up1: detached, its qdisc gone as it was made by init ------------------------------

check "init --uplink $UPLINK (drops up1)" bn init --uplink "$UPLINK"
check "status: uplinks $UPLINK" expect "$UPLINK" uplinks
check "up1 bare again: no filter, no clsact (init made it)" bare "$UPLINK2"
check "the inbound flow went on through the drop" flow_grows "$IN_FLOW"
check "the masqueraded flow went on through the drop" flow_grows "$OUT_FLOW"
check_fails "dropped: ext2 -> $UPLINK2_IP:8080 no longer answers" tcp_get ext2 "$UPLINK2_IP" 8080
check "ext -> $NODE_IP:8080 still answers" expect "$EXT_IP" tcp_get ext "$NODE_IP" 8080
touch "$IN_FLOW.stop" "$OUT_FLOW.stop"
wait "$IN_PID"
result $? "the inbound flow ended well: $(cat "$IN_FLOW.out")"
wait "$OUT_PID"
result $? "the masqueraded flow ended well: $(cat "$OUT_FLOW.out")"

# a clsact that was there before init is someone else's: dropping up1 leaves it
tc -n "$NODE" qdisc add dev "$UPLINK2" clsact
check "init --uplink $UPLINK2,$UPLINK (up1 had a clsact)" bn init --uplink "$UPLINK2,$UPLINK"
check "status: uplinks in the order given" expect "$UPLINK2,$UPLINK" uplinks
check "ext2 -> $UPLINK2_IP:8080 answers again" expect "$EXT2_IP" tcp_get ext2 "$UPLINK2_IP" 8080
check "init (no --uplink) keeps the node's uplinks" bn init
check "... both, in their order" expect "$UPLINK2,$UPLINK" uplinks
check "init --uplink $UPLINK" bn init --uplink "$UPLINK"
check "up1: our filter gone" sh -c "! tc -n $NODE filter show dev $UPLINK2 ingress | grep -q from_uplink"
check "up1: the clsact that was there before stays" has_clsact "$UPLINK2"
tc -n "$NODE" qdisc del dev "$UPLINK2" clsact

# ---- check and repair over every uplink ------------------------------------------------------------

check "init --uplink $UPLINK,$UPLINK2" bn init --uplink "$UPLINK,$UPLINK2"
tc -n "$NODE" filter del dev "$UPLINK2" ingress
check_fails "check finds up1's filter gone" bn check
check "... names it" grep_out "$UPLINK2 has no bpfnet filter" bn check
check "status: up1 detached" grep_out "attached: uplinks $UPLINK yes, $UPLINK2 NO;" bn status
check "check --repair re-attaches" bn check --repair
check "ext2 -> $UPLINK2_IP:8080 answers after the repair" \
	expect "$EXT2_IP" tcp_get ext2 "$UPLINK2_IP" 8080

# ---- auto: the devices of the default routes -----------------------------------------------------

ip -n "$NODE" route add default via "$EXT_IP" dev "$UPLINK" metric 100
check "--uplink auto with one default route (via up0): up0 alone" bn init --uplink auto
check "... uplinks $UPLINK" expect "$UPLINK" uplinks
check "... up1 detached" bare "$UPLINK2"
ip -n "$NODE" route add default via "$EXT2_IP" dev "$UPLINK2" metric 50
check "--uplink auto with two default routes: both, lowest metric first" bn init --uplink auto
check "... uplinks $UPLINK2,$UPLINK" expect "$UPLINK2,$UPLINK" uplinks
ip -n "$NODE" route del default via "$EXT2_IP" dev "$UPLINK2" metric 50
ip -n "$NODE" route replace default metric 100 nexthop via "$EXT_IP" dev "$UPLINK" \
	nexthop via "$EXT2_IP" dev "$UPLINK2"
check "--uplink auto with a multipath default route: every nexthop's device" bn init --uplink auto
check "... uplinks $UPLINK,$UPLINK2" expect "$UPLINK,$UPLINK2" uplinks
ip -n "$NODE" route del default metric 100
refused "--uplink auto without a default route" "no IPv4 default route" bn init --uplink auto
check "ext2 -> $UPLINK2_IP:8080 still answers" expect "$EXT2_IP" tcp_get ext2 "$UPLINK2_IP" 8080

check "down" bn down
check "down detached both uplinks and left nothing" nothing_left
check "init with no --uplink on a node with no default route fails" \
	grep_out "no uplink detected" bn init
check "... and left nothing" nothing_left

# ---- killed ----------------------------------------------------------------------------------------

# nap MS: wait MS ms in bash itself (no sleep(1) to start)
exec {NAP_FD}<> <(:)
nap() { read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$NAP_FD"; return 0; }
# kill_after MS ARGS...: bpfnet ARGS in the node, SIGKILLed MS ms after its start; KILLED=1
# when the kill came while it ran, PENDING+1 when it left a journal entry
KILLED=0 HITS=0 PENDING=0 FAILS=()
kill_after() {
	local ms=$1 pid rc
	shift
	ip netns exec "$NODE" "$BPFNET" --instance "$INST" "$@" >/dev/null 2>&1 &
	pid=$!
	nap "$ms"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	KILLED=$((rc == 137))
	HITS=$((HITS + KILLED))
	grep -q '"journal"' "$STATE" 2>/dev/null && PENDING=$((PENDING + 1))
	return 0
}
# step DESC CMD...: must succeed; a failure is noted with the round
step() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	FAILS+=("round $round (kill at $point ms): $desc: $(head -c 400 <<<"$out")")
	return 1
}
# window ARGS...: how long bpfnet ARGS takes here (ms, the shortest of three, +2), after UNDO
window() {
	local undo=$1 t0 t1 best=100000 i
	shift
	for i in 1 2 3; do
		t0=$EPOCHREALTIME
		ip netns exec "$NODE" "$BPFNET" --instance "$INST" "$@" >/dev/null 2>&1
		t1=$EPOCHREALTIME
		t=$(((${t1/./} - ${t0/./}) / 1000))
		[ $t -lt $best ] && best=$t
		bn $undo >/dev/null 2>&1
	done
	echo $((best + 2))
}
loop_report() {
	diag "$1: $round rounds, $HITS kills while it ran, $PENDING left a journal entry"
	result $((HITS >= KILLS / 2 ? 0 : 1)) "$1: kills hit it while it ran ($HITS)"
	result $((PENDING > 0 ? 0 : 1)) "$1: kills came half-way, leaving work for the next command ($PENDING)"
	if [ ${#FAILS[@]} = 0 ]; then
		ok "$1: every command after a kill succeeded, check clean, nothing left after down"
	else
		not_ok "$1: every command after a kill succeeded, check clean, nothing left after down"
		for f in "${FAILS[@]:0:6}"; do diag "$f"; done
	fi
	KILLED=0 HITS=0 PENDING=0 FAILS=()
}

# cut_short FIRST KEEP DEV...: the state as an init on DEV... leaves it when killed just
# before its commit, everything attached: the node as before (not initialized when FIRST
# is 1, else on its first KEEP uplinks), the journal entry naming every DEV (with no clsact
# before: init made them)
cut_short() {
	python3 - "$STATE" "$@" <<'PY'
import json, sys
path, first, keep, devs = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), sys.argv[4:]
st = json.load(open(path))
node = st["node"]
node["initialized"] = not first
node["uplinks"] = [] if first else node["uplinks"][:keep]
st["journal"] = {"op": "init", "pid": 1, "first": first,
                 "uplinks": [{"name": d, "clsact_before": False} for d in devs]}
json.dump(st, open(path + ".new", "w"))
PY
	mv "$STATE.new" "$STATE"
}

# Cut short right before the commit, when the attaches are all done (kills rarely land
# there: loading the programs takes most of an init's time)
check "init --uplink $UPLINK,$UPLINK2" bn init --uplink "$UPLINK,$UPLINK2"
cut_short 1 0 "$UPLINK" "$UPLINK2"
check "a first init on both cut short, then init on up0 alone" bn init --uplink "$UPLINK"
check "... leaves up1 bare (the killed init attached it, this one does not want it)" \
	bare "$UPLINK2"
check "... check is clean" bn check
cut_short 1 0 "$UPLINK" "$UPLINK2"
check "a first init cut short, then another command (network create)" \
	bn network create nx --subnet 10.73.0.0/24
check "... undid it on both uplinks" both_bare
check "... check is clean" bn check
check "network rm nx" bn network rm nx
check "init --uplink $UPLINK,$UPLINK2" bn init --uplink "$UPLINK,$UPLINK2"
cut_short 0 1 "$UPLINK" "$UPLINK2"
check "a later init adding up1 cut short, then another command (network create)" \
	bn network create nx --subnet 10.73.0.0/24
check "... finished it: uplinks $UPLINK,$UPLINK2" expect "$UPLINK,$UPLINK2" uplinks
check "... check is clean" bn check
check "init --uplink $UPLINK" bn init --uplink "$UPLINK"
check "... the clsact on up1 counted as init's: dropping up1 removed it" bare "$UPLINK2"
cut_short 0 1 "$UPLINK" "$UPLINK2"
check "a later init adding up1 cut short, then down" bn down
check "... down detached both" nothing_left

# A first init on both uplinks, killed; the next command is another init on both, one on
# up0 alone (up1 must be left bare), or one that is no init (it undoes the killed one)
W=$(window down init --uplink "$UPLINK,$UPLINK2")
diag "first init on two uplinks takes about $W ms here"
for round in $(seq 1 "$KILLS"); do
	point=$((1 + RANDOM % W))
	kill_after "$point" init --uplink "$UPLINK,$UPLINK2"
	case $((round % 3)) in
	0) step "init on both" bn init --uplink "$UPLINK,$UPLINK2" &&
		step "both attached" has_filter "$UPLINK2" ;;
	1) step "init on up0" bn init --uplink "$UPLINK" && step "up1 bare" bare "$UPLINK2" ;;
	2) step "network create" bn network create nx --subnet 10.73.0.0/24 &&
		step "network rm" bn network rm nx ;;
	esac
	step "check" bn check
	step "down" bn down && step "nothing left after down" nothing_left
done
loop_report "first init on two uplinks"

# A later init adding up1 to a node on up0 with a container, killed; the next mutating
# command finishes it; dropping up1 afterwards leaves it bare; c1 answers throughout
check "init --uplink $UPLINK" bn init --uplink "$UPLINK"
check "network create n1" bn network create n1 --subnet 10.72.0.0/24
check "endpoint add c1 again" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1
check "port add c1 8080:80" bn port add c1 8080:80
W=$(window "init --uplink $UPLINK" init --uplink "$UPLINK,$UPLINK2")
diag "a later init adding up1 takes about $W ms here"
for round in $(seq 1 "$KILLS"); do
	point=$((1 + RANDOM % W))
	kill_after "$point" init --uplink "$UPLINK,$UPLINK2"
	step "port add (finishes the init)" bn port add c1 8081:80 &&
		step "port rm" bn port rm c1 8081
	step "check" bn check
	step "ext still reaches c1" expect "$EXT_IP" tcp_get ext "$NODE_IP" 8080
	step "init on up0" bn init --uplink "$UPLINK" && step "up1 bare" bare "$UPLINK2"
done
loop_report "a later init adding a second uplink"
check "down" bn down
check "nothing left" nothing_left

done_testing
