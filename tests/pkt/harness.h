/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the packet tests (test_datapath.c, test_nat.c with nat_harness.h,
 * test_bridge.c) share: a private netns with veths for real ifindexes, the
 * datapath skeleton loaded with every map unpinned (and the XDP object on
 * its maps), one BPF_PROG_TEST_RUN of a tc or XDP program, the per-CPU counters summed and their deltas checked, frames
 * compared with a hex dump of the difference, checksums verified, frames
 * broken in one way, and the live path through a real veth for what
 * BPF_PROG_TEST_RUN cannot show. Their maps are seeded by seed.h (the
 * library's encoders), the l3 tests' with the one topology of topo.h.
 *
 * Each test is a program of its own, so everything here is static: a
 * function a test does not use costs it nothing.
 */
#ifndef BPFNET_TESTS_HARNESS_H
#define BPFNET_TESTS_HARNESS_H

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cmocka.h>

#include "bpfnet/abi.h"
#include "datapath.skel.h"
#include "xdp.skel.h"
#include "pktbuild.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DEFAULT_TTL 64
#define BAD_IHL 4		/* below the 20-byte minimum */
#define IP_FOREIGN IP4(10, 1, 0, 99)	/* not the sender's address */
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000L
#define HEXDUMP_ROW 16		/* bytes per hex dump line */
#define MAX_TESTS 192		/* test cases of one program */

static const uint8_t foreign_mac[ETH_ALEN] = { 0x02, 0x66, 0x66, 0x66, 0x66, 0x66 };

static struct datapath_bpf *skel;
static struct xdp_bpf *xdp_skel;	/* loaded by the tests that run it, on skel's maps */
static int ncpus;
static struct CMUnitTest tests[MAX_TESTS];
static size_t n_tests;

#define DROP_NAME(name, str) [BPFNET_##name] = str,
static const char *const drop_names[BPFNET_DROP_MAX] = { BPFNET_FOREACH_DROP(DROP_NAME) };
#undef DROP_NAME

#define GLOBAL_NAME(name, str) [BPFNET_##name] = str,
static const char *const global_names[BPFNET_G_MAX] = { BPFNET_FOREACH_GLOBAL(GLOBAL_NAME) };
#undef GLOBAL_NAME

static inline const char *verdict_name(int verdict)
{
	switch (verdict) {
	case TC_ACT_UNSPEC:
		return "TC_ACT_UNSPEC";
	case TC_ACT_OK:
		return "TC_ACT_OK";
	case TC_ACT_SHOT:
		return "TC_ACT_SHOT";
	case TC_ACT_STOLEN:
		return "TC_ACT_STOLEN";
	case TC_ACT_REDIRECT:
		return "TC_ACT_REDIRECT";
	default:
		return "?";
	}
}

static inline const char *xdp_verdict_name(int verdict)
{
	switch (verdict) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "?";
	}
}

/*
 * The XDP verdict of the class of tc verdict @tc: what the XDP build of a
 * path must return where the tc one returns @tc. Accepted and not ours are
 * one class (the stack, where tc sees it next); -1 for none (STOLEN).
 */
static inline int xdp_verdict_of_tc(int tc)
{
	switch (tc) {
	case TC_ACT_UNSPEC:
	case TC_ACT_OK:
		return XDP_PASS;
	case TC_ACT_SHOT:
		return XDP_DROP;
	case TC_ACT_REDIRECT:
		return XDP_REDIRECT;
	default:
		return -1;
	}
}

static inline void fmt_mac(char *buf, size_t size, const uint8_t *mac)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);	/* bpf_ktime_get_ns()'s clock */
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * NSEC_PER_MSEC };

	nanosleep(&ts, NULL);
}

/* ---- frames: each mangling breaks exactly one thing of a valid frame ---- */

static inline uint8_t *l3(struct pkt *p)
{
	return p->data + p->l3_off;
}

static inline void spoof_eth_src(struct pkt *p)
{
	memcpy(p->data + ETH_OFF_SRC, foreign_mac, ETH_ALEN);
}

static inline void spoof_arp_sha(struct pkt *p)
{
	memcpy(l3(p) + ARP_OFF_SHA, foreign_mac, ETH_ALEN);
}

