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
 *
 * The input's bytes, NULs and all, are also a /proc/PID/cmdline for
 * xen_map_cmdline_serves, in a heap copy of exactly its length (ASan sees a
 * read past it). Its answer is checked against the domids the words name by
 * the header's rules, worked out here (a word "-xen-domid" or "--xen-domid"
 * then a word that is the domid in plain decimal, or "-xen-domid=N",
 * "--xen-domid=N"): for the number in the first 4 bytes, 0, each domid named
 * and its neighbours; also for a length cut short inside the same buffer
 * (nothing past len counts). Then the input's words with "-xen-domid" "N"
 * (or one of the other three forms) put among them, with or without a final
 * NUL, serve N, and serve N+1 and N-1 only if the other words name them.
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

/* ---- xen_map_cmdline_serves ---- */

#define NAMED_MAX 8          /* named domids checked one by one */

static const char *const domid_opts[] = { "-xen-domid", "--xen-domid" };

/* Whether word w of n bytes is a domid as the toolstack writes it ("%u"). */
static bool
word_domid(const char *w, size_t n, uint32_t *domid)
{
	uint64_t v = 0;

	if (n == 0 || n > 10 || (w[0] == '0' && n > 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(w[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*domid = (uint32_t)v;
	return true;
}

/* Whether word w of n bytes is option o itself (0) or "o=" and a domid (1). */
static int
word_opt(const char *w, size_t n, const char *o, uint32_t *domid)
{
	size_t ol = strlen(o);

	if (n == ol && memcmp(w, o, ol) == 0)
		return 0;
	if (n > ol && memcmp(w, o, ol) == 0 && w[ol] == '=' &&
	    word_domid(w + ol + 1, n - ol - 1, domid))
		return 1;
	return -1;
}

/*
 * The domids that the cmdline b[0..len) names: the first max of them into
 * found (may be NULL), and whether want is one. Words are NUL-separated; a
 * final NUL ends the last word, it starts no new one.
 */
static size_t
cmdline_names(const char *b, size_t len, uint32_t want, bool *has_want, uint32_t *found,
              size_t max)
{
	size_t pos = 0, count = 0;
	bool opt_before = false;

	*has_want = false;
	while (pos < len) {
		const char *w = b + pos, *nul = memchr(w, '\0', len - pos);
		bool is_opt = false, named = false;
		uint32_t d = 0;
		size_t wl;

		wl = nul != NULL ? (size_t)(nul - w) : len - pos;
		pos += wl + 1;
		if (opt_before && word_domid(w, wl, &d))
			named = true;
		/* a word is a value or an option, not both: only options start with '-' */
		for (size_t i = 0; i < sizeof domid_opts / sizeof domid_opts[0]; i++) {
			int r = word_opt(w, wl, domid_opts[i], &d);
			is_opt |= r == 0;
			named |= r == 1;
		}
		if (named) {
			*has_want |= d == want;
			if (found != NULL && count < max)
				found[count] = d;
			count++;
		}
		opt_before = is_opt;
	}
	return count;
}

/* xen_map_cmdline_serves on b[0..len) for domid, against cmdline_names. */
static void
check_serves(const char *b, size_t len, uint32_t domid, const char *what)
{
	bool want;
	bool got;

	cmdline_names(b, len, domid, &want, NULL, 0);
	got = xen_map_cmdline_serves(b, len, domid);
	FUZZ_CHECK(got == want, "%s of %zu bytes: serves %u says %d, its words say %d", what, len,
	           (unsigned)domid, got, want);
}

/* The check of every domid the cmdline names, of its neighbours and of extra. */
static void
check_named(const char *b, size_t len, uint32_t extra, const char *what)
{
	uint32_t found[NAMED_MAX];
	bool unused;
	size_t n = cmdline_names(b, len, 0, &unused, found, NAMED_MAX);

	check_serves(b, len, extra, what);
	check_serves(b, len, 0, what);
	for (size_t i = 0; i < n && i < NAMED_MAX; i++) {
		FUZZ_CHECK(xen_map_cmdline_serves(b, len, found[i]), "%s of %zu bytes names %u, not served",
		           what, len, (unsigned)found[i]);
		check_serves(b, len, found[i] + 1, what);
		check_serves(b, len, found[i] - 1, what);
	}
}

/* The input's words with the option naming domid put in at word pos, in form form. */
static char *
cmdline_with(const uint8_t *data, size_t size, uint32_t domid, size_t pos, unsigned form,
             size_t *len)
{
	char opt[40], *out = malloc(size + sizeof opt + 2), *copy;
	size_t at = 0, in = 0, word = 0, optlen;

	if (out == NULL)
		abort();
	if (form & 2)
		optlen = (size_t)snprintf(opt, sizeof opt, "%s=%u", domid_opts[form & 1], (unsigned)domid);
	else
		optlen = (size_t)snprintf(opt, sizeof opt, "%s%c%u", domid_opts[form & 1], '\0',
		                          (unsigned)domid);
	for (;;) {
		const uint8_t *nul;
		size_t wl;
		if (word == pos) {
			memcpy(out + at, opt, optlen);
			at += optlen;
			out[at++] = '\0';
		}
		if (in >= size)
			break;
		nul = memchr(data + in, '\0', size - in);
		wl = nul != NULL ? (size_t)(nul - (data + in)) : size - in;
		memcpy(out + at, data + in, wl);
		at += wl;
		out[at++] = '\0';
		in += wl + 1;
		word++;
	}
	if (word < pos) {          /* pos past the last word: the option goes last */
		memcpy(out + at, opt, optlen);
		at += optlen;
		out[at++] = '\0';
	}
	if (form & 4)
		at--;               /* no final NUL */
	/* an exact-size copy, so that a read past the end is ASan's */
	copy = malloc(at);
	if (copy == NULL)
		abort();
	memcpy(copy, out, at);
	free(out);
	*len = at;
	return copy;
}

static void
check_cmdline(const uint8_t *data, size_t size)
{
	uint32_t probe = 0;
	unsigned form = size > 0 ? data[size - 1] : 0;
	char *buf = malloc(size ? size : 1), *built;
	size_t cut, blen;

	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	memcpy(&probe, data, size < sizeof probe ? size : sizeof probe);
	check_named(buf, size, probe, "cmdline");
	cut = size ? probe % (size + 1) : 0;
	check_named(buf, cut, probe, "cut cmdline");
	free(buf);

	built = cmdline_with(data, size, probe, form >> 3 & 7, form & 7, &blen);
	FUZZ_CHECK(xen_map_cmdline_serves(built, blen, probe),
	           "option form %u naming %u at word %u not served", form & 7, (unsigned)probe,
	           form >> 3 & 7);
	check_serves(built, blen, probe + 1, "built cmdline");
	check_serves(built, blen, probe - 1, "built cmdline");
	free(built);
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
	check_cmdline(data, size);
	free(s);
	return 0;
}
