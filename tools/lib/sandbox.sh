# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# The sandbox every test and tool of bpfnet runs in: network namespaces with a
# prefix unique to the run, the node/ext pair joined by the uplink veth, a
# private bpffs and run dir, and a cgroup v2 directory for bpfnet's socket
# hooks; and the teardown that removes all of it, on exit, on failure and on
# SIGINT/TERM/HUP. Sourced by tests/e2e/lib.sh, tools/bench.d/sandbox.sh and
# tools/demo; it lives under tools/ because tools may not depend on tests/,
# while tests already use tools/ (the bench, ctfill).
#
#   SB_PREFIX=bnx$$- SB_INSTANCE=name     # before anything else
#   sandbox_open NAME [--join-cgroup]     # traps, /run/bpfnet-NAME.XXXXXX, bpffs, cgroup
#   sandbox_uplink                        # $SB_NODE -- $SB_EXT, $SB_NODE_IP/24 -- $SB_EXT_IP/24
#   ... (sandbox_teardown runs by itself at exit)
#
# Layout (names made from SB_PREFIX):
#   $SB_NODE  "${SB_PREFIX}node": plays the host; $SB_UPLINK = $SB_NODE_IP/24
#   $SB_EXT   "${SB_PREFIX}ext":  the outside;   $SB_EXT_IF = $SB_EXT_IP/24
#   $SB_TMP   bpffs/ (mounted, BPFNET_BPFFS), run/ (BPFNET_RUN_DIR), the caller's scratch
#   $SB_CGROUP  an empty cgroup v2 directory (BPFNET_CGROUP), "" when none could be made
#
# Settings the caller may give (before sourcing or before the calls):
#   SB_PREFIX    prefix of every netns of the run (default "bnsb<pid>-"; ends in "-")
#   SB_BPFNET    the bpfnet binary the teardown runs "down" with (default $BPFNET)
#   SB_INSTANCE  its instance ("" for bpfnet's default)
#   SB_HOOK      a function the teardown runs first (stop the caller's processes)
#   SB_RUN       a function that runs each setup command (default: with a timeout)
#   SB_NOTE      a function that prints one line for the user (default: to stderr)
#   SB_NODE_IP, SB_EXT_IP, SB_UPLINK, SB_EXT_IF  the uplink's addresses and names
# Nothing of the host is touched: no link, route, rule or pin outside the namespaces.

SB_PREFIX=${SB_PREFIX:-bnsb$$-}
SB_BPFNET=${SB_BPFNET:-${BPFNET:-}}
SB_INSTANCE=${SB_INSTANCE:-}
SB_HOOK=${SB_HOOK:-}
SB_RUN=${SB_RUN:-_sb_run}
SB_NOTE=${SB_NOTE:-_sb_note}
SB_NODE_IP=${SB_NODE_IP:-192.168.77.1}
SB_EXT_IP=${SB_EXT_IP:-192.168.77.2}
SB_UPLINK=${SB_UPLINK:-up0}
SB_EXT_IF=${SB_EXT_IF:-ext0}
SB_TMP=${SB_TMP:-}
SB_CGROUP=${SB_CGROUP:-}
SB_CGROUP_HOME=""
SB_CGROUP_NOTE=""
SB_TORN_DOWN=0

_sb_run() { timeout -k 5 20 "$@"; }
_sb_note() { printf 'sandbox: %s\n' "$*" >&2; }

# sandbox_ns SHORT: the full name of netns SHORT ("c1" -> "bnt123-c1")
sandbox_ns() { printf '%s%s' "$SB_PREFIX" "$1"; }

# sandbox_where: what the run made, for the user and for tests that check it is gone:
# "netns bnt123-*, temp dir /run/bpfnet-test.XXXXXX, cgroup /sys/fs/cgroup/..."
sandbox_where() {
	printf 'netns %s*, temp dir %s%s\n' "$SB_PREFIX" "${SB_TMP:-none}" "${SB_CGROUP:+, cgroup $SB_CGROUP}"
}

# sandbox_netns: every netns of this run, one a line
sandbox_netns() {
	ip netns list 2>/dev/null | awk -v p="$SB_PREFIX" 'index($1, p) == 1 { print $1 }'
}

# sandbox_netns_add SHORT...: a netns each, with lo up
sandbox_netns_add() {
	local n
	for n in "$@"; do
		"$SB_RUN" ip netns add "$SB_PREFIX$n" || return 1
		"$SB_RUN" ip -n "$SB_PREFIX$n" link set lo up || return 1
	done
}

