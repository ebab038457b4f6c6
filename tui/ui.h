/*
 * ui.h: the state of the full-screen console, shared by its parts: the
 * event wiring (console.c), the key functions (keys.c), the prompt
 * (prompt.c), the help screen (help.c), the sort menu (sortmenu.c), the
 * table (table.c) and the header (header.c). ui.c sets it up from the
 * options and config and draws the whole screen.
 */
#ifndef DOMTOP_UI_H
#define DOMTOP_UI_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/action.h"
#include "backend/err.h"
#include "backend/loop.h"
#include "tui/app.h"
#include "tui/columns.h"
#include "tui/crt.h"
#include "tui/prompt.h"
#include "tui/table.h"
#include "tui/theme.h"

#define UI_MAX_PROBLEMS 8

enum ui_mode { UI_TABLE, UI_HELP, UI_SORT_MENU };

/* What the open prompt asks for. */
enum ui_ask {
	UI_ASK_NONE,
	UI_ASK_SEARCH,
	UI_ASK_FILTER,
	UI_ASK_DELAY,
	UI_ASK_ACTION,          /* ask_kind on ask_domid */
};

struct ui {
	struct app *a;
	struct loop *loop;      /* NULL when drawing without a loop (bench) */
	struct crt crt;
	struct theme theme;
	struct table table;
	struct prompt prompt;
	enum ui_mode mode;
	enum ui_ask ask;
	enum action_kind ask_kind;
	uint32_t ask_domid;
	size_t search_from;     /* row the incremental search started at */
	char search[PROMPT_TEXT_MAX];    /* last search, for n */
	char old_filter[PROMPT_TEXT_MAX];
	int help_top;           /* first help line shown */
	size_t menu_at;         /* highlighted column in the sort menu */
	struct column_list cols;
	struct column_sort sort;
	char message[ERR_MSG_MAX];
	bool message_error;
	/* bad options, config lines, theme lines found at start-up; the help lists them */
	char problems[UI_MAX_PROBLEMS][ERR_MSG_MAX];
	size_t n_problems;                /* all of them, even past UI_MAX_PROBLEMS */
	char exe_dir[512];
	int sample_timer;       /* loop timer ids, 0 = none */
	int tick_timer;
	bool quit;
};

/*
 * Sets up everything but the terminal: columns, sort and theme from the
 * options and config (a bad one gets a message and its default), the table.
 */
void ui_init(struct ui *u, struct app *a);
void ui_free(struct ui *u);
/* Loads the theme the options and config name, or mono without colours. */
void ui_load_theme(struct ui *u);

/* Shows one line on the message line; error selects the error colours. */
void ui_message(struct ui *u, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Rebuilds the table from the current view (after a sample, sort or filter change). */
void ui_rebuild(struct ui *u);
/* Sorts by a column; the column it already sorts by is reversed instead. */
void ui_sort_by(struct ui *u, enum column_id id);
/* Draws the whole screen and sends it to the terminal. */
void ui_draw(struct ui *u);

/* Defined in console.c: a new sample timer after the delay changed. */
void console_reschedule(struct ui *u);

/* help.c and sortmenu.c: their screens and keys. */
void help_draw(struct ui *u, int y, int h);
void help_key(struct ui *u, int key);
void sortmenu_open(struct ui *u);
void sortmenu_draw(struct ui *u, int y, int h);
void sortmenu_key(struct ui *u, int key);

/* header.c: the host summary from line y; returns the lines it used. */
int header_draw(struct ui *u, int y);

#endif
