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
#   $SB_CGROUP_PARENT  "bpfnet-sb-<prefix>" (BPFNET_CGROUP_PARENT): `bpfnet run` puts each
#               container's cgroup at <hierarchy>/<it>/<name>, on every hierarchy it uses
# Containers of `bpfnet run` (named with the prefix, records under $BPFNET_RUN_DIR) are
# removed by the teardown: `rm -f` of each record, then whatever is left in the cgroup
# parent (killed, rmdir'ed on every v1 and v2 hierarchy) and under /var/run/netns.
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
SB_CGROUP_PARENT=${SB_CGROUP_PARENT:-}
SB_CGROUP_NOTE=""
SB_TORN_DOWN=0

_sb_run() { timeout -k 5 20 "$@"; }
_sb_note() { printf 'sandbox: %s\n' "$*" >&2; }

# sandbox_ns SHORT: the full name of netns SHORT ("c1" -> "bnt123-c1")
sandbox_ns() { printf '%s%s' "$SB_PREFIX" "$1"; }

# sandbox_where: what the run made, for the user and for tests that check it is gone:
# "netns bnt123-*, temp dir /run/bpfnet-test.XXXXXX, cgroup /sys/fs/cgroup/...,
# container cgroups under */bpfnet-sb-bnt123" (the last: on every hierarchy)
sandbox_where() {
	printf 'netns %s*, temp dir %s%s%s\n' "$SB_PREFIX" "${SB_TMP:-none}" "${SB_CGROUP:+, cgroup $SB_CGROUP}" \
		"${SB_CGROUP_PARENT:+, container cgroups under */$SB_CGROUP_PARENT}"
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
	# the containers' cgroups: a parent of the run's own on every hierarchy, never bpfnet's
	SB_CGROUP_PARENT=${SB_CGROUP_PARENT:-bpfnet-sb-${SB_PREFIX%-}}
	export BPFNET_CGROUP_PARENT=$SB_CGROUP_PARENT
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
SB_CGROUP_PARENT=${SB_CGROUP_PARENT:-}
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
	sandbox_containers_rm
	sandbox_cgroup_parent_remove
	sandbox_instance_down
	sandbox_netns_del_all
	sandbox_netns_files_remove
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

# ---- containers of `bpfnet run` ----------------------------------------------------------

# sandbox_containers: the name of every container record under $BPFNET_RUN_DIR, one a line
sandbox_containers() {
	local d
	[ -n "$SB_TMP" ] && [ -d "${BPFNET_RUN_DIR:-}/containers" ] || return 0
	for d in "$BPFNET_RUN_DIR"/containers/*/; do
		[ -d "$d" ] && basename "$d"
	done
	return 0
}

# sandbox_containers_rm: `bpfnet rm -f` of every container left, in the node's netns (so its
# endpoints go too) and the host's mount namespace (its netns bind mount is there)
sandbox_containers_rm() {
	local c node=""
	[ -x "$SB_BPFNET" ] || return 0
	[ -e "/run/netns/$SB_NODE" ] && node="--net=/run/netns/$SB_NODE"
	for c in $(sandbox_containers); do
		if [ -n "$node" ]; then
			timeout -k 5 30 nsenter "$node" "$SB_BPFNET" ${SB_INSTANCE:+--instance "$SB_INSTANCE"} \
				rm -f "$c" >/dev/null 2>&1
		else
			timeout -k 5 30 "$SB_BPFNET" ${SB_INSTANCE:+--instance "$SB_INSTANCE"} \
				rm -f "$c" >/dev/null 2>&1
		fi || "$SB_NOTE" "bpfnet rm -f $c failed; removing what is left by hand"
	done
	return 0
}

# sandbox_cgroup_mounts: the mount point of every cgroup hierarchy (v1 and v2), one a line
sandbox_cgroup_mounts() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo
}

# _sb_cgroup_tree_kill DIR: SIGKILL every process in DIR and below (cgroup.kill where v2 has it)
_sb_cgroup_tree_kill() {
	local f p
	[ -w "$1/cgroup.kill" ] && echo 1 >"$1/cgroup.kill" 2>/dev/null
	while IFS= read -r f; do
		for p in $(cat "$f" 2>/dev/null); do
			[ "$p" = $$ ] || [ "$p" = "${BASHPID:-}" ] || kill -9 "$p" 2>/dev/null
		done
	done < <(find "$1" -name cgroup.procs 2>/dev/null)
}

# sandbox_cgroup_parent_remove: $SB_CGROUP_PARENT on every hierarchy, with what is in it:
# its processes killed, its directories removed deepest first
sandbox_cgroup_parent_remove() {
	local mnt dir tries left
	[ -n "$SB_CGROUP_PARENT" ] || return 0
	for mnt in $(sandbox_cgroup_mounts); do
		dir=$mnt/$SB_CGROUP_PARENT
		[ -d "$dir" ] || continue
		for tries in 1 2 3 4 5 6 7 8 9 10; do
			_sb_cgroup_tree_kill "$dir"
			find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$dir" ] || break
			sleep 0.2
		done
		if [ -d "$dir" ]; then
			left=$(find "$dir" -name cgroup.procs -exec cat {} + 2>/dev/null | tr '\n' ' ')
			"$SB_NOTE" "cgroup $dir is still busy (processes: ${left:-none})"
		fi
	done
	return 0
}

# sandbox_netns_files_remove: any /var/run/netns/<prefix>* that `ip netns del` left (a
# bind mount a container's rm did not take away), unmounted and removed
sandbox_netns_files_remove() {
	local f
	for f in /run/netns/"$SB_PREFIX"*; do
		[ -e "$f" ] || continue
		umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null
		rm -f "$f" 2>/dev/null || "$SB_NOTE" "cannot remove $f"
	done
	return 0
}

# sandbox_rootfs DIR: a busybox-static root file system in DIR: bin/busybox and a symlink
# per applet in bin/ (sbin, usr/bin, usr/sbin lead there too), etc/ with passwd and group,
# and the empty proc/, sys/, dev/, tmp/ a runtime mounts on. 1 when busybox is missing or
# not static (it would need the host's libraries).
SB_BUSYBOX=${SB_BUSYBOX:-/bin/busybox}
sandbox_rootfs() {
	local dir=$1 a
	[ -x "$SB_BUSYBOX" ] || { "$SB_NOTE" "no $SB_BUSYBOX (busybox-static; make deps)"; return 1; }
	if ldd "$SB_BUSYBOX" >/dev/null 2>&1; then
		"$SB_NOTE" "$SB_BUSYBOX is not static (busybox-static; make deps)"
		return 1
	fi
	mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root,usr} || return 1
	chmod 1777 "$dir/tmp"
	cp "$SB_BUSYBOX" "$dir/bin/busybox" || return 1
	for a in $("$SB_BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$dir/bin/$a"
	done
	ln -sfn bin "$dir/sbin"
	ln -sfn ../bin "$dir/usr/bin"
	ln -sfn ../bin "$dir/usr/sbin"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
	# what an image has, for the runtime to bind its own over (a user namespace's root
	# could not create them in a root-owned tree)
	touch "$dir/etc/hosts" "$dir/etc/hostname" "$dir/etc/resolv.conf"
	[ -x "$dir/bin/sh" ] && [ -x "$dir/bin/true" ]
}
