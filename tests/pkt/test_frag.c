// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Packet tests of IPv4 fragments through NAT (bpf/lib/frag.h): a datagram in
 * three fragments (first, middle, last) in each direction of every NAT path
 * (published ports, masquerade, hairpin, the untranslated flows out of a
 * network without masquerade and routed in to a container); routed in, the
 * gateway mode's verdict on the first fragment is every fragment's; then
 * later fragments that come before their first, tiny and overlapping
 * fragments (RFC 1858), fragments whose flow is gone, and the node's own
 * fragmented traffic.
 *
 * The hosts, maps and steps are those of test_nat.c (nat_harness.h). Every
 * expected fragment is cut from a datagram built whole and translated from
 * scratch, its checksums computed in full over all of it; each output
 * fragment must match byte for byte, its IPv4 header checksum is checked,
 * and the output fragments are put together again to check the transport
 * checksum (carried by the first) over the whole datagram. Each case with a
 * step on the uplink runs once more through xdp_from_uplink, then tc: every
 * fragment must reach from_uplink untouched, which decides as it does alone.
 */
#include "nat_harness.h"

#define L4_LEN 184		/* transport header and data of each test datagram */
#define N_FRAGS 3		/* first, middle, last */
#define FRAG_UNIT 8		/* the fragment offset field counts 8-byte units */
#define TINY_TCP_LEN 16		/* a first fragment with TCP ports, but not its flags */

/* Where each fragment's share of the L4 bytes starts (all multiples of FRAG_UNIT). */
static const size_t frag_at[N_FRAGS + 1] = { 0, 64, 128, L4_LEN };
static const char *const frag_names[N_FRAGS] = { "first", "middle", "last" };

/* ---- datagrams and their fragments ---- */

/* The whole datagram of @s, L4_LEN bytes of L4, unfragmented, checksums in full. */
static void build_dgram(struct pkt *p, const uint8_t *dst, const uint8_t *src, const struct seg *s)
{
	struct ipv4_spec ip = { .saddr = s->t.saddr, .daddr = s->t.daddr, .proto = s->t.proto,
				.ttl = seg_ttl(s), .id = IP_ID };
	size_t i;

	pkt_init(p);
	pkt_eth(p, dst, src, ETH_P_IP);
	pkt_ipv4(p, &ip);
	build_l4(p, s);
	for (i = p->len - p->l4_off; i < L4_LEN; i++)
		*pkt_put(p, 1) = (uint8_t)(i * 7 + 3);
	pkt_ipv4_finish(p);
	if (s->no_csum)
		put_be16(p->data + p->l4_off + UDP_OFF_CHECK, 0);
}

/* Fragment @i of the datagram @d: its headers, its share of L4, MF on all but the last. */
static void frag_of(const struct pkt *d, int i, struct pkt *out)
{
	uint8_t *iph;
	size_t len = frag_at[i + 1] - frag_at[i];
	uint16_t field = (uint16_t)(frag_at[i] / FRAG_UNIT);

	pkt_init(out);
	pkt_append(out, d->data, d->l4_off);
	out->l3_off = d->l3_off;
	out->l4_off = d->l4_off;
	pkt_append(out, d->data + d->l4_off + frag_at[i], len);
	iph = out->data + out->l3_off;
	put_be16(iph + IP_OFF_TOT_LEN, (uint16_t)(out->len - out->l3_off));
	put_be16(iph + IP_OFF_FRAG, field | (i < N_FRAGS - 1 ? IPV4_FLAG_MF : 0));
	ipv4_csum_set(iph);
}

static void frags_of(const struct pkt *d, struct pkt *frags)
{
	int i;

	for (i = 0; i < N_FRAGS; i++)
		frag_of(d, i, &frags[i]);
}

/* The datagram of @s as @h sends it, in fragments. */
static void frags_from(enum host_id h, const struct seg *s, struct pkt *frags)
{
	struct pkt d;

	build_dgram(&d, hosts[h].host_mac, hosts[h].mac, s);
	frags_of(&d, frags);
}

/*
 * The datagram of @s one hop further (TTL-1) as it must reach @h, in
 * fragments; sent by @from to an outside host without a neighbour entry
 * (@no_neigh), it leaves by redirect_neigh with the MACs it came with.
 */
