# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the measurements, on a variant that setup_variant built.
# Every number becomes a row of raw.csv: section,variant,path,ports,rep,metric,value
# where value is a number, "unsupported" (metric "*", reason in notes.csv) or "error".

# container-side ports of the servers (iperf3; connrate for connections and
# request/response), and the host ports published for them
PORT_IPERF=5201 PORT_CONN=8000
HOST_IPERF=15201 HOST_CONN=18000
MEASURED_PORTS=("$HOST_IPERF:$PORT_IPERF" "$HOST_CONN:$PORT_CONN")
# published after the N extras and the measured ones (outside the extras' range)
ONE_MORE_PORT=65000 RULE_ADD_PORT=65001
MSG=64 # bytes of a request and of a response
# fragmented UDP: datagrams of three fragments at MTU 1500 (issue 8's iperf3 -u -l 3000), at a
# load far below what every path carries here (TCP: gigabits), so that a path's loss shows the
# fragments it loses rather than the CPU it lacks; the floor's own loss is the machine's noise
UDP_LEN=3000 UDP_RATE=100M
# shellcheck disable=SC2034 # used by tools/bench, which sources this
PATHS_ALL=(c2c ingress egress local hairpin)

record() { # SECTION VARIANT PATH PORTS REP METRIC VALUE
	local IFS=,
	printf '%s\n' "$*" >>"$RAW"
}

# note VARIANT SCOPE STATUS REASON: why something is unsupported or failed (notes.csv)
note() {
	printf '%s,%s,%s,"%s"\n' "$1" "$2" "$3" "${4//\"/\'}" >>"$NOTES"
}

# put SECTION VARIANT PATH PORTS REP METRIC VALUE LABEL: a number, or "error" if empty
put() {
	local sec=$1 v=$2 path=$3 ports=$4 rep=$5 metric=$6 val=$7 label=$8
	if [ -z "$val" ]; then
		record "$sec" "$v" "$path" "$ports" "$rep" "$metric" error
		note "$v" "$sec/$path/$ports/$metric" error "no number (see $OUT/errors.log)"
		printf '      %-26s ERROR (see errors.log)\n' "$label"
		return 1
	fi
	record "$sec" "$v" "$path" "$ports" "$rep" "$metric" "$val"
	printf '      %-26s %s\n' "$label" "$val"
}

put_unsupported() { # SECTION VARIANT PATH PORTS REP REASON
	record "$1" "$2" "$3" "$4" "$5" "*" unsupported
	note "$2" "$1/$3" unsupported "$6"
	printf '      %-26s unsupported: %s\n' "$3" "$6"
}

# errlog WHAT FILE: keep a failed command's output in errors.log
errlog() {
	{
		echo "== $(date +%T) $1"
		tail -n 30 "$2" 2>/dev/null
	} >>"$OUT/errors.log"
}

# ---- CPU time per unit of work -------------------------------------------------------
# On a shared machine the rate of a path moves with whatever else runs; the CPU time the
# work took moves less. Around each measurement the machine's busy time is sampled from
# /proc/stat (all cores: user nice system irq softirq steal; idle and iowait left out, guest
# time is already in user) and divided by the work done: METRIC_cpu_ns in raw.csv. It is
# machine-wide on purpose (client, server and both sides' softirqs run on any core), so it
# also holds other load. METRIC_cpu_busy_pct, the share of all cores busy during the test,
# tells when that load saturated them (then CPU ns per unit is just cores ÷ rate).

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
NCPU=$(nproc)

# cpu_mark: "BUSY_NS WALL_NS" now
cpu_mark() {
	awk -v hz="$CLK_TCK" -v now="$(date +%s%N)" \
		'/^cpu / { printf "%.0f %s\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1e9 / hz, now; exit }' /proc/stat
}

