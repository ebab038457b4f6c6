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
 *
 * Only dom0's own xenstore keys are trusted: the backend directory is looked
 * up under /local/domain/0/backend (a guest can rewrite the "backend" key of
 * its frontend), and a qdisk's qemu must name the domain in its command line
 * ("-xen-domid N"); a pid that is reused (another start time) is dropped.
 *
 * qdisk counters: libxenstat's QMP reader gives up after 10 ms and returns
 * nothing on a busy host, so the cache reads them itself, once per sample
 * and domain, with query-blockstats (xen_qmp.h). xen_vbd_qdisk_keys lists
 * the qdisks from xenstore, as libxenstat may not list them at all.
 */
#ifndef DOMTOP_XEN_VBD_H
#define DOMTOP_XEN_VBD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "backend/err.h"
#include "backend/sample.h"

struct xs_handle;

/* qemu: about 8 threads of its own and up to 64 thread-pool workers */
#define XEN_VBD_MAX_TASKS 96
#define XEN_VBD_QMP_TIMEOUT_MS 500

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
	uint64_t pid_start;            /* its start time (stat field 22), to notice reuse */
	bool owns_delay;               /* false for a domain's 2nd, 3rd ... qdisk */
	bool have_io;                  /* qdisk: the counters below were read over QMP */
	uint64_t rd_req, wr_req, rd_sect, wr_sect;
	size_t n_tasks;
	struct xen_vbd_task tasks[XEN_VBD_MAX_TASKS];
	uint64_t acc_ticks;            /* monotonic sum of the tasks' increases */
	int ioprio_class, ioprio_level;
};

struct xen_vbdcache {
	struct xs_handle *xs;
	const char *proc;              /* "/proc" */
	const char *qmp_fmt;           /* XEN_QMP_SOCKET_FMT; tests point it elsewhere */
	int qmp_timeout_ms;
	char note[ERR_MSG_MAX];        /* a new QMP failure, "" when none (for the log) */
	char last_note[ERR_MSG_MAX];   /* the one before: the same one is not noted again */
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
/* The entries of one domain: *first and the count (0: none). */
size_t xen_vbdcache_domain(const struct xen_vbdcache *c, uint32_t domid,
                           const struct xen_vbd_entry **first);
/*
 * Appends a key (xenstat_type 0) for every qdisk in dom0's xenstore
 * (backend/qdisk/<domid>/<devid>) to *keys (n used, *cap allocated, grown
 * with realloc). Returns the new count, or -1 when out of memory.
 */
long xen_vbd_qdisk_keys(const struct xen_vbdcache *c, struct xen_vbd_key **keys, size_t n,
                        size_t *cap);
/* Copies the last QMP failure since the previous call into buf and clears it; false: none. */
bool xen_vbdcache_take_note(struct xen_vbdcache *c, char *buf, size_t len);
/*
 * The xenstore facts of one vbd (backend kind, dev key, scheduler, process)
 * into *e, outside the cache: no tasks, no delay, ioprio unknown.
 */
void xen_vbd_probe(const struct xen_vbdcache *c, const struct xen_vbd_key *k,
                   struct xen_vbd_entry *e);
/*
 * Copies an entry's facts (name, backend, delay, ioprio, scheduler) into v,
 * and for a qdisk the counters read over QMP.
 */
void xen_vbd_fill(const struct xen_vbdcache *c, const struct xen_vbd_entry *e,
                  struct sample_vbd *v);
const char *xen_vbd_kind_name(enum xen_vbd_kind k);

/*
 * Sets the IO priority (ioprio_set: class 1 realtime, 2 best-effort, 3 idle,
 * 0 none; level 0-7) of every task of a vbd's backend: blkback's ring
 * threads, or every thread of the qemu or tapdisk process (threads it starts
 * later inherit it from their creator). Only tasks that are still what the
 * cache found are set (a ring thread's name, the process's start time), so
 * a reused pid is never touched. Read back with xen_vbd_read_ioprio, or by
 * the next sync.
 */
int xen_vbd_set_ioprio(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, int ioclass,
                       int level, struct err *err);

/*
 * The IO priority of a vbd's backend now, from its first live ring thread
 * or its process (an action's read-back); -1 and -1 when none is found.
 */
void xen_vbd_read_ioprio(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, int *ioclass,
                         int *level);

/* blkback/tap counters from /sys/bus/xen-backend/devices/<vbd|tap>-<d>-<dev>/statistics. */
int xen_vbd_counters_sysfs(struct sample_vbd *v, uint32_t domid, const char *sysfs_backend);

#endif
