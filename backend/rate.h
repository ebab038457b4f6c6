/*
 * rate.h: bit rates in tc's units, read and written; the one parser behind
 * shape_parse_rate and throttle_parse_rate, each with its own bounds.
 *
 * A rate is a plain decimal number ("10", "2.5"; no sign, exponent, hex,
 * inf or nan, no space) and a unit, case-insensitive: bit, kbit, mbit,
 * gbit, tbit (powers of 1000), kibit, mibit, gibit, tibit (powers of
 * 1024), bps, kbps, mbps, gbps, tbps, kibps, mibps, gibps (bytes/s), or none
 * (bits/s). It is rounded down to whole bytes/s, what tbf keeps, so that it
 * reads back from the kernel the same.
 */
#ifndef DOMTOP_RATE_H
#define DOMTOP_RATE_H

#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define RATE_TEXT_MAX 32                /* fits what rate_format writes */

/*
 * Parses text into *bps (bits/s, rounded down to a multiple of 8). A rate
 * outside min_bps to max_bps is refused with a message that gives them.
 */
int rate_parse(const char *text, uint64_t min_bps, uint64_t max_bps, uint64_t *bps,
               struct err *e);

/*
 * The shortest text of at most 3 decimals that rate_parse reads back as bps
 * ("10mbit", "1.5gbit", "1tbit", "500kbit"), else "<bps>bit".
 */
void rate_format(uint64_t bps, char *buf, size_t len);

#endif
