// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bridge networks in the control plane. There is no bridge device: the
 * datapath switches frames from the maps written here (the flood list of
 * each network and the static FDB entry of each port). The gateway address
 * is the node's, as for every network (gateway.c).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/ethernet.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <net/if_arp.h>

#include "dp/bridge.h"
#include "dp/encode.h"
#include "dp/maps.h"
#include "sys/netns.h"

/* A gratuitous ARP: Ethernet header, then the Ethernet/IPv4 ARP request. */
struct garp_frame {
	struct ether_header eth;
	struct arphdr arp;
	uint8_t sha[ETH_ALEN];
	uint8_t sip[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tip[4];
} __attribute__((packed));

int bridge_check_room(struct bpfnet *bn, const struct state *st,
		      const struct net_state *net)
{
	unsigned int users = state_net_users(st, net->name);

	if (net_is_bridge(net) && users >= BPFNET_FLOOD_MAX)
		return bn_fail(bn, -ENOSPC, "bridge network '%s' already has %u endpoints, the "
			       "most one bridge network can flood to (BPFNET_FLOOD_MAX); put more "
			       "containers on another network", net->name, users);
	return 0;
}

int bridge_ports_sync(struct dp *dp, const struct state *st,
		      const struct net_state *net, const struct ep_state *add)
{
	struct bpfnet_flood *fl = calloc(1, sizeof(*fl));
	int err;

	if (!fl)
		return bn_fail(dp->bn, -ENOMEM, "out of memory");
	err = dp_flood_encode(st, net, add, fl);
	if (err)
		bn_fail(dp->bn, err, "bridge network '%s' has more endpoints than it can flood to "
			"(%d, BPFNET_FLOOD_MAX)", net->name, BPFNET_FLOOD_MAX);
	else
		err = dp_flood_put(dp, net->id, fl);
	free(fl);
	return err;
}

/* Delete the entries of network @net_id: all of them, or those behind @ifindex. */
static int fdb_forget(struct dp *dp, unsigned int net_id, bool all, unsigned int ifindex)
{
	struct fdb_dump d = {};
	int err = dp_fd(dp, DP_FDB);

	if (err < 0)
		return err;
	err = dp_fdb_dump(dp, &d);
	for (size_t i = 0; !err && i < d.n; i++)
		if (d.keys[i].net_id == net_id && (all || d.vals[i].ifindex == ifindex))
			dp_fdb_del(dp, &d.keys[i]);
	fdb_dump_free(&d);
	return err ? bn_fail(dp->bn, err, "cannot read the FDB: %s", strerror(-err)) : 0;
}

int bridge_fdb_forget_port(struct dp *dp, unsigned int net_id, unsigned int ifindex)
{
	return fdb_forget(dp, net_id, false, ifindex);
}

int bridge_fdb_forget_net(struct dp *dp, unsigned int net_id)
{
	return fdb_forget(dp, net_id, true, 0);
}

int bridge_fdb_add(struct dp *dp, const struct net_state *net,
		   const struct ep_state *ep)
{
	struct bpfnet_fdb_key key;
	struct bpfnet_fdb_val val;

	dp_fdb_encode_static(net, ep, bn_mono_ns(), &key, &val);
	return dp_fdb_put(dp, &key, &val);
}

int bridge_port_join(struct dp *dp, const struct state *st,
		     const struct net_state *net, const struct ep_state *ep)
{
	if (!net_is_bridge(net))
		return 0;
	return bridge_ports_sync(dp, st, net, ep) ?: bridge_fdb_add(dp, net, ep);
}

int bridge_port_leave(struct dp *dp, const struct state *st,
		      const struct net_state *net, const struct ep_state *ep)
{
	if (!net_is_bridge(net))
		return 0;
	/* out of the flood list first: no new frame is sent towards the port */
	return bridge_ports_sync(dp, st, net, NULL) ?:
	       bridge_fdb_forget_port(dp, net->id, ep->host_ifindex);
}

static void garp_build(struct garp_frame *f, const struct ep_state *ep)
{
	memset(f, 0, sizeof(*f));
	memset(f->eth.ether_dhost, 0xff, ETH_ALEN);
	memcpy(f->eth.ether_shost, ep->mac, ETH_ALEN);
	f->eth.ether_type = htons(ETHERTYPE_ARP);
	f->arp.ar_hrd = htons(ARPHRD_ETHER);
	f->arp.ar_pro = htons(ETHERTYPE_IP);
	f->arp.ar_hln = ETH_ALEN;
	f->arp.ar_pln = sizeof(f->sip);
	/* a request for its own address (RFC 5227's announcement): target MAC zero */
	f->arp.ar_op = htons(ARPOP_REQUEST);
	memcpy(f->sha, ep->mac, ETH_ALEN);
	memcpy(f->sip, &ep->ip, sizeof(f->sip));
	memcpy(f->tip, &ep->ip, sizeof(f->tip));
}

struct garp_req {
	int ifindex;
	const struct ep_state *ep;
};

/* Runs inside the container's netns: the socket is bound to the netns it is made in. */
static int garp_send(void *arg)
{
	const struct garp_req *req = arg;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = req->ifindex,
		.sll_halen = ETH_ALEN,
	};
	struct garp_frame f;
	int one = 1, fd, err = 0;

	/* protocol 0: this socket sends and never receives */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * The veth's carrier came up a moment ago; its qdisc is activated later
	 * (linkwatch) and drops until then. Direct transmission needs the carrier only.
	 */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		err = -errno;
	garp_build(&f, req->ep);
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (!err && sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int bridge_announce(struct bpfnet *bn, const struct net_state *net, int netns_fd,
		    int ifindex, const struct ep_state *ep)
{
	struct garp_req req = { ifindex, ep };
	int err;

	if (!net_is_bridge(net) && !net_is_macvlan(net))
		return 0;	/* l3: the datapath answers every ARP, no peer caches a MAC */
	err = netns_run(netns_fd, garp_send, &req);
	/*
	 * macvlan: the segment's peers hear of the address (a container made again at
	 * it); a parent that is down sends nothing, and the endpoint is fine all the same
	 */
	if (err && net_is_macvlan(net))
		return 0;
	if (err)
		return bn_fail(bn, err, "cannot send a gratuitous ARP from %s in %s: %s",
			       ep->ifname, ep->netns, strerror(-err));
	return 0;
}