static void frags_to(enum host_id h, const struct seg *s, enum host_id from, bool no_neigh,
		     struct pkt *frags)
{
	struct seg o = *s;
	struct pkt d;

	o.ttl = seg_ttl(s) - 1;
	if (h == UPLINK && no_neigh)
		build_dgram(&d, hosts[from].host_mac, hosts[from].mac, &o);
	else
		build_dgram(&d, hosts[h].mac, hosts[h].host_mac, &o);
	frags_of(&d, frags);
}

/*
 * Each output fragment's IPv4 header checksum, and the transport checksum
 * of the datagram the receiver puts together from them: over all of its
 * bytes, with the pseudo header of the (translated) first fragment.
 */
static void check_reassembled(const char *step_of, const struct pkt *out)
{
	const uint8_t *iph = out[0].data + out[0].l3_off;
	uint8_t l4[L4_LEN];
	int i, off;

	for (i = 0; i < N_FRAGS; i++) {
		const uint8_t *fh = out[i].data + out[i].l3_off;
		size_t len = get_be16(fh + IP_OFF_TOT_LEN) - ipv4_hdr_len(fh);
		size_t pos = (get_be16(fh + IP_OFF_FRAG) & IPV4_FRAG_OFFSET_MASK) * FRAG_UNIT;

		at("%s: %s fragment out", step_of, frag_names[i]);
		check_ip_csum(where, "IPv4", fh);
		if (pos + len > sizeof(l4))
			fail_msg("%s: fragment at %zu, %zu bytes: past the datagram", where, pos,
				 len);
		memcpy(l4 + pos, fh + ipv4_hdr_len(fh), len);
	}
	at("%s: reassembled", step_of);
	off = l4_check_off(iph[IP_OFF_PROTO]);
	if (iph[IP_OFF_PROTO] == IPPROTO_UDP && !get_be16(l4 + UDP_OFF_CHECK))
		return;		/* "no checksum" stays so: the exact frames said it */
	if (!l4_csum_valid(iph, l4, sizeof(l4)))
		fail_msg("%s: reassembled %s checksum: expected 0x%04x, got 0x%04x", where,
			 proto_str(iph[IP_OFF_PROTO]), l4_csum_compute(iph, l4, sizeof(l4)),
			 get_be16(l4 + off));
}

/* ---- frag4 ---- */

static struct bpfnet_frag_key frag_key(const struct tuple *t)
{
	struct bpfnet_frag_key k;

	memset(&k, 0, sizeof(k));
	k.saddr = htonl(t->saddr);
	k.daddr = htonl(t->daddr);
	k.id = htons(IP_ID);
	k.proto = t->proto;
	return k;
}

/* The first fragment of @t left its ports for the later ones, about to expire. */
static void expect_frag_entry(const struct tuple *t)
{
	struct bpfnet_frag_key k = frag_key(t);
	struct bpfnet_frag_val v;
	int64_t left;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.frag4), &k, &v))
		fail_msg("%s: frag4[%s id 0x%04x]: expected an entry, found none", where,
			 tuple_str(t), IP_ID);
	if (ntohs(v.sport) != t->sport || ntohs(v.dport) != t->dport)
		fail_msg("%s: frag4[%s]: ports: expected %u > %u, got %u > %u", where,
			 tuple_str(t), t->sport, t->dport, ntohs(v.sport), ntohs(v.dport));
	left = (int64_t)(v.expires_ns - now_ns());
	if (left > (int64_t)(BPFNET_FRAG_TIMEOUT_SEC * NSEC_PER_SEC) ||
	    left < (int64_t)((BPFNET_FRAG_TIMEOUT_SEC - 1) * NSEC_PER_SEC))
		fail_msg("%s: frag4[%s]: expires in %.3f s, expected %u s (less up to 1 s)", where,
			 tuple_str(t), (double)left / NSEC_PER_SEC, BPFNET_FRAG_TIMEOUT_SEC);
}

