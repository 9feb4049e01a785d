#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What `bpfnet run` isolates, seen from inside and from outside, real processes: the
# hostname (its own UTS namespace), the PID namespace (init as PID 1, the command its
# child, nothing of the host's), a mount made inside invisible outside, `exec` in the same
# namespaces (the /proc/self/ns/* inodes of exec against init's, seen from outside) and
# cgroup, a busybox-static rootfs (--rootfs: pivot_root, its own /proc, /dev, read-only
# /sys, none of the host's files), /etc/hosts, hostname and resolv.conf as Docker writes
# them, and --userns (root inside is an unprivileged uid outside, two containers never
# share a range). bpfnet runs through bnr: the node's netns, the host's mount namespace.
source "$(dirname "$0")/lib.sh"
sandbox_setup

NET=n87
SUBNET=10.87.0.0/24
RUN_DIR=$BPFNET_RUN_DIR/containers

bn init --uplink "$UPLINK" >/dev/null || bail "bpfnet init"
bn network create $NET --subnet $SUBNET >/dev/null || bail "network create"

# out_is WANT DESC CMD...: CMD exits 0 and prints exactly WANT (its stderr shown if not)
out_is() {
	local want=$1 desc=$2 got rc
	shift 2
	got=$("$@" 2>"$TMP/err")
	rc=$?
	if [ $rc = 0 ] && [ "$got" = "$want" ]; then
		ok "$desc"
		return 0
	fi
	not_ok "$desc"
	diag "command: $* (exit $rc)"
	diag "got:  '$got'"
	diag "want: '$want'"
	diag_file "$TMP/err"
	return 1
}

# ns_inodes PROC NS...: "NS:[INODE]" of each namespace of /proc/PROC, one a line
ns_inodes() {
	local p=$1 n
	shift
	for n in "$@"; do readlink "/proc/$p/ns/$n" || echo "$n:?"; done
}

# ---- hostname --------------------------------------------------------------------------

host_name=$(hostname)
got=$(bnr run --rm --name "${PFX}h1" -- hostname)
check "the default hostname is the short ID, not the node's ('$got' vs '$host_name')" \
	test "$got" != "$host_name" -a -n "$got"
check "... 12 lowercase hex characters, as docker's" grep -qxE '[0-9a-f]{12}' <<<"$got"
out_is web87 "--hostname sets it in the container's UTS namespace" \
	bnr run --rm --name "${PFX}h2" --hostname web87 -- hostname
is "$(hostname)" "$host_name" "... and the node's hostname is as it was"

# ---- PID namespace ------------------------------------------------------------------------

# the shell expands /proc/[0-9]* itself (no process of its own): init and the command only
out_is "/proc/1 /proc/2" "the container's /proc has only its two processes (init, the command)" \
	bnr run --rm --name "${PFX}p1" -- sh -c 'echo /proc/[0-9]*'
out_is "bpfnet-init 2 1" "PID 1 is the runtime's init; the command is PID 2, its child" \
	bnr run --rm --name "${PFX}p2" -- sh -c 'echo $(cat /proc/1/comm) $$ $PPID'
# a tree of its own: what the command starts is all the container has, the host's never
out_is "4" "the command's own background processes are all there is besides init and it" \
	bnr run --rm --name "${PFX}p3" -- sh -c 'sleep 5 & sleep 5 & set -- /proc/[0-9]*; echo $#'

# ---- mounts -------------------------------------------------------------------------------

mkdir -p "$TMP/mnt87"
bnr run -d --name "${PFX}m" -- sh -c "mount -t tmpfs none $TMP/mnt87 && touch $TMP/mnt87/inside && exec sleep 600" \
	>/dev/null || bail "run -d of the mount container"
wait_until 10 bnr exec "${PFX}m" -- test -e "$TMP/mnt87/inside"
check "inside: the tmpfs mounted on $TMP/mnt87 is there" bnr exec "${PFX}m" -- mountpoint -q "$TMP/mnt87"
check "outside: no mount on $TMP/mnt87" sh -c "! mountpoint -q $TMP/mnt87"
check "outside: the file made on it is not seen" test ! -e "$TMP/mnt87/inside"
check "outside: /proc/self/mountinfo names no mount of it" sh -c "! grep -F ' $TMP/mnt87 ' /proc/self/mountinfo"

