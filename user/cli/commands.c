// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command table and everything made from it: finding a command (names,
 * aliases, prefixes, "did you mean"), `bpfnet help` in words and JSON, the man
 * page bpfnet(8) (`bpfnet help --man`) and the words the bash completion offers
 * (`bpfnet help --words`). One table, so that none of them can drift.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfnet/abi.h"
#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int do_help(struct cli *cli, int argc, char **argv);
static int do_version(struct cli *cli, int argc, char **argv);

const struct cmd help_cmd_def = {
	"help", do_help, "[OBJECT [VERB]] [--man] [--words [OBJECT [VERB]]]",
	"Print this overview (or an object's or a command's); with --man the manual page "
	"bpfnet(8) in roff, with --words what the bash completion offers after the words "
	"given.", CMD_NO_HANDLE
};
const struct cmd version_cmd = {
	"version", do_version, "",
	"Print the version of bpfnet and of the datapath ABI it loads (also --version).",
	CMD_NO_HANDLE
};

const struct object objects[] = {
	{ "init", NULL, NULL, &init_cmd, NULL },
	{ "down", NULL, NULL, &down_cmd, NULL },
	{ "status", NULL, NULL, &status_cmd, NULL },
	{ "network", NULL, network_cmds, NULL, "Networks: a subnet, a gateway, a mode." },
	{ "endpoint", "ep", endpoint_cmds, NULL,
	  "Endpoints: a container's interface on a network, in its network namespace." },
	{ "port", NULL, port_cmds, NULL, "Published ports of endpoints, as docker run -p." },
	{ "ct", NULL, ct_cmds, NULL, "Connection tracking of the flows bpfnet translates or routes." },
	{ "fdb", NULL, fdb_cmds, NULL, "The forwarding database of the bridge networks." },
	{ "stats", NULL, NULL, &stats_cmd, NULL },
	{ "monitor", NULL, NULL, &monitor_cmd, NULL },
	{ "check", NULL, NULL, &check_cmd, NULL },
	{ "run", NULL, NULL, &run_cmd, NULL },
	{ "exec", NULL, NULL, &exec_cmd, NULL },
	{ "ps", NULL, NULL, &ps_cmd, NULL },
	{ "logs", NULL, NULL, &logs_cmd, NULL },
	{ "stop", NULL, NULL, &stop_cmd, NULL },
	{ "rm", NULL, NULL, &rm_cmd, NULL },
	{ "version", NULL, NULL, &version_cmd, NULL },
	{ "help", NULL, NULL, &help_cmd_def, NULL },
	{ "cni", NULL, cni_cmds, NULL, "CNI: a network config for the plugin bpfnet-cni." },
	{}
};

/* Verb aliases, as docker and ip users type them; each applies where the object has the verb. */
static const struct {
	const char *alias, *verb;
} verb_aliases[] = {
	{ "inspect", "show" }, { "list", "ls" }, { "del", "rm" }, { "delete", "rm" },
	{ "remove", "rm" },
};

static const char *const global_options[][2] = {
	{ "--instance NAME", "The instance to act on (default 'default', or $BPFNET_INSTANCE): "
	  "its pins live under BPFFS/bpfnet/NAME, its state under /run/bpfnet/NAME." },
	{ "--bpffs DIR", "The bpffs mount to pin under (default $BPFNET_BPFFS, else /sys/fs/bpf)." },
	{ "--json, -j", "Print JSON, errors included: {\"error\": {\"code\", \"message\", "
	  "\"errno\"}} on stdout." },
	{ "-q, --quiet", "On listings (network ls, endpoint ls, port ls): names only, one a line." },
	{ "--help, -h", "After an object or a command: its usage; alone: this overview." },
	{ "--version, -V", "The version of bpfnet and of its datapath ABI." },
};

static const char *const exit_status[][2] = {
	{ "0", "Done (check: consistent, or everything repaired)." },
	{ "1", "The operation failed and nothing changed (check: inconsistencies left). A "
	  "command killed part-way is finished or undone by the next one." },
	{ "2", "The command line, or a value in it, was wrong; nothing was tried." },
};

static const char *const environment[][2] = {
	{ "BPFNET_INSTANCE", "The instance when --instance is not given." },
	{ "BPFNET_BPFFS", "The bpffs when --bpffs is not given." },
	{ "BPFNET_RUN_DIR", "The state root (default /run/bpfnet)." },
	{ "BPFNET_CGROUP", "The cgroup v2 directory the socket hooks attach to (default the root)." },
	{ "BPFNET_CGROUP_PARENT", "The cgroup below each hierarchy's root that the containers of "
	  "run get theirs in (default bpfnet)." },
};

