// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet: command-line front end of libbpfnet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * Global options may stand anywhere before a "--"; take them out and leave the command
 * words. What follows "--" is a container's command (run, exec): its words are its own.
 */
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

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			cli->json = true;
			continue;
		}
		if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
			argv[0] = "version";
			*argc = 1;
			return 0;
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
	argv[out] = NULL;
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
		return value_errorf(err, "%s is empty: give an instance name (1-32 letters, digits, '_', "
				   "'.', '-') or leave it out for 'default'", inst_src);
	if (err == -EINVAL)
		return value_errorf(err, "invalid instance name '%s' (%s): 1-32 letters, digits, '_', "
				   "'.', '-'", o->instance, inst_src);
	if (!bpffs || !*bpffs)
		return value_errorf(err, "%s is empty: give the directory a bpffs is mounted on, or "
				   "leave it out to use /sys/fs/bpf", bpffs_src);
	if (err == -ENOTDIR)
		return value_errorf(err, "%s %s is not a directory: give the directory a bpffs is "
				   "mounted on", bpffs_src, bpffs);
	if (err == -EMEDIUMTYPE)
		return value_errorf(err, "%s %s is not a bpffs mount: mount one there first (mount -t "
				   "bpf bpf %s)", bpffs_src, bpffs, bpffs);
	if (err == -ENOENT)
		return value_errorf(err, "%s %s does not exist: give the directory a bpffs is mounted on",
				   bpffs_src, bpffs);
	return value_errorf(err, "%s %s: %s", bpffs_src, bpffs, bpfnet__errmsg(NULL));
}

/* Any --help or -h among the command's arguments asks for its usage. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/*
 * The command of the words @argv (the object, its verb), or NULL when there
 * is none to run: then *ret is the exit status (help printed, or a usage error).
 */
static const struct cmd *find_cmd(struct cli *cli, int *argc, char ***argv, int *ret)
{
	const struct object *obj;
	const struct cmd *c;

	if (!strcmp((*argv)[0], "--help") || !strcmp((*argv)[0], "-h")) {
		*ret = help_all(cli, stdout);
		return NULL;
	}
	if (!(obj = object_find((*argv)[0]))) {
		*ret = EXIT_USAGE;
		return NULL;
	}
	(*argc)--;
	(*argv)++;
	if (obj->cmd) {
		c = obj->cmd;
	} else if (*argc < 1) {
		*ret = object_needs_verb(obj);
		return NULL;
	} else if (!strcmp((*argv)[0], "help") || wants_help(1, *argv)) {
		*ret = help_object(cli, obj, stdout);
		return NULL;
	} else if (!(c = verb_find(obj, (*argv)[0]))) {
		*ret = EXIT_USAGE;
		return NULL;
	} else {
		(*argc)--;
		(*argv)++;
	}
	if (!(c->flags & CMD_NO_HANDLE) && wants_help(*argc, *argv)) {
		*ret = help_cmd(cli, c);
		return NULL;
	}
	return c;
}

int main(int argc, char **argv)
{
	const char *env_instance = getenv("BPFNET_INSTANCE");
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = env_instance };
	struct cli cli = {};
	const struct cmd *c;
	int err, ret;

	argc--;
	argv++;
	/* known before the other global options are read, so their errors are JSON too */
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		json_errors |= !strcmp(argv[i], "--json") || !strcmp(argv[i], "-j");
	cli.json = json_errors;
	cli.open_opts = &o;
	if (take_globals(&argc, argv, &o, &cli))
		return EXIT_USAGE;
	if (argc < 1) {
		if (!json_errors)
			help_all(&cli, stderr);
		return usage_error("no command given (try 'bpfnet help')");
	}
	c = find_cmd(&cli, &argc, &argv, &ret);
	if (!c)
		return ret;
	cli.cmd = c;
	if (c->flags & CMD_NO_HANDLE)
		return c->run(&cli, argc, argv);
	/* the CLI is the process: libbpf's messages go where the library's do */
	bpfnet_set_print(bpfnet_set_print(NULL, 0), BPFNET_PRINT_LIBBPF);
	err = bpfnet__open(&o, &cli.bn);
	if (err)
		return open_error(&o, env_instance, err);
	ret = c->run(&cli, argc, argv);
	bpfnet__close(cli.bn);
	return ret;
}
