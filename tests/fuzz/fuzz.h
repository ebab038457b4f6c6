/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share: a property check
 * that aborts (so libFuzzer saves the input), a NUL-terminated copy of the
 * input, and a checker of terminal-safe text written independently of
 * backend/str.c, so that the sanitiser is checked, not trusted.
 *
 * Build and run: make fuzz [FUZZ_SECONDS=N]. One target by hand:
 *   build/fuzz/fuzz_cpulist -max_total_time=60 tests/fuzz/corpus/cpulist
 * and a saved crash replays with: build/fuzz/fuzz_cpulist CRASH-FILE
 */
#ifndef DOMTOP_FUZZ_H
#define DOMTOP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold: on failure, say which and abort. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "\nproperty failed at %s:%d: %s\n  ",   \
			        __FILE__, __LINE__, #cond);                     \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* The input as a C string (a NUL byte in it ends the string); free it. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Whether s has a NUL within n bytes (a C string that fits its buffer). */
static inline bool
fuzz_terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/*
 * Length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
static inline size_t
fuzz_utf8_len(const unsigned char *s, uint32_t *cp)
{
	unsigned char b = s[0];

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf && (s[1] & 0xc0) == 0x80) {
		*cp = (uint32_t)(b & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (b >= 0xe0 && b <= 0xef) {
		unsigned char lo = b == 0xe0 ? 0xa0 : 0x80, hi = b == 0xed ? 0x9f : 0xbf;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(b & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if (b >= 0xf0 && b <= 0xf4) {
		unsigned char lo = b == 0xf0 ? 0x90 : 0x80, hi = b == 0xf4 ? 0x8f : 0xbf;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(b & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

/* A character that moves the cursor, starts a sequence or reorders text. */
static inline bool
fuzz_unsafe_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

/*
 * NULL when s is safe for a terminal (valid UTF-8, no unsafe character),
 * else a pointer to the first offending byte.
 */
static inline const char *
fuzz_unsafe_at(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		uint32_t cp;
		size_t n = fuzz_utf8_len(p, &cp);

		if (n == 0 || fuzz_unsafe_cp(cp))
			return (const char *)p;
		p += n;
	}
	return NULL;
}

static inline bool
fuzz_clean(const char *s)
{
	return fuzz_unsafe_at(s) == NULL;
}

#endif
