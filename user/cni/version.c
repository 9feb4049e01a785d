// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CNI spec versions bpfnet-cni speaks. 0.1.0 and 0.2.0 had no interfaces in results. */
#include <string.h>

#include "cni.h"

static const char *const versions[] = {
	[CNI_V_0_3_0] = "0.3.0", [CNI_V_0_3_1] = "0.3.1", [CNI_V_0_4_0] = "0.4.0",
	[CNI_V_1_0_0] = "1.0.0", [CNI_V_1_1_0] = "1.1.0",
};

enum cni_version cni_version_parse(const char *s)
{
	if (!s)
		return CNI_V_NONE;
	for (int v = CNI_V_0_3_0; v <= CNI_V_LATEST; v++)
		if (!strcmp(s, versions[v]))
			return (enum cni_version)v;
	return CNI_V_NONE;
}

const char *cni_version_str(enum cni_version v)
{
	return v >= CNI_V_0_3_0 && v <= CNI_V_LATEST ? versions[v] : versions[CNI_V_LATEST];
}

json_t *cni_versions_json(void)
{
	json_t *a = json_array();

	for (int v = CNI_V_0_3_0; a && v <= CNI_V_LATEST; v++)
		json_array_append_new(a, json_string(versions[v]));
	return a;
}
