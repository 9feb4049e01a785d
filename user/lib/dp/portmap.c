// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Published ports in the datapath, whole mappings at a time: their services
 * (dp/svc.c), ep_ports (a routed network's published container ports,
 * counted), and the flows that end when a mapping goes.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "dp/ct.h"
#include "dp/encode.h"
#include "dp/maps.h"
#include "dp/node_ports.h"
#include "dp/portmap.h"
#include "dp/svc.h"

int ports_write(struct dp *dp, const struct port_map *maps, size_t n, size_t n_ports,
		bool del)
{
	struct svc_port *p = calloc(n_ports + 1, sizeof(*p));
	struct svc_maps sm;
	size_t count = 0;
	int err = svc_maps_open(dp, &sm);

	if (!err && !p)
		err = bn_fail(dp->bn, -ENOMEM, "out of memory");
	if (err)
		goto out;
	for (size_t i = 0; i < n; i++)
		for (unsigned int off = 0; off < mapping_ports(&maps[i]); off++)
			svc_port_encode(&maps[i], off, &p[count++]);
	if (del)
		for (size_t i = 0; i < count; i++)
			svc_unpublish(&sm, &p[i].key);
	else
		/* the early check's bits once the ports are there: it lets nothing pass they take */
		err = svc_publish(&sm, p, count) ?: dp_node_ports_sync(dp);
out:
	free(p);
	return err;
}

/*
 * A routed network opens its containers' published container ports to direct
 * access: ep_ports holds how many mappings of portmap4 lead to each. Recounted
 * from the published ports, the truth, for the container ports of @maps of
 * endpoint @ep once they are published or unpublished, so a call cut short is
 * repaired by the next one on the same ports.
 */
static int ep_ports_sync(struct dp *dp, const struct ep_state *ep,
			 const struct port_map *maps, size_t n)
{
	__u32 *count[2] = { calloc(PORTS_PER_PROTO, sizeof(__u32)),
			    calloc(PORTS_PER_PROTO, sizeof(__u32)) };
	struct svc_dump d = {};
	struct bpfnet_ep_port_key k;
	struct svc_maps sm;
	int err = svc_maps_open(dp, &sm);

	if (err)
		goto out;
	err = !count[0] || !count[1] ? -ENOMEM : svc_dump(&sm, &d);
	if (err) {
		bn_fail(dp->bn, err, "cannot read the published ports: %s", strerror(-err));
		goto out;
	}
	for (size_t i = 0; i < d.n; i++)
		if (d.ports[i].be.ep_ip == ep->ip.s_addr)
			count[proto_slot(d.ports[i].key.proto)][ntohs(d.ports[i].be.ep_port)]++;
	err = dp_fd(dp, DP_EP_PORTS);
	err = err < 0 ? err : 0;
	for (size_t i = 0; !err && i < n; i++) {
		for (unsigned int off = 0; !err && off < mapping_ports(&maps[i]); off++) {
			unsigned int port = maps[i].container_port + off;

			dp_ep_port_encode(ep->ip.s_addr, htons(port), maps[i].proto, &k);
			err = dp_ep_port_set(dp, &k, count[proto_slot(maps[i].proto)][port]);
		}
	}
out:
	svc_dump_free(&d);
	free(count[0]);
	free(count[1]);
	return err;
}

/* ep_ports for @maps of @ep when its network is routed; no other mode reads them. */
int ep_ports_update(struct dp *dp, struct state *st, const struct ep_state *ep,
		    const struct port_map *maps, size_t n)
{
	const struct net_state *net = state_net(st, ep->network);

	return net && net_is_routed(net) ? ep_ports_sync(dp, ep, maps, n) : 0;
}

/* The published ports being removed, per proto and port, with the address they were on. */
struct removed_ports {
	__u8 *port[2];
	__be32 *host_ip[2];
};

static bool flow_of_removed_port(const struct bpfnet_ct_key *k, const struct bpfnet_ct_entry *e,
				 const struct bpfnet_ct_entry *reply, void *arg)
{
	struct removed_ports *rp = arg;
	int s = proto_slot(k->proto);
	unsigned int port = ntohs(k->dport);

	(void)reply;
	if (!(e->flags & (BPFNET_CT_F_PORTMAP | BPFNET_CT_F_HAIRPIN)) ||
	    (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP) || !rp->port[s][port])
		return false;
	return rp->host_ip[s][port] == INADDR_ANY || rp->host_ip[s][port] == k->daddr;
}

