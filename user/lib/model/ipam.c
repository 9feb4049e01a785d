// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/ipam.h"

int ip4_parse(const char *s, struct in_addr *out)
{
	/* inet_pton takes exactly four decimal octets, nothing shorter or with trailing text */
	return inet_pton(AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

uint32_t prefix_mask(unsigned int prefix_len)
{
	return prefix_len ? ~0u << (32 - prefix_len) : 0;
}

int cidr4_parse(const char *s, struct in_addr *net, unsigned int *prefix_len)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !slash[1])
		return -EINVAL;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (ip4_parse(addr, net))
		return -EINVAL;
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (*end || errno || len > 32)
		return -EINVAL;
	if (len < IPAM_PREFIX_MIN || len > IPAM_PREFIX_MAX)
		return -ERANGE;
	if (ntohl(net->s_addr) & ~prefix_mask(len))
		return -EDOM;
	*prefix_len = len;
	return 0;
}

int ip4_in_subnet(struct in_addr addr, struct in_addr net, unsigned int prefix_len)
{
	return ((ntohl(addr.s_addr) ^ ntohl(net.s_addr)) & prefix_mask(prefix_len)) == 0;
}

int subnets_overlap(struct in_addr a, unsigned int a_len, struct in_addr b, unsigned int b_len)
{
	unsigned int shorter = a_len < b_len ? a_len : b_len;

	return ip4_in_subnet(a, b, shorter);
}

struct in_addr subnet_first_host(struct in_addr net)
{
	struct in_addr a = { htonl(ntohl(net.s_addr) + 1) };

	return a;
}

/*
 * RFC 6890's ranges that no container network may take: a subnet there would
 * shadow the node's own loopback, its link-local neighbours (cloud metadata
 * services live at 169.254.169.254), multicast groups, or addresses that are
 * not unicast at all. The private ranges and the documentation ones are fine.
 */
static const struct ip4_range reserved_ranges[] = {
	{ 0x00000000, 8, "\"this network\" range (RFC 1122)" },
	{ 0x7f000000, 8, "loopback range" },
	{ 0xa9fe0000, 16, "link-local range (RFC 3927)" },
	{ 0xe0000000, 4, "multicast range" },
	{ 0xf0000000, 4, "reserved range (RFC 1112), with the broadcast address 255.255.255.255" },
};

const struct ip4_range *ip4_reserved_overlap(struct in_addr net, unsigned int prefix_len)
{
	for (size_t i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++) {
		const struct ip4_range *r = &reserved_ranges[i];
		struct in_addr rnet = { htonl(r->net) };

		if (subnets_overlap(net, prefix_len, rnet, r->prefix_len))
			return r;
	}
	return NULL;
}

char *ip4_range_format(const struct ip4_range *r, char *buf, size_t len)
{
	struct in_addr net = { htonl(r->net) };
	char a[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", inet_ntop(AF_INET, &net, a, sizeof(a)), r->prefix_len);
	return buf;
}

enum host_ip_kind host_ip_kind(struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr);

	if (a == INADDR_ANY)
		return HOST_IP_ANY;
	if (a == INADDR_BROADCAST)
		return HOST_IP_BROADCAST;
	if (IN_MULTICAST(a))
		return HOST_IP_MULTICAST;
	if (a >> IN_CLASSA_NSHIFT == IN_LOOPBACKNET)
		return HOST_IP_LOOPBACK;
	return HOST_IP_UNICAST;
}

int ip4_is_subnet_broadcast(struct in_addr addr, struct in_addr local, unsigned int prefix_len)
{
	uint32_t bcast = ntohl(local.s_addr) | ~prefix_mask(prefix_len);

	/* /31 (RFC 3021) and /32 have no broadcast address */
	return prefix_len < 31 && ntohl(addr.s_addr) == bcast;
}

static int addr_used(const struct ipam_pool *pool, uint32_t host_order)
{
	for (size_t i = 0; i < pool->n_used; i++)
		if (ntohl(pool->used[i].s_addr) == host_order)
			return 1;
	return 0;
}

int ipam_check(const struct ipam_pool *pool, struct in_addr addr)
{
	uint32_t a = ntohl(addr.s_addr), net = ntohl(pool->subnet.s_addr);
	uint32_t bcast = net | ~prefix_mask(pool->prefix_len);

	if (!ip4_in_subnet(addr, pool->subnet, pool->prefix_len))
		return -EDOM;
	if (a == net || a == bcast)
		return -EINVAL;
	if (addr.s_addr == pool->gateway.s_addr || addr_used(pool, a))
		return -EADDRINUSE;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int ipam_pick(const struct ipam_pool *pool, struct in_addr *out)
{
	uint32_t net = ntohl(pool->subnet.s_addr), bcast = net | ~prefix_mask(pool->prefix_len);
	uint32_t *taken = malloc((pool->n_used + 1) * sizeof(*taken));
	size_t n = 0, i = 0;
	int err = -ENOSPC;

	if (!taken)
		return -ENOMEM;
	/* sort what is taken once, then walk candidates and taken addresses together */
	taken[n++] = ntohl(pool->gateway.s_addr);
	for (size_t k = 0; k < pool->n_used; k++)
		taken[n++] = ntohl(pool->used[k].s_addr);
	qsort(taken, n, sizeof(*taken), cmp_u32);
	for (uint32_t a = net + 1; a < bcast; a++) {
		while (i < n && taken[i] < a)
			i++;
		if (i < n && taken[i] == a)
			continue;
		out->s_addr = htonl(a);
		err = 0;
		break;
	}
	free(taken);
	return err;
}

void mac_for_ip(struct in_addr ip, uint8_t mac[6])
{
	mac[0] = 0x0a;
	mac[1] = 0x58;
	memcpy(mac + 2, &ip.s_addr, 4);
}

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6 || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

char *mac_format(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}
