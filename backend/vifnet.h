/*
 * vifnet.h: the kernel side of vifs, for any backend that knows the dom0
 * interface name of a vif (the demo host's bound vifs, the Xen backend's
 * vifs). Everything here is keyed by that name:
 *
 *   counters   one RTM_GETSTATS dump per sample (netstats.h), then
 *              vifnet_fill() per vif: counters, ifindex, throttle state;
 *   throttle   vifnet_set_shape() applies or lifts a throttle each way with
 *              shape.h (tbf on the vif; ingress -> ifb -> tbf), carrying
 *              what undo must restore as one line of text; the state is
 *              read back from the kernel with vifnet_read_shape();
 *   events     vifnet_event_fd() goes into the event loop;
 *              vifnet_handle_events() says how many links appeared or were
 *              renamed (time to re-apply sticky throttles).
 *
 * The throttle state that vifnet_fill() reports is read from the kernel
 * when a vif is first seen, when its ifindex changes, after a link event
 * about it, after vifnet changed it, and at least every VIFNET_SHAPE_TTL_NS
 * (a tc command typed by hand shows within that time); in between it is
 * cached, so a sample costs one netlink dump, not one per vif.
 *
 * All calls work in the caller's network namespace. Not thread-safe.
 */
#ifndef DOMTOP_VIFNET_H
#define DOMTOP_VIFNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/hv.h"
#include "backend/sample.h"

#define VIFNET_SHAPE_TTL_NS 30000000000ull

struct vifnet;

/* Opens the stats and link-event sockets; shaping opens on first use. */
int vifnet_open(struct vifnet **out, struct err *e);
void vifnet_close(struct vifnet *vn);

/* One RTM_GETSTATS dump for every link; vifnet_fill reads from it. */
int vifnet_refresh(struct vifnet *vn, struct err *e);

/*
 * Counters, ifindex and throttle state (to_guest, from_guest) of ifname
 * into v; v's devid and ifname are left alone. Returns false, with zero
 * counters, ifindex 0 and no throttle, when no such interface exists.
 */
bool vifnet_fill(struct vifnet *vn, const char *ifname, struct sample_vif *v);

/*
 * Reads ifindex and throttle state of ifname from the kernel now (for an
 * action's read-back). An absent interface reads as ifindex 0 and no
 * throttle (returns 0).
 */
int vifnet_read_shape(struct vifnet *vn, const char *ifname, struct sample_vif *v, struct err *e);

/*
 * Throttles ifname each way as want says; 0 lifts that way. saved is the
 * hv.h text of what lifting must restore: "" for an interface domtop has
 * not throttled; updated on success ("" again once nothing is throttled).
 * A saved state made for another interface name is not used. On failure
 * nothing is changed (as far as the kernel lets it be put back).
 */
int vifnet_set_shape(struct vifnet *vn, const char *ifname, const struct hv_vif_shape *want,
                     char *saved, size_t saved_len, struct err *e);

/* The link-event socket (non-blocking): poll it for POLLIN. */
int vifnet_event_fd(const struct vifnet *vn);
/*
 * Reads pending link events. Returns how many links appeared or were
 * renamed since the last call (also counting those seen during a refresh),
 * or -1.
 */
int vifnet_handle_events(struct vifnet *vn, struct err *e);

#endif
