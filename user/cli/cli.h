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
	const struct bpfnet_opts *open_opts;	/* how main opens the instance (the runtime's too) */
	bool json;
	const struct cmd *cmd;	/* the command running: its error hints */
	/* what the command names (cli_ref()): on ENOENT, the one missing gets a hint */
	const char *ref_kind[2], *ref_name[2];
};

/*
 * One command: "network create" -> do_create(cli, argc, argv after the verb).
 * The tables of these are the one source of the dispatch, `bpfnet help`, the
 * man page and the bash completion (commands.c).
 */
struct cmd {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage;	/* arguments after the verb; its --options are the completion's */
	const char *summary;	/* what it does, in sentences: help and the man page */
	unsigned int flags;
};
#define CMD_NODE (1U << 0)	/* needs an initialized node: ENOENT may mean "run init" */
#define CMD_NO_HANDLE (1U << 1)	/* runs without opening the instance (help, version) */

/*
 * An option of a command: --name VALUE (or --name=VALUE), or a flag --name
 * (value NULL); @short_name: the same as -c.
 */
struct opt {
	const char *name;
	const char **value;
	int *flag;
	char short_name;
};
#define OPT(n, v) { .name = (n), .value = (v) }
#define FLAG(n, f) { .name = (n), .flag = (f) }
#define QUIET(f) { .name = "quiet", .flag = (f), .short_name = 'q' }

/*
 * Split @argv into options from @opts and up to @max_pos positionals (which
 * must number at least @min_pos). Prints a usage error and returns -1 on
 * anything unknown, missing or extra.
 */
int parse_args(const struct cmd *cmd, int argc, char **argv, const struct opt *opts,
	       const char **pos, int min_pos, int max_pos);

/* --json: usage errors are JSON too. */
extern bool json_errors;

/*
 * Report a failed library call in words (or JSON): its stable code, and a hint
 * of what to run by errno and the names the command gave (cli_ref()). Returns
 * EXIT_USAGE for a value refused whatever the node's state (EINVAL), else EXIT_FAIL.
 */
int report_error(struct cli *cli, int err);
/* The node's uplinks as --uplink takes them: "eth0,eth1". */
const char *uplinks_str(const struct bpfnet_node_info *info, char *buf, size_t len);
/* The command names @name, a @kind ("network", "endpoint"): see report_error(). */
void cli_ref(struct cli *cli, const char *kind, const char *name);
/* The command line is wrong (unknown option, missing argument): EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A value on the command line is wrong (an MTU, an instance name): EXIT_USAGE. */
int value_errorf(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error before any library call could say it (no handle yet): EXIT_FAIL. */
int fail_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The general form: exit code, stable code string, errno (positive), message. */
int cli_error(int exit_code, const char *code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* One stable error code (README, the man page's ERRORS): how errnos map to them. */
struct err_code {
	const char *code;
	int errnum;		/* the errno it stands for; 0: the CLI's own */
	int exit_code;
	const char *meaning;
};
extern const struct err_code err_codes[];
const struct err_code *err_code_of(int errnum);
/* Print @j (stolen) as indented JSON. */
void print_json(json_t *j);
json_t *json_ip(const struct bpfnet_addr *a);
json_t *json_mac(const uint8_t mac[6]);
const char *ip_str(const struct bpfnet_addr *a, char *buf);	/* buf: BPFNET_ADDRSTRLEN */
/* A value the library parses (address, mode, -p spec): its words on failure, EXIT_USAGE. */
int value_error(void);

extern const struct cmd network_cmds[], endpoint_cmds[], port_cmds[], ct_cmds[], fdb_cmds[];
extern const struct cmd cni_cmds[];	/* cmd_cni.c: bpfnet cni config */
extern const struct cmd init_cmd, down_cmd, status_cmd, stats_cmd, check_cmd;
/* cmd_container.c: the container runtime's commands */
extern const struct cmd run_cmd, exec_cmd, ps_cmd, logs_cmd, stop_cmd, rm_cmd;
int do_init(struct cli *cli, int argc, char **argv);
int do_down(struct cli *cli, int argc, char **argv);
int do_status(struct cli *cli, int argc, char **argv);
int do_stats(struct cli *cli, int argc, char **argv);
extern const struct cmd monitor_cmd;	/* cmd_monitor.c */
int do_monitor(struct cli *cli, int argc, char **argv);
int do_check(struct cli *cli, int argc, char **argv);
/* cmd_node.c: the conntrack fill as status and stats show it. */
/* The pressure warning into @buf, or NULL when the table is below BPFNET_CT_PRESSURE_PCT. */
const char *ct_warning(const struct bpfnet_ct_summary *ct, char *buf, size_t len);
json_t *ct_json(const struct bpfnet_ct_summary *ct);
json_t *warnings_json(const struct bpfnet_ct_summary *ct);	/* [ct_warning()] or [] */
/* One issue of a check, as check --json prints it: {kind, object, message, repaired}. */
json_t *check_issue_json(const struct bpfnet_check_issue *i);

/* ---- commands.c: the command table, help, man page, completion words ---- */

struct object {
	const char *name;
	const char *alias;	/* "ep" for endpoint; NULL */
	const struct cmd *cmds;	/* verbs (ending in {}), or */
	const struct cmd *cmd;	/* a command of its own (init, status, ...) */
	const char *summary;	/* for the object's help */
};
extern const struct object objects[];

/* Find the object of @word (name, alias, unique prefix); NULL after a usage error. */
const struct object *object_find(const char *word);
/* Find the verb @word of @obj (name, alias such as ls/list, unique prefix); NULL: error said. */
const struct cmd *verb_find(const struct object *obj, const char *word);
/* The verb of @c ("create" of "network create"), or its whole name for a single command. */
const char *cmd_verb(const struct cmd *c);
/* `bpfnet help`, `bpfnet OBJECT --help`, `bpfnet OBJECT VERB --help`, in words or JSON. */
int help_all(struct cli *cli, FILE *f);
int help_object(struct cli *cli, const struct object *obj, FILE *f);
int help_cmd(struct cli *cli, const struct cmd *c);
/* The object was given without its verb: a usage error naming them. */
int object_needs_verb(const struct object *obj);
extern const struct cmd help_cmd_def, version_cmd;

#endif
