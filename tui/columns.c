/*
 * columns.c: the column table of the domain list (see columns.h): what each
 * column shows, how wide it is, how it sorts, and which columns fit a width.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "backend/str.h"
#include "tui/columns.h"
#include "tui/units.h"

/* ---- formatters ---- */

/* A number in at most width cells: one decimal if it fits, else none, else SI. */
static void
fmt_number(double v, int width, char *buf, size_t len)
{
	for (int decimals = 1; decimals >= 0; decimals--) {
		snprintf(buf, len, "%.*f", decimals, v);
		if ((int)strlen(buf) <= width)
			return;
	}
	units_count(v, buf, len);
}

static void
fmt_id(const struct view_domain *d, char *buf, size_t len)
{
	snprintf(buf, len, "%u", (unsigned)d->raw->domid);
}

static void
fmt_name(const struct view_domain *d, char *buf, size_t len)
{
	str_sanitize(buf, len, d->raw->name);
}

static void
fmt_state(const struct view_domain *d, char *buf, size_t len)
{
	char letters[7];

	sample_state_letters(d->raw->state, letters);
	snprintf(buf, len, "%s", letters);
}

static void
fmt_cpu(const struct view_domain *d, char *buf, size_t len)
{
	if (!d->has_rates)
		snprintf(buf, len, "-");
	else
		fmt_number(d->cpu_pct, 6, buf, len);
}

