# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the pps stage, packets per second per core on the published-port path.
#
# ext -> uplink -> node -> container c2: 60-byte UDP frames of one flow to NODE_IP:
# PPS_HOST_PORT, which the dataplane translates to c2:PPS_PORT, where a socket is open
# (tools/pps sink, never read). The frames come from tools/pps gen in ext, pinned to the
# client CPU: XDP live frames out of ext0, as fast as it can, so the receiving side is the
# bottleneck. All the receiving work runs in two kernel threads pinned to the server CPU:
# the threaded NAPI of the node's up0 (the dataplane: XDP or tc, or netfilter and the
# bridge) and that of c2's eth0 (the container's stack), both SCHED_FIFO so that a busy
# machine delays them less (what they lose still shows as received < sent), c2's above
# up0's (pps_pin). A veth polls
# its ring only with NAPI on, so GRO is turned on on both (no aggregation happens: UDP of
# a forwarded flow is not merged).
#   received   c2 eth0's rx_packets over the run (what the node delivered to c2)
#   busy       CPU time of the two threads over the run (/proc/PID/schedstat), so the
#              other work of a shared machine is not counted
#   pps = received / s, busy_cores = busy / s, pps_per_core = received / busy,
#   ns_per_packet = busy / received
# Variants (PPS_VARIANTS_ALL): bpfnet-xdp (bpfnet init --xdp auto, its XDP program
# attached natively to up0: unsupported when not), bpfnet-tc (--xdp off, or a bpfnet
# without the option: tc alone), iptables (Docker's rule set of the bridge-iptables
# variant, through iptables-legacy). Rows of OUT/pps.csv:
#   variant,rep,pps,busy_cores,pps_per_core,ns_per_packet,sent,received
# an unsupported variant's row has "unsupported" for pps and its reason in notes.csv.

# shellcheck disable=SC2034 # used by tools/bench, which sources this
PPS_VARIANTS_ALL=(bpfnet-xdp bpfnet-tc iptables)
PPS_HOST_PORT=15301 PPS_PORT=5301
PPS_WARMUP=1 # seconds of frames before the measure: neighbours, conntrack, caches

# ---- setup (in setup_variant's bash of its own, with "set -e") -----------------------

# setup_pps_bpfnet XDP: setup_bpfnet's l3 network with c2 alone, init --xdp XDP
setup_pps_bpfnet() {
	local xdp=$1 out ip
	[ -x "$BPFNET" ] || unsupported "$BPFNET is missing (run make)"
	sandbox_uplink
	new_ns c2
	if "$BPFNET" help init 2>/dev/null | grep -q -- '--xdp'; then
		bn init --uplink up0 --xdp "$xdp" >/dev/null
	elif [ "$xdp" = auto ]; then
		unsupported "this bpfnet has no 'init --xdp': its uplink XDP program is never attached"
	else
		bn init --uplink up0 >/dev/null
	fi
	out=$(nsrun node 10 bpftool -j net show dev up0)
	if [ "$xdp" = auto ] && ! pps_xdp_native <<<"$out"; then
		unsupported "bpfnet init --xdp auto attached no native XDP program to up0 (bpftool net show: ${out:0:200})"
	fi
	if [ "$xdp" = off ] && pps_xdp_any <<<"$out"; then
		echo "bpfnet init --xdp off left an XDP program on up0: ${out:0:200}" >&2
		return 1
	fi
	bn network create bench --mode l3 --subnet "$BPFNET_SUBNET" >/dev/null
	out=$(bn --json endpoint add bench --netns "$P-c2" --name c2 --mtu 1500)
	ip=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["ip"])' <<<"$out")
	echo "FAMILY=bpfnet C2_IP=$ip"
	bpfnet_nat_check
}

