// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * UTF-8 as jansson takes it, for what goes into the plugin's JSON answers:
 * json_pack() refuses a string that is not UTF-8 and the answer is then
 * lost whole, so text from the environment is checked (or made safe) first.
 */
#include <stddef.h>

#include "cni.h"

/*
 * The length of the valid UTF-8 sequence at @s, 0 if none begins there: no
 * overlong form, no surrogate, nothing above U+10FFFF (as jansson checks).
 * It stops at the string's NUL, which is no continuation byte.
 */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned int c = s[0], cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

bool cni_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_seq_len(p);

		if (!n)
			return false;
		p += n;
	}
	return true;
}

void cni_utf8_copy(char *dst, size_t len, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t used = 0;

	if (!len)
		return;
	while (*p) {
		size_t n = utf8_seq_len(p);

		if (used + (n ? n : 1) >= len)
			break;
		if (n) {
			for (size_t i = 0; i < n; i++)
				dst[used++] = (char)p[i];
			p += n;
		} else {
			dst[used++] = '?';
			p++;
		}
	}
	dst[used] = '\0';
}
