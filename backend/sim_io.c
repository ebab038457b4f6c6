/* sim_io.c: network token buckets and disk IO scheduling (see sim_io.h). */
#include <math.h>
#include <stdlib.h>

#include "backend/sim_io.h"
#include "backend/sim_sched.h"

void
sim_tbf_set(struct sim_tbf *t, double rate_bps, double burst_bytes)
{
	t->rate_bps = rate_bps;
	t->burst_bytes = rate_bps > 0 ? burst_bytes : 0;
	t->tokens = t->burst_bytes;
}

/* Bytes the bucket lets through in dt seconds; HUGE_VAL without a throttle. */
static double
sim_tbf_allow(const struct sim_tbf *t, double dt)
{
	if (t == NULL || t->rate_bps <= 0)
		return HUGE_VAL;
	return t->tokens + t->rate_bps / 8 * dt;
}

static void
sim_tbf_take(struct sim_tbf *t, double dt, double bytes)
{
	if (t == NULL || t->rate_bps <= 0)
		return;
	t->tokens = fmin(t->burst_bytes, fmax(0, t->tokens + t->rate_bps / 8 * dt - bytes));
}

int
sim_net_step(struct sim_flow *f, size_t n, double nic_bps, double dt)
{
	double *buf = calloc(3 * n + 1, sizeof *buf);
	double *w, *u, *out;

	if (buf == NULL)
		return -1;
	w = buf; u = w + n; out = u + n;
	for (size_t i = 0; i < n; i++) {
		double allow_bps = dt > 0 ? sim_tbf_allow(f[i].tbf, dt) * 8 / dt : 0;

		u[i] = fmin(fmax(f[i].demand_bps, 0), allow_bps);
		w[i] = u[i] > 0 ? u[i] : 1;     /* the NIC queue is FIFO: shares follow demand */
	}
	if (sim_waterfill(n, w, u, nic_bps, out) < 0) {
		free(buf);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		f[i].sent_bytes = out[i] * dt / 8;
		f[i].held_bytes = fmax(0, f[i].demand_bps - u[i]) * dt / 8;
		sim_tbf_take(f[i].tbf, dt, f[i].sent_bytes);
	}
	free(buf);
	return 0;
}

/* ---- disk ---- */

/* The tier a request is served in (lower first) under sched. */
static int
sim_io_tier(const struct sim_io_req *r, enum scn_disk_sched sched)
{
	switch (sched) {
	case SCN_DISK_BFQ:
		return r->ioprio_class == SIM_IOPRIO_RT ? 0 : r->ioprio_class == SIM_IOPRIO_IDLE ? 2 : 1;
	case SCN_DISK_MQ_DEADLINE:
		return r->ioprio_class == SIM_IOPRIO_RT ? 0 : 1;
	case SCN_DISK_NONE:
		return 1;
	}
	return 1;
}

/* Share of a request inside its tier: bfq weights by level; FIFO by demand. */
static double
sim_io_weight(const struct sim_io_req *r, enum scn_disk_sched sched)
{
	int level = r->ioprio_level < 0 ? 4 : r->ioprio_level > 7 ? 7 : r->ioprio_level;

	if (sched == SCN_DISK_BFQ)
		return r->ioprio_class == SIM_IOPRIO_IDLE ? 1 : 8 - level;
	return r->demand;               /* first come first served */
}

/* Serves one tier out of *left IOPS. w, u, out are scratch of n entries. */
static int
sim_io_serve_tier(struct sim_io_req *r, size_t n, int tier, enum scn_disk_sched sched,
                  double *left, double *w, double *u, double *out)
{
	double used = 0;

	for (size_t i = 0; i < n; i++) {
		bool in = sim_io_tier(&r[i], sched) == tier && r[i].demand > 0;

		u[i] = in ? r[i].demand : 0;
		w[i] = in ? sim_io_weight(&r[i], sched) : 1;
	}
	if (sim_waterfill(n, w, u, *left, out) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (u[i] > 0) {
			r[i].served = out[i];
			used += out[i];
		}
	}
	*left = fmax(0, *left - used);
	return 0;
}

/*
 * IO wait: a served request keeps the backend waiting for its service time
 * (1 / capacity; under FIFO schedulers stretched by queueing, 1 / (1 - load));
 * a request that is not served at all keeps it waiting the whole time.
 */
static void
sim_io_wait(struct sim_io_req *r, size_t n, double capacity, enum scn_disk_sched sched)
{
	double total = 0, load, lat;

	for (size_t i = 0; i < n; i++)
		total += r[i].served;
	load = fmin(total / capacity, 0.95);
	lat = 1 / capacity;
	if (sched != SCN_DISK_BFQ)
		lat /= 1 - load;
	for (size_t i = 0; i < n; i++) {
		double starved = r[i].demand > 0 ? (r[i].demand - r[i].served) / r[i].demand : 0;

		r[i].iow = fmin(1, r[i].served * lat + fmax(0, starved));
	}
}

/* Note: a tier's water-fill with demand weights is exactly "proportional to demand". */
int
sim_disk_step(struct sim_io_req *r, size_t n, double capacity, enum scn_disk_sched sched)
{
	double *buf = calloc(3 * n + 1, sizeof *buf);
	double left = capacity;

	if (buf == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		r[i].served = 0;
	for (int tier = 0; tier < 3; tier++) {
		if (sim_io_serve_tier(r, n, tier, sched, &left, buf, buf + n, buf + 2 * n) < 0) {
			free(buf);
			return -1;
		}
	}
	sim_io_wait(r, n, capacity, sched);
	free(buf);
	return 0;
}

const char *
sim_disk_sched_name(enum scn_disk_sched s)
{
	switch (s) {
	case SCN_DISK_BFQ:         return "bfq";
	case SCN_DISK_MQ_DEADLINE: return "mq-deadline";
	case SCN_DISK_NONE:        return "none";
	}
	return "?";
}
