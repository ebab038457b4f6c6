/* test_config.c: domtop.conf through inih: values, and every bad line
 * reported with file:line and ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "backend/config.h"

static bool
warned(const struct config *c, const char *needle)
{
	for (size_t i = 0; i < c->n_warnings; i++)
		if (strstr(c->warnings[i], needle) != NULL)
			return true;
	return false;
}

static void
test_good_file(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	config_load_string(&c,
	    "# comment\n"
	    "[display]\n"
	    "delay = 0.5\n"
	    "columns = ID,NAME,CPU%\n"
	    "sort = -MEM\n"
	    "theme = mono ; inline comment\n"
	    "[audit]\n"
	    "log = /tmp/x/audit.log\n"
	    "syslog = no\n", "t.conf");
	assert_int_equal(c.n_warnings, 0);
	assert_true(c.delay_s == 0.5);
	assert_string_equal(c.columns, "ID,NAME,CPU%");
	assert_string_equal(c.columns_where, "t.conf:4");
	assert_string_equal(c.sort, "-MEM");
	assert_string_equal(c.theme, "mono");
	assert_string_equal(c.audit_log, "/tmp/x/audit.log");
	assert_false(c.audit_syslog);
}

static void
test_bad_lines_reported_and_ignored(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	config_load_string(&c,
	    "[display]\n"                       /* 1 */
	    "delay = fast\n"                    /* 2 */
	    "this line is junk\n"               /* 3 */
	    "colour = red\n"                    /* 4 */
	    "[nonsense]\n"                      /* 5 */
	    "a = b\n"                           /* 6 */
	    "[audit]\n"                         /* 7 */
	    "log = relative/path\n"             /* 8 */
	    "syslog = maybe\n"                  /* 9 */
	    "[display\n"                        /* 10 */
	    "theme = ../../etc/passwd\n"        /* 11 */
	    "[display]\n"                       /* 12 */
	    "delay = 5\n", "bad.conf");         /* 13: still read */
	assert_true(warned(&c, "bad.conf:2: delay must be seconds"));
	assert_true(warned(&c, "bad.conf:3: not 'key = value'"));
	assert_true(warned(&c, "bad.conf:4: unknown key 'colour'"));
	assert_true(warned(&c, "bad.conf:6: unknown section [nonsense]"));
	assert_true(warned(&c, "bad.conf:8: audit log must be an absolute path"));
	assert_true(warned(&c, "bad.conf:9: syslog must be yes or no"));
	assert_true(warned(&c, "bad.conf:10: not 'key = value'"));
	assert_true(warned(&c, "bad.conf:11: unknown key 'theme' in [audit]"));
	assert_true(c.delay_s == 5);
	assert_string_equal(c.theme, "default");
	assert_true(c.audit_syslog);
	assert_true(c.audit_log[0] == '/');
}

static void
test_long_and_binary_lines(void **state)
{
	struct config c;
	char text[2048];

	(void)state;
	config_defaults(&c);
	memset(text, 'x', sizeof text);
	memcpy(text, "[display]\ncolumns = ", 20);
	text[sizeof text - 2] = '\n';
	text[sizeof text - 1] = '\0';
	config_load_string(&c, text, "long.conf");
	assert_true(warned(&c, "long.conf:2: line longer than"));
	/* the line after a long one keeps its own number */
	config_defaults(&c);
	memset(text, '7', sizeof text);
	memcpy(text, "[display]\ndelay = ", 18);
	memcpy(text + 400, "\ndelay = x\n", 12);
	text[412] = '\0';
	config_load_string(&c, text, "num.conf");
	assert_true(warned(&c, "num.conf:2: line longer than"));
	assert_true(warned(&c, "num.conf:3: delay must be seconds"));
	config_defaults(&c);
	config_load_string(&c, "[display]\ntheme = a\x1b[2Jb\n", "esc.conf");
	assert_true(warned(&c, "esc.conf:2: theme holds control characters"));
	assert_string_equal(c.theme, "default");
}

static void
test_throttle_and_flows(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.n_presets, 3);                    /* 1mbit, 10mbit, 100mbit */
	assert_int_equal(c.presets[1], 10000000);
	assert_int_equal(c.flows_mem, 32u << 20);
	assert_true(c.throttle_state[0] == '/');
	config_load_string(&c,
	    "[throttle]\n"
	    "presets = 500kbit, 2mbit,1gbit\n"
	    "state = /tmp/x/throttles.state\n"
	    "[flows]\n"
	    "memory = 8M\n", "thr.conf");
	assert_int_equal(c.n_warnings, 0);
	assert_int_equal(c.n_presets, 3);
	assert_int_equal(c.presets[0], 500000);
	assert_int_equal(c.presets[1], 2000000);
	assert_int_equal(c.presets[2], 1000000000);
	assert_string_equal(c.throttle_state, "/tmp/x/throttles.state");
	assert_int_equal(c.flows_mem, 8u << 20);
	/* a bad list is ignored whole, with file:line */
	config_load_string(&c,
	    "[throttle]\n"
	    "presets = 1mbit,fast\n"
	    "presets = 1mbit,2mbit,3mbit,4mbit,5mbit,6mbit,7mbit,8mbit,9mbit,10mbit\n"
	    "state = relative/path\n"
	    "colour = red\n"
	    "[flows]\n"
	    "memory = 2T\n"
	    "memory = 100K\n", "bad.conf");
	assert_int_equal(c.n_presets, 3);
	assert_int_equal(c.presets[0], 500000);
	assert_true(warned(&c, "bad.conf:2: presets: a rate is a number with a tc unit"));
	assert_true(warned(&c, "bad.conf:3: at most 9 presets"));
	assert_true(warned(&c, "bad.conf:4: throttle state must be an absolute path"));
	assert_true(warned(&c, "bad.conf:5: unknown key 'colour' in [throttle]"));
	assert_true(warned(&c, "bad.conf:7: flows memory is a size like 32M"));
	assert_true(warned(&c, "bad.conf:8: flows memory must be from 1M to 1G"));
	assert_string_equal(c.throttle_state, "/tmp/x/throttles.state");
	assert_int_equal(c.flows_mem, 8u << 20);
}

static void
test_missing_file_is_quiet(void **state)
{
	struct config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/domtop.conf"), 0);
	assert_int_equal(c.n_warnings, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_bad_lines_reported_and_ignored),
		cmocka_unit_test(test_long_and_binary_lines),
		cmocka_unit_test(test_throttle_and_flows),
		cmocka_unit_test(test_missing_file_is_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
