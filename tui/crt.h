/*
 * crt.h: the terminal, as htop's CRT: curses set up with newterm (so a bad
 * terminal is an error value, not an exit), the attribute of each theme role
 * as a curses attribute with its colour pair, and small drawing helpers that
 * measure text in terminal cells. Without colours only the attributes of the
 * theme are used.
 */
#ifndef DOMTOP_CRT_H
#define DOMTOP_CRT_H

#include <stdbool.h>
#include <stdio.h>

#include <curses.h>

#include "backend/err.h"
#include "tui/theme.h"

struct crt {
	SCREEN *screen;
	FILE *in, *out;
	FILE *null_in;                  /* off-screen: the /dev/null it reads */
	bool colour;                    /* colour pairs are in use */
	int rows, cols;
	attr_t attr[THEME_NROLES];
};

/* Sets up curses on in/out. Fails with a message when they are not a usable terminal. */
int crt_open(struct crt *c, FILE *in, FILE *out, struct err *e);
/*
 * An off-screen terminal of rows x cols writing to out (for the bench and
 * screenshots): the same drawing, without a keyboard or a real terminal.
 */
int crt_open_offscreen(struct crt *c, const char *term, FILE *out, int rows, int cols,
                       struct err *e);
void crt_close(struct crt *c);
/* Makes t's roles the current attributes (colours only when the terminal has them). */
void crt_apply_theme(struct crt *c, const struct theme *t);
/* Re-reads the terminal size after SIGWINCH. */
void crt_resize(struct crt *c);

attr_t crt_attr(const struct crt *c, enum theme_role r);
/* Draws UTF-8 text at (y, x), at most maxw cells; returns the cells drawn. */
int crt_put(struct crt *c, int y, int x, enum theme_role r, const char *text, int maxw);
/* Fills n cells from (y, x) with spaces in role r. */
void crt_fill(struct crt *c, int y, int x, int n, enum theme_role r);

#endif
