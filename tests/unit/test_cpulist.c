/* test_cpulist.c: xl's cpulist syntax, parse and format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "backend/cpulist.h"

static void
expect(const char *text, unsigned nr, const char *formatted)
{
	struct cpuset c;
	struct err e;
	char buf[128];

	if (cpulist_parse(text, nr, &c, &e) < 0)
		fail_msg("'%s' refused: %s", text, e.msg);
	cpulist_format(&c, nr, buf, sizeof buf);
	assert_string_equal(buf, formatted);
}

static void
refuse(const char *text, unsigned nr, const char *needle)
{
	struct cpuset c;
	struct err e;

	if (cpulist_parse(text, nr, &c, &e) == 0)
		fail_msg("'%s' accepted", text);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text, e.msg, needle);
}

static void
test_parse_forms(void **state)
{
	(void)state;
	expect("all", 8, "all");
	expect("3", 8, "3");
	expect("0-3", 8, "0-3");
	expect("0-3,^2", 8, "0-1,3");
	expect("^1", 4, "0,2-3");
	expect("all,^0", 4, "1-3");
	expect("0,2,4-5", 8, "0,2,4-5");
	expect("0-7", 8, "all");
}

static void
test_refusals(void **state)
{
	(void)state;
	refuse("", 8, "empty");
	refuse("8", 8, "does not exist");
	refuse("0-9", 8, "does not exist");
	refuse("3-1", 8, "backwards");
	refuse("0-3,", 8, "trailing comma");
	refuse("a", 8, "expected a cpu number");
	refuse("1 2", 8, "unexpected");
	refuse("^all", 4, "leaves no cpu");
	refuse("0,^0", 4, "leaves no cpu");
	refuse("99999999999999999999", 8, "does not exist");
}

static void
test_format_truncates_whole_items(void **state)
{
	struct cpuset c;
	char buf[7];

	(void)state;
	cpuset_zero(&c);
	for (unsigned i = 0; i < 64; i += 2)
		cpuset_set(&c, i);
	cpulist_format(&c, 64, buf, sizeof buf);
	assert_string_equal(buf, "0,2,4");   /* ",6" would not fit before the NUL */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_format_truncates_whole_items),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
