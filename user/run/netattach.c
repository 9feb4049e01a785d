// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's network attachments, as `docker run --network A` then
 * `docker network connect B` make them: one libbpfnet endpoint per network,
 * the first with the default route and the published ports, the others with
 * their subnet's route only. Everything the library would refuse and can be
 * known beforehand is refused by netattach_check(), before the runtime makes
 * a namespace or a cgroup; netattach_up() undoes its own endpoints on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netattach.h"

/* Attachment @i's endpoint name (NAME, NAME-eth1, ...) and ifname (eth0, eth1, ...). */
static int attachment_names(const char *name, size_t i, char ep[BPFNET_NAME_MAX],
			    char ifname[IF_NAMESIZE], struct run_err *e)
{
	unsigned int idx = i;
	int n;

	if (i >= RUN_MAX_NETWORKS)
		return run_errf(e, E2BIG, "at most %d --network attachments", RUN_MAX_NETWORKS);
	n = idx ? snprintf(ep, BPFNET_NAME_MAX, "%s-eth%u", name, idx) :
		  snprintf(ep, BPFNET_NAME_MAX, "%s", name);
	if (n < 0 || n >= BPFNET_NAME_MAX)
		return run_errf(e, ENAMETOOLONG, "container name '%s' is too long for an endpoint "
				"name (at most %d characters)", name, RUN_NAME_MAX - 1);
	snprintf(ifname, IF_NAMESIZE, "eth%u", idx);
	return 0;
}

/* The library's words for what it refused, after what the runtime was doing. */
static int lib_err(struct bpfnet *bn, int err, struct run_err *e, const char *what)
{
	return run_errf(e, -err, "%s: %s", what, bpfnet__errmsg(bn));
}

static bool in_subnet(const struct bpfnet_prefix *subnet, struct in_addr a)
{
	uint32_t mask = subnet->len ? htonl(~0U << (32 - subnet->len)) : 0;

	return (a.s_addr & mask) == (subnet->addr.v4.s_addr & mask);
}

/* --ip of attachment @i: IPv4, in the network's subnet, not its gateway nor an endpoint's. */
static int ip_usable(const struct bpfnet_network_info *net, const struct bpfnet_addr *ip,
		     const struct bpfnet_endpoint_info *eps, size_t n_eps, struct run_err *e)
{
	char text[BPFNET_ADDRSTRLEN], sub[BPFNET_PREFIXSTRLEN];

	if (ip->family == AF_UNSPEC)
		return 0;
	bpfnet_addr_str(ip, text, sizeof(text));
	bpfnet_prefix_str(&net->subnet, sub, sizeof(sub));
	if (ip->family != AF_INET)
		return run_errf(e, EAFNOSUPPORT, "--ip %s: IPv6 is not supported yet", text);
	if (!in_subnet(&net->subnet, ip->v4))
		return run_errf(e, EINVAL, "--ip %s is outside network '%s' (%s)", text, net->name,
				sub);
	if (net->gateway.family == AF_INET && net->gateway.v4.s_addr == ip->v4.s_addr)
		return run_errf(e, EADDRINUSE, "--ip %s is the gateway of network '%s'", text,
				net->name);
	for (size_t i = 0; i < n_eps; i++)
		if (!strcmp(eps[i].network, net->name) &&
		    eps[i].ip.addr.v4.s_addr == ip->v4.s_addr)
			return run_errf(e, EADDRINUSE, "--ip %s is already used in network '%s' by "
					"endpoint '%s'", text, net->name, eps[i].name);
	return 0;
}

/* Do @a and @b claim a common host port (same proto, addresses that meet)? */
static bool ports_clash(const struct bpfnet_port_mapping *a, const struct bpfnet_port_mapping *b)
{
	bool a_any = a->host_addr.family == AF_UNSPEC ||
		     (a->host_addr.family == AF_INET && !a->host_addr.v4.s_addr);
	bool b_any = b->host_addr.family == AF_UNSPEC ||
		     (b->host_addr.family == AF_INET && !b->host_addr.v4.s_addr);

	if (a->proto != b->proto || a->host_port > b->host_port_last ||
	    b->host_port > a->host_port_last)
		return false;
	/* IPv6 host addresses never get here: port_sane() refused them */
	return a_any || b_any || a->host_addr.v4.s_addr == b->host_addr.v4.s_addr;
}

/* One -p mapping as the library takes it: tcp/udp, a host range, as many container ports. */
static int port_sane(const struct bpfnet_port_mapping *m, struct run_err *e)
{
	char spec[64];

	bpfnet_port_spec(m, spec, sizeof(spec));
	if (m->proto != BPFNET_PROTO_TCP && m->proto != BPFNET_PROTO_UDP)
		return run_errf(e, EINVAL, "-p %s: only tcp and udp ports are published", spec);
	if (!m->host_port || m->host_port_last < m->host_port || !m->container_port ||
	    m->container_port_last - m->container_port != m->host_port_last - m->host_port)
		return run_errf(e, EINVAL, "-p %s: bad port range", spec);
	if (m->host_addr.family == AF_INET6)
		return run_errf(e, EAFNOSUPPORT, "-p %s: IPv6 is not supported yet", spec);
	return 0;
}

