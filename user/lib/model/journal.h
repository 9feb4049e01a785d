/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The intent journal: what a mutating command is about to do, recorded in
 * state.json (one atomic rename) before it makes anything, and cleared in the
 * same save that records its result. A command killed in between leaves the
 * entry behind; the next mutating command finds it under the instance lock
 * (txn_run() in api/txn.c, the one door every mutating command goes through)
 * and finishes or undoes it before doing its own work (api/recover.c):
 *
 *   init (first)     undone: uplink filters, gateways, pins
 *   init (again)     finished: the upgrade is run again
 *   down             finished
 *   network create   undone      network rm      finished
 *   endpoint add     undone      endpoint rm     finished
 *   port add         undone      port rm         finished
 *
 * An undo removes only what the interrupted command could have made: things
 * named by the entry (its endpoint id and addresses, its network id, its
 * ports with the values it wrote) and never anything the state gives to
 * another endpoint or network.
 */
#ifndef BPFNET_JOURNAL_H
#define BPFNET_JOURNAL_H

#include <stdbool.h>
#include <jansson.h>
#include "core/core.h"
#include "model/objects.h"
#include "model/portspec.h"

/* The commands a journal entry can be of, with their names in state.json. */
#define JOURNAL_FOREACH_OP(X)                                                \
	X(JOURNAL_NONE, "none")                                              \
	X(JOURNAL_INIT, "init")                                              \
	X(JOURNAL_DOWN, "down")                                              \
	X(JOURNAL_NETWORK_CREATE, "network_create")                          \
	X(JOURNAL_NETWORK_REMOVE, "network_rm")                              \
	X(JOURNAL_ENDPOINT_ADD, "endpoint_add")                              \
	X(JOURNAL_ENDPOINT_REMOVE, "endpoint_rm")                            \
	X(JOURNAL_PORT_ADD, "port_add")                                      \
	X(JOURNAL_PORT_REMOVE, "port_rm")

#define JOURNAL_OP_ENUM(name, str) name,
enum journal_op {
	JOURNAL_FOREACH_OP(JOURNAL_OP_ENUM)
	JOURNAL_OP_MAX
};
#undef JOURNAL_OP_ENUM

/*
 * An uplink an init is about to attach to. @clsact_before is asked before
 * anything is attached, for a device the node did not have as an uplink: did
 * it have a clsact qdisc then? (1 for one it had, and when not known: the
 * qdisc is left be.) An init cut short is undone, or finished, by it.
 */
struct journal_uplink {
	char name[IF_NAMESIZE];
	int clsact_before;
};

/* One pending command; which fields count depends on @op. */
struct journal {
	enum journal_op op;
	int pid;				/* of the command that wrote it, for messages */
	int first_init;				/* init: the node was not initialized before */
	size_t n_uplinks;			/* init: the uplinks asked for, in order */
	struct journal_uplink uplinks[BPFNET_UPLINK_MAX];
	struct net_state net;		/* network create and rm */
	struct ep_state ep;		/* endpoint add and rm; port add and rm */
	struct port_map *maps;	/* port add and rm (malloc()ed) */
	size_t n_maps;
};

/* "endpoint_add", ...: the entry's op in state.json and in check's words. */
const char *journal_op_name(enum journal_op op);
/* "endpoint add 'c1'": the pending command in words, into @buf. */
char *journal_describe(const struct journal *j, char *buf, size_t len);

/* state.json's "journal" object; NULL (nothing to write) when @j is empty. */
json_t *journal_to_json(const struct journal *j);
/* Read it back; -EINVAL for an unknown op or a malformed entry. */
int journal_from_json(json_t *obj, struct journal *j);
/* Free what @j holds (NULL is fine) and empty it. */
void journal_free(struct journal *j);
/* A deep copy (maps included); -ENOMEM. */
int journal_copy(struct journal *dst, const struct journal *src);

/* The init's entry for uplink @name, or NULL. */
const struct journal_uplink *journal_uplink(const struct journal *j, const char *name);

/* Is a pending @op undone (add, create) rather than finished (rm, down)? */
bool journal_undoes(enum journal_op op);

/*
 * Did this handle's recovery just finish a pending @op of @name (endpoint or
 * network) with these @maps (port rm, else NULL)? A re-run of an interrupted
 * removal then succeeds instead of saying the thing is gone.
 */
bool journal_finished(const struct bpfnet *bn, enum journal_op op, const char *name,
		      const struct port_map *maps, size_t n);

#endif
