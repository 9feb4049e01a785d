// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nl_capture OUT: the kernel's answers to the requests fuzz_netlink.c makes,
 * in its order, written as its input (nl_open_replay(): each datagram as a
 * 16-bit length and its bytes), with every message's nlmsg_seq and nlmsg_pid
 * zeroed so that the replay takes them as answers to whatever it asks. Run in
 * a scratch netns (tests/fuzz/README.md says how the netlink corpus was made);
 * not built by make: `cc -o nl_capture tests/fuzz/nl_capture.c -lmnl`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

static struct mnl_socket *sock;
static FILE *out;
static unsigned int seq;

/* Send @nlh, write every datagram of the answer until its ACK, error or NLMSG_DONE. */
static void talk(struct nlmsghdr *nlh)
{
	static char buf[32768] __attribute__((aligned(4)));
	bool done = false;

	nlh->nlmsg_seq = ++seq;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0) {
		perror("sendto");
		exit(1);
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(sock, buf, sizeof(buf));
		uint16_t len = (uint16_t)n;
		struct nlmsghdr *m;
		int left = (int)n;

		if (n < 0) {
			perror("recv");
			exit(1);
		}
		for (m = (struct nlmsghdr *)buf; mnl_nlmsg_ok(m, left); m = mnl_nlmsg_next(m, &left)) {
			done |= m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR;
			m->nlmsg_seq = 0;
			m->nlmsg_pid = 0;
		}
		fwrite(&len, sizeof(len), 1, out);
		fwrite(buf, 1, (size_t)n, out);
	}
}

static struct nlmsghdr *msg(char *buf, uint16_t type, uint16_t flags, size_t extra)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	memset(mnl_nlmsg_put_extra_header(nlh, extra), 0, extra);
	return nlh;
}

int main(int argc, char **argv)
{
	char req[1024] __attribute__((aligned(4)));
	struct in_addr a = { htonl(0x0a010002) };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	int one = 1;

	if (argc != 2 || !(out = fopen(argv[1], "wb"))) {
		fprintf(stderr, "usage: nl_capture OUT\n");
		return 2;
	}
	sock = mnl_socket_open(NETLINK_ROUTE);
	if (!sock || mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	seq = time(NULL);
	/* nl_link_get_by_name(eth0), nl_link_get_by_index(2), nl_link_foreach */
	nlh = msg(req, RTM_GETLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	talk(nlh);
	nlh = msg(req, RTM_GETLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_index = 2;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	talk(nlh);
	nlh = msg(req, RTM_GETLINK, NLM_F_DUMP, sizeof(struct ifinfomsg));
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	talk(nlh);
	/* nl_addr_list4, nl_addr_foreach4 */
	for (int i = 0; i < 2; i++) {
		nlh = msg(req, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
		((struct ifaddrmsg *)mnl_nlmsg_get_payload(nlh))->ifa_family = AF_INET;
		talk(nlh);
	}
	/* nl_route_foreach4, nl_qdisc_has */
	nlh = msg(req, RTM_GETROUTE, NLM_F_DUMP, sizeof(struct rtmsg));
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family = AF_INET;
	talk(nlh);
	nlh = msg(req, RTM_GETQDISC, NLM_F_DUMP, sizeof(struct tcmsg));
	talk(nlh);
	/* nl_link_set_up(2), nl_addr_add4(2, 10.1.0.2/24), nl_route_add4(10.1.0.0/24) */
	nlh = msg(req, RTM_NEWLINK, NLM_F_ACK, sizeof(struct ifinfomsg));
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_index = 2;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	talk(nlh);
	nlh = msg(req, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 24;
	ifa->ifa_index = 2;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	talk(nlh);
	nlh = msg(req, RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 24;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = RT_SCOPE_LINK;
	a.s_addr = htonl(0x0a010000);
	mnl_attr_put(nlh, RTA_DST, sizeof(a), &a);
	mnl_attr_put_u32(nlh, RTA_OIF, 2);
	talk(nlh);
	fclose(out);
	mnl_socket_close(sock);
	return 0;
}
