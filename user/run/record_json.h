/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A container record as container.json holds it (record_json.c). */
#ifndef BPFNET_RUN_RECORD_JSON_H
#define BPFNET_RUN_RECORD_JSON_H

#include <jansson.h>
#include "record.h"

/* @r as JSON (a new reference). */
json_t *record_to_json(const struct container_record *r);
/*
 * @o into @r, every field checked (-EUCLEAN, @e naming @file and the field);
 * @dir_name: the directory it was read from, which must be its name.
 */
int record_from_json(json_t *o, const char *file, const char *dir_name,
		     struct container_record *r, struct run_err *e);

#endif
