/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rtnetlink through libmnl. Each request is sent with a fresh sequence number
 * and the reply is read until its ACK (or NLMSG_DONE for dumps), so the socket
 * never holds a stale answer for the next request.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/veth.h>

#include "sys/netlink.h"

/* Large enough that the kernel never truncates a link dump message. */
#define NL_BUF_SIZE	32768
/* Our requests are a few hundred bytes at most: names are length-checked. */
#define NL_REQ_SIZE	1024
/* A dump that raced with a link change (NLM_F_DUMP_INTR) is simply retried. */
#define NL_DUMP_TRIES	3

struct nl {
	struct mnl_socket *sock;	/* NULL: a replay (nl_open_replay) */
	/* a replay's replies still to read, and the copy of the one read last */
	const unsigned char *replay;
	size_t replay_left;
	void *replay_msg;
	unsigned int portid;
	unsigned int seq;
	char errmsg[256];
	char req[NL_REQ_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	char buf[NL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
};

/* State of one request while its replies are read. */
struct nl_ctx {
	struct nl *nl;
	mnl_cb_t cb;	/* per data message; NULL when none is expected */
	void *arg;
	int err;	/* first failure (positive errno), 0 if none */
};

static void nl_set_err(struct nl_ctx *ctx, int err)
{
	if (!ctx->err)
		ctx->err = err;
}

/* Copy a string attribute; never reads past the attribute nor overflows @dst. */
static void nl_attr_strcpy(char *dst, size_t size, const struct nlattr *attr)
{
	const char *src = mnl_attr_get_payload(attr);
	size_t len = strnlen(src, mnl_attr_get_payload_len(attr));

	if (len >= size)
		len = size - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * libmnl 1.0.4 has no extended-ACK helper: walk the TLVs that follow the
 * first @hlen bytes of the payload, bounded by the message length.
 */
static void nl_extack(struct nl *nl, const struct nlmsghdr *nlh, size_t hlen)
{
	const char *payload = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	const struct nlattr *attr;
	const void *tlvs;

	hlen = MNL_ALIGN(hlen);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || hlen > len)
		return;
	tlvs = payload + hlen;
	mnl_attr_for_each_payload(tlvs, len - hlen) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG) {
			nl_attr_strcpy(nl->errmsg, sizeof(nl->errmsg), attr);
			return;
		}
	}
}

/*
 * The errno of a reply's error field, which the kernel sets to -errno. A
 * value no errno can be (positive, INT_MIN, below -4095, the kernel's
 * MAX_ERRNO) is no error we could name: EPROTO, never its negation.
 */
static int nl_reply_errno(int error)
{
	return error < 0 && error >= -4095 ? -error : EPROTO;
}

static int nl_cb_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	struct nl_ctx *ctx = data;
	size_t hlen;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		nl_set_err(ctx, EBADMSG);
		return MNL_CB_STOP;
	}
	if (!err->error)
		return MNL_CB_STOP;	/* the ACK */
	/* The TLVs follow the echoed request, which is only its header if capped. */
	hlen = sizeof(err->error) + sizeof(err->msg);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len > sizeof(err->msg))
		hlen = sizeof(err->error) + err->msg.nlmsg_len;
	nl_extack(ctx->nl, nlh, hlen);
	nl_set_err(ctx, nl_reply_errno(err->error));
	return MNL_CB_STOP;
}

/* NLMSG_DONE ends a dump; a dump that failed part-way says so in it. */
static int nl_cb_done(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ctx *ctx = data;
	int error;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(error))
		return MNL_CB_STOP;
	memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
	if (error < 0) {
		nl_extack(ctx->nl, nlh, sizeof(error));
		nl_set_err(ctx, nl_reply_errno(error));
	}
	return MNL_CB_STOP;
}

/*
 * After a callback failed, keep reading (and ignoring) the rest of the reply
 * instead of stopping, so nothing of this request stays queued.
 */
static int nl_cb_data(const struct nlmsghdr *nlh, void *data)
{
	struct nl_ctx *ctx = data;

	if (ctx->err || !ctx->cb)
		return MNL_CB_OK;
	errno = 0;
	if (ctx->cb(nlh, ctx->arg) == MNL_CB_ERROR)
		nl_set_err(ctx, errno ? errno : EIO);
	return MNL_CB_OK;
}

/*
 * A replay's next chunk (nl_open_replay) as one datagram of the kernel, into
 * an allocation of its exact size, so that a parser reading past the end of
 * the reply reads past the end of an object (which ASan sees), not into
 * stale bytes of nl->buf. -1 with errno as recvfrom() would.
 */
