/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Docker's -p syntax: pure parsing, no I/O. */
#ifndef BPFNET_PORTSPEC_H
#define BPFNET_PORTSPEC_H

#include <stddef.h>
#include "bpfnet/bpfnet.h"

/*
 * Parse [HOST_IP:]HOST_PORT[-END]:CONTAINER_PORT[-END][/tcp|/udp] into @out
 * (endpoint and container_ip untouched). On error returns -EINVAL and writes
 * what is wrong into @why.
 */
int portspec_parse(const char *spec, struct bpfnet_port_mapping *out, char *why, size_t why_len);

/* The mapping in the -p syntax, e.g. "127.0.0.1:8080-8081:80-81/tcp". */
char *portspec_format(const struct bpfnet_port_mapping *m, char *buf, size_t len);

#endif