/* Make @t's entry look BPFNET_FRAG_TIMEOUT_SEC old. */
static void frag_entry_expire(const struct tuple *t)
{
	struct bpfnet_frag_key k = frag_key(t);
	struct bpfnet_frag_val v;
	int fd = bpf_map__fd(skel->maps.frag4);

	if (bpf_map_lookup_elem(fd, &k, &v))
		fail_msg("%s: frag4[%s]: expected an entry, found none", where, tuple_str(t));
	v.expires_ns = 1;
	if (bpf_map_update_elem(fd, &k, &v, BPF_EXIST))
		fail_msg("%s: writing frag4[%s] failed: %s", where, tuple_str(t), strerror(errno));
}

static int frag_clear(void)
{
	int fd = bpf_map__fd(skel->maps.frag4);
	struct bpfnet_frag_key k;

	while (!bpf_map_get_next_key(fd, NULL, &k))
		if (bpf_map_delete_elem(fd, &k))
			return -1;
	return 0;
}

/* 10.1.0.2:7000/udp a published container port, as port add writes it for a routed network. */
static struct bpfnet_ep_port_key ep_port_a(void)
{
	struct bpfnet_ep_port_key k;

	dp_ep_port_encode(htonl(IP_A), htons(7000), IPPROTO_UDP, &k);
	return k;
}

/* Every test starts from empty ct4 and frag4, the networks and ep_ports as seeded. */
static int reset_maps(void **state)
{
	struct bpfnet_ep_port_key k = ep_port_a();

	bpf_map_delete_elem(bpf_map__fd(skel->maps.ep_ports), &k);
	return reset_state(state) ?: frag_clear();
}

/* ---- a fragmented datagram through each NAT path ---- */

/* The flows, as in test_nat.c; the first fragment of a UDP or ICMP datagram opens its flow. */
static const struct nat_case dnat_udp = {
	"published udp 0.0.0.0:5353 -> 10.1.0.2:53", UPLINK,
	{ .t = T(UDP, REMOTE, 40002, NODE, 5353) }, .xl = T(UDP, REMOTE, 40002, IP_A, 53),
	PUBLISHED(EP_A) };
static const struct nat_case dnat_tcp = {
	"published tcp 0.0.0.0:8080 -> 10.1.0.2:80", UPLINK,
	{ .t = T(TCP, REMOTE, 40000, NODE, 8080) }, .xl = T(TCP, REMOTE, 40000, IP_A, 80),
	PUBLISHED(EP_A) };
static const struct nat_case snat_udp = {
	"masqueraded udp 10.1.0.2:5000 > 192.168.50.2:53", EP_A,
	{ .t = T(UDP, IP_A, 5000, REMOTE, 53) }, .xl = T(UDP, NODE, 0, REMOTE, 53), MASQUERADED };
static const struct nat_case snat_udp_no_csum = {
	"masqueraded udp without checksum", EP_A,
	{ .t = T(UDP, IP_A, 5001, REMOTE, 53), .no_csum = true }, .xl = T(UDP, NODE, 0, REMOTE, 53),
	MASQUERADED };
static const struct nat_case snat_udp_no_neigh = {
	"masqueraded udp to a host without neighbour entry (out by redirect_neigh)", EP_A,
	{ .t = T(UDP, IP_A, 5004, REMOTE_NN, 53) }, .xl = T(UDP, NODE, 0, REMOTE_NN, 53),
	MASQUERADED, .no_neigh = true };
static const struct nat_case snat_tcp = {
	"masqueraded tcp 10.1.0.2:5002 > 192.168.50.2:443", EP_A,
	{ .t = T(TCP, IP_A, 5002, REMOTE, 443) }, .xl = T(TCP, NODE, 0, REMOTE, 443), MASQUERADED };
static const struct nat_case snat_echo = {
	"masqueraded icmp echo id 0x4242 (ping -s)", EP_A,
	{ .t = T(ICMP, IP_A, 0x4242, REMOTE, 0) }, .xl = T(ICMP, NODE, 0, REMOTE, 0), MASQUERADED };
static const struct nat_case hairpin_udp = {
	"hairpin udp 10.1.0.3:5000 > 192.168.50.1:5353 -> 10.1.0.2:53", EP_B,
	{ .t = T(UDP, IP_B, 5000, NODE, 5353) }, .xl = T(UDP, NODE, 0, IP_A, 53),
	HAIRPINNED(EP_A) };