static const char description[] =
	"bpfnet connects containers (network namespaces) to networks whose datapath is eBPF: "
	"tc programs on the containers' veths and on the node's uplink, BPF maps written by "
	"this command. It routes between containers, masquerades their traffic out of the "
	"node, publishes their ports as docker run -p does and tracks the connections it "
	"translates. The datapath keeps forwarding with no bpfnet process running. bpfnet run "
	"makes containers on these networks from the kernel's namespaces and cgroups, with no "
	"daemon. Options may stand anywhere on the command line before a --; an object or "
	"verb may be shortened to a unique prefix.";

/* ---- finding commands ----------------------------------------------------------------- */

const char *cmd_verb(const struct cmd *c)
{
	const char *sp = strchr(c->name, ' ');

	return sp ? sp + 1 : c->name;
}

/* Edit distance of two short words (names of at most 31 characters; longer: far). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[32];

	if (la > 31 || lb > 31)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The closest of @names to @word, if close enough to be a typo of it. */
static const char *closest(const char *word, const char *const *names, size_t n)
{
	size_t best = 3, len = strlen(word);
	const char *match = NULL;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(word, names[i]);

		/* a typo keeps most of the word: "ls" is no typo of "rm" */
		if (d < best && d * 3 <= (len > strlen(names[i]) ? len : strlen(names[i]))) {
			best = d;
			match = names[i];
		}
	}
	return match;
}

const struct object *object_find(const char *word)
{
	const char *names[2 * ARRAY_SIZE(objects)], *guess;
	const struct object *match = NULL;
	size_t len = strlen(word), n = 0;

	for (const struct object *o = objects; o->name; o++) {
		if (!strcmp(o->name, word) || (o->alias && !strcmp(o->alias, word)))
			return o;
		names[n++] = o->name;
		if (o->alias)
			names[n++] = o->alias;
	}
	for (const struct object *o = objects; len && o->name; o++) {
		if (strncmp(o->name, word, len))
			continue;
		if (match) {
			usage_error("'%s' is ambiguous: %s or %s?", word, match->name, o->name);
			return NULL;
		}
		match = o;
	}
	if (match)
		return match;
	guess = closest(word, names, n);
	if (guess)
		cli_error(EXIT_USAGE, "unknown_command", EINVAL, "unknown object '%s': did you mean "
			  "'%s'? (try 'bpfnet help')", word, guess);
	else
		cli_error(EXIT_USAGE, "unknown_command", EINVAL, "unknown object '%s' (try 'bpfnet "
			  "help')", word);
	return NULL;
}

static const struct cmd *verb_exact(const struct object *obj, const char *word)
{
	for (const struct cmd *c = obj->cmds; c->name; c++)
		if (!strcmp(cmd_verb(c), word))
			return c;
	return NULL;
}

const struct cmd *verb_find(const struct object *obj, const char *word)
{
	const char *names[32], *guess;
	const struct cmd *c, *match = NULL;
	size_t len = strlen(word), n = 0;

	if ((c = verb_exact(obj, word)))
		return c;
	for (size_t i = 0; i < ARRAY_SIZE(verb_aliases); i++)
		if (!strcmp(verb_aliases[i].alias, word) && (c = verb_exact(obj, verb_aliases[i].verb)))
			return c;
	for (c = obj->cmds; c->name; c++) {
		if (n < ARRAY_SIZE(names))
			names[n++] = cmd_verb(c);
		if (!len || strncmp(cmd_verb(c), word, len))
			continue;
		if (match) {
			usage_error("'%s %s' is ambiguous: %s or %s?", obj->name, word,
				    cmd_verb(match), cmd_verb(c));
			return NULL;
		}
		match = c;
	}
	if (match)
		return match;
	guess = closest(word, names, n);
	if (guess)
		cli_error(EXIT_USAGE, "unknown_command", EINVAL, "unknown command '%s %s': did you "
			  "mean '%s %s'? (try 'bpfnet %s --help')", obj->name, word, obj->name,
			  guess, obj->name);
	else
		cli_error(EXIT_USAGE, "unknown_command", EINVAL, "unknown command '%s %s' (try "
			  "'bpfnet %s --help')", obj->name, word, obj->name);
	return NULL;
}

int object_needs_verb(const struct object *obj)
{
	char verbs[256] = "";

	for (const struct cmd *c = obj->cmds; c->name; c++)
		snprintf(verbs + strlen(verbs), sizeof(verbs) - strlen(verbs), "%s%s",
			 c == obj->cmds ? "" : ", ", cmd_verb(c));
	return usage_error("'%s' needs a command: %s (try 'bpfnet %s --help')", obj->name, verbs,
			   obj->name);
}

