// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's netlink replies as sys/netlink.c reads them: link, address,
 * route and qdisc dumps, single links, ACKs and errors with their extended
 * ACK text. The input is what a socket would receive, chunk by chunk
 * (nl_open_replay(): a 16-bit length in host order, then the datagram);
 * one request of each kind is made in turn, each reading the chunks it
 * needs. Whatever arrives, each call returns 0 or -errno and what it
 * reports is within its bounds.
 */
#include <arpa/inet.h>
#include <net/if.h>

#include "fuzz.h"
#include "sys/netlink.h"

static void check_link(const struct nl_link *l)
{
	FUZZ_ASSERT(strnlen(l->name, sizeof(l->name)) < sizeof(l->name));
	FUZZ_ASSERT(strnlen(l->kind, sizeof(l->kind)) < sizeof(l->kind));
}

static int link_cb(const struct nl_link *l, void *arg)
{
	(*(size_t *)arg)++;
	check_link(l);
	return 0;
}

static int addr_cb(const struct nl_addr4 *a, void *arg)
{
	(*(size_t *)arg)++;
	FUZZ_ASSERT(strnlen(a->label, sizeof(a->label)) < sizeof(a->label));
	/* the node checks take it to prefix_mask(), as a route's */
	FUZZ_ASSERT(a->prefix_len <= 32);
	return 0;
}

static int route_cb(const struct nl_route4_entry *r, void *arg)
{
	(*(size_t *)arg)++;
	FUZZ_ASSERT(r->route.prefix_len <= 32);
	FUZZ_ASSERT(r->n_nexthops <= NL_ROUTE_NEXTHOP_MAX);
	FUZZ_ASSERT(!r->n_nexthops || r->route.ifindex == r->nexthop_ifindexes[0]);
	return 0;
}

static void check_err(struct nl *nl, int err)
{
	FUZZ_ASSERT(err <= 0);
	FUZZ_ASSERT(strlen(nl_errmsg(nl)) < 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr addrs[8], a = { htonl(0x0a010002) };
	struct nl_route4 route = { .dst = a, .prefix_len = 24 };
	struct nl_link link;
	size_t n = 0;
	struct nl *nl;
	bool has;

	fuzz_quiet();
	FUZZ_ASSERT(nl_open_replay(&nl, data, size) == 0);
	if (!nl_link_get_by_name(nl, "eth0", &link))
		check_link(&link);
	check_err(nl, 0);
	if (!nl_link_get_by_index(nl, 2, &link))
		check_link(&link);
	check_err(nl, nl_link_foreach(nl, link_cb, &n));
	check_err(nl, nl_addr_list4(nl, addrs, sizeof(addrs) / sizeof(addrs[0]), &n));
	FUZZ_ASSERT(n <= sizeof(addrs) / sizeof(addrs[0]));
	check_err(nl, nl_addr_foreach4(nl, addr_cb, &n));
	check_err(nl, nl_route_foreach4(nl, route_cb, &n));
	check_err(nl, nl_qdisc_has(nl, 2, "clsact", &has));
	/* requests answered by an ACK or an error with its extended ACK */
	check_err(nl, nl_link_set_up(nl, 2));
	check_err(nl, nl_addr_add4(nl, 2, a, 24));
	check_err(nl, nl_route_add4(nl, &route));
	nl_close(nl);
	return 0;
}
