/* units.c: human units in fixed widths (see units.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/units.h"

/* Scales v by `base` until it fits in 5 characters with the unit letter. */
static void
units_scaled(double v, double base, const char *letters, char *buf, size_t len)
{
	size_t i = 0;

	if (!(v > 0) || !isfinite(v)) {
		snprintf(buf, len, "0");
		return;
	}
	if (v < 999.5) {
		snprintf(buf, len, "%.0f", v);
		return;
	}
	while (v >= 999.5 && letters[i + 1] != '\0') {
		v /= base;
		i++;
	}
	if (v >= 999.5)
		snprintf(buf, len, "huge");     /* beyond the last unit: never a cut number */
	else if (v < 9.995)
		snprintf(buf, len, "%.2f%c", v, letters[i]);
	else if (v < 99.95)
		snprintf(buf, len, "%.1f%c", v, letters[i]);
	else
		snprintf(buf, len, "%.0f%c", v, letters[i]);
}

void
units_bits(double bps, char *buf, size_t len)
{
	units_scaled(bps, 1000.0, " kMGTP", buf, len);
}

void
units_count(double n, char *buf, size_t len)
{
	units_scaled(n, 1000.0, " kMGTP", buf, len);
}

void
units_kib(uint64_t kib, char *buf, size_t len)
{
	/* start at MiB: nobody sizes a domain in KiB */
	double v = (double)kib / 1024.0;
	static const char letters[] = "MGTP";
	size_t i = 0;

	while (v >= 999.5 && letters[i + 1] != '\0') {
		v /= 1024.0;
		i++;
	}
	if (v >= 999.5)
		snprintf(buf, len, "huge");     /* beyond the last unit: never a cut number */
	else if (i > 0 && v < 9.995)
		snprintf(buf, len, "%.2f%c", v, letters[i]);
	else if (i > 0 && v < 99.95)
		snprintf(buf, len, "%.1f%c", v, letters[i]);
	else
		snprintf(buf, len, "%.0f%c", v, letters[i]);
}

int
units_parse_rate(const char *text, uint64_t *bps_out)
{
	static const struct { const char *suffix; double mult; } units[] = {
		{ "bit", 1 }, { "kbit", 1e3 }, { "mbit", 1e6 }, { "gbit", 1e9 }, { "tbit", 1e12 },
		{ "bps", 8 }, { "kbps", 8e3 }, { "mbps", 8e6 }, { "gbps", 8e9 }, { "tbps", 8e12 },
	};
	char *end;
	double v;

	if (text == NULL || *text == '\0' || *text == '-' || *text == '+')
		return -1;
	v = strtod(text, &end);
	if (end == text || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			v *= units[i].mult;
			if (v > 1e15)
				return -1;
			*bps_out = (uint64_t)llround(v);
			return 0;
		}
	}
	return -1;
}
