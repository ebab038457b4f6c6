/* test_units.c: human units never exceed their width and never cut a number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tui/units.h"

static void
test_bits(void **state)
{
	char b[16];

	(void)state;
	units_bits(0, b, sizeof b);
	assert_string_equal(b, "0");
	units_bits(950, b, sizeof b);
	assert_string_equal(b, "950");
	units_bits(12345, b, sizeof b);
	assert_string_equal(b, "12.3k");
	units_bits(1.05e6, b, sizeof b);
	assert_string_equal(b, "1.05M");
	units_bits(999.6e6, b, sizeof b);
	assert_string_equal(b, "1.00G");
	units_bits(-5, b, sizeof b);
	assert_string_equal(b, "0");
	for (double v = 1; v < 1e20; v *= 1.37) {
		units_bits(v, b, sizeof b);
		assert_true(strlen(b) <= 5);
	}
}

static void
test_kib(void **state)
{
	char b[16];

	(void)state;
	units_kib(512 * 1024, b, sizeof b);
	assert_string_equal(b, "512M");
	units_kib(1536 * 1024, b, sizeof b);
	assert_string_equal(b, "1.50G");
	units_kib(64ull * 1024 * 1024, b, sizeof b);
	assert_string_equal(b, "64.0G");
	for (uint64_t v = 1; v < UINT64_MAX / 4; v = v * 3 + 1) {
		units_kib(v, b, sizeof b);
		assert_true(strlen(b) <= 5);
	}
	units_kib(UINT64_MAX, b, sizeof b);
	assert_string_equal(b, "huge");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bits),
		cmocka_unit_test(test_kib),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
