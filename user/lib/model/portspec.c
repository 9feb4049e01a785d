// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model/portspec.h"
#include "model/ipam.h"

#define PORTSPEC_MAX 64		/* longer than any valid spec: "255.255.255.255:65535-65535:..." */

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

int portspec_parse(const char *spec, struct bpfnet_port_mapping *out, char *why, size_t why_len)
{
	char buf[PORTSPEC_MAX], *cport, *hport;
	unsigned int hf, hl, cf, cl;

	if (strlen(spec) >= sizeof(buf))
		goto bad;
	strcpy(buf, spec);
	if (parse_proto(buf, &out->proto)) {
		snprintf(why, why_len, "'%s': protocol must be tcp or udp", spec);
		return -EINVAL;
	}
	cport = strrchr(buf, ':');
	if (!cport)
		goto bad;
	*cport++ = '\0';
	hport = strrchr(buf, ':');
	out->host_ip.s_addr = INADDR_ANY;
	if (hport) {
		*hport++ = '\0';
		if (ip4_parse(buf, &out->host_ip)) {
			snprintf(why, why_len, "'%s': host address '%s' is not IPv4", spec, buf);
			return -EINVAL;
		}
	} else {
		hport = buf;
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
	return 0;
bad:
	snprintf(why, why_len, "'%s': expected [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END]"
		 "[/tcp|/udp]", spec);
	return -EINVAL;
}

char *portspec_format(const struct bpfnet_port_mapping *m, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN] = "", host[32], ctr[16];
	unsigned int span = m->host_port_last - m->host_port;

	if (m->host_ip.s_addr != INADDR_ANY) {
		inet_ntop(AF_INET, &m->host_ip, ip, sizeof(ip));
		strcat(ip, ":");
	}
	if (span) {
		snprintf(host, sizeof(host), "%u-%u", m->host_port, m->host_port_last);
		snprintf(ctr, sizeof(ctr), "%u-%u", m->container_port, m->container_port + span);
	} else {
		snprintf(host, sizeof(host), "%u", m->host_port);
		snprintf(ctr, sizeof(ctr), "%u", m->container_port);
	}
	snprintf(buf, len, "%s%s:%s/%s", ip, host, ctr, m->proto == IPPROTO_UDP ? "udp" : "tcp");
	return buf;
}

char *bpfnet_port_spec(const struct bpfnet_port_mapping *m, char *buf, size_t len)
{
	return portspec_format(m, buf, len);
}
