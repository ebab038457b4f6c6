/*
 * test_columns.c: the column table shared by the console and batch output:
 * finding and parsing column lists and sort orders, the layout that drops
 * columns on narrow terminals, stable sorting, cells that never cut a number,
 * and text measured in terminal cells.
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tui/columns.h"

/* A domain with rates, for formatters and sorting. */
struct fixture {
	struct sample_domain raw;
	struct sample_vif vifs[2];
	struct view_domain v;
};

static void
fixture_init(struct fixture *f, uint32_t domid, const char *name, double cpu)
{
	memset(f, 0, sizeof *f);
	f->raw.domid = domid;
	snprintf(f->raw.name, sizeof f->raw.name, "%s", name);
	f->raw.state = DOM_RUNNING;
	f->raw.weight = 256;
	f->raw.nr_vcpus = 1;
	f->raw.mem_kb = 1024 * 1024;
	f->raw.n_vifs = 1;
	f->raw.vifs = f->vifs;
	f->raw.n_vbds = 1;
	f->v.raw = &f->raw;
	f->v.has_rates = true;
	f->v.cpu_pct = cpu;
	f->v.ent_pct = 100;
	f->v.use = cpu / 100;
}

/* Column c of row v must read want. */
static void
expect_fmt(const struct column *c, const struct view_domain *v, const char *want)
{
	char buf[COLUMN_TEXT_MAX];

	c->fmt(v, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%s is '%s', expected '%s'", c->name, buf, want);
}

/* Column c of row v in a cell of width cells must read want. */
static void
expect_cell(const struct column *c, const struct view_domain *v, int width, const char *want)
{
	char buf[COLUMN_TEXT_MAX];

	columns_cell(c, v, width, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("%s in %d cells is '%s', expected '%s'", c->name, width, buf, want);
}

/* The rows must be in the order of the domain ids in want, e.g. "130". */
static void
expect_order(const struct view_domain *const *rows, size_t n, const char *want)
{
	char got[16];

	assert_true(n < sizeof got && n == strlen(want));
	for (size_t i = 0; i < n; i++)
		got[i] = (char)('0' + rows[i]->raw->domid);
	got[n] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("rows in id order %s, expected %s", got, want);
}

static void
find_by_name(void **state)
{
	(void)state;
	assert_int_equal(columns_find("CPU%")->id, COL_CPU);
	assert_int_equal(columns_find("cpu%")->id, COL_CPU);
	assert_int_equal(columns_find("CPU")->id, COL_CPU);
	assert_int_equal(columns_find("iow")->id, COL_IOW);
	assert_int_equal(columns_find("NetRx")->id, COL_NETRX);
	assert_null(columns_find("CP"));
	assert_null(columns_find(""));
	assert_null(columns_find("CPU%%"));
	assert_null(columns_find(NULL));
	for (int i = 0; i < COL_COUNT; i++) {
		const struct column *c = columns_get((enum column_id)i);

		assert_int_equal(c->id, i);
		assert_ptr_equal(columns_find(c->name), c);
		assert_non_null(strstr(columns_names(), c->name));
		assert_true((int)strlen(c->header) <= c->min_width);
	}
	assert_null(columns_get(COL_COUNT));
}

static void
parse_list_good(void **state)
{
	struct column_list l;
	struct err e;

	(void)state;
	assert_int_equal(columns_parse_list("ID,NAME,CPU%", &l, &e), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.ids[0], COL_ID);
	assert_int_equal(l.ids[1], COL_NAME);
	assert_int_equal(l.ids[2], COL_CPU);
	assert_int_equal(columns_parse_list("  iops , name ", &l, &e), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], COL_IOPS);
}

static void
parse_list_bad(void **state)
{
	struct column_list l, before;
	struct err e;
	char big[1024];

	(void)state;
	columns_default(&l);
	before = l;
	assert_int_equal(columns_parse_list("ID,FOO,NAME", &l, &e), -1);
	assert_non_null(strstr(e.msg, "'FOO'"));
	assert_non_null(strstr(e.msg, "CPU%"));       /* lists the good ones */
	assert_memory_equal(&l, &before, sizeof l);
	assert_int_equal(columns_parse_list("ID,id", &l, &e), -1);
	assert_non_null(strstr(e.msg, "twice"));
	assert_int_equal(columns_parse_list("", &l, &e), -1);
	assert_int_equal(columns_parse_list(",,", &l, &e), -1);
	assert_int_equal(columns_parse_list("ID,,NAME", &l, &e), -1);
	assert_int_equal(columns_parse_list("ID, ,NAME", &l, &e), -1);
	assert_int_equal(columns_parse_list("ID,\x1b[2J", &l, &e), -1);
	assert_null(strchr(e.msg, '\x1b'));             /* the bad name is sanitised */
	memset(big, 'A', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(columns_parse_list(big, &l, &e), -1);
	assert_memory_equal(&l, &before, sizeof l);
}

static void
parse_sort(void **state)
{
	struct column_sort s;
	struct err e;

	(void)state;
	columns_sort_default(&s);
	assert_int_equal(s.id, COL_CPU);
	assert_false(s.reverse);
	assert_int_equal(columns_parse_sort("-NAME", &s, &e), 0);
	assert_int_equal(s.id, COL_NAME);
	assert_true(s.reverse);
	assert_int_equal(columns_parse_sort("mem", &s, &e), 0);
	assert_int_equal(s.id, COL_MEM);
	assert_false(s.reverse);
	assert_int_equal(columns_parse_sort("BOGUS", &s, &e), -1);
	assert_non_null(strstr(e.msg, "BOGUS"));
	assert_int_equal(columns_parse_sort("-", &s, &e), -1);
	assert_int_equal(columns_parse_sort(NULL, &s, &e), -1);
}

static bool
has(const struct column_layout *l, enum column_id id)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return true;
	return false;
}

static void
layout_80(void **state)
{
	struct column_list all;
	struct column_layout l;

	(void)state;
	columns_default(&all);
	columns_layout(&all, 80, &l);
	assert_true(l.total <= 80);
	assert_true(has(&l, COL_NAME) && has(&l, COL_ID) && has(&l, COL_CPU));
	assert_true(has(&l, COL_USE) && has(&l, COL_NETRX) && has(&l, COL_IOW));
	/* the least important went first */
	assert_false(has(&l, COL_VCPUS));
	assert_false(has(&l, COL_PPS));
	for (size_t i = 0; i < l.n; i++)
		if (l.ids[i] == COL_NAME)
			assert_int_equal(l.widths[i], columns_get(COL_NAME)->min_width);
}

static void
layout_wide(void **state)
{
	struct column_list all;
	struct column_layout l;

	(void)state;
	columns_default(&all);
	columns_layout(&all, 200, &l);
	assert_int_equal(l.n, COL_COUNT);
	assert_int_equal(l.widths[COL_NAME], columns_get(COL_NAME)->max_width);
	assert_true(l.total <= 200);
}

/* For every width, what is shown fits, keeps its order and no number column is narrowed. */
static void
layout_every_width(void **state)
{
	struct column_list all;
	struct column_layout l;
	size_t prev_n = 0;

	(void)state;
	columns_default(&all);
	for (int w = 0; w <= 260; w++) {
		size_t at = 0;
		int sum = 0;

		columns_layout(&all, w, &l);
		assert_true(l.total <= w);
		assert_true(l.n >= prev_n);         /* wider never shows fewer */
		prev_n = l.n;
		for (size_t i = 0; i < l.n; i++) {
			const struct column *c = columns_get(l.ids[i]);

			while (at < all.n && all.ids[at] != l.ids[i])
				at++;
			assert_true(at < all.n);       /* a subsequence, in order */
			if (!c->left)
				assert_int_equal(l.widths[i], c->width);
			sum += l.widths[i];
		}
		assert_int_equal(l.total, l.n ? sum + (int)l.n - 1 : 0);
	}
}

static void
layout_custom_list(void **state)
{
	struct column_list list;
	struct column_layout l;
	struct err e;

	(void)state;
	assert_int_equal(columns_parse_list("CPU%,IOPS", &list, &e), 0);
	columns_layout(&list, 3, &l);
	assert_int_equal(l.n, 0);                   /* no number is ever cut */
	columns_layout(&list, 6, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ids[0], COL_CPU);
	assert_int_equal(columns_parse_list("NAME", &list, &e), 0);
	columns_layout(&list, 4, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.widths[0], 4);           /* a name can be narrowed */
}

static void
formatters_fit(void **state)
{
	static const double big[] = { 0, 0.04, 9.96, 99.96, 999.96, 9999.6, 51200, 1e7, 1e15 };
	char buf[COLUMN_TEXT_MAX];
	struct fixture f;

	(void)state;
	for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
		fixture_init(&f, 32767, "x", big[k]);
		f.v.ent_pct = big[k] > 0 ? big[k] / 3 : 1;
		f.v.use = big[k];
		f.v.rx_bps = f.v.tx_bps = f.v.pps = f.v.iops = big[k];
		f.v.iow_pct = big[k] > 100 ? 100 : big[k];
		f.raw.weight = 65535;
		f.raw.cap = 51200;
		f.raw.nr_vcpus = 512;
		f.raw.mem_kb = (uint64_t)(big[k] * 1e6);
		for (int i = 0; i < COL_COUNT; i++) {
			const struct column *c = columns_get((enum column_id)i);

			if (c->left)
				continue;
			c->fmt(&f.v, buf, sizeof buf);
			if ((int)strlen(buf) > c->width)
				fail_msg("%s of %g is '%s', wider than %d", c->name, big[k], buf, c->width);
		}
	}
}

