// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pps: a UDP packet generator and sink for tools/bench's packets-per-second
 * stage, on a kernel without pktgen.
 *
 *   pps gen DEV DST_MAC SRC_IP DST_IP DPORT [--sport N] [--len BYTES]
 *           [--duration SEC]
 *   pps sink PORT
 *
 * gen sends one UDP flow SRC_IP:SPORT > DST_IP:DPORT out of DEV (frames of
 * LEN bytes without FCS, 60 by default: the smallest Ethernet frame) for
 * DURATION seconds (default 5), as fast as it can, then prints one line:
 *
 *   sent=N seconds=S pps=R
 *
 * It needs no pktgen: an XDP program that writes the headers and returns XDP_TX
 * is run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES, so that each run of it
 * transmits the frame out of DEV (Documentation/bpf/bpf_prog_run.rst: XDP_TX
 * becomes a redirect to the ingress device). The frames never go through an
 * skb or a qdisc on the sending side, so the sender is cheap and the receiver
 * is the bottleneck. On a veth, the peer must have NAPI on (GRO or an XDP
 * program) or the kernel drops every frame. N counts the frames handed to the
 * kernel: those the peer's ring had no room for are lost on the way, so what
 * arrives is at most N.
 *
 * sink binds a UDP socket to PORT with the smallest receive buffer and never
 * reads it: a server that keeps the port open (no ICMP unreachable for each
 * datagram) at no cost of its own. It runs until it is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf.h>

#define NSEC_PER_SEC 1000000000ULL
#define MIN_FRAME 60		/* Ethernet minimum without FCS */
#define MAX_FRAME 1514		/* MTU 1500 */
#define BATCH 64		/* frames the kernel sends per flush (its default) */
#define RUN_MAX 262144		/* frames per BPF_PROG_RUN: the time is checked between runs */
#define DEFAULT_SPORT 40000
#define DEFAULT_DURATION 5

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: pps gen DEV DST_MAC SRC_IP DST_IP DPORT [--sport N] [--len BYTES]\n"
			"               [--duration SEC]\n"
			"       pps sink PORT\n");
	return 2;
}

/* num TEXT MIN MAX OUT: a whole number in [MIN, MAX], or -1 */
static int num(const char *text, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

struct flow {
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN];
	struct in_addr src, dst;
	uint16_t sport, dport;
	size_t len;
};

/* build_frame: Ethernet + IPv4 + UDP with both checksums right (a NAT that updates
 * them incrementally must find them valid), the payload zeros */
static void build_frame(uint8_t *buf, const struct flow *f)
{
	struct ethhdr *eth = (struct ethhdr *)buf;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t l4 = f->len - sizeof(*eth) - sizeof(*ip);
	uint32_t sum;

	memset(buf, 0, f->len);
	memcpy(eth->h_dest, f->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, f->src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tot_len = htons((uint16_t)(f->len - sizeof(*eth)));
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = f->src.s_addr;
	ip->daddr = f->dst.s_addr;
	ip->check = htons(csum_fold(csum_add(0, ip, sizeof(*ip))));
	udp->source = htons(f->sport);
	udp->dest = htons(f->dport);
	udp->len = htons((uint16_t)l4);
	/* pseudo-header, then the UDP header and payload */
	sum = csum_add(0, &ip->saddr, 8);
	sum += IPPROTO_UDP + (uint32_t)l4;
	sum = csum_add(sum, udp, l4);
	udp->check = htons(csum_fold(sum));
	if (!udp->check)
		udp->check = 0xffff;
}

static int dev_mac(const char *dev, uint8_t *mac)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;

	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	return 0;
}

/*
 * The program every frame runs: write the frame's headers, then "return XDP_TX". The
 * frames' pages come back to the sender's page pool after the receiver is done with
 * them, and the kernel sets their data from the template only when it first allocates
 * a page: a receiver that rewrote the headers (a DNAT, a MAC rewrite before a redirect)
 * would have its rewrite sent again. So the headers are stored anew each time, a 32-bit
 * store of the template at a time (an immediate store takes 32 bits at most).
 */
#define HDR_LEN (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))
#define PROG_MAX (6 + HDR_LEN / 4 + 1 + 2)

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };

	return i;
}

static int load_tx_prog(const uint8_t *frame)
{
	struct bpf_insn p[PROG_MAX];
	int n = 0, jmp, off;
	int32_t w;
	int16_t h;

	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0); /* data */
	p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 4, 0); /* data_end */
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, HDR_LEN);
	jmp = n++;		/* if data + HDR_LEN > data_end: leave the frame as it is */
	for (off = 0; off + 4 <= (int)HDR_LEN; off += 4) {
		memcpy(&w, frame + off, 4);
		p[n++] = insn(BPF_ST | BPF_MEM | BPF_W, BPF_REG_2, 0, (int16_t)off, w);
	}
	if (off < (int)HDR_LEN) {	/* 42 bytes: one 16-bit store at the end */
		memcpy(&h, frame + off, 2);
		p[n++] = insn(BPF_ST | BPF_MEM | BPF_H, BPF_REG_2, 0, (int16_t)off, h);
	}
	p[jmp] = insn(BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, (int16_t)(n - jmp - 1), 0);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_TX);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "pps_tx", "GPL", p, (size_t)n, NULL);
}

