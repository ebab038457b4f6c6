/*
 * netstats.h: per-link counters from the kernel, for every interface of the
 * current network namespace (vifs, veths, ifbs alike).
 *
 * One refresh is one RTM_GETSTATS dump with only the 64-bit link statistics
 * asked for (IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64)): a few hundred bytes
 * per link, about 0.3 us each, instead of a full RTM_GETLINK dump or parsing
 * /proc/net/dev. Names come from a libnl route/link cache that a cache
 * manager keeps up to date from link notifications (NETLINK_ROUTE, group
 * RTNLGRP_LINK); its socket is exposed so the event loop can poll it:
 *
 *     loop_add_fd(l, netstats_event_fd(ns), POLLIN, on_netlink, ns, &e);
 *     static void on_netlink(struct loop *l, int fd, short rev, void *ns)
 *     { struct err e; if (netstats_handle_events(ns, &e) < 0) show(e.msg); }
 *
 * Link events (a vif that appears, vanishes or is renamed) are passed to the
 * callback given at open, from netstats_handle_events() or from
 * netstats_refresh() (which first drains pending events, so names in a
 * refresh are never older than the events already queued). When the kernel
 * dropped events (socket overflow), the cache is resynced from a dump and the
 * differences are reported as events, so no appearance or disappearance is
 * ever missed.
 *
 * Counters are dom0's view: rx = received by dom0 on the link (on a vif:
 * from the guest), tx = sent by dom0 (on a vif: to the guest). A link that is
 * deleted and re-created under the same name gets a new ifindex and counters
 * that start again from 0: compare ifindex between two refreshes to tell a
 * reset from a wrap (64-bit netlink counters do not wrap at 32 bits).
 *
 * Not thread-safe; one struct netstats per thread. No global state.
 */
#ifndef DOMTOP_NETSTATS_H
#define DOMTOP_NETSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define NETSTATS_NAME_MAX 16          /* IFNAMSIZ, with the NUL */

struct netstats_link {
	int ifindex;
	char name[NETSTATS_NAME_MAX];     /* "" only if the link vanished mid-dump */
	uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
};

enum netstats_event_kind {
	NETSTATS_LINK_NEW,                /* a link appeared (or was found by a resync) */
	NETSTATS_LINK_GONE,               /* a link was deleted (name = its last name) */
	NETSTATS_LINK_RENAMED,            /* same ifindex, new name; old_name is set */
};

struct netstats_event {
	enum netstats_event_kind kind;
	int ifindex;
	char name[NETSTATS_NAME_MAX];
	char old_name[NETSTATS_NAME_MAX]; /* RENAMED only, else "" */
};

/* Called once per event; must not call netstats_close() on ns. */
typedef void (*netstats_event_cb)(void *arg, const struct netstats_event *ev);

struct netstats;

/*
 * Opens the stats socket and the link cache (one RTM_GETLINK dump, done once)
 * in the caller's current network namespace. cb may be NULL.
 */
int netstats_open(struct netstats **out, netstats_event_cb cb, void *arg, struct err *e);
void netstats_close(struct netstats *ns);

/*
 * One RTM_GETSTATS dump: replaces the previous set of links. On failure the
 * previous set stays readable and e says why.
 */
int netstats_refresh(struct netstats *ns, struct err *e);

/* The links of the last refresh, sorted by ifindex; *n gets their number. */
const struct netstats_link *netstats_links(const struct netstats *ns, size_t *n);
/* By name or ifindex, among the links of the last refresh; NULL when absent. */
const struct netstats_link *netstats_find(const struct netstats *ns, const char *ifname);
const struct netstats_link *netstats_find_index(const struct netstats *ns, int ifindex);
/* Monotonic time (ns) at which the last refresh's dump completed; 0 before. */
uint64_t netstats_time_ns(const struct netstats *ns);

/* The link-event socket: poll it for POLLIN. Non-blocking. */
int netstats_event_fd(const struct netstats *ns);
/*
 * Reads every pending link notification, updates the names and calls the
 * event callback. Returns the number of events reported, or -1.
 */
int netstats_handle_events(struct netstats *ns, struct err *e);

/* How many times link events were lost (socket overflow) and the cache resynced. */
uint64_t netstats_resyncs(const struct netstats *ns);

/* Current name of an ifindex from the link cache ("" when unknown). */
const char *netstats_name(const struct netstats *ns, int ifindex);

#endif
