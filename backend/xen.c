/*
 * xen.c: the real Xen backend behind hv.h. libxenstat reads the counters
 * (domains, memory, state, vifs, vbds, the host's memory); libxl reads the
 * scheduler and its parameters per domain (read back, never assumed), vcpu
 * placement and hard affinity, and carries out every action. Devices are
 * mapped to dom0 names and backend tasks by xen_vif.c and xen_vbd.c; the
 * libraries log to a file through xen_log.c, never to the terminal.
 *
 * vifs are the kernel's, through vifnet.h as for the demo host's bound vifs:
 * one RTM_GETSTATS dump per sample gives every vif's counters, throttles are
 * tbf and ifb qdiscs set with libnl, link events come from the same socket.
 * Only when netlink fails do the vif counters come from libxenstat (its
 * /proc/net/dev parsing, about 400 times slower at 2000 interfaces); the log
 * file says so, and says when netlink works again.
 *
 * Domains come and go between and during samples: a domain that libxl no
 * longer finds is left out of the sample; one that exists but cannot be read
 * completely is kept with what could be read (its state says dying when Xen
 * says so), never with made-up numbers.
 */
#define LIBXL_API_VERSION 0x041300

#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstat.h>
#include <xenstore.h>

#include "backend/hv.h"
#include "backend/loop.h"
#include "backend/mem.h"
#include "backend/str.h"
#include "backend/vifnet.h"
#include "backend/xen_console.h"
#include "backend/xen_log.h"
#include "backend/xen_map.h"
#include "backend/xen_probe.h"
#include "backend/xen_vbd.h"
#include "backend/xen_vif.h"
#include "backend/xen_xs.h"

#define XEN_SYSFS_NET      "/sys/class/net"
#define XEN_SYSFS_BACKEND  "/sys/bus/xen-backend/devices"
#define XEN_WEIGHT_MIN     1
#define XEN_WEIGHT_MAX     65535
#define XEN_READ_MAX_DEVS  64      /* vifs or vbds listed by read_domain */
#define XEN_NET_RETRY_NS   (30ULL * 1000000000ULL)   /* opening netlink again after a failure */

struct xen {
	struct hv hv;                 /* first: hv->priv points back here */
	libxl_ctx *ctx;
	xenstat_handle *stat;
	struct xs_handle *xs;
	struct xen_log *log;
	struct xen_vifmap vifs;
	struct xen_vbdcache vbds;
	struct xen_vbd_key *vbd_keys; /* scratch, reused across samples */
	size_t cap_vbd_keys;
	struct vifnet *vn;            /* NULL while netlink cannot be opened */
	uint64_t vn_retry_ns;         /* when to try opening it again */
	bool net_fallback;            /* vif counters from libxenstat now (logged once) */
	int links_seen;               /* link events a sample took, for the next link_events */
};

/* ---- reading ---- */

static bool
xen_domain_gone(struct xen *x, uint32_t domid)
{
	return libxl_domain_info(x->ctx, NULL, domid) == ERROR_DOMAIN_NOTFOUND;
}

/* Weight and cap as the domain's scheduler reports them; 0 when it has none. */
static int
xen_sched_read(struct xen *x, uint32_t domid, libxl_domain_sched_params *p)
{
	libxl_domain_sched_params_init(p);
	return libxl_domain_sched_params_get(x->ctx, domid, p);
}

static void
xen_sched_fill(const libxl_domain_sched_params *p, struct sample_domain *d)
{
	d->weight = p->weight > 0 ? (unsigned)p->weight : 0;
	d->cap = p->cap > 0 ? (unsigned)p->cap : 0;
}

static void
xen_bitmap_to_cpuset(const libxl_bitmap *map, struct cpuset *c)
{
	cpuset_zero(c);
	for (uint32_t i = 0; i < map->size * 8 && i < SAMPLE_MAX_PCPUS; i++)
		if (libxl_bitmap_test(map, (int)i))
			cpuset_set(c, i);
}

static void
xen_fill_vcpus(struct sample_domain *d, const libxl_vcpuinfo *vi, int n)
{
	d->nr_vcpus = 0;
	for (int i = 0; i < n && (size_t)i < d->n_vcpus; i++) {
		struct sample_vcpu *v = &d->vcpus[i];
		v->id = vi[i].vcpuid;
		v->online = vi[i].online;
		v->running = vi[i].running;
		v->pcpu = vi[i].online ? (int)vi[i].cpu : -1;
		v->cpu_ns = vi[i].vcpu_time;
		xen_bitmap_to_cpuset(&vi[i].cpumap, &v->affinity);
		if (v->online)
			d->nr_vcpus++;
	}
}

static unsigned
xen_state_from_xenstat(xenstat_domain *xd)
{
	return (xenstat_domain_dying(xd) ? DOM_DYING : 0) |
	       (xenstat_domain_shutdown(xd) ? DOM_SHUTDOWN : 0) |
	       (xenstat_domain_blocked(xd) ? DOM_BLOCKED : 0) |
	       (xenstat_domain_crashed(xd) ? DOM_CRASHED : 0) |
	       (xenstat_domain_paused(xd) ? DOM_PAUSED : 0) |
	       (xenstat_domain_running(xd) ? DOM_RUNNING : 0);
}

static unsigned
xen_state_from_dominfo(const libxl_dominfo *info)
{
	bool crashed = info->shutdown && info->shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH;

	return (info->dying ? DOM_DYING : 0) |
	       (info->shutdown && !crashed ? DOM_SHUTDOWN : 0) |
	       (info->blocked ? DOM_BLOCKED : 0) |
	       (crashed ? DOM_CRASHED : 0) |
	       (info->paused ? DOM_PAUSED : 0) |
	       (info->running ? DOM_RUNNING : 0);
}

