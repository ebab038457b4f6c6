/*
 * str.h: string helpers, above all the sanitiser. Any string from outside
 * (a domain name set by a tenant, a device name, a scenario value) passes
 * through str_sanitize before it reaches a terminal or a log line: no control
 * byte, escape sequence, C1 control, bidi override or invalid UTF-8 survives.
 */
#ifndef DOMTOP_STR_H
#define DOMTOP_STR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copies src into dst (always NUL-terminated), replacing each forbidden
 * character or invalid UTF-8 byte with '?'. Returns true when src was
 * already clean.
 */
bool str_sanitize(char *dst, size_t dstsz, const char *src);

/* strlcpy: copies at most dstsz-1 bytes; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t dstsz);

/* Trims leading and trailing white space in place; returns s. */
char *str_trim(char *s);

/* Parses a whole unsigned decimal number within [min, max]. */
bool str_to_uint(const char *s, unsigned long long min, unsigned long long max,
                 unsigned long long *out);

#endif
