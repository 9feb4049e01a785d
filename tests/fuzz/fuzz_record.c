// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container record, <run dir>/containers/NAME/container.json, as
 * record_load() reads it (user/run/record_json.c): what rm, stop, ps and
 * exec act on, so a forged one must be refused whole. The input is the
 * file; the directory it is read from is named as its "name" says (when it
 * is a string), so that the rest is reached. What reads is written back
 * (record_to_json()) as a record that reads as the same one.
 */
#include <jansson.h>

#include "fuzz.h"
#include "run/record_json.h"

static char *dump(const struct container_record *r)
{
	json_t *o = record_to_json(r);
	char *text;

	FUZZ_ASSERT(o);
	text = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(o);
	FUZZ_ASSERT(text);
	return text;
}

static int read_record(json_t *o, struct container_record *r, struct run_err *e)
{
	const char *name = json_string_value(json_object_get(o, "name"));

	return record_from_json(o, "container.json", name ? name : "c1", r, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct container_record r, back;
	struct run_err e = {};
	char *text, *text2;
	int err;

	fuzz_quiet();
	if (!o)
		return 0;
	err = read_record(o, &r, &e);
	json_decref(o);
	if (err) {
		FUZZ_ASSERT(err == -EUCLEAN || err == -ENOMEM);
		FUZZ_ASSERT(e.errnum && strlen(e.msg) < sizeof(e.msg));
		return 0;
	}
	FUZZ_ASSERT(r.argv && r.argv[0]);
	FUZZ_ASSERT(r.n_nets <= RUN_MAX_NETWORKS && r.n_ports <= RUN_MAX_PORTS);
	text = dump(&r);
	o = json_loads(text, 0, NULL);
	FUZZ_ASSERT(o);
	if (read_record(o, &back, &e)) {
		fprintf(stderr, "a record writes as one that does not read (%s): %s\n", e.msg, text);
		FUZZ_ASSERT(!"written record reads");
	}
	json_decref(o);
	text2 = dump(&back);
	if (strcmp(text, text2)) {
		fprintf(stderr, "written: %s\nread and written again: %s\n", text, text2);
		FUZZ_ASSERT(!"a record reads as it was written");
	}
	free(text);
	free(text2);
	record_free(&back);
	record_free(&r);
	return 0;
}