static inline void spoof_arp_sip(struct pkt *p)
{
	put_be32(l3(p) + ARP_OFF_SIP, IP_FOREIGN);
}

/* RFC 5227 probe: sender address 0.0.0.0. */
static inline void arp_probe(struct pkt *p)
{
	put_be32(l3(p) + ARP_OFF_SIP, 0);
}

/* Spoofed source address, with every checksum still right. */
static inline void spoof_ip_src(struct pkt *p)
{
	put_be32(l3(p) + IP_OFF_SADDR, IP_FOREIGN);
	pkt_ipv4_finish(p);
}

static inline void ip_ihl_4(struct pkt *p)
{
	l3(p)[IP_OFF_VER_IHL] = IPV4_VERSION << 4 | BAD_IHL;
	ipv4_csum_set(l3(p));
}

/* @in routed one hop: MACs @dst and @src, TTL-1, header checksum from scratch. */
static inline void expect_routed(const struct pkt *in, const uint8_t *dst, const uint8_t *src,
				 struct pkt *out)
{
	*out = *in;
	memcpy(out->data + ETH_OFF_DST, dst, ETH_ALEN);
	memcpy(out->data + ETH_OFF_SRC, src, ETH_ALEN);
	l3(out)[IP_OFF_TTL]--;
	ipv4_csum_set(l3(out));
}

/* The ARP reply from @mac (address @ip) to the asker, written from scratch. */
static inline void build_arp_reply(struct pkt *out, const uint8_t *asker_mac, uint32_t asker_ip,
				   const uint8_t *mac, uint32_t ip)
{
	struct arp_spec arp = { .op = ARP_OP_REPLY, .sha = mac, .sip = ip, .tha = asker_mac,
				.tip = asker_ip };

	pkt_init(out);
	pkt_eth(out, asker_mac, mac, ETH_P_ARP);
	pkt_arp(out, &arp);
}

/* ---- counters ---- */

/* Sum over the CPUs of a per-CPU value made of @n 64-bit counters. */
static inline void percpu_sum(struct bpf_map *map, uint32_t key, uint64_t *sum, size_t n)
{
	uint64_t *vals = calloc((size_t)ncpus * n, sizeof(*vals));
	size_t i;
	int err;

	assert_non_null(vals);
	err = bpf_map__lookup_elem(map, &key, sizeof(key), vals, (size_t)ncpus * n * sizeof(*vals),
				   0);
	if (err)
		fail_msg("%s[%u]: lookup failed: %s", bpf_map__name(map), key, strerror(-err));
	memset(sum, 0, n * sizeof(*sum));
	for (i = 0; i < (size_t)ncpus * n; i++)
		sum[i % n] += vals[i];
	free(vals);
}

static inline void read_drop_stats(uint64_t drops[BPFNET_DROP_MAX])
{
	uint32_t r;

	for (r = 0; r < BPFNET_DROP_MAX; r++)
		percpu_sum(skel->maps.drop_stats, r, &drops[r], 1);
}

static inline void read_global_stats(uint64_t global[BPFNET_G_MAX])
{
	uint32_t g;

	for (g = 0; g < BPFNET_G_MAX; g++)
		percpu_sum(skel->maps.global_stats, g, &global[g], 1);
}

static inline void read_ep_stats(uint32_t ep_id, struct bpfnet_ep_stats *out)
{
	percpu_sum(skel->maps.ep_stats, ep_id, (uint64_t *)out, sizeof(*out) / sizeof(uint64_t));
}

/* Every drop counted, whatever its reason. */
static inline uint64_t drops_total(void)
{
	uint64_t drops[BPFNET_DROP_MAX], sum = 0;
	uint32_t r;

	read_drop_stats(drops);
	for (r = 0; r < BPFNET_DROP_MAX; r++)
		sum += drops[r];
	return sum;
}

/* ---- checks; @name is the case or step, the start of every message ---- */

static inline void check_verdict(const char *name, int want, int got)
{
	if (got != want)
		fail_msg("%s: verdict: expected %s (%d), got %s (%d)", name, verdict_name(want),
			 want, verdict_name(got), got);
}

