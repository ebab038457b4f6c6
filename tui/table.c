/*
 * table.c: the domain table (see table.h): building the rows and lines,
 * moving the selection, and drawing rows and expanded device lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/mem.h"
#include "backend/str.h"
#include "tui/table.h"

void
table_init(struct table *t)
{
	memset(t, 0, sizeof *t);
	t->height = 10;
}

void
table_free(struct table *t)
{
	free(t->rows);
	free(t->lines);
	memset(t, 0, sizeof *t);
}

bool
table_name_matches(const struct view_domain *d, const char *text)
{
	char name[SAMPLE_NAME_MAX * 2];

	if (text == NULL || *text == '\0')
		return true;
	str_sanitize(name, sizeof name, d->raw->name);
	return strcasestr(name, text) != NULL;
}

static bool
add_line(struct table *t, const struct view_domain *d, enum table_line_kind k,
         enum devrows_kind dev, size_t sub)
{
	if (mem_grow((void **)&t->lines, &t->cap_lines, t->n_lines + 1, sizeof t->lines[0], NULL) < 0)
		return false;
	t->lines[t->n_lines++] = (struct table_line){ d, k, dev, sub };
	return true;
}

/* The devices of one kind under d, after a line of column names ("no vifs" when none). */
static bool
add_devs(struct table *t, const struct view_domain *d, enum devrows_kind dev)
{
	size_t n = devrows_count(d, dev);

	if (!add_line(t, d, TABLE_DEV_HEADER, dev, 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!add_line(t, d, TABLE_DEV, dev, i))
			return false;
	return true;
}

/* Lines from rows: each domain, and the expanded devices of the selected one. */
static int
build_lines(struct table *t)
{
	t->n_lines = 0;
	for (size_t i = 0; i < t->n_rows; i++) {
		const struct view_domain *d = t->rows[i];
		bool sel = t->has_sel && i == t->sel;

		if (!add_line(t, d, TABLE_DOMAIN, DEVROWS_VCPU, 0))
			return -1;
		if (sel && t->show_vcpus && !add_devs(t, d, DEVROWS_VCPU))
			return -1;
		if (sel && t->show_vifs && !add_devs(t, d, DEVROWS_VIF))
			return -1;
		if (sel && t->show_vbds && !add_devs(t, d, DEVROWS_VBD))
			return -1;
	}
	return 0;
}

/* Selects row i (clamped) and follows its domain from now on. */
static int
select_row(struct table *t, size_t i)
{
	if (t->n_rows == 0)
		return 0;
	if (i >= t->n_rows)
		i = t->n_rows - 1;
	t->sel = i;
	t->has_sel = true;
	t->sel_domid = t->rows[i]->raw->domid;
	return build_lines(t);
}

int
table_rebuild(struct table *t, const struct view *v, const struct column_sort *s)
{
	size_t n = 0;

	if (mem_grow((void **)&t->rows, &t->cap_rows, v->n, sizeof t->rows[0], NULL) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (table_name_matches(&v->doms[i], t->filter))
			t->rows[n++] = &v->doms[i];
	t->n_rows = n;
	t->nr_pcpus = v->cur != NULL ? v->cur->host.nr_pcpus : 0;
	columns_sort(t->rows, n, s->id, s->reverse);
	if (n == 0) {
		/* nothing to show: the selected domain is kept for when rows come back */
		t->n_lines = 0;
		return 0;
	}
	for (size_t i = 0; t->has_sel && i < n; i++) {
		if (t->rows[i]->raw->domid == t->sel_domid) {
			t->sel = i;
			return build_lines(t);
		}
	}
	/* it went away, or is filtered out, or nothing was selected: the same place */
	return select_row(t, t->has_sel ? t->sel : 0);
}

const struct view_domain *
table_selected(const struct table *t)
{
	return t->has_sel && t->sel < t->n_rows ? t->rows[t->sel] : NULL;
}

void
table_move(struct table *t, long delta)
{
	long to = (long)t->sel + delta;

	if (t->n_rows == 0)
		return;
	select_row(t, to < 0 ? 0 : (size_t)to);   /* out of memory: fewer device lines */
}

void
table_home(struct table *t)
{
	select_row(t, 0);
	t->top = 0;
}

void
table_end(struct table *t)
{
	if (t->n_rows > 0)
		select_row(t, t->n_rows - 1);
}

void
table_page(struct table *t, int dir)
{
	long page = t->height > 2 ? t->height - 1 : 1;

	table_move(t, dir < 0 ? -page : page);
}

bool
table_search(struct table *t, const char *text, size_t from)
{
	for (size_t k = 0; k < t->n_rows; k++) {
		size_t i = (from + k) % t->n_rows;

		if (table_name_matches(t->rows[i], text)) {
			select_row(t, i);
			return true;
		}
	}
	return false;
}

/* ---- drawing ---- */

/* Keeps the selected domain, and as many of its device lines as fit, in view. */
static void
scroll_to_selection(struct table *t, size_t body)
{
	size_t first = 0, last;

	for (size_t i = 0; i < t->n_lines; i++) {
		if (t->lines[i].kind == TABLE_DOMAIN && t->lines[i].d == table_selected(t)) {
			first = i;
			break;
		}
	}
	last = first;
	while (last + 1 < t->n_lines && t->lines[last + 1].kind != TABLE_DOMAIN)
		last++;
	if (body == 0)
		return;
	if (last >= t->top + body)
		t->top = last - body + 1;
	if (first < t->top || first >= t->top + body)
		t->top = first;
	if (t->n_lines <= body)
		t->top = 0;
	else if (t->top > t->n_lines - body)
		t->top = t->n_lines - body;
}

static enum theme_role
cell_role(enum column_id id, const struct view_domain *d)
{
	unsigned st = d->raw->state;

	if (id == COL_STATE) {
		if (st & (DOM_CRASHED | DOM_DYING))
			return THEME_BAD;
		if (st & DOM_PAUSED)
			return THEME_PAUSED;
		if (st & DOM_RUNNING)
			return THEME_RUNNING;
	}
	if (id == COL_USE && d->has_rates && d->ent_pct > 0 && d->use > 1.0)
		return THEME_USE_HIGH;
	return THEME_NORMAL;
}

static void
draw_header(struct crt *c, int y, const struct column_layout *l, const struct column_sort *s)
{
	char buf[COLUMN_TEXT_MAX];
	int x = 0;

	crt_fill(c, y, 0, c->cols, THEME_COLUMN_HEADER);
	for (size_t i = 0; i < l->n; i++) {
		const struct column *col = columns_get(l->ids[i]);

		columns_fit(buf, sizeof buf, col->header, l->widths[i], !col->left);
		crt_put(c, y, x, col->id == s->id ? THEME_COLUMN_SORT : THEME_COLUMN_HEADER,
		        buf, l->widths[i]);
		x += l->widths[i] + 1;
	}
}

static void
draw_domain(struct crt *c, int y, const struct view_domain *d, bool selected,
            const struct column_layout *l)
{
	enum theme_role row = selected ? THEME_SELECTED : THEME_NORMAL;
	char buf[COLUMN_TEXT_MAX];
	int x = 0;

	crt_fill(c, y, 0, c->cols, row);
	for (size_t i = 0; i < l->n; i++) {
		const struct column *col = columns_get(l->ids[i]);

		columns_cell(col, d, l->widths[i], buf, sizeof buf);
		crt_put(c, y, x, selected ? row : cell_role(col->id, d), buf, l->widths[i]);
		x += l->widths[i] + 1;
	}
}

void
table_draw(struct table *t, struct crt *c, int y, int h, const struct column_layout *l,
           const struct column_sort *s)
{
	size_t body = h > 1 ? (size_t)(h - 1) : 0;

	if (h <= 0)
		return;
	draw_header(c, y, l, s);
	t->height = (int)body;
	scroll_to_selection(t, body);
	for (size_t i = 0; i < body; i++) {
		size_t at = t->top + i;
		const struct table_line *ln = at < t->n_lines ? &t->lines[at] : NULL;
		int row = y + 1 + (int)i;

		if (ln == NULL)
			crt_fill(c, row, 0, c->cols, THEME_NORMAL);
		else if (ln->kind == TABLE_DOMAIN)
			draw_domain(c, row, ln->d, ln->d == table_selected(t), l);
		else if (ln->kind == TABLE_DEV_HEADER)
			devrows_draw_header(c, row, ln->d, ln->dev);
		else
			devrows_draw(c, row, ln->d, ln->dev, ln->sub, t->nr_pcpus);
	}
}
