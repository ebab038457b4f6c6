/*
 * hv.h: the hypervisor interface. One implementation per platform, as htop
 * has per-platform backends: "xen" (libxenstat + libxl, xen.c) and "sim"
 * (the simulated demo host, sim.c). Everything above this line is
 * platform-neutral: the action API, the view, the front ends.
 *
 * All calls return 0 on success or -1 with an operator-readable message in
 * *e. Setters change one thing and do not read it back: the action API
 * reads back with hv_read_domain().
 */
#ifndef DOMTOP_HV_H
#define DOMTOP_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/sample.h"

struct hv;

struct hv_ops {
	const char *name;
	/*
	 * Fills *out (cleared first) with every domain, sorted by domid.
	 * interval_ns is the nominal time since the previous sample: the sim
	 * advances its virtual clock by exactly that much (so a run is
	 * deterministic); real backends read the real clock and ignore it.
	 */
	int (*sample)(struct hv *, struct sample *out, uint64_t interval_ns, struct err *);
	/* Current state of one domain, without advancing anything. */
	int (*read_domain)(struct hv *, uint32_t domid, struct sample_domain *out, struct err *);
	int (*set_weight)(struct hv *, uint32_t domid, unsigned weight, struct err *);
	int (*set_cap)(struct hv *, uint32_t domid, unsigned cap, struct err *);
	/* vcpu < 0: every vcpu of the domain. */
	int (*pin_vcpu)(struct hv *, uint32_t domid, int vcpu, const struct cpuset *, struct err *);
	int (*set_paused)(struct hv *, uint32_t domid, bool paused, struct err *);
	void (*close)(struct hv *);
};

struct hv {
	const struct hv_ops *ops;
	void *priv;                 /* the backend's own state */
	struct sample_host host;    /* static facts, filled by open */
};

/* Opens the real Xen backend; fails with a message suggesting --demo when no Xen. */
int hv_xen_open(struct hv **out, struct err *e);

/* Scenario options for the simulated host. */
struct sim_options {
	const char *scenario_path;  /* NULL: the embedded default scenario */
	uint64_t seed;
};
int hv_sim_open(struct hv **out, const struct sim_options *opt, struct err *e);

int hv_sample(struct hv *, struct sample *out, uint64_t interval_ns, struct err *);
int hv_read_domain(struct hv *, uint32_t domid, struct sample_domain *out, struct err *);
int hv_set_weight(struct hv *, uint32_t domid, unsigned weight, struct err *);
int hv_set_cap(struct hv *, uint32_t domid, unsigned cap, struct err *);
int hv_pin_vcpu(struct hv *, uint32_t domid, int vcpu, const struct cpuset *, struct err *);
int hv_set_paused(struct hv *, uint32_t domid, bool paused, struct err *);
void hv_close(struct hv *);

/* Frees what read_domain allocated into a struct sample_domain. */
void hv_domain_free(struct sample_domain *d);

#endif
