// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * connrate: new TCP connections per second, and request/response latency, for
 * tools/bench.
 *
 *   connrate server PORT [--bind IP] [--req BYTES] [--resp BYTES]
 *   connrate client IP PORT [--duration SEC] [--concurrency N] [--req BYTES] [--resp BYTES]
 *                           [--interval MS] [--rate N] [--conns N]
 *   connrate rr IP PORT [--duration SEC] [--req BYTES] [--resp BYTES]
 *
 * The server answers every REQ bytes it reads with RESP bytes, on one epoll
 * loop, until it is killed; it never closes a connection first.
 *
 * client: one "connection" is connect, send a REQ-byte request, read the
 * RESP-byte response, close. N of them are kept in flight with non-blocking
 * sockets on one epoll loop; after DURATION seconds (with --conns: once N
 * connections were tried, DURATION then only a limit, by default a day) it
 * prints one line:
 *
 *   conns=N errors=E seconds=S conn_per_s=R p50_us=X p99_us=Y
 *
 * (pXX_us: time from socket() to the last response byte). --interval MS adds a line
 * every MS milliseconds, of the connections that ended in it (tools/upgrade-bench reads
 * them as windows around an upgrade):
 *
 *   interval t=T conns=N errors=E conn_per_s=R max_us=M
 *
 * (T: seconds since the start, at the interval's end; M: the slowest connection that
 * ended in it, so a SYN lost and sent again shows as a second). --rate N starts at most
 * N connections a second (paced), a steady load that leaves the CPU to others.
 * It closes with an
 * RST (SO_LINGER 0) once it has the whole response, so no side and no conntrack
 * table keeps TIME_WAIT state that would run a long test out of ports.
 *
 * rr: one connection, one request in flight (ping-pong); each round trip is
 * timed from the send of the request to the last byte of the response:
 *
 *   rtts=N seconds=S avg_us=A p50_us=X p99_us=Y
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256
#define MAX_MSG 65536		/* largest request or response, bytes */
#define MAX_CONCURRENCY 65536	/* more would need more than one source address */
#define MAX_SAMPLES (64u << 20) /* latency samples kept (256 MiB of u32 at most) */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "connrate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: connrate server PORT [--bind IP] [--req BYTES] [--resp BYTES]\n"
		"       connrate client IP PORT [--duration SEC] [--concurrency N] [--conns N]\n"
		"                               [--req BYTES] [--resp BYTES] [--interval MS] [--rate N]\n"
		"       connrate rr IP PORT [--duration SEC] [--req BYTES] [--resp BYTES]\n");
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "connrate: %s must be a number in %ld..%ld, not '%s'\n", what, min,
			max, s);
		exit(2);
	}
	return v;
}

static void parse_addr(struct sockaddr_in *sa, const char *ip, const char *port)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(parse_num(port, 1, 65535, "PORT"));
	if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1) {
		fprintf(stderr, "connrate: '%s' is not an IPv4 address\n", ip);
		exit(2);
	}
}

/* the options of every mode; each mode takes some of them */
struct opts {
	const char *bind_ip;
	int duration, concurrency, req, resp, interval_ms, rate;
	unsigned long long conns;	/* client: stop after this many tries; 0: none */
};