# put_cpu SECTION VARIANT PATH PORTS REP METRIC MARK0 UNITS WHAT: METRIC_cpu_ns = the busy
# ns since MARK0 over UNITS of work (nothing when the measurement gave no count), and
# METRIC_cpu_busy_pct
put_cpu() {
	local vals
	read -r -a vals <<<"$(awk -v m0="$7" -v m1="$(cpu_mark)" -v u="$8" -v n="$NCPU" 'BEGIN {
		split(m0, a, " "); split(m1, b, " ")
		if (u + 0 > 0 && b[1] >= a[1] && b[2] > a[2])
			printf "%.1f %.1f", (b[1] - a[1]) / u, 100 * (b[1] - a[1]) / ((b[2] - a[2]) * n) }')"
	[ ${#vals[@]} = 2 ] || return 0
	record "$1" "$2" "$3" "$4" "$5" "${6}_cpu_ns" "${vals[0]}"
	record "$1" "$2" "$3" "$4" "$5" "${6}_cpu_busy_pct" "${vals[1]}"
	printf '      %-26s %s (cores %s%% busy)\n' "CPU ns per $9" "${vals[0]}" "${vals[1]}"
}

# ---- servers ---------------------------------------------------------------------------

listening() { ip netns exec "$P-$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q .; }

wait_listening() { # SHORT PORT...
	local n=$1 p _
	shift
	for p in "$@"; do
		for _ in $(seq 50); do
			listening "$n" "$p" && continue 2
			sleep 0.1
		done
		warn "nothing listens on port $p in $P-$n"
		return 1
	done
}

# start_servers SHORT...: iperf3 and connrate servers in each netns
start_servers() {
	local n
	for n in "$@"; do
		server "$n" iperf3 -s -p "$PORT_IPERF"
		server "$n" "$CONNRATE" server "$PORT_CONN" --req "$MSG" --resp "$MSG"
	done
	for n in "$@"; do
		wait_listening "$n" "$PORT_IPERF" "$PORT_CONN" || return 1
	done
}

# ---- one metric each --------------------------------------------------------------------
# m_* SECTION VARIANT PATH PORTS REP CLIENT_NS IP PORT [...]

m_tcp() { # ... STREAMS
	local out=$TMP/iperf.json val busy
	busy=$(cpu_mark)
	client "$6" $((DURATION + 20)) iperf3 -c "$7" -p "$8" -t "$DURATION" -P "$9" -J \
		--connect-timeout 3000 >"$out" 2>&1
	val=$(python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["end"]["sum_received"]
print("%.3f %d" % (r["bits_per_second"] / 1e9, r["bytes"]))' <"$out" 2>/dev/null) ||
		errlog "iperf3 $4 $2 $3 -> $7:$8 -P $9" "$out"
	put "$1" "$2" "$3" "$4" "$5" "tcp$9_gbps" "${val% *}" "TCP $9 stream(s) Gbit/s" &&
		put_cpu "$1" "$2" "$3" "$4" "$5" "tcp$9_gbps" "$busy" "$((${val#* } / 1000))" "KB received"
}

# UDP datagrams of UDP_LEN bytes at UDP_RATE, each cut into fragments by the sender's stack:
# the share the server lost (every fragment of a datagram must arrive, translated alike) and
# what it received
m_udp_frag() {
	local out=$TMP/iperf-udp.json vals busy
	busy=$(cpu_mark)
	# stderr apart: iperf3 warns there that such datagrams are fragmented
	client "$6" $((DURATION + 20)) iperf3 -c "$7" -p "$8" -u -l "$UDP_LEN" -b "$UDP_RATE" \
		-t "$DURATION" -J --connect-timeout 3000 >"$out" 2>"$out.err"
	vals=$(python3 -c '
import json, sys
r = json.load(sys.stdin)["end"]["sum_received"]
print("%.3f %.1f %d" % (r["lost_percent"], r["bits_per_second"] / 1e6,
                       r["packets"] - r["lost_packets"]))' <"$out" 2>/dev/null) ||
		{ cat "$out.err" >>"$out"; errlog "iperf3 -u $4 $2 $3 -> $7:$8" "$out"; }
	read -r -a vals <<<"$vals"
	put "$1" "$2" "$3" "$4" "$5" udp_frag_loss_pct "${vals[0]:-}" "UDP $UDP_LEN B lost %"
	put "$1" "$2" "$3" "$4" "$5" udp_frag_mbps "${vals[1]:-}" "UDP $UDP_LEN B received Mbit/s" &&
		put_cpu "$1" "$2" "$3" "$4" "$5" udp_frag_mbps "$busy" "${vals[2]}" "datagram received"
}

# one connection, one request in flight (connrate rr; sockperf would add 2 s a test)
m_rr() {
	local out=$TMP/rr.log p50 p99 busy
	busy=$(cpu_mark)
	client "$6" $((DURATION + 20)) "$CONNRATE" rr "$7" "$8" --duration "$DURATION" \
		--req "$MSG" --resp "$MSG" >"$out" 2>&1
	p50=$(sed -n 's/.*p50_us=\([0-9.]*\).*/\1/p' "$out")
	p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' "$out")
	if [ -z "$p50" ] || [ -z "$p99" ]; then errlog "connrate rr $2 $3 -> $7:$8" "$out"; fi
	put "$1" "$2" "$3" "$4" "$5" rr_p50_us "$p50" "RR p50 us" &&
		put_cpu "$1" "$2" "$3" "$4" "$5" rr_p50_us "$busy" \
			"$(sed -n 's/^rtts=\([0-9]*\) .*/\1/p' "$out")" "transaction"
	put "$1" "$2" "$3" "$4" "$5" rr_p99_us "$p99" "RR p99 us"
}

m_conn() {
	local out=$TMP/connrate.log rate p99 busy
	busy=$(cpu_mark)
	client "$6" $((DURATION + 20)) "$CONNRATE" client "$7" "$8" --duration "$DURATION" \
		--concurrency "$CONCURRENCY" --req "$MSG" --resp "$MSG" >"$out" 2>&1
	rate=$(sed -n 's/.*conn_per_s=\([0-9.]*\).*/\1/p' "$out")
	p99=$(sed -n 's/.*p99_us=\([0-9.]*\).*/\1/p' "$out")
	[ -n "$rate" ] || errlog "connrate $2 $3 -> $7:$8" "$out"
	put "$1" "$2" "$3" "$4" "$5" conn_per_s "$rate" "new connections/s" &&
		put_cpu "$1" "$2" "$3" "$4" "$5" conn_per_s "$busy" \
			"$(sed -n 's/^conns=\([0-9]*\) .*/\1/p' "$out")" "connection"
	[ -n "$rate" ] && record "$1" "$2" "$3" "$4" "$5" conn_p99_us "$p99"
	return 0
}

# ---- a path -----------------------------------------------------------------------------------

# measure_path VARIANT REP PATH: every metric of one path: c2c, ingress (routed: to the
# container's own address and port, without NAT), egress, local (a client of the node, in
# the sandbox's cgroup, to 127.0.0.1:PUBLISHED), hairpin (c1 to the node's uplink
# address:PUBLISHED, served by c2)
measure_path() {
	local v=$1 rep=$2 path=$3 ns ip pi=$HOST_IPERF pc=$HOST_CONN CLIENT_CGROUP=''
	# shellcheck disable=SC2034 # CLIENT_CGROUP: read by client (sandbox.sh)
	case "$path" in
	c2c) ns=c1 ip=$C2_IP pi=$PORT_IPERF pc=$PORT_CONN ;;
	ingress) ns=ext ip=$NODE_IP ;;
	egress) ns=c1 ip=$EXT_IP pi=$PORT_IPERF pc=$PORT_CONN ;;
	local) ns=node ip=127.0.0.1 CLIENT_CGROUP=${SB_CGROUP:-} ;;
	hairpin) ns=c1 ip=$NODE_IP ;;
	esac
	[ "$FAMILY/$path" = routed/ingress ] && ip=$C2_IP pi=$PORT_IPERF pc=$PORT_CONN
	printf '    %s: %s -> %s\n' "$path" "$ns" "$ip"
	local a=(paths "$v" "$path" 0 "$rep" "$ns" "$ip")
	m_tcp "${a[@]}" "$pi" 1
	m_tcp "${a[@]}" "$pi" 2
	m_rr "${a[@]}" "$pc"
	m_conn "${a[@]}" "$pc"
	m_udp_frag "${a[@]}" "$pi" && return 0
	# a known limit of Docker's, not of the bench: the reason beside the error
	[ "$v/$path" = docker/hairpin ] && note "$v" "paths/$path/udp" error \
		"docker-proxy, bound to 0.0.0.0, answers UDP from the bridge's address rather than the node address the client sent to (moby/libnetwork#1729), so iperf3 -u gets no reply"
	return 0
}

