/*
 * vifnet.c: the kernel side of vifs by dom0 interface name (see vifnet.h):
 * netstats for counters and link events, shape for throttles, and a small
 * cache of each interface's throttle state.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "backend/loop.h"
#include "backend/mem.h"
#include "backend/netstats.h"
#include "backend/shape.h"
#include "backend/str.h"
#include "backend/vifnet.h"

_Static_assert(SHAPE_SAVED_TEXT_MAX <= HV_SHAPE_SAVED_MAX, "hv.h's saved-state room is too small");

/* The throttle state of one interface, as last read from the kernel. */
struct vifnet_cached {
	char ifname[NETSTATS_NAME_MAX];
	int ifindex;
	uint64_t read_ns;               /* 0: read it again */
	struct sample_shape to_guest, from_guest;
};

struct vifnet {
	struct netstats *ns;
	struct shape *sh;               /* opened on first use */
	struct vifnet_cached *cache;
	size_t n_cache, cap_cache;
	int appeared;                   /* links new or renamed since vifnet_handle_events */
};

static struct vifnet_cached *
vifnet_cache_find(struct vifnet *vn, const char *ifname)
{
	for (size_t i = 0; i < vn->n_cache; i++)
		if (strcmp(vn->cache[i].ifname, ifname) == 0)
			return &vn->cache[i];
	return NULL;
}

/* The entry for ifname, made when missing; NULL when out of memory. */
static struct vifnet_cached *
vifnet_cache_get(struct vifnet *vn, const char *ifname)
{
	struct vifnet_cached *c = vifnet_cache_find(vn, ifname);

	if (c != NULL)
		return c;
	if (mem_grow((void **)&vn->cache, &vn->cap_cache, vn->n_cache + 1, sizeof *vn->cache,
	             NULL) < 0)
		return NULL;
	c = &vn->cache[vn->n_cache++];
	memset(c, 0, sizeof *c);
	str_copy(c->ifname, ifname, sizeof c->ifname);
	return c;
}

static void
vifnet_invalidate(struct vifnet *vn, const char *ifname)
{
	struct vifnet_cached *c = vifnet_cache_find(vn, ifname);

	if (c != NULL)
		c->read_ns = 0;
}

static void
vifnet_on_link(void *arg, const struct netstats_event *ev)
{
	struct vifnet *vn = arg;

	vifnet_invalidate(vn, ev->name);
	if (ev->old_name[0] != '\0')
		vifnet_invalidate(vn, ev->old_name);
	if (ev->kind == NETSTATS_LINK_NEW || ev->kind == NETSTATS_LINK_RENAMED)
		vn->appeared++;
}

int
vifnet_open(struct vifnet **out, struct err *e)
{
	struct vifnet *vn = calloc(1, sizeof *vn);

	*out = NULL;
	if (vn == NULL)
		return err_set(e, "out of memory");
	if (netstats_open(&vn->ns, vifnet_on_link, vn, e) < 0) {
		free(vn);
		return -1;
	}
	*out = vn;
	return 0;
}

void
vifnet_close(struct vifnet *vn)
{
	if (vn == NULL)
		return;
	netstats_close(vn->ns);
	if (vn->sh != NULL)
		shape_close(vn->sh);
	free(vn->cache);
	free(vn);
}

int
vifnet_refresh(struct vifnet *vn, struct err *e)
{
	return netstats_refresh(vn->ns, e);
}

static int
vifnet_shape(struct vifnet *vn, struct err *e)
{
	if (vn->sh == NULL && shape_open(&vn->sh, e) < 0)
		return -1;
	return 0;
}

static void
vifnet_from_status(const struct shape_status *st, struct sample_shape *to, struct sample_shape *from)
{
	memset(to, 0, sizeof *to);
	memset(from, 0, sizeof *from);
	if (st->to_guest.active)
		*to = (struct sample_shape){ st->to_guest.rate_bps, st->to_guest.burst_bytes };
	if (st->from_guest.active)
		*from = (struct sample_shape){ st->from_guest.rate_bps, st->from_guest.burst_bytes };
}

int
vifnet_read_shape(struct vifnet *vn, const char *ifname, struct sample_vif *v, struct err *e)
{
	struct shape_status st;
	struct vifnet_cached *c;

	v->ifindex = (int)if_nametoindex(ifname);
	memset(&v->to_guest, 0, sizeof v->to_guest);
	memset(&v->from_guest, 0, sizeof v->from_guest);
	if (v->ifindex == 0)
		return 0;
	if (vifnet_shape(vn, e) < 0 || shape_read(vn->sh, ifname, &st, e) < 0)
		return -1;
	vifnet_from_status(&st, &v->to_guest, &v->from_guest);
	if ((c = vifnet_cache_get(vn, ifname)) != NULL) {
		c->ifindex = v->ifindex;
		c->to_guest = v->to_guest;
		c->from_guest = v->from_guest;
		c->read_ns = loop_now_ns();
	}
	return 0;
}

