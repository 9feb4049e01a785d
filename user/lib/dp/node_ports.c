// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * node_ports (abi.h, node_ports.h): recomputed whole from portmap4 and
 * node_addrs rather than patched, so that any command that runs it repairs
 * what an earlier one cut short. One value, the same for every address: a
 * bit for a port published on another address only sends that port's
 * packets the long way, which is where they went before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "dp/maps.h"
#include "dp/node_ports.h"

/* Up to @max keys of the map @fd (@ksz bytes each); a hash map changing underneath may skip some. */
static size_t keys_of(int fd, void *keys, size_t ksz, size_t max)
{
	void *prev = NULL;
	size_t n = 0;

	while (n < max && !bpf_map_get_next_key(fd, prev, (char *)keys + n * ksz)) {
		prev = (char *)keys + n * ksz;
		n++;
	}
	return n;
}

/* Every (proto, port) of portmap4 into @np, whatever address it is published on. */
static int published_bits(int portmap, struct bpfnet_node_ports *np)
{
	struct bpfnet_portmap_key k, prev;
	bool first = true;
	int err;

	memset(np, 0, sizeof(*np));
	while (!(err = bpf_map_get_next_key(portmap, first ? NULL : &prev, &k))) {
		unsigned int port = ntohs(k.host_port);

		if (k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP)
			np->bits[k.proto == IPPROTO_UDP][port / 64] |= 1ULL << (port % 64);
		prev = k;
		first = false;
	}
	return errno == ENOENT ? 0 : -errno;
}

static bool addr_in(__be32 a, const __be32 *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == a)
			return true;
	return false;
}

/* Every entry of node_ports out: the datapath then looks further for every packet. */
static void node_ports_clear(int fd)
{
	__be32 keys[BPFNET_NODE_ADDR_MAX];
	size_t n = keys_of(fd, keys, sizeof(*keys), BPFNET_NODE_ADDR_MAX);

	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
}

/* @np under every node address of @addrs (@n) that is no endpoint's; the others out. */
static int node_ports_put(const struct node_ports_fds *fds, const struct bpfnet_node_ports *np,
			  __be32 *addrs, size_t n)
{
	__be32 have[BPFNET_NODE_ADDR_MAX];
	struct bpfnet_ep ep;
	size_t kept = 0, n_have;

	for (size_t i = 0; i < n; i++) {
		/* an address of a container is its, not the node's: never said to be no one's */
		if (!bpf_map_lookup_elem(fds->ep_by_ip, &addrs[i], &ep))
			continue;
		if (bpf_map_update_elem(fds->node_ports, &addrs[i], np, BPF_ANY))
			return -errno;
		addrs[kept++] = addrs[i];
	}
	n_have = keys_of(fds->node_ports, have, sizeof(*have), BPFNET_NODE_ADDR_MAX);
	for (size_t i = 0; i < n_have; i++)
		if (!addr_in(have[i], addrs, kept) && bpf_map_delete_elem(fds->node_ports, &have[i]) &&
		    errno != ENOENT)
			return -errno;
	return 0;
}

int node_ports_write(const struct node_ports_fds *fds)
{
	struct bpfnet_node_ports *np = malloc(sizeof(*np));
	__be32 addrs[BPFNET_NODE_ADDR_MAX];
	size_t n;
	int err = np ? published_bits(fds->portmap, np) : -ENOMEM;

	if (!err) {
		n = keys_of(fds->node_addrs, addrs, sizeof(*addrs), BPFNET_NODE_ADDR_MAX);
		err = node_ports_put(fds, np, addrs, n);
	}
	if (err)
		node_ports_clear(fds->node_ports);
	free(np);
	return err;
}

int dp_node_ports_sync(struct dp *dp)
{
	struct node_ports_fds fds = {
		.portmap = dp_fd(dp, DP_PORTMAP),
		.node_addrs = dp_fd(dp, DP_NODE_ADDRS),
		.ep_by_ip = dp_fd(dp, DP_EP_BY_IP),
		.node_ports = dp_fd(dp, DP_NODE_PORTS),
	};
	int err;

	/* dp_fd() worded what it could not open */
	if (fds.portmap < 0 || fds.node_addrs < 0 || fds.ep_by_ip < 0)
		return fds.portmap < 0 ? fds.portmap : fds.node_addrs < 0 ? fds.node_addrs : fds.ep_by_ip;
	if (fds.node_ports < 0)
		return fds.node_ports;
	err = node_ports_write(&fds);
	if (err)
		return bn_fail(dp->bn, err, "cannot write the node's published ports (%s): %s",
			       BPFNET_MAP_NODE_PORTS, strerror(-err));
	return 0;
}
