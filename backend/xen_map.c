/*
 * xen_map.c: pure parsers for the Xen backend's device mapping (see
 * xen_map.h). No I/O here: the callers read the files and xenstore keys.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/xen_map.h"

#define XEN_MAP_EXT_FLAG   (1u << 28)  /* extended vbd encoding: xvd disk >= 16 */
#define XEN_MAP_COMM_MAX   15          /* TASK_COMM_LEN - 1 */

/* Disk index to letters, bijective base 26: 0 -> a, 25 -> z, 26 -> aa. */
static void
xen_map_disk_letters(unsigned disk, char *buf, size_t len)
{
	char tmp[8];
	size_t n = 0;
	unsigned long d = disk;

	do {
		tmp[n++] = (char)('a' + d % 26);
		d = d / 26;
	} while (d-- > 0 && n < sizeof tmp);
	for (size_t i = 0; i < n && i + 1 < len; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n < len ? n : len - 1] = '\0';
}

static void
xen_map_disk_name(const char *prefix, unsigned disk, unsigned part, char *buf, size_t len)
{
	char letters[8];

	xen_map_disk_letters(disk, letters, sizeof letters);
	if (part != 0)
		snprintf(buf, len, "%s%s%u", prefix, letters, part);
	else
		snprintf(buf, len, "%s%s", prefix, letters);
}

void
xen_map_vbd_name(unsigned devid, char *buf, size_t len)
{
	unsigned major = (devid >> 8) & 0xff, minor = devid & 0xff;

	if (len == 0)
		return;
	if (devid & XEN_MAP_EXT_FLAG) {
		if (devid >> 29) {
			snprintf(buf, len, "%u", devid);
			return;
		}
		xen_map_disk_name("xvd", (devid >> 8) & 0xfffff, devid & 0xff, buf, len);
		return;
	}
	if (devid > 0xffff) {
		snprintf(buf, len, "%u", devid);
		return;
	}
	switch (major) {
	case 202:
		xen_map_disk_name("xvd", minor >> 4, minor & 15, buf, len);
		break;
	case 8:
		xen_map_disk_name("sd", minor >> 4, minor & 15, buf, len);
		break;
	case 3:
		xen_map_disk_name("hd", minor >> 6, minor & 63, buf, len);
		break;
	case 22:
		xen_map_disk_name("hd", 2 + (minor >> 6), minor & 63, buf, len);
		break;
	default:
		snprintf(buf, len, "%u", devid);
	}
}

/* Parses a decimal number at *p (no sign), advancing *p. */
static bool
xen_map_number(const char **p, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	*p = s;
	return true;
}

static bool
xen_map_skip(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Accepts the end of a path: nothing, or one '/' and/or a newline. */
static bool
xen_map_at_end(const char *p)
{
	if (*p == '/')
		p++;
	if (*p == '\n')
		p++;
	return *p == '\0';
}

bool
xen_map_parse_bepath(const char *path, struct xen_bepath *out)
{
	const char *p = path;
	unsigned long n, dom, dev;
	size_t tlen;

	memset(out, 0, sizeof *out);
	if (xen_map_skip(&p, "/local/domain/")) {
		if (!xen_map_number(&p, 0xffff, &n) || *p++ != '/')
			return false;
		out->backend_domid = (unsigned)n;
	}
	if (!xen_map_skip(&p, "backend/"))
		return false;
	tlen = strcspn(p, "/");
	if (tlen == 0 || tlen >= sizeof out->type || p[tlen] != '/')
		return false;
	memcpy(out->type, p, tlen);
	out->type[tlen] = '\0';
	p += tlen + 1;
	if (!xen_map_number(&p, 0xffff, &dom) || *p++ != '/')
		return false;
	if (!xen_map_number(&p, 0xffffffffUL, &dev) || !xen_map_at_end(p))
		return false;
	out->domid = (uint32_t)dom;
	out->devid = (unsigned)dev;
	return true;
}

bool
xen_map_parse_blkback_comm(const char *comm, uint32_t *domid, char *dev, size_t devlen,
                           unsigned *ring)
{
	const char *p = comm, *dash, *end;
	unsigned long dom, r;
	size_t dlen;

	end = comm + strcspn(comm, "\n");
	if (!xen_map_number(&p, 0xffff, &dom) || *p++ != '.')
		return false;
	dash = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '-')
			dash = q;
	if (dash == NULL || dash == p)
		return false;
	dlen = (size_t)(dash - p);
	if (dlen >= devlen)
		return false;
	{
		const char *q = dash + 1;
		if (!xen_map_number(&q, 0xffff, &r) || q != end)
			return false;
	}
	memcpy(dev, p, dlen);
	dev[dlen] = '\0';
	*domid = (uint32_t)dom;
	*ring = (unsigned)r;
	return true;
}

