# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/bench: the real dockerd (Debian's docker.io) as a variant, family "docker",
# with the sandbox's node netns as its host (see variants.sh for what a family has).
#
# dockerd runs in the node netns (nsenter --net), so its bridge, veths, iptables rules,
# docker-proxy processes and conntrack entries are all made there, and go with the netns.
# Everything else of its own is under $TMP/docker: data root (vfs storage: no overlay
# mounts to leave behind), exec root (its managed containerd too), pid file and socket;
# the containers' cgroups under the sandbox's cgroup parent, which the teardown removes.
# The containers run a busybox-static image imported from a rootfs (no registry here);
# the bench's servers (iperf3, connrate) are the host's binaries run in the containers'
# netns, named $P-c1 and $P-c2 with "ip netns attach".
#
# Container c2 is made by publish_docker with its published ports (Docker cannot publish
# a port of a running container), so "install" times a docker run -p of them all.

DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
# Debian's CLI, the daemon's own version (another docker on the PATH may be far newer)
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
DOCKER_NET=bench DOCKER_BR=dbr0
DOCKER_SUBNET=10.95.0.0/24 DOCKER_GW=10.95.0.1
DOCKER_C1=10.95.0.2 DOCKER_C2=10.95.0.3 DOCKER_C3=10.95.0.4
DOCKER_IMAGE=bpfnet-bench-busybox

# dk CMD...: the docker CLI on the run's own dockerd
dk() { run 120 "$DOCKER_CLI" -H "unix://$TMP/docker/sock" "$@"; }

# docker_start ARGS...: dockerd in the node netns with ARGS, up and answering (1 if not
# within 30 s: its log's tail on stderr). Its time limit only matters if the bench is killed.
docker_start() {
	local d
	mkdir -p "$TMP/docker"
	# a config of its own: the host's /etc/docker/daemon.json is not read, and the trust
	# key that dockerd 20.10 otherwise writes to /etc/docker/key.json stays in the run's dir
	printf '{ "deprecated-key-path": "%s" }\n' "$TMP/docker/key.json" >"$TMP/docker/daemon.json"
	# directories dockerd and containerd make whatever their roots (plugin discovery, shim
	# sockets): the ones that were not there yet are removed by docker_down, when empty
	for d in /run/docker/plugins /run/docker /run/containerd/s /run/containerd; do
		[ -e "$d" ] || echo "$d" >>"$TMP/docker/made-dirs"
	done
	log_cmd nsenter --net="/run/netns/$P-node" "$DOCKERD" "$@"
	timeout -k 10 "${BENCH_LIFETIME:-3600}" nsenter --net="/run/netns/$P-node" "$DOCKERD" \
		--data-root "$TMP/docker/root" --exec-root "$TMP/docker/exec" \
		--config-file "$TMP/docker/daemon.json" --pidfile "$TMP/docker/pid" -H "unix://$TMP/docker/sock" \
		--bridge=none --storage-driver=vfs --cgroup-parent "/${BPFNET_CGROUP_PARENT:-bpfnet-bench}" \
		--log-level=warn "$@" </dev/null >"$TMP/docker/dockerd.log" 2>&1 &
	for _ in $(seq 300); do
		"$DOCKER_CLI" -H "unix://$TMP/docker/sock" version >/dev/null 2>&1 && return 0
		kill -0 $! 2>/dev/null || break
		sleep 0.1
	done
	tail -n 5 "$TMP/docker/dockerd.log" >&2
	return 1
}

# docker_image: the busybox-static image, imported from a rootfs
docker_image() {
	sandbox_rootfs "$TMP/docker/rootfs" || return 1
	tar -C "$TMP/docker/rootfs" -c . |
		dk import --change 'CMD ["/bin/sh"]' - "$DOCKER_IMAGE" >/dev/null
}

# docker_container NAME IP [RUN ARGS...]: a container on the bench network, its netns
# named $P-NAME
docker_container() {
	local name=$1 ip=$2 pid
	shift 2
	dk run -d --name "$name" --network "$DOCKER_NET" --ip "$ip" "$@" "$DOCKER_IMAGE" \
		sleep 1000000 >/dev/null || return 1
	pid=$(dk inspect -f '{{.State.Pid}}' "$name") || return 1
	run 10 ip netns attach "$P-$name" "$pid" && sandbox_ipv6_off "$name"
}