static void
fmt_weight(const struct view_domain *d, char *buf, size_t len)
{
	if (d->raw->weight == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%u", d->raw->weight);
}

static void
fmt_cap(const struct view_domain *d, char *buf, size_t len)
{
	snprintf(buf, len, "%u", d->raw->cap);
}

static void
fmt_ent(const struct view_domain *d, char *buf, size_t len)
{
	if (!(d->ent_pct > 0))
		snprintf(buf, len, "-");
	else
		fmt_number(d->ent_pct, 6, buf, len);
}

static void
fmt_use(const struct view_domain *d, char *buf, size_t len)
{
	if (!d->has_rates || !(d->ent_pct > 0)) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%.2f", d->use);
	if (strlen(buf) > 5)
		fmt_number(d->use, 5, buf, len);
}

static void
fmt_mem(const struct view_domain *d, char *buf, size_t len)
{
	units_kib(d->raw->mem_kb, buf, len);
}

static void
fmt_vcpus(const struct view_domain *d, char *buf, size_t len)
{
	snprintf(buf, len, "%u", d->raw->nr_vcpus);
}

/* Rate columns show '-' when there is nothing to measure yet. */
static bool
net_known(const struct view_domain *d)
{
	return d->has_rates && d->raw->n_vifs > 0;
}

static bool
io_known(const struct view_domain *d)
{
	return d->has_rates && d->raw->n_vbds > 0;
}

static void
fmt_netrx(const struct view_domain *d, char *buf, size_t len)
{
	if (!net_known(d))
		snprintf(buf, len, "-");
	else
		units_bits(d->rx_bps, buf, len);
}

static void
fmt_nettx(const struct view_domain *d, char *buf, size_t len)
{
	if (!net_known(d))
		snprintf(buf, len, "-");
	else
		units_bits(d->tx_bps, buf, len);
}

static void
fmt_pps(const struct view_domain *d, char *buf, size_t len)
{
	if (!net_known(d))
		snprintf(buf, len, "-");
	else
		units_count(d->pps, buf, len);
}

/* The throttle over all vifs: the lowest rate, and which way when not both. */
struct thr_summary {
	double min;             /* lowest throttled rate, bits/s; 0 = no throttle */
	bool uniform;           /* every vif throttled at min both ways */
	bool in_only, out_only; /* every throttle is to the guest / from it, at min */
};

static void
thr_summarise(const struct view_domain *d, struct thr_summary *s)
{
	memset(s, 0, sizeof *s);
	s->uniform = s->in_only = s->out_only = true;
	for (size_t i = 0; i < d->raw->n_vifs; i++) {
		const struct sample_vif *v = &d->raw->vifs[i];
		uint64_t r[2] = { v->to_guest.rate_bps, v->from_guest.rate_bps };

		for (int k = 0; k < 2; k++)
			if (r[k] > 0 && (s->min == 0 || r[k] < s->min))
				s->min = (double)r[k];
	}
	for (size_t i = 0; i < d->raw->n_vifs; i++) {
		const struct sample_vif *v = &d->raw->vifs[i];
		double to = (double)v->to_guest.rate_bps, from = (double)v->from_guest.rate_bps;

		s->uniform = s->uniform && to == s->min && from == s->min;
		s->in_only = s->in_only && from == 0 && (to == 0 || to == s->min);
		s->out_only = s->out_only && to == 0 && (from == 0 || from == s->min);
	}
}

static void
fmt_thr(const struct view_domain *d, char *buf, size_t len)
{
	struct thr_summary s;
	char r[16];

	thr_summarise(d, &s);
	if (s.min == 0) {
		snprintf(buf, len, "-");
		return;
	}
	units_bits(s.min, r, sizeof r);
	snprintf(buf, len, "%s%s", r, s.uniform ? "" : s.in_only ? "i" : s.out_only ? "o" : "*");
}

static void
fmt_iow(const struct view_domain *d, char *buf, size_t len)
{
	if (d->iow_off && d->raw->n_vbds > 0)
		snprintf(buf, len, "off");
	else if (!io_known(d))
		snprintf(buf, len, "-");
	else
		fmt_number(d->iow_pct, 5, buf, len);
}

static void
fmt_iops(const struct view_domain *d, char *buf, size_t len)
{
	if (!io_known(d))
		snprintf(buf, len, "-");
	else
		units_count(d->iops, buf, len);
}

/* ---- comparators (ascending; unknown values sort lowest) ---- */

static int
cmp_double(double a, double b)
{
	return (a > b) - (a < b);
}

static int
cmp_id(const struct view_domain *a, const struct view_domain *b)
{
	return (a->raw->domid > b->raw->domid) - (a->raw->domid < b->raw->domid);
}

static int
cmp_name(const struct view_domain *a, const struct view_domain *b)
{
	int r = strcasecmp(a->raw->name, b->raw->name);

	return r != 0 ? r : strcmp(a->raw->name, b->raw->name);
}

static int
cmp_state(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(a->raw->state, b->raw->state);
}

static double
rate_or_unknown(bool known, double v)
{
	return known ? v : -1;
}

static int
cmp_cpu(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(rate_or_unknown(a->has_rates, a->cpu_pct),
	                  rate_or_unknown(b->has_rates, b->cpu_pct));
}

static int
cmp_weight(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(a->raw->weight, b->raw->weight);
}

static int
cmp_cap(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(a->raw->cap, b->raw->cap);
}

static int
cmp_ent(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(a->ent_pct, b->ent_pct);
}

static int
cmp_use(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(rate_or_unknown(a->has_rates && a->ent_pct > 0, a->use),
	                  rate_or_unknown(b->has_rates && b->ent_pct > 0, b->use));
}

static int
cmp_mem(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double((double)a->raw->mem_kb, (double)b->raw->mem_kb);
}

static int
cmp_vcpus(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(a->raw->nr_vcpus, b->raw->nr_vcpus);
}

/* Network columns break ties with the other direction. */
static int
cmp_netrx(const struct view_domain *a, const struct view_domain *b)
{
	int r = cmp_double(rate_or_unknown(net_known(a), a->rx_bps),
	                   rate_or_unknown(net_known(b), b->rx_bps));

	return r != 0 ? r : cmp_double(a->tx_bps, b->tx_bps);
}

static int
cmp_nettx(const struct view_domain *a, const struct view_domain *b)
{
	int r = cmp_double(rate_or_unknown(net_known(a), a->tx_bps),
	                   rate_or_unknown(net_known(b), b->tx_bps));

	return r != 0 ? r : cmp_double(a->rx_bps, b->rx_bps);
}

static int
cmp_pps(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(rate_or_unknown(net_known(a), a->pps),
	                  rate_or_unknown(net_known(b), b->pps));
}

/* Throttled first (natural order, largest first), the lowest rate first among them. */
static double
thr_key(const struct view_domain *d)
{
	struct thr_summary s;

	thr_summarise(d, &s);
	return s.min > 0 ? 1e15 - s.min : -1;
}

static int
cmp_thr(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(thr_key(a), thr_key(b));
}

static int
cmp_iow(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(rate_or_unknown(io_known(a) && !a->iow_off, a->iow_pct),
	                  rate_or_unknown(io_known(b) && !b->iow_off, b->iow_pct));
}

static int
cmp_iops(const struct view_domain *a, const struct view_domain *b)
{
	return cmp_double(rate_or_unknown(io_known(a), a->iops),
	                  rate_or_unknown(io_known(b), b->iops));
}

/* ---- the table ---- */

static const struct column columns[COL_COUNT] = {
	{ COL_ID, "ID", "ID", 5, 5, 5, false, 90, false,
	  "domain id", fmt_id, cmp_id },
	{ COL_NAME, "NAME", "NAME", 16, 10, 32, true, 100, false,
	  "domain name (control bytes shown as ?)", fmt_name, cmp_name },
	{ COL_STATE, "STATE", "STATE", 6, 6, 6, true, 60, true,
	  "d dying, s shutdown, b blocked, c crashed, p paused, r running", fmt_state, cmp_state },
	{ COL_CPU, "CPU%", "CPU%", 6, 6, 6, false, 95, true,
	  "CPU use, percent of one pCPU", fmt_cpu, cmp_cpu },
	{ COL_WEIGHT, "WEIGHT", "WEIGHT", 6, 6, 6, false, 70, true,
	  "scheduler weight (1..65535)", fmt_weight, cmp_weight },
	{ COL_CAP, "CAP", "CAP", 5, 5, 5, false, 50, true,
	  "scheduler cap, percent of one pCPU (0 = none)", fmt_cap, cmp_cap },
	{ COL_ENT, "ENT%", "ENT%", 6, 6, 6, false, 40, true,
	  "entitlement under full contention, percent of one pCPU", fmt_ent, cmp_ent },
	{ COL_USE, "USE", "USE", 5, 5, 5, false, 80, true,
	  "credit use: CPU% / ENT% (above 1.00: more than its share)", fmt_use, cmp_use },
	{ COL_MEM, "MEM", "MEM", 5, 5, 5, false, 55, true,
	  "memory", fmt_mem, cmp_mem },
	{ COL_VCPUS, "VCPUS", "VCPUS", 5, 5, 5, false, 10, true,
	  "online vcpus", fmt_vcpus, cmp_vcpus },
	{ COL_NETRX, "NETRX", "NETRX", 5, 5, 5, false, 75, true,
	  "network from the guest, bits/s", fmt_netrx, cmp_netrx },
	{ COL_NETTX, "NETTX", "NETTX", 5, 5, 5, false, 74, true,
	  "network to the guest, bits/s", fmt_nettx, cmp_nettx },
	{ COL_PPS, "PPS", "PPS", 5, 5, 5, false, 20, true,
	  "packets/s, both directions", fmt_pps, cmp_pps },
	{ COL_THR, "THR", "THR", 6, 6, 6, false, 58, true,
	  "vif throttle (t sets it): its lowest rate in bits/s; i = to the guest only, "
	  "o = from it only, * = mixed; sorts throttled first", fmt_thr, cmp_thr },
	{ COL_IOW, "IOW%", "IOW%", 5, 5, 5, false, 78, true,
	  "IO wait of its disk backends, percent of the interval", fmt_iow, cmp_iow },
	{ COL_IOPS, "IOPS", "IOPS", 5, 5, 5, false, 30, true,
	  "disk requests/s, reads and writes", fmt_iops, cmp_iops },
};

const struct column *
columns_get(enum column_id id)
{
	if ((unsigned)id >= COL_COUNT)
		return NULL;
	return &columns[id];
}

const struct column *
columns_find(const char *name)
{
	size_t n;

	if (name == NULL)
		return NULL;
	n = strlen(name);
	for (size_t i = 0; i < COL_COUNT; i++) {
		const char *cn = columns[i].name;

		if (strcasecmp(cn, name) == 0)
			return &columns[i];
		/* "CPU" for "CPU%" */
		if (n > 0 && strncasecmp(cn, name, n) == 0 && strcmp(cn + n, "%") == 0)
			return &columns[i];
	}
	return NULL;
}

const char *
columns_names(void)
{
	return "ID, NAME, STATE, CPU%, WEIGHT, CAP, ENT%, USE, MEM, VCPUS, "
	       "NETRX, NETTX, PPS, THR, IOW%, IOPS";
}

void
columns_default(struct column_list *out)
{
	out->n = COL_COUNT;
	for (size_t i = 0; i < COL_COUNT; i++)
		out->ids[i] = (enum column_id)i;
}

static bool
list_has(const struct column_list *l, enum column_id id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

int
columns_parse_list(const char *csv, struct column_list *out, struct err *e)
{
	struct column_list l = { 0 };
	char buf[512], *rest = buf, *tok;

	if (csv == NULL || str_copy(buf, csv, sizeof buf) >= sizeof buf)
		return err_set(e, "column list is too long");
	while ((tok = strsep(&rest, ",")) != NULL) {
		char clean[64];
		const struct column *c;

		str_trim(tok);
		str_sanitize(clean, sizeof clean, tok);
		if (*tok == '\0')
			return err_set(e, "empty column name in the list (columns: %s)", columns_names());
		if ((c = columns_find(tok)) == NULL)
			return err_set(e, "unknown column '%s' (columns: %s)", clean, columns_names());
		if (list_has(&l, c->id))
			return err_set(e, "column '%s' is listed twice", c->name);
		l.ids[l.n++] = c->id;
	}
	if (l.n == 0)
		return err_set(e, "no columns given (columns: %s)", columns_names());
	*out = l;
	return 0;
}

void
columns_sort_default(struct column_sort *out)
{
	out->id = COL_CPU;
	out->reverse = false;
}

int
columns_parse_sort(const char *text, struct column_sort *out, struct err *e)
{
	const struct column *c;
	char clean[64];
	bool reverse = false;

	if (text == NULL)
		return err_set(e, "no sort column given");
	if (*text == '-') {
		reverse = true;
		text++;
	}
	if ((c = columns_find(text)) == NULL) {
		str_sanitize(clean, sizeof clean, text);
		return err_set(e, "unknown sort column '%s' (columns: %s)", clean, columns_names());
	}
	out->id = c->id;
	out->reverse = reverse;
	return 0;
}

/* ---- layout ---- */

static int
layout_total(const struct column_layout *l)
{
	int t = 0;

	for (size_t i = 0; i < l->n; i++)
		t += l->widths[i];
	return l->n > 0 ? t + (int)l->n - 1 : 0;
}

static void
layout_drop(struct column_layout *l, size_t at)
{
	memmove(&l->ids[at], &l->ids[at + 1], (l->n - at - 1) * sizeof l->ids[0]);
	memmove(&l->widths[at], &l->widths[at + 1], (l->n - at - 1) * sizeof l->widths[0]);
	l->n--;
}

/* Index of the least important column (the last one among equals). */
static size_t
layout_weakest(const struct column_layout *l)
{
	size_t w = 0;

	for (size_t i = 1; i < l->n; i++)
		if (columns[l->ids[i]].priority <= columns[l->ids[w]].priority)
			w = i;
	return w;
}

/* Changes the width of the flexible column (NAME) by up to delta, within [lo, hi]. */
static void
layout_flex(struct column_layout *l, int delta, int lo, int hi)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct column *c = &columns[l->ids[i]];
		int w;

		if (c->min_width == c->max_width)
			continue;
		w = l->widths[i] + delta;
		l->widths[i] = w < lo ? lo : w > hi ? hi : w;
		return;
	}
}

