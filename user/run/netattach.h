/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A container's networks (netattach.c, etcfiles.c), through libbpfnet's
 * public API only. `--network` may be given up to RUN_MAX_NETWORKS times, as
 * `docker run --network` then `docker network connect`: attachment i is an
 * endpoint named NAME (i = 0) or NAME-ethI, interface ethI in the container's
 * netns, container_id the container's ID; the first gets the default route,
 * the others only their subnet's (endpoint_opts.default_route = BPFNET_NO).
 * `-p` specs publish ports of the first attachment. "none" and "host" are
 * not networks of the node: the runtime handles them (spawn.h) and they are
 * never given here.
 */
#ifndef BPFNET_RUN_NETATTACH_H
#define BPFNET_RUN_NETATTACH_H

#include <net/if.h>
#include <stddef.h>
#include <bpfnet/bpfnet.h>
#include "run.h"

/* One --network as given: the network's name and, for the first, --ip. */
struct run_net {
	const char *network;
	struct bpfnet_addr ip;		/* AF_UNSPEC: the network's IPAM chooses */
};

/* One attachment as made. */
struct net_attachment {
	char endpoint[BPFNET_NAME_MAX];
	char network[BPFNET_NAME_MAX];
	char ifname[IF_NAMESIZE];
	struct bpfnet_prefix ip;
	struct bpfnet_addr gateway;	/* AF_UNSPEC: none (internal network) */
};

/*
 * Everything that can be refused before anything is made: the networks
 * exist (and none twice), the node is initialized, --ip is in the first
 * network's subnet, the endpoint names are free, the ports parse and the
 * first network takes published ports (a macvlan network does not).
 */
int netattach_check(struct bpfnet *bn, const char *name, const struct run_net *nets, size_t n,
		    const struct bpfnet_port_mapping *ports, size_t nports, struct run_err *e);

/*
 * Attach netns @netns_path to each of @nets in order and publish @ports on
 * the first; @out (n entries) says what was made. All or nothing: on failure
 * what was made is removed again.
 */
int netattach_up(struct bpfnet *bn, const char *name, const char *container_id,
		 const char *netns_path, const struct run_net *nets, size_t n,
		 const struct bpfnet_port_mapping *ports, size_t nports,
		 struct net_attachment *out, struct run_err *e);

/*
 * Remove every endpoint whose container_id is @container_id (their ports and
 * flows go with them). None left is 0: rm after a crash calls it blindly.
 */
int netattach_down(struct bpfnet *bn, const char *container_id, struct run_err *e);
/*
 * The same for its endpoints on macvlan networks only: those go while the
 * netns is still bound. A macvlan dies with its netns too, but until the
 * kernel's worker has deleted it, its MAC (made from the address) is taken on
 * the parent, and the next container given that address could not have it.
 */
int netattach_down_macvlan(struct bpfnet *bn, const char *container_id, struct run_err *e);

/*
 * Write hosts, hostname and resolv.conf into @dir as Docker writes them:
 * localhost lines, then each attachment's address with the hostname (and the
 * name, when it differs); resolv.conf the host's with loopback nameservers
 * left out (none left: Docker's defaults 8.8.8.8 and 8.8.4.4).
 */
int etcfiles_write(const char *dir, const char *hostname, const char *name,
		   const struct net_attachment *att, size_t n, struct run_err *e);

/* Where etcfiles_write() reads the host's resolver configuration. */
#define ETCFILES_HOST_RESOLV "/etc/resolv.conf"

/*
 * etcfiles_write() with the host's resolv.conf read from @host_resolv (a
 * missing file: as one without nameservers), so tests can craft it.
 */
int etcfiles_write_from(const char *dir, const char *hostname, const char *name,
			const struct net_attachment *att, size_t n, const char *host_resolv,
			struct run_err *e);

#endif