# sandbox_ipv6_off SHORT...: no IPv6 in these netns (DAD and router solicitations are
# only noise in the counters)
sandbox_ipv6_off() {
	local n
	for n in "$@"; do
		"$SB_RUN" ip netns exec "$SB_PREFIX$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 >/dev/null || return 1
	done
}

# sandbox_uplink: the node and ext netns joined by the uplink veth, addressed and up
sandbox_uplink() {
	_sb_names
	sandbox_netns_add node ext &&
		sandbox_ipv6_off node ext &&
		"$SB_RUN" ip -n "$SB_NODE" link add "$SB_UPLINK" type veth \
			peer name "$SB_EXT_IF" netns "$SB_EXT" &&
		"$SB_RUN" ip -n "$SB_NODE" addr add "$SB_NODE_IP/24" dev "$SB_UPLINK" &&
		"$SB_RUN" ip -n "$SB_EXT" addr add "$SB_EXT_IP/24" dev "$SB_EXT_IF" &&
		"$SB_RUN" ip -n "$SB_NODE" link set "$SB_UPLINK" up &&
		"$SB_RUN" ip -n "$SB_EXT" link set "$SB_EXT_IF" up
}

# sandbox_traps: the teardown on exit and on SIGINT/TERM/HUP (then exit 128+N)
sandbox_traps() {
	trap sandbox_teardown EXIT
	trap '_sb_on_signal INT 2' INT
	trap '_sb_on_signal TERM 15' TERM
	trap '_sb_on_signal HUP 1' HUP
}

_sb_on_signal() {
	"$SB_NOTE" "interrupted by SIG$1: removing the sandbox"
	sandbox_teardown
	exit $((128 + $2))
}

# sandbox_open NAME [--join-cgroup]: the traps, then $SB_TMP = /run/bpfnet-NAME.XXXXXX
# with a private bpffs and run dir, and the cgroup (see sandbox_cgroup). 1 on failure,
# with what is made so far left to the teardown.
sandbox_open() {
	local name=$1 join=${2:-}
	_sb_names
	sandbox_traps
	SB_TMP=$(mktemp -d "/run/bpfnet-$name.XXXXXX") || { SB_TMP=""; return 1; }
	export BPFNET_BPFFS=$SB_TMP/bpffs BPFNET_RUN_DIR=$SB_TMP/run
	unset BPFNET_INSTANCE
	mkdir -p "$BPFNET_BPFFS" "$BPFNET_RUN_DIR" || return 1
	"$SB_RUN" mount -t bpf bpf "$BPFNET_BPFFS" || {
		"$SB_NOTE" "cannot mount a bpffs on $BPFNET_BPFFS"
		return 1
	}
	sandbox_cgroup "$name" "$join"
}

# sandbox_cgroup NAME [--join-cgroup]: bpfnet attaches its socket hooks (for the node's
# own clients) to a cgroup v2 directory: give it an empty one of ours rather than the
# host's root, so that no process of the host runs them. --join-cgroup moves this shell
# (so every client it starts) into it. No cgroup v2 at all leaves bpfnet's default,
# said in $SB_CGROUP_NOTE.
sandbox_cgroup() {
	local mnt
	# mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ...
	mnt=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo)
	if [ -z "$mnt" ] || ! SB_CGROUP=$(mktemp -d "$mnt/bpfnet-$1.XXXXXX" 2>/dev/null); then
		SB_CGROUP=""
		SB_CGROUP_NOTE="bpfnet socket hooks: no cgroup v2 directory of our own could be made; bpfnet chose"
		return 0
	fi
	if [ "${2:-}" = --join-cgroup ]; then
		SB_CGROUP_HOME="$mnt$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)"
		if ! echo $$ >"$SB_CGROUP/cgroup.procs"; then
			rmdir "$SB_CGROUP"
			SB_CGROUP="" SB_CGROUP_HOME=""
			SB_CGROUP_NOTE="bpfnet socket hooks: cannot join a cgroup of our own; bpfnet chose"
			return 0
		fi
	fi
	# seen through our root: "ip netns exec" mounts a fresh /sys without the cgroups
	export BPFNET_CGROUP="/proc/$$/root$SB_CGROUP"
	SB_CGROUP_NOTE="bpfnet socket hooks: attached to $SB_CGROUP, an empty cgroup made for the run"
}

