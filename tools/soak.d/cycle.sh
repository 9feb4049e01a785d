# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/soak: one endpoint's life (a cycle), the connections through NAT, the leaks
# made on purpose (--leak-test).
CYCLE_PORT=20000 CYCLE_UDP_PORT=20001
CYCLE_L3_IP=10.61.0.100 CYCLE_BR_IP=10.62.0.100
KMEM_EVERY=40 # cycles between two samples of kernel memory (kmem.csv), each settled

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

# cycle N: netns cyN, endpoint cyN on l3net (N odd) or brnet (N even) with two published
# ports, a TCP connection from ext through one, a ping out (masquerade) and one to the
# node, endpoint rm, netns del. Prints "add_ms,ports_ms,traffic_ms,rm_ms,ok".
cycle() {
	local n=$1 net=l3net ip=$CYCLE_L3_IP ns=$P-cy$1 t0 t1 t2 t3 t4 ok=1 got spid
	[ $((n % 2)) = 0 ] && net=brnet ip=$CYCLE_BR_IP
	t0=$(now_ms)
	logged ip netns add "$ns" && logged ip -n "$ns" link set lo up &&
		logged bn endpoint add $net --netns "$ns" --name "cy$n" --ip $ip || ok=0
	t1=$(now_ms)
	[ $ok = 1 ] && { logged bn port add "cy$n" "$CYCLE_PORT:80" "$CYCLE_UDP_PORT:81/udp" || ok=0; }
	t2=$(now_ms)
	if [ $ok = 1 ]; then
		# one connection: the server answers and exits; the client retries until it listens
		timeout -k 2 10 ip netns exec "$ns" socat -T 3 TCP-LISTEN:80,reuseaddr \
			SYSTEM:"echo cycle$n" >>"$LOG" 2>&1 &
		spid=$!
		got=$(timeout -k 2 10 ip netns exec "$P-ext" socat -T 3 - \
			"TCP:$NODE_IP:$CYCLE_PORT,connect-timeout=2,retry=100,interval=0.02" </dev/null 2>>"$LOG")
		[ "$got" = "cycle$n" ] || { ok=0; cycle_diag "$n" "$got"; }
		logged ip netns exec "$ns" ping -c1 -W2 "$EXT_IP" || ok=0
		logged ip netns exec "$ns" ping -c1 -W2 "$NODE_IP" || ok=0
		kill $spid 2>/dev/null
		wait $spid 2>/dev/null
	fi
	t3=$(now_ms)
	logged bn endpoint rm "cy$n" || ok=0
	logged ip netns del "$ns" || ok=0
	t4=$(now_ms)
	echo "$((t1 - t0)),$((t2 - t1)),$((t3 - t2)),$((t4 - t3)),$ok"
}

# cycle_diag N GOT: what the log needs to tell a lost connection's cause: the flows of the
# port, the container's sockets, the drop reasons that are not zero, and a second try
cycle_diag() {
	local again
	printf 'cycle %s: got "%s" through the port\n' "$1" "$2" >>"$LOG"
	logged bn ct ls --port "$CYCLE_PORT"
	logged ip netns exec "$P-cy$1" ss -tan
	bn stats --prometheus 2>&1 | grep '^bpfnet_drops_total' | grep -v ' 0$' >>"$LOG"
	again=$(timeout -k 2 5 ip netns exec "$P-ext" socat -T 2 - \
		"TCP:$NODE_IP:$CYCLE_PORT,connect-timeout=2" </dev/null 2>&1)
	printf 'cycle %s: a second try (no server any more: refused is right) says "%s"\n' \
		"$1" "$again" >>"$LOG"
}

# run_cycles FROM TO PHASE: cycles FROM..TO into cycles.csv; FAILS: how many failed
run_cycles() {
	local i r
	FAILS=0
	[ -s "$OUT/cycles.csv" ] || echo "cycle,phase,add_ms,ports_ms,traffic_ms,rm_ms,ok" >"$OUT/cycles.csv"
	[ -s "$OUT/kmem.csv" ] || echo "cycle,$(kmem_header)" >"$OUT/kmem.csv"
	for ((i = $1; i <= $2; i++)); do
		r=$(cycle "$i")
		echo "$i,$3,$r" >>"$OUT/cycles.csv"
		[ "${r##*,}" = 1 ] || FAILS=$((FAILS + 1))
		if [ "$3" = soak ] && [ $(((i - $1) % KMEM_EVERY)) = 0 ]; then
			kmem_settle 5
			echo "$i,$(kmem_sample)" >>"$OUT/kmem.csv"
		fi
		[ $((i % 100)) = 0 ] && say "  cycle $i ($FAILS failed so far)"
	done
	[ "$3" = soak ] && kmem_settle 5 && echo "$2,$(kmem_sample)" >>"$OUT/kmem.csv"
	[ "$FAILS" = 0 ]
}

# nat_conns N: N/2 connections from ext through the published port (DNAT), the rest from
# srv out to ext (masquerade); conns.txt has connrate's line for each, stats before and after
nat_conns() {
	local half=$(($1 / 2))
	bn stats --prometheus >"$OUT/conns-before.prom" 2>>"$LOG"
	: >"$OUT/conns.txt"
	if [ "$half" -gt 0 ]; then
		printf 'portmap ' >>"$OUT/conns.txt"
		timeout -k 5 7200 ip netns exec "$P-ext" "$CONNRATE" client "$NODE_IP" "$CONN_HOST_PORT" \
			--conns "$half" --concurrency "$CONCURRENCY" >>"$OUT/conns.txt" 2>>"$LOG"
	fi
	if [ $(($1 - half)) -gt 0 ]; then
		printf 'masquerade ' >>"$OUT/conns.txt"
		timeout -k 5 7200 ip netns exec "$P-srv" "$CONNRATE" client "$EXT_IP" "$CONN_PORT" \
			--conns $(($1 - half)) --concurrency "$CONCURRENCY" >>"$OUT/conns.txt" 2>>"$LOG"
	fi
	bn stats --prometheus >"$OUT/conns-after.prom" 2>>"$LOG"
	sed 's/^/  /' "$OUT/conns.txt"
}

# ct_flush_all: every flow forgotten (the NAT phase's closed ones would expire on their own)
ct_flush_all() { logged bn ct flush; }

# inject_leaks: what --leak-test asked for, made after the cycles as a cycle could leak it
inject_leaks() {
	local k dir=$BPFNET_BPFFS/bpfnet/$INSTANCE ks vs
	for k in "${LEAKS[@]}"; do
		case "$k" in
		link) logged ip -n "$P-node" link add soakleak0 type veth peer name soakleak1 ;;
		netns) logged ip netns add "$P-leak" ;;
		pin) logged bpftool map pin pinned "$dir/config" "$dir/soak_leaked_pin" ;;
		map)
			read -r ks vs < <(bpftool -j map show pinned "$dir/ep_ports" |
				python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["bytes_key"], d["bytes_value"])')
			# shellcheck disable=SC2046 # one word a byte
			logged bpftool map update pinned "$dir/ep_ports" key hex $(printf '%02x ' $(seq 1 "$ks")) \
				value hex $(printf '00 %.0s' $(seq 1 "$vs"))
			;;
		state) logged touch "$BPFNET_RUN_DIR/$INSTANCE/soak-leaked-file" ;;
		esac
	done
}