/* parse_opts: "--NAME VALUE" pairs from argv[i] on, NAME one of @allowed ("a b c") */
static void parse_opts(int argc, char **argv, int i, const char *allowed, struct opts *o)
{
	char key[32];

	*o = (struct opts){ .bind_ip = "0.0.0.0", .duration = 5, .concurrency = 64,
			    .req = 64, .resp = 64 };
	for (; i < argc; i += 2) {
		const char *name = argv[i], *val;

		if (i + 1 >= argc || strncmp(name, "--", 2) || strlen(name) > 20)
			usage();
		val = argv[i + 1];
		snprintf(key, sizeof(key), " %s ", name + 2);
		if (!strstr(allowed, key))
			usage();
		if (!strcmp(name, "--bind"))
			o->bind_ip = val;
		else if (!strcmp(name, "--duration"))
			o->duration = parse_num(val, 1, 86400, name);
		else if (!strcmp(name, "--conns"))
			o->conns = (unsigned long long)parse_num(val, 1, 1000000000, name);
		else if (!strcmp(name, "--concurrency"))
			o->concurrency = parse_num(val, 1, MAX_CONCURRENCY, name);
		else if (!strcmp(name, "--req"))
			o->req = parse_num(val, 1, MAX_MSG, name);
		else if (!strcmp(name, "--resp"))
			o->resp = parse_num(val, 1, MAX_MSG, name);
		else if (!strcmp(name, "--interval"))
			o->interval_ms = parse_num(val, 10, 3600000, name);
		else if (!strcmp(name, "--rate"))
			o->rate = parse_num(val, 1, 10000000, name);
	}
}

static void epoll_set(int ep, int op, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	if (epoll_ctl(ep, op, fd, &ev) < 0)
		die("epoll_ctl");
}

/* ---- server ----------------------------------------------------------------------- */

struct srv_conn {
	int got;	/* bytes of the current request read so far */
};

static int server_accept(int ep, int lfd, struct srv_conn **conns, int *nconns)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (fd >= *nconns) {
			int n = fd * 2 + 64;

			*conns = realloc(*conns, n * sizeof(**conns));
			if (!*conns)
				die("realloc");
			*nconns = n;
		}
		(*conns)[fd] = (struct srv_conn){ 0 };
		epoll_set(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, fd);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR)
		return -errno;
	return 0;
}

/* read what the client sent, answer each complete request; close on EOF/RST */
static void server_serve(int fd, struct srv_conn *c, int req, const char *resp, int resp_len)
{
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			c->got += n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		close(fd); /* EOF or reset: the client is done (epoll forgets fd) */
		return;
	}
	while (c->got >= req) {
		c->got -= req;
		/* one request in flight: a small response finds the send buffer empty */
		if (write(fd, resp, resp_len) != resp_len) {
			close(fd);
			return;
		}
	}
}

static int run_server(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct epoll_event evs[MAX_EVENTS];
	struct srv_conn *conns = NULL;
	int nconns = 0, lfd, ep, one = 1, i;
	struct opts o;
	char *resp;

	if (argc < 1)
		usage();
	parse_opts(argc, argv, 1, " bind req resp ", &o);
	parse_addr(&sa, o.bind_ip, argv[0]);
	resp = malloc(o.resp);
	if (!resp)
		die("malloc");
	memset(resp, 'r', o.resp);

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("bind");
	if (listen(lfd, 4096) < 0)
		die("listen");
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	epoll_set(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, lfd);

	while (!stop) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 500);

		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.u64;

			if (fd == lfd) {
				if (server_accept(ep, lfd, &conns, &nconns) < 0)
					perror("connrate: accept");
				continue;
			}
			server_serve(fd, &conns[fd], o.req, resp, o.resp);
		}
	}
	return 0;
}

/* ---- client ----------------------------------------------------------------------- */

enum { CONNECTING, WAITING };

struct cli_conn {
	int fd;
	int state;
	int got;
	double t0;
};

struct cli {
	int ep;
	struct sockaddr_in dst;
	int req, resp;
	char *reqbuf;
	unsigned long long done, errors;
	uint32_t *samples;
	size_t nsamples;
	/* --rate: connections started so far, and the slots waiting for their turn */
	int rate;
	double t_start;
	unsigned long long started;
	uint32_t *idle;
	int nidle;
	/* --interval: the slowest connection of the current interval */
	uint32_t interval_max_us;
};

