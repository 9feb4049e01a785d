/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Socket-level translation of published ports for the node's own clients
 * (cgroup sock_addr hooks, like Cilium's socket LB): connect()/sendto() to a
 * published address is rewritten to the container before any packet exists,
 * so no proxy, no netfilter and no per-packet NAT is involved. sock_nat
 * remembers the published address per socket so getpeername()/recvfrom()
 * show the address the client asked for.
 */
#ifndef BPFNET_BPF_SOCK_H
#define BPFNET_BPF_SOCK_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "bpfnet/abi.h"
#include "lib/maps.h"
#include "lib/svc.h"

/* Verdict of a cgroup sock_addr program: let the call go on (0 would fail it with EPERM). */
#define SOCK_ALLOW 1

/*
 * The hooks hang off the cgroup v2 root and so run for every socket of the
 * machine; they act only in the netns whose cookie init stored, so other
 * instances, containers and the host are never translated. Cookies start at
 * 1: a zero cookie means init has not written it yet, so nothing matches.
 */
static __always_inline bool sock_in_node_netns(struct bpf_sock_addr *ctx)
{
	__u32 key = 0;
	const struct bpfnet_config *cfg = bpf_map_lookup_elem(&config, &key);

	return cfg && cfg->netns_cookie && cfg->netns_cookie == bpf_get_netns_cookie(ctx);
}

/* ctx->user_port is a __u32 whose low 16 bits hold sin_port, in network order. */
static __always_inline __be16 sock_port(const struct bpf_sock_addr *ctx)
{
	return (__be16)ctx->user_port;
}

/*
 * The backend of the published port @ip:@port/@proto (lib/svc.h), picked
 * for the socket: one choice per socket, so that every datagram an
 * unconnected UDP socket sends there goes to the same backend.
 */
static __always_inline const struct bpfnet_backend *sock_backend(struct bpf_sock_addr *ctx,
								 __be32 ip, __be16 port,
								 __u8 proto)
{
	const struct bpfnet_portmap_val *svc = svc_frontend(ip, port, proto);
	__u64 cookie = bpf_get_socket_cookie(ctx);

	return svc ? svc_backend(svc, svc_hash((__u32)cookie, (__u32)(cookie >> 32), 0)) : NULL;
}

/*
 * connect4/sendmsg4: send the socket to the container behind a published port,
 * remembering what the client asked for under the address it now talks to.
 */
static __always_inline void sock_translate_dst(struct bpf_sock_addr *ctx, __u8 proto)
{
	__be32 ip = ctx->user_ip4;
	__be16 port = sock_port(ctx);
	const struct bpfnet_backend *dst = sock_backend(ctx, ip, port, proto);
	struct bpfnet_sock_nat_key key = {};
	struct bpfnet_sock_nat_val orig = {};

	if (!dst)
		return;
	key.cookie = bpf_get_socket_cookie(ctx);
	key.ip = dst->ep_ip;
	key.port = dst->ep_port;
	orig.ip = ip;
	orig.port = port;
	/*
	 * Recorded before the rewrite; should the (LRU) map refuse, the
	 * connection still works, only getpeername() shows the container.
	 */
	bpf_map_update_elem(&sock_nat, &key, &orig, BPF_ANY);
	ctx->user_ip4 = dst->ep_ip;
	ctx->user_port = dst->ep_port;	/* stores the low 16 bits: sin_port */
}

/* getpeername4/recvmsg4: show the published address instead of the container's. */
static __always_inline void sock_restore_peer(struct bpf_sock_addr *ctx)
{
	struct bpfnet_sock_nat_key key = {};
	const struct bpfnet_sock_nat_val *orig;

	key.cookie = bpf_get_socket_cookie(ctx);
	key.ip = ctx->user_ip4;
	key.port = sock_port(ctx);
	orig = bpf_map_lookup_elem(&sock_nat, &key);
	if (!orig)
		return;
	ctx->user_ip4 = orig->ip;
	ctx->user_port = orig->port;
}

#endif
