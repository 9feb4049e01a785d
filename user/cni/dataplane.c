// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dataplane as the commands need it: a handle on the config's instance,
 * the node initialised on the first ADD (no `bpfnet init` needed), and the
 * network made from the config when it does not exist. Every step may race
 * with another plugin process doing the same: the library serialises them
 * under its instance lock, and each step takes "someone else did it" as done.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cni.h"

int cni_open(const struct cni_config *cfg, struct bpfnet **bn, struct cni_error *e)
{
	struct bpfnet_opts o = {
		.sz = sizeof(o),
		.instance = cfg->instance,
		.bpffs = cfg->bpffs,
		.run_dir = cfg->run_dir,
	};
	int err = bpfnet__open(&o, bn);

	if (!err)
		return 0;
	cni_fail(e, err == -EINVAL ? CNI_ERR_CONFIG : cni_code_for_errno(err),
		 "cannot open the bpfnet instance", "instance '%s': %s",
		 cfg->instance ? cfg->instance : "default", bpfnet__errmsg(NULL));
	return err;
}

int cni_ensure_node(struct bpfnet *bn, const struct cni_config *cfg, struct cni_error *e)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	struct bpfnet_init_opts o = {
		.sz = sizeof(o),
		.uplinks = cfg->n_uplinks ? cfg->uplinks : NULL,
		.n_uplinks = cfg->n_uplinks,
	};
	int err = bpfnet_node__info(bn, &info);

	if (err)
		return cni_fail_lib(e, bn, err, "cannot read the bpfnet node's state");
	/* running (pins there): leave it as it is, whoever initialised it */
	if (info.initialized && !info.pins_missing)
		return 0;
	err = bpfnet_node__init_opts(bn, &o);
	if (err)
		return cni_fail_lib(e, bn, err, "cannot initialise the bpfnet dataplane");
	return 0;
}

int cni_ensure_network(struct bpfnet *bn, const struct cni_config *cfg,
		       struct bpfnet_network_info *out, struct cni_error *e)
{
	char why[512];
	int err;

	out->sz = sizeof(*out);
	err = bpfnet_network__get(bn, cfg->name, out);
	if (err == -ENOENT) {
		err = bpfnet_network__create(bn, &cfg->net, out);
		if (!err)
			return 0;
		if (err != -EEXIST)
			return cni_fail_lib(e, bn, err, "cannot create the network");
		/* made by a concurrent ADD a moment ago, or the subnet overlaps: get tells */
		snprintf(why, sizeof(why), "%s", bpfnet__errmsg(bn));
		err = bpfnet_network__get(bn, cfg->name, out);
		if (err == -ENOENT)
			return cni_fail(e, CNI_ERR_CONFIG, "cannot create the network", "%s", why);
	}
	if (err)
		return cni_fail_lib(e, bn, err, "cannot read the network");
	return cni_config_match_network(cfg, out, e);
}
