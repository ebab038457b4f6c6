/*
 * sim.c: the simulated demo host behind hv.h ("sim" backend).
 *
 * A scenario (scenario.h) gives the host, the domains and their demand over
 * virtual time. Each sample advances the virtual clock by exactly the
 * interval asked for, in segments split at the scenario's events; over each
 * segment three models turn demand into counters:
 *   CPU      sim_sched.h: weight, cap, pinning, pause -> pCPUs per domain;
 *   network  sim_io.h: per-vif token buckets, then the host NIC's capacity;
 *   disk     sim_io.h: the host disk's IOPS shared by IO scheduler/priority.
 * Counters accumulate exactly (a fractional remainder is carried), so the
 * rates derived from two samples match the models. All randomness (demand
 * jitter) comes from a PRNG seeded by the run's seed: a scenario, a seed and
 * a sequence of intervals always give the same samples.
 *
 * A vif with bind=IFNAME in the scenario is a real dom0 interface instead
 * (backend/vifnet.h): its counters come from one RTM_GETSTATS dump per
 * sample, its throttle is applied with tc through libnl and read back from
 * the kernel, and its flows can be captured; its link events reach the
 * event loop through hv_link_fd. A bound interface that does not exist shows
 * zero counters and ifindex 0 until it appears. Such a run is no longer
 * deterministic, by nature.
 *
 * A domain's console (C in the console) is a simulated one, sim_console.h:
 * domtop itself run as `domtop --sim-console NAME` on the terminal.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/mem.h"
#include "backend/scenario.h"
#include "backend/sim.h"
#include "backend/sim_console.h"
#include "backend/sim_io.h"
#include "backend/sim_rng.h"
#include "backend/sim_sched.h"
#include "backend/str.h"
#include "backend/vifnet.h"

#define SIM_NS               1e9
#define SIM_RUNNING_SHARE    0.02    /* a vcpu busy at least 2% of a step shows as running */
#define SIM_SHAPED_DROP      0.02    /* share of held-back packets a throttle drops (TCP backs off) */
#define SIM_DEFAULT_IOPRIO_LEVEL 4   /* what Linux derives from nice 0 */

/* A cumulative counter fed with fractional amounts; n is what samples show. */
struct sim_ctr {
	uint64_t n;
	double frac;
};

struct sim_vcpu {
	struct sim_ctr cpu_ns;
	int pcpu;
	bool running;
	struct cpuset affinity;
};

struct sim_vif {
	struct scn_vif d;               /* demand now */
	struct sim_tbf to_guest, from_guest;
	struct sim_ctr rx_bytes, rx_packets, rx_drops;  /* from the guest */
	struct sim_ctr tx_bytes, tx_packets, tx_drops;  /* to the guest */
};

struct sim_vbd {
	struct scn_vbd d;               /* demand now */
	struct sim_ctr rd_req, wr_req, rd_sect, wr_sect, oo_req, delay_ns;
	int ioprio_class, ioprio_level; /* of its backend, as ioprio_set takes them */
};

struct sim_dom {
	const struct scn_domain *def;
	bool alive;
	uint32_t domid;
	unsigned weight, cap, vcpus;
	double cpu, jitter;             /* demand now, from the scenario */
	double noise;                   /* demand factor drawn for the current step */
	bool paused;
	bool pinned;                    /* mask is not every pCPU */
	struct cpuset mask;             /* union of the vcpus' affinity */
	double alloc;                   /* pCPUs granted in the last segment */
	struct sim_vcpu *vcpu;
	struct sim_vif *vif;
	struct sim_vbd *vbd;
	size_t n_vifs, n_vbds;
};

struct sim {
	struct hv hv;                   /* first: hv->priv points back here */
	struct scenario scn;
	struct sim_dom *dom;            /* one per scenario domain, same index */
	size_t *order, n_order;         /* alive domains, by domid */
	size_t next_event;
	uint64_t now_ns;
	bool started;                   /* the first sample (t = 0) was taken */
	struct sim_rng rng;             /* demand jitter */
	struct sim_ctr idle_ns;
	struct cpuset all;              /* every pCPU */
	unsigned cursor;                /* where vcpu placement goes on */
	/* scratch for one step, grown as needed */
	struct sim_sched_dom *sd;
	struct sim_flow *flow;
	struct sim_io_req *io;
	size_t cap_sd, cap_flow, cap_io;
	struct vifnet *vn;              /* the kernel side of bound vifs; NULL when none */
};

static const struct hv_ops sim_ops;

static void
sim_ctr_add(struct sim_ctr *c, double amount)
{
	double t = c->frac + (amount > 0 ? amount : 0);
	double whole = floor(t);

	c->n += (uint64_t)whole;
	c->frac = t - whole;
}

static struct sim *
sim_of(struct hv *hv)
{
	return hv->priv;
}

/* ---- placement of vcpus on pCPUs ---- */