/* xenstat reports "no limit" as all ones; the model has 0 for it. */
static uint64_t
xen_maxmem_kb(unsigned long long bytes)
{
	return bytes == (unsigned long long)-1 ? 0 : bytes / 1024;
}

/*
 * The fallback: libxenstat's vifs of a domain, one row per devid (an HVM vif
 * and its -emu tap add up); no throttle state without netlink.
 */
static void
xen_fill_vifs_xenstat(struct xen *x, struct sample_domain *d, xenstat_domain *xd, uint64_t now)
{
	unsigned n = xenstat_domain_num_networks(xd);
	size_t used = 0;

	for (unsigned i = 0; i < n && used < d->n_vifs; i++) {
		xenstat_network *net = xenstat_domain_network(xd, i);
		struct sample_vif *v = NULL;
		if (net == NULL)
			continue;
		for (size_t j = 0; j < used; j++)
			if (d->vifs[j].devid == xenstat_network_id(net))
				v = &d->vifs[j];
		if (v == NULL) {
			v = &d->vifs[used++];
			v->devid = xenstat_network_id(net);
			xen_vif_name(&x->vifs, x->xs, d->domid, v->devid, now, v->ifname, sizeof v->ifname);
			v->ifindex = (int)if_nametoindex(v->ifname);
		}
		xen_vif_counters_xenstat(v, net);
	}
	d->n_vifs = used;
}

/*
 * The vifs of a domain as the map lists them, with counters and throttles
 * from the sample's netlink dump. A vif whose interface is not in the dump
 * (gone or renamed since the map was made) is left out, and the map is
 * rebuilt at the next sample.
 */
static void
xen_fill_vifs_netlink(struct xen *x, struct sample_domain *d, const struct xen_vifmap_entry *ent,
                      size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n && used < d->n_vifs; i++) {
		struct sample_vif *v = &d->vifs[used];
		memset(v, 0, sizeof *v);
		v->devid = ent[i].devid;
		str_copy(v->ifname, ent[i].ifname, sizeof v->ifname);
		if (vifnet_fill(x->vn, v->ifname, v))
			used++;
		else
			xen_vifmap_invalidate(&x->vifs);
	}
	d->n_vifs = used;
}

/*
 * vbd counters: libxenstat's (blkback's sysfs statistics, tapdisk's shared
 * memory, qdisk's QMP blockstats). One function, like the vif counters, so
 * the source can change in one place.
 */
static void
xen_vbd_counters(struct sample_vbd *v, xenstat_vbd *xv)
{
	v->oo_req = xenstat_vbd_oo_reqs(xv);
	v->rd_req = xenstat_vbd_rd_reqs(xv);
	v->wr_req = xenstat_vbd_wr_reqs(xv);
	v->rd_sect = xenstat_vbd_rd_sects(xv);
	v->wr_sect = xenstat_vbd_wr_sects(xv);
}

/* libxenstat's vbd devid of a domain, from sysfs or tapdisk (not its QMP reader), or NULL. */
static xenstat_vbd *
xen_stat_vbd(xenstat_domain *xd, unsigned devid)
{
	for (unsigned i = 0; i < xenstat_domain_num_vbds(xd); i++) {
		xenstat_vbd *xv = xenstat_domain_vbd(xd, i);
		if (xv != NULL && xenstat_vbd_type(xv) != 0 && xenstat_vbd_dev(xv) == devid)
			return xv;
	}
	return NULL;
}

/*
 * The domain's vbds as the vbd cache has them (libxenstat's and the qdisks
 * in xenstore); counters from libxenstat, a qdisk's from the cache (QMP).
 */
static void
xen_fill_vbds(struct xen *x, struct sample_domain *d, xenstat_domain *xd)
{
	const struct xen_vbd_entry *ent;
	size_t n = xen_vbdcache_domain(&x->vbds, d->domid, &ent), used = 0;

	for (size_t i = 0; i < n && used < d->n_vbds; i++) {
		struct sample_vbd *v = &d->vbds[used++];
		xenstat_vbd *xv = xen_stat_vbd(xd, ent[i].devid);
		v->devid = ent[i].devid;
		xen_map_vbd_name(v->devid, v->name, sizeof v->name);
		xen_vbd_fill(&x->vbds, &ent[i], v);
		if (ent[i].kind != XEN_VBD_QDISK && xv != NULL)
			xen_vbd_counters(v, xv);
	}
	d->n_vbds = used;
}

/* What libxl says of one domain during a sample. */
struct xen_dom_read {
	libxl_vcpuinfo *vcpus;        /* NULL when libxl could not list them */
	int n_vcpus;
	libxl_domain_sched_params sched;
	int sched_rc;
};

static void
xen_dom_read_free(struct xen_dom_read *r)
{
	libxl_domain_sched_params_dispose(&r->sched);
	if (r->vcpus != NULL)
		libxl_vcpuinfo_list_free(r->vcpus, r->n_vcpus);
}

/* False when the domain is gone (destroyed since libxenstat listed it). */
static bool
xen_dom_read(struct xen *x, uint32_t domid, struct xen_dom_read *r)
{
	int ncpu = 0;

	memset(r, 0, sizeof *r);
	xen_log_hold(x->log);   /* what libxl says of a domain that vanished is no news */
	r->vcpus = libxl_list_vcpu(x->ctx, domid, &r->n_vcpus, &ncpu);
	r->sched_rc = xen_sched_read(x, domid, &r->sched);
	if ((r->vcpus == NULL || r->sched_rc != 0) && xen_domain_gone(x, domid)) {
		xen_log_release(x->log, false);
		xen_dom_read_free(r);
		return false;
	}
	xen_log_release(x->log, true);
	return true;
}

/*
 * One domain of a xenstat node into the sample, its vifs from netlink (the
 * map and the dump) or else from libxenstat. Returns 0 (also when the domain
 * vanished and is left out) or -1 when out of memory.
 */
