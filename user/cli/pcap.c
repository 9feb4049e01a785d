// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pcap writer (pcap.h): the format of pcap-savefile(5), in host byte order as it allows. */
#include <errno.h>
#include <string.h>

#include "pcap.h"

/* The magic of nanosecond timestamps; readers tell the byte order by it. */
#define PCAP_MAGIC_NSEC 0xa1b23c4dU
#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define LINKTYPE_ETHERNET 1
#define NSEC_PER_SEC 1000000000ULL

struct pcap_file_header {
	uint32_t magic;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;	/* 0: timestamps are UTC */
	uint32_t sigfigs;	/* 0, as every writer */
	uint32_t snaplen;
	uint32_t linktype;
};
_Static_assert(sizeof(struct pcap_file_header) == 24, "pcap file header");

struct pcap_record_header {
	uint32_t ts_sec;
	uint32_t ts_nsec;
	uint32_t incl_len;	/* bytes in the file */
	uint32_t orig_len;	/* bytes the packet had */
};
_Static_assert(sizeof(struct pcap_record_header) == 16, "pcap record header");

int pcap_open(struct pcap_writer *w, const char *path, uint32_t snaplen)
{
	struct pcap_file_header h = {
		.magic = PCAP_MAGIC_NSEC, .version_major = PCAP_VERSION_MAJOR,
		.version_minor = PCAP_VERSION_MINOR, .snaplen = snaplen,
		.linktype = LINKTYPE_ETHERNET,
	};

	w->f = fopen(path, "wb");
	if (!w->f)
		return -errno;
	if (fwrite(&h, sizeof(h), 1, w->f) != 1 || fflush(w->f)) {
		int err = -errno;

		fclose(w->f);
		w->f = NULL;
		return err ? err : -EIO;
	}
	return 0;
}

int pcap_write(struct pcap_writer *w, uint64_t realtime_ns, const uint8_t *data, uint32_t cap,
	       uint32_t orig_len)
{
	struct pcap_record_header r = {
		.ts_sec = (uint32_t)(realtime_ns / NSEC_PER_SEC),
		.ts_nsec = (uint32_t)(realtime_ns % NSEC_PER_SEC),
		.incl_len = cap,
		.orig_len = orig_len < cap ? cap : orig_len,
	};

	if (fwrite(&r, sizeof(r), 1, w->f) != 1 || (cap && fwrite(data, cap, 1, w->f) != 1) ||
	    fflush(w->f))
		return errno ? -errno : -EIO;
	return 0;
}

int pcap_close(struct pcap_writer *w)
{
	int err = 0;

	if (w->f && fclose(w->f))
		err = -errno;
	w->f = NULL;
	return err;
}
