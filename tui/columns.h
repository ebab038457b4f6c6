/*
 * columns.h: the columns of the domain table, shared by the full-screen
 * console and batch output, so it knows nothing about curses.
 *
 * Each column has a name as typed in the config, --columns and --sort
 * ("CPU%"), a header, a width, an alignment, a drop priority for narrow
 * terminals, a formatter and a comparator. columns_layout() decides which of
 * the visible columns fit a terminal width: NAME shrinks to its minimum
 * first, then the least important columns go, so nothing wraps and no number
 * is ever cut.
 */
#ifndef DOMTOP_COLUMNS_H
#define DOMTOP_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/err.h"
#include "backend/view.h"

enum column_id {
	COL_ID,
	COL_NAME,
	COL_STATE,
	COL_CPU,
	COL_WEIGHT,
	COL_CAP,
	COL_ENT,
	COL_USE,
	COL_MEM,
	COL_VCPUS,
	COL_NETRX,
	COL_NETTX,
	COL_PPS,
	COL_THR,
	COL_IOW,
	COL_IOPS,
	COL_COUNT
};

/* Longest text a formatter writes, with its NUL (NAME: a sanitised name). */
#define COLUMN_TEXT_MAX 256

struct column {
	enum column_id id;
	const char *name;       /* as typed: "CPU%" (case does not matter) */
	const char *header;     /* header text, at most width columns */
	int width;              /* normal width in terminal cells */
	int min_width;          /* NAME shrinks down to this; others: width */
	int max_width;          /* NAME grows up to this on wide terminals */
	bool left;              /* left-aligned (text); else right (numbers) */
	int priority;           /* higher stays longer on narrow terminals */
	bool desc;              /* natural order is largest first (numbers) */
	const char *help;       /* one line for the help screen and the man page */
	/* Writes the cell's text (unpadded) into buf; numbers always fit width. */
	void (*fmt)(const struct view_domain *, char *buf, size_t len);
	/* Ascending comparison of the column's values. */
	int (*cmp)(const struct view_domain *, const struct view_domain *);
};

/* A list of columns in display order. */
struct column_list {
	size_t n;
	enum column_id ids[COL_COUNT];
};

/* The columns that fit one terminal width, with the width given to each. */
struct column_layout {
	size_t n;
	enum column_id ids[COL_COUNT];
	int widths[COL_COUNT];
	int total;              /* cells used, with one space between columns */
};

/* A sort order: by a column, in its natural order or reversed. */
struct column_sort {
	enum column_id id;
	bool reverse;
};

const struct column *columns_get(enum column_id id);
/* By name, case-insensitive; "CPU" finds "CPU%". NULL when unknown. */
const struct column *columns_find(const char *name);
/* "ID, NAME, STATE, ...": every column name, for messages. */
const char *columns_names(void);

/* Every column, in the default order. */
void columns_default(struct column_list *out);
/*
 * Parses a comma-separated list ("ID,NAME,CPU%"). On error *out is left
 * unchanged and e names the bad column and lists the good ones.
 */
int columns_parse_list(const char *csv, struct column_list *out, struct err *e);

/* The default sort: CPU%, largest first. */
void columns_sort_default(struct column_sort *out);
/* Parses "CPU%" (natural order) or "-CPU%" (reversed). */
int columns_parse_sort(const char *text, struct column_sort *out, struct err *e);

/*
 * Chooses which visible columns fit in width cells: NAME first shrinks to
 * its minimum, then the lowest-priority columns are dropped; spare room lets
 * NAME grow to its maximum. Order is kept.
 */
void columns_layout(const struct column_list *visible, int width, struct column_layout *out);

/*
 * Sorts rows by a column, stable (equal rows keep their order), in the
 * column's natural order (numbers largest first, names A to Z) or reversed.
 */
void columns_sort(const struct view_domain **rows, size_t n, enum column_id by, bool reverse);

/*
 * One cell padded to exactly width cells, aligned as the column says. Text
 * too wide is cut at a character boundary; a number too wide (which the
 * widths are chosen to prevent) becomes '*'s rather than a cut number.
 */
void columns_cell(const struct column *c, const struct view_domain *d, int width,
                  char *buf, size_t len);

/* Display width of a UTF-8 string in terminal cells (invalid bytes count 1). */
int columns_text_width(const char *s);
/* Bytes of the longest prefix of UTF-8 s that fits in width cells (never half a character). */
size_t columns_prefix(const char *s, int width);
/*
 * Copies at most width cells of UTF-8 src into dst, never splitting a
 * character, padded with spaces to exactly width cells (right-aligned when
 * right is set). Returns the cells of src that were kept.
 */
int columns_fit(char *dst, size_t len, const char *src, int width, bool right);

#endif