/*
 * End the flows of removed mappings, so no client keeps reaching the old
 * target (moby#8795). A walk of the conntrack table, which collects its dead
 * flows on the way: a mapping leaves no mark on its flows that the datapath
 * could check, as an endpoint's generation does.
 */
int ports_end_flows(struct dp *dp, const struct port_map *maps, size_t n)
{
	struct bpfnet *bn = dp->bn;
	struct removed_ports rp = {};
	int err = 0;

	for (int s = 0; s < 2 && !err; s++) {
		rp.port[s] = calloc(PORTS_PER_PROTO, sizeof(*rp.port[s]));
		rp.host_ip[s] = calloc(PORTS_PER_PROTO, sizeof(*rp.host_ip[s]));
		if (!rp.port[s] || !rp.host_ip[s])
			err = bn_fail(bn, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !err; i++) {
		int s = proto_slot(maps[i].proto);

		for (unsigned int p = maps[i].host_port; p <= maps[i].host_port_last; p++) {
			/* two addresses on one port: end the flows of both, not too few */
			rp.host_ip[s][p] = rp.port[s][p] ? INADDR_ANY : maps[i].host_ip.s_addr;
			rp.port[s][p] = 1;
		}
	}
	if (!err)
		err = ct_flush_matching(dp, flow_of_removed_port, &rp, NULL);
	/* their flows gone, the early check may take the node's own traffic on those ports */
	if (!err)
		err = dp_node_ports_sync(dp);
	for (int s = 0; s < 2; s++) {
		free(rp.port[s]);
		free(rp.host_ip[s]);
	}
	return err;
}

/*
 * Every mapping of endpoint @ep goes with it: map entries (ep_ports too, if
 * @routed). Its flows need no walk of the conntrack table: they were made for
 * its generation, which no endpoint has once it is gone, so the datapath and
 * every listing take them for dead.
 */
int ports_drop_endpoint(struct dp *dp, const struct ep_state *ep, bool routed)
{
	struct bpfnet_ep_port_key k;
	struct svc_dump d = {};
	struct svc_maps sm;
	int err = svc_maps_open(dp, &sm);

	if (!err && routed && (err = dp_fd(dp, DP_EP_PORTS)) > 0)
		err = 0;
	if (err)
		return err;
	err = svc_dump(&sm, &d);
	for (size_t i = 0; !err && i < d.n; i++) {
		const struct svc_port *p = &d.ports[i];

		if (p->be.ep_ip != ep->ip.s_addr)
			continue;
		svc_unpublish(&sm, &p->key);
		dp_ep_port_encode(ep->ip.s_addr, p->be.ep_port, p->key.proto, &k);
		if (routed)
			dp_ep_port_set(dp, &k, 0);
	}
	svc_dump_free(&d);
	/* and what an endpoint rm cut short between frontends and backends left */
	if (!err)
		err = svc_sweep(&sm);
	if (err)
		return bn_fail(dp->bn, err, "cannot read the published ports: %s", strerror(-err));
	/* its flows die with its generation: no packet of them is the node's */
	return dp_node_ports_sync(dp);
}

/*
 * Port add is undone and port rm finished the same way: every port of the
 * entry that still leads where the entry says is unpublished, the published
 * container ports of a routed network are recounted, and their flows end.
 */
int ports_unpublish(struct dp *dp, struct state *st, const struct ep_state *ep,
		    const struct port_map *maps, size_t n)
{
	struct bpfnet_backend cur;
	struct svc_maps sm;
	struct svc_port p;
	int err = svc_maps_open(dp, &sm);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct port_map *m = &maps[i];

		for (unsigned int off = 0; off <= (unsigned int)(m->host_port_last - m->host_port);
		     off++) {
			svc_port_encode(m, off, &p);
			if (!svc_port_lookup(&sm, &p.key, &cur) && cur.ep_ip == p.be.ep_ip &&
			    cur.ep_port == p.be.ep_port)
				svc_unpublish(&sm, &p.key);
		}
	}
	/* the backends of ports whose frontends the command had not written yet, or removed */
	err = svc_sweep(&sm);
	if (err)
		bn_fail(dp->bn, err, "cannot read the published ports: %s", strerror(-err));
	else
		err = ep_ports_update(dp, st, ep, maps, n);
	return err ?: ports_end_flows(dp, maps, n);
}
