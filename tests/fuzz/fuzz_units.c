/*
 * fuzz_units.c: libFuzzer target of tui/units.h: units_parse_rate, which
 * reads the rates an operator types at the throttle prompt and in --do, and
 * the fixed-width formatters the table is built from.
 *
 * Properties: a rate that parses is finite, at most 1e15 bit/s, and reads
 * back the same when written as "<N>bit" and when its letters change case;
 * the formatters write at most 5 characters (the width of their columns, as
 * units.h promises), ending in a digit or a unit letter, for any value.
 */
#include <ctype.h>
#include <math.h>

#include "tui/units.h"
#include "tests/fuzz/fuzz.h"

static void
check_width(const char *what, const char *buf, double v)
{
	size_t n = strlen(buf);

	FUZZ_CHECK(n >= 1 && n <= 5, "%s(%.17g) wrote '%s' (%zu chars; the column has 5)", what, v,
	           buf, n);
	FUZZ_CHECK(strspn(buf, "0123456789. kMGTPhuge") == n, "%s(%.17g) wrote '%s'", what, v, buf);
}

static void
check_parse(const char *text)
{
	uint64_t bps, again;
	char canon[32], *upper;

	if (units_parse_rate(text, &bps) < 0)
		return;
	FUZZ_CHECK(bps <= (uint64_t)1e15, "'%s' -> %llu bit/s, over the 1e15 limit", text,
	           (unsigned long long)bps);
	snprintf(canon, sizeof canon, "%llubit", (unsigned long long)bps);
	FUZZ_CHECK(units_parse_rate(canon, &again) == 0 && again == bps,
	           "'%s' -> %llu, but '%s' does not read back the same", text,
	           (unsigned long long)bps, canon);
	upper = strdup(text);
	if (upper == NULL)
		abort();
	for (char *p = upper; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	FUZZ_CHECK(units_parse_rate(upper, &again) == 0 && again == bps,
	           "'%s' -> %llu, but '%s' does not", text, (unsigned long long)bps, upper);
	free(upper);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), buf[64];

	check_parse(text);
	free(text);
	if (size >= 8) {
		uint64_t raw;
		double v;

		memcpy(&raw, data, sizeof raw);
		memcpy(&v, data, sizeof v);
		units_kib(raw, buf, sizeof buf);
		check_width("units_kib", buf, (double)raw);
		if (isfinite(v) && v >= 0) {
			units_bits(v, buf, sizeof buf);
			check_width("units_bits", buf, v);
			units_count(v, buf, sizeof buf);
			check_width("units_count", buf, v);
		}
	}
	return 0;
}