static inline void check_delta(const char *name, const char *what, uint64_t want,
			       uint64_t before, uint64_t after)
{
	if (after - before != want)
		fail_msg("%s: %s: expected +%llu, got +%llu", name, what,
			 (unsigned long long)want, (unsigned long long)(after - before));
}

/* Exactly the reason @drop counted once (none for DROP_UNUSED), every other untouched. */
static inline void check_drop_deltas(const char *name, enum bpfnet_drop_reason drop,
				     const uint64_t *before, const uint64_t *after)
{
	char what[96];
	uint32_t r;

	for (r = 0; r < BPFNET_DROP_MAX; r++) {
		snprintf(what, sizeof(what), "drop_stats[%s] (expected drop reason: %s)",
			 drop_names[r], drop ? drop_names[drop] : "none");
		check_delta(name, what, drop && r == drop ? 1 : 0, before[r], after[r]);
	}
}

/* Every node-wide counter grown by exactly @want. */
static inline void check_global_deltas(const char *name, const uint64_t *want,
				       const uint64_t *before, const uint64_t *after)
{
	char what[96];
	uint32_t g;

	for (g = 0; g < BPFNET_G_MAX; g++) {
		snprintf(what, sizeof(what), "global_stats[%s]", global_names[g]);
		check_delta(name, what, want[g], before[g], after[g]);
	}
}

/* What one endpoint's counters must grow by, in packets. */
struct ep_delta {
	int tx;		/* bytes must grow by packets * frame length */
	int rx;
	int drops;
};

static inline void check_ep_field(const char *name, const char *ifname, const char *field,
				  uint64_t want, uint64_t before, uint64_t after)
{
	char what[96];

	snprintf(what, sizeof(what), "ep_stats[%s].%s", ifname, field);
	check_delta(name, what, want, before, after);
}

static inline void check_ep_deltas(const char *name, const char *ifname, const struct ep_delta *d,
				   size_t len, const struct bpfnet_ep_stats *b,
				   const struct bpfnet_ep_stats *a)
{
	check_ep_field(name, ifname, "tx_packets", d->tx, b->tx_packets, a->tx_packets);
	check_ep_field(name, ifname, "tx_bytes", d->tx * len, b->tx_bytes, a->tx_bytes);
	check_ep_field(name, ifname, "rx_packets", d->rx, b->rx_packets, a->rx_packets);
	check_ep_field(name, ifname, "rx_bytes", d->rx * len, b->rx_bytes, a->rx_bytes);
	check_ep_field(name, ifname, "drops", d->drops, b->drops, a->drops);
}

static inline void dump_row(const struct pkt *p, size_t row)
{
	size_t i;

	for (i = row; i < row + HEXDUMP_ROW; i++) {
		if (i < p->len)
			print_error(" %02x", p->data[i]);
		else
			print_error("   ");
	}
}

static inline bool row_differs(const struct pkt *a, const struct pkt *b, size_t row)
{
	size_t i;

	for (i = row; i < row + HEXDUMP_ROW; i++) {
		bool in_a = i < a->len, in_b = i < b->len;

		if (in_a != in_b || (in_a && a->data[i] != b->data[i]))
			return true;
	}
	return false;
}

/* Side by side hex dump, rows that differ marked. */
static inline void hexdump_diff(const struct pkt *want, const struct pkt *got)
{
	size_t row, len = want->len > got->len ? want->len : got->len;

	print_error("  left: expected (%zu bytes), right: got (%zu bytes)\n", want->len, got->len);
	for (row = 0; row < len; row += HEXDUMP_ROW) {
		print_error("  %04zx ", row);
		dump_row(want, row);
		print_error("  |");
		dump_row(got, row);
		print_error("%s\n", row_differs(want, got, row) ? "  <-- differs" : "");
	}
}

static inline void assert_pkt_equal(const char *name, const struct pkt *want,
				    const struct pkt *got)
{
	size_t i;

	if (want->len == got->len && !memcmp(want->data, got->data, want->len))
		return;
	hexdump_diff(want, got);
	for (i = 0; i < want->len && i < got->len && want->data[i] == got->data[i]; i++)
		;
	fail_msg("%s: output frame differs from the expected one, first at byte %zu "
		 "(expected %zu bytes, got %zu)", name, i, want->len, got->len);
}

