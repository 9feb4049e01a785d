#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The tables' sizes at init (issue 13): --ct-max and --ports-max size the
# conntrack and published-port maps, status shows them and their memory; a
# bad size is refused with nothing changed; init without them keeps a
# running node's sizes; other sizes on a running node migrate its tables,
# a flow and a published port kept and still answered; a size smaller than
# the entries held is refused; a full conntrack table of 1,024 entries still
# lets new flows through, evicting idle ones, and stats counts them lost.
source "$(dirname "$0")/lib.sh"
sandbox_setup

CTFILL=${CTFILL:-$REPO_DIR/build/tools/ctfill}
[ -x "$CTFILL" ] || bail "$CTFILL is missing: run make"
PINS="$BPFNET_BPFFS/bpfnet/$INST"
C1=10.43.0.2
PUB=6300

max_of() { bpftool -j map show pinned "$PINS/$1" | json 'd["max_entries"]'; }
map_id() { bpftool -j map show pinned "$PINS/$1" | json 'd["id"]'; }
sizes() { echo "$(max_of ct4) $(max_of sock_nat) $(max_of portmap4) $(max_of backends4) $(max_of ep_ports)"; }
# snapshot: what a refused init must leave as it was (refused_with)
snapshot() {
	for m in ct4 sock_nat portmap4 backends4 ep_ports; do echo "$m $(map_id $m) $(max_of $m)"; done
	ls "$PINS"
}
stats_get() { bn --json stats | json "$1"; }

# ---- refused before anything is made ----------------------------------------------------------
for bad in "--ct-max 1023" "--ct-max 16777217" "--ports-max 63" "--ports-max 1048577"; do
	# shellcheck disable=SC2086
	check_fails "init $bad is refused" bn init --uplink "$UPLINK" $bad
done
for bad in "--ct-max 12x" "--ct-max -5" "--ct-max 0" "--ports-max ''" "--ct-max 99999999999"; do
	out=$(eval "bn init --uplink $UPLINK $bad" 2>&1)
	is "$? $(echo "$out" | grep -c 'a number from')" "2 1" "init $bad: a usage error naming the range"
done
is "$(bn init --uplink "$UPLINK" --ct-max 100 2>&1)" \
	"bpfnet: error: --ct-max 100: from 1024 to 16777216 conntrack entries (two a flow)" \
	"the library's words for a size out of range"
check "nothing was pinned by the refused inits" test ! -e "$PINS"

# ---- a first init of the sizes asked for ----------------------------------------------------------
check "init --ct-max 4096 --ports-max 256" bn init --uplink "$UPLINK" --ct-max 4096 --ports-max 256 ||
	bail "init failed"
is "$(sizes)" "4096 2048 256 256 256" "ct4 4096, sock_nat half, the port tables 256"
is "$(bn --json status | json '[d["maps"][k] for k in ("ct_max", "ports_max")]')" "[4096, 256]" \
	"status --json has the sizes"
mem=$(bn --json status | json 'd["maps"]')
check "status --json: the memory of the tables and of every map" python3 -c '
import json, sys
m = json.loads(sys.argv[1])
t = m["tables"]
assert m["ct_memlock"] == t["ct4"]["memlock"] + t["sock_nat"]["memlock"] > 0, m
assert m["ports_memlock"] == sum(t[k]["memlock"] for k in ("portmap4", "backends4", "ep_ports")), m
assert m["memlock"] == sum(v["memlock"] for v in t.values()), m
assert t["ct4"]["max_entries"] == 4096' "$mem"
check "status says so in words" grep_out "tables: conntrack 4096 entries (2048 flows" bn status

# ---- a node with a flow and a published port ----------------------------------------------------
check "network create n1" bn network create n1 --subnet 10.43.0.0/24
new_ns c1
check "endpoint add c1" bn endpoint add n1 --netns "$(nsname c1)" --name c1 --ip $C1 || bail "c1"
udp_server c1 c1 53
wait_until 5 udp_listening c1 53 || bail "server in c1"
check "port add c1 $PUB:53/udp" bn port add c1 $PUB:53/udp
check "ext:45001 -> node:$PUB reaches c1" expect c1 udp_ask ext 45001 $NODE_IP $PUB

