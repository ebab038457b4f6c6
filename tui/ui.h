/*
 * ui.h: the state of the full-screen console, shared by its parts: the
 * event wiring (console.c), the key functions (keys.c), the prompt
 * (prompt.c), the help screen (help.c), the sort menu (sortmenu.c), the
 * table (table.c) and the header (header.c), the throttle menu (thrmenu.c),
 * the flow view (flowview.c) and the console attach (conattach.c). ui.c sets it up from the options and
 * config and draws the whole screen.
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

enum ui_mode { UI_TABLE, UI_HELP, UI_SORT_MENU, UI_THROTTLE_MENU, UI_FLOWS };

/* What the open prompt asks for. */
enum ui_ask {
	UI_ASK_NONE,
	UI_ASK_SEARCH,
	UI_ASK_FILTER,
	UI_ASK_DELAY,
	UI_ASK_ACTION,          /* ask_kind on ask_domid */
	UI_ASK_THROTTLE,        /* any rate for the throttle menu's target */
};

struct flowview;

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
	uint64_t message_ns;    /* when it was set (loop clock) */
	char notice[ERR_MSG_MAX];   /* the backend's news, waiting for a quiet message line */
	char notice_shown[ERR_MSG_MAX];   /* the last news shown, and when: */
	uint64_t notice_shown_ns;         /* the same again is not news for a minute */
	bool said_iow_off;      /* that IOW% is off was said (until accounting is back) */
	/* bad options, config lines, theme lines found at start-up; the help lists them */
	char problems[UI_MAX_PROBLEMS][ERR_MSG_MAX];
	size_t n_problems;                /* all of them, even past UI_MAX_PROBLEMS */
	char exe_dir[512];
	int sample_timer;       /* loop timer ids, 0 = none */
	int tick_timer;
	int expire_timer;       /* at the next throttle expiry */
	bool quit;
	/* with N: the selected vif line of the selected domain; -1 = the domain's own row */
	int vif_sel;
	uint32_t vif_sel_domid;
	/* the throttle menu (t): its target and entries */
	uint32_t thr_domid;
	int thr_devid;          /* -1: every vif of the domain */
	char thr_target[SAMPLE_NAME_MAX * 2 + 16];   /* "web1" or "web1 vif 0", sanitised */
	char thr_now[256];      /* the throttle in place when it opened */
	struct flowview *flows; /* the flow view's captures (F); allocated once */
	struct conattach *con;  /* the attached console (C): its child owns the terminal; or NULL */
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
/*
 * After a sample: what the backend's libraries said (hv_take_notice) and
 * that the host does not account IO delay, on the message line; news waits
 * while the message line shows something the operator caused moments ago.
 */
void ui_take_news(struct ui *u);
/* Rebuilds the table from the current view (after a sample, sort or filter change). */
void ui_rebuild(struct ui *u);
/* Sorts by a column; the column it already sorts by is reversed instead. */
void ui_sort_by(struct ui *u, enum column_id id);
/* Draws the whole screen and sends it to the terminal. */
void ui_draw(struct ui *u);

/* Defined in console.c: a new sample timer after the delay changed. */
void console_reschedule(struct ui *u);
/* Defined in console.c: the throttles changed (an action, an undo): a new expiry timer. */
void console_throttles_changed(struct ui *u);
/*
 * Defined in console.c: stops / starts reading the terminal in the loop
 * (while a console child owns it).
 */
void console_release_terminal(struct ui *u);
int console_take_terminal(struct ui *u, struct err *e);

/*
 * The selected domain and, with N, the selected vif (*devid = -1 when the
 * domain's own row is selected). NULL when nothing is selected.
 */
const struct view_domain *ui_selected_vif(struct ui *u, int *devid);
/* Runs a throttle or unthrottle on the menu's target; says what happened. */
void ui_run_throttle(struct ui *u, enum action_kind kind, const char *arg);

/* thrmenu.c: the throttle menu (t) over the table. */
void thrmenu_open(struct ui *u, const struct view_domain *d, int devid);
void thrmenu_draw(struct ui *u, int y, int h);
void thrmenu_key(struct ui *u, int key);

/* flowview.c: the flow view (F) of a domain's or a vif's traffic. */
void flowview_open(struct ui *u, const struct view_domain *d, int devid);
void flowview_close(struct ui *u);
void flowview_free(struct ui *u);
void flowview_draw(struct ui *u, int y, int h);
void flowview_key(struct ui *u, int key);

/*
 * conattach.c: the console attach (C). start attaches the console of d (it
 * returns at once: the loop goes on, nothing is drawn until the console
 * exits); close, at exit, ends an attached console and reaps it.
 */
struct conattach;
void conattach_start(struct ui *u, const struct view_domain *d);
bool conattach_active(const struct ui *u);
void conattach_close(struct ui *u);

/* help.c and sortmenu.c: their screens and keys. */
void help_draw(struct ui *u, int y, int h);
void help_key(struct ui *u, int key);
void sortmenu_open(struct ui *u);
void sortmenu_draw(struct ui *u, int y, int h);
void sortmenu_key(struct ui *u, int key);

/* header.c: the host summary from line y; returns the lines it used. */
int header_draw(struct ui *u, int y);

#endif
