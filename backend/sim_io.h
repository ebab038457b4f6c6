/*
 * sim_io.h: the demo host's network and disk models, one step at a time.
 *
 * Network: each direction of each vif is a flow with a demand (bits/s). A
 * throttle is a token bucket (rate, burst): over a step of dt seconds it
 * lets through at most tokens + rate x dt / 8 bytes, so a steady flow gets
 * min(demand, rate) after the burst is spent. The host NIC's capacity (each
 * direction) is then shared in proportion to what each flow offers: its
 * queue is first come first served, so a flood that does not back off
 * crowds out everyone, until it is throttled.
 *
 * Disk: each vbd asks for some IOPS; the host disk serves at most its
 * capacity. How the capacity is shared depends on the IO scheduler and the
 * IO priority of each domain's backend, as on Linux:
 *   bfq          strict classes (realtime, then best-effort, then idle);
 *                inside a class shares follow the level: weight (8 - level),
 *                so level 0 gets 8 times what level 7 gets;
 *   mq-deadline  realtime first, then every other request first come first
 *                served (shares proportional to demand);
 *   none         first come first served: priorities do nothing.
 * A vbd served less than it asks has requests waiting (oo_req) and its
 * backend spends its time blocked on IO (iow close to 1).
 */
#ifndef DOMTOP_SIM_IO_H
#define DOMTOP_SIM_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "backend/scenario.h"

/* A token bucket; rate_bps = 0 means no throttle. */
struct sim_tbf {
	double rate_bps;
	double burst_bytes;
	double tokens;                  /* bytes */
};

/* Sets the bucket (full), or removes it when rate_bps = 0. */
void sim_tbf_set(struct sim_tbf *t, double rate_bps, double burst_bytes);

struct sim_flow {
	/* in */
	double demand_bps;
	struct sim_tbf *tbf;            /* updated by the step */
	/* out, for the step */
	double sent_bytes;
	double held_bytes;              /* demand the throttle held back */
};

/* One step of dt seconds for the flows of one direction through the NIC. */
int sim_net_step(struct sim_flow *f, size_t n, double nic_bps, double dt);

/* Linux ioprio classes. Class 0 ("none") behaves as best-effort. */
enum {
	SIM_IOPRIO_NONE = 0,
	SIM_IOPRIO_RT = 1,
	SIM_IOPRIO_BE = 2,
	SIM_IOPRIO_IDLE = 3,
};

struct sim_io_req {
	/* in */
	double demand;                  /* IOPS */
	int ioprio_class, ioprio_level;
	/* out */
	double served;                  /* IOPS */
	double iow;                     /* share of time its backend waits on IO, 0..1 */
};

/* Shares capacity (IOPS) among the requests as sched does. */
int sim_disk_step(struct sim_io_req *r, size_t n, double capacity, enum scn_disk_sched sched);

/* Name of a disk scheduler as Linux spells it. */
const char *sim_disk_sched_name(enum scn_disk_sched s);

#endif