/* The -p mappings: sane, none twice, none published already by another endpoint. */
static int ports_free(struct bpfnet *bn, const struct bpfnet_port_mapping *ports, size_t n,
		      struct run_err *e)
{
	struct bpfnet_port_mapping *pub = NULL;
	size_t n_pub = 0;
	char spec[64];
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		err = port_sane(&ports[i], e);
		for (size_t j = 0; j < i && !err; j++)
			if (ports_clash(&ports[i], &ports[j]))
				err = run_errf(e, EADDRINUSE, "-p %s: given twice", bpfnet_port_spec(
						       &ports[i], spec, sizeof(spec)));
	}
	if (err)
		return err;
	err = bpfnet_port__list(bn, NULL, &pub, &n_pub);
	if (err)
		return lib_err(bn, err, e, "cannot list the published ports");
	for (size_t i = 0; i < n && !err; i++)
		for (size_t j = 0; j < n_pub && !err; j++)
			if (ports_clash(&ports[i], &pub[j]))
				err = run_errf(e, EADDRINUSE, "-p %s: the port is published already "
					       "by endpoint '%s'", bpfnet_port_spec(&ports[i], spec,
					       sizeof(spec)), pub[j].endpoint);
	free(pub);
	return err;
}

/* The first network takes published ports: not macvlan (no BPF in its path), not internal. */
static int network_takes_ports(const struct bpfnet_network_info *net, struct run_err *e)
{
	if (net->mode == BPFNET_NETWORK_MACVLAN)
		return run_errf(e, EPERM, "network '%s' is a macvlan network: its containers sit "
				"on the parent's segment with no bpfnet datapath in their path, so "
				"it cannot publish ports (-p); publish them on an l3 or bridge "
				"network given first", net->name);
	if (net->internal)
		return run_errf(e, EPERM, "network '%s' is internal: nothing from outside "
				"reaches it, so it cannot publish ports (-p)", net->name);
	return 0;
}

/* Each network exists (none twice), its endpoint name is free, its --ip usable. */
static int networks_usable(struct bpfnet *bn, const char *name, const struct run_net *nets,
			   size_t n, const struct bpfnet_endpoint_info *eps, size_t n_eps,
			   struct bpfnet_network_info *first, struct run_err *e)
{
	char ep[BPFNET_NAME_MAX], ifname[IF_NAMESIZE];
	int err;

	for (size_t i = 0; i < n; i++) {
		struct bpfnet_network_info net = { .sz = sizeof(net) };

		if (!nets[i].network || !*nets[i].network)
			return run_errf(e, EINVAL, "--network needs a network name");
		for (size_t j = 0; j < i; j++)
			if (!strcmp(nets[i].network, nets[j].network))
				return run_errf(e, EINVAL, "--network %s is given twice: a "
						"container has one attachment per network",
						nets[i].network);
		err = bpfnet_network__get(bn, nets[i].network, &net);
		if (err == -ENOENT)
			return run_errf(e, ENOENT, "no network '%s' (bpfnet network ls lists them)",
					nets[i].network);
		if (err)
			return lib_err(bn, err, e, "cannot read the network");
		err = attachment_names(name, i, ep, ifname, e) ?:
		      ip_usable(&net, &nets[i].ip, eps, n_eps, e);
		if (err)
			return err;
		for (size_t j = 0; j < n_eps; j++)
			if (!strcmp(eps[j].name, ep))
				return run_errf(e, EEXIST, "endpoint '%s' exists already: the name "
						"'%s' is in use (bpfnet rm, or bpfnet endpoint rm)",
						ep, name);
		if (!i)
			*first = net;
	}
	return 0;
}

int netattach_check(struct bpfnet *bn, const char *name, const struct run_net *nets, size_t n,
		    const struct bpfnet_port_mapping *ports, size_t nports, struct run_err *e)
{
	struct bpfnet_node_info node = { .sz = sizeof(node) };
	struct bpfnet_network_info first = { .sz = sizeof(first) };
	struct bpfnet_endpoint_info *eps = NULL;
	size_t n_eps = 0;
	int err;

	if (!name || !*name || (n && !nets))
		return run_errf(e, EINVAL, "a container name and its networks are required");
	if (n > RUN_MAX_NETWORKS)
		return run_errf(e, E2BIG, "at most %d --network attachments", RUN_MAX_NETWORKS);
	if (!n)
		return nports ? run_errf(e, EINVAL, "-p needs a network (--network NET) to publish "
					 "ports on") : 0;
	err = bpfnet_node__info(bn, &node);
	if (err)
		return lib_err(bn, err, e, "cannot read the node's state");
	if (!node.initialized)
		return run_errf(e, ENOENT, "the node is not initialized (bpfnet init)");
	err = bpfnet_endpoint__list(bn, &eps, &n_eps);
	if (err)
		return lib_err(bn, err, e, "cannot list the endpoints");
	err = networks_usable(bn, name, nets, n, eps, n_eps, &first, e);
	free(eps);
	if (err || !nports)
		return err;
	return network_takes_ports(&first, e) ?: ports_free(bn, ports, nports, e);
}