/* First pCPU of c at or after from, wrapping; -1 when c is empty. */
static int
sim_cpu_next(const struct cpuset *c, unsigned from, unsigned nr)
{
	for (int pass = 0; pass < 2; pass++, from = 0) {
		for (unsigned w = from / 64; w * 64 < nr; w++) {
			uint64_t bits = c->bits[w];

			if (w == from / 64)
				bits &= ~UINT64_C(0) << (from % 64);
			if (bits != 0) {
				unsigned cpu = w * 64 + (unsigned)__builtin_ctzll(bits);
				if (cpu < nr)
					return (int)cpu;
				break;
			}
		}
	}
	return -1;
}

/*
 * Running vcpus go round-robin over the host from a moving cursor, each
 * inside its affinity; idle ones stay where they last ran (or move inside
 * their affinity when it changed).
 */
static void
sim_place(struct sim *s)
{
	unsigned nr = s->hv.host.nr_pcpus;

	for (size_t k = 0; k < s->n_order; k++) {
		struct sim_dom *d = &s->dom[s->order[k]];
		double share = d->vcpus ? d->alloc / d->vcpus : 0;

		for (unsigned v = 0; v < d->vcpus; v++) {
			struct sim_vcpu *c = &d->vcpu[v];

			c->running = !d->paused && share >= SIM_RUNNING_SHARE;
			if (c->running) {
				c->pcpu = sim_cpu_next(&c->affinity, s->cursor, nr);
				s->cursor = c->pcpu < 0 ? 0 : ((unsigned)c->pcpu + 1) % nr;
			} else if (c->pcpu < 0 || !cpuset_has(&c->affinity, (unsigned)c->pcpu)) {
				c->pcpu = sim_cpu_next(&c->affinity, s->cursor, nr);
			}
		}
	}
}

static void
sim_update_mask(struct sim *s, struct sim_dom *d)
{
	cpuset_zero(&d->mask);
	for (unsigned v = 0; v < d->vcpus; v++)
		for (size_t w = 0; w < SAMPLE_MAX_PCPUS / 64; w++)
			d->mask.bits[w] |= d->vcpu[v].affinity.bits[w];
	d->pinned = !cpuset_equal(&d->mask, &s->all);
}

/* ---- domains coming and going ---- */

static int
sim_order_cmp(const void *a, const void *b, void *arg)
{
	const struct sim_dom *dom = arg;
	uint32_t x = dom[*(const size_t *)a].domid, y = dom[*(const size_t *)b].domid;

	return x < y ? -1 : x > y;
}

static void
sim_reorder(struct sim *s)
{
	s->n_order = 0;
	for (size_t i = 0; i < s->scn.n_domains; i++)
		if (s->dom[i].alive)
			s->order[s->n_order++] = i;
	qsort_r(s->order, s->n_order, sizeof *s->order, sim_order_cmp, s->dom);
}

static void
sim_dom_kill(struct sim_dom *d)
{
	free(d->vcpu);
	free(d->vif);
	free(d->vbd);
	d->vcpu = NULL;
	d->vif = NULL;
	d->vbd = NULL;
	d->alive = false;
}

static int
sim_dom_start(struct sim *s, size_t i, struct err *e)
{
	const struct scn_domain *def = &s->scn.domains[i];
	struct sim_dom *d = &s->dom[i];

	memset(d, 0, sizeof *d);
	d->def = def;
	d->domid = def->domid;
	d->weight = def->weight;
	d->cap = def->cap;
	d->vcpus = def->vcpus;
	d->cpu = def->cpu;
	d->jitter = def->jitter;
	d->noise = 1;
	d->paused = def->paused;
	d->n_vifs = def->n_vifs;
	d->n_vbds = def->n_vbds;
	d->vcpu = calloc(def->vcpus, sizeof *d->vcpu);
	d->vif = calloc(def->n_vifs + 1, sizeof *d->vif);
	d->vbd = calloc(def->n_vbds + 1, sizeof *d->vbd);
	if (d->vcpu == NULL || d->vif == NULL || d->vbd == NULL) {
		sim_dom_kill(d);
		return err_set(e, "demo host: out of memory creating domain %s", def->name);
	}
	for (unsigned v = 0; v < d->vcpus; v++) {
		d->vcpu[v].pcpu = -1;
		d->vcpu[v].affinity = def->pin;
	}
	for (size_t k = 0; k < d->n_vifs; k++)
		d->vif[k].d = def->vifs[k];
	for (size_t k = 0; k < d->n_vbds; k++) {
		d->vbd[k].d = def->vbds[k];
		d->vbd[k].ioprio_class = SIM_IOPRIO_NONE;
		d->vbd[k].ioprio_level = SIM_DEFAULT_IOPRIO_LEVEL;
	}
	sim_update_mask(s, d);
	d->alive = true;
	return 0;
}

