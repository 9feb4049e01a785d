/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Published port mappings: the library's own record of one, and Docker's -p syntax. */
#ifndef BPFNET_PORTSPEC_H
#define BPFNET_PORTSPEC_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "bpfnet/bpfnet.h"

/*
 * One published range as the library keeps it (the journal records these):
 * IPv4, the container range as long as the host's. The public struct
 * bpfnet_port_mapping is converted to and from it at the api boundary.
 */
struct port_map {
	char endpoint[BPFNET_NAME_MAX];
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	struct in_addr host_ip;		/* INADDR_ANY: every node address */
	uint16_t host_port;		/* first, host byte order */
	uint16_t host_port_last;
	uint16_t container_port;	/* first; the range is as long as the host's */
	struct in_addr container_ip;
};

/*
 * Parse [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp] into @out
 * (zeroed first; host_addr AF_UNSPEC without a HOST_IP; an IPv6 HOST_IP,
 * bracketed or not, is parsed: refusing it is the datapath's business). On
 * error returns -EINVAL and writes what is wrong into @why.
 */
int portspec_parse(const char *spec, struct bpfnet_port_mapping *out, char *why, size_t why_len);

/* The mapping in the -p syntax, e.g. "127.0.0.1:8080-8081:80-81/tcp". */
char *portspec_format(const struct bpfnet_port_mapping *m, char *buf, size_t len);

/* The -p text of record @m (the journal keeps mappings so), and back: IPv4 only. */
char *port_map_format(const struct port_map *m, char *buf, size_t len);
int port_map_parse(const char *spec, struct port_map *out, char *why, size_t why_len);

#endif
