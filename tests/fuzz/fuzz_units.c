/*
 * fuzz_units.c: libFuzzer target of tui/units.h, the fixed-width
 * formatters the table is built from. (Rates typed by the operator are
 * parsed by backend/rate.h: see fuzz_rate.c.)
 *
 * Input: 8 bytes, read as a uint64 and as a double.
 * Properties: the formatters write at most 5 characters (the width of their
 * columns, as units.h promises), made only of digits, a point and unit
 * letters, for any value.
 */
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	uint64_t raw;
	double v;

	if (size < 8)
		return 0;
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
	return 0;
}