/* send_frames PROG FRAME IFINDEX N: N frames out of IFINDEX; 0 or -errno */
static int send_frames(int prog, uint8_t *frame, size_t len, int ifindex, uint32_t n)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = BATCH);
	int rc = bpf_prog_test_run_opts(prog, &opts);

	return rc ? -errno : 0;
}

struct gen_opts {
	const char *dev;
	struct flow flow;
	unsigned long duration;
};

static int gen_parse(int argc, char **argv, struct gen_opts *o)
{
	unsigned long v;
	int i;

	if (argc < 7)
		return usage();
	o->dev = argv[2];
	o->flow.sport = DEFAULT_SPORT;
	o->flow.len = MIN_FRAME;
	o->duration = DEFAULT_DURATION;
	if (!ether_aton_r(argv[3], (struct ether_addr *)o->flow.dst_mac)) {
		fprintf(stderr, "pps: '%s' is no MAC address\n", argv[3]);
		return 2;
	}
	if (inet_pton(AF_INET, argv[4], &o->flow.src) != 1 ||
	    inet_pton(AF_INET, argv[5], &o->flow.dst) != 1) {
		fprintf(stderr, "pps: '%s' or '%s' is no IPv4 address\n", argv[4], argv[5]);
		return 2;
	}
	if (num(argv[6], 1, 65535, &v)) {
		fprintf(stderr, "pps: DPORT takes 1 to 65535, not '%s'\n", argv[6]);
		return 2;
	}
	o->flow.dport = (uint16_t)v;
	for (i = 7; i < argc; i += 2) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = !val;

		if (!bad && !strcmp(opt, "--sport"))
			bad = num(val, 1, 65535, &v) || ((o->flow.sport = (uint16_t)v), 0);
		else if (!bad && !strcmp(opt, "--len"))
			bad = num(val, MIN_FRAME, MAX_FRAME, &v) || ((o->flow.len = v), 0);
		else if (!bad && !strcmp(opt, "--duration"))
			bad = num(val, 1, 3600, &o->duration);
		else
			return usage();
		if (bad) {
			fprintf(stderr, "pps: bad value for %s: '%s'\n", opt, val ? val : "");
			return 2;
		}
	}
	return 0;
}

/* gen_loop: runs of RUN_MAX frames until the time is up. No pacing: each BPF_PROG_RUN
 * with live frames sets up a page pool of its own, which costs far more than the frames
 * of a short run, so the sender only keeps up in long runs (as fast as it can) */
static int gen_loop(int prog, uint8_t *frame, int ifindex, const struct gen_opts *o)
{
	uint64_t t0 = mono_ns(), end = t0 + o->duration * NSEC_PER_SEC, now, sent = 0;
	int rc;

	while (!stop && mono_ns() < end) {
		rc = send_frames(prog, frame, o->flow.len, ifindex, RUN_MAX);
		if (rc == -EINTR)
			break;
		if (rc) {
			fprintf(stderr, "pps: BPF_PROG_RUN with live frames on %s: %s\n", o->dev,
				strerror(-rc));
			return 1;
		}
		sent += RUN_MAX;
	}
	now = mono_ns();
	printf("sent=%llu seconds=%.3f pps=%.0f\n", (unsigned long long)sent,
	       (double)(now - t0) / NSEC_PER_SEC, (double)sent * NSEC_PER_SEC / (double)(now - t0));
	return 0;
}

static int cmd_gen(int argc, char **argv)
{
	struct gen_opts o;
	uint8_t frame[MAX_FRAME];
	int ifindex, prog, rc;

	rc = gen_parse(argc, argv, &o);
	if (rc)
		return rc;
	ifindex = (int)if_nametoindex(o.dev);
	if (!ifindex || dev_mac(o.dev, o.flow.src_mac)) {
		fprintf(stderr, "pps: no device '%s' here\n", o.dev);
		return 1;
	}
	build_frame(frame, &o.flow);
	prog = load_tx_prog(frame);
	if (prog < 0) {
		fprintf(stderr, "pps: cannot load the XDP program: %s\n", strerror(errno));
		return 1;
	}
	/* a short run first: a kernel without live frames says so before the clock starts */
	rc = send_frames(prog, frame, o.flow.len, ifindex, 1);
	if (rc) {
		fprintf(stderr, "pps: BPF_PROG_RUN with live frames on %s: %s\n", o.dev,
			strerror(-rc));
		close(prog);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = gen_loop(prog, frame, ifindex, &o);
	close(prog);
	return rc;
}

static int cmd_sink(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long port;
	int fd, one = 1;

	if (argc != 3 || num(argv[2], 1, 65535, &port))
		return usage();
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* the kernel doubles it and keeps its floor: the smallest buffer it allows */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "pps: sink on UDP port %lu: %s\n", port, strerror(errno));
		return 1;
	}
	printf("sink: listening on UDP port %lu\n", port);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "gen"))
		return cmd_gen(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "sink"))
		return cmd_sink(argc, argv);
	return usage();
}
