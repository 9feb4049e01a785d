#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Map layout migration at init (issue 12): a datapath made by build/ (layout 1)
# is initialized again by build-next/ (make next: conntrack entries and
# endpoints of layout 2) and migrated, its flows, endpoints, published ports
# and counters kept and its programs new; then back with build/. A layout
# record naming a version no binary knows is refused, naming the map and both
# versions, with nothing changed. An init killed with SIGKILL at each step of
# a migration is completed by the next init, and until then the other
# commands refuse the half-migrated maps. MIGRATE_FLOWS=N (default 10000)
# synthetic flows are migrated too, and the time it takes is reported.
source "$(dirname "$0")/lib.sh"
sandbox_setup

NEXT_BUILT=${BPFNET_NEXT:-$REPO_DIR/build-next/bpfnet}
CTFILL=${CTFILL:-$REPO_DIR/build/tools/ctfill}
[ -x "$NEXT_BUILT" ] || bail "$NEXT_BUILT is missing: run make next"
[ -x "$CTFILL" ] || bail "$CTFILL is missing: run make"
cp "$NEXT_BUILT" "$TMP/bpfnet-next" || bail "cannot copy $NEXT_BUILT"
OLD=$BPFNET
NEW=$TMP/bpfnet-next
PINS="$BPFNET_BPFFS/bpfnet/$INST"
FLOWS=${MIGRATE_FLOWS:-10000}
C1=10.41.0.2
C2=10.41.0.3
PUB=6100

# snapshot: what a refused command must leave as it was (see below)
snapshot() {
	for m in ct4 ep_by_ip ep_by_ifindex layout; do map_id $m; done
	prog_id from_container
	prog_id from_uplink
	ls "$PINS"
	tc -n "$NODE" filter show dev "$UPLINK" ingress
	tc -n "$NODE" filter show dev "$(c1_veth)" ingress
}
c1_veth() { bn --json endpoint show c1 | json 'd["host_ifname"]'; }

# bnx ARGS...: the next layout's bpfnet
bnx() { BPFNET=$NEW bn "$@"; }

