// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "sys/ethtool.h"

int link_gro_on(void *ifname)
{
	struct ethtool_value v = { .cmd = ETHTOOL_SGRO, .data = 1 };
	struct ifreq ifr = { .ifr_data = (void *)&v };
	/* any socket of the netns reaches its devices' ethtool operations */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (strlen(ifname) >= sizeof(ifr.ifr_name)) {
		close(fd);
		return -EINVAL;
	}
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}
