#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Upgrades under live traffic (issue 12): four flows run through the node while it is
# upgraded, and each must come out whole. A TCP flow from outside through a published
# port, one from a container out through masquerade, one container to container (each
# iperf3 at a capped rate) and a UDP stream through a published port; a light stream of
# new connections (tools/connrate) beside them. While they run:
#   (a) init is re-run, several times;
#   (b) a binary whose BPF programs differ (make prog-variant, build-prog/) is installed,
#       then the normal one again: the attached programs on the uplink and on a host veth
#       change (tags), the maps and the flows stay;
#   (c) the binary of the next map layout (make next, build-next/: conntrack and endpoint
#       entries of layout 2) is installed, and then the normal one again;
#   (d) bpfnet is killed with SIGKILL at varied points of init, endpoint add, port add and
#       of a migration; after each kill the next command works and check is clean.
# Then every flow kept its connection for its full duration (iperf3 exits 0 after all its
# seconds, bytes in every second, no reset), and lost at most a handful of packets, and
# no new connection failed.
#
# The bounds: the programs are swapped by replacing each tc filter in place, so every
# packet meets the old program or the new one, both over the same maps (or, for (c),
# maps whose entries were converted before the swap): the upgrade itself loses nothing.
# What a flow may lose is what this shared, loaded machine loses without an upgrade:
# UDP_LOSS_MAX datagrams of the ~FLOW_SECONDS*125 sent, TCP_RETRANS_MAX retransmitted
# segments of a flow. A lost conntrack or NAT entry would cost far more: the flow's
# next packets dropped or reset, its bytes stopping.
#
# UPGRADE_FLOW_SECONDS=N: how long the flows of (a)-(c) run (30); those of (d), whose kills
# take longer (each init after a kill loads and verifies the tc and XDP programs), twice as long.
source "$(dirname "$0")/lib.sh"
sandbox_setup

FLOW_SECONDS=${UPGRADE_FLOW_SECONDS:-30}
KILL_FLOW_SECONDS=$((FLOW_SECONDS * 2))
TCP_RATE=20M		# per TCP flow: far below what a path carries here (gigabits)
TCP_RATE_BPS=20000000
UDP_RATE=1M UDP_LEN=1000	# 125 datagrams a second
TCP_RETRANS_MAX=20
UDP_LOSS_MAX=5
CONNRATE=${CONNRATE:-$REPO_DIR/build/tools/connrate}
PINS="$BPFNET_BPFFS/bpfnet/$INST"

# ---- the binaries ---------------------------------------------------------------------------

# private copies, as sandbox_setup's of build/bpfnet: a rebuild cannot swap them midway
NORMAL=$BPFNET
PROG=$TMP/bpfnet-prog
NEXT=$TMP/bpfnet-next
make_quiet() { make -C "$REPO_DIR" --no-print-directory -s "$@" >"$TMP/make.log" 2>&1; }
if make_quiet prog-variant && cp "$REPO_DIR/build-prog/bpfnet" "$PROG"; then
	ok "make prog-variant: build-prog/bpfnet, the binary with changed programs"
else
	diag_file "$TMP/make.log"
	bail "make prog-variant"
fi
if make_quiet next && cp "$REPO_DIR/build-next/bpfnet" "$NEXT"; then
	ok "make next: build-next/bpfnet, the binary of the next map layout"
else
	diag_file "$TMP/make.log"
	bail "make next"
fi

# with BIN ARGS...: bpfnet binary BIN of this instance in the node
with() {
	local bin=$1
	shift
	timeout -k 5 60 ip netns exec "$NODE" "$bin" --instance "$INST" "$@"
}
# bn: the binary installed now
CUR=$NORMAL
bn() { with "$CUR" "$@"; }

# ---- the node -------------------------------------------------------------------------------

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.76.0.0/24 || bail "network"
new_ns c1 c2 c3 k1 k2 k3 k4 p
for c in c1 c2 c3; do
	check "endpoint add $c" bn endpoint add n1 --netns "$(nsname $c)" --name $c || bail "$c"
