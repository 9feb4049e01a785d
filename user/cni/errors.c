// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The spec's error object, and which of its codes a library errno is. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cni.h"

int cni_fail(struct cni_error *e, unsigned int code, const char *msg, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
	return -1;
}

unsigned int cni_code_for_errno(int err)
{
	switch (err < 0 ? -err : err) {
	/* the lock or a device in the way for a moment: the runtime may retry */
	case EAGAIN:
	case EBUSY:
	case EINTR:
	case ETIMEDOUT:
	case EDEADLK:
	case ENOLCK:
		return CNI_ERR_TRY_AGAIN;
	/* the library refused a value of the config or of runtimeConfig */
	case EINVAL:
	case EAFNOSUPPORT:
	case EEXIST:
	case EADDRINUSE:
	case EADDRNOTAVAIL:
	case ENOSPC:
	case E2BIG:
	case ENODEV:
		return CNI_ERR_CONFIG;
	case EIO:
		return CNI_ERR_IO;
	default:
		return CNI_ERR_INTERNAL;
	}
}

int cni_fail_lib(struct cni_error *e, struct bpfnet *bn, int err, const char *msg)
{
	const char *words = bpfnet__errmsg(bn);

	return cni_fail(e, cni_code_for_errno(err), msg, "%s", words && *words ? words :
			strerror(err < 0 ? -err : err));
}

json_t *cni_error_json(const struct cni_error *e, enum cni_version v)
{
	char msg[sizeof(e->msg)], details[sizeof(e->details)];

	/* a CNI_COMMAND or path of any bytes is quoted in them, and vsnprintf() cuts anywhere */
	cni_utf8_copy(msg, sizeof(msg), e->msg);
	cni_utf8_copy(details, sizeof(details), e->details);
	return json_pack("{s:s, s:I, s:s, s:s}", "cniVersion", cni_version_str(v), "code",
			 (json_int_t)e->code, "msg", msg, "details", details);
}

void cni_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used && used + 2 < len) {
		memcpy(buf + used, "; ", 3);
		used += 2;
	}
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}
