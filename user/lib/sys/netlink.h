/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rtnetlink through libmnl: links, veth pairs, addresses, routes, neighbours.
 * A struct nl is a NETLINK_ROUTE socket bound to the netns it was opened in;
 * every request waits for the kernel's ACK and keeps its extended-ACK message.
 * Functions return 0 or -errno.
 */
#ifndef BPFNET_NETLINK_H
#define BPFNET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>

struct nl;

/* Open a socket in the netns of @netns_fd (-1: the caller's current netns). */
int nl_open(struct nl **out, int netns_fd);
void nl_close(struct nl *nl);
/*
 * A socket that sends nothing and reads the kernel's part from @replies (@len
 * bytes, kept by reference: they must outlive it), for the fuzzer
 * (tests/fuzz/fuzz_netlink.c) and tests: each read of a reply takes the next
 * chunk, a 16-bit length (host order) and that many bytes, as one datagram;
 * past the end, reads fail with ENODATA. Replies match a request when their
 * nlmsg_seq is the request's or 0 (the first request's is 1, then 2...).
 */
int nl_open_replay(struct nl **out, const void *replies, size_t len);
/* The kernel's extended-ACK text of the last failed request, or "". */
const char *nl_errmsg(const struct nl *nl);

struct nl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	unsigned int mtu;
	unsigned int flags;	/* IFF_* */
	char kind[16];		/* IFLA_INFO_KIND, "" if none */
	int link;		/* IFLA_LINK: a macvlan's or veth's other device (its netns's); 0 if none */
};

int nl_link_get_by_name(struct nl *nl, const char *name, struct nl_link *out);
int nl_link_get_by_index(struct nl *nl, int ifindex, struct nl_link *out);
/* Calls @cb for every link; stops and returns its value when non-zero. */
int nl_link_foreach(struct nl *nl, int (*cb)(const struct nl_link *link, void *arg), void *arg);
int nl_link_set_up(struct nl *nl, int ifindex);
int nl_link_del(struct nl *nl, int ifindex);
/* Take link @ifindex down and rename it to @name, in one request. */
int nl_link_down_rename(struct nl *nl, int ifindex, const char *name);

struct nl_veth_opts {
	const char *name;		/* end created in this socket's netns */
	const uint8_t *mac;		/* NULL: kernel picks */
	const char *peer_name;
	const uint8_t *peer_mac;	/* NULL: kernel picks */
	int peer_netns_fd;		/* netns the peer is created in; -1: same as @name */
	unsigned int mtu;		/* both ends; 0: kernel default */
};
/* One RTM_NEWLINK (NLM_F_CREATE|NLM_F_EXCL); -EEXIST if either name is taken. */
int nl_veth_create(struct nl *nl, const struct nl_veth_opts *opts);

struct nl_macvlan_opts {
	int parent_ifindex;		/* the lower device, in this socket's netns */
	const char *name;		/* its name in @netns_fd */
	const uint8_t *mac;		/* NULL: kernel picks */
	unsigned int mtu;		/* 0: the parent's */
	int netns_fd;			/* netns it is created in; -1: this socket's */
};
/*
 * One RTM_NEWLINK (NLM_F_CREATE|NLM_F_EXCL) of a macvlan in bridge mode on
 * @parent_ifindex, made right in @netns_fd under its name (no temporary name
 * in the node); -EEXIST if the name is taken there.
 */
int nl_macvlan_create(struct nl *nl, const struct nl_macvlan_opts *opts);

int nl_addr_add4(struct nl *nl, int ifindex, struct in_addr addr, unsigned int prefix_len);
/* -EADDRNOTAVAIL when the device does not have the address. */
int nl_addr_del4(struct nl *nl, int ifindex, struct in_addr addr, unsigned int prefix_len);

struct nl_route4 {
	struct in_addr dst;
	unsigned int prefix_len;	/* 0: default route */
	struct in_addr gateway;		/* 0.0.0.0: directly connected (scope link) */
	int ifindex;
};
int nl_route_add4(struct nl *nl, const struct nl_route4 *route);
int nl_route_del4(struct nl *nl, const struct nl_route4 *route);

/* Every IPv4 address of the netns (up to @max); -ENOSPC if there are more. */
int nl_addr_list4(struct nl *nl, struct in_addr *addrs, size_t max, size_t *n);

struct nl_addr4 {
	struct in_addr local;		/* the interface's own address */
	unsigned int prefix_len;
	int ifindex;
	char label[IF_NAMESIZE];	/* IFA_LABEL: the device's name, or an alias ("eth0:1") */
};
/*
 * Calls @cb for every IPv4 address of the netns; stops and returns its value
 * when non-zero. The dump is read whole first, so @cb may make requests on @nl.
 */
int nl_addr_foreach4(struct nl *nl, int (*cb)(const struct nl_addr4 *addr, void *arg),
		     void *arg);

/* Nexthops of a multipath route a dump reports, at most (the rest are left out). */
#define NL_ROUTE_NEXTHOP_MAX 16

/* A route of the IPv4 routing tables, as a dump reports it. */
struct nl_route4_entry {
	struct nl_route4 route;		/* ifindex: of the first nexthop when multipath; 0: none */
	unsigned int table;		/* RT_TABLE_MAIN, RT_TABLE_LOCAL, ... */
	unsigned int type;		/* RTN_UNICAST, RTN_BLACKHOLE, ... */
	unsigned int protocol;		/* RTPROT_KERNEL for connected routes */
	unsigned int priority;		/* RTA_PRIORITY, the metric; 0 if none */
	/* the devices of its nexthops: RTA_OIF's, or every one of RTA_MULTIPATH */
	size_t n_nexthops;
	int nexthop_ifindexes[NL_ROUTE_NEXTHOP_MAX];
};
/* Calls @cb for every IPv4 route of every table, as nl_addr_foreach4 does. */
int nl_route_foreach4(struct nl *nl, int (*cb)(const struct nl_route4_entry *route, void *arg),
		      void *arg);
/* Has device @ifindex a qdisc of @kind ("clsact")? */
int nl_qdisc_has(struct nl *nl, int ifindex, const char *kind, bool *has);

/* A permanent IPv4 neighbour entry. */
int nl_neigh_add4(struct nl *nl, int ifindex, struct in_addr addr, const uint8_t mac[6]);

#endif
