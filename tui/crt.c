/*
 * crt.c: curses set-up and tear-down, theme roles as attributes, and text
 * drawing measured in cells (see crt.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backend/str.h"
#include "tui/columns.h"
#include "tui/crt.h"

/* newterm and the modes the console runs in; no check that in/out are terminals. */
static int
crt_start(struct crt *c, const char *term, FILE *in, FILE *out, struct err *e)
{
	c->screen = newterm(term, out, in);
	if (c->screen == NULL)
		return err_set(e, "cannot use terminal type '%s' (no terminfo entry?): try "
		                  "TERM=xterm or -b for batch output", term);
	c->in = in;
	c->out = out;
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	if (has_colors() && start_color() == OK)
		c->colour = COLORS >= 8 && COLOR_PAIRS > THEME_NROLES + 1;
	if (c->colour)
		use_default_colors();
	crt_resize(c);
	return 0;
}

int
crt_open(struct crt *c, FILE *in, FILE *out, struct err *e)
{
	const char *term = getenv("TERM");

	memset(c, 0, sizeof *c);
	if (!isatty(fileno(in)) || !isatty(fileno(out)))
		return err_set(e, "the console needs a terminal on standard input and output; "
		                  "use -b for batch output");
	if (term == NULL || *term == '\0')
		return err_set(e, "TERM is not set: set it to your terminal type (e.g. "
		                  "TERM=xterm-256color) or use -b for batch output");
	return crt_start(c, term, in, out, e);
}

int
crt_open_offscreen(struct crt *c, const char *term, FILE *out, int rows, int cols,
                   struct err *e)
{
	memset(c, 0, sizeof *c);
	c->null_in = fopen("/dev/null", "r");
	if (c->null_in == NULL)
		return err_set(e, "cannot open /dev/null for an off-screen terminal");
	if (crt_start(c, term, c->null_in, out, e) < 0) {
		fclose(c->null_in);
		c->null_in = NULL;
		return -1;
	}
	resize_term(rows, cols);
	c->rows = LINES;
	c->cols = COLS;
	return 0;
}

void
crt_close(struct crt *c)
{
	if (c->screen == NULL)
		return;
	curs_set(1);
	endwin();
	delscreen(c->screen);
	c->screen = NULL;
	if (c->null_in != NULL)
		fclose(c->null_in);
	c->null_in = NULL;
}

/* A theme colour the terminal can show: bright ones fall back to bold on 8 colours. */
static short
crt_colour(int colour, attr_t *extra, bool is_fg)
{
	if (colour < 0)
		return -1;
	if (colour < COLORS)
		return (short)colour;
	if (colour < 16) {
		if (is_fg)
			*extra |= A_BOLD;
		return (short)(colour - 8);
	}
	return -1;
}

static attr_t
crt_attrs(unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & THEME_A_BOLD)
		r |= A_BOLD;
	if (a & THEME_A_UNDERLINE)
		r |= A_UNDERLINE;
	if (a & THEME_A_REVERSE)
		r |= A_REVERSE;
	if (a & THEME_A_DIM)
		r |= A_DIM;
	return r;
}

void
crt_apply_theme(struct crt *c, const struct theme *t)
{
	for (int r = 0; r < THEME_NROLES; r++) {
		const struct theme_style *s = &t->roles[r];
		attr_t a = crt_attrs(s->attrs);

		if (c->colour) {
			short fg = crt_colour(s->fg, &a, true);
			short bg = crt_colour(s->bg, &a, false);

			init_pair((short)(r + 1), fg, bg);
			a |= COLOR_PAIR(r + 1);
		}
		c->attr[r] = a;
	}
	bkgdset(' ' | c->attr[THEME_NORMAL]);
}

void
crt_resize(struct crt *c)
{
	struct winsize ws;

	if (ioctl(fileno(c->out), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	c->rows = LINES;
	c->cols = COLS;
}

attr_t
crt_attr(const struct crt *c, enum theme_role r)
{
	return (unsigned)r < THEME_NROLES ? c->attr[r] : A_NORMAL;
}

int
crt_put(struct crt *c, int y, int x, enum theme_role r, const char *text, int maxw)
{
	char clean[1024], buf[1024];
	int tw;

	if (maxw <= 0 || y < 0 || y >= c->rows || x < 0 || x >= c->cols)
		return 0;
	if (maxw > c->cols - x)
		maxw = c->cols - x;
	/* the last line of defence: whatever the caller did, no control byte goes out */
	str_sanitize(clean, sizeof clean, text);
	tw = columns_text_width(clean);
	if (tw < maxw)
		maxw = tw;
	columns_fit(buf, sizeof buf, clean, maxw, false);
	attrset(crt_attr(c, r));
	mvaddstr(y, x, buf);
	return maxw;
}

void
crt_fill(struct crt *c, int y, int x, int n, enum theme_role r)
{
	if (y < 0 || y >= c->rows || x >= c->cols || n <= 0)
		return;
	if (n > c->cols - x)
		n = c->cols - x;
	attrset(crt_attr(c, r));
	move(y, x);
	while (n-- > 0)
		addch(' ');
}
