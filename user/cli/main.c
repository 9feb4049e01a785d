// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet: command-line front end of libbpfnet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bpfnet [--instance NAME] [--json] [--bpffs DIR] OBJECT COMMAND [ARGS]\n"
		"\n"
		"  bpfnet init --uplink DEV           load the datapath and attach it to the uplink\n"
		"  bpfnet down                        detach, unpin and delete everything\n"
		"  bpfnet status                      the instance's node state and conntrack fill\n"
		"  bpfnet network create NAME --subnet CIDR [--mode l3|bridge] [--gateway IP]\n"
		"                      [--no-masquerade] [--internal]\n"
		"                      [--gateway-mode nat|routed|nat-unprotected]\n"
		"  bpfnet network ls | show NAME | rm NAME\n"
		"  bpfnet endpoint add NETWORK --netns NAME|PATH [--name EP] [--ip IP]\n"
		"                      [--ifname IF] [--mtu N]\n"
		"  bpfnet endpoint ls | show EP | rm EP\n"
		"  bpfnet port add EP SPEC [SPEC...]  publish ports, SPEC as docker -p:\n"
		"                      [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp]\n"
		"  bpfnet port rm EP SPEC [SPEC...] | port ls [EP]\n"
		"  bpfnet ct ls | ct flush | ct gc    connection tracking of NATed flows (gc: remove\n"
		"                                     the flows that are over)\n"
		"  bpfnet fdb ls [NETWORK]            where each MAC of the bridge networks lives\n"
		"  bpfnet stats                       counters per endpoint, drop reason and event;\n"
		"                                     conntrack fill (warns above 90%%)\n"
		"  bpfnet check [--repair]            does everything match the state? (exit 1 if not)\n"
		"  bpfnet version\n"
		"\n"
		"Options may stand anywhere. --json prints JSON, errors included.\n"
		"--instance (default 'default', or $BPFNET_INSTANCE) keeps pins under\n"
		"<bpffs>/bpfnet/NAME and state under /run/bpfnet/NAME.\n"
		"Exit status: 0 done, 1 failed (nothing changed), 2 bad command line.\n"
		"A command killed part-way is finished or undone by the next one.\n");
}

/* Global options may stand anywhere; take them out and leave the command words. */
/* Is @a the global option @name ("--name VALUE" or "--name=VALUE")? Then take its value. */
static bool global_value(const char *a, const char *name, int *argc, char **argv, int *i,
			 const char **val, int *err)
{
	size_t len = strlen(name);

	*err = 0;
	if (strncmp(a, name, len) || (a[len] && a[len] != '='))
		return false;
	if (a[len] == '=')
		*val = a + len + 1;
	else if (*i + 1 < *argc)
		*val = argv[++*i];
	else
		*err = usage_error("option '%s' needs a value", name);
	return true;
}

static int take_globals(int *argc, char **argv, struct bpfnet_opts *o, struct cli *cli)
{
	int out = 0, err;

	for (int i = 0; i < *argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			cli->json = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (global_value(a, "--instance", argc, argv, &i, &o->instance, &err) ||
		    global_value(a, "--bpffs", argc, argv, &i, &o->bpffs, &err)) {
			if (err)
				return err;
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	return 0;
}

/* bpfnet__open() refused the global options: say which, and how. */
static int open_error(const struct bpfnet_opts *o, const char *env_instance, int err)
{
	const char *inst_src = o->instance == env_instance ? "$BPFNET_INSTANCE" : "--instance";
	const char *bpffs = o->bpffs ? o->bpffs : getenv("BPFNET_BPFFS");
	const char *bpffs_src = o->bpffs ? "--bpffs" : "$BPFNET_BPFFS";

	if (err == -ENOMEM)
		return fail_error("out of memory");
	if (err == -EINVAL && o->instance && !*o->instance)
		return usage_error("%s is empty: give an instance name (1-32 letters, digits, '_', "
				   "'.', '-') or leave it out for 'default'", inst_src);
	if (err == -EINVAL)
		return usage_error("invalid instance name '%s' (%s): 1-32 letters, digits, '_', "
				   "'.', '-'", o->instance, inst_src);
	if (!bpffs || !*bpffs)
		return usage_error("%s is empty: give the directory a bpffs is mounted on, or "
				   "leave it out to use /sys/fs/bpf", bpffs_src);
	if (err == -ENOTDIR)
		return usage_error("%s %s is not a directory: give the directory a bpffs is "
				   "mounted on", bpffs_src, bpffs);
	if (err == -EMEDIUMTYPE)
		return usage_error("%s %s is not a bpffs mount: mount one there first (mount -t "
				   "bpf bpf %s)", bpffs_src, bpffs, bpffs);
	if (err == -ENOENT)
		return usage_error("%s %s does not exist: give the directory a bpffs is mounted on",
				   bpffs_src, bpffs);
	return usage_error("%s %s: %s", bpffs_src, bpffs, bpfnet__errmsg(NULL));
}

static const struct {
	const char *name;
	const struct cmd *cmds;	/* object with verbs */
	int (*run)(struct cli *cli, int argc, char **argv);	/* or a single command */
} objects[] = {
	{ "init", NULL, do_init },
	{ "down", NULL, do_down },
	{ "status", NULL, do_status },
	{ "network", network_cmds, NULL },
	{ "endpoint", endpoint_cmds, NULL },
	{ "port", port_cmds, NULL },
	{ "ct", ct_cmds, NULL },
	{ "fdb", fdb_cmds, NULL },
	{ "stats", NULL, do_stats },
	{ "check", NULL, do_check },
};

static int run_object(struct cli *cli, int argc, char **argv)
{
	size_t len = strlen(argv[0]), n = sizeof(objects) / sizeof(objects[0]), match = n;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(objects[i].name, argv[0], len))
			continue;
		if (match != n && strcmp(objects[i].name, argv[0]))
			return usage_error("'%s' is ambiguous", argv[0]);
		match = i;
		if (!strcmp(objects[i].name, argv[0]))
			break;
	}
	if (match == n)
		return usage_error("unknown object '%s' (try 'bpfnet help')", argv[0]);
	if (objects[match].cmds)
		return dispatch(cli, objects[match].name, objects[match].cmds, argc - 1, argv + 1);
	return objects[match].run(cli, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	const char *env_instance = getenv("BPFNET_INSTANCE");
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = env_instance };
	struct cli cli = {};
	int err, ret;

	argc--;
	argv++;
	/* known before the other global options are read, so their errors are JSON too */
	for (int i = 0; i < argc; i++)
		json_errors |= !strcmp(argv[i], "--json") || !strcmp(argv[i], "-j");
	if (take_globals(&argc, argv, &o, &cli))
		return EXIT_USAGE;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[0], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "version")) {
		printf(cli.json ? "{\"version\": \"%s\"}\n" : "bpfnet %s\n", bpfnet_version());
		return EXIT_OK;
	}
	/* the CLI is the process: libbpf's messages go where the library's do */
	bpfnet_set_print(bpfnet_set_print(NULL, 0), BPFNET_PRINT_LIBBPF);
	err = bpfnet__open(&o, &cli.bn);
	if (err)
		return open_error(&o, env_instance, err);
	ret = run_object(&cli, argc, argv);
	bpfnet__close(cli.bn);
	return ret;
}
