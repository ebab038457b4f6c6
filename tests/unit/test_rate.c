/*
 * test_rate.c: backend/rate, the one tc-rate parser: its syntax, the bounds
 * each caller passes and the range its message gives, rounding to whole
 * bytes/s, and the formatter that parses back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "backend/rate.h"

#define ANY_MAX (UINT64_C(1) << 53)

static void
rate_is(const char *text, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t got = 0;
	struct err e = {{0}};

	if (rate_parse(text, min, max, &got, &e) < 0)
		fail_msg("'%s' refused: %s", text, e.msg);
	if (got != want)
		fail_msg("'%s' gave %llu, want %llu", text, (unsigned long long)got,
		         (unsigned long long)want);
}

static void
rate_refused(const char *text, uint64_t min, uint64_t max, const char *msg)
{
	uint64_t got = 12345;
	struct err e = {{0}};

	if (rate_parse(text, min, max, &got, &e) == 0)
		fail_msg("'%s' accepted as %llu", text, (unsigned long long)got);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text, e.msg, msg);
	assert_int_equal(got, 12345);           /* untouched on failure */
}

static void
test_units(void **state)
{
	static const struct { const char *text; uint64_t bps; } cases[] = {
		{ "1000", 1000 }, { "1000bit", 1000 }, { "1kbit", 1000 }, { "2.5MBIT", 2500000 },
		{ "3gbit", 3000000000ull }, { "1tbit", 1000000000000ull }, { "1kibit", 1024 },
		{ "1mibit", 1048576 }, { "1gibit", 1073741824ull }, { "1tibit", 1099511627776ull },
		{ "1bps", 8 }, { "1kbps", 8000 }, { "1mbps", 8000000 }, { "1gbps", 8000000000ull },
		{ "1tbps", 8000000000000ull }, { "1kibps", 8192 }, { "1mibps", 8388608 },
		{ "1gibps", 8589934592ull }, { ".5mbit", 500000 }, { "2.mbit", 2000000 }, { "0", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		rate_is(cases[i].text, 0, ANY_MAX, cases[i].bps);
}

static void
test_rounding(void **state)
{
	(void)state;
	rate_is("8001bit", 0, ANY_MAX, 8000);           /* down to whole bytes/s */
	rate_is("8007", 0, ANY_MAX, 8000);
	rate_is("12345678", 0, ANY_MAX, 12345672);
	rate_is("0.001kbit", 0, ANY_MAX, 0);
	/* a bound is checked on the rounded rate: "just over" the max reads as the max */
	rate_is("1000.000000004gbit", 8000, 1000000000000ull, 1000000000000ull);
	rate_refused("7999bit", 8000, ANY_MAX, "from 8kbit");
}

static void
test_syntax(void **state)
{
	static const char *const bad[] = {
		"", "fast", "mbit", "-1mbit", "+1mbit", " 1mbit", "1mbit ", "1 mbit", "1e3mbit",
		"0x10mbit", "nan", "inf", "infmbit", "1..2mbit", "1.2.3", ".", ".mbit", "10mbitx",
		"10furlongs", "1mbit.", "123456789012345678901234567890123mbit",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rate_refused(bad[i], 0, ANY_MAX, "a rate is a number with a tc unit");
	rate_refused(NULL, 0, ANY_MAX, "a rate is a number with a tc unit");
	rate_refused("1mbit\x1b[2J", 0, ANY_MAX, "a rate is a number with a tc unit");
}

static void
test_bounds(void **state)
{
	(void)state;
	/* the throttle's bounds */
	rate_is("8kbit", 8000, 1000000000000ull, 8000);
	rate_is("1000gbit", 8000, 1000000000000ull, 1000000000000ull);
	rate_refused("1001gbit", 8000, 1000000000000ull,
	             "a rate must be from 8kbit to 1000gbit, not '1001gbit'");
	rate_refused("1kbit", 8000, 1000000000000ull, "from 8kbit to 1000gbit");
	/* the shaper's: the max is not round, the message rounds it inwards */
	rate_is("17179869176bit", 8000, 17179869176ull, 17179869176ull);
	rate_refused("17179869184bit", 8000, 17179869176ull, "from 8kbit to 17gbit");
	/* a min that is not round is rounded up */
	rate_refused("1kbit", 1500000, 2000000, "from 2mbit to 2mbit");
	rate_refused("3mbit", 0, 2000000, "from 0bit to 2mbit");
	rate_refused("999kbit", 1000000, 1000000, "from 1mbit to 1mbit");
	/* far beyond any bound: no overflow, the same message */
	rate_refused("9999999999999999999999999999tbit", 0, UINT64_MAX, "a rate must be from");
	rate_refused("99999999gibps", 8000, 1000000000000ull, "from 8kbit to 1000gbit");
}

static void
test_format(void **state)
{
	static const struct { uint64_t bps; const char *text; } cases[] = {
		{ 8000, "8kbit" }, { 500000, "500kbit" }, { 1000000, "1mbit" },
		{ 1500000000, "1.5gbit" }, { 102400, "102.4kbit" }, { 80000000, "80mbit" },
		{ 1000000000000ull, "1tbit" }, { 12345672, "12345.672kbit" }, { 8008, "8.01kbit" },
		{ 1234568, "1234.57kbit" }, { 0, "0bit" }, { 800, "800bit" },
		{ 17179869176ull, "17179869.18kbit" },
	};
	char buf[RATE_TEXT_MAX];
	uint64_t back;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rate_format(cases[i].bps, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(rate_parse(buf, 0, ANY_MAX, &back, &e), 0);
		assert_int_equal(back, cases[i].bps);
	}
	/* every whole number of bytes/s reads back the same */
	for (uint64_t v = 8; v < ANY_MAX / 3; v = v * 3 + 8) {
		v -= v % 8;
		rate_format(v, buf, sizeof buf);
		assert_true(strlen(buf) < RATE_TEXT_MAX);
		assert_int_equal(rate_parse(buf, 0, ANY_MAX, &back, &e), 0);
		assert_int_equal(back, v);
	}
	rate_format(UINT64_MAX, buf, sizeof buf);   /* beyond what parses: the exact number */
	assert_string_equal(buf, "18446744073709551615bit");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_rounding),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
