#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The networks of `bpfnet run`, real processes and packets: --network none (only lo, up),
# --network host (the node's own namespace), two --network attachments (eth0 and eth1,
# both reached, the default route via the first, docker network connect's semantics), a
# published port (-p 8080:80) answering the outside at the node's uplink address, a
# macvlan container on the parent's segment (reaches the ext peer, seen there with its
# own MAC) and -p refused on macvlan before anything is made; and nothing left behind
# after rm (netns, veths and routes in the node, cgroup dirs in every hierarchy, mounts,
# records, endpoints, ports, userns ranges), after --rm, after kill -9 of a foreground
# `bpfnet run` (then rm -f), and after kill -9 of `run` at instants of its start.
# bpfnet runs through bnr (tests/e2e/lib.sh): the node's netns, the host's mount namespace.
source "$(dirname "$0")/lib.sh"
sandbox_setup

NA=n89a SUBNET_A=10.89.1.0/24 GW_A=10.89.1.1	# l3
NB=n89b SUBNET_B=10.89.2.0/24 GW_B=10.89.2.1	# bridge
MV=n89mv					# macvlan on up0: the ext netns is its router
RUN_DIR=$BPFNET_RUN_DIR/containers

bn init --uplink "$UPLINK" >/dev/null || bail "bpfnet init"
bn network create $NA --subnet $SUBNET_A >/dev/null || bail "network create $NA"
bn network create $NB --subnet $SUBNET_B --mode bridge >/dev/null || bail "network create $NB"
bn network create $MV --mode macvlan --parent "$UPLINK" --subnet 192.168.77.0/24 --gateway "$EXT_IP" \
	>/dev/null || bail "network create $MV --mode macvlan --parent $UPLINK"

# what a container leaves once it is gone: must read the same before and after
snapshot() {
	local mnt
	echo "records: $(ls "$RUN_DIR" 2>/dev/null | tr '\n' ' ')"
	echo "netns: $(ls /run/netns | grep "^$PFX" | tr '\n' ' ')"
	echo "node links: $(ip -n "$NODE" -o link show | awk -F': ' '{ print $2 }' | sort | tr '\n' ' ')"
	echo "node routes:"
	ip -n "$NODE" route show table all | sort
	echo "cgroups:"
	for mnt in $(sandbox_cgroup_mounts); do
		[ -d "$mnt/$BPFNET_CGROUP_PARENT" ] && find "$mnt/$BPFNET_CGROUP_PARENT" -mindepth 1 -type d
	done | sort
	echo "mounts: $(grep -E " /run/netns/$PFX| $TMP/" /proc/self/mountinfo | grep -v " $TMP/bpffs " |
		awk '{ print $5 }' | sort | tr '\n' ' ')"
	echo "endpoints: $(bn endpoint ls -q | sort | tr '\n' ' ')"
	echo "ports:"
	bn port ls 2>&1
	echo "userns: $(ls "$BPFNET_RUN_DIR/userns" 2>/dev/null | tr '\n' ' ')"
}

# snap_same: the snapshot now is as $TMP/snap.before
snap_same() {
	snapshot >"$TMP/snap.after" 2>&1
	cmp -s "$TMP/snap.before" "$TMP/snap.after"
}

# same_as_before DESC: the snapshot is as $TMP/snap.before, else the difference. Given a few
# seconds: a veth whose netns went with the container is retired (renamed bn<hash>x<gen>) and
# deleted by the kernel's netns cleanup worker, which on a loaded machine takes its time.
same_as_before() {
	if wait_until 10 snap_same; then
		ok "$1"
		return 0
	fi
	not_ok "$1"
	diff "$TMP/snap.before" "$TMP/snap.after" | head -30 | sed 's/^/#   /'
	return 1
}

# run_pid NAME: the PID of the foreground `bpfnet run --name NAME`: timeout's child (not
# timeout, not a clone of run's that is about to become the container's init)
run_pid() {
	local p pp
	for p in $(pgrep -f -- "run --name $1 "); do
		pp=$(awk '$1 == "PPid:" { print $2 }' "/proc/$p/status" 2>/dev/null)
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = bpfnet ] &&
			[ "$(cat "/proc/$pp/comm" 2>/dev/null)" = timeout ] && echo "$p"
	done
	return 0
}

# ping_from NAME IP: container NAME pings IP once
ping_from() { bnr exec "$1" -- ping -c1 -W2 "$2"; }

# bnr30 ARGS...: bnr with 30 s to do it
bnr30() { BNR_TIMEOUT=30 bnr "$@"; }

# ---- none and host ----------------------------------------------------------------------

