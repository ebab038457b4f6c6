/*
 * str.c: string helpers. The sanitiser decodes UTF-8 strictly and keeps only
 * printable characters: anything that could move the cursor, start an escape
 * sequence or reorder text on a terminal becomes '?'.
 */
#include <stdint.h>
#include <string.h>

#include "backend/str.h"

/* Characters that are valid UTF-8 but must never reach a terminal. */
static bool
str_forbidden(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f ||
	       (cp >= 0x80 && cp <= 0x9f) ||          /* C1 controls (CSI is U+009B) */
	       (cp >= 0x202a && cp <= 0x202e) ||      /* bidi embeddings and overrides */
	       (cp >= 0x2066 && cp <= 0x2069) ||      /* bidi isolates */
	       cp == 0x2028 || cp == 0x2029;          /* line and paragraph separators */
}

/*
 * Decodes one UTF-8 sequence at s (n bytes left). Returns its length and the
 * code point in *cp, or 0 when the byte at s does not start a valid,
 * shortest-form, non-surrogate sequence.
 */
static size_t
str_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; c = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; c = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; c = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;                               /* continuation byte or 0xf8.. */
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;                               /* overlong, too big, surrogate */
	*cp = c;
	return len;
}

bool
str_sanitize(char *dst, size_t dstsz, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t n = strlen(src), i = 0, o = 0;
	bool clean = true;

	if (dstsz == 0)
		return false;
	while (i < n) {
		uint32_t cp;
		size_t len = str_utf8_decode(s + i, n - i, &cp);

		if (len == 0 || str_forbidden(cp)) {
			clean = false;
			if (o + 1 >= dstsz)
				break;
			dst[o++] = '?';
			i += len ? len : 1;
			continue;
		}
		if (o + len >= dstsz)
			break;                          /* never cut a character in two */
		memmove(dst + o, s + i, len);   /* dst may be src: o <= i always */
		o += len;
		i += len;
	}
	dst[o] = '\0';
	return clean;
}

size_t
str_copy(char *dst, const char *src, size_t dstsz)
{
	size_t n = strlen(src);

	if (dstsz > 0) {
		size_t k = n < dstsz - 1 ? n : dstsz - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

static bool
str_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *
str_trim(char *s)
{
	size_t start = 0, end = strlen(s);

	while (start < end && str_is_space(s[start]))
		start++;
	while (end > start && str_is_space(s[end - 1]))
		end--;
	memmove(s, s + start, end - start);
	s[end - start] = '\0';
	return s;
}

bool
str_to_uint(const char *s, unsigned long long min, unsigned long long max,
            unsigned long long *out)
{
	unsigned long long v = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (v > (~0ULL - d) / 10)
			return false;                   /* would overflow */
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}
