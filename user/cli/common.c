// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Argument parsing, dispatch and output helpers shared by every command. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

bool json_errors;

static int cli_error(int exit_code, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json_errors)
		print_json(json_pack("{s:{s:s, s:i}}", "error", "message", msg, "exit", exit_code));
	else
		fprintf(stderr, "bpfnet: %s\n", msg);
	return exit_code;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_error(EXIT_USAGE, fmt, ap);
	va_end(ap);
	return ret;
}

int fail_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = cli_error(EXIT_FAIL, fmt, ap);
	va_end(ap);
	return ret;
}

static const struct opt *find_opt(const struct opt *opts, const char *arg, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, arg, len))
			return opts;
	return NULL;
}

int parse_args(const struct cmd *cmd, int argc, char **argv, const struct opt *opts,
	       const char **pos, int min_pos, int max_pos)
{
	int n_pos = 0;

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '=');
		const struct opt *o;

		if (strncmp(arg, "--", 2) || !arg[2]) {
			if (n_pos == max_pos)
				goto usage;
			pos[n_pos++] = arg;
			continue;
		}
		o = find_opt(opts, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (!o) {
			usage_error("unknown option '%s' for '%s' (usage: bpfnet %s %s)", arg,
				    cmd->name, cmd->name, cmd->usage);
			return -1;
		}
		if (o->flag && !eq) {
			*o->flag = 1;
		} else if (o->flag) {
			usage_error("option '--%s' takes no value", o->name);
			return -1;
		} else if (eq) {
			*o->value = eq + 1;
		} else if (i + 1 < argc) {
			*o->value = argv[++i];
		} else {
			usage_error("option '%s' needs a value", arg);
			return -1;
		}
	}
	if (n_pos >= min_pos)
		return 0;
usage:
	usage_error("usage: bpfnet %s %s", cmd->name, cmd->usage);
	return -1;
}

int dispatch(struct cli *cli, const char *object, const struct cmd *cmds, int argc, char **argv)
{
	const struct cmd *match = NULL;
	size_t len;

	if (argc < 1 || !strcmp(argv[0], "help")) {
		fprintf(argc < 1 ? stderr : stdout, "usage:\n");
		for (const struct cmd *c = cmds; c->name; c++)
			fprintf(argc < 1 ? stderr : stdout, "  bpfnet %s %s\n", c->name, c->usage);
		return argc < 1 ? EXIT_USAGE : EXIT_OK;
	}
	len = strlen(argv[0]);
	for (const struct cmd *c = cmds; c->name; c++) {
		const char *verb = strchr(c->name, ' ') ? strchr(c->name, ' ') + 1 : c->name;

		if (!strcmp(verb, argv[0]))
			return c->run(cli, argc - 1, argv + 1);
		if (!strncmp(verb, argv[0], len)) {
			if (match)
				return usage_error("'%s %s' is ambiguous", object, argv[0]);
			match = c;
		}
	}
	if (!match)
		return usage_error("unknown command '%s %s' (try 'bpfnet %s help')", object,
				   argv[0], object);
	return match->run(cli, argc - 1, argv + 1);
}

void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputs("\n", stdout);
	json_decref(j);
}

int report_error(struct cli *cli, int err)
{
	const char *msg = bpfnet__errmsg(cli->bn);

	if (!*msg)
		msg = strerror(-err);
	if (cli->json)
		print_json(json_pack("{s:{s:s, s:i}}", "error", "message", msg, "errno", -err));
	else
		fprintf(stderr, "bpfnet: error: %s\n", msg);
	return EXIT_FAIL;
}

/* No address (an internal network's endpoint has no gateway) reads 0.0.0.0, as it always has. */
const char *ip_str(const struct bpfnet_addr *a, char *buf)
{
	if (a->family == AF_UNSPEC)
		return strcpy(buf, "0.0.0.0");
	return bpfnet_addr_str(a, buf, BPFNET_ADDRSTRLEN);
}

json_t *json_ip(const struct bpfnet_addr *a)
{
	char buf[BPFNET_ADDRSTRLEN];

	return json_string(ip_str(a, buf));
}

int value_error(void)
{
	return usage_error("%s", bpfnet__errmsg(NULL));
}

json_t *json_mac(const uint8_t mac[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return json_string(buf);
}
