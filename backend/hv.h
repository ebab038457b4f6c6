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
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/sample.h"

struct hv;

/*
 * The throttle of one vif, each way, in bits/s; 0 = none that way. "To the
 * guest" is dom0's TX on the vif, "from the guest" its RX.
 */
struct hv_vif_shape {
	uint64_t to_guest_bps, from_guest_bps;
};

/*
 * Room for what lifting a throttle must put back on a real interface (its
 * own root qdisc before domtop's), as one line of text (shape.h's
 * shape_saved_format). Kept by the caller between calls and across restarts.
 */
#define HV_SHAPE_SAVED_MAX 1152

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
	/*
	 * Network (issue 4); NULL when the backend has no such thing. The
	 * kernel side is backend/vifnet.h, keyed by dom0 interface name.
	 *
	 * set_vif_shape: throttles vif devid of domid each way as *want says
	 * (0 lifts that way), shaping (tbf), not policing. saved (in/out,
	 * saved_len bytes) is "" for a vif domtop has not throttled, and holds
	 * what lifting needs to restore the vif's own qdisc; a backend without
	 * kernel state leaves it "". Read back with read_domain (sample_vif
	 * to_guest / from_guest), from the kernel.
	 */
	int (*set_vif_shape)(struct hv *, uint32_t domid, unsigned devid,
	                     const struct hv_vif_shape *want, char *saved, size_t saved_len,
	                     struct err *);
	/*
	 * The dom0 interface behind a vif when it is a real one (capture, sticky
	 * throttles), whether or not it exists right now; -1 with the reason
	 * for a simulated vif.
	 */
	int (*vif_ifname)(struct hv *, uint32_t domid, unsigned devid, char *buf, size_t len,
	                  struct err *);
	/*
	 * IO priority of the backend of vbd devid of domid (issue 3), as
	 * ioprio_set(2) takes it: class 1 realtime, 2 best-effort, 3 idle, 0
	 * none (the kernel derives it from the nice value); level 0 (highest)
	 * to 7 for realtime and best-effort, 0 otherwise. Real backends set
	 * every task that serves the disk (blkback's ring threads, every
	 * thread of a qdisk's qemu, which serves all the domain's qdisks).
	 * Read back with read_domain (sample_vbd ioprio_*). NULL: none.
	 */
	int (*set_vbd_ioprio)(struct hv *, uint32_t domid, unsigned devid, int ioclass, int level,
	                      struct err *);
	/* A pollable fd for link events (vifs appearing, vanishing, renamed); -1: none. */
	int (*link_fd)(struct hv *);
	/*
	 * Reads the pending link events; returns how many links appeared or
	 * were renamed (a reason to re-apply sticky throttles), or -1.
	 */
	int (*link_events)(struct hv *, struct err *);
	/*
	 * Console attach (issue 3); NULL when the backend has no consoles.
	 * Called in a forked child of domtop after the terminal was released
	 * (curses left, signal handlers and mask back to their defaults, fds
	 * other than 0-2 close-on-exec): execs the console of domid on the
	 * terminal (stdin/stdout), which returns to domtop when it exits (on
	 * Ctrl-], as xenconsole). Returns only on failure, with the reason.
	 */
	int (*console_exec)(struct hv *, uint32_t domid, struct err *);
	/*
	 * What the platform's libraries said that was not an action's error
	 * (libxl warnings, libxenstat's complaints), for the message line:
	 * how many since the last call, the newest in buf. NULL: never any.
	 */
	unsigned (*take_notice)(struct hv *, char *buf, size_t len);
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
int hv_set_vif_shape(struct hv *, uint32_t domid, unsigned devid, const struct hv_vif_shape *want,
                     char *saved, size_t saved_len, struct err *);
int hv_vif_ifname(struct hv *, uint32_t domid, unsigned devid, char *buf, size_t len,
                  struct err *);
int hv_set_vbd_ioprio(struct hv *, uint32_t domid, unsigned devid, int ioclass, int level,
                      struct err *);
int hv_link_fd(struct hv *);                       /* -1 when the backend has none */
int hv_link_events(struct hv *, struct err *);     /* 0 when the backend has none */
/* In a forked child only (see console_exec): returns only on failure. */
int hv_console_exec(struct hv *, uint32_t domid, struct err *);
/* 0 and buf "" when there is no news (see take_notice). */
unsigned hv_take_notice(struct hv *, char *buf, size_t len);
void hv_close(struct hv *);

/* Frees what read_domain allocated into a struct sample_domain. */
void hv_domain_free(struct sample_domain *d);

#endif