static const struct nat_case hairpin_tcp = {
	"hairpin tcp 10.1.0.3:41000 > 192.168.50.1:8080 -> 10.1.0.2:80", EP_B,
	{ .t = T(TCP, IP_B, 41000, NODE, 8080) }, .xl = T(TCP, NODE, 41000, IP_A, 80),
	HAIRPINNED(EP_A) };
/* routed in to a container (where its gateway mode lets it in): tracked, not translated */
static const struct nat_case routed_udp = {
	"routed in udp 192.168.50.2:40010 > 10.1.0.2:7000", UPLINK,
	{ .t = T(UDP, REMOTE, 40010, IP_A, 7000) }, .xl = T(UDP, REMOTE, 40010, IP_A, 7000),
	.verdict = TC_ACT_REDIRECT, .to = EP_A, .kind = BPFNET_G_CT_CREATED };

/* out of a network without masquerade: tracked as it is, so that its replies get in */
static const struct nat_case routed_out_udp = {
	"tracked as it is: udp 10.2.0.2:5005 > 192.168.50.2:53 (no masquerade)", EP_C,
	{ .t = T(UDP, IP_C, 5005, REMOTE, 53) }, .xl = T(UDP, IP_C, 5005, REMOTE, 53), ROUTED_OUT };

static const struct nat_case *const frag_cases[] = {
	&dnat_udp, &dnat_tcp, &snat_udp, &snat_udp_no_csum, &snat_udp_no_neigh, &snat_tcp,
	&snat_echo, &hairpin_udp, &hairpin_tcp, &routed_out_udp,
};

/*
 * One datagram of flow @c in fragments, in its original direction or its
 * reply's; @opens: its first fragment opens the flow. Every fragment must be
 * redirected translated as the whole datagram would be. Returns the
 * translated tuple of the original direction (the source port SNAT chose).
 */
static struct tuple send_fragmented(const struct nat_case *c, struct tuple xl, bool reply,
				    bool opens)
{
	enum host_id dev = reply ? c->to : c->from, to = reply ? c->from : c->to;
	struct seg s = c->seg;
	struct pkt in[N_FRAGS], out[N_FRAGS], want[N_FRAGS];
	char step_of[sizeof(where)];
	int i;

	s.t = reply ? reverse(&xl) : c->seg.t;
	s.tcp_flags = s.t.proto == IPPROTO_TCP ? TCP_FLAG_ACK | TCP_FLAG_PSH : 0;
	frags_from(dev, &s, in);
	snprintf(step_of, sizeof(step_of), "%s", where_case());
	for (i = 0; i < N_FRAGS; i++) {
		/* under XDP, a fragment is tc's: xdp_from_uplink passes it untouched */
		struct expect x = { .verdict = TC_ACT_REDIRECT, .rx = to == UPLINK ? H_NONE : to,
				    .xdp_to_tc = dev == UPLINK };

		at("%s: %s fragment", step_of, frag_names[i]);
		if (i == 0) {
			x.global[BPFNET_G_FRAG_TRACKED] = 1;
			x.global[BPFNET_G_CT_CREATED] = opens;
			x.global[c->kind] = opens;
		}
		step(dev, &in[i], &out[i], &x);
		if (i == 0) {
			expect_frag_entry(&s.t);
			if (opens && (c->flags & F_SNAT))
				xl.sport = snat_port(&out[0], c->xl.sport);
		}
	}
	s.t = reply ? reverse(&c->seg.t) : xl;
	frags_to(to, &s, dev, c->no_neigh, want);
	for (i = 0; i < N_FRAGS; i++) {
		at("%s: %s fragment out", step_of, frag_names[i]);
		expect_frame(&want[i], &out[i]);
	}
	check_reassembled(step_of, out);
	return xl;
}

