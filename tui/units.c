/* units.c: human units in fixed widths (see units.h). */
#include <math.h>
#include <stdio.h>

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
