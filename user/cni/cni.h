/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpfnet-cni: a CNI plugin (spec 0.3.0 to 1.1.0) over libbpfnet's public API.
 * The runtime runs it with CNI_* in the environment and the network config on
 * stdin; it answers on stdout with a result or the spec's error object, and
 * nothing else goes there (the library prints to stderr).
 */
#ifndef BPFNET_CNI_H
#define BPFNET_CNI_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "bpfnet/bpfnet.h"

/* ---- versions (version.c) ------------------------------------------------- */

/* The spec versions this plugin speaks, in order: later ones compare greater. */
enum cni_version {
	CNI_V_NONE = 0,
	CNI_V_0_3_0,
	CNI_V_0_3_1,
	CNI_V_0_4_0,
	CNI_V_1_0_0,
	CNI_V_1_1_0,
};
#define CNI_V_LATEST CNI_V_1_1_0

/* "1.0.0" -> CNI_V_1_0_0; CNI_V_NONE for a version this plugin does not speak. */
enum cni_version cni_version_parse(const char *s);
const char *cni_version_str(enum cni_version v);
/* Every supported version as a JSON array of strings (new reference). */
json_t *cni_versions_json(void);

/* ---- errors (errors.c) ---------------------------------------------------- */

/* The spec's well-known codes (1.1.0, "Error"); 100 and up are this plugin's. */
enum cni_code {
	CNI_ERR_VERSION = 1,		/* incompatible CNI version */
	CNI_ERR_UNSUPPORTED_FIELD = 2,	/* a field (or its value) this plugin does not do */
	CNI_ERR_UNKNOWN_CONTAINER = 3,	/* the container (netns) or attachment does not exist */
	CNI_ERR_ENV = 4,		/* invalid necessary environment variables */
	CNI_ERR_IO = 5,			/* I/O failure (reading stdin) */
	CNI_ERR_DECODE = 6,		/* failed to decode content (stdin not JSON) */
	CNI_ERR_CONFIG = 7,		/* invalid network config */
	CNI_ERR_TRY_AGAIN = 11,		/* transient: try again later */
	CNI_ERR_NOT_AVAILABLE = 50,	/* STATUS: cannot service ADD */
	CNI_ERR_LIMITED = 51,		/* STATUS: and existing containers may lose connectivity */
	CNI_ERR_CHECK_DIFFERS = 100,	/* CHECK: the attachment is not as ADD made it */
	CNI_ERR_INTERNAL = 999,		/* anything else (libcni's "internal" code) */
};

struct cni_error {
	unsigned int code;	/* 0: no error */
	char msg[160];		/* short: what failed */
	char details[2048];	/* long: why, and what to fix */
};

