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
