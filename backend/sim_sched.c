/*
 * sim_sched.c: the credit-scheduler model (see sim_sched.h).
 *
 * Pinning. A domain whose vcpus may only run on k pCPUs cannot use more than
 * k; domains pinned to the same pCPUs compete for those. The exact answer
 * for arbitrary overlapping masks is a max-flow problem; we approximate it:
 *   1. each group of domains with the *same* affinity mask is water-filled
 *      into its k pCPUs, which lowers their upper bounds;
 *   2. then one global water-fill shares all pCPUs among all domains.
 * Exact when masks are disjoint or identical and pinned domains are not
 * short of CPU because of unpinned ones; otherwise pinned domains can get a
 * little more than a real scheduler would give them.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/sim_sched.h"

struct sim_wf_item {
	double level;                   /* upper / weight: where it saturates */
	size_t i;
};

static int
sim_wf_cmp(const void *a, const void *b)
{
	const struct sim_wf_item *x = a, *y = b;

	if (x->level != y->level)
		return x->level < y->level ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
sim_waterfill(size_t n, const double *weight, const double *upper, double capacity,
              double *out)
{
	struct sim_wf_item *it;
	double want = 0, wsum = 0, left = capacity;
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		want += upper[i];
	if (want <= capacity) {
		memcpy(out, upper, n * sizeof *out);
		return 0;
	}
	it = malloc(n * sizeof *it);
	if (it == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[i] = 0;
		if (upper[i] > 0) {
			it[m].level = upper[i] / weight[i];
			it[m++].i = i;
			wsum += weight[i];
		}
	}
	qsort(it, m, sizeof *it, sim_wf_cmp);
	/* Raise the water level; whoever saturates below it takes its upper bound. */
	for (size_t k = 0; k < m; k++) {
		size_t i = it[k].i;
		double level = left / wsum;

		if (it[k].level <= level) {
			out[i] = upper[i];
			left -= upper[i];
			wsum -= weight[i];
			continue;
		}
		for (; k < m; k++)
			out[it[k].i] = level * weight[it[k].i];
		break;
	}
	free(it);
	return 0;
}

double
sim_sched_upper(const struct sim_sched_dom *d)
{
	double u = d->demand;

	if (d->paused)
		return 0;
	if (u > d->vcpus)
		u = d->vcpus;
	if (d->cap > 0 && u > d->cap / 100.0)
		u = d->cap / 100.0;
	if (d->mask != NULL && u > cpuset_count(d->mask))
		u = cpuset_count(d->mask);
	return u < 0 ? 0 : u;
}

/* Orders pinned domains by mask, so that equal masks are neighbours (qsort_r). */
static int
sim_mask_cmp(const void *a, const void *b, void *arg)
{
	const struct sim_sched_dom *doms = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = memcmp(doms[x].mask, doms[y].mask, sizeof(struct cpuset));

	return c != 0 ? c : (x < y ? -1 : x > y);
}

/* Step 1: water-fill each group of identically pinned domains into its pCPUs. */
static int
sim_sched_groups(const struct sim_sched_dom *doms, size_t n, double *w, double *u,
                 double *gw, double *gu, double *gout, size_t *idx)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (doms[i].mask != NULL && u[i] > 0)
			idx[m++] = i;
	qsort_r(idx, m, sizeof *idx, sim_mask_cmp, (void *)doms);
	for (size_t a = 0, b; a < m; a = b) {
		const struct cpuset *mask = doms[idx[a]].mask;

		for (b = a; b < m && cpuset_equal(doms[idx[b]].mask, mask); b++) {
			gw[b - a] = w[idx[b]];
			gu[b - a] = u[idx[b]];
		}
		if (sim_waterfill(b - a, gw, gu, cpuset_count(mask), gout) < 0)
			return -1;
		for (size_t k = a; k < b; k++)
			u[idx[k]] = gout[k - a];
	}
	return 0;
}

int
sim_sched_solve(struct sim_sched_dom *doms, size_t n, unsigned nr_pcpus)
{
	double *buf = malloc(5 * n * sizeof *buf + 1);
	size_t *idx = malloc(n * sizeof *idx + 1);
	double *w, *u, *gw, *gu, *out;
	int rc = -1;

	if (buf == NULL || idx == NULL)
		goto done;
	w = buf; u = w + n; gw = u + n; gu = gw + n; out = gu + n;
	for (size_t i = 0; i < n; i++) {
		w[i] = doms[i].weight > 0 ? doms[i].weight : 1;
		u[i] = sim_sched_upper(&doms[i]);
	}
	if (sim_sched_groups(doms, n, w, u, gw, gu, out, idx) < 0 ||
	    sim_waterfill(n, w, u, nr_pcpus, out) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		doms[i].alloc = out[i];
	rc = 0;
done:
	free(buf);
	free(idx);
	return rc;
}
