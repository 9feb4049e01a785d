// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The converters between the layouts of dp/layouts.h, one per direction. */
#include <string.h>

#include "bpfnet/abi.h"
#include "dp/layouts.h"
#include "dp/migrate_convert.h"

/* A flow migrated up was seen when it was made, at least. */
static void ct_1_to_2(const void *in, void *out)
{
	const struct ct_entry_v1 *a = in;
	struct ct_entry_v2 *b = out;

	memset(b, 0, sizeof(*b));
	b->v1 = *a;
	b->last_seen_ns = a->created_ns;
}

/* Down: last_seen_ns has no place in layout 1, and nothing there needs it. */
static void ct_2_to_1(const void *in, void *out)
{
	const struct ct_entry_v2 *b = in;

	memcpy(out, &b->v1, sizeof(b->v1));
}

/* An endpoint migrated up has the MTU every veth of bpfnet has. */
static void ep_1_to_2(const void *in, void *out)
{
	const struct ep_v1 *a = in;
	struct ep_v2 *b = out;

	memset(b, 0, sizeof(*b));
	b->v1 = *a;
	b->mtu = BPFNET_EP_MTU_DEFAULT;
}

static void ep_2_to_1(const void *in, void *out)
{
	const struct ep_v2 *b = in;

	memcpy(out, &b->v1, sizeof(b->v1));
}

static const struct mig_converter converters[] = {
	{ "ct", 1, 2, sizeof(struct ct_entry_v1), sizeof(struct ct_entry_v2), ct_1_to_2 },
	{ "ct", 2, 1, sizeof(struct ct_entry_v2), sizeof(struct ct_entry_v1), ct_2_to_1 },
	{ "ep", 1, 2, sizeof(struct ep_v1), sizeof(struct ep_v2), ep_1_to_2 },
	{ "ep", 2, 1, sizeof(struct ep_v2), sizeof(struct ep_v1), ep_2_to_1 },
};

/* Which converters serve map @map: its entries' family. */
static const char *family_of(const char *map)
{
	if (!strcmp(map, BPFNET_MAP_CT))
		return "ct";
	if (!strcmp(map, BPFNET_MAP_EP_BY_IFINDEX) || !strcmp(map, BPFNET_MAP_EP_BY_IP))
		return "ep";
	return "";
}

const struct mig_converter *mig_converter_find(const char *map, __u32 from, __u32 to)
{
	const char *family = family_of(map);

	for (size_t i = 0; i < sizeof(converters) / sizeof(converters[0]); i++) {
		const struct mig_converter *c = &converters[i];

		if (!strcmp(c->family, family) && c->from == from && c->to == to)
			return c;
	}
	return NULL;
}

__u32 mig_known_version(const char *map)
{
	const char *family = family_of(map);
	__u32 v = 1;

	for (size_t i = 0; i < sizeof(converters) / sizeof(converters[0]); i++)
		if (!strcmp(converters[i].family, family) && converters[i].from > v)
			v = converters[i].from;
	return v;
}
