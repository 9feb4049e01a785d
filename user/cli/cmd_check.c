// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfnet check [--repair]: does the instance match its state? */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cmd check_cmd = {
	"check", do_check, "[--repair]",
	"Does everything match the state: the journal, the pins, every map, the veths, the tc "
	"filters, the socket hooks? Exit 1 when not. --repair fixes what it can, then looks "
	"again.", 0
};

/* What to run about an issue of @kind that --repair cannot fix; "" if none. */
static const char *issue_hint(const char *kind)
{
	if (!strcmp(kind, "uplink_missing"))
		return " ('bpfnet init --uplink DEV' once it is back, or 'bpfnet down')";
	return "";
}

json_t *check_issue_json(const struct bpfnet_check_issue *i)
{
	return json_pack("{s:s, s:s, s:s, s:b}", "kind", i->kind, "object", i->object,
			 "message", i->message, "repaired", i->repaired);
}

/* Exit 0 when consistent (or everything was repaired), 1 when something is left. */
int do_check(struct cli *cli, int argc, char **argv)
{
	struct bpfnet_check_opts o = { .sz = sizeof(o) };
	int repair = 0;
	const struct opt opts[] = { FLAG("repair", &repair), {} };
	struct bpfnet_check_issue *issues;
	size_t n, left = 0;
	int err;

	if (parse_args(&check_cmd, argc, argv, opts, NULL, 0, 0))
		return EXIT_USAGE;
	o.repair = repair;
	err = bpfnet_node__check(cli->bn, &o, &issues, &n);
	if (err)
		return report_error(cli, err);
	for (size_t i = 0; i < n; i++)
		left += !issues[i].repaired;
	if (cli->json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, check_issue_json(&issues[i]));
		print_json(arr);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%-24s %-28s %s%s%s\n", issues[i].kind, issues[i].object,
			       issues[i].message, issue_hint(issues[i].kind),
			       issues[i].repaired ? " [repaired]" : "");
		if (!n)
			printf("instance %s: consistent\n", bpfnet__instance(cli->bn));
		else if (!left)
			printf("instance %s: %zu inconsistenc%s, all repaired\n",
			       bpfnet__instance(cli->bn), n, n == 1 ? "y" : "ies");
		else
			printf("instance %s: %zu inconsistenc%s%s\n", bpfnet__instance(cli->bn),
			       left, left == 1 ? "y" : "ies",
			       o.repair ? " left after repair" : " ('bpfnet check --repair' fixes "
			       "what it can)");
	}
	free(issues);
	return left ? EXIT_FAIL : EXIT_OK;
}
