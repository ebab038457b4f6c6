/*
 * keys.c: the key table (see keys.h) and what each key does; the answers
 * to the prompts that keys open (search, filter, delay, action values).
 * A key redraws the screen but never takes a sample: only the timer does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "backend/str.h"
#include "tui/keys.h"
#include "tui/ui.h"

/* ---- selection, sort, expansion ---- */

/*
 * Up and Down with N: through the vif lines of the selected domain too, so
 * that t and F can act on one vif.
 */
static bool
move_in_vifs(struct ui *u, int dir)
{
	const struct view_domain *d = table_selected(&u->table);
	int n = d != NULL ? (int)d->raw->n_vifs : 0;

	if (!u->table.show_vifs || d == NULL)
		return false;
	if (dir > 0 && u->vif_sel + 1 < n) {
		u->vif_sel++;
		u->vif_sel_domid = d->raw->domid;
		return true;
	}
	if (dir < 0 && u->vif_sel >= 0) {
		u->vif_sel--;
		return true;
	}
	return false;
}

static void
key_move(struct ui *u, int key)
{
	if ((key == KEYS_FN(KEY_UP) || key == KEYS_FN(KEY_DOWN))
	    && move_in_vifs(u, key == KEYS_FN(KEY_UP) ? -1 : 1))
		return;
	u->vif_sel = -1;
	switch (key) {
	case KEYS_FN(KEY_UP):    table_move(&u->table, -1); break;
	case KEYS_FN(KEY_DOWN):  table_move(&u->table, 1); break;
	case KEYS_FN(KEY_PPAGE): table_page(&u->table, -1); break;
	case KEYS_FN(KEY_NPAGE): table_page(&u->table, 1); break;
	case KEYS_FN(KEY_HOME):  table_home(&u->table); break;
	case KEYS_FN(KEY_END):   table_end(&u->table); break;
	}
}

/* < and >: the sort moves to the visible column on the left or right. */
static void
key_sort_shift(struct ui *u, int key)
{
	size_t at = 0;

	for (size_t i = 0; i < u->cols.n; i++)
		if (u->cols.ids[i] == u->sort.id)
			at = i;
	if (key == '<' && at > 0)
		at--;
	else if (key == '>' && at + 1 < u->cols.n)
		at++;
	u->sort.id = u->cols.ids[at];
	u->sort.reverse = false;
	ui_rebuild(u);
}

static void
key_sort_shortcut(struct ui *u, int key)
{
	switch (key) {
	case 'P': ui_sort_by(u, COL_CPU); break;
	case 'M': ui_sort_by(u, COL_MEM); break;
	case 'I': ui_sort_by(u, COL_IOW); break;
	case 'T': ui_sort_by(u, COL_NETRX); break;
	}
}

static void
key_sort_menu(struct ui *u, int key)
{
	(void)key;
	sortmenu_open(u);
}

static void
key_expand(struct ui *u, int key)
{
	struct table *t = &u->table;

	if (key == 'N') {
		t->show_vifs = !t->show_vifs;
		u->vif_sel = -1;
	}
	else if (key == 'V')
		t->show_vcpus = !t->show_vcpus;
	else
		t->show_vbds = !t->show_vbds;
	ui_rebuild(u);
}

/* ---- search and filter ---- */

static void
key_search(struct ui *u, int key)
{
	(void)key;
	u->ask = UI_ASK_SEARCH;
	u->search_from = u->table.has_sel ? u->table.sel : 0;
	prompt_start(&u->prompt, "Search: ", NULL);
}

static void
key_next(struct ui *u, int key)
{
	(void)key;
	if (u->search[0] == '\0')
		ui_message(u, false, "no search yet: / searches by name");
	else if (!table_search(&u->table, u->search, u->table.has_sel ? u->table.sel + 1 : 0))
		ui_message(u, true, "no domain name contains '%s'", u->search);
}

static void
key_filter(struct ui *u, int key)
{
	(void)key;
	u->ask = UI_ASK_FILTER;
	str_copy(u->old_filter, u->table.filter, sizeof u->old_filter);
	prompt_start(&u->prompt, "Filter (empty: all): ", u->table.filter);
}

static void
set_filter(struct ui *u, const char *text)
{
	str_copy(u->table.filter, text, sizeof u->table.filter);
	ui_rebuild(u);
}