static void cli_open(struct cli *c, struct cli_conn *k, uint32_t slot)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int one = 1;

	k->fd = -1;
	/* over --rate: the slot waits in the idle list for cli_pace */
	if (c->rate && c->started >= (now_s() - c->t_start) * c->rate) {
		c->idle[c->nidle++] = slot;
		return;
	}
	c->started++;
	k->t0 = now_s();
	k->got = 0;
	k->state = CONNECTING;
	k->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (k->fd < 0)
		die("socket");
	setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(k->fd, (struct sockaddr *)&c->dst, sizeof(c->dst)) < 0 &&
	    errno != EINPROGRESS)
		die("connect");
	epoll_set(c->ep, EPOLL_CTL_ADD, k->fd, EPOLLOUT, slot);
}

/* close (RST) and start the next connection in the same slot */
static void cli_recycle(struct cli *c, struct cli_conn *k, uint32_t slot, int ok)
{
	if (ok) {
		uint32_t us = (uint32_t)((now_s() - k->t0) * 1e6);

		c->done++;
		if (c->nsamples < MAX_SAMPLES)
			c->samples[c->nsamples++] = us;
		if (us > c->interval_max_us)
			c->interval_max_us = us;
	} else {
		c->errors++;
	}
	close(k->fd);
	cli_open(c, k, slot);
}

static void cli_event(struct cli *c, struct cli_conn *k, uint32_t slot, uint32_t events)
{
	char buf[4096];
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	if (k->state == CONNECTING) {
		getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (events & (EPOLLERR | EPOLLHUP)) ||
		    write(k->fd, c->reqbuf, c->req) != c->req) {
			cli_recycle(c, k, slot, 0);
			return;
		}
		k->state = WAITING;
		epoll_set(c->ep, EPOLL_CTL_MOD, k->fd, EPOLLIN, slot);
		return;
	}
	for (;;) {
		n = read(k->fd, buf, sizeof(buf));
		if (n > 0) {
			k->got += n;
			if (k->got >= c->resp) {
				cli_recycle(c, k, slot, 1);
				return;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		cli_recycle(c, k, slot, 0); /* EOF or error before the whole response */
		return;
	}
}

/* --rate: start the waiting slots whose turn has come */
static void cli_pace(struct cli *c, struct cli_conn *conns)
{
	while (c->nidle && c->started < (now_s() - c->t_start) * c->rate) {
		uint32_t slot = c->idle[--c->nidle];

		cli_open(c, &conns[slot], slot);
	}
}

/* --interval: one line of the connections that ended since the last one */
struct ticker {
	double next, last;
	unsigned long long done, errors;
};

static void cli_tick(struct cli *c, struct ticker *t, double now, double interval)
{
	printf("interval t=%.3f conns=%llu errors=%llu conn_per_s=%.1f max_us=%u\n",
	       now - c->t_start, c->done - t->done, c->errors - t->errors,
	       (c->done - t->done) / (now - t->last), c->interval_max_us);
	fflush(stdout);
	t->done = c->done;
	t->errors = c->errors;
	t->last = now;
	t->next += interval;
	if (t->next <= now) /* the loop was held up for longer than an interval */
		t->next = now + interval;
	c->interval_max_us = 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double percentile(const uint32_t *v, size_t n, double p)
{
	if (!n)
		return 0;
	return v[(size_t)(p / 100.0 * (n - 1) + 0.5)];
}

static int duration_given(int argc, char **argv)
{
	for (int i = 2; i < argc; i += 2)
		if (!strcmp(argv[i], "--duration"))
			return 1;
	return 0;
}

static int run_client(int argc, char **argv)
{
	struct epoll_event evs[MAX_EVENTS];
	struct cli c = { 0 };
	struct cli_conn *conns;
	struct ticker tick = { 0 };
	double t_start, t_end, now, interval;
	struct opts o;
	int i, wait_ms;

	if (argc < 2)
		usage();
	parse_addr(&c.dst, argv[0], argv[1]);
	parse_opts(argc, argv, 2, " duration concurrency req resp interval rate conns ", &o);
	if (o.conns && !duration_given(argc, argv))
		o.duration = 86400;
	c.req = o.req;
	c.resp = o.resp;
	c.reqbuf = malloc(c.req);
	conns = calloc(o.concurrency, sizeof(*conns));
	c.samples = malloc(MAX_SAMPLES * sizeof(*c.samples));
	c.idle = calloc(o.concurrency, sizeof(*c.idle));
	c.rate = o.rate;
	if (!c.reqbuf || !conns || !c.samples || !c.idle)
		die("malloc");
	memset(c.reqbuf, 'q', c.req);
	c.ep = epoll_create1(0);
	if (c.ep < 0)
		die("epoll_create1");

	t_start = c.t_start = tick.last = now_s();
	t_end = t_start + o.duration;
	interval = o.interval_ms / 1000.0;
	tick.next = t_start + interval;
	for (i = 0; i < o.concurrency; i++)
		cli_open(&c, &conns[i], i);
	while (!stop && (now = now_s()) < t_end && (!o.conns || c.done + c.errors < o.conns)) {
		int n;

		/* a paced load wakes up for its next start: a millisecond is 1000/s */
		wait_ms = c.nidle ? 1 : 100;
		n = epoll_wait(c.ep, evs, MAX_EVENTS, wait_ms);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			cli_event(&c, &conns[evs[i].data.u32], evs[i].data.u32, evs[i].events);
		if (c.rate)
			cli_pace(&c, conns);
		if (o.interval_ms && (now = now_s()) >= tick.next)
			cli_tick(&c, &tick, now, interval);
	}
	now = now_s();
	for (i = 0; i < o.concurrency; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd);

	qsort(c.samples, c.nsamples, sizeof(*c.samples), cmp_u32);
	printf("conns=%llu errors=%llu seconds=%.3f conn_per_s=%.1f p50_us=%.0f p99_us=%.0f\n",
	       c.done, c.errors, now - t_start, c.done / (now - t_start),
	       percentile(c.samples, c.nsamples, 50), percentile(c.samples, c.nsamples, 99));
	return c.done ? 0 : 1;
}

/* ---- rr: request/response latency ---------------------------------------------------- */

static int io_all(int fd, char *buf, int len, int writing)
{
	int done = 0;

	while (done < len) {
		ssize_t n = writing ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR && !stop)
				continue;
			return -1;
		}
		done += n;
	}
	return 0;
}

