// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container commands (run, exec, ps, logs, stop, rm): their table entries
 * and the step into the runtime (user/run, through run/cmd_run.h alone). The
 * runtime opens the instance itself, only when a network needs it, so these
 * run without a handle; their errors are printed here, in the CLI's form.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run/cmd_run.h"

static struct cli *current;

/* The runtime's errors, as every command of the CLI prints them (--json: JSON). */
static int run_error(bool usage, int errnum, const char *msg)
{
	const struct err_code *c;

	if (usage)
		return usage_error("%s (usage: bpfnet %s %s)", msg, current->cmd->name,
				   current->cmd->usage);
	c = err_code_of(errnum);
	return cli_error(c->exit_code, c->code, errnum, "error: %s", msg);
}

/* --help or -h before the container's command ("--" or, for run and exec, its first word). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

static int enter(struct cli *cli, int argc, char **argv,
		 int (*fn)(const struct run_globals *g, int argc, char **argv))
{
	const struct run_globals g = { .open_opts = cli->open_opts, .json = cli->json,
				       .error = run_error };

	if (wants_help(argc, argv))
		return help_cmd(cli, cli->cmd);
	current = cli;
	return fn(&g, argc, argv);
}

static int do_run(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_run);
}

static int do_exec(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_exec);
}

static int do_ps(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_ps);
}

static int do_logs(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_logs);
}

static int do_stop(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_stop);
}

static int do_rm(struct cli *cli, int argc, char **argv)
{
	return enter(cli, argc, argv, run_cmd_rm);
}

const struct cmd run_cmd = {
	"run", do_run,
	"[--name N] [--network NET|none|host]... [--ip IP] [-p SPEC]... [--hostname H] "
	"[--rootfs DIR] [--memory BYTES] [--cpus N] [--pids N] [--userns] [-e K=V]... "
	"[-w DIR] [-d] [--rm] -- CMD [ARG...]",
	"Run CMD in a container: new PID, mount, UTS, IPC and network namespaces (a cgroup "
	"namespace, and with --userns a user namespace whose root is an unprivileged range "
	"outside), a small init as PID 1 that forwards signals and reaps orphans, limits in a "
	"cgroup of its own. --network NET attaches it to a network of the instance (given "
	"again: more attachments, eth1...; the first has the default route), none leaves it "
	"only lo, host keeps the node's; the default is none. -p publishes ports of the first "
	"attachment as docker run -p. --rootfs pivots into DIR with /proc, a read-only /sys, "
	"a minimal /dev and /etc/hosts, hostname, resolv.conf written as Docker writes them; "
	"without it the container has the host's files and its own /proc. The hostname is "
	"the short ID unless --hostname; the name that ID's first 12 characters unless --name. "
	"In the foreground run waits, with the container's stdio, and exits with its status "
	"(128+N for signal N; 137 when its memory limit killed it); -d detaches (output to "
	"'bpfnet logs NAME') and prints the ID; --rm removes it when it ends. Its network "
	"namespace is kept in /var/run/netns/NAME, as ip netns keeps them.",
	CMD_NO_HANDLE
};
const struct cmd exec_cmd = {
	"exec", do_exec, "[-e K=V]... [-w DIR] NAME -- CMD [ARG...]",
	"Run CMD in every namespace and in the cgroup of the running container NAME (a name, "
	"or a unique prefix of its ID), with its environment and -e on top; exit with CMD's "
	"status.", CMD_NO_HANDLE
};
const struct cmd ps_cmd = {
	"ps", do_ps, "[-a] [-q] [--json]",
	"List the containers that are running (or being created); -a those that have ended "
	"too, with their exit status; -q their names only.", CMD_NO_HANDLE
};
const struct cmd logs_cmd = {
	"logs", do_logs, "NAME [-f]",
	"Print the output of the detached (run -d) container NAME; -f follows it until the "
	"container has ended.", CMD_NO_HANDLE
};
const struct cmd stop_cmd = {
	"stop", do_stop, "NAME... [-t SECS]",
	"Stop a container: SIGTERM to its command (through init), then after SECS (default "
	"10) SIGKILL to every process of its cgroup. Its network attachments, cgroup and "
	"netns go with it; its record stays for ps -a until rm.", CMD_NO_HANDLE
};
const struct cmd rm_cmd = {
	"rm", do_rm, "[-f] NAME...",
	"Remove a container that has ended: its network attachments, cgroup, netns, userns "
	"range and record, whatever a killed command left of them. A running one is refused "
	"unless -f, which kills it first.", CMD_NO_HANDLE
};
