#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# podman, for real: Debian 12's podman 4.3 with its CNI backend runs busybox containers on
# bpfnet networks (configs from `bpfnet cni config`) through build/bpfnet-cni. Two
# containers talking by IP, `-p 8080:80` from the node (127.0.0.1 and the node address) and
# from outside with the client's own address seen by the server, a port bound to
# 127.0.0.1, a taken port and address refused, egress masqueraded, hairpin, `run --ip
# --mac-address`, parallel run/rm, restart, a container's own exit, a second network (eth1,
# connect/disconnect), `network ls/inspect`, and `podman rm` (CNI DEL) leaving nothing.
#
# podman is private to the run: its containers.conf, storage.conf, storage, run root,
# temp dir, locks and CNI config dir are under $TMP, its cgroups under one parent of the
# run's own, and it runs with its network namespace set to the sandbox's node
# (nsenter --net; `ip netns exec` would remount /sys and hide the cgroups from runc), so
# the container veths are made in the node. What podman keeps where it cannot be told
# otherwise (the container netns under /run/netns, libcni's result cache under
# /var/lib/cni) is this run's only and removed by the trap, also on failure; the image
# import's blob-info cache (/var/lib/containers/cache) goes to a tmpfs of its own.
source "$(dirname "$0")/lib.sh"

PLUGIN=$REPO_DIR/build/bpfnet-cni
for tool in podman runc conmon nsenter; do
	if ! command -v "$tool" >/dev/null; then
		skip_test "podman on a bpfnet network" "$tool is not installed (make deps installs it)"
		done_testing
	fi
done
BUSYBOX=$(command -v busybox) || BUSYBOX=""
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	skip_test "podman on a bpfnet network" \
		"no static busybox for the image (package busybox-static; make deps installs it)"
	done_testing
fi

sandbox_setup
[ -x "$PLUGIN" ] || bail "$PLUGIN is missing: run make first"

NET=${PFX}pm			# the CNI network, so the bpfnet network, of this run only
SUBNET=10.89.0.0/24 GATEWAY=10.89.0.1
NET2=${PFX}pm2			# a second one, in bridge mode
SUBNET2=10.89.1.0/24 GATEWAY2=10.89.1.1
FIXED_IP=10.89.0.77 FIXED_MAC=02:00:0a:59:00:4d
HOSTPORT=8080 LOCALPORT=8081 EXT_PORT=8000
IMAGE=localhost/${PFX}busybox
PM=$TMP/podman			# everything of podman's that can be put somewhere
CGPARENT=/${PFX}podman		# the cgroup (every v1 hierarchy, and unified) of the containers
CNI_CACHE=/var/lib/cni/results	# libcni's, fixed: podman 4.3 gives it no other place
PM_IDS=() PM_NETNS=()
HAD_VAR_LIB_CNI=0 HAD_VAR_LIB_CONTAINERS=0
[ -e /var/lib/cni ] && HAD_VAR_LIB_CNI=1
[ -e /var/lib/containers ] && HAD_VAR_LIB_CONTAINERS=1
# podman's default cgroup parent: no container of the run may land there
HAD_LIBPOD_PARENT=$(compgen -G "/sys/fs/cgroup/*/libpod_parent" | wc -l)

# ---- a private podman ---------------------------------------------------------------------

# pm ARGS...: podman of this run, in the node's netns only (its /sys, so cgroups, stay)
pm() {
	timeout -k 5 120 nsenter --net="/run/netns/$NODE" podman "$@"
}

