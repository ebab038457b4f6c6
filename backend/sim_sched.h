/*
 * sim_sched.h: the demo host's model of Xen's credit scheduler.
 *
 * Over one step the scheduler hands out nr_pcpus pCPUs of time. Each
 * domain can use at most its "upper bound": its demand, its vcpus (one pCPU
 * each), its cap (percent of one pCPU) and the pCPUs its vcpus are pinned
 * to. Under contention the pCPUs are shared in proportion to weight (per
 * domain, as credit1 does: entitlement = weight / sum of runnable weights x
 * pCPUs), and what a domain does not use goes to the others
 * (work-conserving). That is weighted max-min fairness, computed exactly by
 * water-filling in O(n log n) per step: no per-tick loop.
 */
#ifndef DOMTOP_SIM_SCHED_H
#define DOMTOP_SIM_SCHED_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/sample.h"

struct sim_sched_dom {
	/* in */
	unsigned weight;                /* 1..65535 */
	unsigned cap;                   /* percent of one pCPU, 0 = none */
	unsigned vcpus;
	double demand;                  /* pCPUs it would use if alone, 0..vcpus */
	bool paused;
	const struct cpuset *mask;      /* union of its vcpus' hard affinity; NULL = every pCPU */
	/* out */
	double alloc;                   /* pCPUs granted over the step */
};

/*
 * Weighted max-min fair shares ("water-filling"): out[i] <= upper[i], the
 * sum of out is min(capacity, sum of upper), and while capacity is short
 * every unsatisfied i gets the same out[i] / weight[i]. Weights must be > 0.
 * Returns -1 when out of memory.
 */
int sim_waterfill(size_t n, const double *weight, const double *upper, double capacity,
                  double *out);

/* The most pCPUs d could use on its own (0 when paused). */
double sim_sched_upper(const struct sim_sched_dom *d);

/* Fills alloc for each domain. Returns -1 when out of memory. */
int sim_sched_solve(struct sim_sched_dom *doms, size_t n, unsigned nr_pcpus);

#endif