/* ---- help in words -------------------------------------------------------------------- */

/* @text as lines of at most @width columns, each indented by @indent (the first by @first). */
static void wrap_hang(FILE *f, const char *text, int first, int indent, int width)
{
	const char *p = text;

	for (int in = first; *p; in = indent) {
		const char *end = p, *brk = NULL;

		while (*end && end - p < width - in) {
			if (*end == ' ')
				brk = end;
			end++;
		}
		if (*end && brk)
			end = brk;
		fprintf(f, "%*s%.*s\n", in, "", (int)(end - p), p);
		p = *end == ' ' ? end + 1 : end;
	}
}

static void wrap(FILE *f, const char *text, int indent, int width)
{
	wrap_hang(f, text, indent, indent, width);
}

/* The aliases of @c (", " separated) into @buf: the object's alias, the verb's aliases. */
static const char *cmd_aliases(const struct object *obj, const struct cmd *c, char *buf,
			       size_t len)
{
	*buf = 0;
	for (size_t i = 0; obj->cmds && i < ARRAY_SIZE(verb_aliases); i++)
		if (!strcmp(verb_aliases[i].verb, cmd_verb(c)))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", *buf ? ", " : "",
				 verb_aliases[i].alias);
	return buf;
}

static void cmd_synopsis(const struct cmd *c, char *buf, size_t len)
{
	snprintf(buf, len, "bpfnet %s%s%s", c->name, *c->usage ? " " : "", c->usage);
}

static void help_cmd_text(FILE *f, const struct object *obj, const struct cmd *c)
{
	char syn[512], al[64];

	cmd_synopsis(c, syn, sizeof(syn));
	wrap_hang(f, syn, 2, 8, 96);
	if (*cmd_aliases(obj, c, al, sizeof(al)))
		fprintf(f, "      (%s %s: also %s)\n", obj->name, cmd_verb(c), al);
	wrap(f, c->summary, 6, 96);
}

static json_t *cmd_json(const struct object *obj, const struct cmd *c)
{
	char syn[512], al[64];
	json_t *aliases = json_array();

	cmd_aliases(obj, c, al, sizeof(al));
	for (char *tok = strtok(al, ", "); tok; tok = strtok(NULL, ", "))
		json_array_append_new(aliases, json_string(tok));
	cmd_synopsis(c, syn, sizeof(syn));
	return json_pack("{s:s, s:s, s:s?, s:o, s:s, s:s}", "command", c->name, "object",
			 obj->name, "verb", obj->cmds ? cmd_verb(c) : NULL, "aliases", aliases,
			 "synopsis", syn, "summary", c->summary);
}

static json_t *pairs_json(const char *const (*pairs)[2], size_t n, const char *k1,
			  const char *k2)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", k1, pairs[i][0], k2,
						     pairs[i][1]));
	return arr;
}

static json_t *object_cmds_json(const struct object *obj)
{
	json_t *arr = json_array();

	if (obj->cmd)
		json_array_append_new(arr, cmd_json(obj, obj->cmd));
	for (const struct cmd *c = obj->cmds; c && c->name; c++)
		json_array_append_new(arr, cmd_json(obj, c));
	return arr;
}

static json_t *help_json(void)
{
	json_t *cmds = json_array(), *codes = json_array();

	for (const struct object *o = objects; o->name; o++) {
		json_t *of = object_cmds_json(o);

		json_array_extend(cmds, of);
		json_decref(of);
	}
	for (const struct err_code *e = err_codes; e->code; e++)
		json_array_append_new(codes, json_pack("{s:s, s:i, s:i, s:s}", "code", e->code,
						       "errno", e->errnum, "exit", e->exit_code,
						       "meaning", e->meaning));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "usage",
			 "bpfnet [--instance NAME] [--json] [--bpffs DIR] OBJECT COMMAND [ARGS]",
			 "description", description, "commands", cmds, "global_options",
			 pairs_json(global_options, ARRAY_SIZE(global_options), "option", "summary"),
			 "exit_status", pairs_json(exit_status, ARRAY_SIZE(exit_status), "status",
						   "meaning"), "error_codes", codes);
}