static void
formatters_unknown(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f, 1, "a", 50);
	f.v.has_rates = false;
	expect_fmt(columns_get(COL_CPU), &f.v, "-");
	expect_fmt(columns_get(COL_NETRX), &f.v, "-");
	f.v.has_rates = true;
	f.raw.n_vbds = 0;
	expect_fmt(columns_get(COL_IOPS), &f.v, "-");
	expect_fmt(columns_get(COL_CPU), &f.v, "50.0");
	f.raw.state = DOM_PAUSED | DOM_BLOCKED;
	expect_fmt(columns_get(COL_STATE), &f.v, "--b-p-");
	/* a host that does not account IO delay: IOW% is off, not 0, when there are vbds */
	f.v.iow_off = true;
	expect_fmt(columns_get(COL_IOW), &f.v, "-");
	f.raw.n_vbds = 1;
	expect_fmt(columns_get(COL_IOW), &f.v, "off");
	expect_fmt(columns_get(COL_IOPS), &f.v, "0");
	f.v.iow_off = false;
	expect_fmt(columns_get(COL_IOW), &f.v, "0.0");
}

static void
throttle_column(void **state)
{
	char buf[COLUMN_TEXT_MAX];
	struct fixture a, b, c;
	const struct view_domain *rows[3] = { &a.v, &b.v, &c.v };
	const struct column *thr = columns_find("thr");

	(void)state;
	assert_non_null(thr);
	fixture_init(&a, 1, "a", 1);
	expect_fmt(thr, &a.v, "-");
	a.vifs[0].to_guest.rate_bps = a.vifs[0].from_guest.rate_bps = 10000000;
	expect_fmt(thr, &a.v, "10.0M");
	a.vifs[0].from_guest.rate_bps = 0;
	expect_fmt(thr, &a.v, "10.0Mi");                 /* to the guest only */
	a.vifs[0].to_guest.rate_bps = 0;
	a.vifs[0].from_guest.rate_bps = 500000;
	expect_fmt(thr, &a.v, "500ko");                  /* from the guest only */
	a.raw.n_vifs = 2;                                /* a second vif, another rate */
	a.vifs[1].to_guest.rate_bps = a.vifs[1].from_guest.rate_bps = 2000000;
	expect_fmt(thr, &a.v, "500k*");
	columns_cell(thr, &a.v, thr->width, buf, sizeof buf);
	assert_int_equal(strlen(buf), (size_t)thr->width);
	/* throttled first, the lowest rate first among them; then the rest by id */
	fixture_init(&b, 2, "b", 1);
	fixture_init(&c, 3, "c", 1);
	c.vifs[0].to_guest.rate_bps = c.vifs[0].from_guest.rate_bps = 100000;
	columns_sort(rows, 3, COL_THR, false);
	expect_order(rows, 3, "312");
}