/* Incremental search: the prompt itself says when nothing matches. */
static void
search_changed(struct ui *u)
{
	const char *text = u->prompt.text;
	bool found = table_search(&u->table, text, u->search_from);

	str_copy(u->prompt.label, found || *text == '\0' ? "Search: " : "Search (no match): ",
	         sizeof u->prompt.label);
	if (!found)
		ui_message(u, true, "no domain name contains '%s'", text);
	else
		ui_message(u, false, "%s", "");
}

static void
filter_done(struct ui *u, bool accepted)
{
	if (!accepted) {
		set_filter(u, u->old_filter);
		return;
	}
	set_filter(u, u->prompt.text);
	if (u->table.filter[0] == '\0')
		ui_message(u, false, "filter cleared: all %zu domains", u->a->view.n);
	else
		ui_message(u, false, "filter '%s': %zu of %zu domains", u->table.filter,
		           u->table.n_rows, u->a->view.n);
}

/* ---- delay ---- */

static void
key_delay(struct ui *u, int key)
{
	char label[128];

	(void)key;
	snprintf(label, sizeof label, "Delay between samples, seconds (0.1..3600) [%g]: ",
	         (double)u->a->interval_ns / 1e9);
	u->ask = UI_ASK_DELAY;
	prompt_start(&u->prompt, label, NULL);
}

static void
delay_done(struct ui *u)
{
	const char *text = u->prompt.text;
	char *end;
	double s;

	if (*text == '\0')
		return;
	s = strtod(text, &end);
	if (end == text || *end != '\0' || !(s >= 0.1 && s <= 3600)) {
		ui_message(u, true, "delay must be seconds from 0.1 to 3600, not '%s'", text);
		return;
	}
	app_set_delay(u->a, s);
	console_reschedule(u);
	ui_message(u, false, "a sample every %g s", (double)u->a->interval_ns / 1e9);
}

/* ---- actions ---- */

static void
run_action(struct ui *u, enum action_kind kind, uint32_t domid, const char *arg)
{
	struct action act;
	struct action_result res;

	action_make(&act, kind, domid, arg);
	action_run(u->a->actions, &u->a->cur, &act, &res);
	ui_message(u, !res.ok, "%s", res.msg);
}

/* t: the throttle menu for the selected domain, or the selected vif (after N). */
static void
key_throttle(struct ui *u, int key)
{
	int devid;
	const struct view_domain *d = ui_selected_vif(u, &devid);

	(void)key;
	if (d == NULL) {
		ui_message(u, true, "no domain selected");
		return;
	}
	if (u->a->opt.read_only) {
		u->thr_domid = d->raw->domid;
		u->thr_devid = devid;
		ui_run_throttle(u, ACTION_THROTTLE, "");   /* refused and audited */
		return;
	}
	thrmenu_open(u, d, devid);
}

/* F: the flow view of the selected domain, or of the selected vif. */
static void
key_flows(struct ui *u, int key)
{
	int devid;
	const struct view_domain *d = ui_selected_vif(u, &devid);

	(void)key;
	if (d == NULL) {
		ui_message(u, true, "no domain selected");
		return;
	}
	flowview_open(u, d, devid);
}

/* The selected domain, or NULL with a message. */
static const struct view_domain *
action_target(struct ui *u)
{
	const struct view_domain *d = table_selected(&u->table);

	if (d == NULL)
		ui_message(u, true, "no domain selected");
	return d;
}

static void
ask_value(struct ui *u, enum action_kind kind, const struct view_domain *d)
{
	char cur[256], name[SAMPLE_NAME_MAX * 2], label[512];
	struct err e;

	if (action_current(u->a->actions, kind, d->raw->domid, cur, sizeof cur, &e) < 0) {
		ui_message(u, true, "%s: %s", action_kind_name(kind), e.msg);
		return;
	}
	str_sanitize(name, sizeof name, d->raw->name);
	if (kind == ACTION_WEIGHT)
		snprintf(label, sizeof label, "Weight of %s (1..65535) [%s]: ", name, cur);
	else if (kind == ACTION_CAP)
		snprintf(label, sizeof label, "Cap of %s, %% of one pCPU (0 = none, max %u) [%s]: ",
		         name, 100 * (d->raw->nr_vcpus ? d->raw->nr_vcpus : 1), cur);
	else if (kind == ACTION_IOPRIO)
		snprintf(label, sizeof label, "IO priority of %s's disk backends: idle, be/0-7, rt/0-7 "
		         "or none [%s]: ", name, cur);
	else
		snprintf(label, sizeof label, "Pin %s: CPULIST or VCPU CPULIST, e.g. 0-3,^2 [%s]: ",
		         name, cur);
	u->ask = UI_ASK_ACTION;
	u->ask_kind = kind;
	u->ask_domid = d->raw->domid;
	prompt_start(&u->prompt, label, NULL);
}

