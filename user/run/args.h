/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The command lines of run, exec, ps, logs, stop and rm (args.c), as docker
 * takes them: --name VALUE, --name=VALUE, -p VALUE, -pVALUE, flags -d, -a;
 * options that may be repeated (--network, -p, -e) collect their values.
 * Options come first; a "--" or, for run and exec, the first word that is
 * not an option ends them, and the rest is the container's command.
 */
#ifndef BPFNET_RUN_ARGS_H
#define BPFNET_RUN_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include "run.h"

enum arg_kind {
	ARG_FLAG,	/* bool *flag */
	ARG_VALUE,	/* const char **value; given twice: the last */
	ARG_LIST,	/* struct arg_list *list: every value, in order */
};

struct arg_list {
	const char **v;
	size_t n, max;		/* max: how often it may be given */
};

struct arg_opt {
	const char *name;	/* "network": --network */
	char short_name;	/* 'p': -p; 0: none */
	enum arg_kind kind;
	void *dst;
};

struct arg_spec {
	const char *cmd;	/* "run": for the messages */
	const struct arg_opt *opts;	/* ending in {} */
	int min_pos, max_pos;	/* positionals before the command (NAME of exec) */
	bool command;		/* a command follows the positionals (run, exec) */
};

/*
 * Parse @argv against @spec: positionals into @pos (max_pos of them), and
 * with spec->command the index of the command's first word in *cmd_at
 * (argc: none given). -EINVAL with @e saying what is wrong.
 */
int args_parse(const struct arg_spec *spec, int argc, char **argv, const char **pos, int *n_pos,
	       int *cmd_at, struct run_err *e);

/* Free the arrays of the ARG_LIST options of @opts. */
void args_free(const struct arg_opt *opts);

#endif
