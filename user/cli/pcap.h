/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A pcap file writer (the classic format tcpdump -r reads, nanosecond
 * timestamps, Ethernet frames), no libpcap: a 24-byte file header, then per
 * packet a 16-byte record header and the captured bytes.
 */
#ifndef BPFNET_CLI_PCAP_H
#define BPFNET_CLI_PCAP_H

#include <stdint.h>
#include <stdio.h>

struct pcap_writer {
	FILE *f;
};

/* Create (truncate) @path and write its file header for frames of up to @snaplen bytes. */
int pcap_open(struct pcap_writer *w, const char *path, uint32_t snaplen);
/*
 * One frame seen at @realtime_ns (CLOCK_REALTIME) of which @cap bytes of
 * @orig_len are in @data; flushed, so that the file is whole at any instant.
 */
int pcap_write(struct pcap_writer *w, uint64_t realtime_ns, const uint8_t *data, uint32_t cap,
	       uint32_t orig_len);
/* 0, or -errno of a write that failed at the end. */
int pcap_close(struct pcap_writer *w);

#endif