static void
key_action(struct ui *u, int key)
{
	enum action_kind kind = key == 'w' ? ACTION_WEIGHT : key == 'c' ? ACTION_CAP :
	                        key == 'i' ? ACTION_IOPRIO : ACTION_PIN;
	const struct view_domain *d = action_target(u);

	if (d == NULL)
		return;
	if (u->a->opt.read_only) {
		/* the action context refuses and audits the attempt: no value to type in vain */
		run_action(u, kind, d->raw->domid, "");
		return;
	}
	if (kind == ACTION_IOPRIO && d->raw->n_vbds == 0) {
		char name[SAMPLE_NAME_MAX * 2];

		str_sanitize(name, sizeof name, d->raw->name);
		ui_message(u, true, "%s has no vbds: no disk backend to set", name);
		return;
	}
	ask_value(u, kind, d);
}

static void
key_pause(struct ui *u, int key)
{
	const struct view_domain *d = action_target(u);
	char name[SAMPLE_NAME_MAX * 2], q[256];
	bool paused;

	(void)key;
	if (d == NULL)
		return;
	paused = (d->raw->state & DOM_PAUSED) != 0;
	u->ask_kind = paused ? ACTION_UNPAUSE : ACTION_PAUSE;
	u->ask_domid = d->raw->domid;
	if (u->a->opt.read_only) {
		run_action(u, u->ask_kind, u->ask_domid, "");
		return;
	}
	str_sanitize(name, sizeof name, d->raw->name);
	snprintf(q, sizeof q, "%s %s (id %u)? y/n ", paused ? "Unpause" : "Pause", name,
	         (unsigned)d->raw->domid);
	u->ask = UI_ASK_ACTION;
	prompt_start_confirm(&u->prompt, q);
}

/* C: the console of the selected domain; the table comes back when it exits (Ctrl-]). */
static void
key_console(struct ui *u, int key)
{
	const struct view_domain *d = action_target(u);

	(void)key;
	if (d != NULL)
		conattach_start(u, d);     /* refuses (and audits) with --read-only */
}

static void
key_undo(struct ui *u, int key)
{
	struct action_result res;

	(void)key;
	action_undo(u->a->actions, &u->a->cur, &res);
	ui_message(u, !res.ok, "%s", res.msg);
	console_throttles_changed(u);
}

static void
action_done(struct ui *u)
{
	if (u->prompt.text[0] == '\0' && !u->prompt.confirm) {
		ui_message(u, false, "%s unchanged", action_kind_name(u->ask_kind));
		return;
	}
	run_action(u, u->ask_kind, u->ask_domid, u->prompt.text);
}

/* ---- screens ---- */

static void
key_help(struct ui *u, int key)
{
	(void)key;
	u->mode = UI_HELP;
	u->help_top = 0;
}

static void
key_redraw(struct ui *u, int key)
{
	(void)u;
	(void)key;
	clearok(curscr, TRUE);
}

static void
key_quit(struct ui *u, int key)
{
	(void)key;
	u->quit = true;
	if (u->loop != NULL)
		loop_stop(u->loop);
}

/* ---- the table ---- */

#define F(n) KEYS_FN(KEY_F(n))