static ssize_t nl_replay_recv(struct nl *nl, const void **buf)
{
	uint16_t len;

	free(nl->replay_msg);
	nl->replay_msg = NULL;
	if (nl->replay_left < sizeof(len)) {
		errno = ENODATA;
		return -1;
	}
	memcpy(&len, nl->replay, sizeof(len));
	nl->replay += sizeof(len);
	nl->replay_left -= sizeof(len);
	if (len > nl->replay_left)
		len = nl->replay_left;
	/* what mnl_socket_recvfrom() says of a datagram larger than its buffer */
	if (len > NL_BUF_SIZE) {
		errno = ENOSPC;
		return -1;
	}
	nl->replay_msg = malloc(len ? len : 1);
	if (!nl->replay_msg)
		return -1;
	memcpy(nl->replay_msg, nl->replay, len);
	nl->replay += len;
	nl->replay_left -= len;
	*buf = nl->replay_msg;
	return len;
}

/* The next datagram of replies: from the socket into nl->buf, or a replay's. */
static ssize_t nl_recv(struct nl *nl, const void **buf)
{
	if (!nl->sock)
		return nl_replay_recv(nl, buf);
	*buf = nl->buf;
	return mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
}

/* Discard what is still queued after libmnl gave up on a reply mid-way. */
static void nl_drain(struct nl *nl)
{
	int fd;

	if (!nl->sock) {
		nl->replay_left = 0;
		return;
	}
	fd = mnl_socket_get_fd(nl->sock);
	while (recv(fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT) > 0)
		;
}

/* Start a request in nl->req. Dumps are ended by NLMSG_DONE, not an ACK. */
static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->req);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP)
		nlh->nlmsg_flags |= NLM_F_ACK;
	return nlh;
}

/*
 * libmnl 1.0.4's mnl_nlmsg_ok() compares nlmsg_len with what is left as an
 * int: a length of 2^31 or more passes as negative, and mnl_nlmsg_next()
 * then steps gigabytes past the datagram. Every message's length is checked
 * here, unsigned, before libmnl walks them (bytes too few for a header at
 * the end are left, as libmnl leaves them).
 */
static bool nl_datagram_ok(const void *buf, size_t n)
{
	const char *p = buf;

	while (n >= sizeof(struct nlmsghdr)) {
		size_t len = ((const struct nlmsghdr *)p)->nlmsg_len;

		if (len < sizeof(struct nlmsghdr) || len > n)
			return false;
		len = NLMSG_ALIGN(len);
		if (len >= n)
			break;
		p += len;
		n -= len;
	}
	return true;
}

/* Send @nlh and read replies until the ACK; @cb sees each data message. */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	/* Not const: mnl_cb_run2() of libmnl 1.0.4 takes a non-const array. */
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_cb_error,
		[NLMSG_DONE] = nl_cb_done,
	};
	struct nl_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	int ret = MNL_CB_OK, err;
	const void *buf;
	ssize_t n;

	/* Sequence 0 would turn off libmnl's sequence check. */
	if (++nl->seq == 0)
		nl->seq = 1;
	nlh->nlmsg_seq = nl->seq;
	nl->errmsg[0] = '\0';
	if (nl->sock && mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = nl_recv(nl, &buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err_drain;
		if (!nl_datagram_ok(buf, (size_t)n)) {
			errno = EBADMSG;
			goto err_drain;
		}
		ret = mnl_cb_run2(buf, n, nl->seq, nl->portid, nl_cb_data,
				  &ctx, ctl, MNL_ARRAY_SIZE(ctl));
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		goto err_drain;
	return -ctx.err;

err_drain:
	err = errno;
	nl_drain(nl);
	return -err;
}

/* Create and bind the socket; it stays in the netns current right now. */
static int nl_sock_open(struct nl *nl)
{
	int one = 1, err;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return err;
	}
	/* Best effort: without them we only lose error text or get bigger ACKs. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	return 0;
}

int nl_open(struct nl **out, int netns_fd)
{
	int saved = -1, err;
	struct nl *nl;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->seq = time(NULL);
	if (netns_fd >= 0) {
		saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (saved < 0) {
			err = -errno;
			goto err_free;
		}
		if (setns(netns_fd, CLONE_NEWNET)) {
			err = -errno;
			goto err_saved;
		}
	}
	err = nl_sock_open(nl);
	/* Always return to the caller's netns, whatever happened above. */
	if (saved >= 0 && setns(saved, CLONE_NEWNET) && !err)
		err = -errno;
	if (err)
		goto err_sock;
	if (saved >= 0)
		close(saved);
	*out = nl;
	return 0;

err_sock:
	if (nl->sock)
		mnl_socket_close(nl->sock);
err_saved:
	if (saved >= 0)
		close(saved);
err_free:
	free(nl);
	return err;
}