# value_size MAP: the pinned map's value size, as the kernel says
value_size() { bpftool -j map show pinned "$PINS/$1" | json 'd["bytes_value"]'; }
map_id() { bpftool -j map show pinned "$PINS/$1" | json 'd["id"]'; }
prog_id() { bpftool -j prog show pinned "$PINS/$1" | json 'd["id"]'; }
# the flows ct ls lists, as "proto src > dst" lines, sorted: what a migration must keep
flows() {
	"$@" --json ct ls | json '"\n".join(sorted("%s %s %s %s:%s>%s:%s %s/%s" % (f["proto"],
		f["kind"], f["state"], f["original"]["src"], f["original"]["sport"],
		f["original"]["dst"], f["original"]["dport"], f["packets"], f["reply_packets"])
		for f in (d["flows"] if isinstance(d, dict) else d)))'
}
endpoints() { "$@" --json endpoint ls | json '[(e["name"], e["ip"], e["mac"]) for e in d]'; }
ports() { "$@" --json port ls; }
tx_packets() { "$@" --json stats | json "[e['tx_packets'] for e in d['endpoints'] if e['name'] == 'c1'][0]"; }
staging_left() { ls "$PINS" | grep -c '_new$'; }
# layout_of MAP: the layout record's entry of MAP as "VERSION/STAGED" (bpftool dumps the
# map without BTF: keys and values as hex bytes)
layout_of() {
	bpftool -j map dump pinned "$PINS/layout" | json "[
		'%d/%d' % tuple(int.from_bytes(bytes(int(b, 16) for b in e['value'][i:i + 4]),
		'little') for i in (0, 4)) for e in d
		if bytes(int(b, 16) for b in e['key']).rstrip(b'\\0') == b'$1'][0]"
}
# layout_put MAP VERSION STAGED: write the record's entry of MAP by hand
layout_put() {
	local key val
	key=$(python3 -c 'import sys; k = sys.argv[1].encode().ljust(32, b"\0")
print(" ".join("%d" % b for b in k))' "$1")
	val=$(python3 -c 'import struct, sys
print(" ".join("%d" % b for b in struct.pack("<II", int(sys.argv[1]), int(sys.argv[2]))))' "$2" "$3")
	# shellcheck disable=SC2086
	bpftool map update pinned "$PINS/layout" key $key value $val
}

# ---- a datapath of layout 1 with endpoints, a published port, flows -----------------------------
check "init (build/, layout 1)" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --subnet 10.41.0.0/24
new_ns c1 c2
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1
check "endpoint add c2" bn endpoint add n1 --netns "$(nsname c2)" --name c2 --ip $C2
udp_server c1 c1 53
wait_until 5 udp_listening c1 53 || bail "server in c1"
check "port add c1 $PUB:53/udp" bn port add c1 $PUB:53/udp
for p in 45001 45002 45003; do
	check "ext:$p -> node:$PUB reaches c1" expect c1 udp_ask ext $p $NODE_IP $PUB
done
check "c2 -> c1 directly" expect c1 udp_ask c2 45010 $C1 53
check "$FLOWS synthetic flows" "$CTFILL" "$PINS" fill "$FLOWS"
flows_before=$(flows bn)
eps_before=$(endpoints bn)
ports_before=$(ports bn)
tx_before=$(tx_packets bn)
prog_before=$(prog_id from_container)
is "$(value_size ct4)" 72 "ct4 entries are of layout 1 (72 bytes)"
# (c2 -> c1 is a flow of one network: not tracked)
is "$(echo "$flows_before" | grep -c .)" $((FLOWS + 3)) "ct ls lists the 3 real and $FLOWS synthetic flows"

# ---- up: build-next/ migrates ------------------------------------------------------------------
t0=$EPOCHREALTIME
# init_logged LOG ARGS...: bnx init ARGS with its stderr (the migration's figures) in LOG
init_logged() { local log=$1; shift; bnx init "$@" 2>"$log"; }
check "init (build-next/, layout 2) migrates" init_logged "$TMP/up.err" --uplink "$UPLINK"
t1=$EPOCHREALTIME
diag "init migrating $((FLOWS + 3)) flows ($((2 * FLOWS + 6)) ct entries): $(((${t1/./} - ${t0/./}) / 1000)) ms in all"
diag_file "$TMP/up.err"
is "$(value_size ct4)" 80 "ct4 is of layout 2 now (80 bytes)"
is "$(value_size ep_by_ip)" 40 "ep_by_ip is of layout 2 now (40 bytes)"
is "$(layout_of ct4)" 2/0 "the layout record says ct4 is of layout 2"
is "$(staging_left)" 0 "no staging pin is left"
is "$(flows bnx)" "$flows_before" "ct ls: every flow kept, with its state and counters"
is "$(endpoints bnx)" "$eps_before" "endpoint ls: the same endpoints"
is "$(ports bnx)" "$ports_before" "port ls: the same published ports"
is "$(tx_packets bnx)" "$tx_before" "stats: c1's counters kept"
isnt_prog() { [ "$(prog_id from_container)" != "$prog_before" ]; }
check "the programs are new ones" isnt_prog
check "ext:45001 -> node:$PUB, the same flow, reaches c1" expect c1 udp_ask ext 45001 $NODE_IP $PUB
check "c2 -> c1 still" expect c1 udp_ask c2 45010 $C1 53
is "$(flows bnx | grep -c .)" $((FLOWS + 3)) "no flow was made anew"
refused_with 1 "build/'s ct ls refuses the maps of layout 2" "ct4 has layout version 2" bn ct ls
check "build-next/'s status: its layout and the datapath's agree" \
	grep_out "the datapath's is this bpfnet's (ABI 1, ep_by_ifindex 2, ep_by_ip 2, ct4 2" bnx status
check "build/'s status: the layouts differ, run init" \
	grep_out "DIFFERS from this bpfnet's, run \`bpfnet init\` to migrate:" bn status
check "build/'s status names ct4's two versions" grep_out "ct4 2 (this bpfnet: 1)" bn status
is "$(bn --json status | json '[d["layout"]["differ"], d["layout"]["maps"]["ct4"]]')" \
	'[true, {"datapath": 2, "binary": 1, "migrating_to": 0}]' "status --json: the same"
is "$(bn --json check | json '[i["kind"] + " " + i["object"] for i in d]')" \
	'["layout_differs ep_by_ifindex", "layout_differs ep_by_ip", "layout_differs ct4"]' \
	"build/'s check: the three maps of layout 2"

# ---- down: build/ migrates back -----------------------------------------------------------------
check "init (build/, layout 1) migrates back" bn init --uplink "$UPLINK"
is "$(value_size ct4)" 72 "ct4 is of layout 1 again"
is "$(layout_of ct4)" 1/0 "the layout record says so"
is "$(flows bn | grep -c .)" $((FLOWS + 3)) "every flow kept"
is "$(endpoints bn)" "$eps_before" "endpoint ls: the same endpoints"
is "$(ports bn)" "$ports_before" "port ls: the same published ports"
check "ext:45001 -> node:$PUB, the same flow, reaches c1" expect c1 udp_ask ext 45001 $NODE_IP $PUB
is "$(flows bn | grep -c .)" $((FLOWS + 3)) "no flow was made anew"

# ---- a layout no binary knows: refused, nothing changed ---------------------------------------
check "the layout record says ct4 is of layout 7 (written with bpftool)" layout_put ct4 7 0
refused_with 1 "init refuses ct4 of layout 7, naming both versions" \
	"map ct4 has layout version 7, this bpfnet's is 1" bn init --uplink "$UPLINK"
refused_with 1 "init of build-next/ refuses it too" \
	"map ct4 has layout version 7, this bpfnet's is 2" bnx init --uplink "$UPLINK"
refused_with 1 "ct ls refuses it, telling to run init" "run \`bpfnet init\`" bn ct ls
check "c1 still reached through the untouched datapath" expect c1 udp_ask ext 45001 $NODE_IP $PUB
check "the record set back to layout 1" layout_put ct4 1 0

# ---- a datapath of a bpfnet before the layout record and the monitor ------------------------
# Such a bpfnet pinned neither the record nor the monitor's maps: their pins go (the programs
# keep the maps they hold), and the datapath is what that bpfnet left, still forwarding.
check "the layout record and the monitor's maps unpinned, as a bpfnet 0.4 left them" \
	rm "$PINS/layout" "$PINS/mon_ctl" "$PINS/mon_rings" "$PINS/mon_cpu"
check "c1 reached through the older datapath" expect c1 udp_ask ext 45001 $NODE_IP $PUB
check "status: a datapath of an older bpfnet, running, that init upgrades" \
	grep_out "a datapath of an older bpfnet (it has no map" bn status
check "init upgrades it in place" bn init --uplink "$UPLINK"
is "$(layout_of ct4)" 1/0 "the layout record is there again: ct4 of layout 1"
is "$(flows bn | grep -c .)" $((FLOWS + 3)) "every flow kept"
check "the same flow reaches c1" expect c1 udp_ask ext 45001 $NODE_IP $PUB
is "$(flows bn | grep -c .)" $((FLOWS + 3)) "no flow was made anew"
check "check: healthy" bn check

# ---- SIGKILL at each step of a migration, completed by the next init --------------------------
# kill_at STEP: build-next/'s init, paused at STEP by the test hook, killed with SIGKILL there;
# fails (not ok, with its stderr) when it never got there
kill_at() {
	local pid
	rm -f "$TMP/kill.err"
	BPFNET_TEST_MIGRATE_PAUSE=$1 ip netns exec "$NODE" "$NEW" --instance "$INST" \
		init --uplink "$UPLINK" 2>"$TMP/kill.err" &
	pid=$!
	if ! wait_until 30 grep -q "paused at $1" "$TMP/kill.err"; then
		not_ok "build-next/ init paused at $1"
		diag_file "$TMP/kill.err"
		kill -9 $pid
		wait $pid
		return 1
	fi
	ok "build-next/ init paused at $1"
	kill -9 $pid
	wait $pid 2>/dev/null
	return 0	# not wait's 137 of the kill
}

for step in prepared copied attached renamed_one; do
	kill_at $step || continue
	diag "killed at $step: $(ls "$PINS" | grep _new | tr '\n' ' ')"
	if [ "$step" != prepared ]; then
		refused_with 1 "killed at $step: ct ls refuses the half-migrated maps" \
			"run \`bpfnet init\` to complete it" bn ct ls
		check "killed at $step: status says a migration was cut short" \
			grep_out "a migration to 2 was cut short" bnx status
		check "killed at $step: check finds it" \
			grep_out '"migration_unfinished"' bnx --json check
	fi
	check "killed at $step: the next init completes the migration" bnx init --uplink "$UPLINK"
	is "$(layout_of ct4)/$(value_size ct4)" 2/0/80 "killed at $step: ct4 is of layout 2"
	is "$(staging_left)" 0 "killed at $step: no staging pin left"
	# the flows ext:45002 and :45003 may expire meanwhile (UDP, 60 s idle): not counted
	is "$(flows bnx | grep -c "203.0.113.1:53 ")" "$FLOWS" \
		"killed at $step: every synthetic flow kept"
	check "killed at $step: the flow of ext:45001 kept" grep_out ":45001>" flows bnx
	check "killed at $step: the flow still reaches c1" \
		expect c1 udp_ask ext 45001 $NODE_IP $PUB
	check "killed at $step: back to layout 1" bn init --uplink "$UPLINK"
done

# ---- the next mutating command finishes an interrupted migration first (the journal) -------
kill_at attached
new_ns c3
check "killed at attached: endpoint add (build-next/) finishes the init first, then adds" \
	bnx endpoint add n1 --netns "$(nsname c3)" --name c3 --ip 10.41.0.4
is "$(layout_of ct4) $(staging_left)" "2/0 0" "the migration is complete, no staging pin left"
is "$(flows bnx | grep -c "203.0.113.1:53 ")" "$FLOWS" "every synthetic flow kept"
check "c3 -> c1 through the new programs" expect c1 udp_ask c3 45011 $C1 53

# ---- down of a half-migrated datapath leaves nothing ----------------------------------------
check "back to layout 1, for one more migration" bn init --uplink "$UPLINK"
kill_at attached
check "down of a datapath killed mid-migration" bnx down
no_pins() { [ ! -e "$PINS" ]; }
check "no pin is left, staging ones neither" no_pins

done_testing
