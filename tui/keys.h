/*
 * keys.h: the console's key table, as htop's Action table: each entry maps
 * one or more keys to a function and a line of help. The help screen and the
 * bottom key bar are generated from it, so they cannot go stale.
 *
 * A key is an int: a character as its Unicode code point, or a curses key
 * code (KEY_UP, KEY_F(1), ...) wrapped in KEYS_FN so the two never collide.
 */
#ifndef DOMTOP_KEYS_H
#define DOMTOP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/crt.h"

#define KEYS_FN(k)    (0x1000000 | (k))
#define KEYS_IS_FN(k) (((k) & 0x1000000) != 0)
#define KEYS_CTRL(c)  ((c) & 0x1f)
#define KEYS_ESC      27
#define KEYS_MAX_PER  6

struct ui;

struct keydef {
	int keys[KEYS_MAX_PER];     /* 0-terminated */
	const char *help;           /* one line for the help screen */
	const char *bar;            /* label in the bottom bar, NULL: not there */
	void (*fn)(struct ui *u, int key);
};

/* The table, in help order. */
const struct keydef *keys_table(size_t *n);
/* Reads one key without waiting; false when none is pending. */
bool keys_read(int *key);
/* A key as people write it: "F1", "Up", "PgDn", "Ctrl-L", "/", "q". */
void keys_name(int key, char *buf, size_t len);
/* Every key of an entry, space-separated: "F1 h ?". */
void keys_names(const struct keydef *k, char *buf, size_t len);
/* Runs the function bound to key; false when nothing is bound. */
bool keys_dispatch(struct ui *u, int key);
/* Gives a key to the open prompt and acts on the answer (search, filter, delay, action). */
void keys_prompt(struct ui *u, int key);
/* The bottom bar at line y, htop-style: key, then its label. */
void keys_draw_bar(struct crt *c, int y);

#endif
