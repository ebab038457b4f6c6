/*
 * scenario.c: the strict parser of scenario files (format: scenarios/FORMAT.md).
 *
 * The text is read line by line; each line is split into tokens (quotes keep
 * spaces, '#' starts a comment), its first token is the keyword and the rest
 * are "key=value" pairs checked against the keyword's list of keys. Every
 * check fails with "source:line: reason" and the half-built scenario is
 * freed. Input is treated as hostile: line length, token count, number
 * length, every range and every count are bounded.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpulist.h"
#include "backend/mem.h"
#include "backend/scenario.h"
#include "backend/sim_rng.h"
#include "backend/str.h"

#define SCN_MAX_TOKENS  64
#define SCN_MAX_DIGITS  15     /* significant digits in a number: exact in a double */
#define SCN_BUCKETS     4096   /* name hash table */
#define SCN_NONE        ((size_t)-1)

/* One token of a line; strings point into the parser's token buffer. */
struct scn_tok {
	char *text;                     /* whole token, or the key of key=value */
	char *val;                      /* value of key=value, else NULL */
	bool quoted;                    /* some of it was quoted */
};

struct scn_parser {
	struct scenario *s;
	const char *source;
	unsigned line;
	struct err *e;
	struct sim_rng rng;             /* for generate */
	bool have_host;
	bool in_events;                 /* an 'at' line was seen */
	uint64_t last_at_ns;
	size_t attach;                  /* domain that vif/vbd lines attach to, or SCN_NONE */
	uint32_t next_domid;
	uint64_t mem_used_kb;           /* by the domains alive at the current time */
	size_t total_vcpus;
	bool *alive;                    /* per domain, at the current time */
	size_t *next;                   /* per domain: next in its label's hash chain */
	size_t *name_next;              /* per domain: next in its name's hash chain */
	size_t cap_alive, cap_next, cap_name_next;
	size_t head[SCN_BUCKETS];       /* by label */
	size_t name_head[SCN_BUCKETS];  /* by name (differs from the label with name_hex=) */
	uint8_t ids[(SCN_MAX_DOMID + 8) / 8];   /* domids alive */
	char tokbuf[SCN_MAX_LINE + 1];
	struct scn_tok tok[SCN_MAX_TOKENS];
	size_t ntok;
};

/* ---- messages ---- */

static int __attribute__((format(printf, 2, 3)))
scn_fail(struct scn_parser *p, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return err_set(p->e, "%s:%u: %s", p->source, p->line, msg);
}

/* A token made safe and short for a message (never cut inside a character). */
static const char *
scn_show(const char *s, char buf[48])
{
	str_sanitize(buf, 41, s);
	if (strlen(s) > 40)
		strcat(buf, "...");
	return buf;
}

/* ---- tokens ---- */

static bool
scn_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Splits line (NUL-terminated, no newline) into p->tok. Quotes ("...") keep
 * blanks, '#' and '=' literal; \" and \\ escape inside quotes. A token is
 * key=value when it starts with an unquoted key followed by '='.
 */
static int
scn_tokenize(struct scn_parser *p, const char *line)
{
	const unsigned char *c = (const unsigned char *)line;
	char *o = p->tokbuf;

	p->ntok = 0;
	for (;;) {
		struct scn_tok *t;
		bool quote = false, any_quote = false;

		while (scn_is_blank((char)*c))
			c++;
		if (*c == '\0' || *c == '#')
			return 0;
		if (p->ntok == SCN_MAX_TOKENS)
			return scn_fail(p, "too many fields (at most %d)", SCN_MAX_TOKENS);
		t = &p->tok[p->ntok++];
		t->text = o;
		t->val = NULL;
		for (; *c != '\0'; c++) {
			if (!quote && (scn_is_blank((char)*c) || *c == '#'))
				break;
			if (*c < 0x20 || *c == 0x7f)
				return scn_fail(p, "control character 0x%02x (not allowed anywhere, "
				                "not even in quotes)", *c);
			if (*c == '"') {
				quote = !quote;
				any_quote = true;
				continue;
			}
			if (quote && *c == '\\' && (c[1] == '"' || c[1] == '\\')) {
				*o++ = (char)*++c;
				continue;
			}
			if (!quote && !any_quote && *c == '=' && t->val == NULL) {
				*o++ = '\0';
				t->val = o;
				continue;
			}
			*o++ = (char)*c;
		}
		if (quote)
			return scn_fail(p, "unterminated quote");
		*o++ = '\0';
		t->quoted = any_quote;
	}
}

/*
 * Collects the key=value tokens from index `from` on. known[] is a
 * NULL-terminated list of keys; vals[i] receives the value of known[i] or
 * NULL. Unknown, repeated and empty keys fail.
 */
static int
scn_keys(struct scn_parser *p, size_t from, const char *what,
         const char *const known[], const char *vals[])
{
	char b[48], list[256];
	size_t nk = 0;

	while (known[nk] != NULL)
		vals[nk++] = NULL;
	for (size_t i = from; i < p->ntok; i++) {
		struct scn_tok *t = &p->tok[i];
		size_t k;

		if (t->val == NULL)
			return scn_fail(p, "'%s': expected key=value on this %s line",
			                scn_show(t->text, b), what);
		for (k = 0; k < nk && strcmp(known[k], t->text) != 0; k++)
			;
		if (k == nk) {
			list[0] = '\0';
			for (size_t j = 0; j < nk; j++) {
				strncat(list, known[j], sizeof list - strlen(list) - 1);
				if (j + 1 < nk)
					strncat(list, " ", sizeof list - strlen(list) - 1);
			}
			return scn_fail(p, "unknown key '%s' on this %s line (known: %s)",
			                scn_show(t->text, b), what, list);
		}
		if (vals[k] != NULL)
			return scn_fail(p, "%s= given twice", known[k]);
		if (t->val[0] == '\0')
			return scn_fail(p, "%s= needs a value", known[k]);
		vals[k] = t->val;
	}
	return 0;
}

/* ---- numbers ---- */

enum scn_unit {
	SCN_U_NONE,                     /* a plain number */
	SCN_U_SIZE,                     /* K, M, G, T (binary, either case); result in bytes */
	SCN_U_SIZE_REQ,                 /* same, and the unit is required */
	SCN_U_RATE,                     /* bit kbit mbit gbit (decimal); bits/s */
	SCN_U_PCT,                      /* N%; result is a fraction */
};                                      /* with any unit, a plain 0 needs none */

struct scn_num {
	enum scn_unit unit;
	bool whole;                     /* must be a whole number (after the unit) */
	double min, max;                /* in the result's unit */
	const char *range;              /* the range as the operator writes it */
};

/*
 * A decimal number "123" or "1.25": returns the end, or NULL when malformed
 * or (*too_long) longer than SCN_MAX_DIGITS significant digits.
 */