got=$(bnr run --rm --name "${PFX}none" --network none -- ip -o link show)
is "$(awk -F': ' '{ print $2 }' <<<"$got")" lo "--network none: the container has only lo" || diag "$got"
check "--network none: lo is up" grep -q '<LOOPBACK,UP' <<<"$got"
check "--network none: 127.0.0.1 answers" bnr run --rm --name "${PFX}none2" --network none -- ping -c1 -W2 127.0.0.1
check "--network none: no route out" bnr run --rm --name "${PFX}none3" --network none -- \
	sh -c '[ -z "$(ip route show)" ] && ! ping -c1 -W1 '"$EXT_IP"
is "$(bnr run --rm --name "${PFX}host" --network host -- readlink /proc/self/ns/net)" \
	"net:[$(stat -L -c %i "/run/netns/$NODE")]" "--network host: the node's network namespace (same inode)"
check "--network host: sees the node's $UPLINK with $NODE_IP" grep_out "$NODE_IP/24" \
	bnr run --rm --name "${PFX}host2" --network host -- ip -o -4 addr show dev "$UPLINK"
check "--network host: reaches the ext peer as the node does" \
	bnr run --rm --name "${PFX}host3" --network host -- ping -c1 -W2 "$EXT_IP"
check "--network host: no netns kept for it" test ! -e "/run/netns/${PFX}host3"

# ---- two networks -------------------------------------------------------------------------

bnr run -d --name "${PFX}pa" --network $NA -- sleep 600 >/dev/null || bail "run -d peer on $NA"
bnr run -d --name "${PFX}pb" --network $NB -- sleep 600 >/dev/null || bail "run -d peer on $NB"
IPA=$(ctr_ip "${PFX}pa") IPB=$(ctr_ip "${PFX}pb")
T=${PFX}two
bnr run -d --name "$T" --network $NA --network $NB -- sleep 600 >/dev/null || bail "run -d on two networks"
is "$(ctr_json "$T" '" ".join(n["network"] + ":" + n["ifname"] for n in c["networks"])')" "$NA:eth0 $NB:eth1" \
	"two --network: eth0 on $NA, eth1 on $NB (ps --json)"
check "two --network: reaches the peer on $NA ($IPA)" bnr exec "$T" -- ping -c1 -W2 "$IPA"
check "two --network: reaches the peer on $NB ($IPB)" bnr exec "$T" -- ping -c1 -W2 "$IPB"
check "two --network: the peer on $NA reaches it back at eth0" ping_from "${PFX}pa" "$(ctr_ip "$T" 0)"
check "two --network: the peer on $NB reaches it back at eth1" ping_from "${PFX}pb" "$(ctr_ip "$T" 1)"
routes=$(bnr exec "$T" -- ip route show)
is "$(awk '$1 == "default" { print $1, $2, $3, $4, $5 }' <<<"$routes")" "default via $GW_A dev eth0" "two --network: the one default route is the first's" ||
	diag "$routes"
check "two --network: the second has its subnet's route on eth1, no default" \
	grep -q "^${SUBNET_B} dev eth1" <<<"$routes"
check "two --network: the outside is reached via the first (ext $EXT_IP)" bnr exec "$T" -- ping -c1 -W2 "$EXT_IP"

# ---- a published port ----------------------------------------------------------------------

mkdir -p "$TMP/www" && echo "hello from ${PFX}web $$" >"$TMP/www/index.html"
W=${PFX}web
bnr run -d --name "$W" --network $NA -p 8080:80 -- busybox httpd -f -p 80 -h "$TMP/www" >/dev/null ||
	bail "run -d of the web server"
wait_until 10 ns web ss -Hltn 'sport = :80'
check "-p 8080:80: the outside (ext) gets the container's page at $NODE_IP:8080" expect "hello from ${PFX}web $$" \
	ns ext curl -s --max-time 3 "http://$NODE_IP:8080/index.html"
is "$(ctr_json "$W" '" ".join(c["ports"])')" "8080:80/tcp" "-p 8080:80: ps --json lists the port" ||
	diag "$(ctr_json "$W" 'c["ports"]')"
bnr30 rm -f "$W" >/dev/null
check_fails "-p: the port is gone with the container" \
	ns ext curl -s --max-time 2 "http://$NODE_IP:8080/index.html"

# ---- macvlan --------------------------------------------------------------------------------

check "macvlan: a container on $UPLINK's segment reaches the ext peer $EXT_IP" \
	bnr run --rm --name "${PFX}mv1" --network $MV -- ping -c1 -W2 "$EXT_IP"
M=${PFX}mv
bnr run -d --name "$M" --network $MV -- sleep 600 >/dev/null || bail "run -d on $MV"
IPM=$(ctr_ip "$M")
check "macvlan: its eth0 is a macvlan in bridge mode" grep_out "macvlan mode bridge" \
	bnr exec "$M" -- ip -d link show eth0
