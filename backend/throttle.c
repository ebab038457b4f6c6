/*
 * throttle.c: the registry of wanted vif throttles and its state file (see
 * throttle.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/mem.h"
#include "backend/rate.h"
#include "backend/str.h"
#include "backend/throttle.h"

#define THROTTLE_FILE_MAX (64u << 20)
#define THROTTLE_LINE_MAX 8192

static const char throttle_header[] =
	"# domtop: wanted vif throttles, re-applied when a vif comes back and lifted when they\n"
	"# expire. Written by domtop (atomically, under <this file>.lock); one vif per line.\n";

void
throttle_default_path(char *buf, size_t len)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_STATE_HOME");

	if (geteuid() == 0 || (home == NULL && (xdg == NULL || xdg[0] != '/')))
		snprintf(buf, len, "/var/lib/domtop/throttles.state");
	else if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, len, "%s/domtop/throttles.state", xdg);
	else
		snprintf(buf, len, "%s/.local/state/domtop/throttles.state", home);
}

void
throttle_reg_init(struct throttle_reg *r, const char *path)
{
	memset(r, 0, sizeof *r);
	r->lock_fd = -1;
	if (path != NULL)
		str_copy(r->path, path, sizeof r->path);
}

void
throttle_reg_free(struct throttle_reg *r)
{
	throttle_reg_abort(r);
	free(r->e);
	r->e = NULL;
	r->n = r->cap = 0;
}

static void
throttle_warn(struct throttle_reg *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
throttle_warn(struct throttle_reg *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_warnings < THROTTLE_MAX_WARNINGS) {
		va_start(ap, fmt);
		vsnprintf(r->warnings[r->n_warnings], ERR_MSG_MAX, fmt, ap);
		va_end(ap);
	}
	r->n_warnings++;
}

/* ---- entries ---- */

struct throttle_entry *
throttle_find(struct throttle_reg *r, const char *scope, const char *domain, unsigned devid)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].devid == devid && strcmp(r->e[i].domain, domain) == 0
		    && strcmp(r->e[i].scope, scope) == 0)
			return &r->e[i];
	return NULL;
}

int
throttle_put(struct throttle_reg *r, const struct throttle_entry *t, struct err *e)
{
	struct throttle_entry *old = throttle_find(r, t->scope, t->domain, t->devid);

	if (old != NULL) {
		*old = *t;
		return 0;
	}
	if (r->n >= THROTTLE_MAX_ENTRIES)
		return err_set(e, "more than %d throttles registered", THROTTLE_MAX_ENTRIES);
	if (mem_grow((void **)&r->e, &r->cap, r->n + 1, sizeof *r->e, e) < 0)
		return err_prefix(e, "cannot register the throttle");
	r->e[r->n++] = *t;
	return 0;
}

bool
throttle_remove(struct throttle_reg *r, const char *scope, const char *domain, unsigned devid)
{
	struct throttle_entry *t = throttle_find(r, scope, domain, devid);

	if (t == NULL)
		return false;
	memmove(t, t + 1, (size_t)(r->e + r->n - (t + 1)) * sizeof *t);
	r->n--;
	return true;
}

int64_t
throttle_next_expiry(const struct throttle_reg *r, const char *scope)
{
	int64_t next = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].expires > 0 && strcmp(r->e[i].scope, scope) == 0
		    && (next == 0 || r->e[i].expires < next))
			next = r->e[i].expires;
	return next;
}

enum throttle_decision
throttle_decide(const struct throttle_entry *t, uint32_t domid, const struct sample_vif *v)
{
	if (t->persist && v->ifindex == 0)
		return THROTTLE_ABSENT;
	if (v->to_guest.rate_bps == t->to_guest_bps && v->from_guest.rate_bps == t->from_guest_bps)
		return THROTTLE_IN_EFFECT;
	if (domid != t->domid || v->ifindex != t->ifindex)
		return THROTTLE_REAPPLY;
	return THROTTLE_DRIFT;
}

/* ---- text ---- */

struct buf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (n > SIZE_MAX - b->n - 1
	    || mem_grow((void **)&b->p, &b->cap, b->n + n + 1, 1, NULL) < 0) {
		b->oom = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* " key=value" with value percent-encoded. */
static void
buf_field(struct buf *b, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";

	buf_str(b, " ");
	buf_str(b, key);
	buf_str(b, "=");
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%') {
			buf_add(b, (const char *)p, 1);
		} else {
			char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_add(b, esc, 3);
		}
	}
}

static void
buf_num(struct buf *b, const char *key, long long v)
{
	char n[32];

	snprintf(n, sizeof n, "%lld", v);
	buf_field(b, key, n);
}

