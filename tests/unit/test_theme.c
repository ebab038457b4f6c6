/*
 * test_theme.c: the theme parser (every error path, with file:line), the
 * shipped themes (they parse cleanly; mono.theme is the built-in style) and
 * the search for NAME.theme.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "tui/theme.h"

static size_t
parse(struct theme *t, const char *text, struct theme_diag *d)
{
	theme_init(t);
	memset(d, 0, sizeof *d);
	return theme_parse(t, text, strlen(text), "t.theme", d);
}

static void
good_lines(void **state)
{
	struct theme t;
	struct theme_diag d;
	const char *text =
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "selected = black cyan bold\n"
	    "use_high=brightred default bold,underline   # trailing comment\n"
	    "normal = 17 255 bold underline\r\n"
	    "subrow = grey DEFAULT none";

	(void)state;
	assert_int_equal(parse(&t, text, &d), 0);
	assert_int_equal(d.total, 0);
	assert_int_equal(t.roles[THEME_SELECTED].fg, 0);
	assert_int_equal(t.roles[THEME_SELECTED].bg, 6);
	assert_int_equal(t.roles[THEME_SELECTED].attrs, THEME_A_BOLD);
	assert_int_equal(t.roles[THEME_USE_HIGH].fg, 9);
	assert_int_equal(t.roles[THEME_USE_HIGH].bg, THEME_DEFAULT_COLOR);
	assert_int_equal(t.roles[THEME_USE_HIGH].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	assert_int_equal(t.roles[THEME_NORMAL].fg, 17);
	assert_int_equal(t.roles[THEME_NORMAL].bg, 255);
	assert_int_equal(t.roles[THEME_NORMAL].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	assert_int_equal(t.roles[THEME_SUBROW].fg, 8);
	assert_int_equal(t.roles[THEME_SUBROW].attrs, 0);
}

/* Each bad line: its message names file:line and the reason, and the role keeps its style. */
static void
bad_lines(void **state)
{
	static const struct { const char *line, *reason; } bad[] = {
		{ "selected black cyan", "expected 'role = fg bg" },
		{ "nosuchrole = red blue", "unknown role 'nosuchrole'" },
		{ "selected = red", "a foreground and a background" },
		{ "selected =", "a foreground and a background" },
		{ "selected = purple blue", "bad colour 'purple'" },
		{ "selected = red navy", "bad colour 'navy'" },
		{ "selected = 256 blue", "bad colour '256'" },
		{ "selected = -1 blue", "bad colour '-1'" },
		{ "selected = red blue blink", "bad attributes 'blink'" },
		{ "selected = red blue bold,,wat", "bad attributes" },
		{ "= red blue", "unknown role ''" },
	};
	struct theme t, init;
	struct theme_diag d;
	char text[256];

	(void)state;
	theme_init(&init);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "# ok\nnormal = default default\n%s\n", bad[i].line);
		assert_int_equal(parse(&t, text, &d), 1);
		assert_int_equal(d.total, 1);
		if (strncmp(d.msg[0], "t.theme:3: ", 11) != 0 || strstr(d.msg[0], bad[i].reason) == NULL)
			fail_msg("'%s' gave '%s', want t.theme:3 and '%s'", bad[i].line, d.msg[0],
			         bad[i].reason);
		assert_memory_equal(&t.roles[THEME_SELECTED], &init.roles[THEME_SELECTED],
		                    sizeof init.roles[0]);
	}
}

static void
hostile_input(void **state)
{
	struct theme t;
	struct theme_diag d;
	char line[2048];
	static const char nul[] = "selected = red blue\nnormal\0 = red blue\nheader = red blue\n";

	(void)state;
	/* an escape sequence in a bad name is not echoed raw */
	assert_int_equal(parse(&t, "\x1b[2Jevil = red blue\n", &d), 1);
	assert_null(strchr(d.msg[0], '\x1b'));
	/* a line too long */
	memset(line, 'a', sizeof line - 1);
	line[sizeof line - 1] = '\0';
	assert_int_equal(parse(&t, line, &d), 1);
	assert_non_null(strstr(d.msg[0], "too long"));
	/* a NUL byte spoils only its own line */
	theme_init(&t);
	memset(&d, 0, sizeof d);
	assert_int_equal(theme_parse(&t, nul, sizeof nul - 1, "n", &d), 1);
	assert_non_null(strstr(d.msg[0], "n:2: "));
	assert_int_equal(t.roles[THEME_SELECTED].fg, 1);
	assert_int_equal(t.roles[THEME_HEADER].fg, 1);
}

