// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CNI_* environment: which command, which container, which interface, CNI_ARGS. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cni.h"

static const struct {
	const char *name;
	enum cni_command cmd;
} commands[] = {
	{ "ADD", CNI_CMD_ADD },	    { "DEL", CNI_CMD_DEL }, { "CHECK", CNI_CMD_CHECK },
	{ "VERSION", CNI_CMD_VERSION }, { "GC", CNI_CMD_GC },   { "STATUS", CNI_CMD_STATUS },
};

int cni_command_parse(const char *s, enum cni_command *cmd, struct cni_error *e)
{
	if (!s || !*s)
		return cni_fail(e, CNI_ERR_ENV, "CNI_COMMAND is not set",
				"CNI_COMMAND must be one of ADD, DEL, CHECK, VERSION, GC, STATUS");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(s, commands[i].name)) {
			*cmd = commands[i].cmd;
			return 0;
		}
	}
	return cni_fail(e, CNI_ERR_ENV, "unknown CNI_COMMAND",
			"CNI_COMMAND '%s' is not one of ADD, DEL, CHECK, VERSION, GC, STATUS", s);
}

bool cni_container_id_valid(const char *id)
{
	size_t len = strlen(id);

	if (!len || len >= BPFNET_CONTAINER_ID_MAX || !isalnum((unsigned char)id[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("_.-", id[i]))
			return false;
	return true;
}

bool cni_ifname_valid(const char *name)
{
	size_t len = strlen(name);

	/* UTF-8 too: the result names it, and JSON holds nothing else */
	if (!len || len >= IF_NAMESIZE || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !cni_utf8_valid(name))
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == ':' || isspace((unsigned char)name[i]))
			return false;
	return true;
}

/* Copy value @v (@n bytes) of a CNI_ARGS key into @dst, if the key is one we read. */
static void args_take(const char *k, size_t klen, const char *v, size_t n, struct cni_args *out)
{
	static const struct {
		const char *key;
		size_t off, size;
	} keys[] = {
		{ "K8S_POD_NAME", offsetof(struct cni_args, pod_name), sizeof(out->pod_name) },
		{ "IP", offsetof(struct cni_args, ip), sizeof(out->ip) },
		{ "MAC", offsetof(struct cni_args, mac), sizeof(out->mac) },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].key) != klen || strncmp(keys[i].key, k, klen))
			continue;
		/* too long for the field: kept empty, so that nothing truncated is used */
		if (n < keys[i].size)
			snprintf((char *)out + keys[i].off, keys[i].size, "%.*s", (int)n, v);
		else
			((char *)out + keys[i].off)[0] = '\0';
	}
}

int cni_args_parse(const char *s, struct cni_args *out, struct cni_error *e)
{
	memset(out, 0, sizeof(*out));
	while (s && *s) {
		size_t n = strcspn(s, ";");
		const char *eq = memchr(s, '=', n);

		/* an empty item (a trailing ';') is harmless; a key with no '=' is not */
		if (n && (!eq || eq == s))
			return cni_fail(e, CNI_ERR_ENV, "invalid CNI_ARGS",
					"CNI_ARGS item '%.*s' is not KEY=VALUE (items are "
					"separated by ';')", (int)n, s);
		if (n)
			args_take(s, eq - s, eq + 1, n - (eq + 1 - s), out);
		s += n;
		if (*s == ';')
			s++;
	}
	return 0;
}

/* Which variables a command needs (the spec's "Required environment parameters"). */
static int env_require(const struct cni_env *env, struct cni_error *e)
{
	bool need_netns = env->command == CNI_CMD_ADD || env->command == CNI_CMD_CHECK;

	if (!env->container_id || !*env->container_id)
		return cni_fail(e, CNI_ERR_ENV, "CNI_CONTAINERID is not set",
				"CNI_CONTAINERID must name the container (the runtime's ID)");
	if (!cni_container_id_valid(env->container_id))
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_CONTAINERID",
				"CNI_CONTAINERID '%s' is not letters, digits, '_', '.', '-' starting "
				"with a letter or digit, below %d characters", env->container_id,
				BPFNET_CONTAINER_ID_MAX);
	if (!env->ifname || !*env->ifname)
		return cni_fail(e, CNI_ERR_ENV, "CNI_IFNAME is not set",
				"CNI_IFNAME must name the interface in the container (eth0)");
	if (!cni_ifname_valid(env->ifname))
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_IFNAME",
				"CNI_IFNAME '%s' is not an interface name: 1 to %d characters, no "
				"'/', ':' or spaces", env->ifname, IF_NAMESIZE - 1);
	if (need_netns && (!env->netns || !*env->netns))
		return cni_fail(e, CNI_ERR_ENV, "CNI_NETNS is not set",
				"CNI_NETNS must be the path of the container's network namespace");
	/* the result names the netns: a path JSON cannot hold would lose it after the ADD */
	if (env->netns && !cni_utf8_valid(env->netns))
		return cni_fail(e, CNI_ERR_ENV, "invalid CNI_NETNS",
				"CNI_NETNS '%s' is not UTF-8", env->netns);
	return 0;
}

int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *), struct cni_error *e)
{
	memset(env, 0, sizeof(*env));
	if (cni_command_parse(getenv_fn("CNI_COMMAND"), &env->command, e))
		return -1;
	env->container_id = getenv_fn("CNI_CONTAINERID");
	env->netns = getenv_fn("CNI_NETNS");
	env->ifname = getenv_fn("CNI_IFNAME");
	env->path = getenv_fn("CNI_PATH");
	/* VERSION, GC and STATUS are about the plugin or the network, not one container */
	if (env->command == CNI_CMD_VERSION || env->command == CNI_CMD_GC ||
	    env->command == CNI_CMD_STATUS)
		return 0;
	if (env_require(env, e))
		return -1;
	return cni_args_parse(getenv_fn("CNI_ARGS"), &env->args, e);
}