const char *
xen_map_strip_dev(const char *devkey)
{
	const char *s = strstr(devkey, "/dev/");

	return s != NULL ? s + strlen("/dev/") : devkey;
}

bool
xen_map_blkback_match(const char *comm, uint32_t domid, const char *devkey)
{
	char name[64];
	size_t clen = strcspn(comm, "\n"), nlen;

	if (clen == 0 || clen > XEN_MAP_COMM_MAX)
		return false;
	/*
	 * blkback names a vbd "<domid>.<dev>" cut to 15 bytes, then each ring
	 * thread "<name>-<ring>", which the kernel cuts to 15 bytes again: comm
	 * is the first 15 bytes of "<name>-<digits>".
	 */
	snprintf(name, sizeof name, "%u.%s", (unsigned)domid, xen_map_strip_dev(devkey));
	name[XEN_MAP_COMM_MAX] = '\0';
	nlen = strlen(name);
	if (clen <= nlen)
		return clen == XEN_MAP_COMM_MAX && strncmp(comm, name, clen) == 0;
	if (strncmp(comm, name, nlen) != 0 || comm[nlen] != '-')
		return false;
	if (clen == nlen + 1)   /* "-" and no digit: only when cut at 15 */
		return clen == XEN_MAP_COMM_MAX;
	for (size_t i = nlen + 1; i < clen; i++)
		if (!isdigit((unsigned char)comm[i]))
			return false;
	return true;
}

/* Fields are counted from the last ')', so a comm with spaces or ')' is safe. */
bool
xen_map_parse_stat(const char *line, struct xen_procstat *out)
{
	const char *open, *close, *p;
	size_t clen;
	int field;
	char *end;

	memset(out, 0, sizeof *out);
	open = strchr(line, '(');
	close = strrchr(line, ')');
	if (open == NULL || close == NULL || close < open)
		return false;
	clen = (size_t)(close - open - 1);
	if (clen >= sizeof out->comm)
		clen = sizeof out->comm - 1;
	memcpy(out->comm, open + 1, clen);
	out->comm[clen] = '\0';
	p = close + 1;
	/* field 3 is the state; count from there */
	for (field = 3; *p != '\0' && *p != '\n'; field++) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		if (field == 3) {
			out->state = *p;
		} else if (field == 19) {
			errno = 0;
			long long v = strtoll(p, &end, 10);
			if (end == p || errno != 0 || (*end != ' ' && *end != '\n' && *end != '\0'))
				return false;
			out->nice = (long)v;
		} else if (field == 22) {
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (!isdigit((unsigned char)*p) || errno != 0 || (*end != ' ' && *end != '\n'))
				return false;
			out->starttime = v;
		} else if (field == 42) {
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (!isdigit((unsigned char)*p) || errno != 0 ||
			    (*end != ' ' && *end != '\n' && *end != '\0'))
				return false;
			out->blkio_ticks = v;
		}
		if (field == 42)
			return out->state != '\0';
		p += strcspn(p, " \n");
	}
	return false;
}

/* The argument at *p of a NUL-separated list ending at end, advancing *p past it. */
static const char *
xen_map_next_arg(const char **p, const char *end, size_t *alen)
{
	const char *a = *p;

	if (a >= end)
		return NULL;
	*alen = strnlen(a, (size_t)(end - a));
	*p = a + *alen < end ? a + *alen + 1 : end;    /* past its NUL, or at the end */
	return a;
}

