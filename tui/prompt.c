/*
 * prompt.c: the one-line editor (see prompt.h).
 */
#include <stdio.h>
#include <string.h>
#include <wctype.h>

#include "backend/str.h"
#include "tui/columns.h"
#include "tui/prompt.h"

void
prompt_start(struct prompt *p, const char *label, const char *initial)
{
	memset(p, 0, sizeof *p);
	p->active = true;
	str_copy(p->label, label, sizeof p->label);
	if (initial != NULL)
		p->len = str_copy(p->text, initial, sizeof p->text);
	if (p->len >= sizeof p->text)
		p->len = strlen(p->text);
}

void
prompt_start_confirm(struct prompt *p, const char *question)
{
	prompt_start(p, question, NULL);
	p->confirm = true;
}

/* Encodes a code point as UTF-8 into out[4]; returns its length, 0 if invalid. */
static size_t
utf8_encode(int cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000) {
		out[0] = (char)(0xf0 | (cp >> 18));
		out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

static enum prompt_result
prompt_append(struct prompt *p, int cp)
{
	char u[4];
	size_t n;

	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || !iswprint((wint_t)cp))
		return PROMPT_IGNORED;
	n = utf8_encode(cp, u);
	if (n == 0 || p->len + n >= sizeof p->text)
		return PROMPT_IGNORED;
	memcpy(p->text + p->len, u, n);
	p->len += n;
	p->text[p->len] = '\0';
	return PROMPT_EDITED;
}

/* Removes the last UTF-8 character. */
static enum prompt_result
prompt_backspace(struct prompt *p)
{
	if (p->len == 0)
		return PROMPT_IGNORED;
	do
		p->len--;
	while (p->len > 0 && ((unsigned char)p->text[p->len] & 0xc0) == 0x80);
	p->text[p->len] = '\0';
	return PROMPT_EDITED;
}

static enum prompt_result
prompt_end(struct prompt *p, enum prompt_result r)
{
	p->active = false;
	return r;
}

enum prompt_result
prompt_key(struct prompt *p, int key)
{
	if (!p->active)
		return PROMPT_IGNORED;
	if (p->confirm)
		return prompt_end(p, key == 'y' || key == 'Y' ? PROMPT_ACCEPTED : PROMPT_CANCELLED);
	switch (key) {
	case '\r':
	case '\n':
	case KEYS_FN(KEY_ENTER):
		return prompt_end(p, PROMPT_ACCEPTED);
	case KEYS_ESC:
		return prompt_end(p, PROMPT_CANCELLED);
	case KEYS_FN(KEY_BACKSPACE):
	case 0x7f:
	case KEYS_CTRL('H'):
		return prompt_backspace(p);
	case KEYS_CTRL('U'):
		if (p->len == 0)
			return PROMPT_IGNORED;
		p->len = 0;
		p->text[0] = '\0';
		return PROMPT_EDITED;
	default:
		if (KEYS_IS_FN(key))
			return PROMPT_IGNORED;
		return prompt_append(p, key);
	}
}

void
prompt_draw(const struct prompt *p, struct crt *c, int y)
{
	int x, room;

	crt_fill(c, y, 0, c->cols, THEME_PROMPT);
	x = crt_put(c, y, 0, THEME_PROMPT, p->label, c->cols - 1);
	room = c->cols - 1 - x;
	if (!p->confirm && room > 0) {
		const char *t = p->text;

		/* show the end of a text longer than the room left */
		while (columns_text_width(t) > room)
			t++;
		while (((unsigned char)*t & 0xc0) == 0x80)
			t++;
		x += crt_put(c, y, x, THEME_PROMPT, t, room);
	}
	move(y, x < c->cols ? x : c->cols - 1);
}