static const struct keydef keytab[] = {
	{ { KEYS_FN(KEY_UP), KEYS_FN(KEY_DOWN) }, "select the domain above / below", NULL, key_move },
	{ { KEYS_FN(KEY_PPAGE), KEYS_FN(KEY_NPAGE) }, "move the selection by a page", NULL, key_move },
	{ { KEYS_FN(KEY_HOME), KEYS_FN(KEY_END) }, "select the first / last domain", NULL, key_move },
	{ { F(1), 'h', '?' }, "this help", "Help", key_help },
	{ { '/', F(3) }, "search by name: selects the next match as you type", "Search", key_search },
	{ { 'n' }, "next match of the last search", NULL, key_next },
	{ { '\\', F(4) }, "filter: show only domains whose name contains the text; empty clears",
	  "Filter", key_filter },
	{ { F(6), 's' }, "sort menu: choose a column; choosing the current one reverses",
	  "Sort", key_sort_menu },
	{ { '<', '>' }, "sort by the visible column on the left / right", NULL, key_sort_shift },
	{ { 'P' }, "sort by CPU%; again: reverse", NULL, key_sort_shortcut },
	{ { 'M' }, "sort by MEM; again: reverse", NULL, key_sort_shortcut },
	{ { 'I' }, "sort by IOW%; again: reverse", NULL, key_sort_shortcut },
	{ { 'T' }, "sort by network (NETRX); again: reverse", NULL, key_sort_shortcut },
	{ { 'N' }, "show / hide the vifs of the selected domain: rates, packets, throttle; "
	  "Up/Down then select a vif for t and F", NULL, key_expand },
	{ { 'V' }, "show / hide its vcpus: pCPU, CPU%, affinity", NULL, key_expand },
	{ { 'B' }, "show / hide its vbds: IOPS, throughput, IOW%, oo/s, ioprio, scheduler",
	  NULL, key_expand },
	{ { 'w' }, "set the weight of the selected domain", "Weight", key_action },
	{ { 'c' }, "set its cap (% of one pCPU, 0 = none)", "Cap", key_action },
	{ { 'a' }, "pin its vcpus: CPULIST for all, or VCPU CPULIST (xl syntax, 0-3,^2)",
	  "Pin", key_action },
	{ { 'p' }, "pause or unpause it (asks first)", "Pause", key_pause },
	{ { 'i' }, "IO priority of its disk backends (blkback threads, qemu): idle, be/0-7, "
	  "rt/0-7, none; works where the disk's scheduler is bfq (B shows it)", "IOprio", key_action },
	{ { 't' }, "throttle its vifs, or after N the selected vif: a preset rate, any rate "
	  "(RATE [in|out] [for 2h]), or lift it; both ways, shaped; kept across vif re-creation",
	  "Throttle", key_throttle },
	{ { 'u' }, "undo the last action", "Undo", key_undo },
	{ { 'C' }, "attach its console (xenconsole; a simulated one on the demo host); Ctrl-] "
	  "returns to the table, samples go on meanwhile; refused with --read-only",
	  "Console", key_console },
	{ { 'F' }, "flow view of its vifs, or after N the selected vif: top talkers over 2/10/40 s,"
	  " abuse hints, capture drops", "Flows", key_flows },
	{ { 'd' }, "set the delay between samples", "Delay", key_delay },
	{ { KEYS_CTRL('L') }, "redraw the screen", NULL, key_redraw },
	{ { 'q', F(10) }, "quit", "Quit", key_quit },
};

#undef F

const struct keydef *
keys_table(size_t *n)
{
	*n = sizeof keytab / sizeof keytab[0];
	return keytab;
}

bool
keys_read(int *key)
{
	wint_t wc;
	int r = get_wch(&wc);

	if (r == ERR)
		return false;
	*key = r == KEY_CODE_YES ? KEYS_FN((int)wc) : (int)wc;
	return true;
}

void
keys_name(int key, char *buf, size_t len)
{
	static const struct { int key; const char *name; } names[] = {
		{ KEYS_FN(KEY_UP), "Up" }, { KEYS_FN(KEY_DOWN), "Down" },
		{ KEYS_FN(KEY_LEFT), "Left" }, { KEYS_FN(KEY_RIGHT), "Right" },
		{ KEYS_FN(KEY_PPAGE), "PgUp" }, { KEYS_FN(KEY_NPAGE), "PgDn" },
		{ KEYS_FN(KEY_HOME), "Home" }, { KEYS_FN(KEY_END), "End" },
		{ KEYS_FN(KEY_ENTER), "Enter" }, { KEYS_FN(KEY_BACKSPACE), "Backspace" },
		{ KEYS_ESC, "Esc" }, { ' ', "Space" }, { '\r', "Enter" }, { 0x7f, "Backspace" },
	};
	char u[8] = { 0 };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (names[i].key == key) {
			snprintf(buf, len, "%s", names[i].name);
			return;
		}
	}
	if (KEYS_IS_FN(key) && key - KEYS_FN(KEY_F0) >= 1 && key - KEYS_FN(KEY_F0) <= 63)
		snprintf(buf, len, "F%d", key - KEYS_FN(KEY_F0));
	else if (KEYS_IS_FN(key))
		snprintf(buf, len, "key %d", key & 0xffffff);
	else if (key > 0 && key < 0x20)
		snprintf(buf, len, "Ctrl-%c", key + '@');
	else if (wcrtomb(u, (wchar_t)key, NULL) != (size_t)-1 && str_sanitize(buf, len, u))
		return;
	else
		snprintf(buf, len, "U+%04X", (unsigned)key);
}