int help_all(struct cli *cli, FILE *f)
{
	if (cli->json) {
		print_json(help_json());
		return EXIT_OK;
	}
	fprintf(f, "usage: bpfnet [--instance NAME] [--json] [--bpffs DIR] OBJECT COMMAND [ARGS]\n\n");
	for (const struct object *o = objects; o->name; o++) {
		if (o->cmd)
			help_cmd_text(f, o, o->cmd);
		for (const struct cmd *c = o->cmds; c && c->name; c++)
			help_cmd_text(f, o, c);
	}
	fprintf(f, "\nglobal options (anywhere on the line):\n");
	for (size_t i = 0; i < ARRAY_SIZE(global_options); i++) {
		fprintf(f, "  %s\n", global_options[i][0]);
		wrap(f, global_options[i][1], 6, 96);
	}
	fprintf(f, "\nexit status:\n");
	for (size_t i = 0; i < ARRAY_SIZE(exit_status); i++) {
		fprintf(f, "  %s", exit_status[i][0]);
		wrap(f, exit_status[i][1], 1, 92);
	}
	fprintf(f, "\n'bpfnet OBJECT --help' for one object, 'man bpfnet' for all of it.\n");
	return EXIT_OK;
}

int help_object(struct cli *cli, const struct object *obj, FILE *f)
{
	if (obj->cmd)
		return help_cmd(cli, obj->cmd);
	if (cli->json) {
		print_json(json_pack("{s:s, s:s?, s:s, s:o}", "object", obj->name, "alias",
				     obj->alias, "summary", obj->summary, "commands",
				     object_cmds_json(obj)));
		return EXIT_OK;
	}
	fprintf(f, "%s%s%s%s\n", obj->summary, obj->alias ? " (also '" : "",
		obj->alias ? obj->alias : "", obj->alias ? "')" : "");
	fprintf(f, "usage:\n");
	for (const struct cmd *c = obj->cmds; c->name; c++)
		help_cmd_text(f, obj, c);
	return EXIT_OK;
}

static const struct object *object_of(const struct cmd *c)
{
	for (const struct object *o = objects; o->name; o++) {
		if (o->cmd == c)
			return o;
		for (const struct cmd *v = o->cmds; v && v->name; v++)
			if (v == c)
				return o;
	}
	return NULL;
}

int help_cmd(struct cli *cli, const struct cmd *c)
{
	const struct object *obj = object_of(c);
	char syn[512];

	if (cli->json) {
		print_json(cmd_json(obj, c));
		return EXIT_OK;
	}
	cmd_synopsis(c, syn, sizeof(syn));
	printf("usage: %s\n\n", syn);
	wrap(stdout, c->summary, 0, 96);
	return EXIT_OK;
}

/* ---- the man page --------------------------------------------------------------------- */

/* @s in roff: backslashes and hyphens escaped, no request at a line start. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

static void man_pairs(FILE *f, const char *title, const char *const (*pairs)[2], size_t n)
{
	fprintf(f, ".SH %s\n", title);
	for (size_t i = 0; i < n; i++) {
		fputs(".TP\n.B ", f);
		roff(f, pairs[i][0]);
		fputs("\n", f);
		roff(f, pairs[i][1]);
		fputs("\n", f);
	}
}

static void man_cmd(FILE *f, const struct object *obj, const struct cmd *c)
{
	char al[64];

	fputs(".TP\n\\fBbpfnet ", f);
	roff(f, c->name);
	fputs("\\fR ", f);
	roff(f, c->usage);
	fputs("\n", f);
	roff(f, c->summary);
	fputs("\n", f);
	if (*cmd_aliases(obj, c, al, sizeof(al))) {
		fprintf(f, "Also \\fB%s\\fR ", obj->name);
		roff(f, al);
		fputs(".\n", f);
	}
}

static void man_page(FILE *f)
{
	fprintf(f, ".\\\" SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)\n"
		".\\\" Generated by 'bpfnet help --man' from the command table: do not edit.\n"
		".TH BPFNET 8 \"\" \"bpfnet %s\" \"System Administration\"\n.nh\n.ad l\n"
		".SH NAME\nbpfnet \\- container networks with an eBPF datapath\n"
		".SH SYNOPSIS\n.B bpfnet\n[\\fB\\-\\-instance\\fR \\fINAME\\fR] [\\fB\\-\\-json\\fR] "
		"[\\fB\\-\\-bpffs\\fR \\fIDIR\\fR] \\fIOBJECT\\fR \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
		".SH DESCRIPTION\n", bpfnet_version());
	roff(f, description);
	fputs("\n.SH COMMANDS\n", f);
	for (const struct object *o = objects; o->name; o++) {
		if (o->cmds) {
			fputs(".SS ", f);
			roff(f, o->name);
			fputs("\n", f);
			roff(f, o->summary);
			if (o->alias)
				fprintf(f, " Also \\fB%s\\fR.", o->alias);
			fputs("\n", f);
		}
		if (o->cmd)
			man_cmd(f, o, o->cmd);
		for (const struct cmd *c = o->cmds; c && c->name; c++)
			man_cmd(f, o, c);
	}
	man_pairs(f, "GLOBAL OPTIONS", global_options, ARRAY_SIZE(global_options));
	man_pairs(f, "EXIT STATUS", exit_status, ARRAY_SIZE(exit_status));
	fputs(".SH ERRORS\nWith \\fB\\-\\-json\\fR an error is printed on stdout as "
	      "{\"error\": {\"code\": \\fICODE\\fR, \"message\": \\fITEXT\\fR, \"errno\": "
	      "\\fIN\\fR}}. The codes are stable:\n", f);
	for (const struct err_code *e = err_codes; e->code; e++) {
		fprintf(f, ".TP\n.B %s\n", e->code);
		fprintf(f, "(exit %d%s%s) ", e->exit_code, e->errnum ? ", " : "",
			e->errnum ? strerrorname_np(e->errnum) : "");
		roff(f, e->meaning);
		fputs("\n", f);
	}
	man_pairs(f, "ENVIRONMENT", environment, ARRAY_SIZE(environment));
	fputs(".SH FILES\n.TP\n.I /run/bpfnet/INSTANCE/state.json\nThe instance's networks, "
	      "endpoints and the journal of a command in progress.\n.TP\n"
	      ".I /sys/fs/bpf/bpfnet/INSTANCE/\nThe pinned maps, programs and links of the "
	      "datapath.\n.TP\n.I /run/bpfnet/containers/NAME/\nA container of run: container.json "
	      "(its record), status, log (run \\-d), its /etc files.\n.TP\n"
	      ".I /var/run/netns/NAME\nA container's network namespace, as ip netns keeps them.\n"
	      ".SH SEE ALSO\n.BR ip (8),\n.BR tc (8),\n.BR bpftool (8)\n", f);
}

/* ---- completion words ------------------------------------------------------------------ */