/* The IPv4 header checksum at @iph, recomputed in full; @which: "IPv4", "quoted IPv4". */
static inline void check_ip_csum(const char *name, const char *which, const uint8_t *iph)
{
	if (!ipv4_csum_valid(iph) || get_be16(iph + IP_OFF_CHECK) != ipv4_csum_compute(iph))
		fail_msg("%s: %s header checksum: expected 0x%04x, got 0x%04x", name, which,
			 ipv4_csum_compute(iph), get_be16(iph + IP_OFF_CHECK));
}

/* @got, an XDP verdict, of the class of the tc verdict @want. */
static inline void check_xdp_verdict(const char *name, int want, int got)
{
	if (got != xdp_verdict_of_tc(want))
		fail_msg("%s: verdict: expected %s (as tc's %s), got %s (%d)", name,
			 xdp_verdict_name(xdp_verdict_of_tc(want)), verdict_name(want),
			 xdp_verdict_name(got), got);
}

/* ---- running ---- */

/* One BPF_PROG_TEST_RUN of @prog on @in with context @ctx (@ctx_size bytes); its verdict. */
static inline int test_run_ctx(const char *name, struct bpf_program *prog, void *ctx,
			       size_t ctx_size, const struct pkt *in, struct pkt *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in->data,
		.data_size_in = (__u32)in->len,
		.data_out = out->data,
		.data_size_out = sizeof(out->data),
		.ctx_in = ctx,
		.ctx_size_in = (__u32)ctx_size,
	);

	pkt_init(out);
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts))
		fail_msg("%s: BPF_PROG_TEST_RUN failed: %s", name, strerror(errno));
	out->len = opts.data_size_out;
	out->l3_off = in->l3_off;
	out->l4_off = in->l4_off;
	return (int)opts.retval;
}

/* One BPF_PROG_TEST_RUN of the XDP program @prog on @in as arrived on @ifindex. */
static inline int xdp_test_run(const char *name, struct bpf_program *prog, unsigned int ifindex,
			       const struct pkt *in, struct pkt *out)
{
	/* data_end: the frame's length (with 0 the program sees an empty frame) */
	struct xdp_md ctx = { .data_end = (__u32)in->len, .ingress_ifindex = ifindex };

	return test_run_ctx(name, prog, &ctx, sizeof(ctx), in, out);
}

/* One BPF_PROG_TEST_RUN of the tc program @prog on @in as arrived on @ifindex. */
static inline int prog_test_run(const char *name, struct bpf_program *prog, unsigned int ifindex,
				const struct pkt *in, struct pkt *out)
{
	struct __sk_buff ctx = { .ifindex = ifindex };

	return test_run_ctx(name, prog, &ctx, sizeof(ctx), in, out);
}

/* @prog on the tc ingress of @ifindex, the clsact qdisc made if need be. */
static inline int tc_attach_ingress(unsigned int ifindex, struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(prog));
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

/* Send the frame @p out of @ifindex through the AF_PACKET socket @fd; 0 or -errno. */
static inline int packet_send(int fd, int ifindex, const struct pkt *p)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex,
				  .sll_halen = ETH_ALEN };

	memcpy(to.sll_addr, p->data + ETH_OFF_DST, ETH_ALEN);
	if (sendto(fd, p->data, p->len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)p->len)
		return -errno;
	return 0;
}

/* ---- setup ---- */

static inline int map_update(struct bpf_map *map, const void *key, size_t key_size,
			     const void *val, size_t val_size)
{
	int err = bpf_map__update_elem(map, key, key_size, val, val_size, BPF_ANY);

	if (err)
		fprintf(stderr, "seeding %s failed: %s\n", bpf_map__name(map), strerror(-err));
	return err;
}

/* The endpoint @ep found by its veth and by its address (seed.h encodes it). */
static inline int seed_ep(const struct bpfnet_ep *ep)
{
	__u32 ifindex = ep->ifindex;
	__be32 ip = ep->ip;

	if (map_update(skel->maps.ep_by_ifindex, &ifindex, sizeof(ifindex), ep, sizeof(*ep)))
		return -1;
	return map_update(skel->maps.ep_by_ip, &ip, sizeof(ip), ep, sizeof(*ep));
}