static int
xen_add_domain(struct xen *x, xenstat_domain *xd, bool netlink, struct sample *out, uint64_t now,
               struct err *e)
{
	uint32_t domid = xenstat_domain_id(xd);
	const struct xen_vifmap_entry *vifs = NULL;
	const struct xen_vbd_entry *vbds;
	size_t nvif, nvbd;
	struct xen_dom_read r;
	struct sample_domain *d;

	if (!xen_dom_read(x, domid, &r))
		return 0;
	nvif = netlink ? xen_vifmap_domain(&x->vifs, domid, &vifs) : xenstat_domain_num_networks(xd);
	nvbd = xen_vbdcache_domain(&x->vbds, domid, &vbds);
	d = sample_add_domain(out);
	if (d == NULL || !sample_domain_alloc(d, r.vcpus ? (size_t)r.n_vcpus : 0, nvif, nvbd)) {
		xen_dom_read_free(&r);
		return err_set(e, "out of memory reading domain %u", (unsigned)domid);
	}
	d->domid = domid;
	str_copy(d->name, xenstat_domain_name(xd) ? xenstat_domain_name(xd) : "", sizeof d->name);
	d->state = xen_state_from_xenstat(xd);
	d->cpu_ns = xenstat_domain_cpu_ns(xd);
	d->mem_kb = xenstat_domain_cur_mem(xd) / 1024;
	d->maxmem_kb = xen_maxmem_kb(xenstat_domain_max_mem(xd));
	if (r.sched_rc == 0)
		xen_sched_fill(&r.sched, d);
	if (r.vcpus != NULL)
		xen_fill_vcpus(d, r.vcpus, r.n_vcpus);
	xen_dom_read_free(&r);
	if (netlink)
		xen_fill_vifs_netlink(x, d, vifs, nvif);
	else
		xen_fill_vifs_xenstat(x, d, xd, now);
	xen_fill_vbds(x, d, xd);
	return 0;
}

static int
xen_cmp_domain(const void *a, const void *b)
{
	unsigned x = xenstat_domain_id(*(xenstat_domain *const *)a);
	unsigned y = xenstat_domain_id(*(xenstat_domain *const *)b);

	return (x > y) - (x < y);
}

static int
xen_cmp_vbd_key(const void *a, const void *b)
{
	const struct xen_vbd_key *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	return (x->devid > y->devid) - (x->devid < y->devid);
}

/* A hash of the set of (domid, devid) of every vif: it changes when a vif comes or goes. */
static uint64_t
xen_vif_set_hash(xenstat_domain **doms, unsigned n)
{
	uint64_t hash = XEN_VIF_HASH_INIT;

	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < xenstat_domain_num_networks(doms[i]); j++) {
			xenstat_network *net = xenstat_domain_network(doms[i], j);
			if (net != NULL)
				hash = xen_vif_key_hash(hash, xenstat_domain_id(doms[i]),
				                        xenstat_network_id(net));
		}
	return hash;
}

/*
 * Every vbd of the node, sorted, one key per (domid, devid), into x->vbd_keys:
 * libxenstat's from sysfs and tapdisk, and the qdisks from xenstore
 * (libxenstat's own QMP reader gives up after 10 ms: the vbd cache reads
 * their counters).
 */
static int
xen_vbd_keys(struct xen *x, xenstat_domain **doms, unsigned n, size_t *count)
{
	size_t nk = 0, w = 0;
	long nq;

	for (unsigned i = 0; i < n; i++) {
		unsigned nv = xenstat_domain_num_vbds(doms[i]);
		if (mem_grow((void **)&x->vbd_keys, &x->cap_vbd_keys, nk + nv, sizeof *x->vbd_keys,
		             NULL) < 0)
			return -1;
		for (unsigned j = 0; j < nv; j++) {
			xenstat_vbd *xv = xenstat_domain_vbd(doms[i], j);
			if (xv == NULL || xenstat_vbd_type(xv) == 0)
				continue;
			x->vbd_keys[nk].domid = xenstat_domain_id(doms[i]);
			x->vbd_keys[nk].devid = xenstat_vbd_dev(xv);
			x->vbd_keys[nk].xenstat_type = xenstat_vbd_type(xv);
			nk++;
		}
	}
	if ((nq = xen_vbd_qdisk_keys(&x->vbds, &x->vbd_keys, nk, &x->cap_vbd_keys)) < 0)
		return -1;
	nk = (size_t)nq;
	if (nk > 0)
		qsort(x->vbd_keys, nk, sizeof *x->vbd_keys, xen_cmp_vbd_key);
	for (size_t i = 0; i < nk; i++)
		if (w == 0 || xen_cmp_vbd_key(&x->vbd_keys[w - 1], &x->vbd_keys[i]) != 0)
			x->vbd_keys[w++] = x->vbd_keys[i];
	*count = w;
	return 0;
}

/*
 * Brings the device caches up to date with the node's vifs and vbds: with
 * libxenstat's vifs (the fallback) the vif map is rebuilt when their set
 * changed (xen_net_refresh keeps it with netlink); the vbd cache learns new
 * vbds and reads their backend tasks.
 */
static int
xen_sync_devices(struct xen *x, xenstat_domain **doms, unsigned n, bool netlink, uint64_t now,
                 struct err *e)
{
	char note[ERR_MSG_MAX];
	size_t nk;

	if (!netlink)
		xen_vifmap_sync(&x->vifs, xen_vif_set_hash(doms, n), now);
	if (xen_vbd_keys(x, doms, n, &nk) < 0 || xen_vbdcache_sync(&x->vbds, x->vbd_keys, nk, now) < 0)
		return err_set(e, "out of memory reading the vbds' backends");
	if (xen_vbdcache_take_note(&x->vbds, note, sizeof note))
		xen_log_note(x->log, "%s", note);
	return 0;
}

