/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* IPv4 parsing and address allocation: pure functions, no I/O. 0 or -errno. */
#ifndef BPFNET_IPAM_H
#define BPFNET_IPAM_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* Shortest prefix a network may have: /8 is already 16M addresses. */
#define IPAM_PREFIX_MIN 8
/* Longest: /30 leaves two hosts, one of them the gateway. */
#define IPAM_PREFIX_MAX 30

/* A dotted quad and nothing else ("10.1.0.2"). -EINVAL otherwise. */
int ip4_parse(const char *s, struct in_addr *out);
/*
 * "10.1.0.0/24": -EINVAL on bad syntax, -ERANGE for a prefix outside
 * IPAM_PREFIX_MIN..IPAM_PREFIX_MAX, -EDOM when host bits are set.
 */
int cidr4_parse(const char *s, struct in_addr *net, unsigned int *prefix_len);
uint32_t prefix_mask(unsigned int prefix_len);	/* host byte order */
int ip4_in_subnet(struct in_addr addr, struct in_addr net, unsigned int prefix_len);
int subnets_overlap(struct in_addr a, unsigned int a_len, struct in_addr b, unsigned int b_len);
struct in_addr subnet_first_host(struct in_addr net);

/* A range of IPv4 that has a meaning of its own and cannot be a container network. */
struct ip4_range {
	uint32_t net;			/* host byte order */
	unsigned int prefix_len;
	const char *what;		/* "loopback", "link-local", ... */
};

/* The special-purpose range (RFC 6890) that @net/@prefix_len overlaps, or NULL. */
const struct ip4_range *ip4_reserved_overlap(struct in_addr net, unsigned int prefix_len);
/* "127.0.0.0/8" into @buf (INET_ADDRSTRLEN + 3 bytes). */
char *ip4_range_format(const struct ip4_range *r, char *buf, size_t len);

/* What a published port's host address is, before the node's own addresses are asked. */
enum host_ip_kind {
	HOST_IP_ANY,		/* 0.0.0.0: every address of the node */
	HOST_IP_LOOPBACK,	/* 127.0.0.0/8: all of it is local on Linux */
	HOST_IP_MULTICAST,	/* 224.0.0.0/4: a group, never a host's own address */
	HOST_IP_BROADCAST,	/* 255.255.255.255 */
	HOST_IP_UNICAST,	/* any other: the node must own it */
};
enum host_ip_kind host_ip_kind(struct in_addr addr);
/* Is @addr the broadcast address of the subnet of @local/@prefix_len (prefix < 31)? */
int ip4_is_subnet_broadcast(struct in_addr addr, struct in_addr local, unsigned int prefix_len);

struct ipam_pool {
	struct in_addr subnet;
	unsigned int prefix_len;
	struct in_addr gateway;
	const struct in_addr *used;	/* addresses already handed out */
	size_t n_used;
};

/*
 * May @addr be given to an endpoint? -EDOM outside the subnet, -EINVAL for the
 * network or broadcast address, -EADDRINUSE for the gateway or a used one.
 */
int ipam_check(const struct ipam_pool *pool, struct in_addr addr);
/* The lowest free host address, or -ENOSPC. */
int ipam_pick(const struct ipam_pool *pool, struct in_addr *out);

/* The container MAC for an address: 0a:58:<a.b.c.d>, as the CNI bridge plugin does. */
void mac_for_ip(struct in_addr ip, uint8_t mac[6]);
int mac_parse(const char *s, uint8_t mac[6]);
/* "aa:bb:cc:dd:ee:ff" into @buf (18 bytes). */
char *mac_format(const uint8_t mac[6], char buf[18]);

#endif
