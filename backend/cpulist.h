/*
 * cpulist.h: xl's cpulist syntax, as `xl vcpu-pin` takes it:
 * "all", "3", "0-3", "0-3,^2", "^1" (all but 1), comma-separated, no spaces
 * needed. Every CPU named must exist on the host (below nr_pcpus).
 */
#ifndef DOMTOP_CPULIST_H
#define DOMTOP_CPULIST_H

#include <stddef.h>

#include "backend/err.h"
#include "backend/sample.h"

int cpulist_parse(const char *text, unsigned nr_pcpus, struct cpuset *out, struct err *e);
/* Shortest form: "all" when every pCPU is set, else ranges, e.g. "0-1,3". */
void cpulist_format(const struct cpuset *c, unsigned nr_pcpus, char *buf, size_t len);

#endif
