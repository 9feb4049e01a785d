// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The state file, <run_dir>/state.json, as state_load() (sys/store.c) reads
 * it: any of versions 2 to 6, migrated on reading, with the journal of a
 * command in progress. The input is the file. What reads is written back
 * (state_to_json(), as the next save does) as a file that reads again, and
 * that second reading writes the same file: no state is lost or changed by
 * a load and a save, and what a save writes always loads.
 */
#include <jansson.h>

#include "fuzz.h"
#include "model/state.h"

/* state_load()'s reading, from text (the file, NUL-terminated as read_file() gives it). */
static int load(const char *text, struct state *st)
{
	json_t *root = json_loads(text, 0, NULL);
	int err;

	memset(st, 0, sizeof(*st));
	if (!root)
		return -EUCLEAN;
	err = state_from_json(root, st);
	json_decref(root);
	if (err)
		state_free(st);
	return err;
}

/* What the next save writes: the state as text, as store.c's json_dumps() makes it. */
static char *save(const struct state *st)
{
	json_t *root = state_to_json(st);
	char *text;

	FUZZ_ASSERT(root);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	FUZZ_ASSERT(text);
	return text;
}

static void check_state(const struct state *st)
{
	char buf[256];

	FUZZ_ASSERT(st->node.n_uplinks <= BPFNET_UPLINK_MAX);
	for (size_t i = 0; i < st->n_nets; i++)
		FUZZ_ASSERT(strlen(st->nets[i].name) < sizeof(st->nets[i].name));
	for (size_t i = 0; i < st->n_eps; i++)
		FUZZ_ASSERT(strlen(st->eps[i].name) < sizeof(st->eps[i].name));
	FUZZ_ASSERT(st->journal.op < JOURNAL_OP_MAX);
	FUZZ_ASSERT(st->journal.n_uplinks <= BPFNET_UPLINK_MAX);
	/* what `check` and recovery say of a pending command */
	journal_describe(&st->journal, buf, sizeof(buf));
	FUZZ_ASSERT(strlen(buf) < sizeof(buf));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_str(data, size), *saved, *saved2;
	struct state st, again;
	int err;

	fuzz_quiet();
	err = load(text, &st);
	FUZZ_ASSERT(!err || err == -EINVAL || err == -EUCLEAN);
	if (!err) {
		check_state(&st);
		saved = save(&st);
		if (load(saved, &again)) {
			fprintf(stderr, "a loaded state saves as a file that does not load:\n%s\n",
				saved);
			FUZZ_ASSERT(!"saved state loads");
		}
		check_state(&again);
		saved2 = save(&again);
		if (strcmp(saved, saved2)) {
			fprintf(stderr, "saved:\n%s\nloaded and saved again:\n%s\n", saved, saved2);
			FUZZ_ASSERT(!"a load and a save keep the state");
		}
		free(saved);
		free(saved2);
		state_free(&again);
		state_free(&st);
	}
	free(text);
	return 0;
}
