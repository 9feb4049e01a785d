// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `bpfnet run`'s command line, checked whole before anything is made: the
 * name and its netns free, the rootfs a directory with the command in it,
 * the limits, the networks and their ports, the environment. What is refused
 * here leaves no trace.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "runcfg.h"

/* docker's default PATH, for the container's lookup and its environment */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int run_config_parse(struct run_config *c, int argc, char **argv, struct run_err *e)
{
	const struct arg_opt opts[] = {
		{ "name", 0, ARG_VALUE, &c->name_opt },
		{ "network", 0, ARG_LIST, &c->networks },
		{ "net", 0, ARG_LIST, &c->networks },
		{ "ip", 0, ARG_VALUE, &c->ip_opt },
		{ "publish", 'p', ARG_LIST, &c->ports },
		{ "hostname", 0, ARG_VALUE, &c->hostname_opt },
		{ "rootfs", 0, ARG_VALUE, &c->rootfs_opt },
		{ "memory", 'm', ARG_VALUE, &c->memory_opt },
		{ "cpus", 0, ARG_VALUE, &c->cpus_opt },
		{ "pids", 0, ARG_VALUE, &c->pids_opt },
		{ "pids-limit", 0, ARG_VALUE, &c->pids_opt },
		{ "userns", 0, ARG_FLAG, &c->userns },
		{ "env", 'e', ARG_LIST, &c->env },
		{ "workdir", 'w', ARG_VALUE, &c->workdir_opt },
		{ "detach", 'd', ARG_FLAG, &c->detach },
		{ "rm", 0, ARG_FLAG, &c->auto_remove },
		{}
	};
	const struct arg_spec spec = { .cmd = "run", .opts = opts, .command = true };
	int n_pos, cmd_at, err;

	c->networks.max = RUN_MAX_NETWORKS;
	c->ports.max = RUN_MAX_PORTS;
	c->env.max = RUN_MAX_ARGS;
	err = args_parse(&spec, argc, argv, NULL, &n_pos, &cmd_at, e);
	if (err)
		return err;
	if (argc - cmd_at > RUN_MAX_ARGS)
		return run_errf(e, EINVAL, "the command has more than %d words", RUN_MAX_ARGS);
	c->argv = calloc((size_t)(argc - cmd_at) + 1, sizeof(*c->argv));
	if (!c->argv)
		return run_errf(e, ENOMEM, "out of memory");
	for (int i = cmd_at; i < argc; i++)
		if (!(c->argv[i - cmd_at] = strdup(argv[i])))
			return run_errf(e, ENOMEM, "out of memory");
	return 0;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void run_config_free(struct run_config *c)
{
	const struct arg_opt lists[] = {
		{ "network", 0, ARG_LIST, &c->networks },
		{ "publish", 0, ARG_LIST, &c->ports },
		{ "env", 0, ARG_LIST, &c->env },
		{}
	};

	args_free(lists);
	strv_free(c->argv);
	strv_free(c->envp);
	c->argv = c->envp = NULL;
	bpfnet__close(c->bn);
	c->bn = NULL;
}

/* ---- identity ---- */

static int make_id(char id[RUN_ID_LEN + 1], struct run_err *e)
{
	unsigned char raw[RUN_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return run_errf(e, errno ? errno : EIO, "getrandom: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* RFC 1123 labels, as docker takes --hostname: letters, digits, '-', dots between labels. */
static bool hostname_valid(const char *h)
{
	size_t len = strlen(h), label = 0;

	if (!len || len > 63)
		return false;
	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label)) {
			label++;
		} else {
			return false;
		}
	}
	return label && h[len - 1] != '-';
}

static int check_identity(struct run_config *c, struct run_err *e)
{
	struct container_record other;
	int err;

	if ((err = make_id(c->id, e)))
		return err;
	if (c->name_opt) {
		if (!record_name_valid(c->name_opt, e))
			return -EINVAL;
		strcpy(c->name, c->name_opt);
	} else {
		snprintf(c->name, sizeof(c->name), "%.*s", RUN_SHORT_ID_LEN, c->id);
	}
	if (c->hostname_opt && !hostname_valid(c->hostname_opt))
		return run_errf(e, EINVAL, "invalid hostname '%s': at most 63 letters, digits, "
				"'-' and dots between labels", c->hostname_opt);
	/* docker's default: the short ID, whatever the name */
	if (c->hostname_opt)
		snprintf(c->hostname, sizeof(c->hostname), "%s", c->hostname_opt);
	else
		snprintf(c->hostname, sizeof(c->hostname), "%.*s", RUN_SHORT_ID_LEN, c->id);
	err = record_load(c->name, &other, e);
	if (!err) {
		err = run_errf(e, EEXIST, "container name '%s' is in use by container %.12s "
			       "('bpfnet rm %s' removes it)", c->name, other.id, c->name);
		record_free(&other);
		return err;
	}
	if (err != -ENOENT)
		return err;
	return 0;
}

/* ---- limits ---- */

static int check_limits(struct run_config *c, struct run_err *e)
{
	struct cgroup *cg;
	pid_t *pids = NULL;
	size_t n = 0;
	int err;

	if ((c->memory_opt && (err = cg_limits_parse_memory(c->memory_opt,
							     &c->limits.memory_bytes, e))) ||
	    (c->cpus_opt && (err = cg_limits_parse_cpus(c->cpus_opt, &c->limits, e))) ||
	    (c->pids_opt && (err = cg_limits_parse_pids(c->pids_opt, &c->limits.pids_max, e))))
		return err;
	/* a cgroup of that name with processes in it is not ours to take */
	if (cg_open(c->name, &cg, NULL))
		return 0;
	err = cg_pids(cg, &pids, &n, NULL);
	cg_free(cg);
	free(pids);
	if (!err && n)
		return run_errf(e, EEXIST, "cgroup '%s' exists with %zu processes in it", c->name, n);
	return 0;
}

/* ---- the networks ---- */

static int open_instance(struct run_config *c, struct run_err *e)
{
	const struct bpfnet_opts *o = c->g->open_opts;
	const char *bpffs = o && o->bpffs ? o->bpffs : getenv("BPFNET_BPFFS");
	int err;

	snprintf(c->instance, sizeof(c->instance), "%s",
		 o && o->instance ? o->instance : "default");
	snprintf(c->bpffs, sizeof(c->bpffs), "%s", bpffs ? bpffs : "");
	if (c->net_mode != NET_ATTACHED)
		return 0;
	err = bpfnet__open(o, &c->bn);
	if (err)
		return run_errf(e, -err, "cannot open bpfnet instance '%s': %s", c->instance,
				bpfnet__errmsg(NULL));
	return 0;
}

static int parse_networks(struct run_config *c, struct run_err *e)
{
	bool special = false;

	c->net_mode = NET_NONE;
	for (size_t i = 0; i < c->networks.n; i++) {
		const char *n = c->networks.v[i];

		if (!strcmp(n, "none") || !strcmp(n, "host")) {
			if (c->networks.n > 1)
				return run_errf(e, EINVAL, "--network %s cannot be given with other "
						"networks", n);
			c->net_mode = !strcmp(n, "host") ? NET_HOST : NET_NONE;
			special = true;
			continue;
		}
		c->nets[c->n_nets++].network = n;
		c->net_mode = NET_ATTACHED;
	}
	if (c->ip_opt) {
		if (c->net_mode != NET_ATTACHED)
			return run_errf(e, EINVAL, "--ip needs a --network of the node (not %s)",
					special ? c->networks.v[0] : "none");
		if (bpfnet_addr_parse(c->ip_opt, &c->nets[0].ip))
			return run_errf(e, EINVAL, "--ip %s: %s", c->ip_opt, bpfnet__errmsg(NULL));
	}
	for (size_t i = 0; i < c->ports.n; i++)
		if (bpfnet_port_spec_parse(c->ports.v[i], &c->ports_m[c->n_ports++]))
			return run_errf(e, EINVAL, "-p %s: %s", c->ports.v[i], bpfnet__errmsg(NULL));
	if (c->n_ports && c->net_mode != NET_ATTACHED)
		return run_errf(e, EINVAL, "-p needs a --network of the node: with %s there is no "
				"address to publish", c->net_mode == NET_HOST ? "host networking"
				: "no network");
	return 0;
}

static int check_networks(struct run_config *c, struct run_err *e)
{
	int err;

	if ((err = parse_networks(c, e)) || (err = open_instance(c, e)))
		return err;
	if (c->net_mode != NET_HOST && netns_exists(c->name))
		return run_errf(e, EEXIST, "netns '%s' exists already (%s/%s)", c->name,
				RUN_NETNS_DIR, c->name);
	if (c->net_mode != NET_ATTACHED)
		return 0;
	return netattach_check(c->bn, c->name, c->nets, c->n_nets, c->ports_m, c->n_ports, e);
}

/* ---- the environment and the command ---- */

static int env_set(char **envp, size_t *n, const char *kv, size_t key_len)
{
	char *copy = strdup(kv);

	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (!strncmp(envp[i], kv, key_len) && envp[i][key_len] == '=') {
			free(envp[i]);
			envp[i] = copy;
			return 0;
		}
	}
	envp[(*n)++] = copy;
	return 0;
}

