/*
 * shape.h: throttling a vif in both directions through libnl (never by
 * running tc), reading the result back from the kernel, and undoing it
 * exactly.
 *
 *   to the guest:   dom0 transmits on the vif, so a root tbf qdisc on the vif
 *                   (handle d07:) shapes it.
 *   from the guest: dom0 receives on the vif; ingress cannot queue, so the
 *                   vif's ingress qdisc gets a u32 match-all filter (prio
 *                   3335) whose mirred action redirects every packet to an
 *                   ifb device made for this vif ("ifb-<vif>", or
 *                   "ifb-i<ifindex>" when that would not fit in IFNAMSIZ;
 *                   its alias says "domtop from-guest <vif>"), and a root
 *                   tbf on the ifb shapes it there.
 *
 * Shaping, not policing: tbf queues up to `latency` worth of packets and
 * drops only when that queue is full.
 *
 * Before the first change to a vif, shape_apply() saves its root qdisc: its
 * kind, handle and options exactly as the kernel dumps them. Undo puts that
 * qdisc back with the same handle and options (so `tc qdisc show` reads the
 * same before and after), or, when the vif had the kernel's default qdisc
 * (handle 0:, e.g. noqueue on a veth, pfifo_fast or mq on a netback vif),
 * deletes domtop's root so that the kernel attaches its default again.
 * shape_apply() refuses, changing nothing, when undo could not restore what
 * is there: a tree of qdiscs, classes or filters under the root, a size
 * table, a qdisc kind domtop does not know how to recreate, or an ingress or
 * clsact qdisc that domtop did not make. Undo removes the ingress qdisc, the
 * filter and the ifb device it made, and nothing else.
 *
 * tbf parameters when the spec leaves them at 0: burst = 20 ms at the rate
 * (at least 10 KiB), latency = 50 ms, so limit = rate x latency + burst.
 * Rates are bits per second, from 8 kbit/s to 17 Gbit/s (libnl's tbf takes a
 * 32-bit byte rate).
 *
 * All calls work in the caller's current network namespace. Not thread-safe.
 */
#ifndef DOMTOP_SHAPE_H
#define DOMTOP_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define SHAPE_NAME_MAX 16             /* IFNAMSIZ */
#define SHAPE_KIND_MAX 16
#define SHAPE_OPTS_MAX 512            /* TCA_OPTIONS of a saved root qdisc */
#define SHAPE_RATE_MIN 8000ull        /* bit/s */
#define SHAPE_RATE_MAX 17179869176ull /* bit/s: (2^31 - 1) bytes/s */

enum shape_dirs {
	SHAPE_TO_GUEST   = 1,             /* dom0 -> guest: tbf on the vif */
	SHAPE_FROM_GUEST = 2,             /* guest -> dom0: ingress -> ifb -> tbf */
	SHAPE_BOTH       = 3,
};

/* What to set; 0 in burst or latency means the default above. */
struct shape_spec {
	uint64_t rate_bps;
	uint32_t burst_bytes;
	uint32_t latency_us;
};

/* One direction, as read back from the kernel. */
struct shape_dir {
	bool active;                      /* a domtop throttle is in place */
	uint64_t rate_bps;
	uint32_t burst_bytes;             /* from the tbf's buffer time x rate */
	uint32_t limit_bytes;             /* queue size */
};

struct shape_status {
	struct shape_dir to_guest, from_guest;
	char root_kind[SHAPE_KIND_MAX];   /* the vif's root qdisc now: "tbf", "noqueue" */
	uint32_t root_handle;             /* 0 for a kernel default */
	char ifb[SHAPE_NAME_MAX];         /* the ifb carrying from-guest shaping, or "" */
	bool foreign_ingress;             /* an ingress/clsact qdisc domtop did not make */
};

/*
 * What undo needs; plain data, safe to copy and to keep across a restart
 * (see shape_saved_format). Start from a zeroed struct.
 */
struct shape_saved {
	char ifname[SHAPE_NAME_MAX];      /* set by the first shape_apply */
	bool root_saved;                  /* the root below was saved before our tbf */
	bool root_default;                /* it was the kernel's default (handle 0:) */
	char kind[SHAPE_KIND_MAX];
	uint32_t handle;
	uint16_t opts_len;
	unsigned char opts[SHAPE_OPTS_MAX];   /* TCA_OPTIONS as dumped */
	bool from_made;                   /* domtop made the ingress qdisc and ifb */
};

struct shape;

int shape_open(struct shape **out, struct err *e);
void shape_close(struct shape *sh);

/*
 * Throttles the directions in dirs of vif ifname to spec, then reads the
 * result back into *st (may be NULL). *saved must be zeroed for a vif that
 * domtop has not throttled, and the same struct passed again to change the
 * rate of a throttle in place: what it already holds is kept, so undo still
 * restores the state from before the first throttle. If the second direction
 * fails, the first one is undone again: a call changes all or nothing.
 */
int shape_apply(struct shape *sh, const char *ifname, unsigned dirs,
                const struct shape_spec *spec, struct shape_saved *saved,
                struct shape_status *st, struct err *e);

/*
 * Lifts the throttle in the directions in dirs: restores the saved root qdisc
 * (to the guest) and removes the ingress qdisc and ifb domtop made (from the
 * guest). saved may be NULL, or not know a throttle found on the vif (domtop
 * restarted): the vif then gets the kernel's default root qdisc back.
 * Reads the result back into *st (may be NULL). Lifting a direction that is
 * not throttled is not an error. When the vif itself is gone (the domain
 * stopped), its qdiscs went with it: undo then deletes the ifb made for it
 * (found by its alias) and succeeds.
 */
int shape_undo(struct shape *sh, const char *ifname, unsigned dirs,
               const struct shape_saved *saved, struct shape_status *st, struct err *e);

/* Reads the throttle state of a vif from the kernel. */
int shape_read(struct shape *sh, const char *ifname, struct shape_status *st, struct err *e);

/*
 * Rates in tc units: "1mbit", "500kbit", "2.5gbit", "100kibit", "10mbps"
 * (bytes/s), or a bare number of bits/s, rounded down to whole bytes/s
 * (rate_parse of rate.h). Checks SHAPE_RATE_MIN..MAX.
 */
int shape_parse_rate(const char *text, uint64_t *bps, struct err *e);

/* The ifb name used for a vif (ifindex is used when the name is too long). */
void shape_ifb_name(const char *ifname, int ifindex, char out[SHAPE_NAME_MAX]);

/*
 * One line of text for a saved state (for the audit log or a journal):
 * "shape-saved 1 <ifname> <flags> <kind> <handle> <hex options>". Returns
 * the length, or -1 when len is too small (SHAPE_SAVED_TEXT_MAX always fits).
 */
#define SHAPE_SAVED_TEXT_MAX (2 * SHAPE_OPTS_MAX + 128)
int shape_saved_format(const struct shape_saved *s, char *buf, size_t len);
int shape_saved_parse(const char *text, struct shape_saved *s, struct err *e);

#endif