# ports_file N: the "HOST:CPORT" list of N extras and the measured ports (made once)
ports_file() {
	local f=$TMP/ports-$1.txt
	[ -s "$f" ] || python3 "$RULES_PY" ports "$1" "${MEASURED_PORTS[@]}" >"$f"
	echo "$f"
}

# measure_scale VARIANT REP N: install N + the measured ports, time it, the memory it
# took, connections/s to the last-installed mapping, then one more port on top
measure_scale() {
	local v=$1 rep=$2 n=$3 f before ms err=$TMP/cmd.err
	local a=(scale "$v" ingress "$n" "$rep")
	f=$(ports_file "$n")
	"prepare_$FAMILY" "$f" || { put "${a[@]}" install_ms "" "install ports"; return 1; }
	before=$(kmem_kb)
	ms=$(ms_of "publish_$FAMILY" 2>"$err") || errlog "publish $n ports on $v" "$err"
	put "${a[@]}" install_ms "$ms" "install $n+${#MEASURED_PORTS[@]} ports ms" || return 1
	put "${a[@]}" kmem_kb $(($(kmem_kb) - before)) "kernel memory delta KiB"
	put "${a[@]}" mappings "$("mappings_$FAMILY" 2>>"$OUT/errors.log")" "mappings listed"
	ms=$("dp_mem_$FAMILY")
	[ -n "$ms" ] && put "${a[@]}" dp_mem_kb "$ms" "dataplane memory KiB"
	start_servers c2 || { put "${a[@]}" conn_per_s "" "new connections/s"; return 1; }
	m_conn "${a[@]}" ext "$NODE_IP" "$HOST_CONN"
	[ "$FAMILY" = bpfnet ] || put "${a[@]}" ct_entries "$(ct_entries)" "conntrack entries"
	ms=$(ms_of "publish_one_$FAMILY" $ONE_MORE_PORT $ONE_MORE_PORT 2>"$err") ||
		errlog "publish one more port on $v" "$err"
	put "${a[@]}" publish_one_ms "$ms" "publish one more port ms"
	if [ "$FAMILY" = iptables ]; then
		ms=$(ms_of rule_add_iptables $RULE_ADD_PORT $RULE_ADD_PORT 2>"$err") ||
			errlog "iptables -t nat -A on $v" "$err"
		put "${a[@]}" rule_add_ms "$ms" "iptables -t nat -A ms"
	fi
	return 0
}