/* docker's: PATH, HOSTNAME, HOME (and TERM on a terminal), then -e K=V (-e K: ours, if set). */
static int build_env(struct run_config *c, struct run_err *e)
{
	char host[BPFNET_NAME_MAX + 16];
	size_t n = 0;
	int err = 0;

	c->envp = calloc(c->env.n + 5, sizeof(*c->envp));
	if (!c->envp)
		return run_errf(e, ENOMEM, "out of memory");
	snprintf(host, sizeof(host), "HOSTNAME=%s", c->hostname);
	err = env_set(c->envp, &n, "PATH=" DEFAULT_PATH, 4) ?: env_set(c->envp, &n, host, 8) ?:
	      env_set(c->envp, &n, "HOME=/root", 4);
	if (!err && !c->detach && isatty(STDIN_FILENO))
		err = env_set(c->envp, &n, "TERM=xterm", 4);
	for (size_t i = 0; !err && i < c->env.n; i++) {
		const char *kv = c->env.v[i], *eq = strchr(kv, '=');
		size_t key_len = eq ? (size_t)(eq - kv) : strlen(kv);
		char *val, *kv_copy;

		if (!key_len)
			return run_errf(e, EINVAL, "-e '%s': no variable name before '='", kv);
		if (eq) {
			err = env_set(c->envp, &n, kv, key_len);
			continue;
		}
		if (!(val = getenv(kv)))
			continue;
		if (asprintf(&kv_copy, "%s=%s", kv, val) < 0)
			return run_errf(e, ENOMEM, "out of memory");
		err = env_set(c->envp, &n, kv_copy, key_len);
		free(kv_copy);
	}
	return err ? run_errf(e, ENOMEM, "out of memory") : 0;
}

