/*
 * help.c: the help screen (F1, h, ?). Its list of keys is generated from the
 * key table and its list of columns from the column table, so neither can go
 * stale. Up/Down/PgUp/PgDn/Home/End scroll; any other key returns.
 */
#include <stdio.h>
#include <string.h>

#include "tui/keys.h"
#include "tui/ui.h"

#ifndef DOMTOP_VERSION
#define DOMTOP_VERSION "?"
#endif

#define HELP_KEY_WIDTH 26
#define HELP_MAX_LINES 160

struct help_line {
	enum theme_role role;   /* of key */
	char key[64];
	char text[256];
};

struct help_text {
	struct help_line *l;
	int max, n;             /* n counts lines even past max */
	int width;              /* cells for the text column */
};

static void
put_one(struct help_text *h, enum theme_role role, const char *key, const char *text, size_t len)
{
	if (h->n < h->max) {
		struct help_line *l = &h->l[h->n];

		l->role = role;
		snprintf(l->key, sizeof l->key, "%s", key);
		snprintf(l->text, sizeof l->text, "%.*s", (int)len, text);
	}
	h->n++;
}

/* Bytes of text for one line of at most width cells, broken at a space when it can be. */
static size_t
wrap_at(const char *text, int width)
{
	size_t fit = columns_prefix(text, width), brk;

	if (text[fit] == '\0' || text[fit] == ' ')
		return fit;
	for (brk = fit; brk > 0 && text[brk] != ' '; brk--)
		;
	return brk > 0 ? brk : fit;
}

/* One entry: the key, and its text wrapped over as many lines as it needs. */
static void
put(struct help_text *h, enum theme_role role, const char *key, const char *text)
{
	bool first = true;

	do {
		/* at least 8 cells; at most what a help_line holds */
		size_t n = wrap_at(text, h->width < 8 ? 8 : h->width > 200 ? 200 : h->width);

		put_one(h, role, first ? key : "", text, n);
		text += n;
		while (*text == ' ')
			text++;
		first = false;
	} while (*text != '\0');
}

/* Fills lines (at most max) and returns how many there are. */
static int
help_lines(struct ui *u, struct help_line *lines, int max, int width)
{
	struct help_text h = { lines, max, 0, width };
	const struct keydef *k = NULL;
	char names[64];
	size_t nk;

	put(&h, THEME_HELP_TITLE, "domtop " DOMTOP_VERSION " keys", "");
	k = keys_table(&nk);
	for (size_t i = 0; i < nk; i++) {
		keys_names(&k[i], names, sizeof names);
		put(&h, THEME_HELP_KEY, names, k[i].help);
	}
	put(&h, THEME_HELP_KEY, "In a prompt",
	    "Enter accepts, Esc cancels, Backspace deletes, Ctrl-U clears");
	put(&h, THEME_HELP_KEY, "In the throttle menu",
	    "1-9 a preset rate (config [throttle] presets), o any rate: RATE [in|out|both] "
	    "[for 30m|2h|1d] (in = to the guest), l lifts it; Up/Down and Enter; Esc leaves. "
	    "Throttles are shaped (tbf), kept in the state file, re-applied when the vif is made "
	    "again, lifted when they expire; u undoes");
	put(&h, THEME_HELP_KEY, "In the flow view",
	    "1 2 3 sort by the last 2 s, 10 s, 40 s; Esc or q returns. IN is to the guest, OUT from "
	    "it; hints flag small-packet floods, fan-out (scanning) and outbound SMTP");
	put(&h, THEME_NORMAL, "", "");
	put(&h, THEME_HELP_TITLE, "Columns", "");
	for (int c = 0; c < COL_COUNT; c++) {
		const struct column *col = columns_get((enum column_id)c);

		put(&h, THEME_HELP_KEY, col->name, col->help);
	}
	put(&h, THEME_NORMAL, "", "");
	if (u->n_problems > 0)
		put(&h, THEME_HELP_TITLE, "Problems at start-up", "");
	for (size_t i = 0; i < u->n_problems && i < UI_MAX_PROBLEMS; i++)
		put(&h, THEME_ERROR, "", u->problems[i]);
	if (u->n_problems > UI_MAX_PROBLEMS)
		put(&h, THEME_ERROR, "", "... and more");
	put(&h, THEME_HELP_KEY, "Theme", u->theme.path[0] ? u->theme.path : u->theme.name);
	put(&h, THEME_HELP_KEY, "Actions", u->a->opt.read_only
	    ? "off: domtop runs with --read-only" : "audited; u undoes the last one");
	return h.n;
}

void
help_draw(struct ui *u, int y, int h)
{
	struct help_line lines[HELP_MAX_LINES];
	struct crt *c = &u->crt;
	int keyw = c->cols >= 60 ? HELP_KEY_WIDTH : c->cols / 3;
	int n = help_lines(u, lines, HELP_MAX_LINES, c->cols - keyw - 1), body;

	if (n > HELP_MAX_LINES)
		n = HELP_MAX_LINES;
	body = n > h ? h - 1 : h;   /* room for the scroll hint */
	if (u->help_top > n - body)
		u->help_top = n - body;
	if (u->help_top < 0)
		u->help_top = 0;
	for (int i = 0; i < h; i++) {
		const struct help_line *l = &lines[u->help_top + i];

		crt_fill(c, y + i, 0, c->cols, THEME_NORMAL);
		if (i >= body || u->help_top + i >= n)
			continue;
		crt_put(c, y + i, 1, l->role, l->key, keyw - 2);
		crt_put(c, y + i, keyw, THEME_NORMAL, l->text, c->cols - keyw);
	}
	if (body < h)
		crt_put(c, y + h - 1, 1, THEME_HELP_TITLE,
		        "-- Up/Down/PgUp/PgDn scroll, any other key returns --", c->cols - 1);
}

void
help_key(struct ui *u, int key)
{
	int page = u->crt.rows > 4 ? u->crt.rows - 3 : 1;

	switch (key) {
	case KEYS_FN(KEY_UP):    u->help_top--; break;
	case KEYS_FN(KEY_DOWN):  u->help_top++; break;
	case KEYS_FN(KEY_PPAGE): u->help_top -= page; break;
	case KEYS_FN(KEY_NPAGE): u->help_top += page; break;
	case KEYS_FN(KEY_HOME):  u->help_top = 0; break;
	case KEYS_FN(KEY_END):   u->help_top = HELP_MAX_LINES; break;   /* clamped when drawn */
	default:                 u->mode = UI_TABLE; break;
	}
}