done
C1=$(ep_ip c1) C1=${C1%/*}
check "port add c1 15201:5201 (the flow from outside)" bn port add c1 15201:5201
check "port add c3 15204:5204 15204:5204/udp 18000:8000 (the UDP stream, connections)" \
	bn port add c3 15204:5204 15204:5204/udp 18000:8000
host_if() { bn --json endpoint show "$1" | json 'd["host_ifname"]'; }
C1_HOST=$(host_if c1)

# prog_on DEV: "ID TAG" of the tc program attached at DEV's ingress in the node
prog_on() {
	tc -n "$NODE" filter show dev "$1" ingress |
		sed -n 's/.* id \([0-9]*\) name [^ ]* tag \([0-9a-f]*\).*/\1 \2/p' | head -n1
}
# pinned_prog NAME: "ID TAG" of the pinned program NAME
pinned_prog() {
	bpftool -j prog show pinned "$PINS/$1" | json '"%d %s" % (d["id"], d["tag"])'
}
# runs_pinned: the uplink and c1's veth run the programs pinned now (the ones init loaded)
runs_pinned() {
	local up ve
	up=$(pinned_prog from_uplink) ve=$(pinned_prog from_container)
	[ "$(prog_on "$UPLINK")" = "$up" ] && [ "$(prog_on "$C1_HOST")" = "$ve" ] && return 0
	echo "uplink runs '$(prog_on "$UPLINK")', pinned '$up'"
	echo "$C1_HOST runs '$(prog_on "$C1_HOST")', pinned '$ve'"
	return 1
}
tag_of() { cut -d' ' -f2 <<<"$1"; }
# map_sizes: the value sizes of the maps whose layout the next binary changes
map_sizes() {
	local m
	for m in ct4 ep_by_ip ep_by_ifindex; do
		bpftool -j map show pinned "$PINS/$m" | json 'd["bytes_value"]'
	done | paste -sd/
}

# healthy DESC: check finds nothing, and status says every program is attached
healthy() {
	check "$1: check is clean" bn check
	check "$1: status: the uplink and every endpoint attached" \
		grep_out 'attached: uplink up0 yes; endpoints \([0-9]*\) of \1; socket hooks yes' \
		bn status
}

healthy "before the flows"
check "the uplink and c1's veth run the pinned programs" runs_pinned
UP0=$(prog_on "$UPLINK") VE0=$(prog_on "$C1_HOST")

# ---- the flows ------------------------------------------------------------------------------

# servers: iperf3 in c1 (from outside through 15201, and from c2), in ext (c2's
# masquerade), in c3 (UDP through 15204), connrate in c3 (through 18000)
bg timeout 600 ip netns exec "$(nsname c3)" "$CONNRATE" server 8000
FLOWS=(ingress masq c2c udp)
declare -A FLOW_PID=() FLOW_DESC=(
	[ingress]="TCP ext -> published port -> c1"
	[masq]="TCP c2 -> ext through masquerade"
	[c2c]="TCP c2 -> c1"
	[udp]="UDP ext -> published port -> c3")

# flow_cmd NAME: the client's netns and iperf3 arguments
flow_cmd() {
	case "$1" in
	ingress) echo "ext -c $NODE_IP -p 15201 -b $TCP_RATE" ;;
	masq) echo "c2 -c $EXT_IP -p 5202 -b $TCP_RATE" ;;
	c2c) echo "c2 -c $C1 -p 5203 -b $TCP_RATE" ;;
	udp) echo "ext -c $NODE_IP -p 15204 -u -b $UDP_RATE -l $UDP_LEN" ;;
	esac
}

# established NS DST PORT: the client's connections to DST:PORT are up (control and data:
# 2 for TCP, 1 for UDP, whose data is not a TCP connection)
established() {
	local n
	n=$(ip netns exec "$PFX$1" ss -Htn state established "dst $2:$3" | wc -l)
	[ "$n" -ge "$4" ]
}

# resets SHORT: the connections netns SHORT has seen reset (TcpEstabResets, ever)
resets() { ip netns exec "$PFX$1" nstat -az TcpEstabResets | awk '$1 == "TcpEstabResets" { print $2 }'; }
declare -A RESETS0=()