static void
cell_alignment(void **state)
{
	struct fixture f;

	(void)state;
	fixture_init(&f, 7, "web1", 12.5);
	expect_cell(columns_get(COL_CPU), &f.v, 6, "  12.5");
	expect_cell(columns_get(COL_NAME), &f.v, 8, "web1    ");
	expect_cell(columns_get(COL_ID), &f.v, 5, "    7");
	/* too narrow for the number: stars, never a cut number */
	f.v.cpu_pct = 1234.5;
	expect_cell(columns_get(COL_CPU), &f.v, 3, "***");
}

static void
cell_hostile_name(void **state)
{
	char buf[COLUMN_TEXT_MAX];
	struct fixture f;

	(void)state;
	fixture_init(&f, 7, "ev\x1b]0;pwned\x07il\xe2\x80\xae", 1);
	columns_cell(columns_get(COL_NAME), &f.v, 16, buf, sizeof buf);
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\x07'));
	assert_null(strstr(buf, "\xe2\x80\xae"));   /* no bidi override */
	assert_int_equal(columns_text_width(buf), 16);
}

static void
text_width(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(columns_text_width("abc"), 3);
	assert_int_equal(columns_text_width("\xc3\xa9t\xc3\xa9"), 3);           /* été */
	assert_int_equal(columns_text_width("\xe4\xb8\xad\xe6\x96\x87"), 4);    /* two CJK */
	assert_int_equal(columns_text_width("\xff"), 1);                        /* bad byte */
	/* a wide character is never split: 3 cells hold one of them and a pad */
	assert_int_equal(columns_fit(buf, sizeof buf, "\xe4\xb8\xad\xe6\x96\x87", 3, false), 2);
	assert_string_equal(buf, "\xe4\xb8\xad ");
	assert_int_equal(columns_fit(buf, sizeof buf, "ab", 4, true), 2);
	assert_string_equal(buf, "  ab");
	assert_int_equal(columns_prefix("\xc3\xa9t\xc3\xa9", 2), 3);
	/* a destination too small is never overrun */
	columns_fit(buf, 4, "abcdef", 10, false);
	assert_string_equal(buf, "abc");
	columns_fit(buf, 3, "\xe4\xb8\xad", 10, false);
	assert_true(strlen(buf) < 3);
	assert_null(strchr(buf, '\xe4'));                 /* never half a character */
}

