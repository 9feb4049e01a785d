// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The dataplane as the commands need it: a handle on the config's instance,
 * the node initialised on the first ADD (no `bpfnet init` needed), and the
 * network made from the config when it does not exist. Every step may race
 * with another plugin process doing the same: the library serialises them
 * under its instance lock, and each step takes "someone else did it" as done.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

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

/* Attempts at the init lock while others remove it (each holder removes it when done). */
#define INIT_LOCK_TRIES 100

/*
 * The first ADDs of a node come in a crowd (a runtime starting its pods in
 * parallel) and each finds the node not initialised. The library serialises
 * their inits, but each one after the first would load the datapath again
 * (an upgrade in place, seconds under load). So the plugins queue on a lock
 * of their own, <run dir>/.cni-init-<instance>.lock, and look again once
 * they hold it. The file exists only while an init is pending: its holder
 * removes it, and a waiter that finds its file replaced tries the new one.
 */
static int init_lock(struct bpfnet *bn, const struct cni_config *cfg, char *path, size_t len)
{
	const char *root = cfg->run_dir ? cfg->run_dir : getenv("BPFNET_RUN_DIR");
	struct stat a, b;
	int fd, err;

	if (!root || !*root)
		root = "/run/bpfnet";
	if (mkdir(root, 0755) && errno != EEXIST)
		return -errno;
	if ((size_t)snprintf(path, len, "%s/.cni-init-%s.lock", root, bpfnet__instance(bn)) >= len)
		return -ENAMETOOLONG;
	for (int i = 0; i < INIT_LOCK_TRIES; i++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX)) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
	return -EAGAIN;
}

static void init_unlock(int fd, const char *path)
{
	unlink(path);
	close(fd);
}

static int init_if_needed(struct bpfnet *bn, const struct cni_config *cfg, struct cni_error *e)
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

int cni_ensure_node(struct bpfnet *bn, const struct cni_config *cfg, struct cni_error *e)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	char path[BPFNET_PATH_MAX + 64];
	int err = bpfnet_node__info(bn, &info), fd, ret;

	if (err)
		return cni_fail_lib(e, bn, err, "cannot read the bpfnet node's state");
	if (info.initialized && !info.pins_missing)
		return 0;
	fd = init_lock(bn, cfg, path, sizeof(path));
	if (fd < 0)
		return cni_fail(e, cni_code_for_errno(fd), "cannot initialise the bpfnet dataplane",
				"cannot lock %s: %s", path, strerror(-fd));
	ret = init_if_needed(bn, cfg, e);
	init_unlock(fd, path);
	return ret;
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
