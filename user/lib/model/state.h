/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The instance's persistent state, <run_dir>/state.json: node, networks,
 * endpoints (and so the IPAM allocations). Written atomically under bn_lock();
 * readers without the lock see either the old or the new file, never half.
 */
#ifndef BPFNET_STATE_H
#define BPFNET_STATE_H

#include <jansson.h>
#include "api/internal.h"
#include "model/journal.h"

/* state.json larger than this is refused rather than parsed. */
#define STATE_FILE_MAX (64u << 20)

struct node_state {
	int initialized;
	char uplink[IF_NAMESIZE];
	unsigned int uplink_ifindex;
	int created_clsact;	/* init created the uplink's clsact qdisc: down removes it */
};

struct state {
	struct node_state node;
	struct net_state *nets;
	size_t n_nets;
	struct ep_state *eps;
	size_t n_eps;
	/*
	 * Published ports live in the pinned portmap4 map (see port.c); the state
	 * only remembers the node addresses that some mapping is bound to, so a
	 * 0.0.0.0 mapping can be checked against them with a few lookups.
	 */
	struct in_addr *bound_ips;
	size_t n_bound_ips;
	/* the command in progress, recorded before it changes anything (journal.h) */
	struct journal journal;
};

int state_load(struct bpfnet *bn, struct state *st);
/* Nothing in it: not initialized, no network, no endpoint (such an instance keeps no file). */
bool state_is_empty(const struct state *st);
/* Remove state.json alone (the lock stays held); a missing file is fine. */
int state_unlink(struct bpfnet *bn);
int state_save(struct bpfnet *bn, const struct state *st);
void state_free(struct state *st);
/* Forget the instance: state file, lock and directory. */
int state_remove(struct bpfnet *bn);

struct net_state *state_net(struct state *st, const char *name);
struct net_state *state_net_by_id(struct state *st, unsigned int id);
struct ep_state *state_ep(struct state *st, const char *name);
int state_add_net(struct state *st, const struct net_state *net);
int state_add_ep(struct state *st, const struct ep_state *ep);
void state_del_net(struct state *st, const char *name);
void state_del_ep(struct state *st, const char *name);
/* Remember @ip as bound by some mapping; *added says whether it is new. */
int state_add_bound_ip(struct state *st, struct in_addr ip, int *added);

/* One network or endpoint as state.json keeps it (the journal keeps them the same way). */
json_t *net_to_json(const struct net_state *n);
json_t *ep_to_json(const struct ep_state *e);
int net_from_json(json_t *j, struct net_state *n);
int ep_from_json(json_t *j, struct ep_state *e);

/* Endpoints attached to network @name. */
unsigned int state_net_users(const struct state *st, const char *name);

#endif