int nl_open_replay(struct nl **out, const void *replies, size_t len)
{
	struct nl *nl = calloc(1, sizeof(*nl));

	*out = nl;
	if (!nl)
		return -ENOMEM;
	/* sequence and port 0 in a reply match any request, as the kernel's 0 do */
	nl->replay = replies;
	nl->replay_left = len;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->replay_msg);
	free(nl);
}

const char *nl_errmsg(const struct nl *nl)
{
	return nl ? nl->errmsg : "";
}

/* Names are checked here so requests can never outgrow nl->req. */
static bool nl_name_ok(const char *name)
{
	return name && name[0] && strnlen(name, IF_NAMESIZE) < IF_NAMESIZE;
}

/* Table of a message's (or nest's) attributes, indexed by type. */
struct nl_attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int nl_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* Attributes newer than our headers are of no interest. */
	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static void nl_link_kind(const struct nlattr *linkinfo, char *kind, size_t size)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = {};
	struct nl_attrs a = { tb, IFLA_INFO_MAX };

	mnl_attr_parse_nested(linkinfo, nl_attr_cb, &a);
	if (tb[IFLA_INFO_KIND])
		nl_attr_strcpy(kind, size, tb[IFLA_INFO_KIND]);
}

static int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *link)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	struct nl_attrs a = { tb, IFLA_MAX };

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	mnl_attr_parse(nlh, sizeof(*ifi), nl_attr_cb, &a);
	memset(link, 0, sizeof(*link));
	link->ifindex = ifi->ifi_index;
	link->flags = ifi->ifi_flags;
	if (tb[IFLA_IFNAME])
		nl_attr_strcpy(link->name, sizeof(link->name), tb[IFLA_IFNAME]);
	if (tb[IFLA_ADDRESS] &&
	    mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == sizeof(link->mac))
		memcpy(link->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), sizeof(link->mac));
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		link->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_LINKINFO])
		nl_link_kind(tb[IFLA_LINKINFO], link->kind, sizeof(link->kind));
	if (tb[IFLA_LINK] && mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32) == 0)
		link->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	return 0;
}

