// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * VERSION: which spec versions this plugin speaks. It needs no container,
 * no network and no valid environment beyond CNI_COMMAND: podman asks it
 * with CNI_CONTAINERID="" and CNI_NETNS=dummy before every command.
 */
#include "cni.h"

json_t *cni_version_result(const char *asked)
{
	json_t *versions = cni_versions_json();

	if (!versions)
		return NULL;
	return json_pack("{s:s, s:o}", "cniVersion",
			 asked && *asked ? asked : cni_version_str(CNI_V_LATEST),
			 "supportedVersions", versions);
}