# ---- exec: the same namespaces and cgroup --------------------------------------------------

NSES="mnt uts ipc net pid cgroup user"
init=$(ctr_pid "${PFX}m")
if [ "$init" = None ] || [ "$init" = gone ]; then
	not_ok "ps gives the running container's init PID (got '$init')"
else
	outside=$(ns_inodes "$init" $NSES)
	inside=$(bnr exec "${PFX}m" -- sh -c "for n in $NSES; do readlink /proc/self/ns/\$n; done")
	is "$inside" "$outside" "exec lands in init's namespaces ($NSES: /proc/self/ns inside = /proc/$init/ns outside)"
	mine=$(ns_inodes self $NSES)
	differ=""
	for n in mnt uts ipc net pid cgroup; do
		[ "$(grep "^$n:" <<<"$outside")" = "$(grep "^$n:" <<<"$mine")" ] && differ+="$n "
	done
	is "$differ" "" "init's mnt, uts, ipc, net, pid and cgroup namespaces are not the host's"
	is "$(readlink /proc/$init/ns/net)" "net:[$(stat -L -c %i "/run/netns/${PFX}m")]" \
		"its netns is the one kept in /var/run/netns/${PFX}m"
	# exec's process in the container's cgroup, on every hierarchy of it
	bnr exec "${PFX}m" -- sleep 7.5 &
	ex=$!
	missing=""
	if wait_until 5 pgrep -f -x 'sleep 7.5'; then
		sp=$(pgrep -f -x 'sleep 7.5' | head -n1)
		dirs=$(cgroup_dirs_of "${PFX}m")
		[ -n "$dirs" ] || missing="(the container has no cgroup dir)"
		for d in $dirs; do grep -qx "$sp" "$d/cgroup.procs" || missing+="$d "; done
	else
		missing="(exec's sleep never showed up)"
	fi
	is "$missing" "" "exec's process is in every cgroup dir of the container ($(cgroup_dirs_of "${PFX}m" | wc -l) dirs)"
	kill "$ex" 2>/dev/null
	wait "$ex" 2>/dev/null
fi
BNR_TIMEOUT=20 bnr rm -f "${PFX}m" >/dev/null

# ---- a busybox-static rootfs --------------------------------------------------------------

if ! rootfs_setup; then
	skip_test "--rootfs with busybox" "$ROOTFS_WHY"
else
	echo "host marker $$" >"$TMP/host-marker"
	echo "rootfs marker" >"$ROOTFS/rootfs-marker"
	out_is "busybox runs" "--rootfs: busybox's sh runs in it" \
		bnr run --rm --name "${PFX}r1" --rootfs "$ROOTFS" -- /bin/sh -c 'echo busybox runs'
	out_is "no yes" "--rootfs: the host's files are not seen ($TMP/host-marker), the rootfs's are" \
		bnr run --rm --name "${PFX}r2" --rootfs "$ROOTFS" -- sh -c \
		"for f in $TMP/host-marker /rootfs-marker; do [ -e \$f ] && printf yes || printf no; [ \$f = /rootfs-marker ] || printf ' '; done; echo"
	check "--rootfs: the host's /etc/passwd is not there either (only the rootfs's 2 users)" \
		expect 2 bnr run --rm --name "${PFX}r3" --rootfs "$ROOTFS" -- sh -c 'grep -c . /etc/passwd'
	out_is "/proc/1 /proc/2" "--rootfs: /proc is the container's PID namespace's" \
		bnr run --rm --name "${PFX}r4" --rootfs "$ROOTFS" -- sh -c 'echo /proc/[0-9]*'
	# the issue's minimal /dev: each a character device (or pts a dir, shm a dir)
	out_is "null zero full random urandom tty pts shm" "--rootfs: /dev has null, zero, full, random, urandom, tty, pts, shm" \
		bnr run --rm --name "${PFX}r5" --rootfs "$ROOTFS" -- sh -c \
		'l=""; for d in null zero full random urandom tty; do [ -c /dev/$d ] && l="$l $d"; done; for d in pts shm; do [ -d /dev/$d ] && l="$l $d"; done; echo $l'
	check "--rootfs: /dev/null works, /dev/zero gives zeros" expect "0 4096" \
		bnr run --rm --name "${PFX}r6" --rootfs "$ROOTFS" -- sh -c \
		'echo x >/dev/null; a=$(wc -c </dev/null); b=$(head -c 4096 /dev/zero | tr -d "\000" | wc -c); echo $a $((4096 - b))'
	check "--rootfs: /sys is read-only" expect "ro refused" \
		bnr run --rm --name "${PFX}r7" --rootfs "$ROOTFS" -- sh -c \
		'o=$(awk "\$5 == \"/sys\" { print \$6 }" /proc/self/mountinfo | cut -d, -f1); touch /sys/x 2>/dev/null && echo "$o written" || echo "$o refused"'
	check "--rootfs: /tmp is writable" bnr run --rm --name "${PFX}r8" --rootfs "$ROOTFS" -- \
		sh -c 'echo t >/tmp/t && [ "$(cat /tmp/t)" = t ]'
	# the old root is detached: no mount point outside what the runtime makes
	got=$(bnr run --rm --name "${PFX}r9" --rootfs "$ROOTFS" -- awk '{ print $5 }' /proc/self/mountinfo)
	stray=$(grep -vxE '/|/proc(/.*)?|/sys(/.*)?|/dev(/.*)?|/tmp|/etc/(hosts|hostname|resolv\.conf)' <<<"$got" | tr '\n' ' ')
	is "$stray" "" "--rootfs: the old root is detached (no mount point but /, /proc, /sys, /dev, /tmp, /etc files)" ||
		diag "mount points: $(tr '\n' ' ' <<<"$got")"
	check "--rootfs: the rootfs dir on the host is as it was (no mount left on it)" \
		sh -c "! grep -F ' $ROOTFS' /proc/self/mountinfo"
	check "--rootfs leaves nothing in the rootfs of the host's" test ! -e "$ROOTFS/.oldroot" -a ! -e "$ROOTFS/proc/1"