static struct nlmsghdr *nl_link_msg(struct nl *nl, uint16_t type, uint16_t flags,
				    int ifindex)
{
	struct nlmsghdr *nlh = nl_msg(nl, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

/* We read none of the statistics; leaving them out keeps replies small. */
static void nl_put_ext_mask(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
}

struct nl_link_get {
	struct nl_link *link;
	bool found;
};

static int nl_link_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link_get *get = data;
	int err;

	err = nl_link_parse(nlh, get->link);
	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	get->found = true;
	return MNL_CB_OK;
}

static int nl_link_get(struct nl *nl, struct nlmsghdr *nlh, struct nl_link *out)
{
	struct nl_link_get get = { .link = out };
	int err;

	nl_put_ext_mask(nlh);
	err = nl_talk(nl, nlh, nl_link_get_cb, &get);
	if (err)
		return err;
	return get.found ? 0 : -ENODEV;
}

int nl_link_get_by_name(struct nl *nl, const char *name, struct nl_link *out)
{
	struct nlmsghdr *nlh;

	if (!nl_name_ok(name) || !out)
		return -EINVAL;
	nlh = nl_link_msg(nl, RTM_GETLINK, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_link_get(nl, nlh, out);
}

int nl_link_get_by_index(struct nl *nl, int ifindex, struct nl_link *out)
{
	if (!out)
		return -EINVAL;
	return nl_link_get(nl, nl_link_msg(nl, RTM_GETLINK, 0, ifindex), out);
}

struct nl_link_list {
	struct nl_link *links;
	size_t n, cap;
};

static int nl_link_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link_list *list = data;
	struct nl_link *links;
	size_t cap;
	int err;

	if (list->n == list->cap) {
		cap = list->cap ? list->cap * 2 : 16;
		links = reallocarray(list->links, cap, sizeof(*links));
		if (!links)
			return MNL_CB_ERROR;	/* errno is ENOMEM */
		list->links = links;
		list->cap = cap;
	}
	err = nl_link_parse(nlh, &list->links[list->n]);
	if (err) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	list->n++;
	return MNL_CB_OK;
}

static int nl_link_dump(struct nl *nl, struct nl_link_list *list)
{
	struct nlmsghdr *nlh = nl_link_msg(nl, RTM_GETLINK, NLM_F_DUMP, 0);

	nl_put_ext_mask(nlh);
	list->n = 0;
	return nl_talk(nl, nlh, nl_link_list_cb, list);
}

/*
 * The whole dump is collected before @cb runs, so @cb may stop early or make
 * requests of its own on @nl without half a dump left on the socket.
 */
int nl_link_foreach(struct nl *nl, int (*cb)(const struct nl_link *link, void *arg),
		    void *arg)
{
	struct nl_link_list list = {};
	int err, tries = 0;
	size_t i;

	if (!cb)
		return -EINVAL;
	do
		err = nl_link_dump(nl, &list);
	while (err == -EINTR && ++tries < NL_DUMP_TRIES);
	for (i = 0; !err && i < list.n; i++)
		err = cb(&list.links[i], arg);
	free(list.links);
	return err;
}

int nl_link_set_up(struct nl *nl, int ifindex)
{
	struct nlmsghdr *nlh = nl_link_msg(nl, RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_down_rename(struct nl *nl, int ifindex, const char *name)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	if (!nl_name_ok(name))
		return -EINVAL;
	nlh = nl_link_msg(nl, RTM_NEWLINK, 0, ifindex);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = 0;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_link_del(struct nl *nl, int ifindex)
{
	return nl_talk(nl, nl_link_msg(nl, RTM_DELLINK, 0, ifindex), NULL, NULL);
}

/* The attributes each end of a veth pair has. */
static void nl_put_link_attrs(struct nlmsghdr *nlh, const char *name,
			      const uint8_t *mac, unsigned int mtu)
{
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
}

int nl_veth_create(struct nl *nl, const struct nl_veth_opts *opts)
{
	struct nlattr *info, *data, *peer;
	struct nlmsghdr *nlh;

	if (!opts || !nl_name_ok(opts->name) || !nl_name_ok(opts->peer_name))
		return -EINVAL;
	nlh = nl_link_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_put_link_attrs(nlh, opts->name, opts->mac, opts->mtu);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer is described like a link of its own: ifinfomsg (zeroed:
	 * AF_UNSPEC, no index) then its attributes. */
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	nl_put_link_attrs(nlh, opts->peer_name, opts->peer_mac, opts->mtu);
	if (opts->peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, opts->peer_netns_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_macvlan_create(struct nl *nl, const struct nl_macvlan_opts *opts)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;

	if (!opts || !nl_name_ok(opts->name) || opts->parent_ifindex <= 0)
		return -EINVAL;
	nlh = nl_link_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_put_link_attrs(nlh, opts->name, opts->mac, opts->mtu);
	/* IFLA_LINK is looked up where the request is made, the device made in the netns */
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)opts->parent_ifindex);
	if (opts->netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)opts->netns_fd);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "macvlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_MACVLAN_MODE, MACVLAN_MODE_BRIDGE);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL);
}

/* Add and delete build the same message, so a delete matches what add made. */
static int nl_addr4(struct nl *nl, uint16_t type, uint16_t flags, int ifindex,
		    struct in_addr addr, unsigned int prefix_len)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	if (prefix_len > 32)
		return -EINVAL;
	nlh = nl_msg(nl, type, flags);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix_len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_addr_add4(struct nl *nl, int ifindex, struct in_addr addr, unsigned int prefix_len)
{
	return nl_addr4(nl, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifindex, addr, prefix_len);
}

int nl_addr_del4(struct nl *nl, int ifindex, struct in_addr addr, unsigned int prefix_len)
{
	return nl_addr4(nl, RTM_DELADDR, 0, ifindex, addr, prefix_len);
}

/* Add and delete build the same message, so a delete matches what add made. */
static int nl_route4(struct nl *nl, uint16_t type, uint16_t flags,
		     const struct nl_route4 *route)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	bool via;

	if (!route || route->prefix_len > 32)
		return -EINVAL;
	via = route->gateway.s_addr != INADDR_ANY;
	nlh = nl_msg(nl, type, flags);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = route->prefix_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	/* Without a gateway the destination sits on the link itself. */
	rtm->rtm_scope = via ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (route->prefix_len)
		mnl_attr_put(nlh, RTA_DST, sizeof(route->dst), &route->dst);
	if (via)
		mnl_attr_put(nlh, RTA_GATEWAY, sizeof(route->gateway), &route->gateway);
	if (route->ifindex > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, route->ifindex);
	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_route_add4(struct nl *nl, const struct nl_route4 *route)
{
	return nl_route4(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, route);
}

int nl_route_del4(struct nl *nl, const struct nl_route4 *route)
{
	return nl_route4(nl, RTM_DELROUTE, 0, route);
}

int nl_neigh_add4(struct nl *nl, int ifindex, struct in_addr addr, const uint8_t mac[6])
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	if (!mac)
		return -EINVAL;
	nlh = nl_msg(nl, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_DST, sizeof(addr), &addr);
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	return nl_talk(nl, nlh, NULL, NULL);
}

