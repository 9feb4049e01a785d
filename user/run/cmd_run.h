/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runtime's commands, as the CLI dispatches them: argv after the verb, the
 * global options already taken (instance, bpffs, --json). Each returns the
 * CLI's exit code (0, 1 failed, 2 usage), or for run/exec the command's status.
 * Global options are taken by the CLI only before a "--": what follows it is
 * the container's command, word for word.
 */
#ifndef BPFNET_RUN_CMD_H
#define BPFNET_RUN_CMD_H

#include <stdbool.h>
#include <bpfnet/bpfnet.h>

/*
 * How the CLI prints an error (words on stderr, or its JSON on stdout with
 * --json): @usage for a wrong command line (exit 2; the CLI adds the
 * command's usage), else the code and exit status the CLI gives @errnum
 * (positive). Returns that exit status.
 */
typedef int (*run_error_fn)(bool usage, int errnum, const char *msg);

struct run_globals {
	const struct bpfnet_opts *open_opts;	/* how to open the instance, when a network needs it */
	bool json;
	run_error_fn error;
};

int run_cmd_run(const struct run_globals *g, int argc, char **argv);
int run_cmd_exec(const struct run_globals *g, int argc, char **argv);
int run_cmd_ps(const struct run_globals *g, int argc, char **argv);
int run_cmd_logs(const struct run_globals *g, int argc, char **argv);
int run_cmd_stop(const struct run_globals *g, int argc, char **argv);
int run_cmd_rm(const struct run_globals *g, int argc, char **argv);

#endif
