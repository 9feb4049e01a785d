// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The public value types: family-neutral addresses and the names of the
 * enumerations, and their conversion to what the IPv4-only datapath takes.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/internal.h"
#include "api/types.h"
#include "bpfnet/abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* One name per value of an enum, in a table indexed by the value. */
struct enum_names {
	const char *what;		/* for messages: "network mode" */
	const char *const *names;
	size_t n;
	const char *allowed;		/* "l3, bridge" */
};

static const char *enum_str(const struct enum_names *e, unsigned int v)
{
	return v < e->n && e->names[v] ? e->names[v] : "?";
}

static int enum_parse(const struct enum_names *e, const char *s, unsigned int *out)
{
	for (unsigned int v = 0; s && v < e->n; v++) {
		if (e->names[v] && !strcmp(s, e->names[v])) {
			*out = v;
			return 0;
		}
	}
	return bn_fail_nohandle(-EINVAL, "unknown %s '%s': allowed: %s", e->what, s ? s : "",
				e->allowed);
}

#define ENUM_NAMES(var, what_, allowed_, ...)					\
	static const char *const var##_tab[] = { __VA_ARGS__ };			\
	static const struct enum_names var = { .what = what_, .names = var##_tab,	\
					       .n = ARRAY_SIZE(var##_tab), .allowed = allowed_ }

ENUM_NAMES(network_modes, "mode", "l3, bridge, macvlan",
	   [BPFNET_NETWORK_L3] = "l3", [BPFNET_NETWORK_BRIDGE] = "bridge",
	   [BPFNET_NETWORK_MACVLAN] = "macvlan");
ENUM_NAMES(gateway_modes, "gateway mode", "nat, routed, nat-unprotected",
	   [BPFNET_GATEWAY_NAT] = "nat", [BPFNET_GATEWAY_ROUTED] = "routed",
	   [BPFNET_GATEWAY_NAT_UNPROTECTED] = "nat-unprotected");
ENUM_NAMES(protos, "protocol", "tcp, udp, icmp",
	   [BPFNET_PROTO_ICMP] = "icmp", [BPFNET_PROTO_TCP] = "tcp", [BPFNET_PROTO_UDP] = "udp");
/* the conntrack names are the datapath's (abi.h): one list says value and name */
#define FLOW_STATE_NAME(name, pub, str) [BPFNET_FLOW_##pub] = str,
#define FLOW_KIND_NAME(name, pub, str, flag) [BPFNET_FLOW_##pub] = str,
ENUM_NAMES(flow_states, "conntrack state",
	   "none, syn_sent, established, fin_wait, time_wait, close",
	   BPFNET_FOREACH_CT_STATE(FLOW_STATE_NAME));
ENUM_NAMES(flow_kinds, "conntrack kind", "routed, portmap, masquerade, hairpin",
	   BPFNET_FOREACH_CT_KIND(FLOW_KIND_NAME));
#undef FLOW_STATE_NAME
#undef FLOW_KIND_NAME

#define DROP_NAME(name, str) [BPFNET_##name] = str,
static const char *const drop_names[BPFNET_DROP_MAX] = { BPFNET_FOREACH_DROP(DROP_NAME) };
#undef DROP_NAME

const char *bn_drop_reason_name(unsigned int reason)
{
	return reason && reason < BPFNET_DROP_MAX ? drop_names[reason] : NULL;
}

#define ENUM_FUNCS(prefix, type, table)							\
	const char *prefix##_str(enum type v)						\
	{										\
		return enum_str(&table, v);						\
	}										\
	int prefix##_parse(const char *s, enum type *out)				\
	{										\
		unsigned int v;								\
		int err = enum_parse(&table, s, &v);					\
											\
		if (!err)								\
			*out = (enum type)v;						\
		return err;								\
	}

ENUM_FUNCS(bpfnet_network_mode, bpfnet_network_mode, network_modes)
ENUM_FUNCS(bpfnet_gateway_mode, bpfnet_gateway_mode, gateway_modes)
ENUM_FUNCS(bpfnet_proto, bpfnet_proto, protos)
ENUM_FUNCS(bpfnet_flow_state, bpfnet_flow_state, flow_states)
ENUM_FUNCS(bpfnet_flow_kind, bpfnet_flow_kind, flow_kinds)

int bpfnet_addr_parse(const char *s, struct bpfnet_addr *out)
{
	struct bpfnet_addr a = {};

	if (s && inet_pton(AF_INET, s, &a.v4) == 1)
		a.family = AF_INET;
	else if (s && inet_pton(AF_INET6, s, &a.v6) == 1)
		a.family = AF_INET6;
	else
		return bn_fail_nohandle(-EINVAL, "invalid address '%s': expected an IPv4 address "
					"such as 10.1.0.5 (or IPv6, fd00::5)", s ? s : "");
	*out = a;
	return 0;
}

int bpfnet_prefix_parse(const char *s, struct bpfnet_prefix *out)
{
	char buf[BPFNET_PREFIXSTRLEN], *slash, *end;
	struct bpfnet_prefix p = {};
	unsigned long len;

	if (!s || strlen(s) >= sizeof(buf) || !(slash = strchr(strcpy(buf, s), '/')))
		goto bad;
	*slash++ = '\0';
	if (bpfnet_addr_parse(buf, &p.addr) || *slash < '0' || *slash > '9')
		goto bad;
	len = strtoul(slash, &end, 10);
	if (*end || len > (p.addr.family == AF_INET ? 32u : 128u))
		goto bad;
	p.len = len;
	*out = p;
	return 0;
bad:
	return bn_fail_nohandle(-EINVAL, "invalid prefix '%s': expected an address and a length "
				"such as 10.1.0.0/24 (or fd00::/64)", s ? s : "");
}

char *bpfnet_addr_str(const struct bpfnet_addr *a, char *buf, size_t len)
{
	if (!len)
		return buf;
	if (a->family == AF_UNSPEC)
		buf[0] = '\0';
	else if ((a->family != AF_INET && a->family != AF_INET6) ||
		 !inet_ntop(a->family, &a->v4, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

char *bpfnet_prefix_str(const struct bpfnet_prefix *p, char *buf, size_t len)
{
	char a[BPFNET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", bpfnet_addr_str(&p->addr, a, sizeof(a)), p->len);
	return buf;
}

int bn_addr4(struct bpfnet *bn, const struct bpfnet_addr *a, const char *what,
	     struct in_addr *out)
{
	char s[BPFNET_ADDRSTRLEN];

	if (a->family == AF_INET) {
		*out = a->v4;
		return 0;
	}
	if (a->family == AF_INET6)
		return bn_fail(bn, -EAFNOSUPPORT, "%s %s: IPv6 is not supported yet",
			       what, bpfnet_addr_str(a, s, sizeof(s)));
	return bn_fail(bn, -EINVAL, "%s: unknown address family %u", what, a->family);
}

struct bpfnet_prefix bn_prefix_from4(struct in_addr a, unsigned int len)
{
	struct bpfnet_prefix p = { .addr = bpfnet_addr_ip4(a), .len = len };

	return p;
}