static void
sim_apply_set(struct sim_dom *d, const struct scn_event *ev)
{
	if (ev->set & SCN_SET_CPU)
		d->cpu = ev->cpu;
	if (ev->set & SCN_SET_JITTER)
		d->jitter = ev->jitter;
	if (ev->set & (SCN_SET_RX | SCN_SET_TX | SCN_SET_PKT)) {
		struct scn_vif *f = &d->vif[ev->vif].d;
		if (ev->set & SCN_SET_RX)
			f->rx_bps = ev->rx_bps;
		if (ev->set & SCN_SET_TX)
			f->tx_bps = ev->tx_bps;
		if (ev->set & SCN_SET_PKT)
			f->pkt = ev->pkt;
	}
	if (ev->set & (SCN_SET_IOPS | SCN_SET_SIZE | SCN_SET_READ)) {
		struct scn_vbd *b = &d->vbd[ev->vbd].d;
		if (ev->set & SCN_SET_IOPS)
			b->iops = ev->iops;
		if (ev->set & SCN_SET_SIZE)
			b->req_bytes = ev->req_bytes;
		if (ev->set & SCN_SET_READ)
			b->read_frac = ev->read_frac;
	}
}

/* The parser guarantees that creates, destroys and sets name live domains. */
static int
sim_apply_event(struct sim *s, const struct scn_event *ev, struct err *e)
{
	struct sim_dom *d = &s->dom[ev->dom];

	switch (ev->kind) {
	case SCN_EV_CREATE:
		if (sim_dom_start(s, ev->dom, e) < 0)
			return -1;
		sim_reorder(s);
		break;
	case SCN_EV_DESTROY:
		sim_dom_kill(d);
		sim_reorder(s);
		break;
	case SCN_EV_SET:
		if (d->alive)
			sim_apply_set(d, ev);
		break;
	}
	return 0;
}

/* ---- the models, over one segment of dt_ns ---- */

static int
sim_run_cpu(struct sim *s, double dt)
{
	double used = 0;

	if (mem_grow((void **)&s->sd, &s->cap_sd, s->n_order, sizeof *s->sd, NULL) < 0)
		return -1;
	for (size_t k = 0; k < s->n_order; k++) {
		struct sim_dom *d = &s->dom[s->order[k]];

		s->sd[k] = (struct sim_sched_dom){
			.weight = d->weight, .cap = d->cap, .vcpus = d->vcpus,
			.demand = fmin(d->cpu * d->noise, d->vcpus), .paused = d->paused,
			.mask = d->pinned ? &d->mask : NULL,
		};
	}
	if (sim_sched_solve(s->sd, s->n_order, s->hv.host.nr_pcpus) < 0)
		return -1;
	for (size_t k = 0; k < s->n_order; k++) {
		struct sim_dom *d = &s->dom[s->order[k]];

		d->alloc = s->sd[k].alloc;
		used += d->alloc;
		for (unsigned v = 0; v < d->vcpus; v++)
			sim_ctr_add(&d->vcpu[v].cpu_ns, d->alloc / d->vcpus * dt * SIM_NS);
	}
	sim_ctr_add(&s->idle_ns, fmax(0, s->hv.host.nr_pcpus - used) * dt * SIM_NS);
	return 0;
}

static void
sim_count_flow(const struct sim_flow *f, unsigned pkt, struct sim_ctr *bytes,
               struct sim_ctr *packets, struct sim_ctr *drops)
{
	sim_ctr_add(bytes, f->sent_bytes);
	sim_ctr_add(packets, f->sent_bytes / pkt);
	sim_ctr_add(drops, f->held_bytes / pkt * SIM_SHAPED_DROP);
}

/* Flows [0, n) are from the guests (dom0 RX), [n, 2n) to the guests (dom0 TX). */
static int
sim_run_net(struct sim *s, double dt)
{
	size_t n = 0, k = 0;

	for (size_t j = 0; j < s->n_order; j++)
		n += s->dom[s->order[j]].n_vifs;
	if (mem_grow((void **)&s->flow, &s->cap_flow, 2 * n + 1, sizeof *s->flow, NULL) < 0)
		return -1;
	for (size_t j = 0; j < s->n_order; j++) {
		struct sim_dom *d = &s->dom[s->order[j]];
		double f = d->paused ? 0 : d->noise;

		for (size_t v = 0; v < d->n_vifs; v++, k++) {
			double g = d->vif[v].d.bind[0] ? 0 : f;   /* a bound vif: the kernel counts */

			s->flow[k] = (struct sim_flow){ d->vif[v].d.rx_bps * g, &d->vif[v].from_guest, 0, 0 };
			s->flow[n + k] = (struct sim_flow){ d->vif[v].d.tx_bps * g, &d->vif[v].to_guest, 0, 0 };
		}
	}
	if (sim_net_step(s->flow, n, s->scn.host.nic_bps, dt) < 0 ||
	    sim_net_step(s->flow + n, n, s->scn.host.nic_bps, dt) < 0)
		return -1;
	k = 0;
	for (size_t j = 0; j < s->n_order; j++) {
		struct sim_dom *d = &s->dom[s->order[j]];

		for (size_t v = 0; v < d->n_vifs; v++, k++) {
			struct sim_vif *f = &d->vif[v];
			sim_count_flow(&s->flow[k], f->d.pkt, &f->rx_bytes, &f->rx_packets, &f->rx_drops);
			sim_count_flow(&s->flow[n + k], f->d.pkt, &f->tx_bytes, &f->tx_packets, &f->tx_drops);
		}
	}
	return 0;
}