/* Remove the endpoints @made of @out, the last first. */
static void attachments_undo(struct bpfnet *bn, const struct net_attachment *out, size_t made)
{
	while (made--)
		bpfnet_endpoint__remove(bn, out[made].endpoint);
}

static int attach_one(struct bpfnet *bn, const char *name, const char *container_id,
		      const char *netns_path, const struct run_net *net, size_t i,
		      struct net_attachment *out, struct run_err *e)
{
	struct bpfnet_endpoint_info info = { .sz = sizeof(info) };
	struct bpfnet_endpoint_opts o = {
		.sz = sizeof(o),
		.network = net->network,
		.netns = netns_path,
		.ip = net->ip,
		.container_id = container_id,
		/* docker network connect: the first network keeps the container's way out */
		.default_route = i ? BPFNET_NO : BPFNET_YES,
	};
	char what[BPFNET_NAME_MAX + 64];
	int err = attachment_names(name, i, out->endpoint, out->ifname, e);

	if (err)
		return err;
	o.name = out->endpoint;
	o.ifname = out->ifname;
	err = bpfnet_endpoint__add(bn, &o, &info);
	if (err) {
		snprintf(what, sizeof(what), "cannot attach to network '%s'", net->network);
		return lib_err(bn, err, e, what);
	}
	snprintf(out->network, sizeof(out->network), "%s", info.network);
	out->ip = info.ip;
	out->gateway = info.gateway;
	return 0;
}

int netattach_up(struct bpfnet *bn, const char *name, const char *container_id,
		 const char *netns_path, const struct run_net *nets, size_t n,
		 const struct bpfnet_port_mapping *ports, size_t nports,
		 struct net_attachment *out, struct run_err *e)
{
	size_t made = 0;
	int err = 0;

	if (!name || !netns_path || (n && (!nets || !out)) || (nports && !ports))
		return run_errf(e, EINVAL, "a name, a netns and the networks are required");
	if (nports && !n)
		return run_errf(e, EINVAL, "-p needs a network (--network NET) to publish ports on");
	memset(out, 0, n * sizeof(*out));
	for (; made < n; made++) {
		err = attach_one(bn, name, container_id, netns_path, &nets[made], made,
				 &out[made], e);
		if (err)
			break;
	}
	if (!err && nports) {
		err = bpfnet_port__add(bn, out[0].endpoint, ports, nports);
		if (err)
			lib_err(bn, err, e, "cannot publish the ports");
	}
	if (err) {
		/* the ports of the first go with its endpoint */
		attachments_undo(bn, out, made);
		memset(out, 0, n * sizeof(*out));
	}
	return err;
}

/* Is endpoint @ep on a macvlan network (one gone counts as not)? */
static bool on_macvlan(struct bpfnet *bn, const struct bpfnet_endpoint_info *ep)
{
	struct bpfnet_network_info net = { .sz = sizeof(net) };

	return !bpfnet_network__get(bn, ep->network, &net) && net.mode == BPFNET_NETWORK_MACVLAN;
}

/* Remove the endpoints of @container_id, only those on macvlan networks if @macvlan_only. */
static int down(struct bpfnet *bn, const char *container_id, bool macvlan_only,
		struct run_err *e)
{
	struct bpfnet_endpoint_info *eps = NULL;
	size_t n = 0;
	int err, ret = 0;

	if (!container_id || !*container_id)
		return run_errf(e, EINVAL, "a container ID is required");
	err = bpfnet_endpoint__list(bn, &eps, &n);
	if (err)
		return lib_err(bn, err, e, "cannot list the endpoints");
	/* every one is tried: a failure leaves the rest for the next rm, not stuck behind it */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(eps[i].container_id, container_id) ||
		    (macvlan_only && !on_macvlan(bn, &eps[i])))
			continue;
		err = bpfnet_endpoint__remove(bn, eps[i].name);
		if (err && err != -ENOENT && !ret) {
			char what[BPFNET_NAME_MAX + 32];

			snprintf(what, sizeof(what), "cannot remove endpoint '%s'", eps[i].name);
			ret = lib_err(bn, err, e, what);
		}
	}
	free(eps);
	return ret;
}

int netattach_down(struct bpfnet *bn, const char *container_id, struct run_err *e)
{
	return down(bn, container_id, false, e);
}

int netattach_down_macvlan(struct bpfnet *bn, const char *container_id, struct run_err *e)
{
	return down(bn, container_id, true, e);
}
