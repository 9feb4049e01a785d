// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* `bpfnet ps [-a] [-q] [--json]` and `bpfnet logs NAME [-f]`: what the records and logs say. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "args.h"
#include "lifecycle.h"

/* ---- ps ---- */

static json_t *strv_json(char *const *v)
{
	json_t *arr = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

static json_t *nets_json(const struct container_record *r)
{
	char ip[BPFNET_PREFIXSTRLEN], gw[BPFNET_ADDRSTRLEN];
	json_t *arr = json_array();

	for (size_t i = 0; i < r->n_nets; i++) {
		const struct net_attachment *a = &r->nets[i];

		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s?}", "network", a->network, "endpoint",
			a->endpoint, "ifname", a->ifname, "ip",
			bpfnet_prefix_str(&a->ip, ip, sizeof(ip)), "gateway",
			a->gateway.family ? bpfnet_addr_str(&a->gateway, gw, sizeof(gw)) : NULL));
	}
	return arr;
}

static json_t *ps_json(const struct container_record *r)
{
	json_t *ports = json_array();

	for (size_t i = 0; i < r->n_ports; i++)
		json_array_append_new(ports, json_string(r->ports[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:s, s:s?, s:s?, s:s, s:o, s:o, "
			 "s:s?, s:b, s:b, s:o, s:I}",
			 "id", r->id, "name", r->name, "state", container_state_str(r->state),
			 "exit_status", r->state == CONTAINER_EXITED && r->exit_status >= 0
						? json_integer(r->exit_status) : json_null(),
			 "pid", r->state == CONTAINER_RUNNING ? json_integer(r->init_pid)
							      : json_null(),
			 "oom_killed", r->oom_killed, "command", strv_json(r->argv),
			 "hostname", r->hostname, "rootfs", *r->rootfs ? r->rootfs : NULL,
			 "netns", *r->netns ? r->netns : NULL, "network_mode", r->network_mode,
			 "networks", nets_json(r), "ports", ports, "instance",
			 r->n_nets ? r->instance : NULL, "detached", r->detached, "auto_remove",
			 r->auto_remove, "userns", r->userns
				? json_pack("{s:I, s:I}", "host_first",
					    (json_int_t)r->userns_range.host_first, "count",
					    (json_int_t)r->userns_range.count)
				: json_null(),
			 "created", (json_int_t)r->created);
}

/* "sh -c 'sleep 1'" in at most @len - 1 characters, as docker ps quotes it. */
static const char *command_str(const struct container_record *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; r->argv[i] && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", r->argv[i]);
	if (strlen(buf) > 20)
		strcpy(buf + 17, "...");
	return buf;
}

static const char *ago(int64_t when, char *buf, size_t len)
{
	int64_t d = (int64_t)time(NULL) - when;

	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, len, "%lld seconds ago", (long long)d);
	else if (d < 3600)
		snprintf(buf, len, "%lld minutes ago", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, len, "%lld hours ago", (long long)(d / 3600));
	else
		snprintf(buf, len, "%lld days ago", (long long)(d / 86400));
	return buf;
}

static const char *status_str(const struct container_record *r, char *buf, size_t len)
{
	if (r->state == CONTAINER_RUNNING)
		snprintf(buf, len, "Up");
	else if (r->state == CONTAINER_CREATED)
		snprintf(buf, len, "Created");
	else if (r->exit_status < 0)
		snprintf(buf, len, "Exited (?)");
	else
		snprintf(buf, len, "Exited (%d)%s", r->exit_status, r->oom_killed ? " OOM" : "");
	return buf;
}

static const char *networks_str(const struct container_record *r, char *buf, size_t len)
{
	char ip[BPFNET_PREFIXSTRLEN];
	size_t used = 0;

	if (!r->n_nets) {
		snprintf(buf, len, "%s", r->network_mode);
		return buf;
	}
	buf[0] = 0;
	for (size_t i = 0; i < r->n_nets && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s:%s", i ? "," : "",
					 r->nets[i].network,
					 bpfnet_addr_str(&r->nets[i].ip.addr, ip, sizeof(ip)));
	return buf;
}

static void ps_line(const struct container_record *r)
{
	char cmd[64], created[32], status[32], nets[512], ports[256] = "";
	size_t used = 0;

	for (size_t i = 0; i < r->n_ports && used < sizeof(ports); i++)
		used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%s", i ? "," : "",
					 r->ports[i]);
	printf("%-12.12s  %-20s  %-22s  %-16s  %-12s  %-24s  %s\n", r->id, r->name,
	       command_str(r, cmd, sizeof(cmd)), ago(r->created, created, sizeof(created)),
	       status_str(r, status, sizeof(status)), networks_str(r, nets, sizeof(nets)), ports);
}

