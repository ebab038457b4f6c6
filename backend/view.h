/*
 * view.h: rates derived from two samples. Front ends draw only from a view;
 * they never touch counters. A domain that is new in the current sample (or
 * the first sample of a run) has has_rates = false and zero rates. A counter
 * that went backwards wrapped if it was a 32-bit counter near its top (old
 * value in [2^31, 2^32)); otherwise it was reset (a re-created vif, a
 * restarted backend) and gives no rate for that interval. A vif whose
 * ifindex changed is a new vif: no rate either.
 */
#ifndef DOMTOP_VIEW_H
#define DOMTOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/sample.h"

struct view_vcpu {
	const struct sample_vcpu *raw;
	double cpu_pct;               /* percent of one pCPU */
};

struct view_vif {
	const struct sample_vif *raw;
	double rx_bps, tx_bps;        /* bits/s, dom0's view: rx = from the guest */
	double rx_pps, tx_pps;
	double err_ps, drop_ps;       /* errors and drops per second, both ways */
};

struct view_vbd {
	const struct sample_vbd *raw;
	double rd_iops, wr_iops;
	double rd_Bps, wr_Bps;        /* bytes/s (sectors of 512 bytes) */
	double oo_ps;                 /* requests per second that found the ring full */
	double iow_pct;               /* block-IO delay of its backend tasks, % of the interval */
};

struct view_domain {
	const struct sample_domain *raw;  /* points into the current sample */
	bool has_rates;
	double cpu_pct;               /* percent of one pCPU (400 = 4 busy pCPUs) */
	double ent_pct;               /* entitlement under full contention, same unit */
	double use;                   /* cpu_pct / ent_pct; 0 when no entitlement */
	double rx_bps, tx_bps, pps;   /* all vifs; pps counts both directions */
	double iow_pct, iops;         /* all vbds */
	bool iow_off;                 /* the host does not account IO delay (sample_host
	                               * io_delay_off): iow_pct is 0 and means nothing */
	struct view_vcpu *vcpus;
	struct view_vif *vifs;
	struct view_vbd *vbds;
};

struct view_host {
	double cpu_pct;               /* all domains, percent of all pCPUs (0..100) */
	uint64_t used_mem_kb;
	unsigned by_state[6];         /* domains with each flag, in DOM_* bit order */
	unsigned n_runnable;
	uint64_t interval_ns;         /* between the two samples; 0 on the first */
	uint64_t sum_weight;          /* of runnable domains */
};

struct view {
	const struct sample *cur;
	struct view_host host;
	size_t n;
	struct view_domain *doms;     /* same order as cur->domains */
	/* one allocation each for all domains' sub-rows, reused across refreshes */
	struct view_vcpu *vcpu_pool;
	struct view_vif *vif_pool;
	struct view_vbd *vbd_pool;
	size_t cap_doms, cap_vcpus, cap_vifs, cap_vbds;
};

void view_init(struct view *v);
/* prev may be NULL (first sample). Returns -1 only when out of memory. */
int view_derive(struct view *v, const struct sample *prev, const struct sample *cur);
void view_free(struct view *v);

/*
 * Difference of a cumulative counter. Returns false (and *out = 0) when the
 * counter was reset; one in [2^31, 2^32) that went backwards wrapped at 32 bits.
 */
bool view_counter_delta(uint64_t prev, uint64_t cur, uint64_t *out);

/* Entitlement of one domain under full contention, percent of one pCPU. */
double view_entitlement(unsigned weight, unsigned cap, unsigned nr_vcpus,
                        uint64_t sum_weight, unsigned nr_pcpus);

#endif
