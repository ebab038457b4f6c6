/*
 * view.c: rates from two samples (see view.h). Domains, vcpus, vifs and vbds
 * are matched by id; both samples are sorted by domid, so domains are joined
 * in one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "backend/mem.h"
#include "backend/view.h"

#define NS_PER_S 1e9

void
view_init(struct view *v)
{
	memset(v, 0, sizeof *v);
}

void
view_free(struct view *v)
{
	free(v->doms);
	free(v->vcpu_pool);
	free(v->vif_pool);
	free(v->vbd_pool);
	view_init(v);
}

static int
view_reserve_all(struct view *v, const struct sample *cur)
{
	size_t nv = 0, ni = 0, nb = 0;

	for (size_t i = 0; i < cur->n_domains; i++) {
		nv += cur->domains[i].n_vcpus;
		ni += cur->domains[i].n_vifs;
		nb += cur->domains[i].n_vbds;
	}
	if (mem_grow((void **)&v->doms, &v->cap_doms, cur->n_domains, sizeof *v->doms, NULL) < 0 ||
	    mem_grow((void **)&v->vcpu_pool, &v->cap_vcpus, nv, sizeof *v->vcpu_pool, NULL) < 0 ||
	    mem_grow((void **)&v->vif_pool, &v->cap_vifs, ni, sizeof *v->vif_pool, NULL) < 0 ||
	    mem_grow((void **)&v->vbd_pool, &v->cap_vbds, nb, sizeof *v->vbd_pool, NULL) < 0)
		return -1;
	if (nv)
		memset(v->vcpu_pool, 0, nv * sizeof *v->vcpu_pool);
	if (ni)
		memset(v->vif_pool, 0, ni * sizeof *v->vif_pool);
	if (nb)
		memset(v->vbd_pool, 0, nb * sizeof *v->vbd_pool);
	return 0;
}

bool
view_counter_delta(uint64_t prev, uint64_t cur, uint64_t *out)
{
	if (cur >= prev) {
		*out = cur - prev;
		return true;
	}
	if (prev >= (UINT64_C(1) << 31) && prev <= UINT32_MAX) {   /* a 32-bit counter wrapped */
		*out = cur + (UINT64_C(1) << 32) - prev;
		return true;
	}
	*out = 0;                       /* reset: no rate this interval */
	return false;
}

/* Rate per second of a counter, 0 when it was reset. */
static double
view_rate(uint64_t prev, uint64_t cur, double secs)
{
	uint64_t d;

	if (secs <= 0 || !view_counter_delta(prev, cur, &d))
		return 0;
	return (double)d / secs;
}

double
view_entitlement(unsigned weight, unsigned cap, unsigned nr_vcpus,
                 uint64_t sum_weight, unsigned nr_pcpus)
{
	double ent;

	if (sum_weight == 0 || weight == 0)
		return 0;
	ent = (double)weight / (double)sum_weight * nr_pcpus * 100.0;
	if (cap > 0 && ent > cap)
		ent = cap;
	if (ent > nr_vcpus * 100.0)
		ent = nr_vcpus * 100.0;
	return ent;
}

static const struct sample_vcpu *
find_vcpu(const struct sample_domain *d, unsigned id)
{
	if (id < d->n_vcpus && d->vcpus[id].id == id)
		return &d->vcpus[id];
	for (size_t i = 0; i < d->n_vcpus; i++)
		if (d->vcpus[i].id == id)
			return &d->vcpus[i];
	return NULL;
}

static void
derive_vcpus(struct view_domain *vd, const struct sample_domain *p, double secs)
{
	const struct sample_domain *c = vd->raw;

	for (size_t i = 0; i < c->n_vcpus; i++) {
		const struct sample_vcpu *pv = p ? find_vcpu(p, c->vcpus[i].id) : NULL;

		vd->vcpus[i].raw = &c->vcpus[i];
		if (pv != NULL)
			vd->vcpus[i].cpu_pct = view_rate(pv->cpu_ns, c->vcpus[i].cpu_ns, secs) / NS_PER_S * 100.0;
	}
}

static void
derive_vifs(struct view_domain *vd, const struct sample_domain *p, double secs)
{
	const struct sample_domain *c = vd->raw;

	for (size_t i = 0; i < c->n_vifs; i++) {
		const struct sample_vif *cv = &c->vifs[i];
		const struct sample_vif *pv = p ? sample_find_vif(p, cv->devid) : NULL;
		struct view_vif *o = &vd->vifs[i];

		o->raw = cv;
		if (pv == NULL || pv->ifindex != cv->ifindex)
			continue;       /* new, or re-created under the same devid */
		o->rx_bps = view_rate(pv->rx_bytes, cv->rx_bytes, secs) * 8;
		o->tx_bps = view_rate(pv->tx_bytes, cv->tx_bytes, secs) * 8;
		o->rx_pps = view_rate(pv->rx_packets, cv->rx_packets, secs);
		o->tx_pps = view_rate(pv->tx_packets, cv->tx_packets, secs);
		o->err_ps = view_rate(pv->rx_errors, cv->rx_errors, secs) +
		            view_rate(pv->tx_errors, cv->tx_errors, secs);
		o->drop_ps = view_rate(pv->rx_drops, cv->rx_drops, secs) +
		             view_rate(pv->tx_drops, cv->tx_drops, secs);
		vd->rx_bps += o->rx_bps;
		vd->tx_bps += o->tx_bps;
		vd->pps += o->rx_pps + o->tx_pps;
	}
}