# flows_start PHASE SECONDS: every flow's server and client, for SECONDS, returned once
# all are connected
declare -A PHASE_SECONDS=()
flows_start() {
	local f n args ph=$1 s conns
	PHASE_SECONDS[$ph]=$2
	for s in "c1 5201" "ext 5202" "c1 5203" "c3 5204"; do
		bg timeout $(($2 + 60)) ip netns exec "$PFX${s% *}" iperf3 -s -1 -p "${s#* }"
	done
	for s in "c1 5201" "ext 5202" "c1 5203" "c3 5204"; do
		wait_until 5 tcp_listening "${s% *}" "${s#* }" || bail "iperf3 server ${s#* } in ${s% *}"
	done
	for n in c1 c2; do RESETS0[$n]=$(resets $n); done
	for f in "${FLOWS[@]}"; do
		read -r n args <<<"$(flow_cmd "$f")"
		# shellcheck disable=SC2086 # the arguments are words
		timeout -k 5 $(($2 + 30)) ip netns exec "$PFX$n" iperf3 $args \
			-t "$2" -J --connect-timeout 3000 >"$TMP/$ph-$f.json" 2>"$TMP/$ph-$f.err" 9>&- &
		FLOW_PID[$f]=$!
	done
	for f in "${FLOWS[@]}"; do
		read -r n args <<<"$(flow_cmd "$f")"
		read -r _ dst _ port _ <<<"$args"
		conns=2
		[ "$f" = udp ] && conns=1
		wait_until 10 established "$n" "$dst" "$port" $conns ||
			{ not_ok "$ph: flow $f connected"; diag_file "$TMP/$ph-$f.err"; }
	done
	sleep 1 # a second of traffic before the first operation
}

# flows_running PHASE: every client still runs (so what came before happened under it)
flows_running() {
	local f dead=""
	for f in "${FLOWS[@]}"; do kill -0 "${FLOW_PID[$f]}" 2>/dev/null || dead+="$f "; done
	[ -z "$dead" ] || { echo "ended already: $dead"; return 1; }
}

# flows_check PHASE: wait for every client; one TAP line for each flow's verdicts
flows_check() {
	local ph=$1 f rc n
	for f in "${FLOWS[@]}"; do
		wait "${FLOW_PID[$f]}"
		rc=$?
		python3 - "$TMP/$ph-$f.json" "$rc" "${PHASE_SECONDS[$ph]}" "$f" "$TCP_RATE_BPS" \
			"$TCP_RETRANS_MAX" "$UDP_LOSS_MAX" >"$TMP/verdict" 2>&1 <<'PY'
import json, sys
path, rc, seconds, flow, rate, retrans_max, loss_max = sys.argv[1:]
seconds, rate, retrans_max, loss_max = float(seconds), int(rate), int(retrans_max), int(loss_max)
bad, said = [], []
try:
    d = json.load(open(path))
except (OSError, ValueError) as e:
    d = {"error": f"no JSON ({e})"}
if rc != "0":
    bad.append(f"iperf3 exit {rc}")
if d.get("error"):
    bad.append("iperf3: " + d["error"])
end = d.get("end", {})
iv = [i["sum"]["bytes"] for i in d.get("intervals", [])]
# the last interval may be a sliver past the whole seconds
whole = [b for i, b in zip(d.get("intervals", []), iv) if i["sum"]["seconds"] > 0.5]
if end:
    sent = end["sum_sent"] if flow != "udp" else end["sum"]
    said.append("%.1f s" % sent["seconds"])
    if sent["seconds"] < seconds - 0.5:
        bad.append("ran %.1f s of %d" % (sent["seconds"], seconds))
    if whole and min(whole) == 0:
        bad.append("seconds without a byte: %s" % [k for k, b in enumerate(whole) if b == 0])
    if flow == "udp":
        r = end["sum"]
        said.append("%d datagrams, %d lost" % (r["packets"], r["lost_packets"]))
        if r["lost_packets"] > loss_max:
            bad.append("%d datagrams lost (at most %d)" % (r["lost_packets"], loss_max))
        if r["packets"] < 0.95 * seconds * 125:
            bad.append("only %d datagrams sent" % r["packets"])
    else:
        got = end["sum_received"]["bytes"]
        said.append("%.1f MB received, %d retransmits" % (got / 1e6, sent.get("retransmits", 0)))
        if got < 0.9 * rate / 8 * seconds:
            bad.append("received %d bytes, want >= 90%% of %d" % (got, rate / 8 * seconds))
        if sent.get("retransmits", 0) > retrans_max:
            bad.append("%d retransmits (at most %d)" % (sent["retransmits"], retrans_max))
    said.append("min bytes in a second %d" % (min(whole) if whole else -1))
elif not bad:
    bad.append("no end in the JSON")
# fields apart by US (\x1f): read splits on it without merging empty fields as on tabs
print(("not ok" if bad else "ok") + "\x1f" + (", ".join(said) or "-") + "\x1f" + "; ".join(bad))
PY
		IFS=$'\x1f' read -r verdict said problems <"$TMP/verdict"
		if [ "$verdict" = ok ]; then
			ok "$ph: ${FLOW_DESC[$f]} kept its connection, lost nothing above the bound ($said)"
		else
			not_ok "$ph: ${FLOW_DESC[$f]} kept its connection, lost nothing above the bound"
			diag "$said"
			diag "problems: ${problems:-$(cat "$TMP/verdict")}"
			diag_file "$TMP/$ph-$f.err"
		fi
	done
	for n in c1 c2; do
		is "$(($(resets $n) - RESETS0[$n]))" 0 "$ph: no connection of $n was reset"
	done
}

