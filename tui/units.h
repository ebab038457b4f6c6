/*
 * units.h: numbers for people, in a fixed number of columns. Every function
 * writes at most len-1 bytes and never cuts a number: a value too large for
 * the width gets a larger unit instead.
 */
#ifndef DOMTOP_UNITS_H
#define DOMTOP_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Bits per second, SI: "0", "950", "12.3k", "1.05M", "10.0G" (at most 5 chars). */
void units_bits(double bps, char *buf, size_t len);
/* A count per second (pps, iops), SI: "0", "87", "1.2k", "310k", "1.05M" (at most 5 chars). */
void units_count(double n, char *buf, size_t len);
/* Memory from KiB, binary: "512M", "1.5G", "64.0G", "2.00T" (at most 5 chars). */
void units_kib(uint64_t kib, char *buf, size_t len);

#endif
