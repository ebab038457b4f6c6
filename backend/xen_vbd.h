/*
 * xen_vbd.h: a guest's virtual disks as dom0 sees them: which backend serves
 * each one (blkback kernel threads, a qemu qdisk process, tapdisk), the block
 * IO delay and IO priority of those tasks, and the IO scheduler of the
 * backing device.
 *
 * Facts per vbd are cached (key: domid, devid). xenstore is read when a vbd
 * first appears; /proc is scanned for blkback ring threads ("<domid>.<dev>-<ring>")
 * only when the set of vbds changes or a cached task is gone, and at most every
 * 10 s while a backend task is still missing; schedulers are re-read every 10 s.
 * Each sample then reads one /proc/<pid>/stat per backend task (field 42,
 * delayacct_blkio_ticks: needs kernel.task_delayacct=1) and its ioprio.
 *
 * The delay counter is kept monotonic across tasks that come and go (qemu's
 * worker threads): each task's increase since the previous sample is added.
 * A qdisk process serves every qdisk of its domain: its delay is counted on
 * the domain's first qdisk vbd only, so per-domain sums stay right.
 */
#ifndef DOMTOP_XEN_VBD_H
#define DOMTOP_XEN_VBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend/sample.h"

struct xs_handle;

#define XEN_VBD_MAX_TASKS 64

#define XEN_VBD_TYPE_NONE 255u

enum xen_vbd_kind { XEN_VBD_BLKBACK, XEN_VBD_QDISK, XEN_VBD_TAP, XEN_VBD_UNKNOWN };

/* What the caller knows of a vbd from libxenstat. */
struct xen_vbd_key {
	uint32_t domid;
	unsigned devid;
	unsigned xenstat_type;        /* 1 blkback, 2 tap, 0 qdisk; XEN_VBD_TYPE_NONE: not known */
};

struct xen_vbd_task {
	pid_t tid;
	uint64_t ticks;
};

struct xen_vbd_entry {
	uint32_t domid;
	unsigned devid;
	enum xen_vbd_kind kind;
	char devkey[SAMPLE_DEV_MAX];   /* backend "dev" key, e.g. xvda */
	char sched_path[160];          /* sysfs queue/scheduler, "" when unknown */
	char scheduler[16];
	pid_t pid;                     /* qdisk/tap process; blkback: 0 */
	bool owns_delay;               /* false for a domain's 2nd, 3rd ... qdisk */
	size_t n_tasks;
	struct xen_vbd_task tasks[XEN_VBD_MAX_TASKS];
	uint64_t acc_ticks;            /* monotonic sum of the tasks' increases */
	int ioprio_class, ioprio_level;
};

struct xen_vbdcache {
	struct xs_handle *xs;
	const char *proc;              /* "/proc" */
	struct xen_vbd_entry *e;       /* sorted by (domid, devid) */
	size_t n, cap;
	bool dirty;                    /* rescan /proc at the next sync */
	uint64_t rescan_ns, sched_ns;
	uint64_t ns_per_tick;
};

void xen_vbdcache_init(struct xen_vbdcache *c, struct xs_handle *xs, const char *proc);
void xen_vbdcache_free(struct xen_vbdcache *c);
/*
 * Makes the cache hold exactly the vbds of keys (sorted by domid, devid),
 * then refreshes delays and ioprio. Returns -1 only when out of memory.
 */
int xen_vbdcache_sync(struct xen_vbdcache *c, const struct xen_vbd_key *keys, size_t n,
                      uint64_t now_ns);
const struct xen_vbd_entry *xen_vbdcache_find(const struct xen_vbdcache *c, uint32_t domid,
                                              unsigned devid);
/*
 * The xenstore facts of one vbd (backend kind, dev key, scheduler, process)
 * into *e, outside the cache: no tasks, no delay, ioprio unknown.
 */
void xen_vbd_probe(const struct xen_vbdcache *c, const struct xen_vbd_key *k,
                   struct xen_vbd_entry *e);
/* Copies an entry's facts (name, backend, delay, ioprio, scheduler) into v. */
void xen_vbd_fill(const struct xen_vbdcache *c, const struct xen_vbd_entry *e,
                  struct sample_vbd *v);
const char *xen_vbd_kind_name(enum xen_vbd_kind k);

/* blkback/tap counters from /sys/bus/xen-backend/devices/<vbd|tap>-<d>-<dev>/statistics. */
int xen_vbd_counters_sysfs(struct sample_vbd *v, uint32_t domid, const char *sysfs_backend);

#endif
