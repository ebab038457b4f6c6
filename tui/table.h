/*
 * table.h: the domain table of the console: the rows that pass the filter,
 * in sort order; a selection that follows its domain across refreshes and
 * re-sorts; scrolling; and the vif, vcpu and vbd lines expanded under the
 * selected domain (keys N, V, B).
 */
#ifndef DOMTOP_TABLE_H
#define DOMTOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/view.h"
#include "tui/columns.h"
#include "tui/crt.h"
#include "tui/devrows.h"

enum table_line_kind { TABLE_DOMAIN, TABLE_DEV_HEADER, TABLE_DEV };

/* One screen line: a domain, or under it the column names or one of its devices. */
struct table_line {
	const struct view_domain *d;
	enum table_line_kind kind;
	enum devrows_kind dev;  /* TABLE_DEV_HEADER, TABLE_DEV: vcpus, vifs or vbds */
	size_t sub;             /* TABLE_DEV: which one */
};

struct table {
	const struct view_domain **rows;   /* filtered and sorted */
	size_t n_rows, cap_rows;
	struct table_line *lines;
	size_t n_lines, cap_lines;
	size_t sel;             /* selected row, when n_rows > 0 */
	bool has_sel;           /* a domain was selected (there may be no rows now) */
	uint32_t sel_domid;     /* the selected domain, followed across rebuilds */
	size_t top;             /* first line shown */
	int height;             /* lines shown at the last draw */
	bool show_vcpus, show_vifs, show_vbds;
	char filter[128];       /* "" = every domain */
	unsigned nr_pcpus;      /* for affinity lists */
};

void table_init(struct table *t);
void table_free(struct table *t);

/* Rebuilds rows and lines from a view; the selection stays on its domain. Returns -1 when out of memory. */
int table_rebuild(struct table *t, const struct view *v, const struct column_sort *s);

const struct view_domain *table_selected(const struct table *t);
/* Moves the selection by delta rows, clamped. */
void table_move(struct table *t, long delta);
void table_home(struct table *t);
void table_end(struct table *t);
/* Moves by one page (the height of the last draw) up (dir < 0) or down. */
void table_page(struct table *t, int dir);

/* Whether the sanitised name contains text, ignoring case. */
bool table_name_matches(const struct view_domain *d, const char *text);
/*
 * Selects the first row at or after row `from` (wrapping) whose name
 * contains text. Returns false (selection unchanged) when none does.
 */
bool table_search(struct table *t, const char *text, size_t from);

/* Draws the column header at y and the lines below it, h lines in all. */
void table_draw(struct table *t, struct crt *c, int y, int h, const struct column_layout *l,
                const struct column_sort *s);

#endif