static void run_frag_case(void **state)
{
	const struct nat_case *c = *state;
	bool tcp = c->seg.t.proto == IPPROTO_TCP;
	struct tuple xl = c->xl;
	struct pkt in, out;

	if (tcp) {	/* TCP flows open with an unfragmented SYN, then data may come in pieces */
		at("%s: SYN", c->name);
		xl = open_flow(c, &in, &out);
		at("%s: SYN-ACK", c->name);
		flow_step(c, &xl, true, TCP_FLAG_SYN | TCP_FLAG_ACK);
	}
	at("%s: original direction", c->name);
	xl = send_fragmented(c, xl, false, !tcp);
	at("%s: reply", c->name);
	send_fragmented(c, xl, true, false);
	at("%s: after both", c->name);
	expect_flow_ct(&c->seg.t, &xl, c->flags | F_SEEN, BPFNET_CT_ESTABLISHED);
}

/* ---- routed in: the gateway mode's verdict on the first is every fragment's ---- */

/* nat-unprotected: anything routed in gets in, tracked, and so do the later fragments */
static void test_routed_in_unprotected(void **state)
{
	set_net_flags(NET1, BPFNET_NET_F_UNPROTECTED);
	*state = (void *)&routed_udp;
	run_frag_case(state);
}

/* routed: a published container port gets in, every fragment of it */
static void test_routed_in_published(void **state)
{
	set_net_flags(NET1, BPFNET_NET_F_ROUTED);
	if (topo_seed_ep_port(IP_A, 7000, IPPROTO_UDP))
		fail_msg("writing ep_ports failed: %s", strerror(errno));
	*state = (void *)&routed_udp;
	run_frag_case(state);
}

/* @flags' mode keeps 10.1.0.2:7000 (not published) closed from outside: to every fragment. */
static void routed_in_closed(uint8_t flags)
{
	struct expect x = { .verdict = TC_ACT_SHOT, .drop = BPFNET_DROP_DIRECT_ROUTING,
			    .xdp_to_tc = routed_in(UPLINK, &routed_udp.seg) };
	struct pkt in[N_FRAGS], out;
	int i;

	set_net_flags(NET1, flags);
	frags_from(UPLINK, &routed_udp.seg, in);
	for (i = 0; i < N_FRAGS; i++) {
		at("closed to %s: %s fragment", routed_udp.name, frag_names[i]);
		x.global[BPFNET_G_FRAG_TRACKED] = i == 0;
		step(UPLINK, &in[i], &out, &x);
	}
	expect_no_ct(&routed_udp.seg.t);
}

static void test_routed_in_nat_closed(void **state)
{
	(void)state;
	routed_in_closed(0);
}

static void test_routed_in_unpublished_closed(void **state)
{
	(void)state;
	routed_in_closed(BPFNET_NET_F_ROUTED);
}

/* ---- later fragments before their first ---- */

/* Fragment @i of @s sent by @dev, expecting @x and (not dropped) the frame untouched. */
static void send_one(enum host_id dev, const struct seg *s, int i, const struct expect *x)
{
	struct pkt in[N_FRAGS], out;

	frags_from(dev, s, in);
	step(dev, &in[i], &out, x);
	if (x->verdict != TC_ACT_SHOT && x->verdict != TC_ACT_REDIRECT)
		expect_frame(&in[i], &out);
}

#define DROPPED(reason) ((struct expect){ .verdict = TC_ACT_SHOT, .drop = BPFNET_##reason })

/*
 * A container's stack sends a datagram's fragments in order: a middle one
 * first is made up, and dropped; once the first has come, it goes through.
 */
static void test_container_later_before_first(void **state)
{
	const struct nat_case *c = &snat_udp;
	struct expect tracked = { .verdict = TC_ACT_REDIRECT };
	struct pkt in[N_FRAGS], out;

	(void)state;
	at("container: middle fragment before the first");
	send_one(EP_A, &c->seg, 1, &DROPPED(DROP_FRAG_NO_FIRST));
	expect_no_ct(&c->seg.t);
	at("container: then the first");
	tracked.global[BPFNET_G_FRAG_TRACKED] = 1;
	tracked.global[BPFNET_G_CT_CREATED] = 1;
	tracked.global[BPFNET_G_SNAT] = 1;
	frags_from(EP_A, &c->seg, in);
	step(EP_A, &in[0], &out, &tracked);
	at("container: then the middle one again");
	step(EP_A, &in[1], &out, &(struct expect){ .verdict = TC_ACT_REDIRECT });
}

