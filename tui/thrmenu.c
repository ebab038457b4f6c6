/*
 * thrmenu.c: the throttle menu (t), over the left of the table like the sort
 * menu: the preset rates of the config ([throttle] presets), "other rate..."
 * (a prompt for any tc rate, "in"/"out", and "for 2h"), and "lift
 * throttle". Its target is the selected domain (every vif) or, after N, the
 * selected vif. Up/Down and Enter, or the key shown on each line; Esc leaves.
 * What is chosen runs as a throttle action: audited, and u undoes it.
 */
#include <stdio.h>
#include <string.h>

#include "backend/rate.h"
#include "backend/str.h"
#include "backend/throttle.h"
#include "tui/keys.h"
#include "tui/ui.h"

#define THRMENU_WIDTH 44

/* Entries: the presets, then "other rate...", then "lift throttle". */
static size_t
thrmenu_count(const struct ui *u)
{
	return u->a->cfg.n_presets + 2;
}

static void
thrmenu_entry(const struct ui *u, size_t i, char *key, char *text, size_t len)
{
	size_t np = u->a->cfg.n_presets;
	char rate[32];

	if (i < np) {
		rate_format(u->a->cfg.presets[i], rate, sizeof rate);
		key[0] = (char)('1' + i);
		snprintf(text, len, "%s both ways", rate);
	} else if (i == np) {
		key[0] = 'o';
		snprintf(text, len, "other rate...");
	} else {
		key[0] = 'l';
		snprintf(text, len, "lift throttle");
	}
	key[1] = '\0';
}

void
thrmenu_open(struct ui *u, const struct view_domain *d, int devid)
{
	char name[SAMPLE_NAME_MAX * 2];
	struct err e;

	str_sanitize(name, sizeof name, d->raw->name);
	u->thr_domid = d->raw->domid;
	u->thr_devid = devid;
	if (devid >= 0)
		snprintf(u->thr_target, sizeof u->thr_target, "%s vif %d", name, devid);
	else
		snprintf(u->thr_target, sizeof u->thr_target, "%s%s", name,
		         d->raw->n_vifs > 1 ? " (all vifs)" : "");
	if (action_current(u->a->actions, ACTION_THROTTLE, d->raw->domid, u->thr_now,
	                   sizeof u->thr_now, &e) < 0)
		str_copy(u->thr_now, "?", sizeof u->thr_now);
	u->menu_at = 0;
	u->mode = UI_THROTTLE_MENU;
}

void
thrmenu_draw(struct ui *u, int y, int h)
{
	struct crt *c = &u->crt;
	int w = c->cols < THRMENU_WIDTH ? c->cols : THRMENU_WIDTH;
	char line[160], key[4], text[64];
	size_t n = thrmenu_count(u);

	if (h < 3)
		return;
	snprintf(line, sizeof line, " Throttle %s", u->thr_target);
	crt_fill(c, y, 0, w, THEME_HELP_TITLE);
	crt_put(c, y, 0, THEME_HELP_TITLE, line, w);
	snprintf(line, sizeof line, " now: %s", u->thr_now);
	crt_fill(c, y + 1, 0, w, THEME_MENU);
	crt_put(c, y + 1, 0, THEME_MENU, line, w);
	for (size_t i = 0; i < n && (int)i + 2 < h; i++) {
		enum theme_role r = i == u->menu_at ? THEME_MENU_SELECTED : THEME_MENU;

		thrmenu_entry(u, i, key, text, sizeof text);
		snprintf(line, sizeof line, " %s  %s", key, text);
		crt_fill(c, y + 2 + (int)i, 0, w, r);
		crt_put(c, y + 2 + (int)i, 0, r, line, w);
	}
	if ((int)n + 2 < h) {
		crt_fill(c, y + 2 + (int)n, 0, w, THEME_HELP_TITLE);
		crt_put(c, y + 2 + (int)n, 0, THEME_HELP_TITLE, " Enter chooses, Esc leaves", w);
	}
}

static void
thrmenu_ask_rate(struct ui *u)
{
	char label[256];

	snprintf(label, sizeof label, "Throttle %s: RATE [in|out|both] [for 2h] (e.g. 20mbit): ",
	         u->thr_target);
	u->ask = UI_ASK_THROTTLE;
	prompt_start(&u->prompt, label, NULL);
}

static void
thrmenu_choose(struct ui *u, size_t i)
{
	size_t np = u->a->cfg.n_presets;
	char rate[32];

	u->mode = UI_TABLE;
	if (i < np) {
		rate_format(u->a->cfg.presets[i], rate, sizeof rate);
		ui_run_throttle(u, ACTION_THROTTLE, rate);
	} else if (i == np) {
		thrmenu_ask_rate(u);
	} else {
		ui_run_throttle(u, ACTION_UNTHROTTLE, "");
	}
}

void
thrmenu_key(struct ui *u, int key)
{
	size_t n = thrmenu_count(u), np = u->a->cfg.n_presets;

	switch (key) {
	case KEYS_FN(KEY_UP):
		if (u->menu_at > 0)
			u->menu_at--;
		return;
	case KEYS_FN(KEY_DOWN):
		if (u->menu_at + 1 < n)
			u->menu_at++;
		return;
	case KEYS_FN(KEY_HOME):
		u->menu_at = 0;
		return;
	case KEYS_FN(KEY_END):
		u->menu_at = n - 1;
		return;
	case '\r':
	case '\n':
	case KEYS_FN(KEY_ENTER):
		thrmenu_choose(u, u->menu_at);
		return;
	case 'o':
		thrmenu_choose(u, np);
		return;
	case 'l':
		thrmenu_choose(u, np + 1);
		return;
	case KEYS_ESC:
	case 'q':
	case 't':
		u->mode = UI_TABLE;
		ui_message(u, false, "throttle of %s unchanged", u->thr_target);
		return;
	}
	if (key >= '1' && key <= '9' && (size_t)(key - '1') < np)
		thrmenu_choose(u, (size_t)(key - '1'));
}