# ---- refused on a running node: nothing changes -------------------------------------------------
refused_with 2 "init --ct-max 1000 on a running node is refused, nothing changed" \
	"--ct-max 1000: from 1024" bn init --ct-max 1000
refused_with 2 "init --ports-max abc is refused, nothing changed" "--ports-max 'abc'" \
	bn init --ports-max abc

# ---- init without the options keeps the sizes ------------------------------------------------------
ids=$(snapshot)
check "init without sizes" bn init
is "$(sizes)" "4096 2048 256 256 256" "init without --ct-max/--ports-max keeps the sizes"
is "$(snapshot)" "$ids" "... and the very maps (no migration)"

# ---- other sizes: the tables are migrated, the flow and the port kept ------------------------------
# the flow renewed first: a UDP flow lives 60 s, and the inits above take seconds on a busy machine
check "ext:45001 again, the same flow" expect c1 udp_ask ext 45001 $NODE_IP $PUB
flows_before=$(bn --json ct ls | json '[(f["original"]["sport"], f["packets"]) for f in d]')
ports_before=$(bn --json port ls)
is "$flows_before" "[[45001, 2]]" "ct ls: the flow of two packets"
check "init --ct-max 8192 --ports-max 1024 on the running node" \
	bn init --ct-max 8192 --ports-max 1024
is "$(sizes)" "8192 4096 1024 1024 1024" "the tables have the new sizes"
is "$(bn --json ct ls | json '[(f["original"]["sport"], f["packets"]) for f in d]')" \
	"$flows_before" "ct ls: the flow kept, with its counters"
is "$(bn --json port ls)" "$ports_before" "port ls: the published port kept"
check "ext:45001 -> node:$PUB, the same flow, still reaches c1" \
	expect c1 udp_ask ext 45001 $NODE_IP $PUB
check "a new flow ext:45002 too" expect c1 udp_ask ext 45002 $NODE_IP $PUB
is "$(bn --json ct ls | json 'len(d)')" 2 "ct ls: the kept flow and the new one"
is "$(find "$PINS" -name '*_new' | grep -c .)" 0 "no staging pin is left"

# ---- smaller than the entries held: refused ---------------------------------------------------------
check "3000 synthetic flows (6000 entries), counted as created" "$CTFILL" "$PINS" fill 3000 --count
refused_with 1 "init --ct-max 4096 with 6002 entries is refused, nothing changed" \
	"map ct4 holds more than 4096 entries" bn init --ct-max 4096
check "ct flush" bn ct flush
check "init --ct-max 4096 once they are gone" bn init --ct-max 4096
is "$(max_of ct4)" 4096 "ct4 is of 4096 entries again"

# ---- a full table degrades: new flows pass, idle ones are evicted and counted ----------------------
check "init --ct-max 1024" bn init --ct-max 1024
lost0=$(stats_get 'd["ct"]["lost"]')
# 1500 flows (3000 entries) through a table of 1024 entries, one after the other
answered=$(ns ext python3 -c '
import socket, sys
ok = []
for sport in range(20000, 21500):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.bind(("0.0.0.0", sport))
    s.sendto(b"q", (sys.argv[1], int(sys.argv[2])))
    try:
        ok.append(s.recv(100) == b"c1")
    except socket.timeout:
        ok.append(False)
    s.close()
print(sum(ok), sum(ok[-100:]))' "$NODE_IP" "$PUB")
is "$answered" "1500 100" "every one of 1500 new flows into a table of 1024 entries is answered"
entries=$(stats_get 'd["ct_entries"]')
check "the table holds at most its 1024 entries ($entries)" test "$entries" -le 1024
lost=$(stats_get 'd["ct"]["lost"]')
diag "1500 flows into 1024 entries: $((lost - lost0)) counted lost to eviction, $entries entries left"
check "stats counts the flows lost to eviction (ct lost grew by $((lost - lost0)))" \
	test "$((lost - lost0))" -ge $((1500 - 1024 / 2))
check "ext:45002 (evicted long ago) is answered again, as a new flow" \
	expect c1 udp_ask ext 45002 $NODE_IP $PUB

done_testing
