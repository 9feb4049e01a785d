// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Socket hooks for the node's local clients (cgroup v2 root, sock_addr):
 * 127.0.0.1:HOSTPORT and NODEIP:HOSTPORT reach the published container
 * directly, with no proxy and no netfilter. A separate object from the tc
 * datapath; it shares its maps through the pins (LIBBPF_PIN_BY_NAME and the
 * same pin_root_path). Every program returns SOCK_ALLOW: it may rewrite the
 * address, never refuse the call.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/sock.h"

/* connect() of TCP and UDP sockets. */
SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	__u32 proto = ctx->protocol;

	if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && sock_in_node_netns(ctx))
		sock_translate_dst(ctx, proto);
	return SOCK_ALLOW;
}

/* sendto()/sendmsg() with an address, on UDP sockets (TCP ignores the address). */
SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol == IPPROTO_UDP && sock_in_node_netns(ctx))
		sock_translate_dst(ctx, IPPROTO_UDP);
	return SOCK_ALLOW;
}

/* recvfrom()/recvmsg() source address of UDP datagrams. */
SEC("cgroup/recvmsg4")
int sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	if (sock_in_node_netns(ctx))
		sock_restore_peer(ctx);
	return SOCK_ALLOW;
}

/* getpeername() of connected TCP and UDP sockets. */
SEC("cgroup/getpeername4")
int sock_getpeername4(struct bpf_sock_addr *ctx)
{
	if (sock_in_node_netns(ctx))
		sock_restore_peer(ctx);
	return SOCK_ALLOW;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
