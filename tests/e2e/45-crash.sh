#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Crash safety: bpfnet killed with SIGKILL at random points of init, endpoint
# add and rm, port add and rm of a 20,000-port range, network create and rm,
# and down. After each kill the next command succeeds (it
# finishes or undoes the killed one first) and 'bpfnet check' finds nothing.
# Then 'check' against inconsistencies made by hand (deleted map entries, a
# deleted host veth, a stray veth and stray map entries, detached tc filters,
# an emptied flood list, a zeroed config, an unpinned socket hook, a new node
# address, a deleted map pin, pending journal entries written into the state):
# each is found, named in --json, and repaired by --repair, after which check
# is clean and traffic works again; the recovery of a journal entry takes back
# only what its command could have made.
#
# CRASH_SEED=N repeats a run's kill points; CRASH_KILLS=N kills per command (30).
source "$(dirname "$0")/lib.sh"
sandbox_setup

SEED=${CRASH_SEED:-$RANDOM}
RANDOM=$SEED
KILLS=${CRASH_KILLS:-30}
KILL_MAX_MS=80		# kills land 1..80 ms after the start, or less for a shorter command
FEW=$(((KILLS + 2) / 3))	# kills of the commands the issue does not count
diag "kill points from seed $SEED (CRASH_SEED=$SEED repeats them)"

RANGE=20000-39999:20000-39999
RANGE_PORTS=20000
PREFIX=""	# this instance's host veth names: "bn<hash>-"
STATE="$BPFNET_RUN_DIR/$INST/state.json"
PINS="$BPFNET_BPFFS/bpfnet/$INST"

# ---- killing ------------------------------------------------------------------------------------

# ms_s MS: MS milliseconds as seconds for sleep
ms_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# nap MS: wait MS ms in bash itself (a read that times out on a pipe nobody writes):
# starting sleep(1) here costs as long as a short command runs
exec {NAP_FD}<> <(:)
nap() { read -r -t "$(ms_s "$1")" -u "$NAP_FD"; return 0; }

# run_ms ARGS...: how long one bpfnet run takes here, started as kill_after starts it (ms)
run_ms() {
	local t0=$EPOCHREALTIME t1
	ip netns exec "$NODE" "$BPFNET" --instance "$INST" "$@" >/dev/null 2>&1
	t1=$EPOCHREALTIME
	echo $(((${t1/./} - ${t0/./}) / 1000))
}

# window UNDO ARGS...: kill points are drawn from 1..WINDOW ms: as long as bpfnet ARGS
# takes here (the shortest of three runs, UNDO after each: other load only adds), 80 ms
# at most
window() {
	local undo=$1 t w
	shift
	t=$(for i in 1 2 3; do run_ms "$@"; bn $undo >/dev/null 2>&1; done | sort -n | head -n1)
	w=$((t + 2))
	[ $w -gt $KILL_MAX_MS ] && w=$KILL_MAX_MS
	echo $w
}

# kill_after MS ARGS...: bpfnet ARGS in the node, sent SIGKILL MS ms after its start.
# No timeout wrapper: `ip netns exec` execs bpfnet, so $! is bpfnet itself.
# KILLED=1 when the kill came while it ran.
KILLED=0
kill_after() {
	local ms=$1 pid rc
	shift
	ip netns exec "$NODE" "$BPFNET" --instance "$INST" "$@" >/dev/null 2>&1 &
	pid=$!
	nap "$ms"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	KILLED=0
	[ $rc = 137 ] && KILLED=1
	return 0
}

# A kill loop's bookkeeping: its points, how many kills hit, what went wrong (in the
# commands after the kills, and in the checks).
POINTS=() FAILS=() CHECK_FAILS=() HITS=0 ITER=0 POINT=0 PENDING=0

loop_start() { POINTS=() FAILS=() CHECK_FAILS=() HITS=0 ITER=0 POINT=0 PENDING=0; }

# loop_more WANT: another round while fewer than WANT kills hit (4 x WANT rounds at most)
loop_more() {
	[ $HITS -lt "$1" ] && [ $ITER -lt $((4 * $1)) ] || return 1
	ITER=$((ITER + 1))
}