/*
 * A xenstat node, with libxenstat's vifs only when net (netlink failed).
 * Each collector failing fails the whole node, so when the vbd or vif
 * collector cannot run (no backend bus in sysfs, say) the sample goes on
 * without it rather than without everything. Runs with stderr sent to the
 * log: libxenstat prints its complaints there.
 */
static xenstat_node *
xen_stat_node(struct xen *x, bool net)
{
	static const unsigned with_net[] = {
		XENSTAT_NETWORK | XENSTAT_VBD, XENSTAT_NETWORK, XENSTAT_VBD, 0,
	};
	static const unsigned without_net[] = { XENSTAT_VBD, 0 };
	const unsigned *flags = net ? with_net : without_net;
	size_t nflags = net ? sizeof with_net / sizeof *with_net : sizeof without_net / sizeof *without_net;
	xenstat_node *node = NULL;
	int saved = xen_log_quiet_begin(x->log);

	for (size_t i = 0; i < nflags && node == NULL; i++) {
		node = xenstat_get_node(x->stat, flags[i]);
		if (node == NULL)
			xen_log_note(x->log, "libxenstat failed with flags %#x: %s", flags[i], strerror(errno));
	}
	xen_log_quiet_end(x->log, saved);
	return node;
}

/* ---- the network side: vifnet (netlink), libxenstat only as the fallback ---- */

/* Logs the switch to libxenstat's vif counters, once until netlink works again. */
static void
xen_net_fallback(struct xen *x, const char *why)
{
	if (!x->net_fallback)
		xen_log_warn(x->log, "vif counters: netlink failed (%s); reading them with libxenstat "
		             "from /proc/net/dev, without throttle state, until it works again", why);
	x->net_fallback = true;
}

static void
xen_net_works(struct xen *x)
{
	if (x->net_fallback)
		xen_log_note(x->log, "vif counters: netlink works again (RTM_GETSTATS)");
	x->net_fallback = false;
}

/* Opens vifnet unless it is open or failed less than XEN_NET_RETRY_NS ago. */
static int
xen_net_open(struct xen *x, uint64_t now, struct err *e)
{
	if (x->vn != NULL)
		return 0;
	if (x->vn_retry_ns != 0 && now < x->vn_retry_ns)
		return err_set(e, "netlink could not be opened a moment ago");
	if (vifnet_open(&x->vn, e) == 0)
		return 0;
	x->vn = NULL;
	x->vn_retry_ns = now + XEN_NET_RETRY_NS;
	return -1;
}

/*
 * The sample's netlink dump and the vif map it needs (rebuilt after link
 * events, which are kept for the next link_events call); false, and the
 * fallback, when either fails.
 */
static bool
xen_net_refresh(struct xen *x, uint64_t now)
{
	struct err e;
	int n;

	if (xen_net_open(x, now, &e) < 0 || vifnet_refresh(x->vn, &e) < 0 ||
	    (n = vifnet_handle_events(x->vn, &e)) < 0) {
		xen_net_fallback(x, e.msg);
		return false;
	}
	if (n > 0) {
		xen_vifmap_invalidate(&x->vifs);
		if (x->links_seen < INT_MAX - n)
			x->links_seen += n;
	}
	if (xen_vifmap_refresh(&x->vifs, now) < 0) {
		err_set(&e, "cannot list the vifs in %s: %s", XEN_SYSFS_NET, strerror(errno));
		xen_net_fallback(x, e.msg);
		return false;
	}
	xen_net_works(x);
	return true;
}

static int
xen_sample(struct hv *hv, struct sample *out, uint64_t interval_ns, struct err *e)
{
	struct xen *x = hv->priv;
	xenstat_domain **doms;
	xenstat_node *node;
	unsigned n, m = 0;
	uint64_t now;
	bool netlink;
	int rc = 0;

	(void)interval_ns;   /* the real clock decides */
	sample_clear(out);
	now = loop_now_ns();
	out->time_ns = now;
	netlink = xen_net_refresh(x, now);
	node = xen_stat_node(x, !netlink);
	if (node == NULL)
		return err_set(e, "libxenstat could not read the domains of this host (details in %s)",
		               xen_log_path(x->log)[0] ? xen_log_path(x->log) : "no log file");
	hv->host.io_delay_off = xen_probe_delayacct_off("");
	hv->host.tot_mem_kb = xenstat_node_tot_mem(node) / 1024;
	hv->host.free_mem_kb = xenstat_node_free_mem(node) / 1024;
	out->host = hv->host;
	n = xenstat_node_num_domains(node);
	doms = calloc(n ? n : 1, sizeof *doms);
	if (doms == NULL) {
		xenstat_free_node(node);
		return err_set(e, "out of memory reading %u domains", n);
	}
	for (unsigned i = 0; i < n; i++)
		if ((doms[m] = xenstat_node_domain_by_index(node, i)) != NULL)
			m++;
	qsort(doms, m, sizeof *doms, xen_cmp_domain);
	rc = xen_sync_devices(x, doms, m, netlink, now, e);
	for (unsigned i = 0; i < m && rc == 0; i++)
		rc = xen_add_domain(x, doms[i], netlink, out, now, e);
	free(doms);
	xenstat_free_node(node);
	return rc;
}

/* ---- one domain, for the action API's read-back ---- */

/*
 * The vifs of one domain now: the verified dom0 name, sysfs counters, and
 * ifindex and throttle state read from the kernel (an action's read-back).
 */
