# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the sandbox every variant is built in, and the helpers that run
# commands in it (each with a timeout, each written to commands.log).
#
# Names: every netns is "$P-<short>" with P=bnb<pid>: node, ext, c1, c2.
#   node  plays the host: uplink up0 = $NODE_IP/24, the dataplane under test
#   ext   an outside client: ext0 = $EXT_IP/24, the other end of the uplink
#   c1 c2 containers attached to the node (c1 = client, c2 = server)
# $TMP is a mktemp dir in /run holding the private bpffs (exported as
# BPFNET_BPFFS), bpfnet's state (BPFNET_RUN_DIR) and scratch files. Nothing of
# the host is touched: no rule, route or link outside these namespaces.

P=${BENCH_PREFIX:-bnb$$}
NODE_IP=192.168.77.1
EXT_IP=192.168.77.2
TMP=${BENCH_TMP:-}
SERVER_PIDS=()
_CLEANED=0

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

# client SHORT SECS CMD...: a measuring client in netns SHORT, on the client CPU
client() {
	local n=$1 t=$2
	shift 2
	nsrun "$n" "$t" "${PIN_CLIENT[@]}" "$@"
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
new_ns() {
	local n
	for n in "$@"; do
		run 10 ip netns add "$P-$n"
		run 10 ip -n "$P-$n" link set lo up
		nsrun "$n" 10 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null
	done
}

# sandbox_uplink: node and ext joined by the uplink veth (up0 -- ext0)
sandbox_uplink() {
	new_ns node ext
	run 10 ip -n "$P-node" link add up0 type veth peer name ext0 netns "$P-ext"
	run 10 ip -n "$P-node" addr add "$NODE_IP/24" dev up0
	run 10 ip -n "$P-ext" addr add "$EXT_IP/24" dev ext0
	run 10 ip -n "$P-node" link set up0 up
	run 10 ip -n "$P-ext" link set ext0 up
}

# our_netns: every netns of this run
our_netns() {
	ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true
}

stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${SERVER_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	SERVER_PIDS=()
}

# teardown_variant: servers, the bpfnet instance, every netns of this run (their
# links, routes, iptables and nftables rules and conntrack entries go with them)
teardown_variant() {
	local n pid
	stop_servers
	if [ -d "$BPFNET_RUN_DIR/$INSTANCE" ] && our_netns | grep -qx "$P-node"; then
		timeout -k 5 30 ip netns exec "$P-node" "$BPFNET" --instance "$INSTANCE" down \
			>/dev/null 2>&1
	fi
	# whatever "down" left: the next variant must start from empty maps
	rm -rf "${BPFNET_RUN_DIR:?}/$INSTANCE" "${BPFNET_BPFFS:?}/bpfnet"
	for n in $(our_netns); do
		for pid in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# ---- the run's temp dir and private bpffs ------------------------------------------------

sandbox_init() {
	TMP=$(mktemp -d /run/bpfnet-bench.XXXXXX) || die "cannot make a temp dir in /run"
	export BPFNET_BPFFS=$TMP/bpffs BPFNET_RUN_DIR=$TMP/run
	unset BPFNET_INSTANCE
	mkdir -p "$BPFNET_BPFFS" "$BPFNET_RUN_DIR"
	mount -t bpf bpf "$BPFNET_BPFFS" || die "cannot mount a bpffs on $BPFNET_BPFFS"
	cgroup_init
}

# cgroup_init: bpfnet attaches its socket hooks (for the node's own clients) to a
# cgroup v2 directory; give it an empty one of our own rather than the host's
# root, so that no process of the host runs them. Removed by cleanup.
CGROUP=
cgroup_init() {
	local mnt
	# mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ...
	mnt=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo)
	if [ -z "$mnt" ] || ! CGROUP=$(mktemp -d "$mnt/bpfnet-bench.XXXXXX" 2>/dev/null); then
		CGROUP=
		CGROUP_NOTE="bpfnet socket hooks: no cgroup v2 directory of our own could be made; bpfnet chose"
		return 0
	fi
	# seen through our root: "ip netns exec" mounts a fresh /sys without the cgroups
	export BPFNET_CGROUP=/proc/$$/root$CGROUP
	CGROUP_NOTE="bpfnet socket hooks: attached to $CGROUP, an empty cgroup made for the run"
}

cleanup() {
	[ "$_CLEANED" = 1 ] && return 0
	_CLEANED=1
	trap - EXIT INT TERM HUP
	teardown_variant
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if mountpoint -q "$BPFNET_BPFFS"; then
			umount "$BPFNET_BPFFS" 2>/dev/null || umount -l "$BPFNET_BPFFS"
		fi
		rm -rf --one-file-system "$TMP"
	fi
	[ -n "$CGROUP" ] && rmdir "$CGROUP" 2>/dev/null
	return 0
}

_on_signal() {
	warn "interrupted (SIG$1): removing the sandbox"
	cleanup
	exit $((128 + $2))
}

sandbox_traps() {
	trap cleanup EXIT
	trap '_on_signal INT 2' INT
	trap '_on_signal TERM 15' TERM
	trap '_on_signal HUP 1' HUP
}