int run_cmd_ps(const struct run_globals *g, int argc, char **argv)
{
	bool all = false, quiet = false;
	const struct arg_opt opts[] = {
		{ "all", 'a', ARG_FLAG, &all },
		{ "quiet", 'q', ARG_FLAG, &quiet },
		{}
	};
	const struct arg_spec spec = { .cmd = "ps", .opts = opts };
	struct container_record *list;
	struct run_err e = {};
	size_t n, bad;
	json_t *arr;
	int n_pos;

	if (args_parse(&spec, argc, argv, NULL, &n_pos, NULL, &e))
		return run_usage(g, "%s", e.msg);
	if (record_list(&list, &n, &bad, &e))
		return run_fail(g, &e);
	if (bad)
		fprintf(stderr, "bpfnet: %zu record%s under %s cannot be read ('bpfnet rm NAME' "
			"says why)\n", bad, bad == 1 ? "" : "s", record_root());
	arr = g->json ? json_array() : NULL;
	if (!g->json && !quiet)
		printf("%-12s  %-20s  %-22s  %-16s  %-12s  %-24s  %s\n", "CONTAINER ID", "NAME",
		       "COMMAND", "CREATED", "STATUS", "NETWORKS", "PORTS");
	for (size_t i = 0; i < n; i++) {
		struct container_record *r = &list[i];

		/* -ENOENT: it had ended with --rm, and is gone now */
		if (record_refresh(r, -1, &e) == -ENOENT)
			continue;
		if (!all && r->state == CONTAINER_EXITED)
			continue;
		if (arr)
			json_array_append_new(arr, ps_json(r));
		else if (quiet)
			printf("%s\n", r->name);
		else
			ps_line(r);
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputs("\n", stdout);
		json_decref(arr);
	}
	record_list_free(list, n);
	return 0;
}

/* ---- logs ---- */

/* Copy what @fd has now to stdout; false on a write error (a closed pipe). */
static bool copy_out(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return false;
	return fflush(stdout) == 0;
}

/* Is the container of @id (named @name) still running? Gone (rm, --rm) is not. */
static bool still_running(const char *name, const char *id)
{
	struct container_record r;
	bool running;

	if (record_load(name, &r, NULL))
		return false;
	running = !strcmp(r.id, id) && !record_refresh(&r, -1, NULL) &&
		  r.state != CONTAINER_EXITED;
	record_free(&r);
	return running;
}

int run_cmd_logs(const struct run_globals *g, int argc, char **argv)
{
	bool follow = false;
	const struct arg_opt opts[] = { { "follow", 'f', ARG_FLAG, &follow }, {} };
	const struct arg_spec spec = { .cmd = "logs", .opts = opts, .min_pos = 1, .max_pos = 1 };
	struct timespec tick = { 0, 100 * 1000000L };
	char path[BPFNET_PATH_MAX], id[RUN_ID_LEN + 1];
	struct container_record r;
	struct run_err e = {};
	const char *name;
	int n_pos, fd;

	if (args_parse(&spec, argc, argv, &name, &n_pos, NULL, &e))
		return run_usage(g, "%s", e.msg);
	if (record_find(name, &r, &e))
		return run_fail(g, &e);
	strcpy(id, r.id);
	if (!r.detached) {
		record_free(&r);
		return run_failf(g, ENOENT, "container '%s' ran in the foreground: its output went "
				 "to the terminal of 'bpfnet run', there is no log", r.name);
	}
	record_path(r.name, "log", path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		record_free(&r);
		return run_failf(g, errno, "cannot open %s: %s", path, strerror(errno));
	}
	/* -f: until it has ended and its log is read to the end */
	while (copy_out(fd) && follow && still_running(r.name, id))
		nanosleep(&tick, NULL);
	if (follow)
		copy_out(fd);
	close(fd);
	record_free(&r);
	return 0;
}