static int
xen_read_vifs(struct xen *x, uint32_t domid, struct sample_domain *d, const unsigned *ids, size_t n,
              struct err *e)
{
	for (size_t i = 0; i < n && i < d->n_vifs; i++) {
		struct sample_vif *v = &d->vifs[i];
		v->devid = ids[i];
		xen_vif_resolve(&x->vifs, x->xs, domid, ids[i], loop_now_ns(), v->ifname, sizeof v->ifname);
		if (xen_vif_counters_sysfs(v, XEN_SYSFS_NET) < 0) {
			char name[SAMPLE_DEV_MAX];
			str_copy(name, v->ifname, sizeof name);
			memset(v, 0, sizeof *v);   /* no counters rather than half of them */
			v->devid = ids[i];
			str_copy(v->ifname, name, sizeof v->ifname);
		}
		if (xen_net_open(x, loop_now_ns(), e) < 0) {
			v->ifindex = (int)if_nametoindex(v->ifname);   /* and no throttle state */
			continue;
		}
		if (vifnet_read_shape(x->vn, v->ifname, v, e) < 0)
			return err_prefix(e, "cannot read the throttle of %s", v->ifname);
	}
	return 0;
}

static void
xen_read_vbds(struct xen *x, uint32_t domid, struct sample_domain *d, const unsigned *ids, size_t n)
{
	for (size_t i = 0; i < n && i < d->n_vbds; i++) {
		struct sample_vbd *v = &d->vbds[i];
		const struct xen_vbd_entry *ent = xen_vbdcache_find(&x->vbds, domid, ids[i]);
		struct xen_vbd_key key = { .domid = domid, .devid = ids[i], .xenstat_type = XEN_VBD_TYPE_NONE };
		struct xen_vbd_entry probed;
		v->devid = ids[i];
		xen_map_vbd_name(v->devid, v->name, sizeof v->name);
		if (ent == NULL) {   /* not sampled yet: xenstore's facts, no task figures */
			xen_vbd_probe(&x->vbds, &key, &probed);
			probed.owns_delay = false;
			ent = &probed;
		}
		xen_vbd_fill(&x->vbds, ent, v);
		xen_vbd_read_ioprio(&x->vbds, ent, &v->ioprio_class, &v->ioprio_level);  /* now */
		if (strcmp(v->backend, "blkback") == 0 || strcmp(v->backend, "tap") == 0) {
			struct sample_vbd s = *v;
			if (xen_vbd_counters_sysfs(&s, domid, XEN_SYSFS_BACKEND) == 0)
				*v = s;
		}
	}
}

static void
xen_read_name(struct xen *x, uint32_t domid, char *buf, size_t len)
{
	char *name = libxl_domid_to_name(x->ctx, domid);

	str_copy(buf, name != NULL ? name : "", len);
	free(name);
}

/*
 * libxl_domain_info of one domain into *info (to be disposed of by the
 * caller either way), or -1 with a message.
 */
static int
xen_dominfo(struct xen *x, uint32_t domid, libxl_dominfo *info, struct err *e)
{
	int rc;

	xen_log_clear(x->log);
	libxl_dominfo_init(info);
	rc = libxl_domain_info(x->ctx, info, domid);
	if (rc == ERROR_DOMAIN_NOTFOUND)
		return err_set(e, "domain %u does not exist (any more)", (unsigned)domid);
	if (rc != 0)
		return err_set(e, "cannot read domain %u: %s", (unsigned)domid, xen_log_why(x->log, rc));
	return 0;
}

/* The domain itself from libxl_domain_info: name, state, time, memory. */
static int
xen_read_info(struct xen *x, uint32_t domid, struct sample_domain *out, struct err *e)
{
	libxl_dominfo info;
	int rc = xen_dominfo(x, domid, &info, e);

	if (rc == 0) {
		out->domid = domid;
		xen_read_name(x, domid, out->name, sizeof out->name);
		out->state = xen_state_from_dominfo(&info);
		out->cpu_ns = info.cpu_time;
		out->mem_kb = info.current_memkb;
		out->maxmem_kb = info.max_memkb >= (uint64_t)UINT_MAX * 4 ? 0 : info.max_memkb;
	}
	libxl_dominfo_dispose(&info);
	return rc;
}

/*
 * One domain as libxl, xenstore and sysfs show it now. Its vifs and vbds are
 * listed from xenstore with their sysfs counters (blkback only for vbds).
 */
static int
xen_read_domain(struct hv *hv, uint32_t domid, struct sample_domain *out, struct err *e)
{
	struct xen *x = hv->priv;
	unsigned vif_ids[XEN_READ_MAX_DEVS], vbd_ids[XEN_READ_MAX_DEVS];
	struct sample_domain info;
	struct xen_dom_read r;
	size_t nvif, nvbd;

	memset(out, 0, sizeof *out);
	memset(&info, 0, sizeof info);
	if (xen_read_info(x, domid, &info, e) < 0)
		return -1;
	if (!xen_dom_read(x, domid, &r))
		return err_set(e, "domain %u does not exist (any more)", (unsigned)domid);
	nvif = xen_xs_list_ids(x->xs, vif_ids, XEN_READ_MAX_DEVS, "/local/domain/%u/device/vif", (unsigned)domid);
	nvbd = xen_xs_list_ids(x->xs, vbd_ids, XEN_READ_MAX_DEVS, "/local/domain/%u/device/vbd", (unsigned)domid);
	*out = info;
	if (!sample_domain_alloc(out, r.vcpus ? (size_t)r.n_vcpus : 0, nvif, nvbd)) {
		xen_dom_read_free(&r);
		return err_set(e, "out of memory reading domain %u", (unsigned)domid);
	}
	if (r.sched_rc == 0)
		xen_sched_fill(&r.sched, out);
	if (r.vcpus != NULL)
		xen_fill_vcpus(out, r.vcpus, r.n_vcpus);
	xen_dom_read_free(&r);
	if (xen_read_vifs(x, domid, out, vif_ids, nvif, e) < 0) {
		hv_domain_free(out);
		return -1;
	}
	xen_read_vbds(x, domid, out, vbd_ids, nvbd);
	return 0;
}

/* ---- actions ---- */

