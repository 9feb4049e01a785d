// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Argument parsing, dispatch and output helpers shared by every command. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

bool json_errors;

const struct err_code err_codes[] = {
	{ "usage", 0, EXIT_USAGE, "The command line is wrong: an unknown option, a missing or "
	  "extra argument." },
	{ "unknown_command", 0, EXIT_USAGE, "No such object or command (the message names the "
	  "one probably meant)." },
	{ "invalid_value", EINVAL, EXIT_USAGE, "A value given is invalid whatever the node's "
	  "state: a CIDR, a name, an address, a port mapping, an MTU, a mode, more uplinks "
	  "than an instance takes." },
	{ "unsupported", EAFNOSUPPORT, EXIT_USAGE, "A value this build cannot take, such as an "
	  "IPv6 address." },
	{ "not_initialized", 0, EXIT_FAIL, "The node is not initialized, or its datapath's "
	  "pins are gone: run 'bpfnet init --uplink DEV'." },
	{ "not_found", ENOENT, EXIT_FAIL, "The network, endpoint, published port, network "
	  "namespace or device named does not exist." },
	{ "exists", EEXIST, EXIT_FAIL, "The name is taken, or the subnet overlaps a network, an "
	  "address or a route of the node." },
	{ "port_in_use", EADDRINUSE, EXIT_FAIL, "The host port is published already, by "
	  "another endpoint or twice in the same call." },
	{ "address_not_available", EADDRNOTAVAIL, EXIT_FAIL, "The host address is not one of "
	  "the node's." },
	{ "busy", EBUSY, EXIT_FAIL, "In use: a network with endpoints." },
	{ "no_space", ENOSPC, EXIT_FAIL, "No room left: addresses of the subnet, endpoints, "
	  "networks, ports of a bridge." },
	{ "no_device", ENODEV, EXIT_FAIL, "No such network device (an uplink, a macvlan "
	  "network's parent)." },
	{ "incompatible_datapath", EPROTO, EXIT_FAIL, "The pinned datapath is of another "
	  "bpfnet: take it down with that one, then init again." },
	{ "state_corrupt", EUCLEAN, EXIT_FAIL, "The instance's state file cannot be read." },
	{ "permission_denied", EPERM, EXIT_FAIL, "Not permitted: by the network (an internal "
	  "or a macvlan network publishes no port) or by the system (bpfnet needs root: CAP_NET_ADMIN, "
	  "CAP_BPF, CAP_SYS_ADMIN)." },
	{ "no_memory", ENOMEM, EXIT_FAIL, "Out of memory." },
	{ "failed", 0, EXIT_FAIL, "Any other failure: the message and the errno say what." },
	{}
};

static const struct err_code *code_named(const char *code)
{
	const struct err_code *e = err_codes;

	while (e->code && strcmp(e->code, code))
		e++;
	return e;	/* the table's end, if there is no such code */
}

const struct err_code *err_code_of(int errnum)
{
	if (errnum == EACCES)
		errnum = EPERM;
	/* too many values (uplinks) is a command line that is wrong on any node */
	if (errnum == E2BIG)
		errnum = EINVAL;
	for (const struct err_code *e = err_codes; e->code; e++)
		if (e->errnum && e->errnum == errnum)
			return e;
	return code_named("failed");
}

static int emit(int exit_code, const char *code, int errnum, const char *prefix, const char *msg)
{
	if (json_errors)
		print_json(json_pack("{s:{s:s, s:s, s:i}}", "error", "code", code, "message", msg,
				     "errno", errnum));
	else
		fprintf(stderr, "bpfnet: %s%s\n", prefix, msg);
	return exit_code;
}

static int verror(int exit_code, const char *code, int errnum, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return emit(exit_code, code, errnum, "", msg);
}

int cli_error(int exit_code, const char *code, int errnum, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(exit_code, code, errnum, fmt, ap);
	va_end(ap);
	return ret;
}

int usage_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(EXIT_USAGE, "usage", EINVAL, fmt, ap);
	va_end(ap);
	return ret;
}

int value_errorf(int err, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(EXIT_USAGE, "invalid_value", err < 0 ? -err : err, fmt, ap);
	va_end(ap);
	return ret;
}

int fail_error(const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = verror(EXIT_FAIL, "failed", 0, fmt, ap);
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

/* Short options are flags (-q): a value after one would be ambiguous with a positional. */
static const struct opt *find_short(const struct opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name == c && opts->flag)
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

		if (arg[0] == '-' && arg[1] && !arg[2] && (o = find_short(opts, arg[1]))) {
			*o->flag = 1;
			continue;
		}
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

void print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputs("\n", stdout);
	json_decref(j);
}