static const char *env_path(char *const *envp)
{
	for (size_t i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			return envp[i] + 5;
	return DEFAULT_PATH;
}

/* Is @cmd found in @path under @root ("" : the host's), as execvp() would look for it? */
static bool command_found(const char *root, const char *cmd, const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strchr(cmd, '/')) {
		if (cmd[0] != '/')
			return true;	/* relative to the working directory: init says */
		snprintf(buf, sizeof(buf), "%s%s", root, cmd);
		return *root ? !lstat(buf, &st) : !access(buf, X_OK);
	}
	for (const char *p = path; ; p = strchr(p, ':') + 1) {
		size_t len = strcspn(p, ":");

		snprintf(buf, sizeof(buf), "%s%.*s/%s", root, (int)len, len ? p : ".", cmd);
		/* lstat in a rootfs: its symlinks (busybox applets) point inside it, not here */
		if (*root ? !lstat(buf, &st) : !access(buf, X_OK))
			return true;
		if (!p[len])
			return false;
	}
}

static int check_command(struct run_config *c, struct run_err *e)
{
	struct stat st;
	int err;

	if (c->workdir_opt && (c->workdir_opt[0] != '/' ||
			       strlen(c->workdir_opt) >= BPFNET_PATH_MAX))
		return run_errf(e, EINVAL, "-w %s: the working directory must be an absolute path "
				"(of at most %d characters)", c->workdir_opt, BPFNET_PATH_MAX - 1);
	if (c->workdir_opt)
		strcpy(c->workdir, c->workdir_opt);
	if (c->rootfs_opt) {
		if (stat(c->rootfs_opt, &st))
			return run_errf(e, errno, "--rootfs %s: %s", c->rootfs_opt, strerror(errno));
		if (!S_ISDIR(st.st_mode))
			return run_errf(e, ENOTDIR, "--rootfs %s is not a directory", c->rootfs_opt);
		if (!realpath(c->rootfs_opt, c->rootfs))
			return run_errf(e, errno, "--rootfs %s: %s", c->rootfs_opt, strerror(errno));
		if (strlen(c->rootfs) >= BPFNET_PATH_MAX)
			return run_errf(e, ENAMETOOLONG, "--rootfs %s: a path of at most %d "
					"characters", c->rootfs, BPFNET_PATH_MAX - 1);
		if (!strcmp(c->rootfs, "/"))
			*c->rootfs = 0;	/* the host's own files: nothing to pivot into */
	}
	if ((err = build_env(c, e)))
		return err;
	if (!command_found(c->rootfs, c->argv[0], env_path(c->envp)))
		return run_errf(e, ENOENT, "%s: command not found in %s%s", c->argv[0],
				*c->rootfs ? "the PATH of rootfs " : "PATH",
				*c->rootfs ? c->rootfs : "");
	return 0;
}