/* From outside to a container's address: no telling which flow it would join. */
static void test_uplink_to_container_later_before_first(void **state)
{
	struct expect x = DROPPED(DROP_FRAG_NO_FIRST);

	(void)state;
	x.xdp_to_tc = routed_in(UPLINK, &routed_udp.seg);	/* under XDP: routed in, tc's */
	at("uplink to 10.1.0.2: last fragment before the first");
	send_one(UPLINK, &routed_udp.seg, 2, &x);
	expect_no_ct(&routed_udp.seg.t);
}

/*
 * From outside to a node address, before its first: the node's own or a
 * published port's, no telling. Left to the node, counted (see
 * frag4_to_node() in datapath.bpf.c); the first fragment after it goes
 * to the container, and so do the fragments after that.
 */
static void test_uplink_to_node_later_before_first(void **state)
{
	const struct nat_case *c = &dnat_udp;
	struct expect to_node = { .verdict = TC_ACT_UNSPEC };
	/* under XDP, fragments are tc's: xdp_from_uplink passes them untouched */
	struct expect dnat = { .verdict = TC_ACT_REDIRECT, .rx = EP_A, .xdp_to_tc = true };
	struct pkt in[N_FRAGS], out;

	(void)state;
	at("uplink to the node: middle fragment before the first");
	to_node.global[BPFNET_G_FRAG_TO_NODE] = 1;
	send_one(UPLINK, &c->seg, 1, &to_node);
	expect_no_ct(&c->seg.t);
	at("uplink to the node: then the first");
	frags_from(UPLINK, &c->seg, in);
	dnat.global[BPFNET_G_FRAG_TRACKED] = 1;
	dnat.global[BPFNET_G_CT_CREATED] = 1;
	dnat.global[BPFNET_G_DNAT] = 1;
	step(UPLINK, &in[0], &out, &dnat);
	at("uplink to the node: then the last");
	memset(dnat.global, 0, sizeof(dnat.global));
	step(UPLINK, &in[2], &out, &dnat);
}

/* ---- fragments without a flow, and expired entries ---- */

/* The first fragment made a flow; the flow is gone when the next comes: never a new one. */
static void test_later_without_flow(void **state)
{
	const struct nat_case *c = &snat_udp;
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct pkt in[N_FRAGS], out;

	(void)state;
	at("flow gone: first fragment");
	x.global[BPFNET_G_FRAG_TRACKED] = 1;
	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[BPFNET_G_SNAT] = 1;
	frags_from(EP_A, &c->seg, in);
	step(EP_A, &in[0], &out, &x);
	if (ct_clear())
		fail_msg("%s: emptying ct4 failed", where);
	at("flow gone: middle fragment");
	step(EP_A, &in[1], &out, &DROPPED(DROP_FRAG_NO_FLOW));
	expect_no_ct(&c->seg.t);
}

/* An entry older than BPFNET_FRAG_TIMEOUT_SEC is of a datagram long given up: no match. */
static void test_expired_entry(void **state)
{
	const struct nat_case *c = &snat_udp;
	struct expect x = { .verdict = TC_ACT_REDIRECT };
	struct pkt in[N_FRAGS], out;

	(void)state;
	at("expired frag4 entry: first fragment");
	x.global[BPFNET_G_FRAG_TRACKED] = 1;
	x.global[BPFNET_G_CT_CREATED] = 1;
	x.global[BPFNET_G_SNAT] = 1;
	frags_from(EP_A, &c->seg, in);
	step(EP_A, &in[0], &out, &x);
	frag_entry_expire(&c->seg.t);
	at("expired frag4 entry: middle fragment");
	step(EP_A, &in[1], &out, &DROPPED(DROP_FRAG_NO_FIRST));
}

/* ---- tiny and overlapping fragments ---- */

/* A first fragment with @l4_len bytes of L4 (a multiple of FRAG_UNIT, as MF requires). */
static void build_short_first(enum host_id dev, const struct seg *s, size_t l4_len,
			      struct pkt *p)
{
	struct pkt d;
	uint8_t *iph;

