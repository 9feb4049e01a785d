#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Socket hooks for the node's local clients: TCP and UDP to 127.0.0.1:HOSTPORT
# and NODEIP:HOSTPORT reach the published container with no proxy and no
# netfilter (cgroup connect4/sendmsg4), getpeername()/recvfrom() show the
# published address (getpeername4/recvmsg4), other netns are left alone, a
# re-attach updates the pinned links in place, and detach/down remove them.
source "$(dirname "$0")/lib.sh"
sandbox_setup

C1_IP=10.10.0.2
ECHO_TCP=5001		# TCP echo in c1
ECHO_UDP=5002		# UDP echo in c1
PUB_ANY=8080		# 0.0.0.0:8080 -> c1:5001/tcp
PUB_LO=8081		# 127.0.0.1:8081 -> c1:5001/tcp
PUB_NODE=8082		# NODE_IP:8082 -> c1:5001/tcp
PUB_UDP=8053		# 0.0.0.0:8053 -> c1:5002/udp
PIN="$BPFNET_BPFFS/bpfnet/$INST"
HOOK_PINS=(link_connect4 link_sendmsg4 link_recvmsg4 link_getpeername4)

# ---- a helper to attach/detach directly (init and port add may not do it yet) -------------

HELPER="$TMP/sockhook-helper"
cat >"$HELPER.c" <<'EOF'
/* sockhook-helper INSTANCE attach|detach, run in the node netns */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dp/maps.h"
#include "dp/sockhook.h"

/* what init does before attaching: the node's netns cookie into config[0] */
static int set_cookie(struct bpfnet *bn)
{
	struct dp dp;
	__u64 cookie;
	int err = netns_cookie_self(&cookie);

	dp_init(&dp, bn);
	err = err ?: dp_config_set_cookie(&dp, cookie);
	dp_close(&dp);
	return err;
}

int main(int argc, char **argv)
{
	struct bpfnet_opts opts = { .sz = sizeof(opts) };
	struct bpfnet *bn;
	int err = -EINVAL;

	if (argc != 3)
		return 2;
	opts.instance = argv[1];
	if (bpfnet__open(&opts, &bn))
		return 1;
	if (!strcmp(argv[2], "attach"))
		err = set_cookie(bn) ?: sock_hooks_attach(bn);
	else if (!strcmp(argv[2], "detach"))
		err = sock_hooks_detach(bn);
	if (err)
		fprintf(stderr, "%s: %s (%s)\n", argv[2], bpfnet__errmsg(bn), strerror(-err));
	bpfnet__close(bn);
	return err ? 1 : 0;
}
EOF
check "build the attach helper" "${CC:-cc}" -O1 -Wall -D_GNU_SOURCE -I"$REPO_DIR/include" \
	-I"$REPO_DIR/user/lib" -I"$REPO_DIR/build/include" -o "$HELPER" "$HELPER.c" \
	"$REPO_DIR/build/libbpfnet.a" -lbpf -lelf -lz -lmnl -ljansson || bail "no helper"

# helper CMD: run it in the node netns (under ip netns exec, like bpfnet itself)
helper() {
	timeout -k 5 30 ip netns exec "$NODE" "$HELPER" "$INST" "$1"
}

# ---- clients: python3, which reports the address the socket API shows -----------------------

# tcp_client NETNS HOST PORT: sends a line, prints "PEER_IP:PEER_PORT REPLY" (getpeername)
tcp_client() {
	ns "$1" python3 -c '
import socket, sys
token = "tcp %s" % sys.argv[3]
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(token.encode() + b"\n")
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
ip, port = s.getpeername()
print("%s:%d %s" % (ip, port, "echoed" if data.decode().strip() == token else "bad echo"))
' "$2" "$3" "$RANDOM"
}

# udp_client NETNS HOST PORT [connected]: one datagram, prints "FROM_IP:FROM_PORT REPLY"
# (recvfrom's source; on a connected socket getpeername's address)
udp_client() {
	ns "$1" python3 -c '
import socket, sys
token = ("udp %s" % sys.argv[3]).encode()
dst = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
if sys.argv[4] == "connected":
    s.connect(dst)
    s.send(token)
    data = s.recv(2048)
    ip, port = s.getpeername()
else:
    s.sendto(token, dst)
    data, (ip, port) = s.recvfrom(2048)
print("%s:%d %s" % (ip, port, "echoed" if data == token else "bad echo"))
' "$2" "$3" "$RANDOM" "${4:-unconnected}"
}

# same GOT WANT: for check
same() {
	[ "$1" = "$2" ] || { echo "got '$1', want '$2'"; return 1; }
}

# tcp_gets NETNS HOST PORT WANT: the TCP client's output is WANT
tcp_gets() {
	local out
	out=$(tcp_client "$1" "$2" "$3" 2>&1) || { echo "$out"; return 1; }
	same "$out" "$4"
}