# conn_start SECONDS: new connections from ext through 18000 to c3, 500 a second (a steady
# load that leaves the CPUs to the flows)
CONN_PID=""
conn_start() {
	timeout -k 5 $(($1 + 30)) ip netns exec "$EXT" "$CONNRATE" client "$NODE_IP" 18000 \
		--duration "$1" --concurrency 8 --rate 500 >"$TMP/conn.out" 2>&1 9>&- &
	CONN_PID=$!
}

# conn_check PHASE: the connections all succeeded (no timing asserted: this machine is shared)
conn_check() {
	local rc
	wait "$CONN_PID"
	rc=$?
	if [ $rc = 0 ] && grep -q ' errors=0 ' "$TMP/conn.out"; then
		ok "$1: no new connection failed ($(cat "$TMP/conn.out"))"
	else
		not_ok "$1: no new connection failed (connrate exit $rc)"
		diag_file "$TMP/conn.out"
	fi
}

# ms ARGS...: how long one run of the installed bpfnet takes (ms); fails as it does
ms() {
	local t0=$EPOCHREALTIME t1 rc
	ip netns exec "$NODE" "$CUR" --instance "$INST" "$@" >"$TMP/ms.out" 2>&1
	rc=$?
	t1=$EPOCHREALTIME
	echo $(((${t1/./} - ${t0/./}) / 1000))
	return $rc
}

# ---- phase 1: (a), (b), (c) under the flows -----------------------------------------------------

flows_start p1 "$FLOW_SECONDS"
conn_start $((FLOW_SECONDS - 2))
OPS_T0=$SECONDS

# (a) init again, and again
INIT_MS=()
for i in 1 2 3; do
	if t=$(ms init); then
		ok "(a) init run again ($i of 3, $t ms) under the flows"
		INIT_MS+=("$t")
	else
		not_ok "(a) init run again ($i of 3) under the flows"
		diag_file "$TMP/ms.out"
	fi
done
healthy "(a)"
check "(a) the uplink and c1's veth run the programs this init pinned" runs_pinned
is "$(tag_of "$(prog_on "$UPLINK")") $(tag_of "$(prog_on "$C1_HOST")")" \
	"$(tag_of "$UP0") $(tag_of "$VE0")" "(a) the same binary: the same programs (tags)"

# (b) a binary with changed programs, then the normal one again
CUR=$PROG
check "(b) init of the binary with changed programs (build-prog/)" bn init
healthy "(b)"
check "(b) the uplink and c1's veth run its programs" runs_pinned
UP1=$(prog_on "$UPLINK") VE1=$(prog_on "$C1_HOST")
check "(b) the uplink's program changed: tag $(tag_of "$UP0") -> $(tag_of "$UP1")" \
	test "$(tag_of "$UP0")" != "$(tag_of "$UP1")"
check "(b) c1's veth's program changed: tag $(tag_of "$VE0") -> $(tag_of "$VE1")" \
	test "$(tag_of "$VE0")" != "$(tag_of "$VE1")"
CUR=$NORMAL
check "(b) init of the normal binary again" bn init
healthy "(b) back"
is "$(tag_of "$(prog_on "$UPLINK")") $(tag_of "$(prog_on "$C1_HOST")")" \
	"$(tag_of "$UP0") $(tag_of "$VE0")" "(b) back: the normal programs run again"