static int
sim_run_disk(struct sim *s, double dt)
{
	size_t n = 0, k = 0;

	for (size_t j = 0; j < s->n_order; j++)
		n += s->dom[s->order[j]].n_vbds;
	if (mem_grow((void **)&s->io, &s->cap_io, n + 1, sizeof *s->io, NULL) < 0)
		return -1;
	for (size_t j = 0; j < s->n_order; j++) {
		struct sim_dom *d = &s->dom[s->order[j]];

		for (size_t v = 0; v < d->n_vbds; v++, k++)
			s->io[k] = (struct sim_io_req){
				.demand = d->paused ? 0 : d->vbd[v].d.iops * d->noise,
				.ioprio_class = d->vbd[v].ioprio_class,
				.ioprio_level = d->vbd[v].ioprio_level,
			};
	}
	if (sim_disk_step(s->io, n, s->scn.host.disk_iops, s->scn.host.disk_sched) < 0)
		return -1;
	k = 0;
	for (size_t j = 0; j < s->n_order; j++) {
		struct sim_dom *d = &s->dom[s->order[j]];

		for (size_t v = 0; v < d->n_vbds; v++, k++) {
			struct sim_vbd *b = &d->vbd[v];
			const struct sim_io_req *r = &s->io[k];
			double reqs = r->served * dt, sect = b->d.req_bytes / 512.0;

			sim_ctr_add(&b->rd_req, reqs * b->d.read_frac);
			sim_ctr_add(&b->wr_req, reqs * (1 - b->d.read_frac));
			sim_ctr_add(&b->rd_sect, reqs * b->d.read_frac * sect);
			sim_ctr_add(&b->wr_sect, reqs * (1 - b->d.read_frac) * sect);
			sim_ctr_add(&b->oo_req, (r->demand - r->served) * dt);
			sim_ctr_add(&b->delay_ns, r->iow * dt * SIM_NS);
		}
	}
	return 0;
}

/* One segment without events. dt_ns = 0 only recomputes the CPU shares. */
static int
sim_run(struct sim *s, uint64_t dt_ns, struct err *e)
{
	double dt = dt_ns / SIM_NS;

	if (sim_run_cpu(s, dt) < 0 ||
	    (dt_ns > 0 && (sim_run_net(s, dt) < 0 || sim_run_disk(s, dt) < 0)))
		return err_set(e, "demo host: out of memory");
	return 0;
}

/* Demand noise for the next step: factor 1 +- jitter, uniform, per domain. */
static void
sim_draw_noise(struct sim *s)
{
	for (size_t k = 0; k < s->n_order; k++) {
		struct sim_dom *d = &s->dom[s->order[k]];

		d->noise = d->jitter > 0 ? 1 + d->jitter * (2 * sim_rng_unit(&s->rng) - 1) : 1;
	}
}

/* Advances the virtual clock by interval_ns, applying events on the way. */
static int
sim_advance(struct sim *s, uint64_t interval_ns, struct err *e)
{
	uint64_t end = interval_ns > UINT64_MAX - s->now_ns ? UINT64_MAX : s->now_ns + interval_ns;

	if (interval_ns > 0)
		sim_draw_noise(s);
	while (s->next_event < s->scn.n_events && s->scn.events[s->next_event].at_ns <= end) {
		const struct scn_event *ev = &s->scn.events[s->next_event++];

		if (ev->at_ns > s->now_ns && sim_run(s, ev->at_ns - s->now_ns, e) < 0)
			return -1;
		if (ev->at_ns > s->now_ns)
			s->now_ns = ev->at_ns;
		if (sim_apply_event(s, ev, e) < 0)
			return -1;
	}
	if (sim_run(s, end - s->now_ns, e) < 0)
		return -1;
	s->now_ns = end;
	sim_place(s);
	return 0;
}

/* ---- filling samples ---- */

static uint64_t
sim_free_mem_kb(const struct sim *s)
{
	uint64_t used = 0;

	for (size_t k = 0; k < s->n_order; k++)
		used += s->dom[s->order[k]].def->mem_kb;
	return used < s->scn.host.mem_kb ? s->scn.host.mem_kb - used : 0;
}

/*
 * A bound vif from the kernel: counters of the last refresh; fresh (an
 * action's read-back) reads ifindex and throttle from the kernel now.
 */
