// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "model/portspec.h"
#include "model/ipam.h"

/* longer than any valid spec: "[ffff:...:255.255.255.255]:65535-65535:65535-65535/udp" */
#define PORTSPEC_MAX 96

/* "N" or "N-M", 1..65535, N <= M. */
static int parse_range(const char *s, unsigned int *first, unsigned int *last)
{
	char *end;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -EINVAL;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a < 1 || b > 65535 || a > b)
		return -EINVAL;
	*first = a;
	*last = b;
	return 0;
}

static int parse_proto(char *spec, uint8_t *proto)
{
	char *slash = strrchr(spec, '/');

	*proto = IPPROTO_TCP;
	if (!slash)
		return 0;
	*slash = '\0';
	if (!strcmp(slash + 1, "tcp"))
		return 0;
	if (!strcmp(slash + 1, "udp")) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	return -EINVAL;
}

/*
 * The host address of a spec: IPv4, or IPv6 bracketed as Docker writes it
 * ("[::1]") or bare ("::1"). The datapath refuses IPv6 later, in words.
 */
static int parse_host(char *s, struct bpfnet_addr *out)
{
	size_t len = strlen(s);

	memset(out, 0, sizeof(*out));
	if (len > 2 && s[0] == '[' && s[len - 1] == ']') {
		s[len - 1] = '\0';
		s++;
		if (inet_pton(AF_INET6, s, &out->v6) != 1)
			return -EINVAL;
		out->family = AF_INET6;
		return 0;
	}
	if (ip4_parse(s, &out->v4) == 0) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* The container part "PORT[-END]" and the host part before it: "[IP:]PORT[-END]". */
static char *split_ports(char *buf, char **hport)
{
	char *cport = strrchr(buf, ':'), *colon;

	if (!cport)
		return NULL;
	*cport++ = '\0';
	colon = strrchr(buf, ':');
	if (!colon) {
		*hport = buf;
		return cport;
	}
	*colon = '\0';
	*hport = colon + 1;
	return cport;
}

int portspec_parse(const char *spec, struct bpfnet_port_mapping *out, char *why, size_t why_len)
{
	char buf[PORTSPEC_MAX], *cport, *hport = NULL;
	unsigned int hf, hl, cf, cl;
	uint8_t proto;

	memset(out, 0, sizeof(*out));
	if (strlen(spec) >= sizeof(buf))
		goto bad;
	strcpy(buf, spec);
	if (parse_proto(buf, &proto)) {
		snprintf(why, why_len, "'%s': protocol must be tcp or udp", spec);
		return -EINVAL;
	}
	out->proto = proto;
	cport = split_ports(buf, &hport);
	if (!cport)
		goto bad;
	if (hport != buf && parse_host(buf, &out->host_addr)) {
		snprintf(why, why_len, "'%s': the host address is not an IP address", spec);
		return -EINVAL;
	}
	if (parse_range(hport, &hf, &hl) || parse_range(cport, &cf, &cl)) {
		snprintf(why, why_len, "'%s': ports are 1-65535, a range is FIRST-LAST", spec);
		return -EINVAL;
	}
	if (hl - hf != cl - cf) {
		snprintf(why, why_len, "'%s': host range and container range differ in length",
			 spec);
		return -EINVAL;
	}
	out->host_port = hf;
	out->host_port_last = hl;
	out->container_port = cf;
	out->container_port_last = cl;
	return 0;
bad:
	snprintf(why, why_len, "'%s': expected [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END]"
		 "[/tcp|/udp]", spec);
	return -EINVAL;
}

/* Every node address: none given, or the any address of its family. */
static bool host_is_any(const struct bpfnet_addr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	return a->family == AF_UNSPEC || (a->family == AF_INET && a->v4.s_addr == INADDR_ANY) ||
	       (a->family == AF_INET6 && !memcmp(&a->v6, &any6, sizeof(any6)));
}

char *portspec_format(const struct bpfnet_port_mapping *m, char *buf, size_t len)
{
	char ip[BPFNET_ADDRSTRLEN + 3] = "", host[32], ctr[16];
	unsigned int span = m->host_port_last - m->host_port;

	if (!host_is_any(&m->host_addr)) {
		bool v6 = m->host_addr.family == AF_INET6;

		ip[0] = '[';
		inet_ntop(m->host_addr.family, &m->host_addr.v4, ip + v6, sizeof(ip) - 3);
		strcat(ip, v6 ? "]:" : ":");
	}
	if (span) {
		snprintf(host, sizeof(host), "%u-%u", m->host_port, m->host_port_last);
		snprintf(ctr, sizeof(ctr), "%u-%u", m->container_port, m->container_port + span);
	} else {
		snprintf(host, sizeof(host), "%u", m->host_port);
		snprintf(ctr, sizeof(ctr), "%u", m->container_port);
	}
	snprintf(buf, len, "%s%s:%s/%s", ip, host, ctr, m->proto == BPFNET_PROTO_UDP ? "udp" : "tcp");
	return buf;
}

char *port_map_format(const struct port_map *m, char *buf, size_t len)
{
	struct bpfnet_port_mapping p = {
		.proto = m->proto,
		.host_addr = bpfnet_addr_ip4(m->host_ip),
		.host_port = m->host_port,
		.host_port_last = m->host_port_last,
		.container_port = m->container_port,
	};

	return portspec_format(&p, buf, len);
}

int port_map_parse(const char *spec, struct port_map *out, char *why, size_t why_len)
{
	struct bpfnet_port_mapping p;
	int err = portspec_parse(spec, &p, why, why_len);

	if (err)
		return err;
	if (p.host_addr.family == AF_INET6) {
		snprintf(why, why_len, "'%s': IPv6 is not supported yet", spec);
		return -EAFNOSUPPORT;
	}
	memset(out, 0, sizeof(*out));
	out->proto = p.proto;
	out->host_ip = p.host_addr.v4;	/* AF_UNSPEC: zeroed, INADDR_ANY */
	out->host_port = p.host_port;
	out->host_port_last = p.host_port_last;
	out->container_port = p.container_port;
	return 0;
}