static const char *
scn_decimal(const char *s, double *out, bool *too_long)
{
	double v = 0, scale = 1;
	int digits = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (digits > 0 || *s != '0')
			digits++;
		v = v * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return NULL;
		for (; *s >= '0' && *s <= '9'; s++) {
			digits++;
			scale *= 10;
			v = v * 10 + (*s - '0');
		}
	}
	*too_long = digits > SCN_MAX_DIGITS;
	if (*too_long)
		return NULL;
	*out = v / scale;
	return s;
}

static bool
scn_unit_factor(enum scn_unit u, const char *sfx, double *f)
{
	static const struct { const char *s; double f; } sizes[] = {
		{"k", 1024.0}, {"m", 1048576.0}, {"g", 1073741824.0}, {"t", 1099511627776.0},
	}, rates[] = {
		{"bit", 1}, {"kbit", 1e3}, {"mbit", 1e6}, {"gbit", 1e9},
	};

	*f = 1;
	switch (u) {
	case SCN_U_NONE:
		return *sfx == '\0';
	case SCN_U_PCT:
		*f = 0.01;
		return strcmp(sfx, "%") == 0;
	case SCN_U_SIZE:
		if (*sfx == '\0')
			return true;
		/* fall through */
	case SCN_U_SIZE_REQ:
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
			if (strcasecmp(sfx, sizes[i].s) == 0)
				return *f = sizes[i].f, true;
		return false;
	case SCN_U_RATE:
		for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
			if (strcasecmp(sfx, rates[i].s) == 0)
				return *f = rates[i].f, true;
		return false;
	}
	return false;
}

static const char *
scn_unit_hint(enum scn_unit u)
{
	switch (u) {
	case SCN_U_NONE:     return "a plain number";
	case SCN_U_PCT:      return "a percentage such as 20%";
	case SCN_U_SIZE:     return "bytes, or a size such as 16K (units K M G T)";
	case SCN_U_SIZE_REQ: return "a size such as 512M (units K M G T)";
	case SCN_U_RATE:     return "a rate such as 20mbit (units bit kbit mbit gbit)";
	}
	return "a number";
}

static int
scn_number(struct scn_parser *p, const char *key, const char *text,
           const struct scn_num *n, double *out)
{
	const char *end;
	double v = 0, f;
	bool too_long = false;
	char b[48];

	end = scn_decimal(text, &v, &too_long);
	if (too_long)
		return scn_fail(p, "%s=%s: a number has at most %d digits", key, scn_show(text, b),
		                SCN_MAX_DIGITS);
	if (end == NULL || !scn_unit_factor(n->unit, end, &f)) {
		if (end != NULL && v == 0 && *end == '\0')
			f = 1;          /* plain 0 needs no unit */
		else
			return scn_fail(p, "%s=%s: expected %s, from %s", key, scn_show(text, b),
			                scn_unit_hint(n->unit), n->range);
	}
	v *= f;
	if (n->whole && v != floor(v))
		return scn_fail(p, "%s=%s: expected a whole number, from %s", key,
		                scn_show(text, b), n->range);
	if (v < n->min || v > n->max)
		return scn_fail(p, "%s=%s is out of range (%s)", key, scn_show(text, b), n->range);
	*out = v;
	return 0;
}

/* An optional whole-number key: when text is given, its value (as n says) into *out. */
static int
scn_uint(struct scn_parser *p, const char *key, const char *text, const struct scn_num *n,
         unsigned *out)
{
	double x;

	if (text == NULL)
		return 0;
	if (scn_number(p, key, text, n, &x) < 0)
		return -1;
	*out = (unsigned)x;
	return 0;
}

/* "LO-HI" or a single value (LO = HI), each end a number as n says. */
static int
scn_range(struct scn_parser *p, const char *key, const char *text,
          const struct scn_num *n, double *lo, double *hi)
{
	char a[SCN_MAX_LINE + 1], b[48];
	const char *dash = strchr(text, '-');

	if (dash == NULL) {
		if (scn_number(p, key, text, n, lo) < 0)
			return -1;
		*hi = *lo;
		return 0;
	}
	memcpy(a, text, (size_t)(dash - text));
	a[dash - text] = '\0';
	if (scn_number(p, key, a, n, lo) < 0 || scn_number(p, key, dash + 1, n, hi) < 0)
		return -1;
	if (*lo > *hi)
		return scn_fail(p, "%s=%s: the range runs backwards", key, scn_show(text, b));
	return 0;
}

static const struct scn_num scn_n_pcpus   = {SCN_U_NONE, true, 1, SAMPLE_MAX_PCPUS, "1 to 1024"};
static const struct scn_num scn_n_hostmem = {SCN_U_SIZE_REQ, false, 64.0 * 1048576, 256.0 * 1099511627776.0, "64M to 256T"};
static const struct scn_num scn_n_nic     = {SCN_U_RATE, false, 1e6, 1e12, "1mbit to 1000gbit"};
static const struct scn_num scn_n_diops   = {SCN_U_NONE, false, 1, 1e8, "1 to 100000000"};
static const struct scn_num scn_n_mhz     = {SCN_U_NONE, true, 100, 100000, "100 to 100000"};
static const struct scn_num scn_n_domid   = {SCN_U_NONE, true, 0, SCN_MAX_DOMID, "0 to 32751"};
static const struct scn_num scn_n_vcpus   = {SCN_U_NONE, true, 1, SCN_MAX_VCPUS, "1 to 512"};
static const struct scn_num scn_n_mem     = {SCN_U_SIZE_REQ, false, 16.0 * 1048576, 16.0 * 1099511627776.0, "16M to 16T"};
static const struct scn_num scn_n_weight  = {SCN_U_NONE, true, 1, 65535, "1 to 65535"};
static const struct scn_num scn_n_cap     = {SCN_U_NONE, true, 0, 100.0 * SCN_MAX_VCPUS, "0 to 100 x vcpus"};
static const struct scn_num scn_n_cpu     = {SCN_U_NONE, false, 0, SCN_MAX_VCPUS, "0 to vcpus, in pCPUs"};
static const struct scn_num scn_n_pct     = {SCN_U_PCT, false, 0, 1, "0% to 100%"};
static const struct scn_num scn_n_rate    = {SCN_U_RATE, false, 0, 1e12, "0 to 1000gbit"};
static const struct scn_num scn_n_pkt     = {SCN_U_NONE, true, 64, 65535, "64 to 65535 bytes"};
static const struct scn_num scn_n_iops    = {SCN_U_NONE, false, 0, 1e8, "0 to 100000000"};
static const struct scn_num scn_n_reqsize = {SCN_U_SIZE, true, 512, 4.0 * 1048576, "512 to 4M bytes"};
static const struct scn_num scn_n_count   = {SCN_U_NONE, true, 1, SCN_MAX_DOMAINS, "1 to 20000"};
static const struct scn_num scn_n_time    = {SCN_U_NONE, false, 0, SCN_MAX_TIME_S, "0 to 10000000 seconds"};