/* Set @e and return -1, so that callers can `return cni_fail(...)`. */
int cni_fail(struct cni_error *e, unsigned int code, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The code a library errno means for a runtime (11 for transient ones, 7 for refusals...). */
unsigned int cni_code_for_errno(int err);
/* cni_fail() for a library call that returned @err on @bn: details = bpfnet__errmsg(bn). */
int cni_fail_lib(struct cni_error *e, struct bpfnet *bn, int err, const char *msg);
/*
 * The error object {"cniVersion", "code", "msg", "details"} (new reference).
 * Bytes of the texts that are not UTF-8 (from the environment, or a sequence
 * cut short) are written as '?': JSON holds UTF-8 only.
 */
json_t *cni_error_json(const struct cni_error *e, enum cni_version v);

/* ---- UTF-8 (utf8.c) -------------------------------------------------------- */

/* Is @s UTF-8 that jansson takes (no overlong form, surrogate, or code point past U+10FFFF)? */
bool cni_utf8_valid(const char *s);
/* @src into @dst (size @len, NUL-terminated), each byte that is no UTF-8 as '?'; cut whole. */
void cni_utf8_copy(char *dst, size_t len, const char *src);

/* ---- environment (env.c) -------------------------------------------------- */

enum cni_command {
	CNI_CMD_ADD = 1,
	CNI_CMD_DEL,
	CNI_CMD_CHECK,
	CNI_CMD_VERSION,
	CNI_CMD_GC,
	CNI_CMD_STATUS,
};

/* CNI_ARGS's keys this plugin reads; the rest are tolerated and ignored. */
struct cni_args {
	char pod_name[BPFNET_NAME_MAX];	/* K8S_POD_NAME, "" when none */
	char ip[BPFNET_ADDRSTRLEN * 2];	/* IP= as given (may be a comma list), "" when none */
	char mac[32];			/* MAC= as given, "" when none */
};

struct cni_env {
	enum cni_command command;
	const char *container_id;	/* NULL when unset */
	const char *netns;
	const char *ifname;
	const char *path;
	struct cni_args args;
};

/* CNI_COMMAND into @cmd: 0, or -1 with code 4. */
int cni_command_parse(const char *s, enum cni_command *cmd, struct cni_error *e);
/* The environment of @getenv_fn (getenv in the plugin) for the command: -1 and code 4 if bad. */
int cni_env_load(struct cni_env *env, const char *(*getenv_fn)(const char *), struct cni_error *e);
/* CNI_ARGS "K=V;K2=V2" into @out: -1 with code 4 on a malformed pair. */
int cni_args_parse(const char *s, struct cni_args *out, struct cni_error *e);
/* A CNI_CONTAINERID as the spec allows it ([A-Za-z0-9][A-Za-z0-9_.-]*), short enough. */
bool cni_container_id_valid(const char *id);
/* An interface name Linux takes, 1..15 bytes, no '/', ':' or whitespace, not . or .., in UTF-8. */
bool cni_ifname_valid(const char *name);

/* ---- network config (config.c) -------------------------------------------- */

/* What a command needs from the config: ADD/CHECK/STATUS the network, DEL/GC only its name. */
enum cni_config_need {
	CNI_NEED_NAME = 0,	/* cniVersion, name, where the instance is */
	CNI_NEED_NETWORK,	/* and the network's definition, runtimeConfig */
};

struct cni_attachment {
	const char *container_id;
	const char *ifname;
};

struct cni_config {
	json_t *root;			/* owns every string below */
	enum cni_version version;
	const char *version_str;
	const char *name;		/* the CNI network name: the bpfnet network's */
	/* the network, as bpfnet_network__create() takes it */
	struct bpfnet_network_opts net;
	bool mode_given, gateway_given, masquerade_given, gateway_mode_given, internal_given;
	unsigned int mtu;		/* 0: the uplink's */
	/* uplinks for a first init: none given or "auto" = detected */
	const char *uplinks[BPFNET_UPLINK_MAX];
	size_t n_uplinks;
	/* the handle: NULL = the library's defaults ($BPFNET_BPFFS, $BPFNET_RUN_DIR...) */
	const char *instance, *bpffs, *run_dir;
	json_t *dns;			/* borrowed from root; NULL when none */
	json_t *prev_result;		/* borrowed from root; NULL when none */
	/* runtimeConfig */
	struct bpfnet_port_mapping *ports;	/* malloc()ed */
	size_t n_ports;
	struct bpfnet_prefix ip;	/* requested address, family AF_UNSPEC when none; len 0: no prefix */
	bool mac_given;
	uint8_t mac[6];
	/* GC: cni.dev/valid-attachments */
	bool valid_given;
	struct cni_attachment *valid;	/* malloc()ed */
	size_t n_valid;
};

/*
 * Parse the config text @text (stdin) for @need into @cfg. -1 with the
 * spec's code: 6 not JSON, 1 a cniVersion missing or not spoken, 7 a bad
 * value (the key named), 2 a value this plugin does not do.
 */
int cni_config_parse(const char *text, size_t len, enum cni_config_need need,
		     struct cni_config *cfg, struct cni_error *e);
void cni_config_free(struct cni_config *cfg);
/*
 * The address the runtime asks for: runtimeConfig.ips or CNI_ARGS IP=
 * (both: they must agree), into cfg->ip; and the MAC (runtimeConfig.mac or
 * MAC=) into cfg->mac. Checked against the config's subnet. -1 with code 7.
 */
int cni_config_apply_args(struct cni_config *cfg, const struct cni_args *args,
			  struct cni_error *e);
/* "aa:bb:cc:dd:ee:ff" into @mac: 0 or -1. */
int cni_mac_parse(const char *s, uint8_t mac[6]);
/* Does the existing network @have match what @cfg says? 0, or -1 with code 7 naming the key. */
int cni_config_match_network(const struct cni_config *cfg,
			     const struct bpfnet_network_info *have, struct cni_error *e);

/* ---- results (result.c) --------------------------------------------------- */

/*
 * The ADD result for endpoint @ep in @cfg's version: interfaces (host veth,
 * container side with sandbox @netns), ips (with interface index and
 * gateway), routes, dns. Appended to cfg->prev_result's when there is one.
 * New reference, NULL on ENOMEM.
 */
json_t *cni_result_json(const struct cni_config *cfg, const struct bpfnet_endpoint_info *ep,
			const char *netns);
/* "aa:bb:cc:dd:ee:ff" of @mac into @buf (18 bytes). */
char *cni_mac_str(const uint8_t mac[6], char *buf);
/*
 * CHECK: does @prev (a result of ADD) describe @ep at @netns? Each difference
 * is appended to @diff ("; "-separated). Returns how many were found.
 */
int cni_result_compare(json_t *prev, const struct bpfnet_endpoint_info *ep, const char *netns,
		       char *diff, size_t len);

/* ---- the dataplane, as the commands use it (dataplane.c) ------------------ */

/* A handle on the config's instance: 0, or bpfnet__open()'s -errno with @e set. */
int cni_open(const struct cni_config *cfg, struct bpfnet **bn, struct cni_error *e);
/* Initialise the node if it is not (uplinks from the config, else detected). */
int cni_ensure_node(struct bpfnet *bn, const struct cni_config *cfg, struct cni_error *e);
/* Create the network from the config if it does not exist, else check that it agrees. */
int cni_ensure_network(struct bpfnet *bn, const struct cni_config *cfg,
		       struct bpfnet_network_info *out, struct cni_error *e);
/* Append "; " and the formatted text to @buf (a difference list). */
void cni_append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- the commands (cmd_*.c): 0 with *result set (or NULL: no output), or -1 */

struct cni_ctx {
	struct cni_env env;
	struct cni_config cfg;
	struct cni_error err;
	json_t *result;
};

int cni_cmd_add(struct cni_ctx *ctx);
int cni_cmd_del(struct cni_ctx *ctx);
int cni_cmd_check(struct cni_ctx *ctx);
int cni_cmd_gc(struct cni_ctx *ctx);
int cni_cmd_status(struct cni_ctx *ctx);
/* VERSION: {"cniVersion": @asked (or the latest), "supportedVersions": [...]} */
json_t *cni_version_result(const char *asked);

#endif /* BPFNET_CNI_H */