struct nl_addr_list {
	struct in_addr *addrs;
	size_t n, max;
};

/* An IPv4 address message into @out; false for any other (or one without IFA_LOCAL). */
static bool nl_addr_parse(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {};
	struct nl_attrs a = { tb, IFA_MAX };
	struct nl_addr4 *out = data;

	/* a length past 32 is no IPv4 prefix: prefix_mask() of it would shift by more than 31 */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) || ifa->ifa_family != AF_INET ||
	    ifa->ifa_prefixlen > 32 || mnl_attr_parse(nlh, sizeof(*ifa), nl_attr_cb, &a) < 0)
		return false;
	/* IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on p2p links */
	if (!tb[IFA_LOCAL] || mnl_attr_get_payload_len(tb[IFA_LOCAL]) != 4)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(&out->local, mnl_attr_get_payload(tb[IFA_LOCAL]), 4);
	out->prefix_len = ifa->ifa_prefixlen;
	out->ifindex = ifa->ifa_index;
	if (tb[IFA_LABEL])
		nl_attr_strcpy(out->label, sizeof(out->label), tb[IFA_LABEL]);
	return true;
}

static int nl_addr_list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_addr_list *list = data;
	struct nl_addr4 addr;

	if (!nl_addr_parse(nlh, &addr))
		return MNL_CB_OK;
	if (list->n == list->max) {
		errno = ENOSPC;
		return MNL_CB_ERROR;
	}
	list->addrs[list->n++] = addr.local;
	return MNL_CB_OK;
}

int nl_addr_list4(struct nl *nl, struct in_addr *addrs, size_t max, size_t *n)
{
	struct nl_addr_list list = { addrs, 0, max };
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	int err, tries = 0;

	ifa->ifa_family = AF_INET;
	do {
		list.n = 0;
		err = nl_talk(nl, nlh, nl_addr_list_cb, &list);
	} while (err == -EINTR && ++tries < NL_DUMP_TRIES);
	*n = list.n;
	return err;
}

/* A dump read whole into a growing array, each message parsed by @parse (false: skipped). */
struct nl_dump {
	bool (*parse)(const struct nlmsghdr *nlh, void *out);
	size_t size;	/* of one parsed item */
	void *items;
	size_t n, cap;
};

static int nl_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_dump *d = data;
	size_t cap;
	void *items;

	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 16;
		items = reallocarray(d->items, cap, d->size);
		if (!items)
			return MNL_CB_ERROR;	/* errno is ENOMEM */
		d->items = items;
		d->cap = cap;
	}
	if (d->parse(nlh, (char *)d->items + d->n * d->size))
		d->n++;
	return MNL_CB_OK;
}

/* Send the dump request @nlh, again when it raced with a change (NLM_F_DUMP_INTR). */
static int nl_dump_run(struct nl *nl, struct nlmsghdr *nlh, struct nl_dump *d)
{
	int err, tries = 0;

	do {
		d->n = 0;
		err = nl_talk(nl, nlh, nl_dump_cb, d);
	} while (err == -EINTR && ++tries < NL_DUMP_TRIES);
	return err;
}

int nl_addr_foreach4(struct nl *nl, int (*cb)(const struct nl_addr4 *addr, void *arg),
		     void *arg)
{
	struct nl_dump d = { .parse = nl_addr_parse, .size = sizeof(struct nl_addr4) };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int err;

	if (!cb)
		return -EINVAL;
	nlh = nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	err = nl_dump_run(nl, nlh, &d);
	for (size_t i = 0; !err && i < d.n; i++)
		err = cb((const struct nl_addr4 *)d.items + i, arg);
	free(d.items);
	return err;
}