# setup_docker_daemon DOCKERD-ARGS...: dockerd, the image, the network and container c1
setup_docker_daemon() {
	local why
	[ -x "$DOCKERD" ] ||
		unsupported "dockerd is not installed (Debian's docker.io; make bench installs it)"
	[ -x "$DOCKER_CLI" ] || unsupported "$DOCKER_CLI is not installed (Debian's docker.io)"
	[ -x "$(command -v docker-proxy)" ] || unsupported "docker-proxy is not installed (docker.io)"
	bench_uplink
	if ! docker_start "$@" 2>"$TMP/dockerd.err"; then
		why=$(tr '\n' ' ' <"$TMP/dockerd.err")
		unsupported "dockerd did not start in the node netns: ${why:0:300}"
	fi
	docker_image || unsupported "no busybox-static image (busybox-static; make deps)"
	dk network create --driver bridge --subnet "$DOCKER_SUBNET" --gateway "$DOCKER_GW" \
		-o com.docker.network.bridge.name="$DOCKER_BR" "$DOCKER_NET" >/dev/null
	docker_container c1 "$DOCKER_C1"
	echo "FAMILY=docker C2_IP=$DOCKER_C2 HAS_NAT=1"
}

setup_docker() { setup_docker_daemon; }
setup_docker_noproxy() { setup_docker_daemon --userland-proxy=false; }

# prepare_docker FILE: "-p H:C" for each line, and the UDP port iperf3 -u goes through
# (publish_udp_docker cannot add it to a running container)
prepare_docker() {
	{
		sed -n 's/^\([0-9]*:[0-9]*\)$/-p\n\1/p' "$1"
		printf -- '-p\n%s\n' "$HOST_IPERF:$PORT_IPERF/udp"
	} >"$TMP/ports.docker"
}

publish_docker() {
	local args
	mapfile -t args <"$TMP/ports.docker"
	docker_container c2 "$C2_IP" "${args[@]}"
}

# c2 was made with it (prepare_docker)
publish_udp_docker() { :; }

# one more port: a docker run -p of one more container (a running one cannot get a port)
publish_one_docker() { dk run -d --name c3 --network "$DOCKER_NET" --ip "$DOCKER_C3" \
	-p "$1:$2" "$DOCKER_IMAGE" sleep 1000000 >/dev/null; }

dp_mem_docker() { :; }
# host ports docker lists for c2 over TCP (an address family each: counted once)
mappings_docker() { dk port c2 | awk '$1 ~ /\/tcp$/ { print $NF }' | sed 's/.*://' | sort -u | wc -l; }

# docker_down: containers, dockerd (and the containerd it started), what they mounted
# under $TMP/docker, and $TMP/docker; the netns go afterwards, with whatever is left in them
docker_down() {
	local pid ids m
	[ -n "$TMP" ] && [ -d "$TMP/docker" ] || return 0
	if [ -S "$TMP/docker/sock" ]; then
		ids=$(timeout -k 5 30 "$DOCKER_CLI" -H "unix://$TMP/docker/sock" ps -aq 2>/dev/null)
		# shellcheck disable=SC2086 # one id a word
		[ -n "$ids" ] && timeout -k 5 60 "$DOCKER_CLI" -H "unix://$TMP/docker/sock" \
			rm -f $ids >/dev/null 2>&1
	fi
	pid=$(cat "$TMP/docker/pid" 2>/dev/null)
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	awk -v d="$TMP/docker/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	[ -f "$TMP/docker/made-dirs" ] && xargs -r rmdir 2>/dev/null <"$TMP/docker/made-dirs"
	rm -rf --one-file-system "$TMP/docker"
}

# docker_scale_why N: the docker variants publish no extra ports: each would be a
# docker-proxy process (docker) or three iptables commands (both), one docker run -p
# with them all
docker_scale_why() {
	[ "$1" = 0 ] && return 0
	echo "$1 published ports: Docker starts a docker-proxy process per port (docker-noproxy:" \
		"none, but still rules added one iptables command at a time by a single docker run -p)," \
		"which takes far more than a few minutes at these counts; measured at 0 only"
}
