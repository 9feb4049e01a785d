// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * embed: bpfnet driven from a program of your own, through <bpfnet/bpfnet.h> and
 * pkg-config only.
 *
 *   cc -o embed embed.c $(pkg-config --cflags --libs libbpfnet)
 *   ip netns add c1
 *   ./embed eth0 c1 8080:80        # as root: uplink, a container's netns, a -p spec
 *
 * It loads the datapath onto the uplink, creates the network "embed", attaches the
 * netns to it, publishes the port, prints "ready", then lists the tracked flows each
 * time a line comes on stdin, and ends at EOF. What it made stays: the datapath
 * forwards with no process running, and `bpfnet down` takes it all away. The instance
 * is $BPFNET_INSTANCE (else "default"); the bpffs and the state directory are found
 * as the bpfnet command finds them ($BPFNET_BPFFS, $BPFNET_RUN_DIR).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpfnet/bpfnet.h>

#define SUBNET "10.99.0.0/24"

/* the library's message says what was wrong (bpfnet__errmsg(NULL): a call without a handle) */
static int fail(struct bpfnet *bn, const char *what, int err)
{
	const char *msg = bpfnet__errmsg(bn);

	fprintf(stderr, "embed: %s: %s\n", what, *msg ? msg : strerror(-err));
	bpfnet__close(bn);
	return 1;
}

static void print_flow(const struct bpfnet_ct_flow *f)
{
	char osrc[BPFNET_ADDRSTRLEN], odst[BPFNET_ADDRSTRLEN];
	char rsrc[BPFNET_ADDRSTRLEN], rdst[BPFNET_ADDRSTRLEN];

	printf("flow %s %s %s:%u -> %s:%u reply %s:%u -> %s:%u %s\n",
	       bpfnet_proto_str(f->proto), bpfnet_flow_state_str(f->state),
	       bpfnet_addr_str(&f->orig_src, osrc, sizeof(osrc)), f->orig_sport,
	       bpfnet_addr_str(&f->orig_dst, odst, sizeof(odst)), f->orig_dport,
	       bpfnet_addr_str(&f->reply_src, rsrc, sizeof(rsrc)), f->reply_sport,
	       bpfnet_addr_str(&f->reply_dst, rdst, sizeof(rdst)), f->reply_dport,
	       bpfnet_flow_kind_str(f->kind));
}

static int list_flows(struct bpfnet *bn)
{
	struct bpfnet_ct_flow *flows;
	size_t n, i;
	int err;

	err = bpfnet_ct__list(bn, &flows, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++)
		print_flow(&flows[i]);
	printf("flows: %zu\n", n);
	fflush(stdout);
	free(flows);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpfnet_opts opts = { .sz = sizeof(opts), .instance = getenv("BPFNET_INSTANCE") };
	struct bpfnet_network_opts net = { .sz = sizeof(net), .name = "embed" };
	struct bpfnet_endpoint_opts ep_opts = { .sz = sizeof(ep_opts), .network = "embed" };
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };
	struct bpfnet_port_mapping port;
	char ip[BPFNET_PREFIXSTRLEN], line[256];
	struct bpfnet *bn = NULL;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: embed UPLINK NETNS PORTSPEC   (e.g. embed eth0 c1 8080:80)\n");
		return 2;
	}
	ep_opts.netns = argv[2];
	err = bpfnet_prefix_parse(SUBNET, &net.subnet);
	if (err)
		return fail(NULL, "subnet", err);
	err = bpfnet_port_spec_parse(argv[3], &port);
	if (err)
		return fail(NULL, "port spec", err);

	err = bpfnet__open(&opts, &bn);
	if (err)
		return fail(NULL, "open", err);
	err = bpfnet_node__init(bn, argv[1]);
	if (err)
		return fail(bn, "init", err);
	err = bpfnet_network__create(bn, &net, NULL);
	if (err)
		return fail(bn, "network create", err);
	err = bpfnet_endpoint__add(bn, &ep_opts, &ep);
	if (err)
		return fail(bn, "endpoint add", err);
	err = bpfnet_port__add(bn, ep.name, &port, 1);
	if (err)
		return fail(bn, "port add", err);

	printf("libbpfnet %s (header %s)\n", bpfnet_version(), BPFNET_VERSION_STRING);
	printf("endpoint %s %s on network embed, published %s\nready\n", ep.name,
	       bpfnet_prefix_str(&ep.ip, ip, sizeof(ip)), argv[3]);
	fflush(stdout);

	while (fgets(line, sizeof(line), stdin)) {
		err = list_flows(bn);
		if (err)
			return fail(bn, "ct list", err);
	}
	bpfnet__close(bn);
	return 0;
}