static void
sorting(void **state)
{
	struct fixture f[5];
	const struct view_domain *rows[5];

	(void)state;
	fixture_init(&f[0], 0, "Domain-0", 10);
	fixture_init(&f[1], 1, "web1", 80);
	fixture_init(&f[2], 2, "Alpha", 10);
	fixture_init(&f[3], 3, "zeta", 80);
	fixture_init(&f[4], 4, "mid", 50);
	f[4].v.has_rates = false;                    /* unknown sorts lowest */
	for (int i = 0; i < 5; i++)
		rows[i] = &f[i].v;
	columns_sort(rows, 5, COL_CPU, false);          /* largest first, ties by id */
	expect_order(rows, 5, "13024");
	columns_sort(rows, 5, COL_CPU, true);           /* reversed, ties still by id */
	expect_order(rows, 5, "40213");
	columns_sort(rows, 5, COL_NAME, false);         /* A to Z, ignoring case */
	expect_order(rows, 5, "20413");
	columns_sort(rows, 5, COL_ID, true);
	expect_order(rows, 5, "43210");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(find_by_name),
		cmocka_unit_test(parse_list_good),
		cmocka_unit_test(parse_list_bad),
		cmocka_unit_test(parse_sort),
		cmocka_unit_test(layout_80),
		cmocka_unit_test(layout_wide),
		cmocka_unit_test(layout_every_width),
		cmocka_unit_test(layout_custom_list),
		cmocka_unit_test(formatters_fit),
		cmocka_unit_test(formatters_unknown),
		cmocka_unit_test(throttle_column),
		cmocka_unit_test(cell_alignment),
		cmocka_unit_test(cell_hostile_name),
		cmocka_unit_test(text_width),
		cmocka_unit_test(sorting),
	};

	setlocale(LC_ALL, "C.UTF-8");   /* wcwidth of CJK needs a UTF-8 locale */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
