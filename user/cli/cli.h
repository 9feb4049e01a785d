/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The bpfnet CLI: a thin layer of argument parsing and output over libbpfnet. */
#ifndef BPFNET_CLI_H
#define BPFNET_CLI_H

#include <stdbool.h>
#include <jansson.h>
#include "bpfnet/bpfnet.h"

/* Exit codes. */
#define EXIT_OK 0
#define EXIT_FAIL 1	/* the operation failed; state is as it was */
#define EXIT_USAGE 2	/* the command line was wrong; nothing was tried */

struct cli {
	struct bpfnet *bn;
	bool json;
};

/* One command: "network create" -> do_network_create(cli, argc, argv after the verb). */
struct cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;	/* arguments after the verb */
};

/* An option of a command: --name VALUE (or --name=VALUE), or a flag --name (value NULL). */
struct opt {
	const char *name;
	const char **value;
	int *flag;
};
#define OPT(n, v) { .name = (n), .value = (v) }
#define FLAG(n, f) { .name = (n), .flag = (f) }

/*
 * Split @argv into options from @opts and up to @max_pos positionals (which
 * must number at least @min_pos). Prints a usage error and returns -1 on
 * anything unknown, missing or extra.
 */
int parse_args(const struct cmd *cmd, int argc, char **argv, const struct opt *opts,
	       const char **pos, int min_pos, int max_pos);
/* Dispatch argv[0] among @cmds by unique prefix. */
int dispatch(struct cli *cli, const char *object, const struct cmd *cmds, int argc, char **argv);

/* --json: usage errors are JSON too. */
extern bool json_errors;

/* Report a failed library call in words (or JSON) and return EXIT_FAIL. */
int report_error(struct cli *cli, int err);
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An error before any library call could say it (no handle yet): EXIT_FAIL. */
int fail_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print @j (stolen) as indented JSON. */
void print_json(json_t *j);
json_t *json_ip(const struct bpfnet_addr *a);
json_t *json_mac(const uint8_t mac[6]);
const char *ip_str(const struct bpfnet_addr *a, char *buf);	/* buf: BPFNET_ADDRSTRLEN */
/* A value the library parses (address, mode, -p spec): its words on failure, EXIT_USAGE. */
int value_error(void);

extern const struct cmd network_cmds[], endpoint_cmds[], port_cmds[], ct_cmds[], fdb_cmds[];
int do_init(struct cli *cli, int argc, char **argv);
int do_down(struct cli *cli, int argc, char **argv);
int do_status(struct cli *cli, int argc, char **argv);
int do_stats(struct cli *cli, int argc, char **argv);
int do_check(struct cli *cli, int argc, char **argv);

#endif