	build_dgram(&d, hosts[dev].host_mac, hosts[dev].mac, s);
	pkt_init(p);
	pkt_append(p, d.data, d.l4_off + l4_len);
	p->l3_off = d.l3_off;
	p->l4_off = d.l4_off;
	iph = p->data + p->l3_off;
	put_be16(iph + IP_OFF_TOT_LEN, (uint16_t)(p->len - p->l3_off));
	put_be16(iph + IP_OFF_FRAG, IPV4_FLAG_MF);
	ipv4_csum_set(iph);
}

struct tiny_case {
	const char *name;
	enum host_id dev;
	struct seg seg;
	size_t l4_len;		/* first fragment: L4 bytes it holds */
	uint16_t offset;	/* else: a later fragment at this offset (8-byte units) */
};

static const struct tiny_case tiny_cases[] = {
	{ "tiny: first tcp fragment of 16 bytes (ports, no flags) to the outside", EP_A,
	  { .t = T(TCP, IP_A, 5002, REMOTE, 443), .tcp_flags = TCP_FLAG_SYN }, TINY_TCP_LEN, 0 },
	{ "tiny: first tcp fragment of 16 bytes to a published port, not to the node either",
	  UPLINK, { .t = T(TCP, REMOTE, 40000, NODE, 8080), .tcp_flags = TCP_FLAG_SYN },
	  TINY_TCP_LEN, 0 },
	{ "tiny: first udp fragment without its header to a published port", UPLINK,
	  { .t = T(UDP, REMOTE, 40002, NODE, 5353) }, 0, 0 },
	{ "tiny: first icmp echo fragment without its header", EP_A,
	  { .t = T(ICMP, IP_A, 0x4242, REMOTE, 0) }, 0, 0 },
	{ "overlap: tcp fragment at offset 8, into the header (RFC 1858), from a container", EP_A,
	  { .t = T(TCP, IP_A, 5002, REMOTE, 443) }, 0, 1 },
	{ "overlap: tcp fragment at offset 16, into the header, to a published port", UPLINK,
	  { .t = T(TCP, REMOTE, 40000, NODE, 8080) }, 0, 2 },
};

static void run_tiny_case(void **state)
{
	const struct tiny_case *c = *state;
	struct pkt in[N_FRAGS], p, out;
	uint8_t *iph;

	at("%s", c->name);
	if (!c->offset) {
		build_short_first(c->dev, &c->seg, c->l4_len, &p);
	} else {
		frags_from(c->dev, &c->seg, in);
		p = in[1];
		iph = p.data + p.l3_off;
		put_be16(iph + IP_OFF_FRAG, IPV4_FLAG_MF | c->offset);
		ipv4_csum_set(iph);
	}
	/* under XDP, a fragment is tc's: xdp_from_uplink passes it untouched */
	step(c->dev, &p, &out, &(struct expect){ .verdict = TC_ACT_SHOT,
		.drop = BPFNET_DROP_FRAG_TINY, .xdp_to_tc = c->dev == UPLINK });
	expect_no_ct(&c->seg.t);
}

/* ---- fragments that are not NAT's ---- */

struct untouched_case {
	const char *name;
	enum host_id dev;
	struct seg seg;
	int verdict;
};

static const struct untouched_case untouched_cases[] = {
	{ "node's own: udp 192.168.50.2:53 > 192.168.50.1:33333 (no published port) to the node",
	  UPLINK, { .t = T(UDP, REMOTE, 53, NODE, 33333) }, TC_ACT_UNSPEC },
	{ "node's own: icmp echo 192.168.50.2 > 192.168.50.1 (ping -s) to the node", UPLINK,
	  { .t = T(ICMP, REMOTE, 0x0777, NODE, 0) }, TC_ACT_UNSPEC },
	{ "to the node: udp from 10.1.0.2 to 192.168.50.1:9999 (not published)", EP_A,
	  { .t = T(UDP, IP_A, 5006, NODE, 9999) }, TC_ACT_OK },
};

