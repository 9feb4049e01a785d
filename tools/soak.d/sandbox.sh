# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# tools/soak: its sandbox (tools/lib/sandbox.sh) and what stays for the whole run.
# Names: every netns is "$P-<short>" with P=bns<pid>:
#   node  plays the host: uplink up0 = $NODE_IP/24, the bpfnet instance "soak"
#   ext   the outside: ext0 = $EXT_IP/24; a connrate server on $CONN_PORT
#   srv   a container of network l3net that stays (endpoint srv, 10.61.0.2): a connrate
#         server on $CONN_PORT, published as $NODE_IP:$CONN_HOST_PORT
#   cyN   the container of cycle N, made and removed by the cycle
SB_PREFIX=$P- SB_INSTANCE=$INSTANCE SB_RUN=_soak_run SB_HOOK=soak_stop_servers SB_NOTE=warn
# shellcheck source=../lib/sandbox.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/sandbox.sh"
NODE_IP=$SB_NODE_IP
EXT_IP=$SB_EXT_IP
L3_SUBNET=10.61.0.0/24 BR_SUBNET=10.62.0.0/24
SRV_IP=10.61.0.2
CONN_PORT=8000 CONN_HOST_PORT=18000
SERVER_PIDS=()

# logged CMD...: CMD with its output and status in the log
logged() {
	printf '+ %s\n' "$*" >>"$LOG"
	"$@" >>"$LOG" 2>&1
}
_soak_run() { logged timeout -k 5 30 "$@"; }

# bn ARGS...: bpfnet of the soak's instance in the node netns (output to stdout)
bn() { timeout -k 5 300 ip netns exec "$P-node" "$BPFNET" --instance "$INSTANCE" "$@"; }
# nsx SHORT CMD...: CMD in netns SHORT
nsx() {
	local n=$1
	shift
	ip netns exec "$P-$n" "$@"
}

# server SHORT CMD...: a server in netns SHORT for the whole run
server() {
	local n=$1
	shift
	timeout -k 5 86400 ip netns exec "$P-$n" "$@" >>"$LOG" 2>&1 &
	SERVER_PIDS+=($!)
}

soak_stop_servers() {
	local p
	for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${SERVER_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	SERVER_PIDS=()
}

# listening SHORT PORT: a TCP socket listens there
listening() { [ -n "$(nsx "$1" ss -Hltn "sport = :$2")" ]; }

wait_listening() {
	local i
	for i in $(seq 50); do
		listening "$1" "$2" && return 0
		sleep 0.1
	done
	return 1
}

# soak_sandbox: node, ext, the instance, networks l3net and brnet, endpoint srv, servers
soak_sandbox() {
	sandbox_open soak || return 1
	sandbox_uplink || return 1
	logged bn init --uplink "$SB_UPLINK" &&
		logged bn network create l3net --subnet "$L3_SUBNET" &&
		logged bn network create brnet --mode bridge --subnet "$BR_SUBNET" &&
		sandbox_netns_add srv && sandbox_ipv6_off srv &&
		logged bn endpoint add l3net --netns "$P-srv" --name srv --ip "$SRV_IP" &&
		logged bn port add srv "$CONN_HOST_PORT:$CONN_PORT" || return 1
	server srv "$CONNRATE" server "$CONN_PORT"
	server ext "$CONNRATE" server "$CONN_PORT"
	wait_listening srv "$CONN_PORT" && wait_listening ext "$CONN_PORT"
}