/* A 4-byte address attribute into @out, when there is one of that size. */
static void nl_attr_in_addr(const struct nlattr *attr, struct in_addr *out)
{
	if (attr && mnl_attr_get_payload_len(attr) == sizeof(*out))
		memcpy(out, mnl_attr_get_payload(attr), sizeof(*out));
}

/* The devices of RTA_MULTIPATH's struct rtnexthop records, each bounded by what is left. */
static void nl_route_nexthops(const struct nlattr *mp, struct nl_route4_entry *out)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);

	while (left >= sizeof(struct rtnexthop) && out->n_nexthops < NL_ROUTE_NEXTHOP_MAX) {
		const struct rtnexthop *nh = (const struct rtnexthop *)p;
		size_t len = RTNH_ALIGN(nh->rtnh_len);

		if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
			break;
		if (nh->rtnh_ifindex > 0)
			out->nexthop_ifindexes[out->n_nexthops++] = nh->rtnh_ifindex;
		if (len >= left)
			break;
		p += len;
		left -= len;
	}
}

static bool nl_route_parse(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct nl_attrs a = { tb, RTA_MAX };
	struct nl_route4_entry *out = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) || rtm->rtm_family != AF_INET ||
	    rtm->rtm_dst_len > 32 || mnl_attr_parse(nlh, sizeof(*rtm), nl_attr_cb, &a) < 0)
		return false;
	memset(out, 0, sizeof(*out));
	out->route.prefix_len = rtm->rtm_dst_len;
	out->table = rtm->rtm_table;
	out->type = rtm->rtm_type;
	out->protocol = rtm->rtm_protocol;
	/* rtm_table has 8 bits: a table above 255 is named only by RTA_TABLE */
	if (tb[RTA_TABLE] && mnl_attr_validate(tb[RTA_TABLE], MNL_TYPE_U32) == 0)
		out->table = mnl_attr_get_u32(tb[RTA_TABLE]);
	nl_attr_in_addr(tb[RTA_DST], &out->route.dst);
	nl_attr_in_addr(tb[RTA_GATEWAY], &out->route.gateway);
	if (tb[RTA_PRIORITY] && mnl_attr_validate(tb[RTA_PRIORITY], MNL_TYPE_U32) == 0)
		out->priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_OIF] && mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0) {
		out->route.ifindex = mnl_attr_get_u32(tb[RTA_OIF]);
		out->nexthop_ifindexes[out->n_nexthops++] = out->route.ifindex;
	} else if (tb[RTA_MULTIPATH]) {
		nl_route_nexthops(tb[RTA_MULTIPATH], out);
		out->route.ifindex = out->n_nexthops ? out->nexthop_ifindexes[0] : 0;
	}
	return true;
}

int nl_route_foreach4(struct nl *nl, int (*cb)(const struct nl_route4_entry *route, void *arg),
		      void *arg)
{
	struct nl_dump d = { .parse = nl_route_parse, .size = sizeof(struct nl_route4_entry) };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err;

	if (!cb)
		return -EINVAL;
	nlh = nl_msg(nl, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	err = nl_dump_run(nl, nlh, &d);
	for (size_t i = 0; !err && i < d.n; i++)
		err = cb((const struct nl_route4_entry *)d.items + i, arg);
	free(d.items);
	return err;
}

struct nl_qdisc_find {
	int ifindex;
	const char *kind;
	bool found;
};

static int nl_qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_qdisc_find *q = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1] = {};
	struct nl_attrs a = { tb, TCA_MAX };
	char kind[IFNAMSIZ];	/* TCA_KIND names are as short as device names */

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm) || tcm->tcm_ifindex != q->ifindex ||
	    mnl_attr_parse(nlh, sizeof(*tcm), nl_attr_cb, &a) < 0 || !tb[TCA_KIND])
		return MNL_CB_OK;
	nl_attr_strcpy(kind, sizeof(kind), tb[TCA_KIND]);
	q->found |= !strcmp(kind, q->kind);
	return MNL_CB_OK;
}

int nl_qdisc_has(struct nl *nl, int ifindex, const char *kind, bool *has)
{
	struct nl_qdisc_find q = { ifindex, kind, false };
	struct nlmsghdr *nlh = nl_msg(nl, RTM_GETQDISC, NLM_F_DUMP);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	int err, tries = 0;

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	do {
		q.found = false;
		err = nl_talk(nl, nlh, nl_qdisc_cb, &q);
	} while (err == -EINTR && ++tries < NL_DUMP_TRIES);
	*has = q.found;
	return err;
}