/* Every fragment, in order, left as it is with the same verdict. */
static void run_untouched_case(void **state)
{
	const struct untouched_case *c = *state;
	struct pkt in[N_FRAGS], out;
	int i;

	frags_from(c->dev, &c->seg, in);
	for (i = 0; i < N_FRAGS; i++) {
		struct expect x = { .verdict = c->verdict };

		at("%s: %s fragment", c->name, frag_names[i]);
		x.global[BPFNET_G_FRAG_TRACKED] = i == 0;
		step(c->dev, &in[i], &out, &x);
		expect_frame(&in[i], &out);
	}
	expect_no_ct(&c->seg.t);
}

/* ---- main ---- */

/* Does flow @c have a step on the uplink: from it, or its replies (from outside)? */
static bool has_uplink_step(const struct nat_case *c)
{
	return c->from == UPLINK || c->to == UPLINK;
}

/*
 * Every case with a step on the uplink once more through xdp_from_uplink
 * then, if it passes the frame, from_uplink (nat_harness.h's add_test_xdp()).
 */
static void add_xdp_tests(char **names)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(frag_cases); i++)
		if (has_uplink_step(frag_cases[i]))
			add_test_xdp(names[i], run_frag_case, frag_cases[i]);
	add_test_xdp("routed in, nat-unprotected: every fragment gets in, tracked",
		     test_routed_in_unprotected, NULL);
	add_test_xdp("routed in, routed mode: every fragment to a published container port gets in",
		     test_routed_in_published, NULL);
	add_test_xdp("routed in, nat mode: every fragment dropped as the first",
		     test_routed_in_nat_closed, NULL);
	add_test_xdp("routed in, routed mode: every fragment to an unpublished port dropped",
		     test_routed_in_unpublished_closed, NULL);
	add_test_xdp("before its first: from outside to a container address, dropped",
		     test_uplink_to_container_later_before_first, NULL);
	add_test_xdp("before its first: from outside to a node address, left to the node",
		     test_uplink_to_node_later_before_first, NULL);
	for (i = 0; i < ARRAY_SIZE(tiny_cases); i++)
		if (tiny_cases[i].dev == UPLINK)
			add_test_xdp(tiny_cases[i].name, run_tiny_case, &tiny_cases[i]);
	for (i = 0; i < ARRAY_SIZE(untouched_cases); i++)
		if (untouched_cases[i].dev == UPLINK)
			add_test_xdp(untouched_cases[i].name, run_untouched_case,
				     &untouched_cases[i]);
}

int main(void)
{
	char *names[ARRAY_SIZE(frag_cases)];
	size_t i;

	if (nat_setup_netns())
		return 1;
	for (i = 0; i < ARRAY_SIZE(frag_cases); i++) {
		if (asprintf(&names[i], "fragments both ways: %s", frag_cases[i]->name) < 0)
			return 1;
		add_test(names[i], run_frag_case, frag_cases[i]);
	}
	add_test("routed in, nat-unprotected: every fragment gets in, tracked",
		 test_routed_in_unprotected, NULL);
	add_test("routed in, routed mode: every fragment to a published container port gets in",
		 test_routed_in_published, NULL);
	add_test("routed in, nat mode: every fragment dropped as the first",
		 test_routed_in_nat_closed, NULL);
	add_test("routed in, routed mode: every fragment to an unpublished port dropped",
		 test_routed_in_unpublished_closed, NULL);
	add_test("before its first: from a container, dropped", test_container_later_before_first,
		 NULL);
	add_test("before its first: from outside to a container address, dropped",
		 test_uplink_to_container_later_before_first, NULL);
	add_test("before its first: from outside to a node address, left to the node",
		 test_uplink_to_node_later_before_first, NULL);
	add_test("no flow: the first fragment's flow is gone, the later one makes none",
		 test_later_without_flow, NULL);
	add_test("expired: a frag4 entry past its time matches nothing", test_expired_entry,
		 NULL);
	for (i = 0; i < ARRAY_SIZE(tiny_cases); i++)
		add_test(tiny_cases[i].name, run_tiny_case, &tiny_cases[i]);
	for (i = 0; i < ARRAY_SIZE(untouched_cases); i++)
		add_test(untouched_cases[i].name, run_untouched_case, &untouched_cases[i]);
	add_xdp_tests(names);
	return run_group("frag", setup_datapath, skel_destroy, reset_maps);
}
