/*
 * prompt.h: the one-line editor on the message line, for action values,
 * search and filter: printable UTF-8 is appended, Backspace removes the last
 * character, Ctrl-U clears, Enter accepts, Esc cancels. A confirmation
 * prompt takes one key: y accepts, anything else cancels. The prompt only
 * edits text; what the text is for is the caller's business.
 */
#ifndef DOMTOP_PROMPT_H
#define DOMTOP_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/crt.h"
#include "tui/keys.h"

#define PROMPT_TEXT_MAX 128

enum prompt_result {
	PROMPT_IGNORED,         /* the key did nothing */
	PROMPT_EDITED,          /* the text changed */
	PROMPT_ACCEPTED,        /* Enter (or y) */
	PROMPT_CANCELLED,       /* Esc (or not y) */
};

struct prompt {
	bool active;
	bool confirm;           /* one key, y or not */
	char label[512];
	char text[PROMPT_TEXT_MAX];
	size_t len;
};

/* Starts a prompt with label (shown before the text) and initial text (may be NULL). */
void prompt_start(struct prompt *p, const char *label, const char *initial);
void prompt_start_confirm(struct prompt *p, const char *question);
/* Handles one key (see keys.h for the codes); the prompt ends on ACCEPTED and CANCELLED. */
enum prompt_result prompt_key(struct prompt *p, int key);
/* Draws the prompt on line y with the cursor after the text. */
void prompt_draw(const struct prompt *p, struct crt *c, int y);

#endif