# pm_config: containers.conf and storage.conf under $PM. conmon is started with
# conmon_env_vars only, and the `podman container cleanup` it runs when a container exits
# calls the plugin's DEL: give it the sandbox's bpffs and run dir too, or that DEL would
# look at the host's.
pm_config() {
	local conmon_env="\"PATH=$PATH\", \"BPFNET_BPFFS=$BPFNET_BPFFS\", \"BPFNET_RUN_DIR=$BPFNET_RUN_DIR\""
	conmon_env+=", \"CONTAINERS_STORAGE_CONF=$PM/storage.conf\""
	[ -n "${BPFNET_CGROUP:-}" ] && conmon_env+=", \"BPFNET_CGROUP=$BPFNET_CGROUP\""
	mkdir -p "$PM/net.d" "$PM/storage" "$PM/runroot" "$PM/tmp" || return 1
	# default_ulimits: root may not raise nofile past 20000 here; crun refuses the hybrid
	# cgroup layout, runc does not; no systemd for cgroups or journald; file locks under
	# tmp_dir rather than the host-wide /dev/shm/libpod_lock
	cat >"$PM/containers.conf" <<-EOF
		[containers]
		default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
		log_driver = "k8s-file"
		[network]
		network_backend = "cni"
		cni_plugin_dirs = ["$REPO_DIR/build", "/usr/lib/cni"]
		network_config_dir = "$PM/net.d"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		runtime = "runc"
		lock_type = "file"
		tmp_dir = "$PM/tmp"
		conmon_env_vars = [$conmon_env]
	EOF
	# vfs: no overlay mounts to leave behind; the image is 2 MB
	cat >"$PM/storage.conf" <<-EOF
		[storage]
		driver = "vfs"
		graphroot = "$PM/storage"
		runroot = "$PM/runroot"
	EOF
	export CONTAINERS_CONF=$PM/containers.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf
}

