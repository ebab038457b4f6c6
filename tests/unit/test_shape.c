/*
 * test_shape.c: the parts of backend/shape that need no kernel: tc rate
 * units, rate formatting, ifb names, and the saved-state text form. The
 * qdisc work itself is tested on real interfaces by tests/net/run.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "backend/rate.h"
#include "backend/shape.h"

static void
rate_is(const char *text, uint64_t want)
{
	uint64_t got = 0;
	struct err e;

	if (shape_parse_rate(text, &got, &e) < 0)
		fail_msg("'%s' refused: %s", text, e.msg);
	if (got != want)
		fail_msg("'%s' gave %llu, want %llu", text, (unsigned long long)got, (unsigned long long)want);
}

static void
rate_refused(const char *text, const char *needle)
{
	uint64_t got;
	struct err e;

	if (shape_parse_rate(text, &got, &e) == 0)
		fail_msg("'%s' accepted", text);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", text, e.msg, needle);
}

static void
test_parse_rate(void **state)
{
	(void)state;
	rate_is("1mbit", 1000000);
	rate_is("500kbit", 500000);
	rate_is("2.5gbit", 2500000000ull);
	rate_is("10Mbit", 10000000);
	rate_is("100kibit", 102400);
	rate_is("1mibit", 1048576);
	rate_is("10mbps", 80000000);        /* bytes per second, as tc */
	rate_is("64000", 64000);            /* bare number: bits per second */
	rate_is("8kbit", 8000);
	rate_is("8001bit", 8000);           /* whole bytes/s, as tbf keeps it */
	rate_is("17gbit", 17000000000ull);
	rate_is("17179869176bit", SHAPE_RATE_MAX);
	rate_refused("", "a rate is a number with a tc unit");
	rate_refused("fast", "a rate is a number with a tc unit");
	rate_refused("10furlongs", "not '10furlongs'");
	rate_refused("10 mbit", "a rate is a number with a tc unit");
	rate_refused(" 8kbit", "a rate is a number with a tc unit");
	rate_refused("7kbit", "a rate must be from 8kbit to 17gbit, not '7kbit'");
	rate_refused("18gbit", "a rate must be from 8kbit to 17gbit");
	rate_refused("17179869184bit", "from 8kbit to 17gbit");   /* 2^31 bytes/s */
	rate_refused("-1mbit", "a rate is a number with a tc unit");
	rate_refused("1e400mbit", "a rate is a number with a tc unit");
}

static void
test_format_rate(void **state)
{
	static const uint64_t rates[] = { 8000, 500000, 1000000, 1500000, 1234568, 10000000,
	                                  102400, 2500000000ull, 17000000000ull, 8008,
	                                  SHAPE_RATE_MAX };
	char buf[32];
	uint64_t back;
	struct err e;

	(void)state;
	rate_format(10000000, buf, sizeof buf);
	assert_string_equal(buf, "10mbit");
	rate_format(1500000000, buf, sizeof buf);
	assert_string_equal(buf, "1.5gbit");
	rate_format(102400, buf, sizeof buf);
	assert_string_equal(buf, "102.4kbit");
	rate_format(8008, buf, sizeof buf);
	assert_string_equal(buf, "8.01kbit");           /* 8010 bit/s: 1001 bytes/s */
	for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
		rate_format(rates[i], buf, sizeof buf);
		assert_int_equal(shape_parse_rate(buf, &back, &e), 0);
		assert_int_equal(back, rates[i]);
	}
}

static void
test_ifb_name(void **state)
{
	char n[SHAPE_NAME_MAX];

	(void)state;
	shape_ifb_name("vif7.0", 12, n);
	assert_string_equal(n, "ifb-vif7.0");
	shape_ifb_name("vif1234.12", 12, n);
	assert_string_equal(n, "ifb-vif1234.12");
	shape_ifb_name("vif12345.123", 4321, n);   /* would not fit in IFNAMSIZ */
	assert_string_equal(n, "ifb-i4321");
	assert_true(strlen(n) < SHAPE_NAME_MAX);
}

static void
test_saved_round_trip(void **state)
{
	struct shape_saved a, b;
	char text[SHAPE_SAVED_TEXT_MAX], small[16];
	struct err e;

	(void)state;
	memset(&a, 0, sizeof a);
	strcpy(a.ifname, "vif7.0");
	a.root_saved = true;
	strcpy(a.kind, "tbf");
	a.handle = 0x50000;
	a.opts_len = SHAPE_OPTS_MAX;
	for (int i = 0; i < SHAPE_OPTS_MAX; i++)
		a.opts[i] = (unsigned char)(i * 7);
	a.from_made = true;
	assert_true(shape_saved_format(&a, text, sizeof text) > 0);
	assert_int_equal(shape_saved_parse(text, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(shape_saved_format(&a, small, sizeof small), -1);

	memset(&a, 0, sizeof a);          /* a kernel default: no kind options */
	strcpy(a.ifname, "vif3.1");
	a.root_saved = a.root_default = true;
	strcpy(a.kind, "noqueue");
	assert_true(shape_saved_format(&a, text, sizeof text) > 0);
	assert_int_equal(shape_saved_parse(text, &b, &e), 0);
	assert_memory_equal(&a, &b, sizeof a);
}

static void
test_saved_refused(void **state)
{
	struct shape_saved s;
	struct err e;

	(void)state;
	assert_int_equal(shape_saved_parse("", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 2 vif7.0 1 tbf 0 -", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 1 vif7.0 1 tbf 0 abc", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 1 vif7.0 1 tbf 0 zz", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 1 vif/7 1 tbf 0 -", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 1 averyveryverylongname 1 tbf 0 -", &s, &e), -1);
	assert_int_equal(shape_saved_parse("shape-saved 1 vif7.0 99 tbf 0 -", &s, &e), -1);
	assert_non_null(strstr(e.msg, "bad saved throttle state"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rate),
		cmocka_unit_test(test_format_rate),
		cmocka_unit_test(test_ifb_name),
		cmocka_unit_test(test_saved_round_trip),
		cmocka_unit_test(test_saved_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