/* ---- names ---- */

static int
scn_check_name(struct scn_parser *p, const char *what, const char *name)
{
	char clean[SCN_MAX_LINE + 1], b[48];
	size_t i;

	if (name[0] == '\0')
		return scn_fail(p, "%s name is empty", what);
	if (strlen(name) >= SAMPLE_NAME_MAX)
		return scn_fail(p, "%s name '%s' is too long (at most %d bytes)", what,
		                scn_show(name, b), SAMPLE_NAME_MAX - 1);
	if (!str_sanitize(clean, sizeof clean, name))
		return scn_fail(p, "%s name '%s' has invalid UTF-8 or a control, bidi or "
		                "separator character", what, clean);
	for (i = 0; name[i] >= '0' && name[i] <= '9'; i++)
		;
	if (name[i] == '\0')
		return scn_fail(p, "%s name '%s' is only digits: it would read as a domain id",
		                what, name);
	return 0;
}

static int
scn_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* c itself when it is printable ASCII, else '?' (for a message). */
static char
scn_printable(char c)
{
	return c > 0x20 && c < 0x7f ? c : '?';
}

static unsigned
scn_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % SCN_BUCKETS;
}

/* The domain alive now under this label (the scenario's NAME), or SCN_NONE. */
static size_t
scn_lookup(struct scn_parser *p, const char *name)
{
	for (size_t i = p->head[scn_hash(name)]; i != SCN_NONE; i = p->next[i])
		if (p->alive[i] && strcmp(p->s->domains[i].label, name) == 0)
			return i;
	return SCN_NONE;
}

static bool
scn_id_used(const struct scn_parser *p, uint32_t id)
{
	return p->ids[id / 8] & (1u << (id % 8));
}

static void
scn_id_mark(struct scn_parser *p, uint32_t id, bool used)
{
	if (used)
		p->ids[id / 8] |= (uint8_t)(1u << (id % 8));
	else
		p->ids[id / 8] &= (uint8_t)~(1u << (id % 8));
}

/* Whether another domain alive now reports the same name as d (Xen keeps names unique). */
static bool
scn_name_used(const struct scn_parser *p, const struct scn_domain *d)
{
	for (size_t i = p->name_head[scn_hash(d->name)]; i != SCN_NONE; i = p->name_next[i])
		if (p->alive[i] && &p->s->domains[i] != d && strcmp(p->s->domains[i].name, d->name) == 0)
			return true;
	return false;
}

/*
 * name_hex=HEX: a domain name as raw bytes, two hex digits a byte, any byte
 * but NUL, 1 to SAMPLE_NAME_MAX-1 bytes. Nothing else checks these bytes: it
 * is how a scenario gives the host the hostile names real Xen allows.
 */
