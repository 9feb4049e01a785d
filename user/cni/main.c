// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfnet-cni: the CNI plugin's entry. Reads CNI_COMMAND and the config,
 * runs the command, and writes its result (or the spec's error object, exit
 * status 1) on stdout. The library's messages go to stderr, never to stdout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"

/* A network config is a few KiB; a prevResult of many interfaces, more. */
#define STDIN_MAX (4U << 20)

static int print_stderr(enum bpfnet_log_level level, const char *fmt, va_list ap)
{
	if (level == BPFNET_DEBUG && !getenv("BPFNET_CNI_DEBUG"))
		return 0;
	fputs("bpfnet-cni: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

static const char *env_get(const char *name)
{
	return getenv(name);
}

/* All of stdin into a malloc()ed buffer: -1 with code 5 when it cannot be read. */
static int read_stdin(char **out, size_t *len, struct cni_error *e)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	if (!buf)
		return cni_fail(e, CNI_ERR_INTERNAL, "out of memory", "reading stdin");
	while ((r = read(STDIN_FILENO, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return cni_fail(e, CNI_ERR_IO, "cannot read the network config",
					"reading stdin: %s", strerror(errno));
		}
		n += (size_t)r;
		if (n == cap) {
			char *bigger = cap < STDIN_MAX ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				free(buf);
				return cni_fail(e, CNI_ERR_IO, "cannot read the network config",
						"stdin is larger than %u bytes", STDIN_MAX);
			}
			buf = bigger;
			cap *= 2;
		}
	}
	*out = buf;
	*len = n;
	return 0;
}

/* VERSION answers in the version asked, whatever else stdin holds (or nothing). */
static json_t *version_command(const char *text, size_t len)
{
	json_t *root = json_loadb(text, len, 0, NULL);
	json_t *r = cni_version_result(json_string_value(json_object_get(root, "cniVersion")));

	json_decref(root);
	return r;
}

/* An error before the config is parsed (the environment's) answers in its version too. */
static enum cni_version peek_version(const char *text, size_t len)
{
	json_t *root = text ? json_loadb(text, len, 0, NULL) : NULL;
	enum cni_version v = cni_version_parse(json_string_value(json_object_get(root,
									      "cniVersion")));

	json_decref(root);
	return v;
}

static int run(struct cni_ctx *ctx, const char *text, size_t len)
{
	enum cni_command cmd = ctx->env.command;
	enum cni_config_need need =
		cmd == CNI_CMD_DEL || cmd == CNI_CMD_GC ? CNI_NEED_NAME : CNI_NEED_NETWORK;

	if (cni_config_parse(text, len, need, &ctx->cfg, &ctx->err))
		return -1;
	switch (cmd) {
	case CNI_CMD_ADD:
		return cni_cmd_add(ctx);
	case CNI_CMD_DEL:
		return cni_cmd_del(ctx);
	case CNI_CMD_CHECK:
		return cni_cmd_check(ctx);
	case CNI_CMD_GC:
		return cni_cmd_gc(ctx);
	case CNI_CMD_STATUS:
		return cni_cmd_status(ctx);
	case CNI_CMD_VERSION:
		break;
	}
	return 0;
}

static int emit(json_t *j)
{
	int err = !j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	err |= fputc('\n', stdout) == EOF;
	err |= fflush(stdout) == EOF;
	return err ? -1 : 0;
}

int main(void)
{
	static struct cni_ctx ctx;
	char *text = NULL;
	size_t len = 0;
	int ret;

	bpfnet_set_print(print_stderr, BPFNET_PRINT_LIBBPF);
	ret = read_stdin(&text, &len, &ctx.err) ?: cni_env_load(&ctx.env, env_get, &ctx.err);
	if (!ret && ctx.env.command == CNI_CMD_VERSION) {
		ctx.result = version_command(text, len);
		if (!ctx.result)
			ret = cni_fail(&ctx.err, CNI_ERR_INTERNAL, "out of memory", "VERSION");
	} else if (!ret) {
		ret = run(&ctx, text, len);
	}
	if (ret) {
		json_t *e = cni_error_json(&ctx.err, ctx.cfg.version ? ctx.cfg.version :
					   peek_version(text, len));

		emit(e);
		json_decref(e);
	} else if (ctx.result && emit(ctx.result)) {
		ret = -1;
		fprintf(stderr, "bpfnet-cni: cannot write the result: %s\n", strerror(errno));
	}
	json_decref(ctx.result);
	cni_config_free(&ctx.cfg);
	free(text);
	return ret ? 1 : 0;
}
