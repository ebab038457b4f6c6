/*
 * fuzz_theme.c: libFuzzer target of theme_parse (tui/theme.h): theme files
 * are plain text anyone may hand an operator.
 *
 * Properties: every role ends with a colour in -1..255 and known attribute
 * bits; the count returned is the number of problems found, of which the
 * first THEME_DIAG_MAX are kept, each "name:line: reason" with a line number
 * within the text and nothing unsafe for a terminal in it; the same text
 * parsed again gives the same theme.
 */
#include "tui/theme.h"
#include "tests/fuzz/fuzz.h"

#define ALL_ATTRS (THEME_A_BOLD | THEME_A_UNDERLINE | THEME_A_REVERSE | THEME_A_DIM)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct theme t, t2;
	struct theme_diag d, d2;
	size_t bad, lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	theme_init(&t);
	memset(&d, 0, sizeof d);
	bad = theme_parse(&t, (const char *)data, size, "fuzz", &d);
	FUZZ_CHECK(bad == d.total, "returned %zu bad lines, counted %zu", bad, d.total);
	FUZZ_CHECK(bad <= lines, "%zu bad lines in a text of %zu", bad, lines);
	FUZZ_CHECK(d.n == (d.total < THEME_DIAG_MAX ? d.total : THEME_DIAG_MAX),
	           "kept %zu messages of %zu", d.n, d.total);
	for (size_t i = 0; i < d.n; i++) {
		unsigned long line = 0;
		int end = 0;

		FUZZ_CHECK(fuzz_terminated(d.msg[i], sizeof d.msg[i]), "message %zu unterminated", i);
		FUZZ_CHECK(fuzz_clean(d.msg[i]), "message %zu unsafe at offset %zu", i,
		           (size_t)(fuzz_unsafe_at(d.msg[i]) - d.msg[i]));
		FUZZ_CHECK(sscanf(d.msg[i], "fuzz:%lu: %n", &line, &end) == 1 && end > 0,
		           "message '%s' is not 'fuzz:LINE: reason'", d.msg[i]);
		FUZZ_CHECK(line >= 1 && line <= lines, "line %lu in a text of %zu lines", line, lines);
	}
	for (int r = 0; r < THEME_NROLES; r++) {
		const struct theme_style *s = &t.roles[r];

		FUZZ_CHECK(s->fg >= -1 && s->fg <= 255 && s->bg >= -1 && s->bg <= 255,
		           "role %s: colours %d %d", theme_role_name((enum theme_role)r), s->fg, s->bg);
		FUZZ_CHECK((s->attrs & ~(unsigned)ALL_ATTRS) == 0, "role %s: attributes 0x%x",
		           theme_role_name((enum theme_role)r), s->attrs);
	}
	theme_init(&t2);
	memset(&d2, 0, sizeof d2);
	FUZZ_CHECK(theme_parse(&t2, (const char *)data, size, "fuzz", &d2) == bad &&
	           memcmp(t.roles, t2.roles, sizeof t.roles) == 0 && memcmp(&d, &d2, sizeof d) == 0,
	           "parsing the same text twice gave two results");
	return 0;
}