static void
many_problems_counted(void **state)
{
	struct theme t;
	struct theme_diag d;
	char text[1024] = "";

	(void)state;
	for (int i = 0; i < 20; i++)
		strcat(text, "bad line\n");
	assert_int_equal(parse(&t, text, &d), 20);
	assert_int_equal(d.total, 20);
	assert_int_equal(d.n, THEME_DIAG_MAX);
	assert_non_null(strstr(d.msg[THEME_DIAG_MAX - 1], "t.theme:8:"));
}

static void
colours_and_attrs(void **state)
{
	int c;
	unsigned a;

	(void)state;
	assert_true(theme_parse_color("default", &c) && c == THEME_DEFAULT_COLOR);
	assert_true(theme_parse_color("White", &c) && c == 7);
	assert_true(theme_parse_color("brightwhite", &c) && c == 15);
	assert_true(theme_parse_color("0", &c) && c == 0);
	assert_true(theme_parse_color("255", &c) && c == 255);
	assert_false(theme_parse_color("bright", &c));
	assert_false(theme_parse_color("brightgrey", &c));
	assert_false(theme_parse_color("", &c));
	assert_false(theme_parse_color("+3", &c));
	assert_true(theme_parse_attrs("bold, dim", &a) && a == (THEME_A_BOLD | THEME_A_DIM));
	assert_true(theme_parse_attrs("reverse", &a) && a == THEME_A_REVERSE);
	assert_true(theme_parse_attrs("none", &a) && a == 0);
	assert_false(theme_parse_attrs("bold,italic", &a));
	for (int r = 0; r < THEME_NROLES; r++)
		assert_int_equal(theme_role_find(theme_role_name((enum theme_role)r)), r);
	assert_int_equal(theme_role_find("nope"), -1);
}

static void
load_shipped(const char *name, struct theme *t)
{
	struct theme_diag d = { 0 };
	struct err e;

	if (theme_load(t, name, ".", &d, &e) < 0)
		fail_msg("theme %s: %s", name, e.msg);
	if (d.total != 0)
		fail_msg("theme %s: %s", name, d.msg[0]);
}

/* The shipped themes parse cleanly and set every role; mono is the built-in style. */
static void
shipped_themes(void **state)
{
	static const char *const names[] = { "default", "mono", "light", "midnight" };
	struct theme t, init;
	char path[256], line[256];

	(void)state;
	unsetenv("DOMTOP_THEMES");
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		FILE *f;
		unsigned seen = 0;

		load_shipped(names[i], &t);
		snprintf(path, sizeof path, "themes/%s.theme", names[i]);
		assert_non_null(f = fopen(path, "r"));
		while (fgets(line, sizeof line, f) != NULL) {
			char role[64];
			int r;

			if (sscanf(line, " %63[a-z_] =", role) == 1 && (r = theme_role_find(role)) >= 0)
				seen |= 1u << r;
		}
		fclose(f);
		if (seen != (1u << THEME_NROLES) - 1)
			fail_msg("%s does not set every role (0x%x)", path, seen);
	}
	load_shipped("mono", &t);
	theme_init(&init);
	assert_memory_equal(t.roles, init.roles, sizeof init.roles);
}

static void
search_path(void **state)
{
	char dir[] = "/tmp/domtop-theme-XXXXXX", path[512];
	struct theme t;
	struct theme_diag d = { 0 };
	struct err e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/odd.theme", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("selected = red green\nwhat\n", f);
	fclose(f);
	setenv("DOMTOP_THEMES", dir, 1);
	assert_int_equal(theme_load(&t, "odd", NULL, &d, &e), 0);
	assert_int_equal(t.roles[THEME_SELECTED].fg, 1);
	assert_int_equal(d.total, 1);
	assert_non_null(strstr(d.msg[0], "odd.theme:2: "));
	assert_string_equal(t.path, path);
	/* a path works too */
	unsetenv("DOMTOP_THEMES");
	assert_int_equal(theme_load(&t, path, NULL, &d, &e), 0);
	/* not found: the message names where it looked */
	setenv("DOMTOP_THEMES", dir, 1);
	assert_int_equal(theme_load(&t, "absent", "/nonexistent", &d, &e), -1);
	assert_non_null(strstr(e.msg, dir));
	assert_non_null(strstr(e.msg, "/nonexistent/themes"));
	/* names are file names: no way out of the theme directories */
	assert_int_equal(theme_load(&t, "..", NULL, &d, &e), -1);
	assert_int_equal(theme_load(&t, ".hidden", NULL, &d, &e), -1);
	assert_int_equal(theme_load(&t, "", NULL, &d, &e), -1);
	assert_int_equal(theme_load(&t, "a\x1b", NULL, &d, &e), -1);
	assert_null(strchr(e.msg, '\x1b'));
	unsetenv("DOMTOP_THEMES");
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_lines),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(hostile_input),
		cmocka_unit_test(many_problems_counted),
		cmocka_unit_test(colours_and_attrs),
		cmocka_unit_test(shipped_themes),
		cmocka_unit_test(search_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
