// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The map entries the control plane writes, encoded from the state's
 * networks, endpoints and port mappings (encode.h). Pure: no map is touched,
 * so the packet tests seed their maps with exactly these.
 */
#include <arpa/inet.h>
#include <string.h>

#include "dp/encode.h"
#include "model/ipam.h"

void dp_net_encode(const struct net_state *net, struct bpfnet_net *val)
{
	memset(val, 0, sizeof(*val));
	val->subnet = net->subnet.s_addr;
	val->mask = htonl(prefix_mask(net->prefix_len));
	val->gateway = net->gateway.s_addr;
	val->mode = net_is_bridge(net) ? BPFNET_MODE_BRIDGE : BPFNET_MODE_L3;
	val->flags = (net->masquerade ? BPFNET_NET_F_MASQUERADE : 0) |
		     (net->internal ? BPFNET_NET_F_INTERNAL : 0);
	if (net_is_routed(net))
		val->flags |= BPFNET_NET_F_ROUTED;
	else if (!strcmp(net->gateway_mode, BPFNET_GW_MODE_NAT_UNPROTECTED))
		val->flags |= BPFNET_NET_F_UNPROTECTED;
	memcpy(val->gw_mac, net->gateway_mac, sizeof(val->gw_mac));
}

void dp_ep_encode(const struct ep_state *ep, const struct net_state *net,
		  struct bpfnet_ep *val)
{
	memset(val, 0, sizeof(*val));
	val->ifindex = ep->host_ifindex;
	val->id = ep->id;
	val->net_id = net->id;
	val->ip = ep->ip.s_addr;
	memcpy(val->mac, ep->mac, sizeof(val->mac));
	memcpy(val->host_mac, ep->host_mac, sizeof(val->host_mac));
	val->flags = BPFNET_EP_F_VALID;
	val->gen = ep->gen;
#ifdef BPFNET_LAYOUT_NEXT
	/* the veths bpfnet makes keep the kernel's default MTU */
	val->mtu = BPFNET_EP_MTU_DEFAULT;
#endif
	if (net_is_bridge(net))
		val->flags |= BPFNET_EP_F_BRIDGE;
	if (net->internal)
		val->flags |= BPFNET_EP_F_INTERNAL;
	if (ep->xdp_rx)
		val->flags |= BPFNET_EP_F_XDP_RX;
}

void dp_ep_port_encode(__be32 ip, __be16 port, __u8 proto, struct bpfnet_ep_port_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ep_ip = ip;
	k->ep_port = port;
	k->proto = proto;
}

void dp_fdb_encode_static(const struct net_state *net,
			  const struct ep_state *ep, __u64 now_ns,
			  struct bpfnet_fdb_key *k, struct bpfnet_fdb_val *v)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	k->net_id = net->id;
	memcpy(k->mac, ep->mac, sizeof(k->mac));
	v->ifindex = ep->host_ifindex;
	v->ep_id = ep->id;
	v->last_seen_ns = now_ns;
	v->flags = BPFNET_FDB_F_STATIC;
}

int dp_flood_encode(const struct state *st, const struct net_state *net,
		    const struct ep_state *add, struct bpfnet_flood *fl)
{
	memset(fl, 0, sizeof(*fl));
	for (size_t i = 0; i <= st->n_eps; i++) {
		const struct ep_state *ep = i < st->n_eps ? &st->eps[i] : add;

		if (!ep || (i < st->n_eps && strcmp(ep->network, net->name)))
			continue;
		if (fl->n_ports == BPFNET_FLOOD_MAX)
			return -ENOSPC;
		fl->ports[fl->n_ports].ifindex = ep->host_ifindex;
		fl->ports[fl->n_ports].ep_id = ep->id;
		fl->n_ports++;
	}
	return 0;
}

void dp_node_addr_encode(const struct in_addr *addr, __be32 *key, __u32 *val)
{
	*key = addr->s_addr;
	*val = 1;	/* present: the datapath only asks whether the key is there */
}
