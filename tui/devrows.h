/*
 * devrows.h: the device lines expanded under the selected domain, as small
 * tables with their own column names: vcpus (V), vifs (N) and vbds (B).
 */
#ifndef DOMTOP_DEVROWS_H
#define DOMTOP_DEVROWS_H

#include <stddef.h>

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

#endif