static int run_rr(int argc, char **argv)
{
	struct timeval tmo = { .tv_sec = 5 };
	struct sockaddr_in dst;
	uint32_t *samples;
	size_t n = 0;
	double t_start, t_end, t0, sum = 0;
	int fd, one = 1;
	struct opts o;
	char *req, *resp;

	if (argc < 2)
		usage();
	parse_addr(&dst, argv[0], argv[1]);
	parse_opts(argc, argv, 2, " duration req resp ", &o);
	req = malloc(o.req);
	resp = malloc(o.resp);
	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	if (!req || !resp || !samples)
		die("malloc");
	memset(req, 'q', o.req);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* a lost answer ends the test instead of hanging it */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("connect");

	t_start = now_s();
	t_end = t_start + o.duration;
	while (!stop && (t0 = now_s()) < t_end && n < MAX_SAMPLES) {
		double rtt;

		if (io_all(fd, req, o.req, 1) < 0 || io_all(fd, resp, o.resp, 0) < 0)
			die("request/response");
		rtt = now_s() - t0;
		sum += rtt;
		samples[n++] = (uint32_t)(rtt * 1e9);
	}
	close(fd);
	qsort(samples, n, sizeof(*samples), cmp_u32);
	printf("rtts=%zu seconds=%.3f avg_us=%.3f p50_us=%.3f p99_us=%.3f\n", n, now_s() - t_start,
	       n ? sum / n * 1e6 : 0, percentile(samples, n, 50) / 1e3,
	       percentile(samples, n, 99) / 1e3);
	return n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		return run_server(argc - 2, argv + 2);
	if (!strcmp(argv[1], "client"))
		return run_client(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rr"))
		return run_rr(argc - 2, argv + 2);
	usage();
	return 2;
}