void cli_ref(struct cli *cli, const char *kind, const char *name)
{
	for (size_t i = 0; i < sizeof(cli->ref_kind) / sizeof(cli->ref_kind[0]); i++) {
		if (!cli->ref_kind[i]) {
			cli->ref_kind[i] = kind;
			cli->ref_name[i] = name;
			return;
		}
	}
}

/* Is the @kind named @name there? (A failed look-up counts as there: no hint then.) */
static bool ref_missing(struct cli *cli, const char *kind, const char *name)
{
	struct bpfnet_network_info net = { .sz = sizeof(net) };
	struct bpfnet_endpoint_info ep = { .sz = sizeof(ep) };

	if (!name)
		return false;
	if (!strcmp(kind, "network"))
		return bpfnet_network__get(cli->bn, name, &net) == -ENOENT;
	return bpfnet_endpoint__get(cli->bn, name, &ep) == -ENOENT;
}

/*
 * ENOENT: is it the node that is missing (a command that needs it, on a node
 * not initialized), one of the names the command gave, or a published port?
 */
static const char *enoent_hint(struct cli *cli, char *hint, size_t len)
{
	struct bpfnet_node_info info = { .sz = sizeof(info) };
	char list[BPFNET_UPLINK_MAX * IF_NAMESIZE];

	if (cli->cmd && (cli->cmd->flags & CMD_NODE) && !bpfnet_node__info(cli->bn, &info) &&
	    !info.initialized) {
		if (info.pins_missing)
			snprintf(hint, len, ": 'bpfnet init --uplink %s' restores the datapath, "
				 "'bpfnet down' forgets it", uplinks_str(&info, list, sizeof(list)));
		else
			snprintf(hint, len, ": run 'bpfnet init --uplink DEV' first");
		return "not_initialized";
	}
	for (size_t i = 0; i < sizeof(cli->ref_kind) / sizeof(cli->ref_kind[0]); i++) {
		if (cli->ref_kind[i] && ref_missing(cli, cli->ref_kind[i], cli->ref_name[i])) {
			snprintf(hint, len, " ('bpfnet %s ls' lists them)", cli->ref_kind[i]);
			return NULL;
		}
	}
	if (cli->cmd && !strcmp(cli->cmd->name, "port rm") && cli->ref_name[0])
		snprintf(hint, len, " ('bpfnet port ls %s' lists them)", cli->ref_name[0]);
	return NULL;
}

/* What to run next, by the command and the errno: the words the library leaves to us. */
static const struct {
	const char *cmd;	/* NULL: any */
	int errnum;
	const char *hint;
} hints[] = {
	{ "network rm", EBUSY, " ('bpfnet endpoint ls' lists them)" },
	{ NULL, EPROTO, " ('bpfnet down' with that bpfnet, then 'bpfnet init --uplink DEV')" },
	{ NULL, EUCLEAN, ": 'bpfnet down' forgets the instance" },
	{ "network create", ENODEV, " ('ip link' in the node lists its devices)" },
	{ "endpoint add", ENODEV, " (bring the parent back, or make the network again on "
	  "another: 'bpfnet network rm', 'bpfnet network create --parent DEV')" },
};

int report_error(struct cli *cli, int err)
{
	const struct err_code *e = err_code_of(-err);
	const char *msg = bpfnet__errmsg(cli->bn), *code = NULL;
	char text[1024], hint[256] = "";

	snprintf(text, sizeof(text), "%s", *msg ? msg : strerror(-err));
	if (err == -ENOENT)
		code = enoent_hint(cli, hint, sizeof(hint));
	/* a map of a layout init migrates: the library's words say to run it, nothing to add */
	for (size_t i = 0; !*hint && !strstr(text, "`bpfnet init`") &&
			   i < sizeof(hints) / sizeof(hints[0]); i++)
		if (hints[i].errnum == -err &&
		    (!hints[i].cmd || (cli->cmd && !strcmp(hints[i].cmd, cli->cmd->name))))
			snprintf(hint, sizeof(hint), "%s", hints[i].hint);
	if (code)
		e = code_named(code);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s", hint);
	return emit(e->exit_code, e->code, -err, "error: ", text);
}

const char *uplinks_str(const struct bpfnet_node_info *info, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < info->n_uplinks && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
					 info->uplinks[i]);
	return buf;
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
	return value_errorf(EINVAL, "%s", bpfnet__errmsg(NULL));
}

json_t *json_mac(const uint8_t mac[6])
{
	char buf[18];

	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return json_string(buf);
}