static bool
xen_map_arg_is_domid(const char *a, size_t alen, uint32_t domid)
{
	char want[16];
	int n = snprintf(want, sizeof want, "%u", (unsigned)domid);

	return (size_t)n == alen && memcmp(a, want, alen) == 0;
}

bool
xen_map_cmdline_serves(const char *cmdline, size_t len, uint32_t domid)
{
	static const char *const opts[] = { "-xen-domid", "--xen-domid" };
	const char *p = cmdline, *end = cmdline + len, *a, *v;
	size_t alen, vlen;

	while ((a = xen_map_next_arg(&p, end, &alen)) != NULL) {
		for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
			size_t olen = strlen(opts[i]);
			if (alen == olen && memcmp(a, opts[i], olen) == 0) {
				const char *q = p;
				v = xen_map_next_arg(&q, end, &vlen);
				if (v != NULL && xen_map_arg_is_domid(v, vlen, domid))
					return true;
			} else if (alen > olen && memcmp(a, opts[i], olen) == 0 && a[olen] == '=' &&
			           xen_map_arg_is_domid(a + olen + 1, alen - olen - 1, domid)) {
				return true;
			}
		}
	}
	return false;
}

bool
xen_map_parse_scheduler(const char *text, char *buf, size_t len)
{
	const char *open = strchr(text, '['), *close;
	const char *start;
	size_t n;

	if (len == 0)
		return false;
	if (open != NULL) {
		close = strchr(open, ']');
		if (close == NULL)
			return false;
		start = open + 1;
		n = (size_t)(close - start);
	} else {
		/* a single scheduler is shown without brackets, e.g. "none" */
		start = text + strspn(text, " \t");
		n = strcspn(start, " \t\n");
		if (start[n] != '\0' && start[n + strspn(start + n, " \t\n")] != '\0')
			return false;
	}
	if (n == 0 || n >= len)
		return false;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return true;
}

bool
xen_map_parse_physdev(const char *text, unsigned *major, unsigned *minor)
{
	unsigned long ma, mi;
	char *end;

	if (!isxdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	ma = strtoul(text, &end, 16);
	if (errno != 0 || *end != ':' || ma > 0xfff || !isxdigit((unsigned char)end[1]))
		return false;
	mi = strtoul(end + 1, &end, 16);
	if (errno != 0 || mi > 0xfffff || (*end != '\0' && strcmp(end, "\n") != 0))
		return false;
	*major = (unsigned)ma;
	*minor = (unsigned)mi;
	return true;
}

const char *
xen_map_params_path(const char *params)
{
	const char *slash = strchr(params, '/');

	if (slash == NULL)
		return NULL;
	/* "aio:/x" or "/x": the path starts at the first slash after the prefix */
	if (slash != params && slash[-1] != ':')
		return NULL;
	return slash;
}

void
xen_map_ioprio_decode(int value, long nice, int *class_out, int *level_out)
{
	int cls = (value >> 13) & 0x7, level = value & 0x1fff;

	if (value < 0) {
		*class_out = *level_out = -1;
		return;
	}
	if (cls == 0) {
		if (nice < -20)
			nice = -20;
		if (nice > 19)
			nice = 19;
		level = (int)((nice + 20) / 5);
	}
	*class_out = cls;
	*level_out = level;
}

int
xen_map_ioprio_encode(int ioclass, int level)
{
	if (ioclass < 0 || ioclass > 3 || level < 0 || level > 7)
		return -1;
	if ((ioclass == 0 || ioclass == 3) && level != 0)
		return -1;
	return (ioclass << 13) | level;
}

const char *
xen_map_tidy_libxl_msg(const char *msg)
{
	const char *p = msg, *colon;
	size_t n;

	/* "<file>.c:<line>:<function>: message" */
	colon = strchr(p, ':');
	if (colon == NULL || colon - p < 3 || strncmp(colon - 2, ".c", 2) != 0)
		return msg;
	p = colon + 1;
	n = strspn(p, "0123456789");
	if (n == 0 || p[n] != ':')
		return msg;
	p += n + 1;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (n == 0 || p[n] != ':')
		return msg;
	p += n + 1;
	while (*p == ' ')
		p++;
	return *p != '\0' ? p : msg;
}
