/*
 * fuzz_rate.c: libFuzzer target of backend/rate.h, the parser of the rates
 * an operator types at the throttle prompt, in --do and in the config's
 * presets (through throttle_parse_rate), and of the shaper's test driver
 * (shape_parse_rate).
 *
 * Input: one byte choosing the bounds (the throttle's, the shaper's, or
 * 0 to 2^53 bit/s), then the text.
 * Properties: a refused text always gets a message; a rate that parses is
 * within the bounds and a whole number of bytes/s; rate_format writes it
 * in fewer than RATE_TEXT_MAX characters, and that text, and the input with
 * its letters' case changed, parse back to the same rate. Any whole number
 * of bytes/s up to 2^53 bit/s (from the input's bytes) formats to a text
 * that parses back to it.
 */
#include <ctype.h>

#include "backend/rate.h"
#include "backend/shape.h"
#include "backend/throttle.h"
#include "tests/fuzz/fuzz.h"

#define ANY_MAX (UINT64_C(1) << 53)   /* doubles hold every integer up to here */

static const struct { uint64_t min, max; } bounds[] = {
	{ THROTTLE_RATE_MIN, THROTTLE_RATE_MAX },
	{ SHAPE_RATE_MIN, SHAPE_RATE_MAX },
	{ 0, ANY_MAX },
};

static void
check_format(uint64_t bps, uint64_t min, uint64_t max, const char *from)
{
	char text[RATE_TEXT_MAX + 8];
	struct err e = {{0}};
	uint64_t again = 0;

	rate_format(bps, text, sizeof text);
	FUZZ_CHECK(strlen(text) < RATE_TEXT_MAX, "%llu wrote '%s', longer than RATE_TEXT_MAX",
	           (unsigned long long)bps, text);
	FUZZ_CHECK(rate_parse(text, min, max, &again, &e) == 0 && again == bps,
	           "'%s' -> %llu, formatted '%s', reads back as %llu (%s)", from,
	           (unsigned long long)bps, text, (unsigned long long)again, e.msg);
}

static void
check_case(const char *text, uint64_t bps, uint64_t min, uint64_t max)
{
	char *other = strdup(text);
	struct err e = {{0}};
	uint64_t again = 0;

	if (other == NULL)
		abort();
	for (char *p = other; *p != '\0'; p++)
		*p = (char)(islower((unsigned char)*p) ? toupper((unsigned char)*p)
		                                       : tolower((unsigned char)*p));
	FUZZ_CHECK(rate_parse(other, min, max, &again, &e) == 0 && again == bps,
	           "'%s' -> %llu, but '%s' does not (%s)", text, (unsigned long long)bps, other, e.msg);
	free(other);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t min, max, bps = 0, raw;
	struct err e = {{0}};
	char *text;

	if (size < 1)
		return 0;
	min = bounds[data[0] % 3].min;
	max = bounds[data[0] % 3].max;
	text = fuzz_cstr(data + 1, size - 1);
	if (rate_parse(text, min, max, &bps, &e) < 0) {
		FUZZ_CHECK(e.msg[0] != '\0', "'%s' refused without a message", text);
	} else {
		FUZZ_CHECK(bps >= min && bps <= max && bps % 8 == 0,
		           "'%s' -> %llu bit/s, outside %llu..%llu or not whole bytes", text,
		           (unsigned long long)bps, (unsigned long long)min, (unsigned long long)max);
		check_format(bps, min, max, text);
		check_case(text, bps, min, max);
	}
	free(text);
	if (size >= 9) {
		memcpy(&raw, data + 1, sizeof raw);
		raw = raw % (ANY_MAX + 1) / 8 * 8;
		check_format(raw, 0, ANY_MAX, "(input bytes)");
	}
	return 0;
}
