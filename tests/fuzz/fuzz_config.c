/*
 * fuzz_config.c: libFuzzer target of config_load_string (backend/config.h),
 * the parser of /etc/domtop/domtop.conf and ~/.config/domtop/domtop.conf.
 *
 * Properties: whatever the text, the result is usable: the delay is within
 * 0.1..3600 s, the strings are terminated and hold nothing unsafe for a
 * terminal, the theme is a name (no '/'), the audit log an absolute path;
 * at most CONFIG_MAX_WARNINGS warnings, each "name:line: reason" with a line
 * number within the text; loading the same text again gives the same config.
 */
#include "backend/config.h"
#include "tests/fuzz/fuzz.h"

static void
check_string(const char *what, const char *s, size_t size)
{
	FUZZ_CHECK(fuzz_terminated(s, size), "%s unterminated", what);
	FUZZ_CHECK(fuzz_clean(s), "%s unsafe at offset %zu", what, (size_t)(fuzz_unsafe_at(s) - s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = malloc(sizeof *c), *c2 = malloc(sizeof *c2);
	char *text = fuzz_cstr(data, size);
	size_t lines = 1;

	if (c == NULL || c2 == NULL)
		abort();
	for (const char *p = text; *p != '\0'; p++)
		lines += *p == '\n';
	config_defaults(c);
	config_load_string(c, text, "fuzz");
	FUZZ_CHECK(c->delay_s >= 0.1 && c->delay_s <= 3600, "delay %g", c->delay_s);
	check_string("columns", c->columns, sizeof c->columns);
	check_string("sort", c->sort, sizeof c->sort);
	check_string("theme", c->theme, sizeof c->theme);
	check_string("audit log", c->audit_log, sizeof c->audit_log);
	FUZZ_CHECK(strchr(c->theme, '/') == NULL, "theme '%s' is a path", c->theme);
	FUZZ_CHECK(c->audit_log[0] == '/', "audit log '%s' is not absolute", c->audit_log);
	FUZZ_CHECK(c->n_warnings <= CONFIG_MAX_WARNINGS, "%zu warnings", c->n_warnings);
	for (size_t i = 0; i < c->n_warnings; i++) {
		unsigned long line = 0;
		int end = 0;

		FUZZ_CHECK(fuzz_terminated(c->warnings[i], ERR_MSG_MAX), "warning %zu unterminated", i);
		FUZZ_CHECK(sscanf(c->warnings[i], "fuzz:%lu: %n", &line, &end) == 1 && end > 0,
		           "warning '%s' is not 'fuzz:LINE: reason'", c->warnings[i]);
		FUZZ_CHECK(line >= 1 && line <= lines, "line %lu in a text of %zu lines: '%s'", line,
		           lines, c->warnings[i]);
	}
	if (c->columns[0] != '\0')
		FUZZ_CHECK(strncmp(c->columns_where, "fuzz:", 5) == 0, "columns from '%s'",
		           c->columns_where);
	config_defaults(c2);
	config_load_string(c2, text, "fuzz");
	FUZZ_CHECK(memcmp(c, c2, sizeof *c) == 0 || (c->delay_s == c2->delay_s &&
	           strcmp(c->columns, c2->columns) == 0 && strcmp(c->sort, c2->sort) == 0 &&
	           strcmp(c->theme, c2->theme) == 0 && strcmp(c->audit_log, c2->audit_log) == 0 &&
	           c->audit_syslog == c2->audit_syslog && c->n_warnings == c2->n_warnings),
	           "loading the same text twice gave two configs");
	free(text);
	free(c);
	free(c2);
	return 0;
}