# pm_image: busybox-static as an image: an applet link each, and a CGI that answers with
# the address the server sees its client at, and the container's hostname. The import
# runs in a mount namespace of its own with a tmpfs on /var/lib: containers/image keeps a
# blob-info cache in /var/lib/containers/cache for root and podman has no setting for it.
pm_image() {
	local root=$PM/rootfs a
	mkdir -p "$root/bin" "$root/www/cgi-bin" "$root/tmp" "$root/etc" || return 1
	cp "$BUSYBOX" "$root/bin/busybox" || return 1
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	# httpd listens on [::]: an IPv4 client shows as [::ffff:a.b.c.d]
	cat >"$root/www/cgi-bin/whoami" <<-'EOF'
		#!/bin/sh
		a=${REMOTE_ADDR#"[::ffff:"}
		echo "Content-Type: text/plain"
		echo
		echo "${a%]} $(hostname)"
	EOF
	chmod +x "$root/www/cgi-bin/whoami"
	tar -C "$root" -cf "$PM/rootfs.tar" . || return 1
	timeout -k 5 120 unshare --mount --propagation private sh -c '
		mount -t tmpfs -o size=8m,mode=755 bpfnet-test /var/lib &&
		exec podman import --change "CMD [\"/bin/sh\"]" "$1" "$2"' sh "$PM/rootfs.tar" "$IMAGE"
}

# net_conflist NAME MODE SUBNET GATEWAY: a network's config as `bpfnet cni config` prints it
# (cniVersion 1.0.0 by default: podman 4.3's libcni refuses 1.1.0). No bpfnet init runs
# before: the plugin initialises the dataplane on the first ADD, on the uplink named here.
net_conflist() {
	bn cni config "$1" --mode "$2" --subnet "$3" --gateway "$4" --uplink "$UPLINK"
}

# pm_run NAME ARGS...: a container on the network ($PM_NETWORK if set), detached, in the
# run's cgroup parent; its ID and netns are kept for the teardown
pm_run() {
	local name=$1 id ns
	shift
	id=$(pm run -d --name "$name" --hostname "$name" --cgroup-parent="$CGPARENT" \
		--network "${PM_NETWORK:-$NET}" "$@") || { echo "$id"; return 1; }
	id=$(tail -n1 <<<"$id")
	PM_IDS+=("$id")
	ns=$(pm inspect "$name" --format '{{.NetworkSettings.SandboxKey}}' 2>/dev/null)
	[ -n "$ns" ] && PM_NETNS+=("$ns")
	return 0
}

# pm_ip NAME [NET], pm_mac NAME: the container's address and MAC on the network, as podman has them
pm_ip() { pm inspect "$1" --format "{{(index .NetworkSettings.Networks \"${2:-$NET}\").IPAddress}}"; }
pm_mac() { pm inspect "$1" --format "{{(index .NetworkSettings.Networks \"$NET\").MacAddress}}"; }
pm_id() { pm inspect "$1" --format '{{.Id}}'; }

# in_ctr NAME CMD...: CMD inside container NAME, $CTR_TIMEOUT (10) s at most
in_ctr() {
	local name=$1
	shift
	timeout -k 2 20 nsenter --net="/run/netns/$NODE" podman exec "$name" \
		timeout "${CTR_TIMEOUT:-10}" "$@"
}

# ctr_get NAME URL: the body a GET of URL from inside container NAME answers
ctr_get() { in_ctr "$1" wget -q -O - "$2"; }

# http_get NS ADDR PORT PATH: the body of a GET from netns NS (node, ext)
http_get() {
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$4" "$2" |
		ns "$1" socat -T 3 - "TCP:$2:$3,connect-timeout=3" | sed '1,/^\r\{0,1\}$/d'
}

# answers_from WANT_NAME WANT_ADDR CMD...: CMD prints "ADDR NAME" (the whoami CGI);
# WANT_ADDR "node" accepts any address of the node netns (a node-local client's source is
# the node's choice)
answers_from() {
	local name=$1 addr=$2 got
	shift 2
	got=$("$@" 2>&1)
	if [ "$addr" = node ]; then
		local a=${got% *}
		[ "${got##* }" = "$name" ] && grep -qx -- "$a" <<<"$(node_addrs)" && return 0
		echo "got '$got', want '<an address of the node> $name'; node addresses: $(node_addrs | tr "\n" " ")"
		return 1
	fi
	[ "$got" = "$addr $name" ] || { echo "got '$got', want '$addr $name'"; return 1; }
}

# refused_by_plugin NEEDLE CMD...: CMD fails, what podman says names NEEDLE (the plugin's
# error reached the user), and bpfnet has the endpoints it had
refused_by_plugin() {
	local needle=$1 before out rc
	shift
	before=$(bn --json endpoint ls | json 'len(d)')
	out=$("$@" 2>&1)
	rc=$?
	[ $rc != 0 ] || { echo "exit 0: $out"; return 1; }
	grep -qF -- "$needle" <<<"$out" || { echo "$out"; echo "(no '$needle' in that)"; return 1; }
	[ "$(bn --json endpoint ls | json 'len(d)')" = "$before" ] ||
		{ echo "endpoints: $before before, $(bn --json endpoint ls | json 'len(d)') after"; return 1; }
	_e2e_note "podman said: $(tail -n1 <<<"$out")"
}

node_addrs() { ip -n "$NODE" -o -4 addr show | awk '{ sub("/.*", "", $4); print $4 }'; }

# ---- what must be gone -------------------------------------------------------------------

PINS="$BPFNET_BPFFS/bpfnet/$INST"
EP_MAPS="ep_by_ip ep_by_ifindex ep_ports portmap4 backends4"

# map_entries: "MAP=N" for each per-endpoint map of the instance
map_entries() {
	local m n out=""
	for m in $EP_MAPS; do
		n=$(bpftool -j map dump pinned "$PINS/$m" 2>/dev/null | json 'len(d)') || n="?"
		out+="$m=$n "
	done
	echo "${out% }"
}

node_links() { ip -n "$NODE" -o link show | awk -F': ' '{ sub("@.*", "", $2); print $2 }' | sort | tr '\n' ' '; }

# ctr_netns_left: the container netns podman made, where they still are
ctr_netns_left() {
	local n left=""
	for n in "${PM_NETNS[@]}"; do [ -e "$n" ] && left+="$n "; done
	echo "$left"
}

# cache_left: libcni's cached results of this run's networks
cache_left() { { compgen -G "$CNI_CACHE/$NET-*"; compgen -G "$CNI_CACHE/$NET2-*"; } | tr '\n' ' '; }

# cgroups_left: the run's cgroup parent, in any hierarchy
cgroups_left() { compgen -G "/sys/fs/cgroup/*$CGPARENT" | tr '\n' ' '; }

# pm_procs: the processes of this run's podman (conmon, exit commands): their command
# lines name its storage
pm_procs() { pgrep -f -- "$PM/" | grep -vx "$$" | tr '\n' ' '; }
no_pm_procs() { [ -z "$(pm_procs)" ]; }

# ---- teardown: before the sandbox's (the plugin's DEL needs the bpffs) -------------------

pm_teardown() {
	local p n m
	bg_kill_all
	[ -n "$TMP" ] && [ -e "$PM/containers.conf" ] || return 0
	# CNI DEL through the plugin for whatever still runs
	pm rm -a -f -t 0 >/dev/null 2>&1
	wait_until 5 no_pm_procs
	for p in $(pm_procs); do kill -9 "$p" 2>/dev/null; done
	for p in $(cat /sys/fs/cgroup/*"$CGPARENT"/*/cgroup.procs 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	# mounts podman made under $PM (a container's /dev/shm) or of its netns, innermost first
	for m in $(awk -v p="$PM/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	for n in "${PM_NETNS[@]}"; do
		[ -e "$n" ] || continue
		umount -l "$n" 2>/dev/null
		rm -f "$n"
	done
	rm -f "$CNI_CACHE/$NET-"* "$CNI_CACHE/$NET2-"*
	if [ "$HAD_VAR_LIB_CNI" = 0 ]; then
		rmdir "$CNI_CACHE" /var/lib/cni 2>/dev/null
	fi
	for n in $(compgen -G "/sys/fs/cgroup/*$CGPARENT"); do
		rmdir "$n"/* "$n" 2>/dev/null
	done
	rm -rf --one-file-system "$PM"
	return 0
}
# shellcheck disable=SC2034 # read by the sandbox teardown
SB_HOOK=pm_teardown

# ---- podman ------------------------------------------------------------------------------

pm_config || bail "cannot write podman's configuration under $PM"
check "podman info: CNI backend, cgroupfs" \
	expect "cni cgroupfs $PM/storage" pm info --format '{{.Host.NetworkBackend}} {{.Host.CgroupManager}} {{.Store.GraphRoot}}' ||
	bail "podman does not run with its private configuration"
check "podman import: a busybox image from busybox-static" pm_image || bail "no image"
net_configs() {
	net_conflist "$NET" l3 "$SUBNET" "$GATEWAY" >"$PM/net.d/$NET.conflist" &&
		net_conflist "$NET2" bridge "$SUBNET2" "$GATEWAY2" >"$PM/net.d/$NET2.conflist"
}
check "bpfnet cni config $NET (l3) and $NET2 (bridge) into podman's config dir" net_configs ||
	bail "no network config"
diag "network config $PM/net.d/$NET.conflist:"
diag_file "$PM/net.d/$NET.conflist"

for n in "$NET" "$NET2"; do
	check "podman network ls lists $n, driver bpfnet-cni" \
		grep_out "^$n bpfnet-cni\$" pm network ls --format '{{.Name}} {{.Driver}}'
done
check "podman network inspect $NET: its name and driver" \
	expect "$NET bpfnet-cni" pm network inspect "$NET" --format '{{.Name}} {{.Driver}}'

# the servers: web publishes 8080, cli is the client (and a server too)
check "podman run -p $HOSTPORT:80 -p 127.0.0.1:$LOCALPORT:80 web (httpd)" \
	pm_run web -p "$HOSTPORT:80" -p "127.0.0.1:$LOCALPORT:80" "$IMAGE" httpd -f -p 80 -h /www ||
	bail "no container web"
check "podman run cli (httpd)" pm_run cli "$IMAGE" httpd -f -p 80 -h /www || bail "no container cli"
WEB_IP=$(pm_ip web) CLI_IP=$(pm_ip cli)
diag "web $WEB_IP ($(pm_mac web)), cli $CLI_IP ($(pm_mac cli))"

# podman passes its environment to plugins: BPFNET_BPFFS and BPFNET_RUN_DIR took the
# plugin to the sandbox's bpffs and run dir (the host's have no such instance)
plugin_used_sandbox() {
	local eps
	[ ! -e "/sys/fs/bpf/bpfnet/$INST" ] || { echo "/sys/fs/bpf/bpfnet/$INST exists"; return 1; }
	[ -d "$PINS" ] || { echo "nothing pinned at $PINS"; return 1; }
	eps=$(bn --json endpoint ls | json 'sorted(e["container_id"] for e in d)') || return 1
	expect "$eps" python3 -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:])))' "${PM_IDS[@]}"
}
check "the plugin ran on the sandbox's bpffs and run dir (podman passed BPFNET_*)" \
	plugin_used_sandbox
check "the dataplane initialised itself on the first ADD, on $UPLINK" grep_out "$UPLINK" bn status

# what podman shows is what bpfnet made
ep_ip_mac() { # ep_ip_mac ID: "IP MAC" of the endpoint of container ID
	bn --json endpoint ls | json "[e['ip'] + ' ' + e['mac'] for e in d if e['container_id'] == '$1'][0]"
}
same_view() {
	local c=$1
	expect "$(pm_ip "$c") $(pm_mac "$c")" ep_ip_mac "$(pm_id "$c")" || { bn endpoint ls; return 1; }
}
for c in web cli; do
	check "$c: podman's address and MAC are bpfnet's endpoint's" same_view $c
done
check "web's address is in $SUBNET" grep_out '^10\.89\.0\.' echo "$WEB_IP"

# ---- containers talking by IP --------------------------------------------------------------

check "cli -> web ($WEB_IP): answered by web, which sees cli's address" \
	answers_from web "$CLI_IP" ctr_get cli "http://$WEB_IP/cgi-bin/whoami"
check "web -> cli ($CLI_IP): answered by cli, which sees web's address" \
	answers_from cli "$WEB_IP" ctr_get web "http://$CLI_IP/cgi-bin/whoami"

# ---- -p HOSTPORT:80 (conmon listens on the port itself: the content says who answered) --

check "ext -> $NODE_IP:$HOSTPORT: web answers and sees the real client $EXT_IP" \
	answers_from web "$EXT_IP" http_get ext "$NODE_IP" $HOSTPORT /cgi-bin/whoami
check "node -> 127.0.0.1:$HOSTPORT: web answers and sees a node address" \
	answers_from web node http_get node 127.0.0.1 $HOSTPORT /cgi-bin/whoami
check "node -> $NODE_IP:$HOSTPORT: web answers and sees a node address" \
	answers_from web node http_get node "$NODE_IP" $HOSTPORT /cgi-bin/whoami

check "node -> 127.0.0.1:$LOCALPORT (published on 127.0.0.1 only): web answers" \
	answers_from web node http_get node 127.0.0.1 $LOCALPORT /cgi-bin/whoami
check_fails "ext -> $NODE_IP:$LOCALPORT (published on 127.0.0.1 only): web does not answer" \
	grep_out ' web$' http_get ext "$NODE_IP" $LOCALPORT /cgi-bin/whoami

check "podman run -p $HOSTPORT:80 of a second container is refused, naming the port" \
	refused_by_plugin "$HOSTPORT" pm_run clash -p "$HOSTPORT:80" "$IMAGE" httpd -f -p 80 -h /www
pm rm -f -t 0 clash >/dev/null 2>&1
check "... and web still answers on $HOSTPORT" \
	answers_from web "$EXT_IP" http_get ext "$NODE_IP" $HOSTPORT /cgi-bin/whoami

# ---- hairpin -----------------------------------------------------------------------------

check "hairpin: cli -> $NODE_IP:$HOSTPORT reaches web" \
	grep_out ' web$' ctr_get cli "http://$NODE_IP:$HOSTPORT/cgi-bin/whoami"
check "hairpin to itself: web -> $NODE_IP:$HOSTPORT reaches web" \
	grep_out ' web$' ctr_get web "http://$NODE_IP:$HOSTPORT/cgi-bin/whoami"

# ---- egress masquerade -------------------------------------------------------------------

# an HTTP whoami in ext (a script: socat takes the escapes of an inline command apart)
cat >"$TMP/ext-whoami" <<'EOF'
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n%s\n' "$SOCAT_PEERADDR"
EOF
bg timeout 300 ip netns exec "$EXT" socat TCP-LISTEN:$EXT_PORT,fork,reuseaddr SYSTEM:"sh $TMP/ext-whoami"
wait_until 5 tcp_listening ext $EXT_PORT || bail "no server in ext"
check "masquerade: cli -> ext:$EXT_PORT arrives from the node address $NODE_IP" \
	expect "$NODE_IP" ctr_get cli "http://$EXT_IP:$EXT_PORT/"

# ---- podman run --ip --mac-address -----------------------------------------------------------

check "podman run --ip $FIXED_IP --mac-address $FIXED_MAC fixed" \
	pm_run fixed --ip "$FIXED_IP" --mac-address "$FIXED_MAC" "$IMAGE" httpd -f -p 80 -h /www
is "$(pm_ip fixed) $(pm_mac fixed)" "$FIXED_IP $FIXED_MAC" "podman inspect fixed: $FIXED_IP $FIXED_MAC"
fixed_eth0() { in_ctr fixed ip addr show eth0 | tr '\n' ' '; }
check "fixed's eth0 has $FIXED_IP and $FIXED_MAC" \
	grep_out "link/ether $FIXED_MAC .*inet $FIXED_IP/" fixed_eth0
check "cli -> fixed ($FIXED_IP): answered by fixed, which sees cli's address" \
	answers_from fixed "$CLI_IP" ctr_get cli "http://$FIXED_IP/cgi-bin/whoami"
check "podman run --ip $FIXED_IP again is refused, naming the address" \
	refused_by_plugin "$FIXED_IP" pm_run dup --ip "$FIXED_IP" "$IMAGE" true
pm rm -f -t 0 dup >/dev/null 2>&1

# ---- podman calls the plugin in parallel ----------------------------------------------------

PAR="par1 par2 par3 par4"
# par_run: the four containers started at once; each one's ID and netns kept
par_run() {
	local c pids=() rc=0 p ns
	for c in $PAR; do
		pm run -d --name $c --hostname $c --cgroup-parent="$CGPARENT" --network "$NET" \
			"$IMAGE" httpd -f -p 80 -h /www >"$TMP/$c.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	for c in $PAR; do
		PM_IDS+=("$(pm_id $c 2>/dev/null)")
		ns=$(pm inspect $c --format '{{.NetworkSettings.SandboxKey}}' 2>/dev/null)
		[ -n "$ns" ] && PM_NETNS+=("$ns")
	done
	[ $rc = 0 ] || { cat "$TMP"/par*.out; return 1; }
}
check "4 podman run at once" par_run
PAR_IPS=$(for c in $PAR; do pm_ip $c; done | sort -u | grep -c '^10\.89\.0\.')
is "$PAR_IPS" 4 "... 4 distinct addresses in $SUBNET"
for c in $PAR; do
	check "cli -> $c: answered by $c" answers_from $c "$CLI_IP" ctr_get cli "http://$(pm_ip $c)/cgi-bin/whoami"
done
par_rm() {
	local c pids=() rc=0 p
	for c in $PAR; do pm rm -f -t 0 $c >"$TMP/$c.out" 2>&1 & pids+=($!); done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	[ $rc = 0 ] || { cat "$TMP"/par*.out; return 1; }
}
check "4 podman rm at once" par_rm
is "$(bn --json endpoint ls | json 'len(d)')" 3 "... their endpoints are gone, the 3 others stay"

# ---- DEL and ADD again: restart, and a container that exits by itself ----------------------

check "podman restart web" pm restart -t 0 web
WEB_IP=$(pm_ip web)
check "ext -> $NODE_IP:$HOSTPORT: the restarted web answers, seeing $EXT_IP" \
	answers_from web "$EXT_IP" http_get ext "$NODE_IP" $HOSTPORT /cgi-bin/whoami
check "cli -> the restarted web ($WEB_IP)" answers_from web "$CLI_IP" ctr_get cli "http://$WEB_IP/cgi-bin/whoami"
is "$(bn --json endpoint ls | json 'len(d)')" 3 "... and bpfnet has one endpoint for it, not two"

# conmon's exit command (`podman container cleanup`, with conmon_env_vars only) calls DEL
pm_status() { pm inspect "$1" --format '{{.State.Status}}'; }
ep_of_id() { bn --json endpoint ls | json "len([e for e in d if e['container_id'] == '$1'])"; }
check "podman run brief (sleep 3)" pm_run brief "$IMAGE" sleep 3
BRIEF_ID=$(pm_id brief)
is "$(ep_of_id "$BRIEF_ID")" 1 "brief has its endpoint while it runs"
check "brief exits by itself" wait_until 20 expect exited pm_status brief
check "... and the exit's cleanup removed its endpoint (DEL from conmon's exit command)" \
	wait_until 10 expect 0 ep_of_id "$BRIEF_ID"
pm rm -f -t 0 brief >/dev/null 2>&1

# ---- a container on two networks (eth0 and eth1), the second in bridge mode ------------------

check "podman run duo on $NET and $NET2" \
	pm_run duo --network "$NET2" "$IMAGE" httpd -f -p 80 -h /www
PM_NETWORK=$NET2 check "podman run b2 on $NET2" pm_run b2 "$IMAGE" httpd -f -p 80 -h /www
DUO_IP=$(pm_ip duo) DUO_IP2=$(pm_ip duo "$NET2") B2_IP=$(pm_ip b2 "$NET2")
diag "duo $DUO_IP and $DUO_IP2, b2 $B2_IP"
ep_names() { bn --json endpoint ls | json '" ".join(sorted(e["name"] for e in d))'; }
ep_absent() { ! tr ' ' '\n' <<<"$(ep_names)" | grep -qx -- "$1" || { bn endpoint ls; return 1; }; }
check "bpfnet has duo (eth0) and duo-eth1" grep_out 'duo duo-eth1' ep_names
check "duo's address on $NET2 is of $NET2's subnet" grep_out '^10\.89\.1\.' echo "$DUO_IP2"
# which of eth0 and eth1 podman gives $NET2 varies from run to run: bpfnet's endpoint says
ep_on_net2() {
	bn --json endpoint ls | json "[e['name'] for e in d if e['network'] == '$NET2' and
		e['name'].split('-')[0] == 'duo'][0]"
}
DUO_EP2=$(ep_on_net2)
diag "duo's endpoint on $NET2: $DUO_EP2"
check "b2 -> duo's eth1 ($DUO_IP2): answered by duo, which sees b2's address" \
	answers_from duo "$B2_IP" ctr_get b2 "http://$DUO_IP2/cgi-bin/whoami"
check "cli -> duo's eth0 ($DUO_IP): answered by duo" \
	answers_from duo "$CLI_IP" ctr_get cli "http://$DUO_IP/cgi-bin/whoami"
CTR_TIMEOUT=3 check_fails "cli ($NET) -> b2 ($NET2): networks do not reach each other" \
	grep_out ' b2$' ctr_get cli "http://$B2_IP/cgi-bin/whoami"
check "podman network disconnect $NET2 duo" pm network disconnect "$NET2" duo
check "... duo's endpoint on $NET2 ($DUO_EP2) is gone from bpfnet" ep_absent "$DUO_EP2"
CTR_TIMEOUT=3 check_fails "... b2 -> $DUO_IP2 no longer answers" \
	grep_out ' duo$' ctr_get b2 "http://$DUO_IP2/cgi-bin/whoami"
check "podman network connect $NET2 duo" pm network connect "$NET2" duo
DUO_IP2=$(pm_ip duo "$NET2")
check "... b2 -> duo's new eth1 ($DUO_IP2) answers" \
	answers_from duo "$B2_IP" ctr_get b2 "http://$DUO_IP2/cgi-bin/whoami"

# ---- podman rm: CNI DEL leaves nothing --------------------------------------------------------

WEB_HOST_IF=$(bn --json endpoint ls 2>/dev/null |
	json "[e['host_ifname'] for e in d if e['container_id'] == '$(pm_id web)'][0]" 2>/dev/null)
check "podman rm -f web cli fixed duo b2" pm rm -f -t 0 web cli fixed duo b2
is "$(bn --json endpoint ls | json 'len(d)')" 0 "bpfnet endpoint ls is empty"
is "$(bn --json port ls | json 'len(d)')" 0 "bpfnet port ls is empty"
is "$(node_links)" "lo $UPLINK " "no veth left in the node (web's was $WEB_HOST_IF)"
NO_ENTRIES=$(for m in $EP_MAPS; do printf '%s=0 ' $m; done)
is "$(map_entries)" "${NO_ENTRIES% }" "no entry left in the endpoint maps ($EP_MAPS)"
is "$(ctr_netns_left)" "" "the containers' netns are gone"
is "$(cache_left)" "" "libcni's cached results of $NET and $NET2 are gone"
check_fails "ext -> $NODE_IP:$HOSTPORT no longer answers" \
	grep_out ' web$' http_get ext "$NODE_IP" $HOSTPORT /cgi-bin/whoami

# ---- and the teardown leaves nothing of podman's on the host -------------------------------

host_clean() {
	local bad=""
	[ -z "$(pm_procs)" ] || bad+="processes $(pm_procs); "
	[ -z "$(ctr_netns_left)" ] || bad+="netns $(ctr_netns_left); "
	[ -z "$(cache_left)" ] || bad+="CNI cache $(cache_left); "
	[ -z "$(cgroups_left)" ] || bad+="cgroups $(cgroups_left); "
	[ "$(compgen -G "/sys/fs/cgroup/*/libpod_parent" | wc -l)" = "$HAD_LIBPOD_PARENT" ] ||
		bad+="podman's default cgroups $(compgen -G "/sys/fs/cgroup/*/libpod_parent" | tr '\n' ' '); "
	[ "$HAD_VAR_LIB_CNI" = 1 ] || [ ! -e /var/lib/cni ] || bad+="/var/lib/cni; "
	[ "$HAD_VAR_LIB_CONTAINERS" = 1 ] || [ ! -e /var/lib/containers ] || bad+="/var/lib/containers; "
	[ ! -e "$PM" ] || bad+="$PM; "
	[ -z "$bad" ] || { echo "left: $bad"; return 1; }
}
pm_teardown
check "podman's teardown left nothing on the host (processes, netns, cache, cgroups)" host_clean

done_testing
