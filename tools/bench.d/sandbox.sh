# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the sandbox every variant is built in, and the helpers that run
# commands in it (each with a timeout, each written to commands.log).
#
# Names: every netns is "$P-<short>" with P=bnb<pid>: node, ext, c1, c2 (the base,
# node/ext/uplink, private bpffs, cgroup and teardown, is tools/lib/sandbox.sh).
#   node  plays the host: uplink up0 = $NODE_IP/24, the dataplane under test
#   ext   an outside client: ext0 = $EXT_IP/24, the other end of the uplink
#   c1 c2 containers attached to the node (c1 = client, c2 = server)
# $TMP is a mktemp dir in /run holding the private bpffs (exported as
# BPFNET_BPFFS), bpfnet's state (BPFNET_RUN_DIR) and scratch files. Nothing of
# the host is touched: no rule, route or link outside these namespaces.

P=${BENCH_PREFIX:-bnb$$}
TMP=${BENCH_TMP:-}
SERVER_PIDS=()
# the base of the sandbox, shared with the tests and the demo; each of its commands
# goes through run (timed out, written to commands.log)
SB_PREFIX=$P- SB_TMP=$TMP SB_RUN=_sb_bench_run SB_HOOK=teardown_variant SB_NOTE=warn
# shellcheck source=../lib/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"
NODE_IP=$SB_NODE_IP
EXT_IP=$SB_EXT_IP
_sb_bench_run() { run 10 "$@"; }

# ---- output ---------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
warn() { printf 'bench: %s\n' "$*" >&2; }
die() {
	warn "$*"
	exit 1
}

# log_cmd CMD...: one line of commands.log (long argument lists shortened)
log_cmd() {
	local line="$*"
	[ ${#line} -gt 400 ] && line="${line:0:400} ... ($# args)"
	printf '%s\n' "$line" >>"$OUT/commands.log"
}

# ---- running commands -----------------------------------------------------------------

# run SECS CMD...: CMD with a time limit (killed 5 s after it), logged. --foreground
# keeps CMD in our process group, so a Ctrl-C reaches it at once.
run() {
	local t=$1
	shift
	log_cmd "$@"
	timeout --foreground -k 5 "$t" "$@"
}

# nsrun SHORT SECS CMD...: run in netns $P-SHORT
nsrun() {
	local n=$1 t=$2
	shift 2
	run "$t" ip netns exec "$P-$n" "$@"
}

# client SHORT SECS CMD...: a measuring client in netns SHORT, on the client CPU; with
# CLIENT_CGROUP set, in that cgroup (the node's own clients: where bpfnet's socket hooks are)
CLIENT_CGROUP=''
client() {
	local n=$1 t=$2
	shift 2
	if [ -n "$CLIENT_CGROUP" ]; then
		# shellcheck disable=SC2016 # for the inner sh
		run "$t" sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CLIENT_CGROUP" \
			ip netns exec "$P-$n" "${PIN_CLIENT[@]}" "$@"
	else
		nsrun "$n" "$t" "${PIN_CLIENT[@]}" "$@"
	fi
}

# server SHORT CMD...: a server in netns SHORT on the server CPU, in the background
# (stopped by teardown_variant; its time limit only matters if the bench itself is killed)
server() {
	local n=$1
	shift
	log_cmd ip netns exec "$P-$n" "${PIN_SERVER[@]}" "$@"
	timeout -k 5 "$SERVER_LIFETIME" ip netns exec "$P-$n" "${PIN_SERVER[@]}" "$@" \
		>>"$TMP/servers.log" 2>&1 &
	SERVER_PIDS+=($!)
}

# ms_of CMD...: run CMD (its output dropped), print the wall-clock milliseconds it
# took; fails as CMD does
ms_of() {
	local t0 t1 rc
	t0=$(date +%s%N)
	"$@" >/dev/null
	rc=$?
	t1=$(date +%s%N)
	[ $rc = 0 ] || return $rc
	echo $(((t1 - t0) / 1000000))
}

# ---- namespaces -------------------------------------------------------------------------

# new_ns SHORT...: netns with lo up and IPv6 off (router solicitations are noise)
new_ns() { sandbox_netns_add "$@" && sandbox_ipv6_off "$@"; }

stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	SERVER_PIDS=()
}

# teardown_variant: servers, the bpfnet instance, every netns of this run (their
# links, routes, iptables and nftables rules and conntrack entries go with them);
# also the first step of the library's sandbox_teardown
teardown_variant() {
	stop_servers
	[ -n "$TMP" ] || return 0
	# a monitor of the mon variants: ended before the instance goes
	if [ -f "$TMP/monitor.pid" ]; then
		kill "$(cat "$TMP/monitor.pid")" 2>/dev/null
		rm -f "$TMP/monitor.pid"
	fi
	[ -d "$BPFNET_RUN_DIR/$INSTANCE" ] && sandbox_instance_down
	docker_down
	# whatever "down" left: the next variant must start from empty maps
	rm -rf "${BPFNET_RUN_DIR:?}/$INSTANCE" "${BPFNET_BPFFS:?}/bpfnet"
	sandbox_netns_del_all
}

# sandbox_init: the run's temp dir, private bpffs and empty cgroup (no process of the host
# in it: only the clients of the local path, the node's own), with the traps that remove them
sandbox_init() {
	SB_INSTANCE=$INSTANCE
	sandbox_open bench || die "cannot make the sandbox (a temp dir in /run, a bpffs in it)"
	TMP=$SB_TMP CGROUP_NOTE=$SB_CGROUP_NOTE
}

# bench_uplink: the uplink, its outside end sending as frames off a wire arrive: full
# checksums, at most the MTU (checksum offload off, so TSO too), the same for every variant.
# A veth would hand the node partial checksums and 64 KB TSO frames that no NIC receives,
# and native XDP on the node's end would turn TSO off for bpfnet's variants alone.
bench_uplink() {
	sandbox_uplink && run 10 ip netns exec "$SB_EXT" ethtool -K "$SB_EXT_IF" tx off >/dev/null
}