void
keys_names(const struct keydef *k, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (int i = 0; i < KEYS_MAX_PER && k->keys[i] != 0 && at + 1 < len; i++) {
		char name[32];

		keys_name(k->keys[i], name, sizeof name);
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? " " : "", name);
	}
}

bool
keys_dispatch(struct ui *u, int key)
{
	char name[32];

	for (size_t i = 0; i < sizeof keytab / sizeof keytab[0]; i++) {
		for (int j = 0; j < KEYS_MAX_PER && keytab[i].keys[j] != 0; j++) {
			if (keytab[i].keys[j] == key) {
				keytab[i].fn(u, key);
				return true;
			}
		}
	}
	keys_name(key, name, sizeof name);
	ui_message(u, false, "%s does nothing here: F1 or ? lists the keys", name);
	return false;
}

void
keys_prompt(struct ui *u, int key)
{
	enum prompt_result r = prompt_key(&u->prompt, key);
	bool accepted = r == PROMPT_ACCEPTED;

	if (r == PROMPT_IGNORED)
		return;
	if (r == PROMPT_EDITED) {
		if (u->ask == UI_ASK_SEARCH)
			search_changed(u);
		else if (u->ask == UI_ASK_FILTER)
			set_filter(u, u->prompt.text);
		return;
	}
	switch (u->ask) {
	case UI_ASK_SEARCH:
		if (accepted && u->prompt.text[0] != '\0')
			str_copy(u->search, u->prompt.text, sizeof u->search);
		break;
	case UI_ASK_FILTER:
		filter_done(u, accepted);
		break;
	case UI_ASK_DELAY:
		if (accepted)
			delay_done(u);
		break;
	case UI_ASK_ACTION:
		if (accepted)
			action_done(u);
		else
			ui_message(u, false, "%s cancelled", action_kind_name(u->ask_kind));
		break;
	case UI_ASK_THROTTLE:
		if (accepted && u->prompt.text[0] != '\0')
			ui_run_throttle(u, ACTION_THROTTLE, u->prompt.text);
		else
			ui_message(u, false, "throttle of %s unchanged", u->thr_target);
		break;
	default:
		break;
	}
	u->ask = UI_ASK_NONE;
}

/* ---- the bottom bar ---- */

static int
bar_entry_width(const struct keydef *k)
{
	char name[32];

	keys_name(k->keys[0], name, sizeof name);
	return columns_text_width(name) + (int)strlen(k->bar) + 1;
}

static int
bar_entry(struct crt *c, int y, int x, const struct keydef *k)
{
	char name[32], label[32];

	keys_name(k->keys[0], name, sizeof name);
	snprintf(label, sizeof label, "%s ", k->bar);
	x += crt_put(c, y, x, THEME_KEY, name, c->cols - x);
	return x + crt_put(c, y, x, THEME_KEY_TEXT, label, c->cols - x);
}

void
keys_draw_bar(struct crt *c, int y)
{
	const struct keydef *last = &keytab[sizeof keytab / sizeof keytab[0] - 1];
	int x = 0, reserve = bar_entry_width(last);

	crt_fill(c, y, 0, c->cols, THEME_KEY_TEXT);
	for (const struct keydef *k = keytab; k < last; k++) {
		if (k->bar == NULL)
			continue;
		if (x + bar_entry_width(k) + reserve > c->cols)
			break;
		x = bar_entry(c, y, x, k);
	}
	if (x + reserve <= c->cols)
		bar_entry(c, y, x, last);
}