# (c) the next map layout, then the normal one again: the maps of the live flows' conntrack
# and NAT entries and of the endpoints are made anew of other value sizes, their entries
# converted, and the flows go on in them
MIGRATE_MS=""
SIZES1=$(map_sizes)
CUR=$NEXT
if MIGRATE_MS=$(ms init); then
	ok "(c) init of the next layout's binary (build-next/) under the flows ($MIGRATE_MS ms)"
else
	not_ok "(c) init of the next layout's binary (build-next/) under the flows"
	diag_file "$TMP/ms.out"
	MIGRATE_MS=""
fi
SIZES2=$(map_sizes)
check "(c) ct4, ep_by_ip, ep_by_ifindex migrated: values of $SIZES1 bytes -> $SIZES2" \
	test "$SIZES1" != "$SIZES2"
is "$(with "$NEXT" --json status | json '[d["layout"]["differ"]] + [d["layout"]["maps"][m]["datapath"]
	for m in ("ct4", "ep_by_ip", "ep_by_ifindex")]')" "[false, 2, 2, 2]" \
	"(c) status: the datapath's layout is the next binary's, ct4 and ep_by_* at 2"
check "(c) status of the normal binary: the layouts differ, ct4 at 2, its own 1" \
	grep_out 'layout: DIFFERS.* ct4 2 (this bpfnet: 1' with "$NORMAL" status
healthy "(c) next layout"
check "(c) the uplink and c1's veth run its programs" runs_pinned
CUR=$NORMAL
check "(c) init of the normal binary again (migrating back)" bn init
is "$(map_sizes)" "$SIZES1" "(c) back: the maps are of layout 1 again"
healthy "(c) back"
check "(c) back: the uplink and c1's veth run the normal programs" runs_pinned

diag "phase 1: the operations took $((SECONDS - OPS_T0)) s of the flows' $FLOW_SECONDS"
check "phase 1: every flow still ran when the operations were done" flows_running
flows_check p1
conn_check p1

# ---- phase 2: (d) SIGKILL at varied points, under new flows ---------------------------------

# nap MS: wait MS ms in bash itself (a read timing out on a pipe nobody writes)
exec {NAP_FD}<> <(:)
nap() { read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$NAP_FD"; return 0; }

# kill_at MS ARGS...: the installed bpfnet ARGS in the node, sent SIGKILL MS ms after its
# start (ip netns exec execs it: $! is bpfnet); 0 when the kill came while it ran
kill_at() {
	local ms=$1 pid
	shift
	TRIED+=("$ms")
	ip netns exec "$NODE" "$CUR" --instance "$INST" "$@" >/dev/null 2>&1 9>&- &
	pid=$!
	nap "$ms"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? = 137 ]
}

# points W: KILLS kill points spread over a W ms window (its 1/(KILLS+1), 2/(KILLS+1), ...)
KILLS=4
points() {
	local i
	for i in $(seq "$KILLS"); do echo $((1 + $1 * i / (KILLS + 1))); done
}