static int
sim_fill_bound(struct sim *s, const struct sim_vif *f, struct sample_vif *o, bool fresh,
               struct err *e)
{
	o->devid = f->d.devid;
	str_copy(o->ifname, f->d.bind, sizeof o->ifname);
	vifnet_fill(s->vn, f->d.bind, o);
	if (fresh && vifnet_read_shape(s->vn, f->d.bind, o, e) < 0)
		return err_prefix(e, "cannot read the throttle of %s", f->d.bind);
	return 0;
}

static void
sim_fill_vif(const struct sim_dom *d, const struct sim_vif *f, struct sample_vif *o)
{
	o->devid = f->d.devid;
	snprintf(o->ifname, sizeof o->ifname, "vif%u.%u", (unsigned)d->domid, f->d.devid);
	o->rx_bytes = f->rx_bytes.n;
	o->rx_packets = f->rx_packets.n;
	o->rx_drops = f->rx_drops.n;
	o->tx_bytes = f->tx_bytes.n;
	o->tx_packets = f->tx_packets.n;
	o->tx_drops = f->tx_drops.n;
	o->to_guest = (struct sample_shape){ (uint64_t)f->to_guest.rate_bps,
	                                     (uint64_t)f->to_guest.burst_bytes };
	o->from_guest = (struct sample_shape){ (uint64_t)f->from_guest.rate_bps,
	                                       (uint64_t)f->from_guest.burst_bytes };
}

static void
sim_fill_vbd(const struct sim *s, const struct sim_vbd *b, struct sample_vbd *o)
{
	o->devid = b->d.devid;
	str_copy(o->name, b->d.name, sizeof o->name);
	str_copy(o->backend, "sim", sizeof o->backend);
	o->oo_req = b->oo_req.n;
	o->rd_req = b->rd_req.n;
	o->wr_req = b->wr_req.n;
	o->rd_sect = b->rd_sect.n;
	o->wr_sect = b->wr_sect.n;
	o->delay_ns = b->delay_ns.n;
	o->ioprio_class = b->ioprio_class;
	o->ioprio_level = b->ioprio_level;
	str_copy(o->scheduler, sim_disk_sched_name(s->scn.host.disk_sched), sizeof o->scheduler);
}

static int
sim_fill(struct sim *s, const struct sim_dom *d, struct sample_domain *o, bool fresh,
         struct err *e)
{
	bool running = false;

	if (!sample_domain_alloc(o, d->vcpus, d->n_vifs, d->n_vbds))
		return err_set(e, "demo host: out of memory");
	o->domid = d->domid;
	str_copy(o->name, d->def->name, sizeof o->name);
	o->mem_kb = d->def->mem_kb;
	o->maxmem_kb = d->def->maxmem_kb;
	o->weight = d->weight;
	o->cap = d->cap;
	o->nr_vcpus = d->vcpus;
	for (unsigned v = 0; v < d->vcpus; v++) {
		struct sample_vcpu *c = &o->vcpus[v];
		c->id = v;
		c->online = true;
		c->running = d->vcpu[v].running && !d->paused;
		c->pcpu = d->vcpu[v].pcpu;
		c->cpu_ns = d->vcpu[v].cpu_ns.n;
		c->affinity = d->vcpu[v].affinity;
		o->cpu_ns += c->cpu_ns;
		running |= c->running;
	}
	o->state = d->paused ? DOM_PAUSED : running ? DOM_RUNNING : DOM_BLOCKED;
	for (size_t k = 0; k < d->n_vifs; k++) {
		if (d->vif[k].d.bind[0] == '\0')
			sim_fill_vif(d, &d->vif[k], &o->vifs[k]);
		else if (sim_fill_bound(s, &d->vif[k], &o->vifs[k], fresh, e) < 0)
			return -1;
	}
	for (size_t k = 0; k < d->n_vbds; k++)
		sim_fill_vbd(s, &d->vbd[k], &o->vbds[k]);
	return 0;
}