# pps_xdp_native / pps_xdp_any: bpftool -j net show's answer (stdin) has an XDP program
# in driver mode / in any mode
pps_xdp_native() {
	python3 -c 'import json, sys
sys.exit(not any(x.get("mode") == "driver" for d in json.load(sys.stdin) for x in d.get("xdp", [])))'
}
pps_xdp_any() {
	python3 -c 'import json, sys
sys.exit(not any(d.get("xdp") for d in json.load(sys.stdin)))'
}

setup_pps_bpfnet_xdp() { setup_pps_bpfnet auto; }
setup_pps_bpfnet_tc() { setup_pps_bpfnet off; }
setup_pps_iptables() { setup_docker_iptables iptables-legacy; }

# pps_setup V: setup_variant for the pps variants (their setups are here)
pps_setup() {
	local vars rc
	rm -f "$TMP/unsupported"
	FAMILY='' C2_IP='' HAS_NAT=0 NAT_WHY='' IPT=''
	vars=$(BENCH_PREFIX=$P BENCH_TMP=$TMP OUT=$OUT BPFNET=$BPFNET BR_NETFILTER=$BR_NETFILTER \
		bash -e -c 'source "$BENCH_D/sandbox.sh"; source "$BENCH_D/variants.sh"
source "$BENCH_D/pps.sh"; "$1"' setup "setup_pps_${1//-/_}" 2>"$TMP/setup.err")
	rc=$?
	[ $rc = 0 ] || return $rc
	eval "$vars"
}

# ---- the receiving threads -------------------------------------------------------------

napi_threads() { ps -e -o pid=,comm= | awk '$2 ~ /^napi\// { print $1, $2 }' | sort; }

# napi_thread NS DEV: NAPI on DEV in netns NS, threaded; prints its kernel thread's pid
# (the one "napi/DEV-ID" thread that appeared: the ID is not shown anywhere else)
napi_thread() {
	local ns=$1 dev=$2 before new
	before=$(napi_threads)
	nsrun "$ns" 10 ethtool -K "$dev" gro on >/dev/null &&
		nsrun "$ns" 10 sh -c "echo 1 >/sys/class/net/$dev/threaded" || return 1
	new=$(comm -13 <(echo "$before") <(napi_threads) | awk -v d="napi/$dev-" 'index($2, d) == 1 { print $1 }')
	if [ "$(grep -c . <<<"$new")" != 1 ]; then
		echo "threaded NAPI on $dev in $P-$ns: expected one new kernel thread, found '${new//$'\n'/ }'" >&2
		return 1
	fi
	echo "$new"
}

# pps_pin PID...: the receiving threads on the server CPU, SCHED_FIFO, each of a higher
# priority than the one before: the container's thread runs as soon as the node's hands it
# a batch (at the end of each poll), before the node's takes more; at the same priority the
# node's would keep the CPU while frames keep coming, and the container's ring would
# overflow (lost between the two, at no fault of the dataplane)
pps_pin() {
	local pid prio=0
	for pid in "$@"; do
		prio=$((prio + 1))
		if [ "$PPS_RX_CPU" != none ]; then run 10 taskset -p -c "$PPS_RX_CPU" "$pid" >/dev/null || return 1; fi
		run 10 chrt -f -p "$prio" "$pid" || return 1
	done
}

# busy_ns PID...: their CPU time so far, ns
busy_ns() {
	local pid t=0 s
	for pid in "$@"; do
		read -r s _ <"/proc/$pid/schedstat" || return 1
		t=$((t + s))
	done
	echo "$t"
}

c2_rx() { nsrun c2 10 cat /sys/class/net/eth0/statistics/rx_packets; }

# ---- one variant, one rep ----------------------------------------------------------------

pps_row() { # VARIANT REP FIELDS...
	local IFS=,
	printf '%s\n' "$*" >>"$OUT/pps.csv"
}

# pps_gen SECONDS: the generator in ext, on the client CPU, to the published port
pps_gen() {
	client ext $(($1 + 20)) "$PPS_BIN" gen "$SB_EXT_IF" "$PPS_MAC" "$EXT_IP" "$NODE_IP" \
		"$PPS_HOST_PORT" --duration "$1"
}

# pps_measure VARIANT REP: the variant is built and its port published
pps_measure() {
	local v=$1 rep=$2 t_up t_c2 out rx0 rx1 b0 b1 sent secs line f
	if ! { t_up=$(napi_thread node up0 2>>"$TMP/pps.err") &&
		t_c2=$(napi_thread c2 eth0 2>>"$TMP/pps.err") && pps_pin "$t_up" "$t_c2" 2>>"$TMP/pps.err"; }; then
		pps_error "$v" "$rep" "threaded NAPI"
		return 1
	fi
	PPS_MAC=$(nsrun node 10 cat "/sys/class/net/up0/address")
	server c2 "$PPS_BIN" sink "$PPS_PORT"
	sleep 0.2
	if ! pps_gen "$PPS_WARMUP" >"$TMP/pps.out" 2>&1; then
		cat "$TMP/pps.out" >>"$TMP/pps.err"
		pps_error "$v" "$rep" "warm-up"
		return 1
	fi
	sleep 0.2 # the rings drain
	rx0=$(c2_rx) b0=$(busy_ns "$t_up" "$t_c2")
	pps_gen "$PPS_DURATION" >"$TMP/pps.out" 2>&1
	rx1=$(c2_rx) b1=$(busy_ns "$t_up" "$t_c2")
	out=$(cat "$TMP/pps.out")
	sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$out")
	secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
	if [ -z "$sent" ] || [ -z "$secs" ] || [ -z "$rx0" ] || [ -z "$rx1" ] || [ -z "$b1" ]; then
		echo "$out" >>"$TMP/pps.err"
		pps_error "$v" "$rep" "the generator or the counters"
		return 1
	fi
	line=$(awk -v r=$((rx1 - rx0)) -v b=$((b1 - b0)) -v s="$secs" -v n="$sent" 'BEGIN {
		ppc = b > 0 ? r / (b / 1e9) : 0
		ns = r > 0 ? sprintf("%.1f", b / r) : ""
		printf "%.0f,%.3f,%.0f,%s,%d,%d", r / s, b / 1e9 / s, ppc, ns, n, r }')
	pps_row "$v" "$rep" "$line"
	IFS=, read -r -a f <<<"$line"
	printf '      %-26s %s\n' "received pps" "${f[0]}" "busy cores" "${f[1]}" "pps per core" "${f[2]}" \
		"ns per packet" "${f[3]:-none}" "sent / received" "${f[4]} / ${f[5]}"
	[ "${f[5]}" -gt 0 ] || { pps_error "$v" "$rep" "nothing received"; return 1; }
}

# pps_error VARIANT REP WHAT: an error row, the detail in errors.log
pps_error() {
	errlog "pps $1 rep $2: $3" "$TMP/pps.err"
	note "$1" pps error "$3 failed (see errors.log)"
	pps_row "$1" "$2" error "" "" "" "" ""
	printf '      %-26s ERROR: %s (see errors.log)\n' pps "$3"
	: >"$TMP/pps.err"
}

# pps_run VARIANT REP
pps_run() {
	local v=$1 rep=$2 rc
	: >"$TMP/pps.err"
	if [ -n "${PPS_UNSUP[$v]:-}" ]; then
		pps_row "$v" "$rep" unsupported "" "" "" "" ""
		printf '      %-26s unsupported: %s\n' pps "${PPS_UNSUP[$v]}"
		return 0
	fi
	pps_setup "$v"
	rc=$?
	if [ $rc = 3 ]; then
		PPS_UNSUP[$v]=$(cat "$TMP/unsupported")
		note "$v" pps unsupported "${PPS_UNSUP[$v]}"
		teardown_variant
		pps_run "$v" "$rep"
		return 0
	fi
	if [ $rc != 0 ]; then
		cat "$TMP/setup.err" >>"$TMP/pps.err"
		pps_error "$v" "$rep" "setup"
	elif [ "$HAS_NAT" != 1 ]; then
		PPS_UNSUP[$v]=$NAT_WHY
		note "$v" pps unsupported "$NAT_WHY"
		teardown_variant
		pps_run "$v" "$rep"
		return 0
	elif ! "publish_udp_$FAMILY" "$PPS_HOST_PORT" "$PPS_PORT" >/dev/null 2>>"$TMP/pps.err"; then
		pps_error "$v" "$rep" "publishing $PPS_HOST_PORT/udp"
	else
		pps_measure "$v" "$rep"
	fi
	teardown_variant
}

# ---- the stage's options and checks (called from tools/bench) ----------------------------

declare -A PPS_UNSUP=() # variant -> why it cannot be built here

# pps_defaults QUICK: PPS_ON (yes, but no in --quick unless --pps yes), PPS_DURATION
# (default: --duration), PPS_RX_CPU (the server CPU of --pin)
pps_defaults() {
	[ -n "${PPS_ON:-}" ] || { if [ "$1" = 1 ]; then PPS_ON=no; else PPS_ON=yes; fi; }
	PPS_DURATION=${PPS_DURATION:-$DURATION}
	[ ${#PPS_VARIANTS[@]} -gt 0 ] || PPS_VARIANTS=("${PPS_VARIANTS_ALL[@]}")
}

pps_validate() {
	local v seen=()
	case "$PPS_ON" in yes | no) ;; *) bad "--pps takes yes or no, not '$PPS_ON'" ;; esac
	posint "$PPS_DURATION" 3600 || bad "--pps-duration takes seconds from 1 to 3600, not '$PPS_DURATION'"
	for v in "${PPS_VARIANTS[@]}"; do
		in_list "$v" "${PPS_VARIANTS_ALL[@]}" || bad "unknown pps variant '$v' (known: ${PPS_VARIANTS_ALL[*]})"
		in_list "$v" "${seen[@]}" && bad "pps variant '$v' given twice"
		seen+=("$v")
	done
	if [ "$PIN" = none ]; then PPS_RX_CPU=none; else PPS_RX_CPU=${PIN#*,}; fi
	[ "$PPS_ON" = yes ] || PPS_VARIANTS=()
}

# pps_check_env: what the stage needs, or it is left out (said once, in notes.csv)
pps_check_env() {
	local t missing=()
	[ "$PPS_ON" = yes ] || return 0
	for t in ethtool chrt comm; do command -v "$t" >/dev/null || missing+=("$t"); done
	[ -x "$PPS_BIN" ] || missing+=("$PPS_BIN (run make)")
	echo "variant,rep,pps,busy_cores,pps_per_core,ns_per_packet,sent,received" >"$OUT/pps.csv"
	[ ${#missing[@]} = 0 ] && return 0
	for t in "${PPS_VARIANTS[@]}"; do PPS_UNSUP[$t]="missing: ${missing[*]}"; note "$t" pps unsupported "${PPS_UNSUP[$t]}"; done
}

pps_weight() { echo $((PPS_DURATION + PPS_WARMUP + 5)); }

pps_conditions() {
	[ "$PPS_ON" = yes ] || { echo "pps: not measured"; return; }
	echo "pps: ${PPS_VARIANTS[*]}; tools/pps gen (XDP live frames, 60 B UDP, one flow, as fast as it can)" \
		"in ext on CPU ${PIN%,*} -> NODE_IP:$PPS_HOST_PORT/udp -> c2:$PPS_PORT (a sink that never reads);" \
		"the threaded NAPI threads of up0 and c2's eth0 on CPU $PPS_RX_CPU, SCHED_FIFO; ${PPS_DURATION}s" \
		"after ${PPS_WARMUP}s of warm-up; received = c2 eth0 rx_packets, busy = the two threads' CPU time"
}