void
columns_layout(const struct column_list *visible, int width, struct column_layout *out)
{
	const struct column *name = &columns[COL_NAME];

	out->n = 0;
	for (size_t i = 0; i < visible->n && i < COL_COUNT; i++) {
		out->ids[out->n] = visible->ids[i];
		out->widths[out->n++] = columns[visible->ids[i]].width;
	}
	if (width < 0)
		width = 0;
	if (layout_total(out) > width)
		layout_flex(out, width - layout_total(out), name->min_width, name->max_width);
	while (out->n > 1 && layout_total(out) > width)
		layout_drop(out, layout_weakest(out));
	if (out->n == 1 && out->widths[0] > width) {
		/* the last column left: only text may be narrowed, never a number */
		if (columns[out->ids[0]].left && width > 0)
			out->widths[0] = width;
		else
			out->n = 0;
	}
	if (layout_total(out) < width)
		layout_flex(out, width - layout_total(out), name->min_width, name->max_width);
	out->total = layout_total(out);
}

/* ---- sorting ---- */

struct sort_ctx {
	const struct column *c;
	int sign;               /* -1: largest first */
};

static int
sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct view_domain *a = *(const struct view_domain *const *)pa;
	const struct view_domain *b = *(const struct view_domain *const *)pb;
	const struct sort_ctx *s = arg;
	int r = s->c->cmp(a, b) * s->sign;

	/* ties by domain id, so the order is total and the same on every refresh */
	return r != 0 ? r : cmp_id(a, b);
}

