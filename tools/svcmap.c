// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * svcmap: published ports in an instance's pinned maps, written and read
 * through the library's own encoder (user/lib/dp/svc.c) and include/bpfnet/
 * abi.h, for tests that need map states `bpfnet port add` never makes: a
 * port leading nowhere, a service that lost its backend. Nothing here knows
 * a byte of the layout, so nothing can drift from it.
 *
 *   svcmap INSTANCE publish PROTO HOST_IP HOST_PORT EP_IP EP_PORT
 *   svcmap INSTANCE show PROTO HOST_IP HOST_PORT
 *   svcmap INSTANCE drop-backend|drop-frontend PROTO HOST_IP HOST_PORT
 *
 * publish writes the port as port add does, without its checks; show prints
 * "SVC_ID EP_IP:EP_PORT" (or "SVC_ID no backend"); drop-backend deletes the
 * backend of the port's service, drop-frontend the port and not its backend.
 * Run it where the CLI runs (ip netns exec, BPFNET_BPFFS).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpfnet/bpfnet.h"
#include "dp/maps.h"
#include "dp/svc.h"

static int usage(void)
{
	fprintf(stderr, "usage: svcmap INSTANCE publish PROTO HOST_IP HOST_PORT EP_IP EP_PORT\n"
			"       svcmap INSTANCE show|drop-backend|drop-frontend PROTO HOST_IP "
			"HOST_PORT\n");
	return 2;
}

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* PROTO HOST_IP HOST_PORT [EP_IP EP_PORT] into a one-port mapping. */
static int parse_mapping(char **arg, bool with_ep, struct port_map *m)
{
	memset(m, 0, sizeof(*m));
	if (!strcmp(arg[0], "tcp"))
		m->proto = IPPROTO_TCP;
	else if (!strcmp(arg[0], "udp"))
		m->proto = IPPROTO_UDP;
	else
		return -1;
	if (inet_pton(AF_INET, arg[1], &m->host_ip) != 1 || parse_port(arg[2], &m->host_port))
		return -1;
	m->host_port_last = m->host_port;
	if (with_ep && (inet_pton(AF_INET, arg[3], &m->container_ip) != 1 ||
			parse_port(arg[4], &m->container_port)))
		return -1;
	return 0;
}

static int frontend_of(const struct svc_maps *sm, const struct svc_port *p,
		       struct bpfnet_portmap_val *svc)
{
	if (!bpf_map_lookup_elem(sm->portmap, &p->key, svc))
		return 0;
	fprintf(stderr, "svcmap: not published\n");
	return 1;
}

static int show(const struct svc_maps *sm, const struct svc_port *p)
{
	char ip[INET_ADDRSTRLEN];
	struct bpfnet_portmap_val svc;
	struct bpfnet_backend be;

	if (frontend_of(sm, p, &svc))
		return 1;
	if (svc_port_lookup(sm, &p->key, &be))
		printf("%u no backend\n", svc.svc_id);
	else
		printf("%u %s:%u\n", svc.svc_id, inet_ntop(AF_INET, &be.ep_ip, ip, sizeof(ip)),
		       ntohs(be.ep_port));
	return 0;
}

/* drop-backend: the backend of the port's service (slot 0, the one there is); or its frontend. */
static int drop(const struct svc_maps *sm, const struct svc_port *p, bool backend)
{
	struct bpfnet_portmap_val svc;
	struct bpfnet_backend_key k;
	int err;

	if (frontend_of(sm, p, &svc))
		return 1;
	memset(&k, 0, sizeof(k));
	k.svc_id = svc.svc_id;
	err = backend ? bpf_map_delete_elem(sm->backends, &k) :
			bpf_map_delete_elem(sm->portmap, &p->key);
	if (err) {
		perror("svcmap: delete");
		return 1;
	}
	return 0;
}

static int run(struct bpfnet *bn, const char *cmd, const struct svc_port *p)
{
	struct svc_maps sm;
	struct dp dp;
	int rc = 1;

	dp_init(&dp, bn);
	if (svc_maps_open(&dp, &sm)) {
		fprintf(stderr, "svcmap: %s\n", bpfnet__errmsg(bn));
		dp_close(&dp);
		return 1;
	}
	if (!strcmp(cmd, "publish")) {
		rc = svc_publish(&sm, p, 1) ? 1 : 0;
		if (rc)
			fprintf(stderr, "svcmap: %s\n", bpfnet__errmsg(bn));
	} else if (!strcmp(cmd, "show")) {
		rc = show(&sm, p);
	} else {
		rc = drop(&sm, p, !strcmp(cmd, "drop-backend"));
	}
	dp_close(&dp);
	return rc;
}

int main(int argc, char **argv)
{
	struct bpfnet_opts opts = { .sz = sizeof(opts) };
	struct port_map m;
	struct svc_port p;
	struct bpfnet *bn;
	bool publish;
	int rc;

	if (argc < 3)
		return usage();
	publish = !strcmp(argv[2], "publish");
	if (!publish && strcmp(argv[2], "show") && strcmp(argv[2], "drop-backend") &&
	    strcmp(argv[2], "drop-frontend"))
		return usage();
	if (argc != (publish ? 8 : 6) || parse_mapping(argv + 3, publish, &m))
		return usage();
	svc_port_encode(&m, 0, &p);
	opts.instance = argv[1];
	if (bpfnet__open(&opts, &bn)) {
		fprintf(stderr, "svcmap: cannot open instance %s\n", argv[1]);
		return 1;
	}
	rc = run(bn, argv[2], &p);
	bpfnet__close(bn);
	return rc;
}