fi

# ---- /etc/hosts, /etc/hostname, /etc/resolv.conf -------------------------------------------

# Docker's: localhost lines, then the container's address with its hostname
# (libnetwork/etchosts), resolv.conf the host's without loopback nameservers (and without
# IPv6 ones for a container without IPv6), 8.8.8.8 and 8.8.4.4 when none is left
# (libnetwork/resolvconf); search and options lines kept
want_resolv() {
	local ns
	ns=$(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 !~ /:/ { print $2 }' /etc/resolv.conf)
	[ -n "$ns" ] || ns=$'8.8.8.8\n8.8.4.4'
	echo "$ns"
}
etc_checks() { # etc_checks LABEL RUNARGS...
	local label=$1 name=${PFX}e$2 ip got
	shift 2
	bnr run -d --name "$name" --network $NET --hostname web87 "$@" -- sleep 600 >/dev/null ||
		{ not_ok "$label: run -d"; return 1; }
	ip=$(ctr_ip "$name")
	got=$(bnr exec "$name" -- cat /etc/hosts)
	check "$label: /etc/hosts has 127.0.0.1 localhost" grep -qP '^127\.0\.0\.1\s+localhost(\s|$)' <<<"$got" ||
		diag "$got"
	check "$label: /etc/hosts has ::1 localhost ip6-localhost ip6-loopback" \
		grep -qP '^::1\s+localhost ip6-localhost ip6-loopback$' <<<"$got"
	check "$label: /etc/hosts names the container's address $ip with its hostname" \
		grep -qP "^\Q$ip\E\s+(.*\s)?web87(\s|$)" <<<"$got" || diag "$got"
	out_is web87 "$label: /etc/hostname is the hostname" bnr exec "$name" -- cat /etc/hostname
	got=$(bnr exec "$name" -- awk '$1 == "nameserver" { print $2 }' /etc/resolv.conf)
	is "$got" "$(want_resolv)" "$label: resolv.conf's nameservers are the host's non-loopback IPv4 ones, else 8.8.8.8 8.8.4.4"
	is "$(bnr exec "$name" -- grep -E '^(search|options|domain)' /etc/resolv.conf)" \
		"$(grep -E '^(search|options|domain)' /etc/resolv.conf)" "$label: resolv.conf keeps the host's search and options lines"
	BNR_TIMEOUT=20 bnr rm -f "$name" >/dev/null
}
if [ -n "$ROOTFS" ]; then
	etc_checks "--rootfs" r --rootfs "$ROOTFS"
	check "the rootfs's own /etc files are untouched (bound over, not written)" \
		test ! -s "$ROOTFS/etc/hosts" -a ! -s "$ROOTFS/etc/hostname" -a ! -s "$ROOTFS/etc/resolv.conf"
fi
cp /etc/hosts "$TMP/hosts.before"
etc_checks "no rootfs" h
check "without --rootfs the host's /etc/hosts is untouched" cmp -s /etc/hosts "$TMP/hosts.before"

# ---- --userns -----------------------------------------------------------------------------

# status_uid PID: the real uid of PID as the host sees it
status_uid() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }

# $TMP (so the run dir and the rootfs in it) is mktemp's 0700: the runtime must open what
# it needs before it becomes the range's root
out_is 0 "--userns: the command is root inside" bnr run --rm --name "${PFX}u0" --userns -- id -u
for u in u1 u2; do
	bnr run -d --name "${PFX}$u" --userns -- sleep 600 >/dev/null || not_ok "--userns: run -d ${PFX}$u"
done
u1=$(ctr_cmd_pid "${PFX}u1") u2=$(ctr_cmd_pid "${PFX}u2")
first1=$(ctr_json "${PFX}u1" 'c["userns"]["host_first"]')
count1=$(ctr_json "${PFX}u1" 'c["userns"]["count"]')
first2=$(ctr_json "${PFX}u2" 'c["userns"]["host_first"]')
count2=$(ctr_json "${PFX}u2" 'c["userns"]["count"]')
if [ -z "$u1" ] || [ -z "$u2" ]; then
	not_ok "--userns: the commands of both containers run (pids '$u1' '$u2')"
else
	uid1=$(status_uid "$u1") uid2=$(status_uid "$u2")
	check "--userns: root inside is uid $uid1 outside, not 0" test "$uid1" -gt 0
	is "$uid1" "$first1" "--userns: ... the first of the range recorded (ps --json userns.host_first)"
	is "$(status_uid "$(ctr_pid "${PFX}u1")")" "$uid1" "--userns: its init is that uid outside too"
	is "$(bnr exec "${PFX}u1" -- cat /proc/self/uid_map | awk '{ print $1, $2, $3 }')" "0 $first1 $count1" \
		"--userns: uid_map inside maps 0..$count1 to $first1.."
	is "$(bnr exec "${PFX}u1" -- id -u)" 0 "--userns: exec is root inside as well"
	is "$(bnr exec "${PFX}u1" -- readlink /proc/self/ns/user)" "$(readlink "/proc/$u1/ns/user")" \
		"--userns: exec lands in its user namespace"
	check "--userns: the user namespace is not the host's" \
		test "$(readlink "/proc/$u1/ns/user")" != "$(readlink /proc/self/ns/user)"
	check "--userns: two containers get different, non-overlapping ranges ($first1+$count1, $first2+$count2)" \
		test "$uid1" != "$uid2" -a \( $((first1 + count1)) -le "$first2" -o $((first2 + count2)) -le "$first1" \)
	is "$uid2" "$first2" "--userns: the second's root is the first of its range outside"
	# root inside owns nothing of the host's: the host's root-only file stays closed
	# (the file's own mode must refuse it: $TMP is opened to others for the check)
	echo secret >"$TMP/root-only" && chmod 600 "$TMP/root-only" && chmod 711 "$TMP"
	out_is denied "--userns: root inside cannot read a host file only the host's root may" \
		bnr exec "${PFX}u1" -- sh -c "cat $TMP/root-only >/dev/null 2>&1 && echo read || echo denied"
	chmod 700 "$TMP"
fi
if [ -n "$ROOTFS" ]; then
	out_is "0 busybox" "--userns with --rootfs: root inside, in the busybox rootfs" \
		bnr run --rm --name "${PFX}u3" --userns --rootfs "$ROOTFS" -- sh -c 'echo $(id -u) $(readlink /bin/sh)'
fi
for u in u1 u2; do BNR_TIMEOUT=20 bnr rm -f "${PFX}$u" >/dev/null; done
check "rm gave the ranges back (no userns range left)" test -z "$(ls "$BPFNET_RUN_DIR/userns" 2>/dev/null)"
check "no record left" test -z "$(ls "$RUN_DIR" 2>/dev/null)"

done_testing