static int
scn_name_hex(struct scn_parser *p, const char *hex, char out[SAMPLE_NAME_MAX])
{
	size_t n = strlen(hex), i;

	if (n % 2 != 0)
		return scn_fail(p, "name_hex= has an odd number of hex digits (%zu): "
		                "two digits a byte", n);
	if (n / 2 > SAMPLE_NAME_MAX - 1)
		return scn_fail(p, "name_hex= is too long: %zu bytes (at most %d)", n / 2,
		                SAMPLE_NAME_MAX - 1);
	for (i = 0; i < n; i += 2) {
		int hi = scn_hexval(hex[i]), lo = scn_hexval(hex[i + 1]);

		if (hi < 0 || lo < 0)
			return scn_fail(p, "name_hex=: '%c%c' at offset %zu is not a hex byte "
			                "(digits 0-9 a-f)", scn_printable(hex[i]),
			                scn_printable(hex[i + 1]), i);
		if (hi == 0 && lo == 0)
			return scn_fail(p, "name_hex=: byte %zu is 00 (a name cannot hold NUL)", i / 2);
		out[i / 2] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	return 0;
}

/* ---- storage ---- */

/* Room for item n (one past the last) in the array *arr of *cap items. */
static int
scn_grow(struct scn_parser *p, void **arr, size_t *cap, size_t n, size_t elem)
{
	struct err e;

	if (mem_grow(arr, cap, n + 1, elem, &e) < 0)
		return scn_fail(p, "%s", e.msg);
	return 0;
}

/*
 * A zeroed item after the n of domain d's array *arr of devices (at most
 * max, exactly as many as there are: a domain has few); NULL when failed.
 */
static void *
scn_push(struct scn_parser *p, const struct scn_domain *d, void **arr, size_t n, size_t max,
         size_t elem, const char *what)
{
	char *a;

	if (n == max) {
		scn_fail(p, "domain '%s' has %zu %ss already (the most allowed)", d->label, max, what);
		return NULL;
	}
	a = realloc(*arr, (n + 1) * elem);
	if (a == NULL) {
		scn_fail(p, "out of memory");
		return NULL;
	}
	*arr = a;
	memset(a + n * elem, 0, elem);
	return a + n * elem;
}

static struct scn_domain *
scn_new_domain(struct scn_parser *p, const char *name)
{
	struct scenario *s = p->s;
	struct scn_domain *d;

	if (s->n_domains == SCN_MAX_DOMAINS) {
		scn_fail(p, "too many domains (at most %d over the whole scenario)", SCN_MAX_DOMAINS);
		return NULL;
	}
	if (scn_grow(p, (void **)&s->domains, &s->cap_domains, s->n_domains, sizeof *s->domains) < 0
	    || scn_grow(p, (void **)&p->alive, &p->cap_alive, s->n_domains, sizeof *p->alive) < 0
	    || scn_grow(p, (void **)&p->next, &p->cap_next, s->n_domains, sizeof *p->next) < 0
	    || scn_grow(p, (void **)&p->name_next, &p->cap_name_next, s->n_domains,
	                sizeof *p->name_next) < 0)
		return NULL;
	d = &s->domains[s->n_domains];
	memset(d, 0, sizeof *d);
	str_copy(d->name, name, sizeof d->name);
	str_copy(d->label, name, sizeof d->label);
	d->vcpus = 1;
	d->weight = 256;
	d->line = p->line;
	p->alive[s->n_domains] = false;
	p->next[s->n_domains] = SCN_NONE;
	p->name_next[s->n_domains] = SCN_NONE;
	s->n_domains++;
	return d;
}

/* Makes the newest domain alive: checks its id, memory and vcpus against the host. */
static int
scn_bring_up(struct scn_parser *p, struct scn_domain *d, bool explicit_id)
{
	size_t i = (size_t)(d - p->s->domains);
	unsigned h;

	if (scn_lookup(p, d->label) != SCN_NONE)
		return scn_fail(p, "a domain named '%s' already exists", d->label);
	if (scn_name_used(p, d))
		return scn_fail(p, "domain '%s': another domain alive then has the same name "
		                "(name_hex= gives a name too)", d->label);
	if (explicit_id) {
		if (scn_id_used(p, d->domid))
			return scn_fail(p, "domain id %u is already in use", (unsigned)d->domid);
	} else {
		while (p->next_domid <= SCN_MAX_DOMID && scn_id_used(p, p->next_domid))
			p->next_domid++;
		if (p->next_domid > SCN_MAX_DOMID)
			return scn_fail(p, "no domain id left (ids go up to %d)", SCN_MAX_DOMID);
		d->domid = p->next_domid;
	}
	if (d->mem_kb > p->s->host.mem_kb - p->mem_used_kb)
		return scn_fail(p, "domain '%s' needs %llu MiB but only %llu MiB of the host's "
		                "memory are free", d->label, (unsigned long long)d->mem_kb / 1024,
		                (unsigned long long)(p->s->host.mem_kb - p->mem_used_kb) / 1024);
	if (p->total_vcpus + d->vcpus > SCN_MAX_TOTAL_VCPUS)
		return scn_fail(p, "too many vcpus over the whole scenario (at most %d)",
		                SCN_MAX_TOTAL_VCPUS);
	if (d->domid >= p->next_domid)
		p->next_domid = d->domid + 1;
	scn_id_mark(p, d->domid, true);
	p->mem_used_kb += d->mem_kb;
	p->total_vcpus += d->vcpus;
	h = scn_hash(d->label);
	p->next[i] = p->head[h];
	p->head[h] = i;
	h = scn_hash(d->name);
	p->name_next[i] = p->name_head[h];
	p->name_head[h] = i;
	p->alive[i] = true;
	return 0;
}

/* ---- host ---- */

static int
scn_host(struct scn_parser *p)
{
	static const char *const keys[] = {
		"name", "pcpus", "mem", "sched", "nic", "disk_iops", "disk_sched", "mhz", NULL
	};
	enum { K_NAME, K_PCPUS, K_MEM, K_SCHED, K_NIC, K_DIOPS, K_DSCHED, K_MHZ };
	struct scn_host *h = &p->s->host;
	const char *v[8];
	double x;
	char b[48];

	if (p->have_host)
		return scn_fail(p, "a second host line (there is one host per scenario)");
	if (scn_keys(p, 1, "host", keys, v) < 0)
		return -1;
	if (v[K_PCPUS] == NULL || v[K_MEM] == NULL)
		return scn_fail(p, "the host line needs pcpus= and mem= (e.g. host pcpus=8 mem=64G)");
	str_copy(h->name, "demo", sizeof h->name);
	str_copy(h->sched, "credit2", sizeof h->sched);
	h->nic_bps = 1e9;
	h->disk_iops = 10000;
	h->disk_sched = SCN_DISK_MQ_DEADLINE;
	h->mhz = 2400;
	if (v[K_NAME] != NULL) {
		if (scn_check_name(p, "host", v[K_NAME]) < 0)
			return -1;
		str_copy(h->name, v[K_NAME], sizeof h->name);
	}
	if (scn_number(p, "pcpus", v[K_PCPUS], &scn_n_pcpus, &x) < 0)
		return -1;
	h->pcpus = (unsigned)x;
	if (scn_number(p, "mem", v[K_MEM], &scn_n_hostmem, &x) < 0)
		return -1;
	h->mem_kb = (uint64_t)(x / 1024);
	if (v[K_SCHED] != NULL) {
		if (strcmp(v[K_SCHED], "credit") != 0 && strcmp(v[K_SCHED], "credit2") != 0)
			return scn_fail(p, "sched=%s: expected credit or credit2", scn_show(v[K_SCHED], b));
		str_copy(h->sched, v[K_SCHED], sizeof h->sched);
	}
	if (v[K_NIC] != NULL && scn_number(p, "nic", v[K_NIC], &scn_n_nic, &h->nic_bps) < 0)
		return -1;
	if (v[K_DIOPS] != NULL &&
	    scn_number(p, "disk_iops", v[K_DIOPS], &scn_n_diops, &h->disk_iops) < 0)
		return -1;
	if (v[K_DSCHED] != NULL) {
		if (strcmp(v[K_DSCHED], "bfq") == 0)
			h->disk_sched = SCN_DISK_BFQ;
		else if (strcmp(v[K_DSCHED], "mq-deadline") == 0)
			h->disk_sched = SCN_DISK_MQ_DEADLINE;
		else if (strcmp(v[K_DSCHED], "none") == 0)
			h->disk_sched = SCN_DISK_NONE;
		else
			return scn_fail(p, "disk_sched=%s: expected bfq, mq-deadline or none",
			                scn_show(v[K_DSCHED], b));
	}
	if (scn_uint(p, "mhz", v[K_MHZ], &scn_n_mhz, &h->mhz) < 0)
		return -1;
	p->have_host = true;
	return 0;
}

/* ---- domain ---- */

static const char *const scn_domain_keys[] = {
	"id", "vcpus", "mem", "maxmem", "weight", "cap", "cpu", "jitter", "state", "pin",
	"name_hex", NULL
};
enum { K_ID, K_VCPUS, K_MEM, K_MAXMEM, K_WEIGHT, K_CAP, K_CPU, K_JITTER, K_STATE, K_PIN,
       K_NAME_HEX, K_NDOM };

/* Fills d from the domain keys in v; *explicit_id says whether id= was given. */
static int
scn_domain_fields(struct scn_parser *p, struct scn_domain *d, const char *v[], bool *explicit_id)
{
	struct err pe;
	double x;
	char b[48];

	if (v[K_MEM] == NULL)
		return scn_fail(p, "domain '%s' needs mem= (e.g. mem=1G)", d->label);
	*explicit_id = v[K_ID] != NULL;
	if (scn_uint(p, "id", v[K_ID], &scn_n_domid, &d->domid) < 0
	    || scn_uint(p, "vcpus", v[K_VCPUS], &scn_n_vcpus, &d->vcpus) < 0)
		return -1;
	if (scn_number(p, "mem", v[K_MEM], &scn_n_mem, &x) < 0)
		return -1;
	d->mem_kb = d->maxmem_kb = (uint64_t)(x / 1024);
	if (v[K_MAXMEM] != NULL) {
		if (scn_number(p, "maxmem", v[K_MAXMEM], &scn_n_mem, &x) < 0)
			return -1;
		d->maxmem_kb = (uint64_t)(x / 1024);
		if (d->maxmem_kb < d->mem_kb)
			return scn_fail(p, "maxmem=%s is less than mem=%s", scn_show(v[K_MAXMEM], b),
			                v[K_MEM]);
	}
	if (scn_uint(p, "weight", v[K_WEIGHT], &scn_n_weight, &d->weight) < 0)
		return -1;
	if (v[K_CAP] != NULL) {
		if (scn_number(p, "cap", v[K_CAP], &scn_n_cap, &x) < 0)
			return -1;
		if (x > 100.0 * d->vcpus)
			return scn_fail(p, "cap=%s is more than 100 x vcpus (%u)", v[K_CAP],
			                100 * d->vcpus);
		d->cap = (unsigned)x;
	}
	if (v[K_CPU] != NULL) {
		if (scn_number(p, "cpu", v[K_CPU], &scn_n_cpu, &d->cpu) < 0)
			return -1;
		if (d->cpu > d->vcpus)
			return scn_fail(p, "cpu=%s is more than the domain's %u vcpus can use",
			                v[K_CPU], d->vcpus);
	}
	if (v[K_JITTER] != NULL && scn_number(p, "jitter", v[K_JITTER], &scn_n_pct, &d->jitter) < 0)
		return -1;
	if (v[K_STATE] != NULL) {
		if (strcmp(v[K_STATE], "paused") == 0)
			d->paused = true;
		else if (strcmp(v[K_STATE], "running") != 0)
			return scn_fail(p, "state=%s: expected running or paused",
			                scn_show(v[K_STATE], b));
		if (d->paused && *explicit_id && d->domid == 0)
			return scn_fail(p, "domain 0 cannot be paused (Xen refuses to pause dom0)");
	}
	if (v[K_PIN] != NULL) {
		if (cpulist_parse(v[K_PIN], p->s->host.pcpus, &d->pin, &pe) < 0) {
			str_sanitize(pe.msg, sizeof pe.msg, pe.msg);
			return scn_fail(p, "pin=: %s", pe.msg);
		}
		if (cpuset_count(&d->pin) == 0)
			return scn_fail(p, "pin=%s names no pCPU", scn_show(v[K_PIN], b));
		d->pinned = true;
	}
	return 0;
}

/* "domain NAME key=value..." (at_start) or "at T create NAME key=value..." (from = index of NAME). */
static int
scn_domain_def(struct scn_parser *p, size_t from, bool at_start, size_t *index)
{
	const char *v[K_NDOM];
	struct scn_domain *d;
	bool explicit_id = false;

	if (from >= p->ntok || p->tok[from].val != NULL)
		return scn_fail(p, "expected a domain name first: %s NAME key=value ...",
		                at_start ? "domain" : "at TIME create");
	if (scn_check_name(p, "domain", p->tok[from].text) < 0)
		return -1;
	if (scn_keys(p, from + 1, "domain", scn_domain_keys, v) < 0)
		return -1;
	d = scn_new_domain(p, p->tok[from].text);
	if (d == NULL)
		return -1;
	d->at_start = at_start;
	if (v[K_NAME_HEX] != NULL) {
		if (scn_name_hex(p, v[K_NAME_HEX], d->name) < 0)
			return -1;
		d->raw_name = true;
	}
	if (scn_domain_fields(p, d, v, &explicit_id) < 0 || scn_bring_up(p, d, explicit_id) < 0)
		return -1;
	if (!d->pinned)
		cpuset_fill(&d->pin, p->s->host.pcpus);
	*index = (size_t)(d - p->s->domains);
	return 0;
}

static int
scn_domain(struct scn_parser *p)
{
	size_t i;

	if (p->in_events)
		return scn_fail(p, "domain lines come before the first 'at' line "
		                "(use 'at TIME create NAME ...' to add one later)");
	if (scn_domain_def(p, 1, true, &i) < 0)
		return -1;
	p->attach = i;
	return 0;
}

/* ---- vif, vbd ---- */

static struct scn_domain *
scn_attach_target(struct scn_parser *p, const char *what)
{
	if (p->attach == SCN_NONE) {
		scn_fail(p, "a %s line must follow a domain line (or 'at TIME create ...') "
		         "and attaches to that domain", what);
		return NULL;
	}
	return &p->s->domains[p->attach];
}

/*
 * bind=IFNAME: a dom0 interface name as Linux takes it (1-15 bytes, no '/',
 * ':' or blank), narrowed to letters, digits and ._-@+ so that it is safe to
 * show and to hand to tc by hand. Not twice in one domain.
 */
static int
scn_bind(struct scn_parser *p, const struct scn_domain *d, const char *name, char *out,
         size_t len)
{
	char b[48];
	size_t n = strlen(name);

	if (n == 0 || n >= len || n >= SCN_IFNAME_MAX || strcmp(name, ".") == 0
	    || strcmp(name, "..") == 0
	    || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+") != n)
		return scn_fail(p, "bind=%s: an interface name is 1 to %d letters, digits or ._-@+ "
		                "(e.g. bind=vif7.0)", scn_show(name, b), SCN_IFNAME_MAX - 1);
	for (size_t i = 0; i < d->n_vifs; i++)
		if (strcmp(d->vifs[i].bind, name) == 0)
			return scn_fail(p, "bind=%s: domain '%s' binds that interface already (vif %zu)",
			                name, d->label, i);
	memcpy(out, name, n + 1);
	return 0;
}

static int
scn_vif(struct scn_parser *p)
{
	static const char *const keys[] = {"rx", "tx", "pkt", "bind", NULL};
	struct scn_domain *d = scn_attach_target(p, "vif");
	struct scn_vif *f;
	const char *v[4];

	if (d == NULL || scn_keys(p, 1, "vif", keys, v) < 0)
		return -1;
	f = scn_push(p, d, (void **)&d->vifs, d->n_vifs, SCN_MAX_VIFS, sizeof *d->vifs, "vif");
	if (f == NULL)
		return -1;
	f->devid = (unsigned)d->n_vifs;
	f->pkt = 1000;
	if ((v[0] && scn_number(p, "rx", v[0], &scn_n_rate, &f->rx_bps) < 0) ||
	    (v[1] && scn_number(p, "tx", v[1], &scn_n_rate, &f->tx_bps) < 0) ||
	    scn_uint(p, "pkt", v[2], &scn_n_pkt, &f->pkt) < 0)
		return -1;
	if (v[3] && scn_bind(p, d, v[3], f->bind, sizeof f->bind) < 0)
		return -1;
	d->n_vifs++;
	return 0;
}

/* xvda..xvdz; the Xen device number is 202 << 8 | index << 4. */
static int
scn_vbd_name(struct scn_parser *p, const char *name, unsigned *devid)
{
	char b[48];

	if (strncmp(name, "xvd", 3) != 0 || name[3] < 'a' || name[3] > 'z' || name[4] != '\0')
		return scn_fail(p, "vbd name '%s': expected xvda to xvdz", scn_show(name, b));
	*devid = (202u << 8) | ((unsigned)(name[3] - 'a') << 4);
	return 0;
}

static int
scn_vbd(struct scn_parser *p)
{
	static const char *const keys[] = {"iops", "size", "read", NULL};
	struct scn_domain *d = scn_attach_target(p, "vbd");
	struct scn_vbd *f;
	const char *v[3];
	unsigned devid;
	double x;

	if (d == NULL)
		return -1;
	if (p->ntok < 2 || p->tok[1].val != NULL)
		return scn_fail(p, "expected a device name first: vbd xvda key=value ...");
	if (scn_vbd_name(p, p->tok[1].text, &devid) < 0 || scn_keys(p, 2, "vbd", keys, v) < 0)
		return -1;
	for (size_t i = 0; i < d->n_vbds; i++)
		if (d->vbds[i].devid == devid)
			return scn_fail(p, "domain '%s' has a vbd %s already", d->label, p->tok[1].text);
	f = scn_push(p, d, (void **)&d->vbds, d->n_vbds, SCN_MAX_VBDS, sizeof *d->vbds, "vbd");
	if (f == NULL)
		return -1;
	str_copy(f->name, p->tok[1].text, sizeof f->name);
	f->devid = devid;
	f->req_bytes = 16384;
	f->read_frac = 0.7;
	if ((v[0] && scn_number(p, "iops", v[0], &scn_n_iops, &f->iops) < 0) ||
	    (v[1] && scn_number(p, "size", v[1], &scn_n_reqsize, &x) < 0) ||
	    (v[2] && scn_number(p, "read", v[2], &scn_n_pct, &f->read_frac) < 0))
		return -1;
	if (v[1]) {
		if ((unsigned)x % 512 != 0)
			return scn_fail(p, "size=%s is not a multiple of 512 bytes", v[1]);
		f->req_bytes = (unsigned)x;
	}
	d->n_vbds++;
	return 0;
}

/* ---- generate ---- */

struct scn_gen {
	double vcpus[2], mem[2], weight[2], cpu[2], jitter[2], rx[2], tx[2], pkt[2], iops[2];
	double size;
};

/* A whole number uniformly in [lo, hi]. */
static double
scn_draw_whole(struct sim_rng *r, const double v[2])
{
	double x = v[0] + floor(sim_rng_unit(r) * (v[1] - v[0] + 1));

	return x > v[1] ? v[1] : x;
}

static int
scn_gen_one(struct scn_parser *p, const struct scn_gen *g, const char *name)
{
	struct sim_rng *r = &p->rng;
	struct scn_domain *d;
	double mem;

	if (scn_check_name(p, "generated domain", name) < 0)
		return -1;
	d = scn_new_domain(p, name);
	if (d == NULL)
		return -1;
	d->at_start = true;
	d->vcpus = (unsigned)scn_draw_whole(r, g->vcpus);
	mem = floor(sim_rng_range(r, g->mem[0], g->mem[1]) / 1048576) * 1048576;
	d->mem_kb = d->maxmem_kb = (uint64_t)((mem < g->mem[0] ? g->mem[0] : mem) / 1024);
	d->weight = (unsigned)scn_draw_whole(r, g->weight);
	d->cpu = fmin(sim_rng_range(r, g->cpu[0], g->cpu[1]), d->vcpus);
	d->jitter = sim_rng_range(r, g->jitter[0], g->jitter[1]);
	cpuset_fill(&d->pin, p->s->host.pcpus);
	d->vifs = calloc(1, sizeof *d->vifs);
	d->vbds = calloc(1, sizeof *d->vbds);
	if (d->vifs == NULL || d->vbds == NULL)
		return scn_fail(p, "out of memory");
	d->n_vifs = d->n_vbds = 1;
	d->vifs[0].rx_bps = sim_rng_range(r, g->rx[0], g->rx[1]);
	d->vifs[0].tx_bps = sim_rng_range(r, g->tx[0], g->tx[1]);
	d->vifs[0].pkt = (unsigned)scn_draw_whole(r, g->pkt);
	str_copy(d->vbds[0].name, "xvda", sizeof d->vbds[0].name);
	d->vbds[0].devid = 202u << 8;
	d->vbds[0].iops = sim_rng_range(r, g->iops[0], g->iops[1]);
	d->vbds[0].req_bytes = (unsigned)g->size;
	d->vbds[0].read_frac = 0.7;
	return scn_bring_up(p, d, false);
}

static int
scn_generate(struct scn_parser *p)
{
	static const char *const keys[] = {
		"count", "prefix", "vcpus", "mem", "weight", "cpu", "jitter", "rx", "tx",
		"pkt", "iops", "size", NULL
	};
	enum { G_COUNT, G_PREFIX, G_VCPUS, G_MEM, G_WEIGHT, G_CPU, G_JITTER, G_RX, G_TX,
	       G_PKT, G_IOPS, G_SIZE };
	struct scn_gen g = {
		.vcpus = {1, 1}, .mem = {1073741824.0, 1073741824.0}, .weight = {256, 256},
		.pkt = {1000, 1000}, .size = 16384,
	};
	const char *v[12], *prefix;
	double count;
	char name[SAMPLE_NAME_MAX + 16];

	if (p->in_events)
		return scn_fail(p, "generate lines come before the first 'at' line");
	if (scn_keys(p, 1, "generate", keys, v) < 0)
		return -1;
	if (v[G_COUNT] == NULL)
		return scn_fail(p, "generate needs count= (e.g. generate count=100 prefix=t)");
	prefix = v[G_PREFIX] ? v[G_PREFIX] : "vm";
	if (strlen(prefix) > 40)
		return scn_fail(p, "prefix= is too long (at most 40 bytes)");
	if (scn_number(p, "count", v[G_COUNT], &scn_n_count, &count) < 0 ||
	    (v[G_VCPUS] && scn_range(p, "vcpus", v[G_VCPUS], &scn_n_vcpus, &g.vcpus[0], &g.vcpus[1]) < 0) ||
	    (v[G_MEM] && scn_range(p, "mem", v[G_MEM], &scn_n_mem, &g.mem[0], &g.mem[1]) < 0) ||
	    (v[G_WEIGHT] && scn_range(p, "weight", v[G_WEIGHT], &scn_n_weight, &g.weight[0], &g.weight[1]) < 0) ||
	    (v[G_CPU] && scn_range(p, "cpu", v[G_CPU], &scn_n_cpu, &g.cpu[0], &g.cpu[1]) < 0) ||
	    (v[G_JITTER] && scn_range(p, "jitter", v[G_JITTER], &scn_n_pct, &g.jitter[0], &g.jitter[1]) < 0) ||
	    (v[G_RX] && scn_range(p, "rx", v[G_RX], &scn_n_rate, &g.rx[0], &g.rx[1]) < 0) ||
	    (v[G_TX] && scn_range(p, "tx", v[G_TX], &scn_n_rate, &g.tx[0], &g.tx[1]) < 0) ||
	    (v[G_PKT] && scn_range(p, "pkt", v[G_PKT], &scn_n_pkt, &g.pkt[0], &g.pkt[1]) < 0) ||
	    (v[G_IOPS] && scn_range(p, "iops", v[G_IOPS], &scn_n_iops, &g.iops[0], &g.iops[1]) < 0) ||
	    (v[G_SIZE] && scn_number(p, "size", v[G_SIZE], &scn_n_reqsize, &g.size) < 0))
		return -1;
	if ((unsigned)g.size % 512 != 0)
		return scn_fail(p, "size=%s is not a multiple of 512 bytes", v[G_SIZE]);
	for (unsigned i = 1; i <= (unsigned)count; i++) {
		snprintf(name, sizeof name, "%s%u", prefix, i);
		if (scn_gen_one(p, &g, name) < 0)
			return -1;
	}
	p->attach = SCN_NONE;
	return 0;
}

/* ---- at ---- */

static struct scn_event *
scn_new_event(struct scn_parser *p, enum scn_event_kind kind, uint64_t at_ns, size_t dom)
{
	struct scenario *s = p->s;
	struct scn_event *ev;

	if (s->n_events == SCN_MAX_EVENTS) {
		scn_fail(p, "too many 'at' lines (at most %d)", SCN_MAX_EVENTS);
		return NULL;
	}
	if (scn_grow(p, (void **)&s->events, &s->cap_events, s->n_events, sizeof *s->events) < 0)
		return NULL;
	ev = &s->events[s->n_events++];
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->at_ns = at_ns;
	ev->dom = dom;
	ev->line = p->line;
	return ev;
}

static size_t
scn_find_vif(const struct scn_domain *d, unsigned devid)
{
	for (size_t i = 0; i < d->n_vifs; i++)
		if (d->vifs[i].devid == devid)
			return i;
	return SCN_NONE;
}

static int
scn_at_set(struct scn_parser *p, uint64_t at_ns, size_t dom)
{
	static const char *const keys[] = {
		"cpu", "jitter", "vif", "rx", "tx", "pkt", "vbd", "iops", "size", "read", NULL
	};
	enum { S_CPU, S_JITTER, S_VIF, S_RX, S_TX, S_PKT, S_VBD, S_IOPS, S_SIZE, S_READ };
	const struct scn_domain *d = &p->s->domains[dom];
	struct scn_event *ev;
	const char *v[10];
	double x;
	unsigned devid = 0;

	if (scn_keys(p, 3, "at", keys, v) < 0)
		return -1;
	if (p->ntok == 3)
		return scn_fail(p, "nothing to change: at TIME NAME key=value ... "
		                "(cpu jitter rx tx pkt iops size read)");
	ev = scn_new_event(p, SCN_EV_SET, at_ns, dom);
	if (ev == NULL)
		return -1;
	if (v[S_CPU]) {
		if (scn_number(p, "cpu", v[S_CPU], &scn_n_cpu, &ev->cpu) < 0)
			return -1;
		if (ev->cpu > d->vcpus)
			return scn_fail(p, "cpu=%s is more than the domain's %u vcpus can use",
			                v[S_CPU], d->vcpus);
		ev->set |= SCN_SET_CPU;
	}
	if (v[S_JITTER]) {
		if (scn_number(p, "jitter", v[S_JITTER], &scn_n_pct, &ev->jitter) < 0)
			return -1;
		ev->set |= SCN_SET_JITTER;
	}
	if (v[S_VIF] || v[S_RX] || v[S_TX] || v[S_PKT]) {
		if (v[S_VIF]) {
			if (scn_number(p, "vif", v[S_VIF], &(struct scn_num){SCN_U_NONE, true, 0,
			               SCN_MAX_VIFS - 1, "0 to 15"}, &x) < 0)
				return -1;
			devid = (unsigned)x;
		}
		ev->vif = scn_find_vif(d, devid);
		if (ev->vif == SCN_NONE)
			return scn_fail(p, "domain '%s' has no vif %u", d->label, devid);
		if (v[S_RX] && scn_number(p, "rx", v[S_RX], &scn_n_rate, &ev->rx_bps) < 0)
			return -1;
		if (v[S_TX] && scn_number(p, "tx", v[S_TX], &scn_n_rate, &ev->tx_bps) < 0)
			return -1;
		if (scn_uint(p, "pkt", v[S_PKT], &scn_n_pkt, &ev->pkt) < 0)
			return -1;
		ev->set |= (v[S_RX] ? SCN_SET_RX : 0) | (v[S_TX] ? SCN_SET_TX : 0) |
		           (v[S_PKT] ? SCN_SET_PKT : 0);
	}
	if (v[S_VBD] || v[S_IOPS] || v[S_SIZE] || v[S_READ]) {
		ev->vbd = SCN_NONE;
		if (v[S_VBD]) {
			if (scn_vbd_name(p, v[S_VBD], &devid) < 0)
				return -1;
			for (size_t i = 0; i < d->n_vbds; i++)
				if (d->vbds[i].devid == devid)
					ev->vbd = i;
		} else if (d->n_vbds > 0) {
			ev->vbd = 0;
		}
		if (ev->vbd == SCN_NONE)
			return scn_fail(p, "domain '%s' has no vbd %s", d->label,
			                v[S_VBD] ? v[S_VBD] : "at all");
		if (v[S_IOPS] && scn_number(p, "iops", v[S_IOPS], &scn_n_iops, &ev->iops) < 0)
			return -1;
		if (v[S_SIZE]) {
			if (scn_number(p, "size", v[S_SIZE], &scn_n_reqsize, &x) < 0)
				return -1;
			if ((unsigned)x % 512 != 0)
				return scn_fail(p, "size=%s is not a multiple of 512 bytes", v[S_SIZE]);
			ev->req_bytes = (unsigned)x;
		}
		if (v[S_READ] && scn_number(p, "read", v[S_READ], &scn_n_pct, &ev->read_frac) < 0)
			return -1;
		ev->set |= (v[S_IOPS] ? SCN_SET_IOPS : 0) | (v[S_SIZE] ? SCN_SET_SIZE : 0) |
		           (v[S_READ] ? SCN_SET_READ : 0);
	}
	return 0;
}

static int
scn_at_destroy(struct scn_parser *p, uint64_t at_ns)
{
	struct scn_domain *d;
	size_t i;
	char b[48];

	if (p->ntok != 4 || p->tok[3].val != NULL)
		return scn_fail(p, "expected: at TIME destroy NAME");
	i = scn_lookup(p, p->tok[3].text);
	if (i == SCN_NONE)
		return scn_fail(p, "no domain '%s' exists at that time", scn_show(p->tok[3].text, b));
	d = &p->s->domains[i];
	if (d->domid == 0)
		return scn_fail(p, "domain 0 cannot be destroyed");
	if (scn_new_event(p, SCN_EV_DESTROY, at_ns, i) == NULL)
		return -1;
	p->alive[i] = false;
	scn_id_mark(p, d->domid, false);
	p->mem_used_kb -= d->mem_kb;
	return 0;
}

static int
scn_at(struct scn_parser *p)
{
	const struct scn_tok *what;
	double t;
	uint64_t at_ns;
	size_t i;
	char b[48];

	p->in_events = true;
	p->attach = SCN_NONE;
	if (p->ntok < 3 || p->tok[1].val != NULL || p->tok[2].val != NULL)
		return scn_fail(p, "expected: at TIME NAME key=value ... | at TIME create NAME ... | "
		                "at TIME destroy NAME");
	if (scn_number(p, "at", p->tok[1].text, &scn_n_time, &t) < 0)
		return -1;
	at_ns = (uint64_t)llround(t * 1e9);
	if (at_ns < p->last_at_ns)
		return scn_fail(p, "time goes backwards (%s s after %.3f s): 'at' lines are in "
		                "time order", scn_show(p->tok[1].text, b), p->last_at_ns / 1e9);
	p->last_at_ns = at_ns;
	what = &p->tok[2];
	if (!what->quoted && strcmp(what->text, "create") == 0) {
		if (scn_domain_def(p, 3, false, &i) < 0 ||
		    scn_new_event(p, SCN_EV_CREATE, at_ns, i) == NULL)
			return -1;
		p->attach = i;
		return 0;
	}
	if (!what->quoted && strcmp(what->text, "destroy") == 0)
		return scn_at_destroy(p, at_ns);
	i = scn_lookup(p, what->text);
	if (i == SCN_NONE)
		return scn_fail(p, "no domain '%s' exists at that time", scn_show(what->text, b));
	return scn_at_set(p, at_ns, i);
}

/* ---- lines ---- */

static int
scn_line(struct scn_parser *p, const char *line)
{
	const char *kw;
	char b[48];

	if (scn_tokenize(p, line) < 0)
		return -1;
	if (p->ntok == 0)
		return 0;
	kw = p->tok[0].text;
	if (p->tok[0].quoted || p->tok[0].val != NULL)
		return scn_fail(p, "a line starts with a keyword: host, domain, vif, vbd, "
		                "generate or at");
	if (strcmp(kw, "host") == 0)
		return scn_host(p);
	if (!p->have_host &&
	    (!strcmp(kw, "domain") || !strcmp(kw, "vif") || !strcmp(kw, "vbd") ||
	     !strcmp(kw, "generate") || !strcmp(kw, "at")))
		return scn_fail(p, "'%s' before the host line: a scenario starts with "
		                "'host pcpus=N mem=SIZE ...'", kw);
	if (strcmp(kw, "domain") == 0)
		return scn_domain(p);
	if (strcmp(kw, "vif") == 0)
		return scn_vif(p);
	if (strcmp(kw, "vbd") == 0)
		return scn_vbd(p);
	if (strcmp(kw, "generate") == 0)
		return scn_generate(p);
	if (strcmp(kw, "at") == 0)
		return scn_at(p);
	return scn_fail(p, "unknown keyword '%s' (expected host, domain, vif, vbd, generate "
	                "or at)", scn_show(kw, b));
}

static int
scn_lines(struct scn_parser *p, const char *text, size_t len)
{
	char line[SCN_MAX_LINE + 1];
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p->line++;
		pos += n + (nl != NULL);
		if (n > SCN_MAX_LINE)
			return scn_fail(p, "line too long (more than %d bytes)", SCN_MAX_LINE);
		if (memchr(nl ? nl - n : text + len - n, '\0', n) != NULL)
			return scn_fail(p, "NUL byte in the line (is this a text file?)");
		memcpy(line, nl ? nl - n : text + len - n, n);
		if (n > 0 && line[n - 1] == '\r')
			n--;                    /* CRLF line ends */
		line[n] = '\0';
		if (scn_line(p, line) < 0)
			return -1;
	}
	return 0;
}

int
scenario_parse(struct scenario *out, const char *text, size_t len, const char *source,
               uint64_t seed, struct err *e)
{
	struct scn_parser *p;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (len > SCN_MAX_BYTES)
		return err_set(e, "%s: the scenario is larger than %u MiB", source, SCN_MAX_BYTES >> 20);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return err_set(e, "%s: out of memory", source);
	p->s = out;
	p->source = source;
	p->e = e;
	p->attach = SCN_NONE;
	p->next_domid = 1;              /* id 0 is dom0's, and only when given */
	for (size_t i = 0; i < SCN_BUCKETS; i++)
		p->head[i] = p->name_head[i] = SCN_NONE;
	sim_rng_seed(&p->rng, seed, 1);
	if (scn_lines(p, text, len) == 0) {
		if (p->line == 0)
			p->line = 1;
		if (!p->have_host)
			scn_fail(p, "no host line: a scenario starts with 'host pcpus=N mem=SIZE ...'");
		else if (out->n_domains == 0 || !out->domains[0].at_start)
			scn_fail(p, "no domain at the start: add at least one 'domain NAME mem=SIZE' line");
		else
			rc = 0;
	}
	free(p->alive);
	free(p->next);
	free(p->name_next);
	free(p);
	if (rc < 0)
		scenario_free(out);
	return rc;
}

int
scenario_read_file(const char *path, char **text, size_t *len, struct err *e)
{
	FILE *f;
	char *buf;
	size_t n;
	int rc = 0;

	*text = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL)
		return err_set(e, "cannot open scenario %s: %s", path, strerror(errno));
	buf = malloc(SCN_MAX_BYTES + 2);
	if (buf == NULL) {
		fclose(f);
		return err_set(e, "%s: out of memory", path);
	}
	n = fread(buf, 1, SCN_MAX_BYTES + 1, f);
	if (ferror(f))
		rc = err_set(e, "cannot read scenario %s: %s", path, strerror(errno));
	else if (n > SCN_MAX_BYTES)
		rc = err_set(e, "%s: the scenario is larger than %u MiB", path, SCN_MAX_BYTES >> 20);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int
scenario_load(struct scenario *out, const char *path, uint64_t seed, struct err *e)
{
	char *text;
	size_t len;
	int rc;

	memset(out, 0, sizeof *out);
	if (scenario_read_file(path, &text, &len, e) < 0)
		return -1;
	rc = scenario_parse(out, text, len, path, seed, e);
	free(text);
	return rc;
}

void
scenario_free(struct scenario *s)
{
	for (size_t i = 0; i < s->n_domains; i++) {
		free(s->domains[i].vifs);
		free(s->domains[i].vbds);
	}
	free(s->domains);
	free(s->events);
	memset(s, 0, sizeof *s);
}
