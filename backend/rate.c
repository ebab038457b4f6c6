/* rate.c: bit rates in tc units (see rate.h). */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/rate.h"

#define RATE_NUM_MAX 32                 /* characters of the number */
#define RATE_BITS_LIMIT 0x1p62          /* far above any link; bits/8*8 cannot overflow */

static const struct { const char *unit; double mult; } rate_units[] = {
	{ "", 1 }, { "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 },
	{ "tbit", 1e12 }, { "kibit", 1024.0 }, { "mibit", 1048576.0 },
	{ "gibit", 1073741824.0 }, { "tibit", 1099511627776.0 },
	{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 }, { "tbps", 8e12 },
	{ "kibps", 8192.0 }, { "mibps", 8388608.0 }, { "gibps", 8589934592.0 },
};

/* The rate text means, in bits/s, unrounded; -1 when it is not a rate. */
static int
rate_scan(const char *text, double *bits)
{
	char num[RATE_NUM_MAX], *end;
	size_t n = strspn(text, "0123456789.");
	double v;

	/* plain decimals only: strtod alone would take hex, exponents, inf and nan */
	if (n == 0 || n >= sizeof num || strchr(text, '.') != strrchr(text, '.'))
		return -1;
	memcpy(num, text, n);
	num[n] = '\0';
	v = strtod(num, &end);
	if (*end != '\0')
		return -1;
	for (size_t i = 0; i < sizeof rate_units / sizeof rate_units[0]; i++) {
		if (strcasecmp(text + n, rate_units[i].unit) == 0) {
			*bits = v * rate_units[i].mult;
			return 0;
		}
	}
	return -1;
}

static uint64_t
rate_whole_bytes(double bits)
{
	return (uint64_t)(bits / 8) * 8;
}

/* A bound for a message, in the largest unit up to gbit, rounded inwards. */
static void
rate_bound_text(uint64_t bps, bool up, char *buf, size_t len)
{
	static const struct { uint64_t div; const char *unit; } u[] = {
		{ 1000000000ull, "gbit" }, { 1000000ull, "mbit" }, { 1000ull, "kbit" }, { 1, "bit" },
	};
	size_t i = 0;

	while (i + 1 < sizeof u / sizeof u[0] && bps < u[i].div)
		i++;
	snprintf(buf, len, "%" PRIu64 "%s", bps / u[i].div + (up && bps % u[i].div != 0), u[i].unit);
}

int
rate_parse(const char *text, uint64_t min_bps, uint64_t max_bps, uint64_t *bps, struct err *e)
{
	char lo[RATE_TEXT_MAX], hi[RATE_TEXT_MAX];
	uint64_t v = 0;
	double bits;

	if (text == NULL || rate_scan(text, &bits) < 0)
		return err_set(e, "a rate is a number with a tc unit, like 10mbit, 500kbit, 2gbit or "
		               "1mbps (bytes/s); not '%.40s'", text ? text : "");
	if (bits < RATE_BITS_LIMIT)
		v = rate_whole_bytes(bits);
	if (bits >= RATE_BITS_LIMIT || v < min_bps || v > max_bps) {
		rate_bound_text(min_bps, true, lo, sizeof lo);
		rate_bound_text(max_bps, false, hi, sizeof hi);
		return err_set(e, "a rate must be from %s to %s, not '%.40s'", lo, hi, text);
	}
	*bps = v;
	return 0;
}

void
rate_format(uint64_t bps, char *buf, size_t len)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "tbit", 1e12 }, { "gbit", 1e9 }, { "mbit", 1e6 }, { "kbit", 1e3 },
	};
	double bits;

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if ((double)bps < units[i].mult)
			continue;
		for (int dec = 0; dec <= 3; dec++) {
			char t[RATE_TEXT_MAX];

			snprintf(t, sizeof t, "%.*f%s", dec, (double)bps / units[i].mult, units[i].unit);
			if (rate_scan(t, &bits) == 0 && bits < RATE_BITS_LIMIT
			    && rate_whole_bytes(bits) == bps) {
				snprintf(buf, len, "%s", t);
				return;
			}
		}
	}
	snprintf(buf, len, "%" PRIu64 "bit", bps);
}
