/*
 * xen_vif.h: a guest's vifs as dom0 network devices. The name of a vif in
 * dom0 is vif<domid>.<devid> unless the toolstack renamed it (vifname=), so
 * names are found the way the kernel records them: each netback device's
 * /sys/class/net/<if>/device/nodename holds its xenstore backend path
 * "backend/vif/<domid>/<devid>". The map is rebuilt when the set of vifs
 * changes and once more 5 s later (the hotplug script renames a new vif just
 * after it appears), when a vif is not in it (at most every 5 s), and every
 * 60 s for renames by hand.
 *
 * With netlink (the Xen backend's normal case) the map is also the list of
 * each domain's vifs: it is rebuilt when a link event says a link appeared or
 * was renamed, when a listed vif was not found, and every 60 s; the counters
 * come from vifnet.h. Without netlink, libxenstat lists the vifs and reads
 * their counters from /proc/net/dev (xen_vif_counters_xenstat), and the map
 * only names them (xen_vifmap_sync).
 */
#ifndef DOMTOP_XEN_VIF_H
#define DOMTOP_XEN_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstat.h>

#include "backend/sample.h"

struct xs_handle;

struct xen_vifmap_entry {
	uint32_t domid;
	unsigned devid;
	char ifname[SAMPLE_DEV_MAX];
};

struct xen_vifmap {
	const char *sysfs_net;        /* "/sys/class/net"; tests use their own tree */
	struct xen_vifmap_entry *e;   /* sorted by (domid, devid) */
	size_t n, cap;
	uint64_t keys_hash;           /* of the vif set the map was built for */
	uint64_t built_ns;
	uint64_t recheck_ns;          /* rebuild once more at this time; 0: none due */
	bool built;
	bool stale;                   /* rebuild at the next xen_vifmap_refresh */
};

void xen_vifmap_init(struct xen_vifmap *m, const char *sysfs_net);
void xen_vifmap_free(struct xen_vifmap *m);
/*
 * Rescans sysfs_net. -1 (errno set) when it cannot be read completely (no
 * such directory, out of file descriptors or memory): the map stays as it
 * was and is marked stale.
 */
int xen_vifmap_rebuild(struct xen_vifmap *m, uint64_t now_ns);
const char *xen_vifmap_find(const struct xen_vifmap *m, uint32_t domid, unsigned devid);
/* Rebuilds when keys_hash differs from the one the map was built for, and as above. */
void xen_vifmap_sync(struct xen_vifmap *m, uint64_t keys_hash, uint64_t now_ns);
/* Marks the map for a rebuild at the next xen_vifmap_refresh (a link appeared, a vif was missing). */
void xen_vifmap_invalidate(struct xen_vifmap *m);
/*
 * The netlink path: rebuilds when never built, marked stale, or built 60 s
 * ago or more; -1 (errno set) when that rebuild failed.
 */
int xen_vifmap_refresh(struct xen_vifmap *m, uint64_t now_ns);
/* The entries of one domain (contiguous, by devid): how many, the first in *first. */
size_t xen_vifmap_domain(const struct xen_vifmap *m, uint32_t domid,
                         const struct xen_vifmap_entry **first);
/* Folds one (domid, devid) into a running hash of the vif set (FNV-1a). */
uint64_t xen_vif_key_hash(uint64_t h, uint32_t domid, unsigned devid);
#define XEN_VIF_HASH_INIT 0xcbf29ce484222325ULL

/*
 * The dom0 name of a vif: from the map (rebuilt at most every 5 s on a miss),
 * else the backend's "vifname" key in xenstore, else vif<domid>.<devid>.
 */
void xen_vif_name(struct xen_vifmap *m, struct xs_handle *xs, uint32_t domid, unsigned devid,
                  uint64_t now_ns, char *buf, size_t len);

/*
 * The dom0 name of a vif for acting on it (throttling, read-back): the
 * map's name when that interface's sysfs nodename says it is this vif, else
 * the map rebuilt now and looked up again. Returns true with the name found
 * so; false with xen_vif_name's answer (the interface may not exist).
 */
bool xen_vif_resolve(struct xen_vifmap *m, struct xs_handle *xs, uint32_t domid, unsigned devid,
                     uint64_t now_ns, char *buf, size_t len);

/* Counter source 1, the fallback: libxenstat's (dom0's /proc/net/dev line). Adds to v. */
void xen_vif_counters_xenstat(struct sample_vif *v, xenstat_network *n);
/* Counter source 2, for read_domain: /sys/class/net/<ifname>/statistics; -1 when absent. */
int xen_vif_counters_sysfs(struct sample_vif *v, const char *sysfs_net);

#endif
