/* xen_xs.c: read-only xenstore helpers for the Xen backend (see xen_xs.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "backend/str.h"
#include "backend/xen_xs.h"

static bool
xen_xs_path(char *path, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(path, len, fmt, ap);

	return n > 0 && (size_t)n < len;
}

bool
xen_xs_read(struct xs_handle *xs, char *buf, size_t len, const char *fmt, ...)
{
	char path[256];
	unsigned int vlen = 0;
	char *v;
	va_list ap;
	bool ok;

	if (len == 0)
		return false;
	buf[0] = '\0';
	if (xs == NULL)
		return false;
	va_start(ap, fmt);
	ok = xen_xs_path(path, sizeof path, fmt, ap);
	va_end(ap);
	if (!ok)
		return false;
	v = xs_read(xs, XBT_NULL, path, &vlen);
	if (v == NULL)
		return false;
	/* xenstore values are counted, not NUL-terminated strings: stop at any NUL */
	if (vlen >= len)
		vlen = (unsigned int)(len - 1);
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	free(v);
	return true;
}

static int
xen_xs_cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

size_t
xen_xs_list_ids(struct xs_handle *xs, unsigned *ids, size_t max, const char *fmt, ...)
{
	char path[256];
	unsigned int n = 0;
	unsigned long long v;
	char **names;
	size_t count = 0;
	va_list ap;
	bool ok;

	if (xs == NULL)
		return 0;
	va_start(ap, fmt);
	ok = xen_xs_path(path, sizeof path, fmt, ap);
	va_end(ap);
	if (!ok)
		return 0;
	names = xs_directory(xs, XBT_NULL, path, &n);
	if (names == NULL)
		return 0;
	for (unsigned int i = 0; i < n && count < max; i++)
		if (str_to_uint(names[i], 0, 0xffffffffULL, &v))
			ids[count++] = (unsigned)v;
	free(names);
	qsort(ids, count, sizeof *ids, xen_xs_cmp_unsigned);
	return count;
}