/* The domain's vcpu count (vcpu_max_id + 1), or -1 with a message. */
static int
xen_domain_vcpus(struct xen *x, uint32_t domid, unsigned *nvcpus, bool *paused, struct err *e)
{
	libxl_dominfo info;
	int rc = xen_dominfo(x, domid, &info, e);

	*nvcpus = 0;
	if (rc == 0) {
		*nvcpus = info.vcpu_max_id + 1;
		if (paused != NULL)
			*paused = info.paused;
	}
	libxl_dominfo_dispose(&info);
	return rc;
}

/* Reads the domain's scheduler back; weight and cap exist only under credit and credit2. */
static int
xen_sched_for_set(struct xen *x, uint32_t domid, const char *what, libxl_scheduler *sched,
                  struct err *e)
{
	libxl_domain_sched_params cur;
	int rc;

	xen_log_clear(x->log);
	rc = xen_sched_read(x, domid, &cur);
	*sched = cur.sched;
	libxl_domain_sched_params_dispose(&cur);
	if (rc == ERROR_DOMAIN_NOTFOUND || (rc != 0 && xen_domain_gone(x, domid)))
		return err_set(e, "domain %u does not exist (any more)", (unsigned)domid);
	if (rc != 0)
		return err_set(e, "cannot read the scheduler parameters of domain %u: %s",
		               (unsigned)domid, xen_log_why(x->log, rc));
	if (*sched != LIBXL_SCHEDULER_CREDIT && *sched != LIBXL_SCHEDULER_CREDIT2)
		return err_set(e, "domain %u runs under the %s scheduler, which has no %s",
		               (unsigned)domid, libxl_scheduler_to_string(*sched), what);
	return 0;
}

/* Sets one parameter; the others stay at LIBXL_DOMAIN_SCHED_PARAM_*_DEFAULT (unchanged). */
static int
xen_sched_set(struct xen *x, uint32_t domid, libxl_scheduler sched, int weight, int cap,
              const char *what, unsigned value, struct err *e)
{
	libxl_domain_sched_params p;
	int rc;

	libxl_domain_sched_params_init(&p);
	p.sched = sched;
	p.weight = weight;
	p.cap = cap;
	xen_log_clear(x->log);
	rc = libxl_domain_sched_params_set(x->ctx, domid, &p);
	libxl_domain_sched_params_dispose(&p);
	if (rc != 0)
		return err_set(e, "libxl refused %s %u for domain %u: %s", what, value,
		               (unsigned)domid, xen_log_why(x->log, rc));
	return 0;
}

static int
xen_set_weight(struct hv *hv, uint32_t domid, unsigned weight, struct err *e)
{
	struct xen *x = hv->priv;
	libxl_scheduler sched;

	if (weight < XEN_WEIGHT_MIN || weight > XEN_WEIGHT_MAX)
		return err_set(e, "a weight must be from %d to %d (the scheduler's range), not %u",
		               XEN_WEIGHT_MIN, XEN_WEIGHT_MAX, weight);
	if (xen_sched_for_set(x, domid, "weight", &sched, e) < 0)
		return -1;
	return xen_sched_set(x, domid, sched, (int)weight, LIBXL_DOMAIN_SCHED_PARAM_CAP_DEFAULT,
	                     "weight", weight, e);
}

static int
xen_set_cap(struct hv *hv, uint32_t domid, unsigned cap, struct err *e)
{
	struct xen *x = hv->priv;
	libxl_scheduler sched;
	unsigned nvcpus;

	if (xen_domain_vcpus(x, domid, &nvcpus, NULL, e) < 0)
		return -1;
	if (cap > 100 * nvcpus)
		return err_set(e, "a cap must be from 0 (no cap) to %u (100 x %u vcpus) for domain %u, not %u",
		               100 * nvcpus, nvcpus, (unsigned)domid, cap);
	if (xen_sched_for_set(x, domid, "cap", &sched, e) < 0)
		return -1;
	return xen_sched_set(x, domid, sched, LIBXL_DOMAIN_SCHED_PARAM_WEIGHT_DEFAULT, (int)cap,
	                     "cap", cap, e);
}

/* Checks a cpu set against the host's pCPUs and turns it into a libxl bitmap. */
static int
xen_cpuset_bitmap(struct xen *x, const struct cpuset *cpus, libxl_bitmap *map, struct err *e)
{
	unsigned nr = x->hv.host.nr_pcpus;

	if (cpuset_count(cpus) == 0)
		return err_set(e, "an empty CPU set would leave the vcpu nowhere to run");
	for (unsigned i = nr; i < SAMPLE_MAX_PCPUS; i++)
		if (cpuset_has(cpus, i))
			return err_set(e, "CPU %u does not exist: this host has %u pCPUs (0-%u)",
			               i, nr, nr ? nr - 1 : 0);
	libxl_bitmap_init(map);
	if (libxl_cpu_bitmap_alloc(x->ctx, map, 0) != 0)
		return err_set(e, "cannot allocate a CPU map: %s", xen_log_why(x->log, ERROR_NOMEM));
	for (unsigned i = 0; i < nr; i++)
		if (cpuset_has(cpus, i)) {
			if (!libxl_bitmap_cpu_valid(map, (int)i)) {
				libxl_bitmap_dispose(map);
				return err_set(e, "CPU %u is beyond what Xen reports for this host", i);
			}
			libxl_bitmap_set(map, (int)i);
		}
	return 0;
}

