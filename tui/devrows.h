/*
 * devrows.h: the device lines expanded under the selected domain, as small
 * tables with their own column names: vcpus (V), vifs (N) and vbds (B).
 */
#ifndef DOMTOP_DEVROWS_H
#define DOMTOP_DEVROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/view.h"
#include "tui/crt.h"

enum devrows_kind { DEVROWS_VCPU, DEVROWS_VIF, DEVROWS_VBD };

/* How many devices of a kind the domain has. */
size_t devrows_count(const struct view_domain *d, enum devrows_kind k);
/* The column names of a kind at line y ("no vifs" when the domain has none). */
void devrows_draw_header(struct crt *c, int y, const struct view_domain *d, enum devrows_kind k);
/* Device i of a kind at line y. */
void devrows_draw(struct crt *c, int y, const struct view_domain *d, enum devrows_kind k,
                  size_t i, unsigned nr_pcpus);

/* What the console knows about a vif beyond its sample (throttle registry, binding). */
struct devrows_vif_note {
	bool selected;          /* the vif line the keys act on */
	bool real;              /* a real dom0 interface (bound, or a Xen vif) */
	const char *ifname;     /* that interface, when real */
	bool wanted;            /* a sticky throttle is registered for it */
	uint64_t want_to_bps, want_from_bps;
	int64_t left_s;         /* seconds until it is lifted; 0 = no expiry */
};
/* Vif i at line y, as devrows_draw, with what n adds (expiry, a missing interface). */
void devrows_draw_vif(struct crt *c, int y, const struct view_domain *d, size_t i,
                      const struct devrows_vif_note *n);

#endif