int run_config_check(struct run_config *c, struct run_err *e)
{
	int err;

	if ((err = check_identity(c, e)) || (err = check_limits(c, e)) ||
	    (err = check_command(c, e)) || (err = check_networks(c, e)))
		return err;
	return 0;
}

void run_config_record(const struct run_config *c, struct container_record *r)
{
	memset(r, 0, sizeof(*r));
	strcpy(r->id, c->id);
	strcpy(r->name, c->name);
	strcpy(r->instance, c->instance);
	strcpy(r->bpffs, c->bpffs);
	if (c->net_mode != NET_HOST)
		netns_path(c->name, r->netns, sizeof(r->netns));
	r->state = CONTAINER_CREATED;
	r->exit_status = -1;
	r->detached = c->detach;
	r->auto_remove = c->auto_remove;
	r->userns = false;	/* true once a range is taken */
	r->argv = c->argv;
	r->env = c->envp;
	snprintf(r->hostname, sizeof(r->hostname), "%s", c->hostname);
	/* check_command() refused a longer one */
	memcpy(r->rootfs, c->rootfs, strnlen(c->rootfs, sizeof(r->rootfs) - 1));
	strcpy(r->workdir, c->workdir);
	strcpy(r->network_mode, c->net_mode == NET_HOST ? "host" :
	       c->net_mode == NET_NONE ? "none" : "networks");
	for (size_t i = 0; i < c->n_ports; i++)
		bpfnet_port_spec(&c->ports_m[i], r->ports[i], sizeof(r->ports[i]));
	r->n_ports = c->n_ports;
	r->created = time(NULL);
}