static int
xen_pin_vcpu(struct hv *hv, uint32_t domid, int vcpu, const struct cpuset *cpus, struct err *e)
{
	struct xen *x = hv->priv;
	libxl_bitmap map;
	unsigned nvcpus;
	int rc;

	if (xen_domain_vcpus(x, domid, &nvcpus, NULL, e) < 0)
		return -1;
	if (vcpu >= (int)nvcpus)
		return err_set(e, "domain %u has %u vcpus (0-%u): there is no vcpu %d",
		               (unsigned)domid, nvcpus, nvcpus - 1, vcpu);
	if (xen_cpuset_bitmap(x, cpus, &map, e) < 0)
		return -1;
	xen_log_clear(x->log);
	if (vcpu < 0)
		rc = libxl_set_vcpuaffinity_all(x->ctx, domid, nvcpus, &map, NULL);
	else
		rc = libxl_set_vcpuaffinity(x->ctx, domid, (uint32_t)vcpu, &map, NULL);
	libxl_bitmap_dispose(&map);
	if (rc != 0)
		return err_set(e, "libxl could not pin %s of domain %u: %s",
		               vcpu < 0 ? "the vcpus" : "the vcpu", (unsigned)domid, xen_log_why(x->log, rc));
	return 0;
}

/*
 * Xen counts pauses by the toolstack: pausing twice needs two unpauses. So a
 * domain already in the asked state is left alone.
 */
static int
xen_set_paused(struct hv *hv, uint32_t domid, bool paused, struct err *e)
{
	struct xen *x = hv->priv;
	unsigned nvcpus;
	bool now_paused = false;
	int rc;

	if (domid == 0)
		return err_set(e, "dom0 cannot be paused: domtop and the toolstack run in it");
	if (xen_domain_vcpus(x, domid, &nvcpus, &now_paused, e) < 0)
		return -1;
	if (now_paused == paused)
		return 0;
	xen_log_clear(x->log);
	rc = paused ? libxl_domain_pause(x->ctx, domid, NULL) : libxl_domain_unpause(x->ctx, domid, NULL);
	if (rc != 0)
		return err_set(e, "libxl could not %s domain %u: %s", paused ? "pause" : "unpause",
		               (unsigned)domid, xen_log_why(x->log, rc));
	return 0;
}

/*
 * IO priority of a vbd's backend tasks, as the vbd cache found them at the
 * last sample (blkback's ring threads, a qdisk's qemu); each is checked to
 * still be that task before it is set.
 */
static int
xen_set_vbd_ioprio(struct hv *hv, uint32_t domid, unsigned devid, int ioclass, int level,
                   struct err *e)
{
	struct xen *x = hv->priv;
	const struct xen_vbd_entry *ent = xen_vbdcache_find(&x->vbds, domid, devid);

	if (ent == NULL)
		return err_set(e, "vbd %u of domain %u was not in the last sample: try again after "
		               "the next one", devid, (unsigned)domid);
	return xen_vbd_set_ioprio(&x->vbds, ent, ioclass, level, e);
}

/* ---- network ops: the kernel side of vifs (vifnet.h), by their dom0 name ---- */

/*
 * Throttles one vif as the kernel knows it: tbf on the vif, ingress -> ifb ->
 * tbf, under whatever name the vif has in dom0 (vifname= included), checked
 * against its sysfs nodename so that no other interface is shaped.
 */
static int
xen_set_vif_shape(struct hv *hv, uint32_t domid, unsigned devid, const struct hv_vif_shape *want,
                  char *saved, size_t saved_len, struct err *e)
{
	struct xen *x = hv->priv;
	char ifname[SAMPLE_DEV_MAX];
	bool lift = want->to_guest_bps == 0 && want->from_guest_bps == 0;

	if (xen_net_open(x, loop_now_ns(), e) < 0)
		return err_prefix(e, "cannot throttle without netlink");
	if (!xen_vif_resolve(&x->vifs, x->xs, domid, devid, loop_now_ns(), ifname, sizeof ifname) && !lift)
		return err_set(e, "vif %u of domain %u has no interface in dom0 (none has the sysfs "
		               "device/nodename backend/vif/%u/%u): is the domain running?",
		               devid, (unsigned)domid, (unsigned)domid, devid);
	return vifnet_set_shape(x->vn, ifname, want, saved, saved_len, e);
}

/* Every Xen vif is a dom0 interface: its name, as the map or xenstore has it. */
static int
xen_vif_ifname(struct hv *hv, uint32_t domid, unsigned devid, char *buf, size_t len, struct err *e)
{
	struct xen *x = hv->priv;

	(void)e;
	xen_vif_name(&x->vifs, x->xs, domid, devid, loop_now_ns(), buf, len);
	return 0;
}

static int
xen_link_fd(struct hv *hv)
{
	struct xen *x = hv->priv;

	return x->vn != NULL ? vifnet_event_fd(x->vn) : -1;
}

/* Links that appeared or were renamed: now, and those the samples took since the last call. */
static int
xen_link_events(struct hv *hv, struct err *e)
{
	struct xen *x = hv->priv;
	int n;

	if (x->vn == NULL)
		return 0;
	if ((n = vifnet_handle_events(x->vn, e)) < 0)
		return -1;
	if (n > 0)
		xen_vifmap_invalidate(&x->vifs);
	n = n < INT_MAX - x->links_seen ? n + x->links_seen : INT_MAX;
	x->links_seen = 0;
	return n;
}

/* ---- open and close ---- */

static void
xen_close(struct hv *hv)
{
	struct xen *x = hv->priv;
	int saved;

	vifnet_close(x->vn);
	xen_vbdcache_free(&x->vbds);
	xen_vifmap_free(&x->vifs);
	free(x->vbd_keys);
	if (x->xs != NULL)
		xs_close(x->xs);
	if (x->stat != NULL) {
		saved = xen_log_quiet_begin(x->log);
		xenstat_uninit(x->stat);
		xen_log_quiet_end(x->log, saved);
	}
	if (x->ctx != NULL)
		libxl_ctx_free(x->ctx);
	xen_log_close(x->log);
	free(x);
}

