/*
 * xen_vif.c: vif names and counters for the Xen backend (see xen_vif.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/mem.h"
#include "backend/str.h"
#include "backend/xen_map.h"
#include "backend/xen_vif.h"
#include "backend/xen_xs.h"

#define XEN_VIF_MISS_RESCAN_NS (5ULL * 1000000000ULL)
#define XEN_VIF_RECHECK_NS     (5ULL * 1000000000ULL)   /* after the set of vifs changed */
#define XEN_VIF_REBUILD_NS     (60ULL * 1000000000ULL)  /* an operator's rename, at the latest */

void
xen_vifmap_init(struct xen_vifmap *m, const char *sysfs_net)
{
	memset(m, 0, sizeof *m);
	m->sysfs_net = sysfs_net;
}

void
xen_vifmap_free(struct xen_vifmap *m)
{
	free(m->e);
	xen_vifmap_init(m, m->sysfs_net);
}

static int
xen_vifmap_cmp(const void *a, const void *b)
{
	const struct xen_vifmap_entry *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	return (x->devid > y->devid) - (x->devid < y->devid);
}

/*
 * Reads <sysfs_net>/<ifname>/device/nodename into buf: 1; 0 when ifname is
 * no netback device (or vanished); -1 (errno set) when it cannot be told,
 * as when out of file descriptors.
 */
static int
xen_vifmap_nodename(const char *sysfs_net, const char *ifname, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	bool ok;

	if ((size_t)snprintf(path, sizeof path, "%s/%s/device/nodename", sysfs_net, ifname) >= sizeof path)
		return 0;
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	return ok ? 1 : 0;
}

static int
xen_vifmap_add(struct xen_vifmap *m, const struct xen_bepath *bp, const char *ifname)
{
	if (mem_grow((void **)&m->e, &m->cap, m->n + 1, sizeof *m->e, NULL) < 0)
		return -1;
	m->e[m->n].domid = bp->domid;
	m->e[m->n].devid = bp->devid;
	str_copy(m->e[m->n].ifname, ifname, sizeof m->e[m->n].ifname);
	m->n++;
	return 0;
}

/* The netback devices of the directory d into fresh; -1 (errno set) on any error. */
static int
xen_vifmap_scan(struct xen_vifmap *fresh, DIR *d)
{
	struct xen_bepath bp;
	struct dirent *de;
	char node[128];
	int rc;

	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= SAMPLE_DEV_MAX)
			continue;
		if ((rc = xen_vifmap_nodename(fresh->sysfs_net, de->d_name, node, sizeof node)) < 0)
			return -1;
		if (rc == 0 || !xen_map_parse_bepath(node, &bp) || strcmp(bp.type, "vif") != 0)
			continue;
		if (xen_vifmap_add(fresh, &bp, de->d_name) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	return errno != 0 ? -1 : 0;
}

int
xen_vifmap_rebuild(struct xen_vifmap *m, uint64_t now_ns)
{
	struct xen_vifmap fresh;
	DIR *d;
	int rc = -1, saved;

	m->built = true;              /* tried: a miss rescans at most every 5 s */
	m->built_ns = now_ns;
	xen_vifmap_init(&fresh, m->sysfs_net);
	d = opendir(m->sysfs_net);
	if (d != NULL) {
		rc = xen_vifmap_scan(&fresh, d);
		saved = errno;
		closedir(d);
		errno = saved;
	}
	if (rc < 0) {
		saved = errno;
		free(fresh.e);
		m->stale = true;          /* the old map stays; tried again at the next refresh */
		errno = saved;
		return -1;
	}
	qsort(fresh.e, fresh.n, sizeof *fresh.e, xen_vifmap_cmp);
	free(m->e);
	m->e = fresh.e;
	m->n = fresh.n;
	m->cap = fresh.cap;
	m->stale = false;
	return 0;
}

const char *
xen_vifmap_find(const struct xen_vifmap *m, uint32_t domid, unsigned devid)
{
	struct xen_vifmap_entry key = { .domid = domid, .devid = devid };
	const struct xen_vifmap_entry *e;

	if (m->n == 0)
		return NULL;
	e = bsearch(&key, m->e, m->n, sizeof *m->e, xen_vifmap_cmp);
	return e != NULL ? e->ifname : NULL;
}

void
xen_vifmap_invalidate(struct xen_vifmap *m)
{
	m->stale = true;
}

int
xen_vifmap_refresh(struct xen_vifmap *m, uint64_t now_ns)
{
	if (m->built && !m->stale && now_ns - m->built_ns < XEN_VIF_REBUILD_NS)
		return 0;
	return xen_vifmap_rebuild(m, now_ns);
}

