/*
 * ui.c: the console's state from the options and config (columns, sort,
 * theme: a bad name gets a message and the default, never a stop), the
 * message line, and the drawing of one whole screen.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "backend/loop.h"
#include "backend/str.h"
#include "backend/throttle.h"
#include "tui/keys.h"
#include "tui/ui.h"

void
ui_message(struct ui *u, bool error, const char *fmt, ...)
{
	char raw[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* messages carry domain names and backend errors: sanitise them here, once */
	str_sanitize(u->message, sizeof u->message, raw);
	u->message_error = error;
	u->message_ns = loop_now_ns();
}

/* An operator's message stays this long before news may replace it. */
#define UI_MESSAGE_HOLD_NS (3 * 1000000000ull)
/* A library that says the same at every sample is shown saying it once a minute. */
#define UI_NOTICE_REPEAT_NS (60 * 1000000000ull)

void
ui_take_news(struct ui *u)
{
	const struct sample_host *h = &u->a->cur.host;
	char text[ERR_MSG_MAX];
	bool quiet = u->message[0] == '\0' || loop_now_ns() - u->message_ns >= UI_MESSAGE_HOLD_NS;

	if (hv_take_notice(u->a->hv, text, sizeof text) > 0 &&
	    (strcmp(text, u->notice_shown) != 0 ||
	     loop_now_ns() - u->notice_shown_ns >= UI_NOTICE_REPEAT_NS))
		str_copy(u->notice, text, sizeof u->notice);
	if (!h->io_delay_off) {
		u->said_iow_off = false;
	} else if (!u->said_iow_off && quiet) {
		ui_message(u, false, "IOW%% off: kernel.task_delayacct=0 (turn on: "
		           "sysctl kernel.task_delayacct=1)");
		u->said_iow_off = true;
		return;
	}
	if (u->notice[0] != '\0' && quiet) {
		ui_message(u, true, "%s", u->notice);
		str_copy(u->notice_shown, u->notice, sizeof u->notice_shown);
		u->notice_shown_ns = loop_now_ns();
		u->notice[0] = '\0';
	}
}

/*
 * A start-up problem (config, columns, sort, theme): kept for the help screen;
 * the message line shows the first and how many there are.
 */