/* What may follow the command words @argv: objects, an object's verbs, or a command's options. */
static int words(int argc, char **argv)
{
	const struct object *obj = NULL;
	const struct cmd *c = NULL;

	if (argc >= 1) {
		for (obj = objects; obj->name; obj++)
			if (!strcmp(obj->name, argv[0]) || (obj->alias && !strcmp(obj->alias, argv[0])))
				break;
		if (!obj->name)
			return EXIT_OK;
		c = obj->cmd;
	}
	if (argc >= 2 && obj->cmds) {
		c = verb_exact(obj, argv[1]);
		for (size_t i = 0; !c && i < ARRAY_SIZE(verb_aliases); i++)
			if (!strcmp(verb_aliases[i].alias, argv[1]))
				c = verb_exact(obj, verb_aliases[i].verb);
		if (!c)
			return EXIT_OK;
	}
	if (!obj) {
		for (obj = objects; obj->name; obj++)
			printf("%s\n", obj->name);
		return EXIT_OK;
	}
	if (!c) {
		for (c = obj->cmds; c->name; c++)
			printf("%s\n", cmd_verb(c));
		return EXIT_OK;
	}
	/* the command's options, as its usage names them */
	for (const char *p = strstr(c->usage, "--"); p; p = strstr(p, "--")) {
		size_t n = 2;

		while (islower((unsigned char)p[n]) || p[n] == '-')
			n++;
		if (n > 2)
			printf("%.*s\n", (int)n, p);
		p += n;
	}
	if (strstr(c->usage, "[-q]"))
		printf("-q\n--quiet\n");
	printf("--help\n--json\n");
	return EXIT_OK;
}

static int do_help(struct cli *cli, int argc, char **argv)
{
	const struct object *obj;
	const struct cmd *c;

	if (argc >= 1 && !strcmp(argv[0], "--man")) {
		man_page(stdout);
		return EXIT_OK;
	}
	if (argc >= 1 && !strcmp(argv[0], "--words"))
		return words(argc - 1, argv + 1);
	if (argc < 1)
		return help_all(cli, stdout);
	if (!(obj = object_find(argv[0])))
		return EXIT_USAGE;
	if (argc < 2 || !obj->cmds)
		return help_object(cli, obj, stdout);
	if (!(c = verb_find(obj, argv[1])))
		return EXIT_USAGE;
	return help_cmd(cli, c);
}

static int do_version(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc)
		return usage_error("usage: bpfnet version");
	if (cli->json)
		print_json(json_pack("{s:s, s:i}", "version", bpfnet_version(), "abi_version",
				     BPFNET_ABI_VERSION));
	else
		printf("bpfnet %s (datapath ABI %d)\n", bpfnet_version(), BPFNET_ABI_VERSION);
	return EXIT_OK;
}
