/* err.c: error messages as values. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/err.h"

/*
 * A message cut to fit may end inside a UTF-8 character (a domain's or
 * qemu's words): the partial character is dropped, so the message stays
 * clean text for the screen and the logs.
 */
static void
err_fit(char *msg, int wanted, size_t size)
{
	size_t n, lead;
	unsigned char c;

	if (wanted < 0 || (size_t)wanted < size)
		return;
	n = strlen(msg);
	lead = n;
	while (lead > 0 && n - lead < 4 && ((unsigned char)msg[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0 || ((unsigned char)msg[lead - 1] & 0xc0) != 0xc0)
		return;                   /* ends with ASCII or a whole character */
	c = (unsigned char)msg[--lead];
	if (n - lead < (c >= 0xf0 ? 4u : c >= 0xe0 ? 3u : 2u))
		msg[lead] = '\0';
}

int
err_set(struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	err_fit(e->msg, n, sizeof e->msg);
	return -1;
}

int
err_prefix(struct err *e, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], old[ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return -1;
	va_start(ap, fmt);
	err_fit(prefix, vsnprintf(prefix, sizeof prefix, fmt, ap), sizeof prefix);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	err_fit(e->msg, snprintf(e->msg, sizeof e->msg, "%s: %s", prefix, old), sizeof e->msg);
	return -1;
}
