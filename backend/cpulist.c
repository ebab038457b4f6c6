/*
 * cpulist.c: xl's cpulist syntax. Items are comma-separated; each is "all",
 * a cpu "N", a range "N-M", or any of these prefixed by '^' to remove it.
 * A list that starts with a removal starts from all pCPUs ("^1" = all but 1).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpulist.h"

/* Parses "N" at *p; advances *p past the digits. */
static int
cpulist_number(const char **p, unsigned nr_pcpus, unsigned *out, const char *text, struct err *e)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)**p))
		return err_set(e, "bad cpu list '%s': expected a cpu number at '%s' (e.g. 0-3,^2)", text, *p);
	errno = 0;
	v = strtoul(*p, &end, 10);
	if (errno != 0 || v >= nr_pcpus)
		return err_set(e, "bad cpu list '%s': cpu %.*s does not exist (this host has cpus 0-%u)",
		               text, (int)(end - *p), *p, nr_pcpus - 1);
	*p = end;
	*out = (unsigned)v;
	return 0;
}

/* One item, up to the next ',' or the end, into the range [*lo, *hi]. */
static int
cpulist_item(const char **p, unsigned nr_pcpus, unsigned *lo, unsigned *hi, const char *text, struct err *e)
{
	if (strncmp(*p, "all", 3) == 0 && ((*p)[3] == ',' || (*p)[3] == '\0')) {
		*p += 3;
		*lo = 0;
		*hi = nr_pcpus - 1;
		return 0;
	}
	if (cpulist_number(p, nr_pcpus, lo, text, e) < 0)
		return -1;
	*hi = *lo;
	if (**p == '-') {
		(*p)++;
		if (cpulist_number(p, nr_pcpus, hi, text, e) < 0)
			return -1;
		if (*hi < *lo)
			return err_set(e, "bad cpu list '%s': range %u-%u runs backwards", text, *lo, *hi);
	}
	if (**p != ',' && **p != '\0')
		return err_set(e, "bad cpu list '%s': unexpected '%c' (use e.g. 0-3,^2)", text, **p);
	return 0;
}

int
cpulist_parse(const char *text, unsigned nr_pcpus, struct cpuset *out, struct err *e)
{
	const char *p = text;
	unsigned lo, hi;
	bool first = true;

	if (nr_pcpus == 0 || nr_pcpus > SAMPLE_MAX_PCPUS)
		return err_set(e, "cannot pin: the host reports %u pCPUs", nr_pcpus);
	if (*text == '\0')
		return err_set(e, "empty cpu list: give e.g. 0-3,^2 or all");
	cpuset_zero(out);
	while (*p != '\0') {
		bool remove = (*p == '^');

		if (remove)
			p++;
		if (remove && first)
			cpuset_fill(out, nr_pcpus);
		if (cpulist_item(&p, nr_pcpus, &lo, &hi, text, e) < 0)
			return -1;
		for (unsigned c = lo; c <= hi; c++)
			remove ? cpuset_clear(out, c) : cpuset_set(out, c);
		first = false;
		if (*p == ',') {
			p++;
			if (*p == '\0')
				return err_set(e, "bad cpu list '%s': trailing comma", text);
		}
	}
	if (cpuset_count(out) == 0)
		return err_set(e, "cpu list '%s' leaves no cpu to run on", text);
	return 0;
}

void
cpulist_format(const struct cpuset *c, unsigned nr_pcpus, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (nr_pcpus > 0 && cpuset_count(c) >= nr_pcpus) {
		bool all = true;
		for (unsigned k = 0; k < nr_pcpus; k++)
			all = all && cpuset_has(c, k);
		if (all) {
			snprintf(buf, len, "all");
			return;
		}
	}
	while (i < SAMPLE_MAX_PCPUS && off < len) {
		unsigned j;
		int n;

		if (!cpuset_has(c, i)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < SAMPLE_MAX_PCPUS && cpuset_has(c, j + 1); j++)
			;
		n = j == i ? snprintf(buf + off, len - off, "%s%u", off ? "," : "", i)
		           : snprintf(buf + off, len - off, "%s%u-%u", off ? "," : "", i, j);
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';    /* never leave half an item */
			return;
		}
		off += (size_t)n;
		i = j + 1;
	}
}