static void
throttle_entry_text(struct buf *b, const struct throttle_entry *t)
{
	char n[32];

	buf_str(b, "vif");
	buf_field(b, "scope", t->scope);
	buf_field(b, "domain", t->domain);
	buf_num(b, "devid", t->devid);
	snprintf(n, sizeof n, "%" PRIu64, t->to_guest_bps);
	buf_field(b, "to", n);
	snprintf(n, sizeof n, "%" PRIu64, t->from_guest_bps);
	buf_field(b, "from", n);
	buf_num(b, "expires", t->expires);
	buf_num(b, "domid", t->domid);
	buf_num(b, "ifindex", t->ifindex);
	buf_field(b, "ifname", t->ifname);
	buf_field(b, "saved", t->saved);
	buf_str(b, "\n");
}

char *
throttle_reg_text(const struct throttle_reg *r)
{
	struct buf b = { 0 };

	buf_str(&b, throttle_header);
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].persist)
			throttle_entry_text(&b, &r->e[i]);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

/* Decodes %XX in place into dst (len bytes); false on a bad escape, a NUL or no room. */
static bool
throttle_decode(const char *src, char *dst, size_t len)
{
	size_t n = 0;

	for (const char *p = src; *p != '\0'; p++) {
		unsigned v;
		char c = *p;

		if (c == '%') {
			if (sscanf(p + 1, "%2x", &v) != 1 || strspn(p + 1, "0123456789abcdefABCDEF") < 2
			    || v == 0)
				return false;
			c = (char)v;
			p += 2;
		}
		if (n + 1 >= len)
			return false;
		dst[n++] = c;
	}
	dst[n] = '\0';
	return true;
}

static bool
throttle_num(const char *v, unsigned long long max, unsigned long long *out)
{
	return str_to_uint(v, 0, max, out);
}

enum {
	F_SCOPE = 1 << 0, F_DOMAIN = 1 << 1, F_DEVID = 1 << 2, F_TO = 1 << 3, F_FROM = 1 << 4,
	F_REQUIRED = F_SCOPE | F_DOMAIN | F_DEVID | F_TO | F_FROM,
};

/* One "key=value" of a line into t; returns its F_ bit, 0 for an optional key, -1 when bad. */
static int
throttle_field(struct throttle_entry *t, const char *key, const char *raw, char *why, size_t wlen)
{
	char v[HV_SHAPE_SAVED_MAX];
	unsigned long long n;

	if (!throttle_decode(raw, v, sizeof v)) {
		snprintf(why, wlen, "bad or too long value of %s", key);
		return -1;
	}
#define NUM(name, max, dst, bit) \
	if (strcmp(key, name) == 0) { \
		if (!throttle_num(v, max, &n)) { \
			snprintf(why, wlen, "%s must be a whole number up to %llu", name, \
			         (unsigned long long)(max)); \
			return -1; \
		} \
		dst = n; \
		return bit; \
	}
#define STR(name, dst, bit) \
	if (strcmp(key, name) == 0) { \
		if (strlen(v) >= sizeof dst || (bit == F_DOMAIN && v[0] == '\0')) { \
			snprintf(why, wlen, "%s is empty or too long", name); \
			return -1; \
		} \
		str_copy(dst, v, sizeof dst); \
		return bit; \
	}
	STR("scope", t->scope, F_SCOPE)
	STR("domain", t->domain, F_DOMAIN)
	NUM("devid", 65535, t->devid, F_DEVID)
	NUM("to", THROTTLE_RATE_MAX, t->to_guest_bps, F_TO)
	NUM("from", THROTTLE_RATE_MAX, t->from_guest_bps, F_FROM)
	NUM("expires", INT64_MAX, t->expires, 0)
	NUM("domid", UINT32_MAX, t->domid, 0)
	NUM("ifindex", INT32_MAX, t->ifindex, 0)
	STR("ifname", t->ifname, 0)
	STR("saved", t->saved, 0)
#undef NUM
#undef STR
	snprintf(why, wlen, "unknown key '%.32s'", key);
	return -1;
}

/* Parses one line; false with the reason in why. */
static bool
throttle_line(char *line, struct throttle_entry *t, char *why, size_t wlen)
{
	char *save = NULL, *tok = strtok_r(line, " \t", &save);
	int have = 0;

	memset(t, 0, sizeof *t);
	t->persist = true;
	if (tok == NULL || strcmp(tok, "vif") != 0) {
		snprintf(why, wlen, "not a 'vif key=value ...' line");
		return false;
	}
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		char *eq = strchr(tok, '=');
		int bit;

		if (eq == NULL) {
			snprintf(why, wlen, "'%.32s' is not key=value", tok);
			return false;
		}
		*eq = '\0';
		if ((bit = throttle_field(t, tok, eq + 1, why, wlen)) < 0)
			return false;
		if (bit & have) {
			snprintf(why, wlen, "%s given twice", tok);
			return false;
		}
		have |= bit;
	}
	if ((have & F_REQUIRED) != F_REQUIRED) {
		snprintf(why, wlen, "scope, domain, devid, to and from are required");
		return false;
	}
	if (t->to_guest_bps == 0 && t->from_guest_bps == 0) {
		snprintf(why, wlen, "a throttle of 0 both ways is no throttle");
		return false;
	}
	return true;
}