void
columns_sort(const struct view_domain **rows, size_t n, enum column_id by, bool reverse)
{
	struct sort_ctx s;

	if ((unsigned)by >= COL_COUNT || n < 2)
		return;
	s.c = &columns[by];
	s.sign = (s.c->desc != reverse) ? -1 : 1;
	qsort_r(rows, n, sizeof rows[0], sort_cmp, &s);
}

/* ---- cells and text width ---- */

/* Decodes one UTF-8 character; returns its length in bytes (1 for a bad byte, *cp = -1). */
static size_t
utf8_next(const unsigned char *s, long *cp)
{
	size_t n;
	long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

static int
char_width(long cp)
{
	int w;

	if (cp < 0)
		return 1;
	w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int
columns_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int w = 0;
	long cp;

	while (*p != '\0') {
		p += utf8_next(p, &cp);
		w += char_width(cp);
	}
	return w;
}

/* Bytes of src (at most maxbytes) that fit in width cells; *cells gets their width. */
static size_t
fit_prefix(const char *src, int width, size_t maxbytes, int *cells)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t bytes = 0;
	int w = 0;
	long cp;

	while (p[bytes] != '\0') {
		size_t n = utf8_next(p + bytes, &cp);
		int cw = char_width(cp);

		if (w + cw > width || bytes + n > maxbytes)
			break;
		w += cw;
		bytes += n;
	}
	*cells = w;
	return bytes;
}

