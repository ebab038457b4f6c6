/*
 * fuzz_xen_map.c: libFuzzer target of the pure parsers of backend/xen_map.h,
 * which read what xenstore, sysfs and /proc hand the Xen backend (a guest
 * can write some of those xenstore keys).
 *
 * The whole input, as a string, goes through every parser. Properties: what
 * a parser accepts it writes back terminated and in range, and the canonical
 * text of the result parses to the same result (backend path, blkback name,
 * physical device); returned pointers point into the input; the scheduler
 * is a bracketed or lone word of the input; a vbd name of any device number
 * is short printable ASCII; ioprio decodes to a class 0..7 and a level the
 * kernel could hold.
 */
#include <ctype.h>

#include "backend/xen_map.h"
#include "tests/fuzz/fuzz.h"

static bool
within(const char *p, const char *s)
{
	return p >= s && p <= s + strlen(s);
}

static void
check_bepath(const char *s)
{
	struct xen_bepath b, again;
	char canon[128];

	if (!xen_map_parse_bepath(s, &b))
		return;
	FUZZ_CHECK(fuzz_terminated(b.type, sizeof b.type) && b.type[0] != '\0' &&
	           strchr(b.type, '/') == NULL, "type '%s' from '%s'", b.type, s);
	FUZZ_CHECK(b.domid <= 0xffff && b.backend_domid <= 0xffff, "domids %u %u from '%s'",
	           (unsigned)b.domid, b.backend_domid, s);
	snprintf(canon, sizeof canon, "/local/domain/%u/backend/%s/%u/%u", b.backend_domid, b.type,
	         (unsigned)b.domid, b.devid);
	FUZZ_CHECK(xen_map_parse_bepath(canon, &again) && memcmp(&b, &again, sizeof b) == 0,
	           "'%s' (from '%s') does not read back the same", canon, s);
}

static void
check_blkback(const char *s)
{
	uint32_t domid, d2;
	unsigned ring, r2;
	char dev[32], dev2[32], canon[96];

	if (!xen_map_parse_blkback_comm(s, &domid, dev, sizeof dev, &ring))
		return;
	FUZZ_CHECK(fuzz_terminated(dev, sizeof dev) && dev[0] != '\0', "dev from '%s'", s);
	FUZZ_CHECK(domid <= 0xffff && ring <= 0xffff, "domid %u ring %u from '%s'",
	           (unsigned)domid, ring, s);
	snprintf(canon, sizeof canon, "%u.%s-%u", (unsigned)domid, dev, ring);
	FUZZ_CHECK(xen_map_parse_blkback_comm(canon, &d2, dev2, sizeof dev2, &r2) && d2 == domid &&
	           r2 == ring && strcmp(dev2, dev) == 0, "'%s' (from '%s') reads back otherwise",
	           canon, s);
	/* a name of at most 15 bytes is matched by the vbd it names ("dev" keys lose "/dev/") */
	if (strlen(canon) <= 15 && strstr(dev, "/dev/") == NULL)
		FUZZ_CHECK(xen_map_blkback_match(canon, domid, dev), "'%s' does not match %u %s",
		           canon, (unsigned)domid, dev);
}

static void
check_stat(const char *s)
{
	struct xen_procstat st;

	if (!xen_map_parse_stat(s, &st))
		return;
	FUZZ_CHECK(fuzz_terminated(st.comm, sizeof st.comm), "comm unterminated from '%s'", s);
	FUZZ_CHECK(st.state != '\0' && st.state != ' ' && st.state != '\n', "state 0x%02x from '%s'",
	           (unsigned char)st.state, s);
}

static void
check_scheduler(const char *s)
{
	char buf[16];

	if (!xen_map_parse_scheduler(s, buf, sizeof buf))
		return;
	FUZZ_CHECK(fuzz_terminated(buf, sizeof buf) && buf[0] != '\0', "empty scheduler from '%s'", s);
	FUZZ_CHECK(strstr(s, buf) != NULL, "scheduler '%s' is not in '%s'", buf, s);
	FUZZ_CHECK(strchr(s, '[') != NULL || strpbrk(buf, " \t\n") == NULL,
	           "lone scheduler '%s' holds a blank", buf);
}

static void
check_physdev(const char *s)
{
	unsigned ma, mi, ma2, mi2;
	char canon[32];

	if (!xen_map_parse_physdev(s, &ma, &mi))
		return;
	FUZZ_CHECK(ma <= 0xfff && mi <= 0xfffff, "%x:%x from '%s'", ma, mi, s);
	snprintf(canon, sizeof canon, "%x:%x", ma, mi);
	FUZZ_CHECK(xen_map_parse_physdev(canon, &ma2, &mi2) && ma2 == ma && mi2 == mi,
	           "'%s' (from '%s') reads back otherwise", canon, s);
}

static void
check_pointers(const char *s)
{
	const char *p = xen_map_params_path(s), *t = xen_map_tidy_libxl_msg(s),
	           *d = xen_map_strip_dev(s);

	FUZZ_CHECK(p == NULL || (within(p, s) && *p == '/'), "params path outside or not '/'");
	FUZZ_CHECK(within(t, s), "tidied message outside the message");
	FUZZ_CHECK(t == s || *t != '\0', "tidied message empty");
	FUZZ_CHECK(within(d, s), "stripped dev outside the key");
}

static void
check_numbers(const uint8_t *data, size_t size)
{
	unsigned devid = 0;
	int value = 0, cls, level;
	long nice = 0;
	char name[32];

	memcpy(&devid, data, size < sizeof devid ? size : sizeof devid);
	xen_map_vbd_name(devid, name, sizeof name);
	FUZZ_CHECK(fuzz_terminated(name, sizeof name) && name[0] != '\0' && strlen(name) <= 12,
	           "vbd name '%s' of %u", name, devid);
	for (const char *c = name; *c != '\0'; c++)
		FUZZ_CHECK(isalnum((unsigned char)*c), "vbd name '%s' of %u", name, devid);
	xen_map_vbd_name(devid, name, 4);
	FUZZ_CHECK(strlen(name) <= 3, "vbd name '%s' overflows 4 bytes", name);
	if (size >= 12) {
		memcpy(&value, data + 4, sizeof value);
		memcpy(&nice, data + 8, 4);
		xen_map_ioprio_decode(value, nice, &cls, &level);
		if (value < 0)
			FUZZ_CHECK(cls == -1 && level == -1, "ioprio %d -> %d/%d", value, cls, level);
		else
			FUZZ_CHECK(cls >= 0 && cls <= 7 && level >= 0 && level <= 0x1fff &&
			           (cls != 0 || level <= 7), "ioprio %d nice %ld -> %d/%d", value, nice,
			           cls, level);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	check_bepath(s);
	check_blkback(s);
	check_stat(s);
	check_scheduler(s);
	check_physdev(s);
	check_pointers(s);
	(void)xen_map_blkback_match(s, size, s);
	check_numbers(data, size);
	free(s);
	return 0;
}