bool
vifnet_fill(struct vifnet *vn, const char *ifname, struct sample_vif *v)
{
	const struct netstats_link *l = netstats_find(vn->ns, ifname);
	struct vifnet_cached *c;
	uint64_t now = loop_now_ns();
	struct err e;

	v->rx_bytes = v->rx_packets = v->rx_errors = v->rx_drops = 0;
	v->tx_bytes = v->tx_packets = v->tx_errors = v->tx_drops = 0;
	memset(&v->to_guest, 0, sizeof v->to_guest);
	memset(&v->from_guest, 0, sizeof v->from_guest);
	v->ifindex = 0;
	if (l == NULL)
		return false;
	v->ifindex = l->ifindex;
	v->rx_bytes = l->rx_bytes;
	v->rx_packets = l->rx_packets;
	v->rx_errors = l->rx_errors;
	v->rx_drops = l->rx_drops;
	v->tx_bytes = l->tx_bytes;
	v->tx_packets = l->tx_packets;
	v->tx_errors = l->tx_errors;
	v->tx_drops = l->tx_drops;
	c = vifnet_cache_get(vn, ifname);
	if (c != NULL && c->read_ns != 0 && c->ifindex == l->ifindex
	    && now - c->read_ns < VIFNET_SHAPE_TTL_NS) {
		v->to_guest = c->to_guest;
		v->from_guest = c->from_guest;
		return true;
	}
	/* a failed read shows no throttle; the action's read-back reports the error */
	if (vifnet_read_shape(vn, ifname, v, &e) < 0 && c != NULL)
		c->read_ns = 0;
	v->ifindex = l->ifindex;
	return true;
}

/* ---- throttling ---- */

static int
vifnet_load_saved(const char *ifname, const char *text, struct shape_saved *sv, struct err *e)
{
	memset(sv, 0, sizeof *sv);
	if (text[0] == '\0')
		return 0;
	if (shape_saved_parse(text, sv, e) < 0)
		return err_prefix(e, "the saved qdisc state of %s is unreadable", ifname);
	if (strcmp(sv->ifname, ifname) != 0)
		memset(sv, 0, sizeof *sv);      /* made for another interface (renamed since) */
	return 0;
}

static int
vifnet_store_saved(const struct shape_saved *sv, bool throttled, char *saved, size_t len,
                   struct err *e)
{
	if (!throttled) {
		saved[0] = '\0';
		return 0;
	}
	if (shape_saved_format(sv, saved, len) < 0)
		return err_set(e, "internal: no room for the saved qdisc state");
	return 0;
}

/* Applies one rate to the directions in dirs. */
static int
vifnet_apply(struct vifnet *vn, const char *ifname, unsigned dirs, uint64_t bps,
             struct shape_saved *sv, struct err *e)
{
	struct shape_spec spec = { bps, 0, 0 };

	return shape_apply(vn->sh, ifname, dirs, &spec, sv, NULL, e);
}

/*
 * Puts back one direction as it was read before (a rate, or none) after a
 * later step failed; adds to e when that fails too.
 */
static void
vifnet_revert(struct vifnet *vn, const char *ifname, unsigned dir, uint64_t old_bps,
              struct shape_saved *sv, struct err *e)
{
	char first[ERR_MSG_MAX];
	struct err e2;
	int rc;

	if (old_bps != 0)
		rc = vifnet_apply(vn, ifname, dir, old_bps, sv, &e2);
	else
		rc = shape_undo(vn->sh, ifname, dir, sv, NULL, &e2);
	if (rc < 0) {
		str_copy(first, e->msg, sizeof first);
		err_set(e, "%s; and the other direction could not be put back: %s", first, e2.msg);
	}
}

int
vifnet_set_shape(struct vifnet *vn, const char *ifname, const struct hv_vif_shape *want,
                 char *saved, size_t saved_len, struct err *e)
{
	struct shape_saved sv;
	struct shape_status before;
	uint64_t to = want->to_guest_bps, from = want->from_guest_bps;
	unsigned off = (to ? 0 : SHAPE_TO_GUEST) | (from ? 0 : SHAPE_FROM_GUEST);
	int rc = 0;

	if (vifnet_load_saved(ifname, saved, &sv, e) < 0 || vifnet_shape(vn, e) < 0)
		return -1;
	vifnet_invalidate(vn, ifname);
	if (to && from && to == from) {
		rc = vifnet_apply(vn, ifname, SHAPE_BOTH, to, &sv, e);
	} else if (to || from) {
		if (shape_read(vn->sh, ifname, &before, e) < 0)
			return -1;
		if (to)
			rc = vifnet_apply(vn, ifname, SHAPE_TO_GUEST, to, &sv, e);
		if (rc == 0 && from && vifnet_apply(vn, ifname, SHAPE_FROM_GUEST, from, &sv, e) < 0) {
			if (to)
				vifnet_revert(vn, ifname, SHAPE_TO_GUEST, before.to_guest.active ?
				              before.to_guest.rate_bps : 0, &sv, e);
			rc = -1;
		}
	}
	if (rc == 0 && off != 0)
		rc = shape_undo(vn->sh, ifname, off, sv.ifname[0] ? &sv : NULL, NULL, e);
	if (rc < 0)
		return -1;
	return vifnet_store_saved(&sv, to || from, saved, saved_len, e);
}

/* ---- events ---- */

int
vifnet_event_fd(const struct vifnet *vn)
{
	return netstats_event_fd(vn->ns);
}

int
vifnet_handle_events(struct vifnet *vn, struct err *e)
{
	int n;

	if (netstats_handle_events(vn->ns, e) < 0)
		return -1;
	n = vn->appeared;
	vn->appeared = 0;
	return n;
}