# A kill loop's record: the points that hit, what failed after them
HIT=() FAILS=() TRIED=()
loop_start() { HIT=() FAILS=() TRIED=(); }
# after DESC CMD...: a command after a kill that must succeed
after() {
	local desc=$1 out
	shift
	out=$("$@" 2>&1) && return 0
	FAILS+=("after the kill at $POINT ms: $desc failed: $(head -c 400 <<<"$out")")
	return 1
}
loop_report() {
	diag "$1: killed at ${HIT[*]:-no point} ms while it ran"
	result $((${#HIT[@]} > 0 ? 0 : 1)) "(d) $1: kills came while it ran (${#HIT[@]} of ${#TRIED[@]})"
	if [ ${#FAILS[@]} = 0 ]; then
		ok "(d) $1: after every kill the next command worked and check was clean"
	else
		not_ok "(d) $1: after every kill the next command worked and check was clean"
		for f in "${FAILS[@]:0:6}"; do diag "$f"; done
	fi
}

flows_start p2 "$KILL_FLOW_SECONDS"
conn_start $((KILL_FLOW_SECONDS - 2))
OPS_T0=$SECONDS

# init, killed: the next init finishes the upgrade
W=$(printf '%s\n' "${INIT_MS[@]}" | sort -n | head -n1)
loop_start
for POINT in $(points "${W:-800}"); do
	kill_at "$POINT" init && HIT+=("$POINT")
	after "init" bn init && after "check" bn check
done
loop_report "init"

# endpoint add, killed: another endpoint can be added, the killed one removed
W=$(ms endpoint add n1 --netns "$(nsname p)" --name p) && bn endpoint rm p >/dev/null
loop_start
i=0
for POINT in $(points "${W:-300}"); do
	i=$((i + 1))
	kill_at "$POINT" endpoint add n1 --netns "$(nsname k$i)" --name k$i && HIT+=("$POINT")
	after "endpoint add p" bn endpoint add n1 --netns "$(nsname p)" --name p &&
		after "check" bn check
	after "endpoint rm p" bn endpoint rm p
	if bn endpoint show k$i >/dev/null 2>&1; then after "endpoint rm k$i" bn endpoint rm k$i; fi
done
loop_report "endpoint add"

# port add of 5,000 ports, killed: published all or not at all, the next port add works
RANGE=20000-24999:20000-24999
range_count() {
	bn --json port ls | json 'sum(m["host_port_last"] - m["host_port"] + 1
		for m in d if m["endpoint"] == "c2" and 20000 <= m["host_port"] <= 24999)'
}
W=$(ms port add c2 $RANGE) && bn port rm c2 $RANGE >/dev/null
loop_start
for POINT in $(points "${W:-500}"); do
	kill_at "$POINT" port add c2 $RANGE && HIT+=("$POINT")
	after "port add c2 40000:80" bn port add c2 40000:80 && after "check" bn check
	n=$(range_count)
	[ "$n" = 0 ] || [ "$n" = 5000 ] || FAILS+=("after the kill at $POINT ms: $n of the range published")
	after "port rm c2 40000:80" bn port rm c2 40000:80
	[ "$n" != 5000 ] || after "port rm c2 $RANGE" bn port rm c2 $RANGE
done
loop_report "port add of 5000 ports"

# kill_paused STEP: the next layout's init, stopped by its test hook at STEP of the
# migration (BPFNET_TEST_MIGRATE_PAUSE), then sent SIGKILL; 0 when it got there
kill_paused() {
	local pid rc=0
	BPFNET_TEST_MIGRATE_PAUSE=$1 ip netns exec "$NODE" "$NEXT" --instance "$INST" init \
		>/dev/null 2>"$TMP/paused.err" 9>&- &
	pid=$!
	wait_until 30 grep -q "paused at $1" "$TMP/paused.err" || rc=1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return $rc
}

# migrated_round: after a killed migration, the next init of the next layout completes
# it, and the normal binary's init migrates back, each leaving check clean
migrated_round() {
	CUR=$NEXT
	after "init of the next layout's binary" bn init && after "check (next layout)" bn check
	CUR=$NORMAL
	after "init of the normal binary" bn init && after "check (back)" bn check
}

# a migration, killed at each of its steps and at spread points of its time
MIGRATE_STEPS=(prepared copied attached renamed_one)
if [ -z "$MIGRATE_MS" ]; then
	not_ok "(d) a migration to the next layout, killed: (c) did not migrate"
else
	loop_start
	for POINT in "${MIGRATE_STEPS[@]}"; do
		kill_paused "$POINT" && HIT+=("$POINT") ||
			FAILS+=("the init did not pause at $POINT: $(head -c 300 "$TMP/paused.err")")
		migrated_round
	done
	diag "migration: killed at the steps ${HIT[*]}"
	result $((${#HIT[@]} == ${#MIGRATE_STEPS[@]} ? 0 : 1)) \
		"(d) a migration, killed at each step (${MIGRATE_STEPS[*]})"
	if [ ${#FAILS[@]} = 0 ]; then
		ok "(d) ... after each the next init completed it, the one after migrated back, check clean"
	else
		not_ok "(d) ... after each the next init completed it, the one after migrated back, check clean"
		for f in "${FAILS[@]:0:6}"; do diag "$f"; done
	fi
	loop_start
	for POINT in $(KILLS=2 points "$MIGRATE_MS"); do
		CUR=$NEXT
		kill_at "$POINT" init && HIT+=("$POINT")
		migrated_round
	done
	loop_report "a migration to the next layout, at spread points"
fi

healthy "(d) after the kills"
check "(d) the uplink and c1's veth run the pinned programs" runs_pinned
diag "phase 2: the kills took $((SECONDS - OPS_T0)) s of the flows' $KILL_FLOW_SECONDS"
check "phase 2: every flow still ran when the kills were done" flows_running
flows_check p2
conn_check p2

done_testing