static void
derive_vbds(struct view_domain *vd, const struct sample_domain *p, double secs)
{
	const struct sample_domain *c = vd->raw;

	for (size_t i = 0; i < c->n_vbds; i++) {
		const struct sample_vbd *cv = &c->vbds[i];
		const struct sample_vbd *pv = p ? sample_find_vbd(p, cv->devid) : NULL;
		struct view_vbd *o = &vd->vbds[i];

		o->raw = cv;
		if (pv == NULL)
			continue;
		o->rd_iops = view_rate(pv->rd_req, cv->rd_req, secs);
		o->wr_iops = view_rate(pv->wr_req, cv->wr_req, secs);
		o->rd_Bps = view_rate(pv->rd_sect, cv->rd_sect, secs) * 512;
		o->wr_Bps = view_rate(pv->wr_sect, cv->wr_sect, secs) * 512;
		o->oo_ps = view_rate(pv->oo_req, cv->oo_req, secs);
		o->iow_pct = view_rate(pv->delay_ns, cv->delay_ns, secs) / NS_PER_S * 100.0;
		vd->iops += o->rd_iops + o->wr_iops;
		vd->iow_pct += o->iow_pct;
	}
}

static void
derive_domain(struct view_domain *vd, const struct sample_domain *c,
              const struct sample_domain *p, double secs)
{
	vd->raw = c;
	/* a domain whose cpu time went backwards is a new domain with an old id */
	if (p != NULL && secs > 0 && c->cpu_ns >= p->cpu_ns) {
		vd->has_rates = true;
		vd->cpu_pct = (double)(c->cpu_ns - p->cpu_ns) / secs / NS_PER_S * 100.0;
	} else {
		p = NULL;
	}
	derive_vcpus(vd, p, secs);
	derive_vifs(vd, p, secs);
	derive_vbds(vd, p, secs);
}

static void
derive_host(struct view *v, const struct sample *cur)
{
	struct view_host *h = &v->host;
	double sum_cpu = 0;

	for (size_t i = 0; i < v->n; i++) {
		const struct sample_domain *d = v->doms[i].raw;

		v->doms[i].iow_off = cur->host.io_delay_off;
		for (int bit = 0; bit < 6; bit++)
			if (d->state & (1u << bit))
				h->by_state[bit]++;
		if (sample_runnable(d->state)) {
			h->n_runnable++;
			h->sum_weight += d->weight;
		}
		h->used_mem_kb += d->mem_kb;
		sum_cpu += v->doms[i].cpu_pct;
	}
	if (cur->host.nr_pcpus > 0)
		h->cpu_pct = sum_cpu / cur->host.nr_pcpus;
	for (size_t i = 0; i < v->n; i++) {
		struct view_domain *vd = &v->doms[i];
		const struct sample_domain *d = vd->raw;

		if (!sample_runnable(d->state))
			continue;
		vd->ent_pct = view_entitlement(d->weight, d->cap, d->nr_vcpus,
		                               h->sum_weight, cur->host.nr_pcpus);
		if (vd->ent_pct > 0)
			vd->use = vd->cpu_pct / vd->ent_pct;
	}
}

int
view_derive(struct view *v, const struct sample *prev, const struct sample *cur)
{
	size_t j = 0, nv = 0, ni = 0, nb = 0;
	double secs = 0;

	if (view_reserve_all(v, cur) < 0)
		return -1;
	memset(&v->host, 0, sizeof v->host);
	v->cur = cur;
	v->n = cur->n_domains;
	if (prev != NULL && prev->n_domains > 0 && cur->time_ns > prev->time_ns) {
		v->host.interval_ns = cur->time_ns - prev->time_ns;
		secs = (double)v->host.interval_ns / NS_PER_S;
	} else {
		prev = NULL;
	}
	for (size_t i = 0; i < cur->n_domains; i++) {
		const struct sample_domain *c = &cur->domains[i];
		const struct sample_domain *p = NULL;
		struct view_domain *vd = &v->doms[i];

		while (prev != NULL && j < prev->n_domains && prev->domains[j].domid < c->domid)
			j++;
		if (prev != NULL && j < prev->n_domains && prev->domains[j].domid == c->domid)
			p = &prev->domains[j];
		memset(vd, 0, sizeof *vd);
		vd->vcpus = c->n_vcpus ? &v->vcpu_pool[nv] : NULL;
		vd->vifs = c->n_vifs ? &v->vif_pool[ni] : NULL;
		vd->vbds = c->n_vbds ? &v->vbd_pool[nb] : NULL;
		nv += c->n_vcpus;
		ni += c->n_vifs;
		nb += c->n_vbds;
		derive_domain(vd, c, p, secs);
	}
	derive_host(v, cur);
	return 0;
}
