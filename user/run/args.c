// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The runtime's command lines: options (repeatable ones too), positionals, a command. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

static const struct arg_opt *find_long(const struct arg_opt *opts, const char *name, size_t len)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

static const struct arg_opt *find_short(const struct arg_opt *opts, char c)
{
	for (; opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

static int take_value(const struct arg_opt *o, const char *value, struct run_err *e)
{
	struct arg_list *l = o->dst;

	if (o->kind == ARG_VALUE) {
		*(const char **)o->dst = value;
		return 0;
	}
	if (l->n == l->max)
		return run_errf(e, EINVAL, "option '--%s' given more than %zu times", o->name, l->max);
	if (!l->v && !(l->v = calloc(l->max, sizeof(*l->v))))
		return run_errf(e, ENOMEM, "out of memory");
	l->v[l->n++] = value;
	return 0;
}

/*
 * The option at argv[*i] (which starts with '-'): its value from "=VALUE",
 * the rest of a short option ("-p80:80") or the next word.
 */
static int take_option(const struct arg_spec *spec, int argc, char **argv, int *i,
		       struct run_err *e)
{
	const char *arg = argv[*i], *value = NULL, *eq;
	const struct arg_opt *o;
	char shown[64];

	if (arg[1] == '-') {
		eq = strchr(arg + 2, '=');
		o = find_long(spec->opts, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (eq)
			value = eq + 1;
	} else {
		o = find_short(spec->opts, arg[1]);
		if (arg[2])
			value = arg + 2;
	}
	if (!o)
		return run_errf(e, EINVAL, "unknown option '%s' for '%s'", arg, spec->cmd);
	if (arg[1] == '-')
		snprintf(shown, sizeof(shown), "--%s", o->name);
	else
		snprintf(shown, sizeof(shown), "-%c", o->short_name);
	if (o->kind == ARG_FLAG) {
		if (value)
			return run_errf(e, EINVAL, "option '%s' takes no value", shown);
		*(bool *)o->dst = true;
		return 0;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return run_errf(e, EINVAL, "option '%s' needs a value", shown);
		value = argv[++*i];
	}
	return take_value(o, value, e);
}

int args_parse(const struct arg_spec *spec, int argc, char **argv, const char **pos, int *n_pos,
	       int *cmd_at, struct run_err *e)
{
	bool options = true;
	int err, i;

	*n_pos = 0;
	if (cmd_at)
		*cmd_at = argc;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (options && !strcmp(arg, "--")) {
			options = false;
			if (spec->command && *n_pos >= spec->min_pos) {
				i++;
				break;
			}
			continue;
		}
		if (options && arg[0] == '-' && arg[1]) {
			if ((err = take_option(spec, argc, argv, &i, e)))
				return err;
			continue;
		}
		if (spec->command && *n_pos == spec->max_pos)
			break;
		if (*n_pos == spec->max_pos)
			return run_errf(e, EINVAL, "'%s' takes %s%d argument%s, '%s' is one too many",
					spec->cmd, spec->min_pos == spec->max_pos ? "" : "at most ",
					spec->max_pos, spec->max_pos == 1 ? "" : "s", arg);
		pos[(*n_pos)++] = arg;
		/* exec: the options are before NAME, the command after it */
		if (spec->command && *n_pos == spec->max_pos) {
			i++;
			if (i < argc && !strcmp(argv[i], "--"))
				i++;
			break;
		}
	}
	if (*n_pos < spec->min_pos)
		return run_errf(e, EINVAL, "'%s' needs %s", spec->cmd,
				spec->min_pos == 1 ? "a container name" : "more arguments");
	if (spec->command) {
		if (i >= argc)
			return run_errf(e, EINVAL, "'%s' needs a command after its options", spec->cmd);
		*cmd_at = i;
	}
	return 0;
}

void args_free(const struct arg_opt *opts)
{
	for (; opts->name; opts++) {
		if (opts->kind == ARG_LIST) {
			struct arg_list *l = opts->dst;

			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	}
}
