/*
 * benchutil.h: the clock of the bench programs (bench.c, net_bench.c): CPU
 * time of this process, user and system, in nanoseconds. CPU time rather
 * than wall time, so a busy machine moves the figures less.
 */
#ifndef DOMTOP_BENCHUTIL_H
#define DOMTOP_BENCHUTIL_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
bench_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