size_t
xen_vifmap_domain(const struct xen_vifmap *m, uint32_t domid, const struct xen_vifmap_entry **first)
{
	size_t lo = 0, hi = m->n, n = 0;

	while (lo < hi) {             /* the first entry with an id >= domid */
		size_t mid = lo + (hi - lo) / 2;
		if (m->e[mid].domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo < m->n ? &m->e[lo] : NULL;
	while (lo + n < m->n && m->e[lo + n].domid == domid)
		n++;
	return n;
}

uint64_t
xen_vif_key_hash(uint64_t h, uint32_t domid, unsigned devid)
{
	uint64_t v = ((uint64_t)domid << 32) | devid;

	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
xen_vifmap_sync(struct xen_vifmap *m, uint64_t keys_hash, uint64_t now_ns)
{
	if (!m->built || m->keys_hash != keys_hash) {
		/* hotplug scripts rename a new vif (vifname=) just after it appears */
		xen_vifmap_rebuild(m, now_ns);
		m->keys_hash = keys_hash;
		m->recheck_ns = now_ns + XEN_VIF_RECHECK_NS;
	} else if ((m->recheck_ns != 0 && now_ns >= m->recheck_ns) ||
	           now_ns - m->built_ns >= XEN_VIF_REBUILD_NS) {
		xen_vifmap_rebuild(m, now_ns);
		m->recheck_ns = 0;
	}
}

void
xen_vif_name(struct xen_vifmap *m, struct xs_handle *xs, uint32_t domid, unsigned devid,
             uint64_t now_ns, char *buf, size_t len)
{
	const char *name = xen_vifmap_find(m, domid, devid);
	char bepath[128];

	if (name == NULL && (!m->built || now_ns - m->built_ns >= XEN_VIF_MISS_RESCAN_NS)) {
		xen_vifmap_rebuild(m, now_ns);
		name = xen_vifmap_find(m, domid, devid);
	}
	if (name != NULL) {
		str_copy(buf, name, len);
		return;
	}
	if (!xen_xs_read(xs, bepath, sizeof bepath, "/local/domain/%u/device/vif/%u/backend",
	                 (unsigned)domid, devid))
		snprintf(bepath, sizeof bepath, "/local/domain/0/backend/vif/%u/%u", (unsigned)domid, devid);
	if (xen_xs_read(xs, buf, len, "%s/vifname", bepath) && buf[0] != '\0')
		return;
	snprintf(buf, len, "vif%u.%u", (unsigned)domid, devid);
}

/* True when <sysfs_net>/<ifname>/device/nodename names backend/vif/<domid>/<devid>. */
static bool
xen_vif_is(const struct xen_vifmap *m, const char *ifname, uint32_t domid, unsigned devid)
{
	struct xen_bepath bp;
	char node[128];

	return xen_vifmap_nodename(m->sysfs_net, ifname, node, sizeof node) == 1 &&
	       xen_map_parse_bepath(node, &bp) && strcmp(bp.type, "vif") == 0 &&
	       bp.domid == domid && bp.devid == devid;
}

bool
xen_vif_resolve(struct xen_vifmap *m, struct xs_handle *xs, uint32_t domid, unsigned devid,
                uint64_t now_ns, char *buf, size_t len)
{
	const char *name = xen_vifmap_find(m, domid, devid);

	if (name == NULL || !xen_vif_is(m, name, domid, devid)) {
		xen_vifmap_rebuild(m, now_ns);
		name = xen_vifmap_find(m, domid, devid);
	}
	if (name != NULL && xen_vif_is(m, name, domid, devid)) {
		str_copy(buf, name, len);
		return true;
	}
	xen_vif_name(m, xs, domid, devid, now_ns, buf, len);
	return false;
}

void
xen_vif_counters_xenstat(struct sample_vif *v, xenstat_network *n)
{
	v->rx_bytes += xenstat_network_rbytes(n);
	v->rx_packets += xenstat_network_rpackets(n);
	v->rx_errors += xenstat_network_rerrs(n);
	v->rx_drops += xenstat_network_rdrop(n);
	v->tx_bytes += xenstat_network_tbytes(n);
	v->tx_packets += xenstat_network_tpackets(n);
	v->tx_errors += xenstat_network_terrs(n);
	v->tx_drops += xenstat_network_tdrop(n);
}

static bool
xen_vif_stat(const char *sysfs_net, const char *ifname, const char *what, uint64_t *out)
{
	char path[512], buf[32];
	unsigned long long v;
	FILE *f;
	bool ok;

	if ((size_t)snprintf(path, sizeof path, "%s/%s/statistics/%s", sysfs_net, ifname, what) >= sizeof path)
		return false;
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	if (!ok || !str_to_uint(buf, 0, ~0ULL, &v))
		return false;
	*out = v;
	return true;
}

int
xen_vif_counters_sysfs(struct sample_vif *v, const char *sysfs_net)
{
	static const struct {
		const char *file;
		size_t off;
	} f[] = {
		{ "rx_bytes", offsetof(struct sample_vif, rx_bytes) },
		{ "rx_packets", offsetof(struct sample_vif, rx_packets) },
		{ "rx_errors", offsetof(struct sample_vif, rx_errors) },
		{ "rx_dropped", offsetof(struct sample_vif, rx_drops) },
		{ "tx_bytes", offsetof(struct sample_vif, tx_bytes) },
		{ "tx_packets", offsetof(struct sample_vif, tx_packets) },
		{ "tx_errors", offsetof(struct sample_vif, tx_errors) },
		{ "tx_dropped", offsetof(struct sample_vif, tx_drops) },
	};

	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (!xen_vif_stat(sysfs_net, v->ifname, f[i].file,
		                  (uint64_t *)(void *)((char *)v + f[i].off)))
			return -1;
	return 0;
}