/* The alive domain with this id, or NULL with the message hv.h asks for. */
static struct sim_dom *
sim_find(struct sim *s, uint32_t domid, struct err *e)
{
	size_t lo = 0, hi = s->n_order;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct sim_dom *d = &s->dom[s->order[mid]];

		if (d->domid == domid)
			return d;
		if (d->domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	err_set(e, "no domain %u (it may have been destroyed)", (unsigned)domid);
	return NULL;
}

/* ---- hv ops ---- */

/* The first sample is the state at t = 0; each later one advances by interval_ns. */
static int
sim_sample(struct hv *hv, struct sample *out, uint64_t interval_ns, struct err *e)
{
	struct sim *s = sim_of(hv);

	sample_clear(out);
	if (s->started && sim_advance(s, interval_ns, e) < 0)
		return -1;
	s->started = true;
	if (s->vn != NULL && vifnet_refresh(s->vn, e) < 0)
		return err_prefix(e, "counters of the bound vifs");
	hv->host.free_mem_kb = sim_free_mem_kb(s);
	hv->host.idle_ns = s->idle_ns.n;
	out->time_ns = s->now_ns;
	out->host = hv->host;
	for (size_t k = 0; k < s->n_order; k++) {
		struct sample_domain *o = sample_add_domain(out);

		if (o == NULL || sim_fill(s, &s->dom[s->order[k]], o, false, e) < 0) {
			if (o != NULL)
				out->n_domains--;
			sample_clear(out);
			return o == NULL ? err_set(e, "demo host: out of memory") : -1;
		}
	}
	return 0;
}

static int
sim_read_domain(struct hv *hv, uint32_t domid, struct sample_domain *out, struct err *e)
{
	struct sim *s = sim_of(hv);
	struct sim_dom *d = sim_find(s, domid, e);

	memset(out, 0, sizeof *out);
	if (d == NULL)
		return -1;
	if (sim_fill(s, d, out, true, e) < 0) {
		hv_domain_free(out);
		return -1;
	}
	return 0;
}

static int
sim_set_weight(struct hv *hv, uint32_t domid, unsigned weight, struct err *e)
{
	struct sim_dom *d = sim_find(sim_of(hv), domid, e);

	if (d == NULL)
		return -1;
	if (weight < 1 || weight > 65535)
		return err_set(e, "weight must be 1 to 65535 (the default is 256), not %u", weight);
	d->weight = weight;
	return 0;
}

static int
sim_set_cap(struct hv *hv, uint32_t domid, unsigned cap, struct err *e)
{
	struct sim_dom *d = sim_find(sim_of(hv), domid, e);

	if (d == NULL)
		return -1;
	if (cap > 100 * d->vcpus)
		return err_set(e, "cap must be 0 (no cap) to %u (100 x %u vcpus), not %u",
		               100 * d->vcpus, d->vcpus, cap);
	d->cap = cap;
	return 0;
}

static int
sim_check_cpus(const struct sim *s, const struct cpuset *cpus, struct err *e)
{
	unsigned nr = s->hv.host.nr_pcpus;

	if (cpuset_count(cpus) == 0)
		return err_set(e, "the cpu set is empty: a vcpu needs at least one pCPU");
	for (unsigned c = nr; c < SAMPLE_MAX_PCPUS; c++)
		if (cpuset_has(cpus, c))
			return err_set(e, "pCPU %u does not exist: this host has pCPUs 0-%u", c, nr - 1);
	return 0;
}

static int
sim_pin_vcpu(struct hv *hv, uint32_t domid, int vcpu, const struct cpuset *cpus, struct err *e)
{
	struct sim *s = sim_of(hv);
	struct sim_dom *d = sim_find(s, domid, e);
	unsigned first, last;

	if (d == NULL || sim_check_cpus(s, cpus, e) < 0)
		return -1;
	if (vcpu >= (int)d->vcpus)
		return err_set(e, "domain %u has vcpus 0-%u: there is no vcpu %d",
		               (unsigned)domid, d->vcpus - 1, vcpu);
	first = vcpu < 0 ? 0 : (unsigned)vcpu;
	last = vcpu < 0 ? d->vcpus - 1 : (unsigned)vcpu;
	for (unsigned v = first; v <= last; v++) {
		struct sim_vcpu *c = &d->vcpu[v];
		c->affinity = *cpus;
		if (c->pcpu < 0 || !cpuset_has(cpus, (unsigned)c->pcpu))
			c->pcpu = sim_cpu_next(cpus, 0, s->hv.host.nr_pcpus);
	}
	sim_update_mask(s, d);
	return 0;
}

static int
sim_set_paused(struct hv *hv, uint32_t domid, bool paused, struct err *e)
{
	struct sim_dom *d = sim_find(sim_of(hv), domid, e);

	if (d == NULL)
		return -1;
	if (paused && domid == 0)
		return err_set(e, "domain 0 (%s) cannot be paused: Xen never pauses the control "
		               "domain", d->def->name);
	d->paused = paused;
	return 0;
}

/* ---- network ops: bound vifs through vifnet, the others in the model ---- */

static struct sim_vif *
sim_find_vif(struct sim_dom *d, unsigned devid)
{
	for (size_t k = 0; k < d->n_vifs; k++)
		if (d->vif[k].d.devid == devid)
			return &d->vif[k];
	return NULL;
}

static struct sim_vif *
sim_vif_of(struct sim *s, uint32_t domid, unsigned devid, struct err *e)
{
	struct sim_dom *d = sim_find(s, domid, e);
	struct sim_vif *f;

	if (d == NULL)
		return NULL;
	if ((f = sim_find_vif(d, devid)) == NULL)
		err_set(e, "domain %u has no vif %u", (unsigned)domid, devid);
	return f;
}

/*
 * As ioprio_set: none keeps the level Linux derives from nice 0 (what the
 * kernel reports for it), idle has none.
 */
static int
sim_set_vbd_ioprio(struct hv *hv, uint32_t domid, unsigned devid, int ioclass, int level,
                   struct err *e)
{
	struct sim_dom *d = sim_find(sim_of(hv), domid, e);
	struct sim_vbd *b = NULL;

	if (d == NULL)
		return -1;
	for (size_t k = 0; k < d->n_vbds && b == NULL; k++)
		if (d->vbd[k].d.devid == devid)
			b = &d->vbd[k];
	if (b == NULL)
		return err_set(e, "domain %u has no vbd %u", (unsigned)domid, devid);
	if (ioclass < SIM_IOPRIO_NONE || ioclass > SIM_IOPRIO_IDLE)
		return err_set(e, "IO priority class must be 1 (realtime), 2 (best-effort) or "
		               "3 (idle), or 0 for none; not %d", ioclass);
	if (level < 0 || level > 7)
		return err_set(e, "IO priority level must be 0 (highest) to 7 (lowest), not %d", level);
	b->ioprio_class = ioclass;
	b->ioprio_level = ioclass == SIM_IOPRIO_NONE ? SIM_DEFAULT_IOPRIO_LEVEL :
	                  ioclass == SIM_IOPRIO_IDLE ? 0 : level;
	return 0;
}

static int
sim_set_vif_shape_op(struct hv *hv, uint32_t domid, unsigned devid,
                     const struct hv_vif_shape *want, char *saved, size_t saved_len,
                     struct err *e)
{
	struct sim *s = sim_of(hv);
	struct sim_vif *f = sim_vif_of(s, domid, devid, e);

	if (f == NULL)
		return -1;
	if (f->d.bind[0] != '\0')
		return vifnet_set_shape(s->vn, f->d.bind, want, saved, saved_len, e);
	if (sim_set_vif_shape(hv, domid, devid, true, want->to_guest_bps, 0, e) < 0)
		return -1;
	if (sim_set_vif_shape(hv, domid, devid, false, want->from_guest_bps, 0, e) < 0) {
		struct err e2;

		sim_set_vif_shape(hv, domid, devid, true, (uint64_t)f->to_guest.rate_bps,
		                  (uint64_t)f->to_guest.burst_bytes, &e2);
		return -1;
	}
	if (saved_len > 0)
		saved[0] = '\0';
	return 0;
}

static int
sim_vif_ifname(struct hv *hv, uint32_t domid, unsigned devid, char *buf, size_t len,
               struct err *e)
{
	struct sim *s = sim_of(hv);
	struct sim_vif *f = sim_vif_of(s, domid, devid, e);

	if (f == NULL)
		return -1;
	if (f->d.bind[0] == '\0')
		return err_set(e, "vif %u of domain %u is simulated: the demo host makes its traffic up, "
		               "so there are no packets to show (bind= on a vif line of the scenario "
		               "makes it a real interface)", devid, (unsigned)domid);
	str_copy(buf, f->d.bind, len);
	return 0;
}

static int
sim_link_fd(struct hv *hv)
{
	struct sim *s = sim_of(hv);

	return s->vn != NULL ? vifnet_event_fd(s->vn) : -1;
}

static int
sim_link_events(struct hv *hv, struct err *e)
{
	struct sim *s = sim_of(hv);

	return s->vn != NULL ? vifnet_handle_events(s->vn, e) : 0;
}

/* The console of a demo domain: the simulated one (sim_console.h), run by domtop itself. */
static int
sim_console_exec_op(struct hv *hv, uint32_t domid, struct err *e)
{
	struct sim_dom *d = sim_find(sim_of(hv), domid, e);

	if (d == NULL)
		return -1;
	return sim_console_exec(d->def->name, d->paused, e);
}

static void
sim_close(struct hv *hv)
{
	struct sim *s = sim_of(hv);

	for (size_t i = 0; i < s->scn.n_domains; i++)
		sim_dom_kill(&s->dom[i]);
	free(s->dom);
	free(s->order);
	free(s->sd);
	free(s->flow);
	free(s->io);
	vifnet_close(s->vn);
	scenario_free(&s->scn);
	free(s);
}

static const struct hv_ops sim_ops = {
	.name = "sim",
	.sample = sim_sample,
	.read_domain = sim_read_domain,
	.set_weight = sim_set_weight,
	.set_cap = sim_set_cap,
	.pin_vcpu = sim_pin_vcpu,
	.set_paused = sim_set_paused,
	.close = sim_close,
	.set_vif_shape = sim_set_vif_shape_op,
	.set_vbd_ioprio = sim_set_vbd_ioprio,
	.vif_ifname = sim_vif_ifname,
	.link_fd = sim_link_fd,
	.link_events = sim_link_events,
	.console_exec = sim_console_exec_op,
};

/* ---- opening ---- */

static void
sim_init_host(struct sim *s)
{
	struct sample_host *h = &s->hv.host;

	str_copy(h->hostname, s->scn.host.name, sizeof h->hostname);
	str_copy(h->hypervisor, "demo", sizeof h->hypervisor);
	str_copy(h->sched, s->scn.host.sched, sizeof h->sched);
	h->nr_pcpus = s->scn.host.pcpus;
	h->tot_mem_kb = s->scn.host.mem_kb;
	h->cpu_mhz = s->scn.host.mhz;
	cpuset_fill(&s->all, h->nr_pcpus);
}

/* Starts the domains present at time 0 and applies the events at time 0. */
static int
sim_start(struct sim *s, uint64_t seed, struct err *e)
{
	size_t n = s->scn.n_domains;

	s->dom = calloc(n, sizeof *s->dom);
	s->order = calloc(n, sizeof *s->order);
	if (s->dom == NULL || s->order == NULL)
		return err_set(e, "demo host: out of memory");
	sim_rng_seed(&s->rng, seed, 2);
	for (size_t i = 0; i < n; i++)
		if (s->scn.domains[i].at_start && sim_dom_start(s, i, e) < 0)
			return -1;
	sim_reorder(s);
	if (sim_advance(s, 0, e) < 0)
		return -1;
	s->hv.host.free_mem_kb = sim_free_mem_kb(s);
	return 0;
}

static bool
sim_any_bound(const struct scenario *scn)
{
	for (size_t i = 0; i < scn->n_domains; i++)
		for (size_t k = 0; k < scn->domains[i].n_vifs; k++)
			if (scn->domains[i].vifs[k].bind[0] != '\0')
				return true;
	return false;
}

int
sim_open_text(struct hv **out, const char *text, size_t len, const char *source,
              uint64_t seed, struct err *e)
{
	struct sim *s = calloc(1, sizeof *s);

	*out = NULL;
	if (s == NULL)
		return err_set(e, "demo host: out of memory");
	s->hv.ops = &sim_ops;
	s->hv.priv = s;
	if (scenario_parse(&s->scn, text, len, source, seed, e) < 0) {
		free(s);
		return -1;
	}
	sim_init_host(s);
	if (sim_any_bound(&s->scn) && vifnet_open(&s->vn, e) < 0) {
		err_prefix(e, "the scenario binds vifs to real interfaces");
		sim_close(&s->hv);
		return -1;
	}
	if (sim_start(s, seed, e) < 0) {
		sim_close(&s->hv);
		return -1;
	}
	*out = &s->hv;
	return 0;
}

int
hv_sim_open(struct hv **out, const struct sim_options *opt, struct err *e)
{
	char *text;
	size_t len;
	int rc;

	*out = NULL;
	if (opt == NULL || opt->scenario_path == NULL)
		return sim_open_text(out, sim_default_scenario, strlen(sim_default_scenario),
		                     "hosting.scn (built in)", opt ? opt->seed : 0, e);
	if (scenario_read_file(opt->scenario_path, &text, &len, e) < 0)
		return -1;
	rc = sim_open_text(out, text, len, opt->scenario_path, opt->seed, e);
	free(text);
	return rc;
}

/* ---- sim.h ---- */

bool
sim_is(const struct hv *hv)
{
	return hv != NULL && hv->ops == &sim_ops;
}

uint64_t
sim_now_ns(const struct hv *hv)
{
	return sim_is(hv) ? ((const struct sim *)hv->priv)->now_ns : 0;
}

static struct sim_dom *
sim_find_checked(struct hv *hv, uint32_t domid, const char *what, struct err *e)
{
	if (!sim_is(hv)) {
		err_set(e, "%s: this call is for the demo host only", what);
		return NULL;
	}
	return sim_find(sim_of(hv), domid, e);
}

int
sim_set_vif_shape(struct hv *hv, uint32_t domid, unsigned devid, bool to_guest,
                  uint64_t rate_bps, uint64_t burst_bytes, struct err *e)
{
	struct sim_dom *d = sim_find_checked(hv, domid, "throttle", e);
	struct sim_vif *f = NULL;

	if (d == NULL)
		return -1;
	f = sim_find_vif(d, devid);
	if (f == NULL)
		return err_set(e, "domain %u has no vif %u (no interface vif%u.%u)",
		               (unsigned)domid, devid, (unsigned)domid, devid);
	if (f->d.bind[0] != '\0')
		return err_set(e, "vif %u of domain %u is the real interface %s: throttle it with "
		               "hv_set_vif_shape", devid, (unsigned)domid, f->d.bind);
	if (rate_bps > SIM_MAX_RATE_BPS)
		return err_set(e, "rate %llu bit/s is above the most this host takes (1000 Gbit/s)",
		               (unsigned long long)rate_bps);
	if (burst_bytes > SIM_MAX_BURST)
		return err_set(e, "burst %llu bytes is above the most this host takes (1 GiB)",
		               (unsigned long long)burst_bytes);
	if (rate_bps > 0 && burst_bytes == 0)
		burst_bytes = rate_bps / 800 > 1600 ? rate_bps / 800 : 1600;   /* 10 ms */
	sim_tbf_set(to_guest ? &f->to_guest : &f->from_guest, (double)rate_bps, (double)burst_bytes);
	return 0;
}