# ---- endpoint rm against a full conntrack table ----------------------------------------------

# pct FILE: "p50 p99" of the numbers in FILE (nearest rank)
pct() {
	python3 -c '
import math, sys
v = sorted(float(l) for l in open(sys.argv[1]) if l.strip())
rank = lambda q: v[max(0, math.ceil(q * len(v)) - 1)]
print("%g %g" % (rank(0.50), rank(0.99)) if v else "")' "$1"
}

# measure_ctrm VARIANT REP N: add CT_RM_EPS endpoints, fill the conntrack table with N
# entries of synthetic live flows through the pinned map (tools/ctfill: flows of no
# endpoint, so only a walk of the table costs anything), then remove the endpoints one
# by one, each "bpfnet endpoint rm" timed as a whole
measure_ctrm() {
	local v=$1 rep=$2 n=$3 i ms q entries pins=$BPFNET_BPFFS/bpfnet/$INSTANCE
	local a=(ctrm "$v" endpoint-rm "$n" "$rep") err=$TMP/cmd.err
	: >"$TMP/add.ms"
	: >"$TMP/rm.ms"
	for i in $(seq "$CT_RM_EPS"); do
		new_ns "r$i"
		ms=$(ms_of bn endpoint add bench --netns "$P-r$i" --name "r$i" --mtu 1500 2>"$err") ||
			{ errlog "endpoint add r$i on $v" "$err"; put "${a[@]}" rm_p50_ms "" "endpoint rm"; return 1; }
		echo "$ms" >>"$TMP/add.ms"
	done
	if [ "$n" -gt 0 ] && ! run 300 "$CTFILL" "$pins" fill $((n / 2)) >/dev/null 2>"$err"; then
		errlog "ctfill $n entries on $v" "$err"
		put "${a[@]}" rm_p50_ms "" "endpoint rm"
		return 1
	fi
	entries=$(run 60 "$CTFILL" "$pins" count 2>>"$OUT/errors.log")
	put "${a[@]}" ct_entries "$entries" "conntrack entries"
	for i in $(seq "$CT_RM_EPS"); do
		ms=$(ms_of bn endpoint rm "r$i" 2>"$err") || { errlog "endpoint rm r$i on $v" "$err"; continue; }
		echo "$ms" >>"$TMP/rm.ms"
	done
	read -r -a q <<<"$(pct "$TMP/rm.ms")"
	put "${a[@]}" rm_p50_ms "${q[0]:-}" "endpoint rm p50 ms"
	put "${a[@]}" rm_p99_ms "${q[1]:-}" "endpoint rm p99 ms"
	put "${a[@]}" rm_n "$(grep -c . "$TMP/rm.ms")" "endpoint rm done"
	read -r -a q <<<"$(pct "$TMP/add.ms")"
	put "${a[@]}" add_p50_ms "${q[0]:-}" "endpoint add p50 ms"
	put "${a[@]}" add_p99_ms "${q[1]:-}" "endpoint add p99 ms"
	put "${a[@]}" ct_entries_after "$(run 60 "$CTFILL" "$pins" count 2>>"$OUT/errors.log")" \
		"conntrack entries after"
}