check "macvlan: its address $IPM is in $UPLINK's subnet" grep -q '^192\.168\.77\.' <<<"$IPM"
check "macvlan: the ext peer reaches it at $IPM" ns ext ping -c1 -W2 "$IPM"
mac=$(bnr exec "$M" -- cat /sys/class/net/eth0/address)
is "$(ns ext ip neigh show "$IPM" | awk '{ print $5 }')" "$mac" \
	"macvlan: ext sees $IPM at the container's own MAC on the segment (L2, not the node's)"
is "$(ip -n "$NODE" -o link show | grep -c "$(ctr_json "$M" 'c["networks"][0]["endpoint"]')")" 0 \
	"macvlan: no device of it in the node"
BNR_TIMEOUT=20 bnr rm -f "$M" >/dev/null
refused_with "1 2" "macvlan: run -p is refused, saying macvlan, before anything is made" macvlan \
	bnr run --name "${PFX}mvp" --network $MV -p 8081:80 -- true

# ---- nothing left behind ---------------------------------------------------------------------

bnr30 rm -f "$T" >/dev/null
snapshot >"$TMP/snap.before" 2>&1
rootfs_setup || diag "no rootfs for the full container: $ROOTFS_WHY"
F=${PFX}full
bnr run -d --name "$F" --network $NA --network $NB -p 8082:80 --memory 64m --pids 50 --cpus 0.5 \
	--userns ${ROOTFS:+--rootfs "$ROOTFS"} -- sleep 600 >/dev/null || not_ok "run -d of a container with everything"
check "the full container runs, with its netns, cgroups and endpoints" sh -c \
	"[ -e /run/netns/$F ] && [ -n \"$(cgroup_dirs_of "$F")\" ] && [ \$(ls $RUN_DIR | wc -l) -ge 3 ]"
fpid=$(ctr_pid "$F")
bnr30 rm -f "$F" >/dev/null
same_as_before "rm -f of a running container (two networks, -p, limits, --userns${ROOTFS:+, --rootfs}) leaves nothing"
is "$(alive "$fpid")" "" "... and its init is gone"
bnr run --rm --name "${PFX}rm" --network $NA -p 8083:80 --memory 64m -- true
same_as_before "run --rm leaves nothing"
bnr run --name "${PFX}ex" --network $NA --network $NB -p 8083:80 -- sh -c 'exit 4'
bnr30 rm "${PFX}ex" >/dev/null
same_as_before "a container that ended, then rm, leaves nothing"

# kill -9 of a foreground run: the container runs on, rm -f removes all of it
K=${PFX}k9
bnr run --name "$K" --network $NA --network $NB -p 8084:80 --memory 64m -- sleep 600 >/dev/null 2>&1 &
runner=$!
wait_until 10 ctr_running "$K"
kinit=$(ctr_pid "$K")
rp=$(run_pid "$K")
if [ -z "$rp" ]; then
	not_ok "kill -9: found the foreground bpfnet run of $K"
else
	kill -9 "$rp"
	wait "$runner" 2>/dev/null
	check "kill -9 of the foreground run: its container runs on" test -n "$(alive "$kinit")"
	check "... rm -f after it exits 0" bnr30 rm -f "$K"
	same_as_before "... and leaves nothing"
	is "$(alive "$kinit")" "" "... its init is gone"
fi

# kill -9 of run at instants of its start: whatever it made, rm -f (when a record is
# there) removes it; the processes it started end
for d in 0 0.005 0.01 0.02 0.04 0.08 0.15; do
	K=${PFX}ks${d#0.}
	bnr run --name "$K" --network $NA -p 8085:80 --memory 64m --userns -- sleep 601 >/dev/null 2>&1 &
	runner=$!
	sleep "$d"
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rp=$(run_pid "$K")
		[ -n "$rp" ] && break
		kill -0 "$runner" 2>/dev/null || break
		sleep 0.005
	done
	[ -n "$rp" ] && kill -9 "$rp"
	wait "$runner" 2>/dev/null
	[ -d "$RUN_DIR/$K" ] && bnr30 rm -f "$K" >"$TMP/ks.out" 2>&1
	same_as_before "kill -9 of run ${d}s into its start, then rm -f: nothing left" || diag_file "$TMP/ks.out"
	is "$(pgrep -f -- "run --name $K " | tr '\n' ' ')$(pgrep -f -x "sleep 601" | tr '\n' ' ')" "" \
		"... no process of it is left (run, a clone of it, the command)"
done

bnr30 rm -f "${PFX}pa" "${PFX}pb" >/dev/null
check "no record left" test -z "$(ls "$RUN_DIR" 2>/dev/null)"
is "$(ls /run/netns | grep "^$PFX" | grep -vx -e "$NODE" -e "$EXT" | tr '\n' ' ')" "" \
	"no netns of the run's containers left"
done_testing
