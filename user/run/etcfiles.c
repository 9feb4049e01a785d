// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The container's /etc/hosts, /etc/hostname and /etc/resolv.conf, as Docker
 * (libnetwork's etchosts and resolvconf packages) writes them, so programs
 * that read them find what they would find under Docker. Each file is
 * written whole to a temporary name and renamed: a reader (or a bind mount
 * made of it) never sees half a file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netattach.h"

#define ETCFILES_MODE 0644

/* Docker's lines before the container's own (etchosts.defaultContent). */
static const char hosts_head[] =
	"127.0.0.1\tlocalhost\n"
	"::1\tlocalhost ip6-localhost ip6-loopback\n"
	"fe00::0\tip6-localnet\n"
	"ff00::0\tip6-mcastprefix\n"
	"ff02::1\tip6-allnodes\n"
	"ff02::2\tip6-allrouters\n";

/* Docker's nameservers when the host has none a container can use (resolvconf.defaultIPv4Dns). */
static const char resolv_defaults[] = "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";

/* @len bytes of @data as @dir/@file, mode 0644, by a temporary file renamed over it. */
static int write_atomic(const char *dir, const char *file, const char *data, size_t len,
			struct run_err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t done = 0;
	int fd, err = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, file) >= (int)sizeof(tmp))
		return run_errf(e, ENAMETOOLONG, "%s/%s: path too long", dir, file);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return run_errf(e, errno, "cannot create a file in %s: %s", dir, strerror(errno));
	/* mkostemp makes 0600; the container's processes (any uid) read these */
	if (fchmod(fd, ETCFILES_MODE))
		err = errno;
	while (!err && done < len) {
		ssize_t w = write(fd, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			err = errno;
		else
			done += w;
	}
	/* no fsync: these live as long as the container, under a run dir (tmpfs) */
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		return run_errf(e, err, "cannot write %s: %s", path, strerror(err));
	}
	return 0;
}

/* A text built in memory; NULL data after a failed allocation. */
struct text {
	char *data;
	size_t len;
	FILE *f;
};

static int text_open(struct text *t, struct run_err *e)
{
	t->data = NULL;
	t->len = 0;
	t->f = open_memstream(&t->data, &t->len);
	return t->f ? 0 : run_errf(e, ENOMEM, "out of memory");
}

/* Finish @t and write it as @dir/@file. */
static int text_write(struct text *t, const char *dir, const char *file, struct run_err *e)
{
	int bad = ferror(t->f);
	int err = fclose(t->f) || bad ? run_errf(e, ENOMEM, "out of memory") :
					 write_atomic(dir, file, t->data, t->len, e);

	free(t->data);
	return err;
}

static int write_hosts(const char *dir, const char *hostname, const char *name,
		       const struct net_attachment *att, size_t n, struct run_err *e)
{
	char ip[BPFNET_ADDRSTRLEN];
	struct text t;
	int err = text_open(&t, e);

	if (err)
		return err;
	fputs(hosts_head, t.f);
	for (size_t i = 0; i < n; i++) {
		if (att[i].ip.addr.family == AF_UNSPEC)
			continue;
		fprintf(t.f, "%s\t%s", bpfnet_addr_str(&att[i].ip.addr, ip, sizeof(ip)), hostname);
		/* one record, its names apart by spaces (etchosts.Record) */
		if (name && *name && strcmp(name, hostname))
			fprintf(t.f, " %s", name);
		fputc('\n', t.f);
	}
	return text_write(&t, dir, "hosts", e);
}

/*
 * Is @line a nameserver a container cannot use? Loopback ones (127.0.0.0/8,
 * ::1) are the host's own resolver, not the container's; IPv6 ones too, as
 * Docker leaves them out of a container without IPv6 (bpfnet's have none).
 */
static bool nameserver_unusable(const char *line, bool *is_nameserver)
{
	char addr[INET6_ADDRSTRLEN + 16];
	struct in_addr a4;
	size_t len;

	line += strspn(line, " \t");
	*is_nameserver = false;
	if (strncmp(line, "nameserver", 10) || !strchr(" \t", line[10]) || !line[10])
		return false;
	line += 10;
	line += strspn(line, " \t");
	len = strcspn(line, " \t\r\n#;");
	if (!len || len >= sizeof(addr))
		return false;
	memcpy(addr, line, len);
	addr[len] = '\0';
	*is_nameserver = true;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return strchr(addr, ':') != NULL;	/* IPv6, ::1 and zoned fe80::1%eth0 included */
}

/* The host's resolv.conf (@src) less its unusable nameservers into @t; Docker's when none is left. */
static int resolv_filter(FILE *src, struct text *t)
{
	char *line = NULL;
	size_t cap = 0, kept = 0;
	ssize_t len;
	bool ns, ends_nl = true;

	errno = 0;
	while ((len = getline(&line, &cap, src)) > 0) {
		if (nameserver_unusable(line, &ns))
			continue;
		kept += ns;
		fwrite(line, 1, len, t->f);
		ends_nl = line[len - 1] == '\n';
	}
	free(line);
	if (ferror(src))
		return errno ? -errno : -EIO;
	if (!ends_nl)
		fputc('\n', t->f);
	if (!kept)
		fputs(resolv_defaults, t->f);
	return 0;
}

static int write_resolv(const char *dir, const char *host_resolv, struct run_err *e)
{
	FILE *src = fopen(host_resolv, "re");
	struct text t;
	int err;

	if (!src && errno != ENOENT)
		return run_errf(e, errno, "cannot read %s: %s", host_resolv, strerror(errno));
	err = text_open(&t, e);
	if (err) {
		if (src)
			fclose(src);
		return err;
	}
	if (src) {
		err = resolv_filter(src, &t);
		fclose(src);
	} else {
		fputs(resolv_defaults, t.f);	/* a host without one: as one without nameservers */
	}
	if (err) {
		fclose(t.f);
		free(t.data);
		return run_errf(e, -err, "cannot read %s: %s", host_resolv, strerror(-err));
	}
	return text_write(&t, dir, "resolv.conf", e);
}

static int write_hostname(const char *dir, const char *hostname, struct run_err *e)
{
	struct text t;
	int err = text_open(&t, e);

	if (err)
		return err;
	fprintf(t.f, "%s\n", hostname);
	return text_write(&t, dir, "hostname", e);
}

int etcfiles_write_from(const char *dir, const char *hostname, const char *name,
			const struct net_attachment *att, size_t n, const char *host_resolv,
			struct run_err *e)
{
	if (!dir || !hostname || !*hostname || (n && !att) || !host_resolv)
		return run_errf(e, EINVAL, "a directory, a hostname and the attachments are "
				"required");
	if (strpbrk(hostname, " \t\n/") || (name && strpbrk(name, " \t\n")))
		return run_errf(e, EINVAL, "hostname '%s': no spaces or '/'", hostname);
	return write_hosts(dir, hostname, name, att, n, e) ?: write_hostname(dir, hostname, e) ?:
	       write_resolv(dir, host_resolv, e);
}

int etcfiles_write(const char *dir, const char *hostname, const char *name,
		   const struct net_attachment *att, size_t n, struct run_err *e)
{
	return etcfiles_write_from(dir, hostname, name, att, n, ETCFILES_HOST_RESOLV, e);
}