/* Drops the entries kept in the file; keeps the in-memory ones. */
static void
throttle_drop_persisted(struct throttle_reg *r)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		if (!r->e[i].persist)
			r->e[k++] = r->e[i];
	r->n = k;
}

void
throttle_reg_parse(struct throttle_reg *r, const char *text, const char *name)
{
	const char *p = text;
	unsigned lineno = 0;

	r->n_warnings = 0;
	throttle_drop_persisted(r);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[THROTTLE_LINE_MAX], why[160], clean[SAMPLE_NAME_MAX];
		struct throttle_entry t;
		struct err e;

		lineno++;
		if (n >= sizeof line) {
			throttle_warn(r, "%s:%u: line longer than %zu bytes, skipped", name, lineno,
			              sizeof line - 1);
		} else {
			memcpy(line, p, n);
			line[n] = '\0';
			if (n > 0 && line[n - 1] == '\r')
				line[n - 1] = '\0';
			str_trim(line);
			if (line[0] == '\0' || line[0] == '#') {
				/* a comment */
			} else if (!throttle_line(line, &t, why, sizeof why)) {
				throttle_warn(r, "%s:%u: %s; line skipped", name, lineno, why);
			} else if (throttle_find(r, t.scope, t.domain, t.devid) != NULL) {
				str_sanitize(clean, sizeof clean, t.domain);
				throttle_warn(r, "%s:%u: a second line for %s vif %u; skipped", name, lineno,
				              clean, t.devid);
			} else if (throttle_put(r, &t, &e) < 0) {
				throttle_warn(r, "%s:%u: %s", name, lineno, e.msg);
			}
		}
		p += n + (nl ? 1 : 0);
	}
}

/* ---- the file ---- */

static bool
throttle_same_file(const struct throttle_reg *r, const struct stat *st)
{
	return r->seen && r->dev == st->st_dev && r->ino == st->st_ino && r->size == st->st_size
	       && r->mtime.tv_sec == st->st_mtim.tv_sec && r->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static void
throttle_remember(struct throttle_reg *r, const struct stat *st)
{
	r->seen = true;
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->size = st->st_size;
	r->mtime = st->st_mtim;
}

/* Reads an open file whole; NULL with e set on failure. */
static char *
throttle_slurp(int fd, const char *path, size_t size, struct err *e)
{
	char *text = malloc(size + 1);
	size_t got = 0;

	if (text == NULL) {
		err_set(e, "out of memory reading %s", path);
		return NULL;
	}
	while (got < size) {
		ssize_t k = read(fd, text + got, size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	text[got] = '\0';
	if (memchr(text, '\0', got) != NULL) {
		free(text);
		err_set(e, "%s holds NUL bytes: not a throttle state file (move it away)", path);
		return NULL;
	}
	return text;
}

int
throttle_reg_load(struct throttle_reg *r, struct err *e)
{
	struct stat st;
	char *text;
	int fd;

	if (r->path[0] == '\0')
		return 0;
	fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return err_set(e, "cannot read the throttle state %s: %s", r->path, strerror(errno));
		if (r->seen || r->n > 0) {
			throttle_drop_persisted(r);
			r->n_warnings = 0;
		}
		r->seen = false;
		return 0;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > THROTTLE_FILE_MAX) {
		close(fd);
		return err_set(e, "%s is not a regular file of at most %u MiB", r->path,
		               THROTTLE_FILE_MAX >> 20);
	}
	if (throttle_same_file(r, &st)) {
		close(fd);
		return 0;
	}
	text = throttle_slurp(fd, r->path, (size_t)st.st_size, e);
	close(fd);
	if (text == NULL)
		return -1;
	throttle_reg_parse(r, text, r->path);
	free(text);
	throttle_remember(r, &st);
	return 1;
}

static int
throttle_mkdirs(const char *path, struct err *e)
{
	char dir[THROTTLE_PATH_MAX];

	str_copy(dir, path, sizeof dir);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			return err_set(e, "cannot create %s for the throttle state: %s "
			               "(set [throttle] state in domtop.conf)", dir, strerror(errno));
		*p = '/';
	}
	return 0;
}

int
throttle_reg_begin(struct throttle_reg *r, struct err *e)
{
	char lock[THROTTLE_PATH_MAX + 8];

	if (r->path[0] == '\0')
		return 0;
	throttle_reg_abort(r);
	if (throttle_mkdirs(r->path, e) < 0)
		return -1;
	snprintf(lock, sizeof lock, "%s.lock", r->path);
	r->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (r->lock_fd < 0)
		return err_set(e, "cannot open %s: %s", lock, strerror(errno));
	while (flock(r->lock_fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_set(e, "cannot lock %s: %s", lock, strerror(errno));
			throttle_reg_abort(r);
			return -1;
		}
	}
	if (throttle_reg_load(r, e) < 0) {
		throttle_reg_abort(r);
		return -1;
	}
	return 0;
}

void
throttle_reg_abort(struct throttle_reg *r)
{
	if (r->lock_fd >= 0)
		close(r->lock_fd);      /* releases the flock */
	r->lock_fd = -1;
}

static int
throttle_write_all(int fd, const char *text, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, text, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		text += k;
		n -= (size_t)k;
	}
	return 0;
}

