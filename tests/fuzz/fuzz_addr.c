// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Addresses, prefixes and MACs as users, state files and CNI configs give
 * them: bpfnet_addr_parse() and bpfnet_prefix_parse() (api/types.c, the
 * CLI's, the CNI plugin's, the records'), cidr4_parse() and ip4_parse()
 * (model/ipam.c; the first is no one's but its unit test's now), mac_parse()
 * (model, the state file's) and cni_mac_parse() (the CNI config's). The input
 * is one string, given to each. What parses prints as text that parses back
 * to the same value.
 */
#include <arpa/inet.h>

#include "fuzz.h"
#include "cni/cni.h"
#include "model/ipam.h"

static int same_addr(const struct bpfnet_addr *a, const struct bpfnet_addr *b)
{
	return a->family == b->family &&
	       !memcmp(&a->v6, &b->v6, a->family == AF_INET ? sizeof(a->v4) : sizeof(a->v6));
}

static void check_addr(const char *s)
{
	struct bpfnet_addr a, back;
	char text[BPFNET_ADDRSTRLEN];

	if (bpfnet_addr_parse(s, &a))
		return;
	FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
	FUZZ_ASSERT(bpfnet_addr_parse(bpfnet_addr_str(&a, text, sizeof(text)), &back) == 0);
	FUZZ_ASSERT(same_addr(&a, &back));
}

static void check_prefix(const char *s)
{
	struct bpfnet_prefix p, back;
	char text[BPFNET_PREFIXSTRLEN];

	if (bpfnet_prefix_parse(s, &p))
		return;
	FUZZ_ASSERT(p.len <= (p.addr.family == AF_INET ? 32u : 128u));
	FUZZ_ASSERT(bpfnet_prefix_parse(bpfnet_prefix_str(&p, text, sizeof(text)), &back) == 0);
	FUZZ_ASSERT(same_addr(&p.addr, &back.addr) && p.len == back.len);
}

/* A network's subnet: a prefix length IPAM can give addresses of, no host bits. */
static void check_cidr4(const char *s)
{
	struct bpfnet_prefix p;
	struct in_addr net;
	unsigned int len;
	int err = cidr4_parse(s, &net, &len);

	FUZZ_ASSERT(!err || err == -EINVAL || err == -ERANGE || err == -EDOM);
	if (err)
		return;
	FUZZ_ASSERT(len >= IPAM_PREFIX_MIN && len <= IPAM_PREFIX_MAX);
	FUZZ_ASSERT(!(ntohl(net.s_addr) & ~prefix_mask(len)));
	/*
	 * The public parser takes every subnet the model does, as the same prefix;
	 * but no text longer than any prefix needs ("0.0.0.0/000...08"), which the
	 * model's, used by nothing but its unit test, reads.
	 */
	if (strlen(s) >= BPFNET_PREFIXSTRLEN)
		return;
	FUZZ_ASSERT(bpfnet_prefix_parse(s, &p) == 0);
	FUZZ_ASSERT(p.addr.family == AF_INET && p.addr.v4.s_addr == net.s_addr && p.len == len);
}

static void check_ip4(const char *s)
{
	struct in_addr a, back;
	char text[INET_ADDRSTRLEN];

	if (ip4_parse(s, &a))
		return;
	FUZZ_ASSERT(inet_ntop(AF_INET, &a, text, sizeof(text)));
	FUZZ_ASSERT(ip4_parse(text, &back) == 0 && back.s_addr == a.s_addr);
}

static void check_macs(const char *s)
{
	uint8_t mac[6], back[6];
	char text[18];

	if (!mac_parse(s, mac)) {
		FUZZ_ASSERT(mac_parse(mac_format(mac, text), back) == 0);
		FUZZ_ASSERT(!memcmp(mac, back, sizeof(mac)));
	}
	if (!cni_mac_parse(s, mac)) {
		FUZZ_ASSERT(cni_mac_parse(cni_mac_str(mac, text), back) == 0);
		FUZZ_ASSERT(!memcmp(mac, back, sizeof(mac)));
		/* what a CNI config may say, a state file may keep */
		FUZZ_ASSERT(mac_parse(s, back) == 0 && !memcmp(mac, back, sizeof(mac)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);

	fuzz_quiet();
	check_addr(s);
	check_prefix(s);
	check_cidr4(s);
	check_ip4(s);
	check_macs(s);
	free(s);
	return 0;
}
