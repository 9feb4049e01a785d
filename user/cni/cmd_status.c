// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * STATUS (1.1.0): can an ADD succeed now? Ready when the dataplane runs, or
 * when it is not initialised but can be (the first ADD does it): the
 * config's uplinks exist, or a default route names one. 50 when ADD would
 * fail (no uplink, the subnet full); 51 when the state says initialised but
 * the datapath's pins are gone: the running containers lost it too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cni.h"

#define NOT_AVAILABLE "the plugin is not available"

/* An IPv4 default route in the main table (what the library's detection looks for)? */
static bool has_default_route(void)
{
	char line[256], dev[IF_NAMESIZE + 1];
	unsigned int dst, mask;
	bool found = false;
	FILE *f = fopen("/proc/net/route", "re");

	if (!f)
		return false;
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...; a header line first */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%16s %x %*x %*x %*d %*d %*d %x", dev, &dst, &mask) == 3 &&
			!dst && !mask;
	fclose(f);
	return found;
}

static int can_initialise(const struct cni_config *cfg, struct cni_error *e)
{
	for (size_t i = 0; i < cfg->n_uplinks; i++)
		if (!if_nametoindex(cfg->uplinks[i]))
			return cni_fail(e, CNI_ERR_NOT_AVAILABLE, NOT_AVAILABLE, "the dataplane is "
					"not initialised and uplink %s does not exist",
					cfg->uplinks[i]);
	if (!cfg->n_uplinks && !has_default_route())
		return cni_fail(e, CNI_ERR_NOT_AVAILABLE, NOT_AVAILABLE, "the dataplane is not "
				"initialised and the node has no IPv4 default route to detect an "
				"uplink by: name them in \"uplinks\"");
	return 0;
}

/* The network's addresses all taken? (network, broadcast and gateway are not handed out) */
static int subnet_full(struct bpfnet *bn, const struct cni_config *cfg, struct cni_error *e)
{
	struct bpfnet_network_info net = { .sz = sizeof(net) };
	unsigned long long hosts;
	char sb[BPFNET_PREFIXSTRLEN];

	if (bpfnet_network__get(bn, cfg->name, &net) || net.subnet.len > 30)
		return 0;
	hosts = (1ULL << (32 - net.subnet.len)) - 3;
	if (net.endpoints < hosts)
		return 0;
	return cni_fail(e, CNI_ERR_NOT_AVAILABLE, NOT_AVAILABLE, "network '%s': every address of "
			"%s is taken (%u endpoints)", cfg->name,
			bpfnet_prefix_str(&net.subnet, sb, sizeof(sb)), net.endpoints);
}

int cni_cmd_status(struct cni_ctx *ctx)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	struct bpfnet *bn = NULL;
	int err, ret = -1;

	if (ctx->cfg.version < CNI_V_1_1_0)
		return cni_fail(&ctx->err, CNI_ERR_VERSION, "incompatible CNI version", "STATUS needs "
				"cniVersion 1.1.0, the config has %s", ctx->cfg.version_str);
	if (cni_open(&ctx->cfg, &bn, &ctx->err)) {
		ctx->err.code = CNI_ERR_NOT_AVAILABLE;
		return -1;
	}
	err = bpfnet_node__info(bn, &info);
	if (err) {
		cni_fail(&ctx->err, CNI_ERR_NOT_AVAILABLE, NOT_AVAILABLE, "cannot read the node's "
			 "state: %s", bpfnet__errmsg(bn));
		goto out;
	}
	if (info.pins_missing) {
		cni_fail(&ctx->err, CNI_ERR_LIMITED, "the plugin is not available, and existing "
			 "containers may have limited connectivity", "the state says initialised but "
			 "the datapath is not pinned (%s missing): run 'bpfnet init' to restore it",
			 info.missing_pin[0] ? info.missing_pin : "no bpffs");
		goto out;
	}
	if ((!info.initialized && can_initialise(&ctx->cfg, &ctx->err)) ||
	    subnet_full(bn, &ctx->cfg, &ctx->err))
		goto out;
	ret = 0;
out:
	bpfnet__close(bn);
	return ret;
}