static void
throttle_sync_dir(const char *path)
{
	char dir[THROTTLE_PATH_MAX], *slash;
	int fd;

	str_copy(dir, path, sizeof dir);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* temp file, fsync, rename, fsync of the directory */
static int
throttle_write(struct throttle_reg *r, struct err *e)
{
	char tmp[THROTTLE_PATH_MAX + 32], *text = throttle_reg_text(r);
	struct stat st;
	int fd;

	if (text == NULL)
		return err_set(e, "out of memory writing the throttle state");
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", r->path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0) {
		free(text);
		return err_set(e, "cannot write %s: %s", tmp, strerror(errno));
	}
	if (throttle_write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		err_set(e, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		free(text);
		return -1;
	}
	free(text);
	close(fd);
	if (rename(tmp, r->path) < 0) {
		err_set(e, "cannot rename %s to %s: %s", tmp, r->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	throttle_sync_dir(r->path);
	if (stat(r->path, &st) == 0)
		throttle_remember(r, &st);
	return 0;
}

int
throttle_reg_commit(struct throttle_reg *r, struct err *e)
{
	int rc = 0;

	if (r->path[0] == '\0')
		return 0;
	if (r->lock_fd < 0)
		return err_set(e, "internal: throttle state written without its lock");
	rc = throttle_write(r, e);
	throttle_reg_abort(r);
	return rc;
}

/* ---- durations and times ---- */

int
throttle_parse_duration(const char *text, int64_t *seconds, struct err *e)
{
	const char *p = text;
	int64_t total = 0;
	int parts = 0;

	while (*p != '\0') {
		unsigned long long n = 0;
		int64_t unit;
		int digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 9) {
			n = n * 10 + (unsigned long long)(*p++ - '0');
			digits++;
		}
		switch (*p) {
		case 's': unit = 1; break;
		case 'm': unit = 60; break;
		case 'h': unit = 3600; break;
		case 'd': unit = 86400; break;
		default: unit = 0; break;
		}
		if (digits == 0 || unit == 0)
			return err_set(e, "a duration is a number and a unit (s, m, h, d), e.g. 30m, 2h, "
			               "1d, 1h30m; not '%.40s'", text);
		p++;
		total += (int64_t)n * unit;
		parts++;
		if (total > THROTTLE_DURATION_MAX)
			break;
	}
	if (parts == 0 || total < 1 || total > THROTTLE_DURATION_MAX)
		return err_set(e, "a duration must be from 1s to 366d, not '%.40s'", text);
	*seconds = total;
	return 0;
}

void
throttle_format_duration(int64_t s, char *buf, size_t len)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};

	if (s < 0)
		s = 0;
	for (size_t i = 0; i < 4; i++) {
		if (s >= units[i].secs || i == 3) {
			int64_t a = s / units[i].secs, rest = s % units[i].secs;

			if (i < 3 && rest / units[i + 1].secs > 0)
				snprintf(buf, len, "%" PRId64 "%c%" PRId64 "%c", a, units[i].unit,
				         rest / units[i + 1].secs, units[i + 1].unit);
			else
				snprintf(buf, len, "%" PRId64 "%c", a, units[i].unit);
			return;
		}
	}
}

void
throttle_format_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, len, "%" PRId64, t);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- rates ---- */

int
throttle_parse_rate(const char *text, uint64_t *bps, struct err *e)
{
	return rate_parse(text, THROTTLE_RATE_MIN, THROTTLE_RATE_MAX, bps, e);
}