size_t
columns_prefix(const char *s, int width)
{
	int cells;

	return fit_prefix(s, width, strlen(s), &cells);
}

int
columns_fit(char *dst, size_t len, const char *src, int width, bool right)
{
	size_t bytes, pad, at = 0;
	int cells;

	if (len == 0)
		return 0;
	if (width < 0)
		width = 0;
	bytes = fit_prefix(src, width, len - 1, &cells);
	pad = (size_t)(width - cells);
	if (bytes + pad > len - 1)
		pad = len - 1 - bytes;   /* dst too small: never overflow it */
	if (right) {
		memset(dst, ' ', pad);
		at = pad;
	}
	memcpy(dst + at, src, bytes);
	at += bytes;
	if (!right) {
		memset(dst + at, ' ', pad);
		at += pad;
	}
	dst[at] = '\0';
	return cells;
}

void
columns_cell(const struct column *c, const struct view_domain *d, int width,
             char *buf, size_t len)
{
	char text[COLUMN_TEXT_MAX];

	c->fmt(d, text, sizeof text);
	if (!c->left && columns_text_width(text) > width) {
		int n = width < (int)sizeof text - 1 ? width : (int)sizeof text - 1;

		memset(text, '*', (size_t)(n > 0 ? n : 0));
		text[n > 0 ? n : 0] = '\0';
	}
	columns_fit(buf, len, text, width, !c->left);
}
