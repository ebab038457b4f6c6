/*
 * sortmenu.c: the sort menu (F6, s), as htop's: a list of every column over
 * the left of the table; Up/Down choose, Enter sorts by it (the current sort
 * column again reverses the order), Esc leaves.
 */
#include <stdio.h>

#include "tui/keys.h"
#include "tui/ui.h"

#define MENU_WIDTH 30

void
sortmenu_open(struct ui *u)
{
	u->mode = UI_SORT_MENU;
	u->menu_at = (size_t)u->sort.id;
}

void
sortmenu_draw(struct ui *u, int y, int h)
{
	struct crt *c = &u->crt;
	int w = c->cols < MENU_WIDTH ? c->cols : MENU_WIDTH;

	if (h < 2)
		return;
	crt_fill(c, y, 0, w, THEME_HELP_TITLE);
	crt_put(c, y, 1, THEME_HELP_TITLE, "Sort by (Enter, Esc)", w - 1);
	for (int i = 0; i < COL_COUNT && i + 1 < h; i++) {
		const struct column *col = columns_get((enum column_id)i);
		enum theme_role r = (size_t)i == u->menu_at ? THEME_MENU_SELECTED : THEME_MENU;
		char line[64];

		if (col->id == u->sort.id)
			snprintf(line, sizeof line, " %-7s %s", col->name,
			         u->sort.reverse ? "(reversed)" : "(current)");
		else
			snprintf(line, sizeof line, " %s", col->name);
		crt_fill(c, y + 1 + i, 0, w, r);
		crt_put(c, y + 1 + i, 0, r, line, w);
	}
}

void
sortmenu_key(struct ui *u, int key)
{
	switch (key) {
	case KEYS_FN(KEY_UP):
		if (u->menu_at > 0)
			u->menu_at--;
		break;
	case KEYS_FN(KEY_DOWN):
		if (u->menu_at + 1 < COL_COUNT)
			u->menu_at++;
		break;
	case KEYS_FN(KEY_HOME):
		u->menu_at = 0;
		break;
	case KEYS_FN(KEY_END):
		u->menu_at = COL_COUNT - 1;
		break;
	case '\r':
	case '\n':
	case ' ':
	case KEYS_FN(KEY_ENTER):
		u->mode = UI_TABLE;
		ui_sort_by(u, (enum column_id)u->menu_at);
		break;
	case KEYS_ESC:
	case 'q':
	case 's':
	case KEYS_FN(KEY_F(6)):
		u->mode = UI_TABLE;
		break;
	}
}