# sandbox_instance_down: "bpfnet down" of $SB_INSTANCE in the node netns, if there is one
sandbox_instance_down() {
	[ -n "$SB_TMP" ] && [ -x "$SB_BPFNET" ] && [ -e "/run/netns/$SB_NODE" ] || return 0
	timeout -k 5 30 ip netns exec "$SB_NODE" "$SB_BPFNET" ${SB_INSTANCE:+--instance "$SB_INSTANCE"} \
		down >/dev/null 2>&1
	return 0
}

# sandbox_netns_del_all: every netns of the run, and any process still in one (this run
# started it); their links, routes, rules and conntrack entries go with them
sandbox_netns_del_all() {
	local n p
	for n in $(sandbox_netns); do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	return 0
}

# _sb_cgroup_remove: leave the cgroup, stop what is still in it (our descendants), rmdir
_sb_cgroup_remove() {
	local p tries
	[ -n "$SB_CGROUP" ] && [ -d "$SB_CGROUP" ] || return 0
	[ -n "$SB_CGROUP_HOME" ] && echo $$ >"$SB_CGROUP_HOME/cgroup.procs" 2>/dev/null
	for tries in 1 2 3 4 5 6 7 8 9 10; do
		rmdir "$SB_CGROUP" 2>/dev/null && break
		for p in $(cat "$SB_CGROUP/cgroup.procs" 2>/dev/null); do
			[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || kill -9 "$p" 2>/dev/null
		done
		sleep 0.2
	done
	[ -d "$SB_CGROUP" ] && "$SB_NOTE" "cgroup $SB_CGROUP is still busy (try $tries)"
	SB_CGROUP=""
}

# sandbox_teardown: the caller's hook, the instance, every netns, the bpffs, $SB_TMP and
# the cgroup; once, whatever failed before, with "set -e" off
sandbox_teardown() {
	local -
	set +e
	[ "$SB_TORN_DOWN" = 1 ] && return 0
	SB_TORN_DOWN=1
	trap - EXIT INT TERM HUP
	_sb_names
	[ -n "$SB_HOOK" ] && "$SB_HOOK"
	sandbox_instance_down
	sandbox_netns_del_all
	if [ -n "$SB_TMP" ] && [ -d "$SB_TMP" ]; then
		if mountpoint -q "$SB_TMP/bpffs"; then
			umount "$SB_TMP/bpffs" 2>/dev/null || umount -l "$SB_TMP/bpffs"
		fi
		rm -rf --one-file-system "$SB_TMP"
	fi
	_sb_cgroup_remove
	return 0
}

# _sb_names: the node and ext names of the prefix (which a caller may set after sourcing)
_sb_names() {
	SB_NODE=$SB_PREFIX"node"
	SB_EXT=$SB_PREFIX"ext"
}
_sb_names

# sandbox_uplink2: a second outside, netns "${SB_PREFIX}ext2" ($SB_EXT2), joined to the
# node by a second veth with a subnet of its own: $SB_UPLINK2 = $SB_UPLINK2_IP/24 in the
# node, $SB_EXT2_IF = $SB_EXT2_IP/24 in ext2 (a second NIC, a VPN). After sandbox_uplink.
SB_UPLINK2_IP=${SB_UPLINK2_IP:-192.168.88.1}
SB_EXT2_IP=${SB_EXT2_IP:-192.168.88.2}
SB_UPLINK2=${SB_UPLINK2:-up1}
SB_EXT2_IF=${SB_EXT2_IF:-ext2-0}
sandbox_uplink2() {
	SB_EXT2=$SB_PREFIX"ext2"
	sandbox_netns_add ext2 &&
		sandbox_ipv6_off ext2 &&
		"$SB_RUN" ip -n "$SB_NODE" link add "$SB_UPLINK2" type veth \
			peer name "$SB_EXT2_IF" netns "$SB_EXT2" &&
		"$SB_RUN" ip -n "$SB_NODE" addr add "$SB_UPLINK2_IP/24" dev "$SB_UPLINK2" &&
		"$SB_RUN" ip -n "$SB_EXT2" addr add "$SB_EXT2_IP/24" dev "$SB_EXT2_IF" &&
		"$SB_RUN" ip -n "$SB_NODE" link set "$SB_UPLINK2" up &&
		"$SB_RUN" ip -n "$SB_EXT2" link set "$SB_EXT2_IF" up
}