static void
ui_problem(struct ui *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
ui_problem(struct ui *u, const char *fmt, ...)
{
	char *p = u->problems[u->n_problems < UI_MAX_PROBLEMS ? u->n_problems : UI_MAX_PROBLEMS - 1];
	va_list ap;

	if (u->n_problems < UI_MAX_PROBLEMS) {
		va_start(ap, fmt);
		vsnprintf(p, ERR_MSG_MAX, fmt, ap);
		va_end(ap);
	}
	u->n_problems++;
	if (u->n_problems == 1)
		ui_message(u, true, "%s", u->problems[0]);
	else
		ui_message(u, true, "%zu problems at start-up (F1 lists them): %s", u->n_problems,
		           u->problems[0]);
}

static void
ui_init_columns(struct ui *u)
{
	const struct app *a = u->a;
	const char *text = a->opt.columns ? a->opt.columns : a->cfg.columns;
	const char *where = a->opt.columns ? "--columns" : a->cfg.columns_where;
	struct err e;

	columns_default(&u->cols);
	if (text != NULL && *text != '\0' && columns_parse_list(text, &u->cols, &e) < 0)
		ui_problem(u, "%s: %s; showing the default columns",
		           *where ? where : "config", e.msg);
}

static void
ui_init_sort(struct ui *u)
{
	const struct app *a = u->a;
	const char *text = a->opt.sort ? a->opt.sort : a->cfg.sort;
	const char *where = a->opt.sort ? "--sort" : a->cfg.sort_where;
	struct err e;

	columns_sort_default(&u->sort);
	if (text != NULL && *text != '\0' && columns_parse_sort(text, &u->sort, &e) < 0)
		ui_problem(u, "%s: %s; sorting by CPU%%", *where ? where : "config", e.msg);
}

static bool
ui_cfg_warned(const struct app *a, const char *msg)
{
	for (size_t i = 0; i < a->cfg.n_warnings; i++)
		if (strcmp(a->cfg.warnings[i], msg) == 0)
			return true;
	return false;
}

void
ui_init(struct ui *u, struct app *a)
{
	memset(u, 0, sizeof *u);
	u->a = a;
	table_init(&u->table);
	theme_init(&u->theme);
	theme_exe_dir(u->exe_dir, sizeof u->exe_dir);
	u->vif_sel = -1;
	for (size_t i = 0; i < a->cfg.n_warnings; i++)
		ui_problem(u, "%s", a->cfg.warnings[i]);
	/* the throttle registry's problems, unless app_open passed them on as config warnings */
	for (size_t i = 0; a->actions != NULL && action_warning(a->actions, i) != NULL; i++)
		if (!ui_cfg_warned(a, action_warning(a->actions, i)))
			ui_problem(u, "%s", action_warning(a->actions, i));
	if (u->n_problems == 0 && a->actions != NULL && action_start_note(a->actions) != NULL)
		ui_message(u, false, "%s", action_start_note(a->actions));
	ui_init_columns(u);
	ui_init_sort(u);
}

void
ui_free(struct ui *u)
{
	flowview_free(u);
	table_free(&u->table);
}

void
ui_load_theme(struct ui *u)
{
	const struct app *a = u->a;
	const char *name = a->opt.theme ? a->opt.theme : a->cfg.theme;
	bool asked = name != NULL && *name != '\0';
	struct theme_diag d = { 0 };
	struct err e;

	if (!asked)
		name = "default";
	if (!u->crt.colour && strcmp(name, "mono") != 0) {
		if (asked && strcmp(name, "default") != 0)
			ui_problem(u, "this terminal has no colours: theme mono instead of '%s'", name);
		name = "mono";
	}
	if (theme_load(&u->theme, name, u->exe_dir, &d, &e) < 0) {
		theme_init(&u->theme);
		ui_problem(u, "%s%s; using the built-in monochrome style",
		           a->opt.theme ? "--theme: " : "config theme: ", e.msg);
	} else {
		for (size_t i = 0; i < d.n; i++)
			ui_problem(u, "%s", d.msg[i]);
		if (d.total > d.n)
			ui_problem(u, "%s: %zu more bad lines", u->theme.path, d.total - d.n);
	}
	crt_apply_theme(&u->crt, &u->theme);
}

void
ui_rebuild(struct ui *u)
{
	const struct view_domain *d;

	if (table_rebuild(&u->table, &u->a->view, &u->sort) < 0)
		ui_message(u, true, "out of memory listing %zu domains", u->a->view.n);
	/* the vif selection belongs to one domain and stays within its vifs */
	d = table_selected(&u->table);
	if (d == NULL || !u->table.show_vifs || d->raw->domid != u->vif_sel_domid)
		u->vif_sel = -1;
	else if (u->vif_sel >= (int)d->raw->n_vifs)
		u->vif_sel = (int)d->raw->n_vifs - 1;
	if (d != NULL)
		u->vif_sel_domid = d->raw->domid;
}

const struct view_domain *
ui_selected_vif(struct ui *u, int *devid)
{
	const struct view_domain *d = table_selected(&u->table);

	*devid = -1;
	if (d != NULL && u->table.show_vifs && u->vif_sel >= 0 && u->vif_sel < (int)d->raw->n_vifs
	    && d->raw->domid == u->vif_sel_domid)
		*devid = (int)d->raw->vifs[u->vif_sel].devid;
	return d;
}

void
ui_run_throttle(struct ui *u, enum action_kind kind, const char *arg)
{
	struct action act;
	struct action_result res;

	action_make(&act, kind, u->thr_domid, arg);
	act.devid = u->thr_devid;
	action_run(u->a->actions, &u->a->cur, &act, &res);
	ui_message(u, !res.ok, "%s", res.msg);
	console_throttles_changed(u);
}

void
ui_sort_by(struct ui *u, enum column_id id)
{
	const struct column *c = columns_get(id);
	bool big_first;

	if (u->sort.id == id) {
		u->sort.reverse = !u->sort.reverse;
	} else {
		u->sort.id = id;
		u->sort.reverse = false;
	}
	big_first = c->desc != u->sort.reverse;
	ui_message(u, false, "sorted by %s, %s", c->name,
	           c->left ? (big_first ? "Z to A" : "A to Z")
	                   : (big_first ? "largest first" : "smallest first"));
	ui_rebuild(u);
}

static void
draw_message(struct ui *u, int y)
{
	enum theme_role r = u->message_error ? THEME_ERROR : THEME_MESSAGE;

	crt_fill(&u->crt, y, 0, u->crt.cols, THEME_MESSAGE);
	if (u->message[0] != '\0' && !u->prompt.active)
		crt_put(&u->crt, y, 0, r, u->message, u->crt.cols);
}

static void
draw_too_small(struct ui *u)
{
	char text[64];

	snprintf(text, sizeof text, "terminal too small (%dx%d)", u->crt.cols, u->crt.rows);
	crt_put(&u->crt, 0, 0, THEME_ERROR, text, u->crt.cols);
}

/* What the registry and the backend add to vif line i of d. */
static void
vif_note(struct ui *u, const struct view_domain *d, size_t i, bool selected,
         struct devrows_vif_note *n, char *ifname, size_t len)
{
	const struct sample_vif *v = &d->raw->vifs[i];
	const struct throttle_entry *t;
	struct err e;

	memset(n, 0, sizeof *n);
	n->selected = selected;
	n->real = hv_vif_ifname(u->a->hv, d->raw->domid, v->devid, ifname, len, &e) == 0;
	n->ifname = ifname;
	t = action_throttle_find(u->a->actions, d->raw->name, v->devid);
	if (t != NULL) {
		n->wanted = true;
		n->want_to_bps = t->to_guest_bps;
		n->want_from_bps = t->from_guest_bps;
		n->left_s = t->expires > 0 ? t->expires - (int64_t)time(NULL) : 0;
		if (t->expires > 0 && n->left_s < 1)
			n->left_s = 1;      /* lifted at the next expiry check */
	}
}

/*
 * Draws the vif lines on the screen again with what only the console knows:
 * the sticky throttle and its expiry, a missing interface, the selected vif.
 */
static void
draw_vif_lines(struct ui *u, int y)
{
	const struct table *t = &u->table;
	const struct view_domain *sel = table_selected(t);
	char ifname[SAMPLE_DEV_MAX];

	for (int i = 0; i < t->height; i++) {
		size_t at = t->top + (size_t)i;
		const struct table_line *ln = at < t->n_lines ? &t->lines[at] : NULL;
		struct devrows_vif_note n;

		if (ln == NULL || ln->kind != TABLE_DEV || ln->dev != DEVROWS_VIF)
			continue;
		vif_note(u, ln->d, ln->sub, ln->d == sel && u->vif_sel == (int)ln->sub, &n, ifname,
		         sizeof ifname);
		devrows_draw_vif(&u->crt, y + 1 + i, ln->d, ln->sub, &n);
	}
}

void
ui_draw(struct ui *u)
{
	struct crt *c = &u->crt;
	struct column_layout l;
	int y, msg_y = c->rows - 2;

	if (conattach_active(u))
		return;         /* a console child owns the terminal: nothing may be drawn */
	erase();
	if (c->rows < 6 || c->cols < 20) {
		draw_too_small(u);
	} else if (u->mode == UI_HELP) {
		help_draw(u, 0, c->rows - 1);
		keys_draw_bar(c, c->rows - 1);
	} else if (u->mode == UI_FLOWS) {
		y = header_draw(u, 0);
		flowview_draw(u, y, msg_y - y);
		draw_message(u, msg_y);
		keys_draw_bar(c, c->rows - 1);
		if (u->prompt.active)
			prompt_draw(&u->prompt, c, msg_y);
	} else {
		y = header_draw(u, 0);
		columns_layout(&u->cols, c->cols, &l);
		table_draw(&u->table, c, y, msg_y - y, &l, &u->sort);
		if (msg_y - y > 1)
			draw_vif_lines(u, y);
		if (u->mode == UI_SORT_MENU)
			sortmenu_draw(u, y, msg_y - y);
		if (u->mode == UI_THROTTLE_MENU)
			thrmenu_draw(u, y, msg_y - y);
		draw_message(u, msg_y);
		keys_draw_bar(c, c->rows - 1);
		if (u->prompt.active)
			prompt_draw(&u->prompt, c, msg_y);   /* last: it places the cursor */
	}
	curs_set(u->prompt.active ? 1 : 0);
	refresh();
}
