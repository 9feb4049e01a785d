// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The end of a container: its processes killed, its parts removed, its
 * record saved as exited. Every step finds what is there and removes it, so
 * that it can be run again after being cut short, by anyone: the waiter
 * when init ends, rm, or the first command that finds both init and its
 * waiter gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "lifecycle.h"
#include "netattach.h"
#include "netns.h"
#include "userns.h"

int record_open_instance(const struct container_record *r, struct bpfnet **bn, struct run_err *e)
{
	struct bpfnet_opts o = { .sz = sizeof(o), .instance = r->instance,
				 .bpffs = *r->bpffs ? r->bpffs : NULL };
	int err = bpfnet__open(&o, bn);

	if (err)
		return run_errf(e, -err, "cannot open bpfnet instance '%s': %s", r->instance,
				bpfnet__errmsg(NULL));
	return 0;
}

/*
 * Its endpoints, found by its ID (those on macvlan networks only, if
 * @macvlan_only): none left (or no instance left to have any) is done.
 */
static int teardown_network(const struct container_record *r, bool macvlan_only,
			    struct run_err *e)
{
	struct bpfnet *bn;
	int err;

	if (strcmp(r->network_mode, "networks"))
		return 0;
	err = record_open_instance(r, &bn, e);
	/* the instance or its bpffs is gone, and its endpoints with it (bpfnet down) */
	if (err == -ENOENT || err == -ENOTDIR || err == -EMEDIUMTYPE)
		return 0;
	if (err)
		return err;
	err = macvlan_only ? netattach_down_macvlan(bn, r->id, e) : netattach_down(bn, r->id, e);
	bpfnet__close(bn);
	return err == -ENOENT ? 0 : err;
}

static int teardown_cgroup(struct container_record *r, struct run_err *e)
{
	struct cgroup *cg;
	bool oom = false;
	int err;

	err = cg_open(r->name, &cg, e);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (!cg_oom_killed(cg, &oom, NULL) && oom)
		r->oom_killed = true;
	err = cg_remove(cg, e);
	cg_free(cg);
	return err;
}

int userns_release_named(const char *name, struct run_err *e)
{
	char path[BPFNET_PATH_MAX + 16], want[RUN_NAME_MAX + 2], got[RUN_NAME_MAX + 2];
	struct dirent *de;
	DIR *d = opendir(record_userns_dir());
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : run_errf(e, errno, "cannot open %s: %s",
						      record_userns_dir(), strerror(errno));
	snprintf(want, sizeof(want), "%s\n", name);
	while (!err && (de = readdir(d))) {
		struct userns_range r = { .count = RUN_USERNS_SIZE };
		char *end;
		unsigned long first = strtoul(de->d_name, &end, 10);
		ssize_t n;
		int fd;

		if (*end || end == de->d_name || first < RUN_USERNS_FIRST ||
		    (first - RUN_USERNS_FIRST) % RUN_USERNS_SIZE ||
		    (first - RUN_USERNS_FIRST) / RUN_USERNS_SIZE >= RUN_USERNS_RANGES)
			continue;
		snprintf(path, sizeof(path), "%s/%s", record_userns_dir(), de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		n = read(fd, got, sizeof(got) - 1);
		close(fd);
		if (n != (ssize_t)strlen(want) || memcmp(got, want, (size_t)n))
			continue;
		r.host_first = (uint32_t)first;
		err = userns_release(record_userns_dir(), &r, e);
	}
	closedir(d);
	return err;
}

int container_teardown(struct container_record *r, int status, struct run_err *e)
{
	int err;

	/*
	 * The netns unbound before its endpoints go, its processes killed before
	 * that: a veth whose netns is gone from its path is left to the kernel's
	 * deletion of the netns, which spares the wait of a netdev unregistration.
	 * Macvlans go first (netattach_down_macvlan()).
	 */
	if ((err = teardown_cgroup(r, e)) || (err = teardown_network(r, true, e)) ||
	    (err = netns_unbind(r->netns, e)) || (err = teardown_network(r, false, e)))
		return err;
	if (r->userns && (err = userns_release(record_userns_dir(), &r->userns_range, e)))
		return err;
	/* one taken by a run killed before its record said so */
	if ((err = userns_release_named(r->name, e)))
		return err;
	r->state = CONTAINER_EXITED;
	/* the memory limit's kill, as docker reports it (OOMKilled, 137) */
	r->exit_status = r->oom_killed ? 128 + SIGKILL : status;
	r->waiter.pid = 0;
	r->waiter.start_time = 0;
	if (r->auto_remove) {
		if ((err = record_remove(r->name, e)))
			return err;
		return -ENOENT;
	}
	return record_save(r, e);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool container_signal_init(const struct container_record *r, int sig, int timeout_ms)
{
	if (!record_init_alive(r))
		return true;
	kill(r->init_pid, sig);
	for (int waited = 0; waited < timeout_ms; waited += 20) {
		if (!record_init_alive(r))
			return true;
		sleep_ms(20);
	}
	return !record_init_alive(r);
}

int container_kill(const struct container_record *r, struct run_err *e)
{
	struct cgroup *cg;
	int err;

	err = cg_open(r->name, &cg, e);
	if (!err) {
		err = cg_signal(cg, SIGKILL, e);
		cg_free(cg);
	}
	if (err && err != -ENOENT)
		return err;
	/* init outside its cgroup (killed between clone and cg_attach) still dies */
	if (!container_signal_init(r, SIGKILL, 2000))
		return run_errf(e, EBUSY, "init of container '%s' (pid %d) would not die", r->name,
				(int)r->init_pid);
	return 0;
}