static unsigned
xen_take_notice(struct hv *hv, char *buf, size_t len)
{
	struct xen *x = hv->priv;
	char text[ERR_MSG_MAX];
	unsigned n = xen_log_take_notice(x->log, text, sizeof text);

	if (n > 1 && xen_log_path(x->log)[0] != '\0')
		snprintf(buf, len, "%s (and %u more in %s)", text, n - 1, xen_log_path(x->log));
	else if (n > 1)
		snprintf(buf, len, "%s (and %u more)", text, n - 1);
	else
		str_copy(buf, text, len);
	return n;
}

static const struct hv_ops xen_ops = {
	.name = "xen",
	.sample = xen_sample,
	.read_domain = xen_read_domain,
	.set_weight = xen_set_weight,
	.set_cap = xen_set_cap,
	.pin_vcpu = xen_pin_vcpu,
	.set_paused = xen_set_paused,
	.close = xen_close,
	.set_vif_shape = xen_set_vif_shape,
	.set_vbd_ioprio = xen_set_vbd_ioprio,
	.vif_ifname = xen_vif_ifname,
	.link_fd = xen_link_fd,
	.link_events = xen_link_events,
	.console_exec = xen_console_exec,
	.take_notice = xen_take_notice,
};

/* The scheduler of cpupool 0, where new domains go, as Xen reports it. */
static void
xen_read_sched_name(struct xen *x, char *buf, size_t len)
{
	libxl_cpupoolinfo pool;
	int sched;

	libxl_cpupoolinfo_init(&pool);
	if (libxl_cpupool_info(x->ctx, &pool, 0) == 0)
		sched = pool.sched;
	else
		sched = libxl_get_scheduler(x->ctx);
	libxl_cpupoolinfo_dispose(&pool);
	str_copy(buf, sched >= 0 && libxl_scheduler_to_string((libxl_scheduler)sched) ?
	         libxl_scheduler_to_string((libxl_scheduler)sched) : "unknown", len);
}

static int
xen_read_host(struct xen *x, struct err *e)
{
	struct sample_host *h = &x->hv.host;
	const libxl_version_info *ver;
	libxl_physinfo phys;
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	int rc;

	if (gethostname(h->hostname, sizeof h->hostname) < 0)
		str_copy(h->hostname, "dom0", sizeof h->hostname);
	h->hostname[sizeof h->hostname - 1] = '\0';
	ver = libxl_get_version_info(x->ctx);
	if (ver != NULL)
		snprintf(h->hypervisor, sizeof h->hypervisor, "Xen %d.%d",
		         ver->xen_version_major, ver->xen_version_minor);
	else
		str_copy(h->hypervisor, "Xen", sizeof h->hypervisor);
	xen_read_sched_name(x, h->sched, sizeof h->sched);
	libxl_physinfo_init(&phys);
	xen_log_clear(x->log);
	rc = libxl_get_physinfo(x->ctx, &phys);
	if (rc == 0) {
		h->nr_pcpus = phys.nr_cpus;
		h->cpu_mhz = phys.cpu_khz / 1000;
		h->tot_mem_kb = phys.total_pages * (uint64_t)(page_kb > 0 ? page_kb : 4);
		h->free_mem_kb = phys.free_pages * (uint64_t)(page_kb > 0 ? page_kb : 4);
	}
	libxl_physinfo_dispose(&phys);
	if (rc != 0)
		return err_set(e, "cannot read the host's CPUs and memory from Xen: %s", xen_log_why(x->log, rc));
	if (h->nr_pcpus > SAMPLE_MAX_PCPUS)
		h->nr_pcpus = SAMPLE_MAX_PCPUS;
	return 0;
}

static int
xen_open_libs(struct xen *x, struct err *e)
{
	int saved, rc;

	rc = libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0, xen_log_logger(x->log));
	if (rc != 0) {
		x->ctx = NULL;
		return err_set(e, "cannot open libxl: %s (run domtop on dom0 as root, or try `domtop --demo`)",
		               xen_log_why(x->log, rc));
	}
	/*
	 * Child processes: domtop forks children of its own (the console
	 * attach; backup jobs) and reaps them by pid. libxl reaps only its own
	 * (libxl_sigchld_owner_libxl_always_selective_reap): see xen_console.h.
	 */
	libxl_childproc_setmode(x->ctx, &xen_childproc_hooks, NULL);
	saved = xen_log_quiet_begin(x->log);
	x->stat = xenstat_init();
	xen_log_quiet_end(x->log, saved);
	if (x->stat == NULL)
		return err_set(e, "libxenstat could not open the hypervisor interface (details in %s)",
		               xen_log_path(x->log)[0] ? xen_log_path(x->log) : "no log file");
	x->xs = xs_open(0);
	if (x->xs == NULL)
		return err_set(e, "cannot open xenstore: %s (is xenstored running?)", strerror(errno));
	return 0;
}

int
hv_xen_open(struct hv **out, struct err *e)
{
	struct xen *x;
	struct err ne;

	*out = NULL;
	if (xen_probe_dom0("", e) < 0)
		return -1;
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return err_set(e, "out of memory opening the Xen backend");
	x->hv.ops = &xen_ops;
	x->hv.priv = x;
	xen_vifmap_init(&x->vifs, XEN_SYSFS_NET);
	if (xen_log_open(&x->log, NULL, e) < 0) {
		free(x);
		return -1;
	}
	if (xen_open_libs(x, e) < 0 || xen_read_host(x, e) < 0) {
		xen_close(&x->hv);
		return -1;
	}
	xen_vbdcache_init(&x->vbds, x->xs, "/proc");
	if (xen_net_open(x, loop_now_ns(), &ne) < 0)
		xen_net_fallback(x, ne.msg);
	xen_log_note(x->log, "opened: %s, %s scheduler, %u pCPUs, vif counters from %s",
	             x->hv.host.hypervisor, x->hv.host.sched, x->hv.host.nr_pcpus,
	             x->vn != NULL ? "netlink" : "libxenstat");
	*out = &x->hv;
	return 0;
}