udp_gets() {
	local out
	out=$(udp_client "$1" "$2" "$3" "${5:-}" 2>&1) || { echo "$out"; return 1; }
	same "$out" "$4"
}

# tcp_refused NETNS HOST PORT: the connection is refused (not translated, nobody listens)
tcp_refused() {
	local out
	out=$(tcp_client "$1" "$2" "$3" 2>&1) && { echo "connected: $out"; return 1; }
	grep -q ConnectionRefusedError <<<"$out" || { echo "$out"; return 1; }
}

# udp_no_reply NETNS HOST PORT: no answer (port unreachable or silence)
udp_no_reply() {
	local out
	out=$(udp_client "$@" 2>&1) && { echo "answered: $out"; return 1; }
	return 0
}

# ---- publishing ports ---------------------------------------------------------------------------

# publish HOST_IP HOST_PORT CONTAINER_PORT PROTO: HOST_IP 0.0.0.0 = every node address
publish() {
	local host=$1 hport=$2 cport=$3 proto=$4 spec
	spec="$hport:$cport/$proto"
	[ "$host" = 0.0.0.0 ] || spec="$host:$spec"
	bn port add c1 "$spec"
}

# node_addrs_has IP: the node_addrs map holds IP (its key: the address's bytes, in order)
node_addrs_has() {
	# shellcheck disable=SC2046
	bpftool map lookup pinned "$PIN/node_addrs" key $(tr . ' ' <<<"$1") >/dev/null 2>&1
}

# hooks_attached: all four links are pinned
hooks_attached() {
	local p
	for p in "${HOOK_PINS[@]}"; do [ -e "$PIN/$p" ] || return 1; done
}

hooks_gone() {
	local p
	for p in "${HOOK_PINS[@]}"; do [ ! -e "$PIN/$p" ] || return 1; done
}

# link_field PIN FIELD: id or prog_id of a pinned link
link_field() {
	bpftool -j link show pinned "$PIN/$1" | json "d['$2']"
}

# ---- the node and a container -----------------------------------------------------------------

check "init" bn init --uplink "$UPLINK" || bail "init failed"
check "network create n1" bn network create n1 --mode l3 --subnet 10.10.0.0/24
new_ns c1
check "endpoint add c1 ($C1_IP)" bn endpoint add n1 --netns "$(nsname c1)" --name c1 \
	--ip "$C1_IP" || bail "cannot add c1"
bg timeout 120 ip netns exec "$(nsname c1)" socat TCP-LISTEN:$ECHO_TCP,fork,reuseaddr EXEC:cat
bg timeout 120 ip netns exec "$(nsname c1)" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", '$ECHO_UDP'))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
'
if ! wait_until 5 tcp_listening c1 $ECHO_TCP || ! wait_until 5 udp_listening c1 $ECHO_UDP; then
	bail "the echo servers in c1 did not start"
fi

# init attaches the hooks once the node code calls sock_hooks_attach(); until then the helper
if hooks_attached; then
	INIT_ATTACHES=1
	ok "init attached the socket hooks"
else
	INIT_ATTACHES=0
	diag "bpfnet init did not attach the socket hooks: attaching them with the helper"
	check "helper attach (cookie + sock_hooks_attach under ip netns exec)" helper attach ||
		bail "cannot attach"
fi
check "the four hook links are pinned under $PIN" hooks_attached

check "publish 0.0.0.0:$PUB_ANY -> c1:$ECHO_TCP/tcp" publish 0.0.0.0 $PUB_ANY $ECHO_TCP tcp
check "publish 127.0.0.1:$PUB_LO -> c1:$ECHO_TCP/tcp" publish 127.0.0.1 $PUB_LO $ECHO_TCP tcp
check "publish $NODE_IP:$PUB_NODE -> c1:$ECHO_TCP/tcp" publish "$NODE_IP" $PUB_NODE $ECHO_TCP tcp
check "publish 0.0.0.0:$PUB_UDP -> c1:$ECHO_UDP/udp" publish 0.0.0.0 $PUB_UDP $ECHO_UDP udp
# the wildcard answers on the node's addresses: init and port add keep node_addrs current
check "node_addrs holds the node address $NODE_IP" node_addrs_has "$NODE_IP"

# ---- translation in the node netns --------------------------------------------------------

check "TCP node -> 127.0.0.1:$PUB_ANY reaches c1, getpeername says 127.0.0.1:$PUB_ANY" \
	tcp_gets node 127.0.0.1 $PUB_ANY "127.0.0.1:$PUB_ANY echoed"
check "TCP node -> 127.0.0.2:$PUB_ANY (all of 127/8 is the node's)" \
	tcp_gets node 127.0.0.2 $PUB_ANY "127.0.0.2:$PUB_ANY echoed"
