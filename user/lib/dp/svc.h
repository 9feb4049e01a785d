/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Published ports in the maps: a frontend (portmap4) naming a service, the
 * service's backends (backends4). The one place that encodes a published port
 * into those entries and reads them back (bpf/lib/svc.h is the datapath's
 * side). One backend per service, in slot 0, for now.
 */
#ifndef BPFNET_DP_SVC_H
#define BPFNET_DP_SVC_H

#include <stddef.h>
#include "core/core.h"
#include "dp/datapath.h"
#include "bpfnet/abi.h"
#include "model/portspec.h"

/* The two maps of published ports, open: fds of the operation's handle, which closes them. */
struct svc_maps {
	int portmap;
	int backends;
	struct dp *dp;		/* the handle they are of: svc_publish() takes its service ids */
};

/* A published port: its frontend and where it leads (slot 0's backend). */
struct svc_port {
	struct bpfnet_portmap_key key;
	struct bpfnet_backend be;	/* all zero: the service has no backend */
	__u32 svc_id;
	__u16 count;			/* backends the frontend says its service has */
};

/* Every published port, its backend resolved. */
struct svc_dump {
	struct svc_port *ports;
	size_t n;
};

/* Both maps of @dp (-errno, with the message set, when one cannot be opened). */
int svc_maps_open(struct dp *dp, struct svc_maps *sm);

/* Port @off of mapping @m: its frontend key and its backend. */
void svc_port_encode(const struct port_map *m, unsigned int off, struct svc_port *p);

/* Where the published port @key leads: 0, -ENOENT when not published, -ENODATA without backend. */
int svc_port_lookup(const struct svc_maps *sm, const struct bpfnet_portmap_key *key,
		    struct bpfnet_backend *be);

/*
 * Publish @n ports, each a service of its own with one backend, under new
 * service ids: backends first, then the frontends, so that the datapath never
 * meets a service before its backend. All or none (-errno, message set).
 * The caller holds the instance lock and has checked every port is free.
 */
int svc_publish(const struct svc_maps *sm, const struct svc_port *p, size_t n);
/*
 * The writes of svc_publish(), under the service ids @first.. the caller
 * chose: -errno, with the map that refused in @refused_by (NULL: no memory).
 */
int svc_write(const struct svc_maps *sm, const struct svc_port *p, size_t n, __u32 first,
	      const char **refused_by);

/* Unpublish the port @key: its frontend, then its service's backends (if it is published). */
void svc_unpublish(const struct svc_maps *sm, const struct bpfnet_portmap_key *key);

/*
 * Delete every backend of a service no published port names: what a port
 * add or rm cut short between its backend and frontend writes leaves. Only
 * under the instance lock (a publish in progress writes backends first).
 * -errno when the maps cannot be read.
 */
int svc_sweep(const struct svc_maps *sm);

/* Every published port, resolved; -errno. */
int svc_dump(const struct svc_maps *sm, struct svc_dump *d);
void svc_dump_free(struct svc_dump *d);

#endif
