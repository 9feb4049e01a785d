// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The intent journal (model/journal.c): the "journal" object of state.json,
 * which recovery acts on after a command was killed. The input is that
 * object's JSON (the state target reaches it only behind a valid state).
 * What reads is described (check's words), copied (recovery's copy), and
 * written back as an object that reads as the same entry.
 */
#include <jansson.h>

#include "fuzz.h"
#include "model/journal.h"

static char *dump(const struct journal *j)
{
	json_t *o = journal_to_json(j);
	char *text;

	/* only an empty entry has nothing to write */
	FUZZ_ASSERT(o || j->op == JOURNAL_NONE);
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	FUZZ_ASSERT(text);
	return text;
}

static void check_entry(const struct journal *j)
{
	char buf[200];

	FUZZ_ASSERT(j->op > JOURNAL_NONE && j->op < JOURNAL_OP_MAX);
	FUZZ_ASSERT(j->n_uplinks <= BPFNET_UPLINK_MAX);
	FUZZ_ASSERT(!j->n_maps || j->maps);
	for (size_t i = 0; i < j->n_maps; i++)
		FUZZ_ASSERT(j->maps[i].host_port && j->maps[i].host_port <= j->maps[i].host_port_last);
	journal_describe(j, buf, sizeof(buf));
	FUZZ_ASSERT(strlen(buf) < sizeof(buf));
	/* a short buffer is cut, not overrun */
	journal_describe(j, buf, 8);
	FUZZ_ASSERT(strlen(buf) < 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = json_loadb((const char *)data, size, 0, NULL), *o2;
	struct journal j, copy, back;
	char *text, *text2;
	int err;

	fuzz_quiet();
	if (!o)
		return 0;
	err = journal_from_json(o, &j);
	json_decref(o);
	FUZZ_ASSERT(!err || err == -EINVAL || err == -ENOMEM);
	if (err) {
		journal_free(&j);
		return 0;
	}
	check_entry(&j);
	FUZZ_ASSERT(journal_copy(&copy, &j) == 0);
	text = dump(&copy);
	o2 = json_loads(text, 0, NULL);
	FUZZ_ASSERT(o2);
	if (journal_from_json(o2, &back)) {
		fprintf(stderr, "a journal entry writes as one that does not read: %s\n", text);
		FUZZ_ASSERT(!"written entry reads");
	}
	json_decref(o2);
	check_entry(&back);
	text2 = dump(&back);
	if (strcmp(text, text2)) {
		fprintf(stderr, "written: %s\nread and written again: %s\n", text, text2);
		FUZZ_ASSERT(!"a journal entry reads as it was written");
	}
	free(text);
	free(text2);
	journal_free(&back);
	journal_free(&copy);
	journal_free(&j);
	return 0;
}
