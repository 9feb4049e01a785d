// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The -p spec parser (model/portspec.c) through its public door,
 * bpfnet_port_spec_parse(), and the journal's IPv4 form port_map_parse():
 * the input is one spec. What parses is a valid mapping, and its text
 * (bpfnet_port_spec(), what `port ls` prints and the journal keeps) parses
 * back to the same mapping.
 */
#include <arpa/inet.h>

#include "fuzz.h"
#include "model/portspec.h"

static void check_valid(const struct bpfnet_port_mapping *m)
{
	FUZZ_ASSERT(m->proto == BPFNET_PROTO_TCP || m->proto == BPFNET_PROTO_UDP);
	FUZZ_ASSERT(m->host_port >= 1 && m->host_port <= m->host_port_last);
	FUZZ_ASSERT(m->container_port >= 1 && m->container_port <= m->container_port_last);
	FUZZ_ASSERT(m->host_port_last - m->host_port ==
		    m->container_port_last - m->container_port);
	FUZZ_ASSERT(m->host_addr.family == AF_UNSPEC || m->host_addr.family == AF_INET ||
		    m->host_addr.family == AF_INET6);
}

static int addr_is_any(const struct bpfnet_addr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	return a->family == AF_UNSPEC || (a->family == AF_INET && !a->v4.s_addr) ||
	       (a->family == AF_INET6 && !memcmp(&a->v6, &any6, sizeof(any6)));
}

static int same_addr(const struct bpfnet_addr *a, const struct bpfnet_addr *b)
{
	if (addr_is_any(a) || addr_is_any(b))
		return addr_is_any(a) && addr_is_any(b);
	return a->family == b->family &&
	       !memcmp(&a->v6, &b->v6, a->family == AF_INET ? sizeof(a->v4) : sizeof(a->v6));
}

/* Equal as a mapping: an explicit any address (0.0.0.0) prints as none, so reads back as none. */
static int same_mapping(const struct bpfnet_port_mapping *a, const struct bpfnet_port_mapping *b)
{
	return same_addr(&a->host_addr, &b->host_addr) && a->proto == b->proto && a->host_port == b->host_port &&
	       a->host_port_last == b->host_port_last && a->container_port == b->container_port &&
	       a->container_port_last == b->container_port_last;
}

static void check_roundtrip(const struct bpfnet_port_mapping *m)
{
	struct bpfnet_port_mapping back;
	char text[128], text2[128];

	bpfnet_port_spec(m, text, sizeof(text));
	FUZZ_ASSERT(bpfnet_port_spec_parse(text, &back) == 0);
	check_valid(&back);
	FUZZ_ASSERT(same_mapping(m, &back));
	/* the text is the normal form: printing what it reads gives it again */
	bpfnet_port_spec(&back, text2, sizeof(text2));
	FUZZ_ASSERT(!strcmp(text, text2));
	/* a buffer too short for it is cut, never overrun */
	bpfnet_port_spec(m, text2, 5);
	FUZZ_ASSERT(strlen(text2) < 5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpfnet_port_mapping m;
	struct port_map pm;
	char *spec = fuzz_str(data, size), why[160] = "";
	int err;

	fuzz_quiet();
	err = bpfnet_port_spec_parse(spec, &m);
	FUZZ_ASSERT(err == 0 || err == -EINVAL);
	if (!err) {
		check_valid(&m);
		check_roundtrip(&m);
	}
	/* the journal's reader: the same spec, IPv4 only */
	err = port_map_parse(spec, &pm, why, sizeof(why));
	FUZZ_ASSERT(err == 0 || err == -EINVAL || err == -EAFNOSUPPORT);
	FUZZ_ASSERT(strlen(why) < sizeof(why));
	if (!err) {
		struct port_map back;
		char text[64];

		FUZZ_ASSERT(port_map_parse(port_map_format(&pm, text, sizeof(text)), &back, why,
					   sizeof(why)) == 0);
		FUZZ_ASSERT(back.proto == pm.proto && back.host_ip.s_addr == pm.host_ip.s_addr &&
			    back.host_port == pm.host_port &&
			    back.host_port_last == pm.host_port_last &&
			    back.container_port == pm.container_port);
	}
	free(spec);
	return 0;
}
