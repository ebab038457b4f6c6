/*
 * theme.h: colour themes, parsed from plain text files without curses (so
 * the parser can be fuzzed and unit-tested). One role per line:
 *
 *   # comment
 *   selected = black cyan bold
 *   use_high = brightred default bold,underline
 *
 * Colours: default (the terminal's own), the 8 names black red green yellow
 * blue magenta cyan white, their bright variants (brightred, ...; grey is
 * brightblack) and numbers 0-255. Attributes: bold underline reverse dim
 * (comma- or space-separated), or none. A bad line is reported as file:line
 * and a reason and ignored; the other lines still apply. A role the file does
 * not set keeps its built-in style, which uses attributes only, so every role
 * stays visible on any terminal.
 */
#ifndef DOMTOP_THEME_H
#define DOMTOP_THEME_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/err.h"

enum theme_role {
	THEME_NORMAL,           /* table rows and anything not listed */
	THEME_HEADER,           /* the host summary */
	THEME_HEADER_VALUE,     /* numbers in the host summary */
	THEME_COLUMN_HEADER,    /* the line of column names */
	THEME_COLUMN_SORT,      /* the name of the sort column */
	THEME_SELECTED,         /* the selected row */
	THEME_SUBROW,           /* vif, vcpu and vbd lines under a domain */
	THEME_SUBROW_HEADER,    /* the column names above them */
	THEME_RUNNING,          /* state letters of a running domain */
	THEME_PAUSED,           /* ... of a paused domain */
	THEME_BAD,              /* ... of a crashed or dying domain */
	THEME_USE_HIGH,         /* USE above 1.00 */
	THEME_THROTTLED,        /* a throttled vif, an ioprio without effect */
	THEME_MESSAGE,          /* the message line */
	THEME_ERROR,            /* the message line when something failed */
	THEME_PROMPT,           /* a prompt and what is typed */
	THEME_KEY,              /* key names in the bottom bar */
	THEME_KEY_TEXT,         /* their labels */
	THEME_HELP_TITLE,       /* titles of the help screen and sort menu */
	THEME_HELP_KEY,         /* key names on the help screen */
	THEME_MENU,             /* the sort menu */
	THEME_MENU_SELECTED,    /* its highlighted entry */
	THEME_NROLES
};

enum {
	THEME_A_BOLD      = 1 << 0,
	THEME_A_UNDERLINE = 1 << 1,
	THEME_A_REVERSE   = 1 << 2,
	THEME_A_DIM       = 1 << 3,
};

#define THEME_DEFAULT_COLOR (-1)

struct theme_style {
	int fg, bg;             /* THEME_DEFAULT_COLOR or 0..255 */
	unsigned attrs;         /* THEME_A_* */
};

struct theme {
	char name[64];
	char path[512];         /* the file it came from, "" when built in */
	struct theme_style roles[THEME_NROLES];
};

#define THEME_DIAG_MAX 8

/* What was wrong with a theme file: the first few messages and a count. */
struct theme_diag {
	size_t n;               /* messages kept */
	size_t total;           /* all problems found */
	char msg[THEME_DIAG_MAX][ERR_MSG_MAX];
};

/* The built-in style: default colours, attributes only (what mono.theme says). */
void theme_init(struct theme *t);
const char *theme_role_name(enum theme_role r);
/* The role of a name as written in a theme file; -1 when unknown. */
int theme_role_find(const char *name);

/*
 * Applies the lines of a theme text of len bytes onto t (usually after
 * theme_init). name is used in messages ("file:line: reason"). Returns the
 * number of bad lines.
 */
size_t theme_parse(struct theme *t, const char *text, size_t len, const char *name,
                   struct theme_diag *d);

/* Parses a colour or attribute list; false when it is not one. */
bool theme_parse_color(const char *s, int *out);
bool theme_parse_attrs(const char *s, unsigned *out);

/*
 * Finds NAME.theme in $DOMTOP_THEMES, then <exe_dir>/themes (exe_dir may be
 * NULL), then DOMTOP_DATADIR/themes, and parses it onto theme_init(). A NAME
 * with a '/' is taken as a path. Returns -1 (t untouched) when no file is
 * found or it cannot be read; bad lines only go to d.
 */
int theme_load(struct theme *t, const char *name, const char *exe_dir,
               struct theme_diag *d, struct err *e);

/* The directory of the running executable (readlink /proc/self/exe); "" if unknown. */
void theme_exe_dir(char *buf, size_t len);

#endif