/* ncpus, and the skeleton loaded with every map unpinned: nothing outside this process. */
static inline int skel_load(void)
{
	struct bpf_map *map;
	int err;

	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "libbpf_num_possible_cpus: %s\n", strerror(-ncpus));
		return -1;
	}
	skel = datapath_bpf__open();
	if (!skel) {
		fprintf(stderr, "datapath_bpf__open: %s\n", strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, skel->obj)
		bpf_map__set_pin_path(map, NULL);
	err = datapath_bpf__load(skel);
	if (err) {
		fprintf(stderr, "datapath_bpf__load: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

/*
 * The XDP object loaded on skel's maps, each shared by name, as the pinned
 * maps of an instance are shared by both objects: one topology for both.
 */
static inline int xdp_skel_load(void)
{
	struct bpf_map *map, *own;
	int err;

	xdp_skel = xdp_bpf__open();
	if (!xdp_skel) {
		fprintf(stderr, "xdp_bpf__open: %s\n", strerror(errno));
		return -1;
	}
	bpf_object__for_each_map(map, xdp_skel->obj) {
		bpf_map__set_pin_path(map, NULL);
		own = bpf_map__is_internal(map) ? NULL :
		      bpf_object__find_map_by_name(skel->obj, bpf_map__name(map));
		err = own ? bpf_map__reuse_fd(map, bpf_map__fd(own)) : 0;
		if (err) {
			fprintf(stderr, "sharing map %s: %s\n", bpf_map__name(map), strerror(-err));
			return -1;
		}
	}
	err = xdp_bpf__load(xdp_skel);
	if (err) {
		fprintf(stderr, "xdp_bpf__load: %s\n", strerror(-err));
		return -1;
	}
	return 0;
}

/* The group teardown of every test program. */
static inline int skel_destroy(void **state)
{
	(void)state;
	xdp_bpf__destroy(xdp_skel);
	xdp_skel = NULL;
	datapath_bpf__destroy(skel);
	skel = NULL;
	return 0;
}

/* ---- the netns and its veths ---- */

static inline int write_proc(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(value, f) < 0 || fclose(f)) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* No IPv6: no router solicitations or DAD probes for the programs and sockets to see. */
static inline int disable_ipv6(void)
{
	if (write_proc("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
	    write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"))
		return -1;
	return 0;
}

/*
 * A private netns, and everything made in it gone with the process. The
 * veths give real ifindexes: BPF_PROG_TEST_RUN looks up the device of
 * __sk_buff.ifindex in the current netns.
 */
static inline int enter_netns(void)
{
	if (unshare(CLONE_NEWNET)) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	return disable_ipv6();
}

static inline int sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

/* A veth pair, both ends up: @name with @mac, its peer @peer with @peer_mac. */
static inline int veth_add(const char *name, const uint8_t *mac, const char *peer,
			   const uint8_t *peer_mac, unsigned int *ifindex,
			   unsigned int *peer_ifindex)
{
	char cmd[256], m[32], pm[32];

	fmt_mac(m, sizeof(m), mac);
	fmt_mac(pm, sizeof(pm), peer_mac);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s address %s type veth peer name %s address %s && "
		 "ip link set %s up && ip link set %s up", name, m, peer, pm, name, peer);
	if (sh(cmd))
		return -1;
	*ifindex = if_nametoindex(name);
	*peer_ifindex = if_nametoindex(peer);
	if (!*ifindex || !*peer_ifindex) {
		fprintf(stderr, "if_nametoindex(%s): %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the test cases ---- */

static inline void add_test(const char *name, CMUnitTestFunction fn, const void *arg)
{
	if (n_tests == MAX_TESTS)
		abort();
	tests[n_tests++] = (struct CMUnitTest){
		.name = name, .test_func = fn, .initial_state = (void *)arg,
	};
}

/* Every test added, @each_setup (if not NULL) before each of them. */
static inline int run_group(const char *group, CMFixtureFunction setup,
			    CMFixtureFunction teardown, CMFixtureFunction each_setup)
{
	size_t i;

	for (i = 0; i < n_tests; i++)
		tests[i].setup_func = each_setup;
	return _cmocka_run_group_tests(group, tests, n_tests, setup, teardown);
}

#endif /* BPFNET_TESTS_HARNESS_H */