check "TCP node -> $NODE_IP:$PUB_ANY reaches c1, getpeername says $NODE_IP:$PUB_ANY" \
	tcp_gets node "$NODE_IP" $PUB_ANY "$NODE_IP:$PUB_ANY echoed"
check "TCP node -> 127.0.0.1:$PUB_LO (bound to 127.0.0.1) reaches c1" \
	tcp_gets node 127.0.0.1 $PUB_LO "127.0.0.1:$PUB_LO echoed"
check "TCP node -> $NODE_IP:$PUB_LO is not published there: refused" \
	tcp_refused node "$NODE_IP" $PUB_LO
check "TCP node -> $NODE_IP:$PUB_NODE (bound to the node address) reaches c1" \
	tcp_gets node "$NODE_IP" $PUB_NODE "$NODE_IP:$PUB_NODE echoed"
check "TCP node -> 127.0.0.1:$PUB_NODE is not published there: refused" \
	tcp_refused node 127.0.0.1 $PUB_NODE
check "UDP node -> 127.0.0.1:$PUB_UDP, the reply comes from 127.0.0.1:$PUB_UDP (recvfrom)" \
	udp_gets node 127.0.0.1 $PUB_UDP "127.0.0.1:$PUB_UDP echoed"
check "UDP node -> $NODE_IP:$PUB_UDP, the reply comes from $NODE_IP:$PUB_UDP" \
	udp_gets node "$NODE_IP" $PUB_UDP "$NODE_IP:$PUB_UDP echoed"
check "UDP connected socket -> 127.0.0.1:$PUB_UDP, getpeername says 127.0.0.1:$PUB_UDP" \
	udp_gets node 127.0.0.1 $PUB_UDP "127.0.0.1:$PUB_UDP echoed" connected
check "TCP node -> c1 directly is untouched" tcp_gets node $C1_IP $ECHO_TCP "$C1_IP:$ECHO_TCP echoed"

# ---- other netns are not the node: nothing is translated there ------------------------------

check "TCP ext -> its own 127.0.0.1:$PUB_ANY is not translated: refused" \
	tcp_refused ext 127.0.0.1 $PUB_ANY
check "TCP c1 -> its own 127.0.0.1:$PUB_ANY is not translated: refused" \
	tcp_refused c1 127.0.0.1 $PUB_ANY
check "TCP ext -> its own 127.0.0.1:$PUB_LO (a 127.0.0.1-bound port) refused" \
	tcp_refused ext 127.0.0.1 $PUB_LO
check "UDP ext -> its own 127.0.0.1:$PUB_UDP is not translated: no reply" \
	udp_no_reply ext 127.0.0.1 $PUB_UDP

# ---- re-attach: links updated in place, never attached twice --------------------------------

link_id=$(link_field link_connect4 id)
old_prog=$(link_field link_connect4 prog_id)
if [ $INIT_ATTACHES = 1 ]; then
	check "init again (re-attaches the hooks)" bn init --uplink "$UPLINK"
else
	check "helper attach again" helper attach
fi
check "the connect4 link is the same one ($link_id), updated in place" \
	same "$(link_field link_connect4 id)" "$link_id"
new_prog=$(link_field link_connect4 prog_id)
check "it runs the new program ($old_prog -> $new_prog)" test "$new_prog" != "$old_prog"
check "the old program ($old_prog) is gone, so it is attached nowhere" \
	wait_until 5 sh -c "! bpftool prog show id $old_prog"
check "TCP node -> 127.0.0.1:$PUB_ANY still reaches c1 after the re-attach" \
	tcp_gets node 127.0.0.1 $PUB_ANY "127.0.0.1:$PUB_ANY echoed"

# ---- detach, and down ----------------------------------------------------------------------

check "helper detach (sock_hooks_detach)" helper detach
check "the hook links are unpinned" hooks_gone
check "TCP node -> 127.0.0.1:$PUB_ANY is no longer translated: refused" \
	wait_until 5 tcp_refused node 127.0.0.1 $PUB_ANY
check "UDP node -> 127.0.0.1:$PUB_UDP is no longer translated: no reply" \
	udp_no_reply node 127.0.0.1 $PUB_UDP
check "helper detach again (nothing pinned is fine)" helper detach
check "helper attach after detach" helper attach
check "TCP node -> 127.0.0.1:$PUB_ANY translated again" \
	tcp_gets node 127.0.0.1 $PUB_ANY "127.0.0.1:$PUB_ANY echoed"

bg_kill_all
check "down" bn down
check "down removed the hook links" hooks_gone
check "TCP node -> 127.0.0.1:$PUB_ANY is not translated after down: refused" \
	tcp_refused node 127.0.0.1 $PUB_ANY
done_testing
