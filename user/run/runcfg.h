/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `bpfnet run`'s command line, checked (run_config.c), and the start of the
 * container it describes (cmd_run.c, detach.c).
 */
#ifndef BPFNET_RUN_RUNCFG_H
#define BPFNET_RUN_RUNCFG_H

#include <limits.h>
#include <stdbool.h>
#include "args.h"
#include "cgroup.h"
#include "cmd_run.h"
#include "netattach.h"
#include "record.h"

enum net_mode { NET_NONE, NET_HOST, NET_ATTACHED };

struct run_config {
	/* as given */
	const char *name_opt, *ip_opt, *hostname_opt, *rootfs_opt, *memory_opt, *cpus_opt;
	const char *pids_opt, *workdir_opt;
	struct arg_list networks, ports, env;
	bool userns, detach, auto_remove;
	/* checked and derived */
	char id[RUN_ID_LEN + 1];
	char name[RUN_NAME_MAX];
	char hostname[BPFNET_NAME_MAX];
	char rootfs[PATH_MAX];		/* "": none */
	char workdir[BPFNET_PATH_MAX];	/* "": "/" (a copy: init overwrites the caller's argv) */
	char instance[BPFNET_NAME_MAX];
	char bpffs[BPFNET_PATH_MAX];
	struct cg_limits limits;
	enum net_mode net_mode;
	struct run_net nets[RUN_MAX_NETWORKS];
	size_t n_nets;
	struct bpfnet_port_mapping ports_m[RUN_MAX_PORTS];
	size_t n_ports;
	char **argv;			/* NULL-terminated copies */
	char **envp;
	struct bpfnet *bn;		/* open while checking and attaching, with networks */
	const struct run_globals *g;
};

/* Parse `run`'s arguments into @c: -EINVAL (a usage error) with @e. */
int run_config_parse(struct run_config *c, int argc, char **argv, struct run_err *e);
/* Check everything that can be refused before anything is made, and derive the rest. */
int run_config_check(struct run_config *c, struct run_err *e);
void run_config_free(struct run_config *c);

/* @c's record, as written before anything of it is made. */
void run_config_record(const struct run_config *c, struct container_record *r);

/*
 * Record the container, make its parts and start it (its waiter is the
 * caller); *init_pid is init's. On failure everything made is removed again,
 * the record too. @stdio: the command's stdin, stdout, stderr (detached:
 * stdin, the others go to the log).
 */
int run_start(struct run_config *c, const int stdio[3], pid_t *init_pid, struct run_err *e);
/* Init has ended with @status: tear the container down (its waiter's last task). */
int run_finish(struct run_config *c, int status, bool *oom, struct run_err *e);

/* `run -d`: start it from a monitor process that outlives the caller; print its ID. */
int run_detached(struct run_config *c);

#endif