# kill_point WINDOW ARGS...: one kill of bpfnet ARGS at a random point of the window
kill_point() {
	local w=$1
	shift
	POINT=$((1 + RANDOM % w))
	POINTS+=("$POINT")
	kill_after "$POINT" "$@"
	HITS=$((HITS + KILLED))
	# the kill came after the intent was recorded and before the result: work for the next
	grep -q '"journal"' "$STATE" 2>/dev/null && PENDING=$((PENDING + 1))
	return 0
}

# step DESC CMD...: a command of a kill round that must succeed; a failure is noted
step() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	FAILS+=("round $ITER (last kill at ${POINT} ms): $desc failed: $(head -c 600 <<<"$out")")
	return 1
}

# clean: bpfnet check finds nothing (exit 0; what it found is shown otherwise)
clean() { bn check; }

# step_clean: after a kill round's commands, check finds nothing; a finding is noted
step_clean() {
	local out
	out=$(clean 2>&1) && return 0
	CHECK_FAILS+=("round $ITER (last kill at ${POINT} ms): check: $(head -c 600 <<<"$out")")
	return 1
}

# report_fails DESC LINES...: ok DESC when there are no LINES, else not ok and the first few
report_fails() {
	local desc=$1 f
	shift
	if [ $# = 0 ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	for f in "${@:1:6}"; do diag "$f"; done
	[ $# -gt 6 ] && diag "... $(($# - 6)) more"
	return 1
}

# loop_report WHAT WANT [MIDWAY]: the TAP lines of one kill loop; MIDWAY: some kill must
# have left a journal entry (come between the intent and the result)
loop_report() {
	local what=$1 want=$2 midway=${3:-}
	diag "$what: $ITER rounds, $HITS kills while it ran, $PENDING left a journal entry for the" \
		"next command; points (ms): ${POINTS[*]}"
	result $((HITS >= want ? 0 : 1)) "$what: at least $want kills hit it while it ran ($HITS)"
	[ -n "$midway" ] && result $((PENDING > 0 ? 0 : 1)) \
		"$what: kills came half-way, leaving work for the next command ($PENDING times)"
	report_fails "$what: the commands after every kill succeeded" "${FAILS[@]}"
	report_fails "$what: bpfnet check found nothing after every kill" "${CHECK_FAILS[@]}"
}

# ---- what the node has --------------------------------------------------------------------------

links_of() { ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; }
has_link() { grep -qx -- "$2" <<<"$(links_of "$1")"; }
exists() { bn endpoint show "$1" >/dev/null 2>&1; }
net_exists() { bn network show "$1" >/dev/null 2>&1; }
host_if() { bn --json endpoint show "$1" | json 'd["host_ifname"]'; }

# ports_in_range EP: how many of EP's published ports lie in 20000-39999 (no python in
# the loops: it takes longer to start than the commands run)
ports_in_range() {
	bn port ls "$1" | awk 'NR > 1 { split($2, spec, ":"); n = split(spec[1], r, "-")
		lo = r[1] + 0; hi = (n > 1 ? r[2] : r[1]) + 0
		if (lo < 20000) lo = 20000; if (hi > 39999) hi = 39999
		if (hi >= lo) sum += hi - lo + 1 } END { print sum + 0 }'
}

# nothing_left: after down, the node is as before init
nothing_left() {
	local bad=""
	[ "$(links_of "$NODE" | grep -c "^$PREFIX")" = 0 ] || bad+="veths; "
	tc -n "$NODE" qdisc show dev "$UPLINK" | grep -q clsact && bad+="clsact on $UPLINK; "
	[ -e "$PINS" ] && bad+="pins $(ls "$PINS" | tr '\n' ' '); "
	[ -e "$BPFNET_RUN_DIR/$INST" ] && bad+="state dir; "
	ip -n "$NODE" -4 addr show dev lo | grep -q '10\.' && bad+="gateway on lo; "
	[ -z "$bad" ] || { echo "left: $bad"; return 1; }
}

published_works() { [ "$(tcp_get ext "$NODE_IP" 8080)" = c1 ]; }

# ---- init, killed -------------------------------------------------------------------------------

PREFIX=$(printf 'bn%06x-' "$(python3 -c '
import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print(h & 0xffffff)' "$INST")")

# a bridge network made before init: its gateway goes on the node at init
check "network create n1 (bridge), before init" \
	bn network create n1 --mode bridge --subnet 10.10.0.0/24
W=$(window down init --uplink "$UPLINK")
loop_start
while loop_more $FEW; do
	step "network create n1" bn network create n1 --mode bridge --subnet 10.10.0.0/24 ||
		continue
	kill_point "$W" init --uplink "$UPLINK"
	step "init" bn init --uplink "$UPLINK" && step_clean
	step "down" bn down && step "nothing left after down" nothing_left
done
loop_report "init (first)" $FEW

# ---- the sandbox for the rest -------------------------------------------------------------------

# a range of $RANGE_PORTS ports below: more than the default --ports-max
check "init" bn init --uplink "$UPLINK" --ports-max 65536 || bail "init failed"
check "network create n1 (bridge)" bn network create n1 --mode bridge --subnet 10.10.0.0/24
check "network create n2 (l3)" bn network create n2 --subnet 10.20.0.0/24
# routed: published container ports are counted in ep_ports too
check "network create n3 (l3, routed)" bn network create n3 --subnet 10.30.0.0/24 \
	--gateway-mode routed
new_ns c1 c2 c3 c4 c5 k p
declare -A IP=([c1]=10.10.0.11 [c2]=10.10.0.12 [c3]=10.20.0.13 [c4]=10.20.0.14
	[c5]=10.30.0.15)
for c in c1 c2; do
	check "endpoint add $c (n1)" bn endpoint add n1 --netns "$(nsname $c)" --name $c \
		--ip "${IP[$c]}" || bail "add $c"
done
for c in c3 c4; do
	check "endpoint add $c (n2)" bn endpoint add n2 --netns "$(nsname $c)" --name $c \
		--ip "${IP[$c]}" || bail "add $c"
done
check "endpoint add c5 (n3)" bn endpoint add n3 --netns "$(nsname c5)" --name c5 \
	--ip "${IP[c5]}" || bail "add c5"
check "port add c1 8080:80 (published before the kills, must outlive them)" bn port add c1 8080:80
bg timeout 600 ip netns exec "$(nsname c1)" socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo c1'
wait_until 5 tcp_listening c1 80 || bail "server in c1"
check "ext reaches c1 through 8080" published_works
check "check: consistent" clean

# ---- endpoint add -------------------------------------------------------------------------------

W=$(window "endpoint rm k" endpoint add n1 --netns "$(nsname k)" --name k)
loop_start
while loop_more "$KILLS"; do
	kill_point "$W" endpoint add n1 --netns "$(nsname k)" --name k
	# another endpoint, as the one that found a stray veth in its way
	step "endpoint add p" bn endpoint add n1 --netns "$(nsname p)" --name p &&
		step_clean
	step "endpoint rm p" bn endpoint rm p
	if exists k; then step "endpoint rm k" bn endpoint rm k; fi
done
loop_report "endpoint add" "$KILLS" midway

# ---- endpoint rm --------------------------------------------------------------------------------

W=$(window "endpoint add n1 --netns $(nsname k) --name k" endpoint rm k)
bn endpoint rm k >/dev/null
loop_start
while loop_more "$KILLS"; do
	step "endpoint add k" bn endpoint add n1 --netns "$(nsname k)" --name k || continue
	kill_point "$W" endpoint rm k
	# still in the state: not done (maybe half): run it again; else it is done
	if exists k; then
		step "endpoint rm k, again" bn endpoint rm k
	else
		step "endpoint add p" bn endpoint add n1 --netns "$(nsname p)" --name p &&
			step "endpoint rm p" bn endpoint rm p
	fi
	step_clean
	exists k && FAILS+=("round $ITER (kill at $POINT ms): k still exists")
done
loop_report "endpoint rm" "$KILLS" midway

# range_settled: after a kill in a range's port add/rm, the next command works, the range is
# published all or not at all, and nothing of it stays for the next round
range_settled() {
	local n
	step "port add c5 40000:80" bn port add c5 40000:80 && step_clean
	n=$(ports_in_range c5)
	[ "$n" = 0 ] || [ "$n" = $RANGE_PORTS ] ||
		FAILS+=("round $ITER (kill at $POINT ms): $n of the range published, not 0 or all")
	step "port rm c5 40000:80" bn port rm c5 40000:80
	[ "$n" != $RANGE_PORTS ] || step "port rm c5 $RANGE" bn port rm c5 $RANGE
}

# ---- port add of 20,000 ports -------------------------------------------------------------------

W=$(window "port rm c5 $RANGE" port add c5 $RANGE)
loop_start
while loop_more "$KILLS"; do
	kill_point "$W" port add c5 $RANGE
	range_settled
done
loop_report "port add of $RANGE_PORTS ports" "$KILLS" midway
check "c1's 8080 is still published and answers" published_works

# ---- port rm of 20,000 ports --------------------------------------------------------------------

bn port add c5 $RANGE >/dev/null
W=$(window "port add c5 $RANGE" port rm c5 $RANGE)
bn port rm c5 $RANGE >/dev/null
loop_start
while loop_more $FEW; do
	step "port add c5 $RANGE" bn port add c5 $RANGE || continue
	kill_point "$W" port rm c5 $RANGE
	range_settled
done
loop_report "port rm of $RANGE_PORTS ports" $FEW

# ---- network create and rm ----------------------------------------------------------------------

W=$(window "network rm nk" network create nk --mode bridge --subnet 10.99.0.0/24)
loop_start
while loop_more "$KILLS"; do
	mode=$([ $((ITER % 2)) = 0 ] && echo bridge || echo l3)
	kill_point "$W" network create nk --mode "$mode" --subnet 10.99.0.0/24
	step "network create np" bn network create np --mode bridge --subnet 10.98.0.0/24 &&
		step_clean
	step "network rm np" bn network rm np
	if net_exists nk; then step "network rm nk" bn network rm nk; fi
done
loop_report "network create" "$KILLS" midway

bn network create nk --mode bridge --subnet 10.99.0.0/24 >/dev/null
W=$(window "network create nk --mode bridge --subnet 10.99.0.0/24" network rm nk)
bn network rm nk >/dev/null
loop_start
while loop_more $FEW; do
	step "network create nk" bn network create nk --mode bridge --subnet 10.99.0.0/24 ||
		continue
	kill_point "$W" network rm nk
	step "network create np" bn network create np --mode bridge --subnet 10.98.0.0/24 &&
		step_clean
	step "network rm np" bn network rm np
	if net_exists nk; then step "network rm nk" bn network rm nk; fi
done
loop_report "network rm" $FEW

check "c1 pings c2 after all the kills" ns c1 ping -c1 -W2 "${IP[c2]}"
check "c3 pings c4 after all the kills" ns c3 ping -c1 -W2 "${IP[c4]}"
check "ext still reaches c1 through 8080" published_works
check "check: consistent after all the kills" clean

# ---- check, against inconsistencies made by hand ------------------------------------------------

# run_check [ARGS]: bpfnet --json check ARGS into $CHECK_OUT, its exit status into $CHECK_RC
CHECK_OUT="" CHECK_RC=0
run_check() {
	CHECK_OUT=$(bn --json check "$@")
	CHECK_RC=$?
}

# found KIND OBJECT DESC: check exits 1 and lists (KIND, OBJECT)
found() {
	run_check
	if [ $CHECK_RC = 1 ] && python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(not any(i["kind"] == sys.argv[1] and i["object"] == sys.argv[2] for i in d))' \
		"$1" "$2" <<<"$CHECK_OUT"; then
		ok "$3"
	else
		not_ok "$3"
		diag "check exit $CHECK_RC, want 1 and ($1, $2) among:"
		diag "$CHECK_OUT"
	fi
}

# repaired DESC: check --repair exits 0, says every issue was repaired; then check is clean
repaired() {
	run_check --repair
	if [ $CHECK_RC = 0 ] && json 'len(d) > 0 and all(i["repaired"] for i in d)' \
		<<<"$CHECK_OUT" | grep -qx true; then
		ok "$1: check --repair fixes it"
	else
		not_ok "$1: check --repair fixes it"
		diag "check --repair exit $CHECK_RC:"
		diag "$CHECK_OUT"
	fi
	check "$1: check is clean afterwards" clean
}

# bytes_of IP: "a b c d" for bpftool
bytes_of() { tr . ' ' <<<"$1"; }
# svcmap ARGS: published ports written and read through the library's encoder (tools/svcmap.c)
SVCMAP=${SVCMAP:-$REPO_DIR/build/tools/svcmap}
[ -x "$SVCMAP" ] || bail "$SVCMAP is missing: run make"
svcmap() { timeout -k 5 30 ip netns exec "$NODE" "$SVCMAP" "$INST" "$@"; }
C2_HOST=$(host_if c2)
C4_HOST=$(host_if c4)
N1_ID=$(bn --json network show n1 | json 'd["id"]')

run_check
is "$CHECK_OUT" "[]" "check --json of a consistent instance: []"
is "$CHECK_RC" 0 "... exit 0"
out=$(bn check)
check "check in words: consistent" grep -q "consistent" <<<"$out"
check_fails "check --bogus is refused" bn check --bogus
bn check --bogus >/dev/null 2>&1
is "$?" 2 "check --bogus: exit 2"
bn check extra >/dev/null 2>&1
is "$?" 2 "check with an argument: exit 2"

# a deleted map entry: c4's address in ep_by_ip
bpftool map delete pinned "$PINS/ep_by_ip" key $(bytes_of "${IP[c4]}")
found map_entry_missing "ep_by_ip[${IP[c4]}]" "a deleted ep_by_ip entry is found"
out=$(bn check)
check "... and said in words" grep -q "endpoint 'c4' is missing from ep_by_ip" <<<"$out"
repaired "a deleted ep_by_ip entry"
check "... c3 pings c4 again" ns c3 ping -c1 -W2 "${IP[c4]}"

# a deleted static FDB entry of a bridge port
C2_MAC=$(bn --json endpoint show c2 | json 'd["mac"]')
bpftool map delete pinned "$PINS/fdb" key $(printf '%d 0 0 0 ' "$N1_ID") \
	$(for b in ${C2_MAC//:/ }; do printf '%d ' "0x$b"; done) 0 0
found map_entry_missing "fdb[n1 $C2_MAC]" "a deleted static FDB entry is found"
repaired "a deleted static FDB entry"

# a deleted host veth: c2's (its eth0 goes with it)
ip -n "$NODE" link del "$C2_HOST"
check_fails "without its veth c1 cannot reach c2" ns c1 ping -c1 -W1 "${IP[c2]}"
found veth_missing "endpoint c2" "a deleted host veth is found"
repaired "a deleted host veth"
check "... c2 has its veth again" has_link "$NODE" "$C2_HOST"
check "... and c1 pings c2" ns c1 ping -c1 -W2 "${IP[c2]}"

# a stray veth of ours
ip -n "$NODE" link add "${PREFIX}999" type veth peer name strayp0
found stray_veth "${PREFIX}999" "a stray veth is found"
repaired "a stray veth"
check_fails "... it is gone" has_link "$NODE" "${PREFIX}999"

# stray map entries: an endpoint by address and by ifindex, a network slot, an FDB
# entry, and a published port leading nowhere
# struct bpfnet_ep: ifindex, id, net_id, ip, mac, host_mac, flags, gen (0: of no endpoint add)
EP_VAL="0 0 0 0 77 0 0 0 1 0 0 0 10 10 0 250 2 0 0 0 0 1 2 0 0 0 0 2 1 0 0 0 0 0 0 0"
bpftool map update pinned "$PINS/ep_by_ip" key 10 10 0 250 value $EP_VAL
bpftool map update pinned "$PINS/ep_by_ifindex" key 15 39 0 0 value $EP_VAL
bpftool map update pinned "$PINS/networks" key 200 0 0 0 \
	value 10 200 0 0 255 255 255 0 10 200 0 1 1 0 0 0 0 0 0 0
bpftool map update pinned "$PINS/fdb" key "$N1_ID" 0 0 0 2 0 0 0 0 9 0 0 \
	value 15 39 0 0 77 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0
svcmap publish tcp 0.0.0.0 7777 10.10.0.251 80
found stray_map_entry "ep_by_ip[10.10.0.250]" "a stray ep_by_ip entry is found"
found stray_map_entry "ep_by_ifindex[9999]" "a stray ep_by_ifindex entry is found"
found stray_map_entry "networks[200]" "a stray networks slot is found"
found stray_map_entry "fdb[$N1_ID 02:00:00:00:00:09]" "a stray FDB entry is found"
found stray_published_port "portmap4[tcp 0.0.0.0:7777]" \
	"a published port leading to no endpoint is found"
repaired "stray map entries"
check "... c1's own 8080 is still published and answers" published_works
check_fails "... the port leading nowhere is unpublished, its service with it" \
	svcmap show tcp 0.0.0.0 7777

# a published port whose service lost its backend, and a backend whose port is gone
check "port add c1 7100:80 7101:80" bn port add c1 7100:80 7101:80
check "... 7100 leads to c1 through its service" \
	grep -qx "[0-9]* ${IP[c1]}:80" <<<"$(svcmap show tcp 0.0.0.0 7100)"
svcmap drop-backend tcp 0.0.0.0 7100
SVC_7101=$(svcmap show tcp 0.0.0.0 7101 | cut -d' ' -f1)
svcmap drop-frontend tcp 0.0.0.0 7101
check_fails "without its backend 7100 does not answer" \
	test "$(tcp_get ext "$NODE_IP" 7100)" = c1
found published_port_without_backend "portmap4[tcp 0.0.0.0:7100]" \
	"a published port without a backend is found"
found stray_map_entry "backends4[$SVC_7101/0]" "a backend of no published port is found"
repaired "a port without backend, a backend without port"
check "... 7100 is unpublished: port ls shows only 8080 of c1" \
	test "$(bn --json port ls | json '",".join(m["spec"] for m in d if m["endpoint"] == "c1")')" \
	= 8080:80/tcp
check "port add c1 7100:80 again" bn port add c1 7100:80
check "... and ext reaches c1 through it" test "$(tcp_get ext "$NODE_IP" 7100)" = c1
check "port rm c1 7100:80" bn port rm c1 7100:80

# routed network: a published container port's ep_ports count deleted, a stray one added
check "port add c5 7000:80 (routed)" bn port add c5 7000:80
bpftool map delete pinned "$PINS/ep_ports" key $(bytes_of "${IP[c5]}") 0 80 6 0
bpftool map update pinned "$PINS/ep_ports" key $(bytes_of "${IP[c5]}") 0 81 6 0 value 1 0 0 0
found map_entry_missing "ep_ports[${IP[c5]}:80/tcp]" "a deleted ep_ports count is found"
found stray_map_entry "ep_ports[${IP[c5]}:81/tcp]" "a stray ep_ports count is found"
repaired "ep_ports counts"
check "port rm c5 7000:80" bn port rm c5 7000:80

# detached tc filters: on the uplink (published ports stop) and on a host veth
tc -n "$NODE" filter del dev "$UPLINK" ingress
tc -n "$NODE" filter del dev "$C4_HOST" ingress
check_fails "without the uplink's filter ext cannot reach 8080" published_works
found tc_filter_missing "$UPLINK" "the uplink's detached filter is found"
found tc_filter_missing "$C4_HOST" "a host veth's detached filter is found"
run_check
valid() { json "$1" <<<"$CHECK_OUT" | grep -qx true; }
check "--json: a list of objects with kind, object, message, repaired" \
	valid 'isinstance(d, list) and all(set(i) == {"kind", "object", "message", "repaired"}
		and isinstance(i["message"], str) and i["repaired"] is False for i in d)'
repaired "detached tc filters"
check "... ext reaches c1 through 8080 again" published_works
check "... c4 pings c3" ns c4 ping -c1 -W2 "${IP[c3]}"

# a flood list emptied, the node's config zeroed, a socket hook unpinned
bpftool map delete pinned "$PINS/flood_ports" key $(printf '%d 0 0 0' "$N1_ID")
bpftool map update pinned "$PINS/config" key 0 0 0 0 value 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
rm "$PINS/link_connect4"
local_works() { [ "$(ns node socat -T 3 - TCP:127.0.0.1:8080,connect-timeout=3 </dev/null)" = c1 ]; }
found flood_list_mismatch "flood_ports[$N1_ID]" "an emptied flood list is found"
found config_mismatch "config[0]" "a zeroed config is found"
found sock_hook_missing link_connect4 "an unpinned socket hook is found"
repaired "a flood list, the config and a socket hook"
check "... the node's own client reaches 127.0.0.1:8080 again" local_works
check "... c1 pings c2 (ARP floods again)" ns c1 ping -c1 -W2 "${IP[c2]}"

# a new node address that node_addrs does not know, and a map pin deleted
ip -n "$NODE" addr add 192.168.77.50/24 dev "$UPLINK"
found node_addrs_mismatch 192.168.77.50 "a node address missing from node_addrs is found"
repaired "a new node address"
check "... ext reaches c1 through 192.168.77.50:8080" \
	test "$(tcp_get ext 192.168.77.50 8080)" = c1
rm "$PINS/ct4"
found pin_missing ct4 "a deleted map pin is found"
repaired "a deleted map pin (init again)"
check "... ext reaches c1 through 8080" published_works
check "... c3 pings c4" ns c3 ping -c1 -W2 "${IP[c4]}"

# ---- a pending journal entry, written by hand ---------------------------------------------------

# journal ENTRY: put ENTRY (python, with ep = {name: endpoint of the state}) into state.json
journal() {
	python3 - "$STATE" "$1" <<'PY'
import json, sys
path, entry = sys.argv[1], sys.argv[2]
st = json.load(open(path))
ep = {e["name"]: e for e in st["endpoints"]}
st["journal"] = eval(entry)
json.dump(st, open(path, "w"), indent=1)
PY
}

# An endpoint add cut short, of a "ghost" whose entry names c1's address: its undo
# takes its veth and the ep_by_ifindex entry with its id, and nothing of c1.
journal '{"op": "endpoint_add", "pid": 1, "endpoint": dict(ep["c1"], name="ghost", id=999,
	host_ifname="'"${PREFIX}"'999", host_ifindex=0)}'
ip -n "$NODE" link add "${PREFIX}999" type veth peer name ghostp0
bpftool map update pinned "$PINS/ep_by_ifindex" key 14 39 0 0 \
	value 0 0 0 0 231 3 0 0 1 0 0 0 $(bytes_of "${IP[c1]}") 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0
found journal_pending "endpoint add 'ghost'" "a pending endpoint add is found"
found stray_veth "${PREFIX}999" "... with the veth it made"
check "the next command succeeds" bn network create np --subnet 10.98.0.0/24
check "... and check is clean: the ghost's veth and map entry are gone" clean
check "... c1 kept its address: c2 pings it" ns c2 ping -c1 -W2 "${IP[c1]}"
check "... and ext reaches it through 8080" published_works

# A port add cut short, for c2, that names c1's published 8080 (never c2's) and 9999
# (c2's, written before the kill): 9999 goes, 8080 stays.
journal '{"op": "port_add", "pid": 1, "endpoint": ep["c2"], "mappings": ["8080:80", "9999:80"]}'
svcmap publish tcp 0.0.0.0 9999 "${IP[c2]}" 80
found journal_pending "port add 'c2' (2 mappings)" "a pending port add is found"
repaired "a pending port add"
is "$(bn --json port ls | json '",".join(sorted(m["spec"] + "@" + m["endpoint"] for m in d))')" \
	"8080:80/tcp@c1" "... 9999 is unpublished, c1's 8080 kept"
check "... and answers" published_works

# An endpoint rm cut short after its veth went: running it again finishes it.
journal '{"op": "endpoint_rm", "pid": 1, "endpoint": ep["c4"]}'
ip -n "$NODE" link del "$C4_HOST"
check "endpoint rm c4, run again after a cut-short one, succeeds" bn endpoint rm c4
check_fails "... c4 is gone" exists c4
check "... check is clean" clean
check "network rm np" bn network rm np

# ---- down, killed ------------------------------------------------------------------------------

bg_kill_all
# up: an instance with a bridge network, an endpoint and a published port
up() {
	bn init --uplink "$UPLINK" >/dev/null && bn network create nb --mode bridge \
		--subnet 10.60.0.0/24 >/dev/null && bn endpoint add nb --netns "$(nsname k)" \
		--name k >/dev/null && bn port add k 8080:80 >/dev/null
}
check "down (of everything above)" bn down
up || bail "cannot set up an instance to take down"
W=$(window up down)
loop_start
while loop_more $FEW; do
	step "init, network, endpoint, port" up || continue
	kill_point "$W" down
	# a down cut short is finished by the next command: down itself here
	step "down" bn down && step "nothing left after down" nothing_left
done
loop_report "down" $FEW

done_testing
