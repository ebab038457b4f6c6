/*
 * xen_vbd.c: backend tasks, IO delay, IO priority and IO scheduler of the
 * vbds of a Xen host (see xen_vbd.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "backend/str.h"
#include "backend/xen_map.h"
#include "backend/xen_qmp.h"
#include "backend/xen_vbd.h"
#include "backend/xen_xs.h"

#define XEN_VBD_RESCAN_NS (10ULL * 1000000000ULL)
#define XEN_VBD_IOPRIO_WHO_PROCESS 1
#define XEN_VBD_MAX_QDISK_DOMS 4096
#define XEN_VBD_MAX_QDISKS 64          /* per domain */
#define XEN_VBD_SECTOR 512u            /* blkback's statistics count 512-byte sectors too */

void
xen_vbdcache_init(struct xen_vbdcache *c, struct xs_handle *xs, const char *proc)
{
	long tck = sysconf(_SC_CLK_TCK);

	memset(c, 0, sizeof *c);
	c->xs = xs;
	c->proc = proc;
	c->qmp_fmt = XEN_QMP_SOCKET_FMT;
	c->qmp_timeout_ms = XEN_VBD_QMP_TIMEOUT_MS;
	c->ns_per_tick = tck > 0 ? 1000000000ULL / (uint64_t)tck : 10000000ULL;
}

void
xen_vbdcache_free(struct xen_vbdcache *c)
{
	free(c->e);
	c->e = NULL;
	c->n = c->cap = 0;
}

const char *
xen_vbd_kind_name(enum xen_vbd_kind k)
{
	switch (k) {
	case XEN_VBD_BLKBACK: return "blkback";
	case XEN_VBD_QDISK: return "qdisk";
	case XEN_VBD_TAP: return "tap";
	default: return "unknown";
	}
}

static int
xen_vbd_cmp(uint32_t d1, unsigned v1, uint32_t d2, unsigned v2)
{
	if (d1 != d2)
		return d1 < d2 ? -1 : 1;
	return (v1 > v2) - (v1 < v2);
}

/* Index of the first entry >= (domid, devid). */
static size_t
xen_vbd_lower(const struct xen_vbdcache *c, uint32_t domid, unsigned devid)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (xen_vbd_cmp(c->e[mid].domid, c->e[mid].devid, domid, devid) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct xen_vbd_entry *
xen_vbdcache_find(const struct xen_vbdcache *c, uint32_t domid, unsigned devid)
{
	size_t i = xen_vbd_lower(c, domid, devid);

	if (i < c->n && c->e[i].domid == domid && c->e[i].devid == devid)
		return &c->e[i];
	return NULL;
}

size_t
xen_vbdcache_domain(const struct xen_vbdcache *c, uint32_t domid, const struct xen_vbd_entry **first)
{
	size_t i = xen_vbd_lower(c, domid, 0), j = i;

	while (j < c->n && c->e[j].domid == domid)
		j++;
	*first = j > i ? &c->e[i] : NULL;
	return j - i;
}

bool
xen_vbdcache_take_note(struct xen_vbdcache *c, char *buf, size_t len)
{
	if (c->note[0] == '\0')
		return false;
	str_copy(buf, c->note, len);
	c->note[0] = '\0';
	return true;
}

/* Appends (domid, devid) to the growing array *keys. */
static bool
xen_vbd_push_key(struct xen_vbd_key **keys, size_t *n, size_t *cap, uint32_t domid, unsigned devid)
{
	if (*n >= *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct xen_vbd_key *k = realloc(*keys, ncap * sizeof *k);
		if (k == NULL)
			return false;
		*keys = k;
		*cap = ncap;
	}
	(*keys)[*n].domid = domid;
	(*keys)[*n].devid = devid;
	(*keys)[*n].xenstat_type = 0;
	(*n)++;
	return true;
}

long
xen_vbd_qdisk_keys(const struct xen_vbdcache *c, struct xen_vbd_key **keys, size_t n, size_t *cap)
{
	unsigned doms[XEN_VBD_MAX_QDISK_DOMS], devs[XEN_VBD_MAX_QDISKS];
	size_t nd = xen_xs_list_ids(c->xs, doms, XEN_VBD_MAX_QDISK_DOMS, "/local/domain/0/backend/qdisk");

	for (size_t i = 0; i < nd; i++) {
		size_t nv = xen_xs_list_ids(c->xs, devs, XEN_VBD_MAX_QDISKS,
		                            "/local/domain/0/backend/qdisk/%u", doms[i]);
		for (size_t j = 0; j < nv; j++)
			if (doms[i] <= 0xffff && !xen_vbd_push_key(keys, &n, cap, doms[i], devs[j]))
				return -1;
	}
	return (long)n;
}

/* ---- facts read once per vbd from xenstore ---- */

static enum xen_vbd_kind
xen_vbd_kind_of(const char *betype, unsigned xenstat_type)
{
	if (strcmp(betype, "vbd") == 0)
		return XEN_VBD_BLKBACK;
	if (strcmp(betype, "qdisk") == 0)
		return XEN_VBD_QDISK;
	if (strcmp(betype, "vbd3") == 0 || strncmp(betype, "tap", 3) == 0)
		return XEN_VBD_TAP;
	if (betype[0] != '\0')
		return XEN_VBD_UNKNOWN;
	switch (xenstat_type) {
	case 0: return XEN_VBD_QDISK;   /* libxenstat's QMP reader leaves the type 0 */
	case 1: return XEN_VBD_BLKBACK;
	case 2: return XEN_VBD_TAP;
	default: return XEN_VBD_UNKNOWN;
	}
}

/*
 * The vbd's backend directory in dom0's tree. The frontend's "backend" key
 * would name it too, but the guest can rewrite that key and point domtop at
 * another tenant's backend: it is not read.
 */
static bool
xen_vbd_bepath(struct xs_handle *xs, uint32_t domid, unsigned devid, char *buf, size_t len)
{
	static const char *const types[] = { "vbd", "qdisk", "vbd3" };
	char dev[SAMPLE_DEV_MAX];

	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		snprintf(buf, len, "/local/domain/0/backend/%s/%u/%u", types[i], (unsigned)domid, devid);
		if (xen_xs_read(xs, dev, sizeof dev, "%s/dev", buf))
			return true;
	}
	buf[0] = '\0';
	return false;
}

/* The block device under the vbd: physical-device (blkback), else the params file. */
static bool
xen_vbd_block_dev(struct xs_handle *xs, const char *bepath, unsigned *major, unsigned *minor)
{
	char buf[256];
	const char *path;
	struct stat st;

	if (xen_xs_read(xs, buf, sizeof buf, "%s/physical-device", bepath) &&
	    xen_map_parse_physdev(buf, major, minor))
		return true;
	if (!xen_xs_read(xs, buf, sizeof buf, "%s/params", bepath) ||
	    (path = xen_map_params_path(buf)) == NULL || stat(path, &st) < 0)
		return false;
	*major = S_ISBLK(st.st_mode) ? major(st.st_rdev) : major(st.st_dev);
	*minor = S_ISBLK(st.st_mode) ? minor(st.st_rdev) : minor(st.st_dev);
	return true;
}

/* A partition has no queue of its own: its disk's is one level up. */
static void
xen_vbd_sched_path(struct xs_handle *xs, const char *bepath, char *buf, size_t len)
{
	unsigned ma, mi;

	buf[0] = '\0';
	if (!xen_vbd_block_dev(xs, bepath, &ma, &mi))
		return;
	snprintf(buf, len, "/sys/dev/block/%u:%u/queue/scheduler", ma, mi);
	if (access(buf, R_OK) == 0)
		return;
	snprintf(buf, len, "/sys/dev/block/%u:%u/../queue/scheduler", ma, mi);
	if (access(buf, R_OK) != 0)
		buf[0] = '\0';
}

static void
xen_vbd_read_sched(struct xen_vbd_entry *e)
{
	char buf[256];
	FILE *f;

	e->scheduler[0] = '\0';
	if (e->sched_path[0] == '\0' || (f = fopen(e->sched_path, "re")) == NULL)
		return;
	if (fgets(buf, sizeof buf, f) == NULL ||
	    !xen_map_parse_scheduler(buf, e->scheduler, sizeof e->scheduler))
		e->scheduler[0] = '\0';
	fclose(f);
}

static bool xen_vbd_read_stat(const struct xen_vbdcache *c, pid_t pid, pid_t tid,
                              struct xen_procstat *st);

/* True when /proc/<pid>/cmdline says the process serves domid ("-xen-domid N"). */
static bool
xen_vbd_serves(const struct xen_vbdcache *c, pid_t pid, uint32_t domid)
{
	char path[96], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%d/cmdline", c->proc, (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return xen_map_cmdline_serves(buf, n, domid);
}

/*
 * The process of a qdisk (the qemu serving it: xl devd's key, else the
 * domain's device model) or of a tapdisk, with its start time. A qdisk pid
 * whose process does not name the domain is not taken.
 */
static void
xen_vbd_find_process(const struct xen_vbdcache *c, struct xen_vbd_entry *e, const char *bepath)
{
	static const char *const qdisk_keys[] = {
		"/local/domain/0/libxl/%u/qdisk-backend-pid", "/local/domain/%u/image/device-model-pid",
	};
	char buf[32];
	unsigned long long v;
	struct xen_procstat st;

	e->pid = 0;
	e->pid_start = 0;
	for (size_t i = 0; e->kind == XEN_VBD_QDISK && i < sizeof qdisk_keys / sizeof *qdisk_keys; i++)
		if (xen_xs_read(c->xs, buf, sizeof buf, qdisk_keys[i], (unsigned)e->domid) &&
		    str_to_uint(str_trim(buf), 1, 0x3fffffff, &v) && xen_vbd_serves(c, (pid_t)v, e->domid)) {
			e->pid = (pid_t)v;
			break;
		}
	if (e->kind == XEN_VBD_TAP && xen_xs_read(c->xs, buf, sizeof buf, "%s/kthread-pid", bepath) &&
	    str_to_uint(str_trim(buf), 1, 0x3fffffff, &v))
		e->pid = (pid_t)v;
	if (e->pid > 0 && xen_vbd_read_stat(c, e->pid, 0, &st))
		e->pid_start = st.starttime;
	else
		e->pid = 0;
}

void
xen_vbd_probe(const struct xen_vbdcache *c, const struct xen_vbd_key *k, struct xen_vbd_entry *e)
{
	char bepath[160], dev[SAMPLE_DEV_MAX];
	struct xen_bepath bp;

	memset(e, 0, sizeof *e);
	e->domid = k->domid;
	e->devid = k->devid;
	e->ioprio_class = e->ioprio_level = -1;
	if (xen_vbd_bepath(c->xs, k->domid, k->devid, bepath, sizeof bepath) &&
	    xen_map_parse_bepath(bepath, &bp))
		e->kind = xen_vbd_kind_of(bp.type, k->xenstat_type);
	else
		e->kind = xen_vbd_kind_of("", k->xenstat_type);
	if (bepath[0] != '\0' && xen_xs_read(c->xs, dev, sizeof dev, "%s/dev", bepath))
		str_copy(e->devkey, xen_map_strip_dev(str_trim(dev)), sizeof e->devkey);
	else
		xen_map_vbd_name(k->devid, e->devkey, sizeof e->devkey);
	if (bepath[0] != '\0') {
		xen_vbd_sched_path(c->xs, bepath, e->sched_path, sizeof e->sched_path);
		xen_vbd_find_process(c, e, bepath);
	}
	xen_vbd_read_sched(e);
}

/* ---- keeping the cache equal to the current set of vbds ---- */

static bool
xen_vbd_same_set(const struct xen_vbdcache *c, const struct xen_vbd_key *keys, size_t n)
{
	if (n != c->n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (c->e[i].domid != keys[i].domid || c->e[i].devid != keys[i].devid)
			return false;
	return true;
}

/* One qdisk process serves all of a domain's qdisks: its first one owns the delay. */
static void
xen_vbd_set_owners(struct xen_vbdcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct xen_vbd_entry *e = &c->e[i];
		e->owns_delay = true;
		if (e->kind != XEN_VBD_QDISK)
			continue;
		for (size_t j = i; j-- > 0 && c->e[j].domid == e->domid; )
			if (c->e[j].kind == XEN_VBD_QDISK)
				e->owns_delay = false;
	}
}

static int
xen_vbd_restructure(struct xen_vbdcache *c, const struct xen_vbd_key *keys, size_t n)
{
	struct xen_vbd_entry *ne = n ? malloc(n * sizeof *ne) : NULL;

	if (n && ne == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct xen_vbd_entry *old = xen_vbdcache_find(c, keys[i].domid, keys[i].devid);
		if (old != NULL)
			ne[i] = *old;
		else
			xen_vbd_probe(c, &keys[i], &ne[i]);
	}
	free(c->e);
	c->e = ne;
	c->n = c->cap = n;
	c->dirty = true;
	xen_vbd_set_owners(c);
	return 0;
}

/* ---- /proc ---- */

static bool
xen_vbd_read_stat(const struct xen_vbdcache *c, pid_t pid, pid_t tid, struct xen_procstat *st)
{
	char path[96], line[1024];
	FILE *f;
	bool ok;

	if (tid > 0)
		snprintf(path, sizeof path, "%s/%d/task/%d/stat", c->proc, (int)pid, (int)tid);
	else
		snprintf(path, sizeof path, "%s/%d/stat", c->proc, (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	ok = fgets(line, sizeof line, f) != NULL && xen_map_parse_stat(line, st);
	fclose(f);
	return ok;
}

static void
xen_vbd_add_task(struct xen_vbd_entry *e, pid_t tid)
{
	for (size_t i = 0; i < e->n_tasks; i++)
		if (e->tasks[i].tid == tid)
			return;
	if (e->n_tasks < XEN_VBD_MAX_TASKS) {
		e->tasks[e->n_tasks].tid = tid;
		e->tasks[e->n_tasks].ticks = 0;   /* its whole delay counts as new */
		e->n_tasks++;
	}
}

/*
 * A process named like a blkback ring thread: give it to its vbd. A name the
 * kernel cut at 15 bytes has no complete "-<ring>"; its domid is still whole.
 */
static void
xen_vbd_claim_thread(struct xen_vbdcache *c, pid_t pid, const char *comm)
{
	char dev[SAMPLE_DEV_MAX], *end;
	unsigned long dom;
	uint32_t domid;
	unsigned ring;

	if (!xen_map_parse_blkback_comm(comm, &domid, dev, sizeof dev, &ring)) {
		if (strlen(comm) < 15)
			return;
		dom = strtoul(comm, &end, 10);
		if (end == comm || *end != '.' || dom > 0xffff)
			return;
		domid = (uint32_t)dom;
	}
	for (size_t i = xen_vbd_lower(c, domid, 0); i < c->n && c->e[i].domid == domid; i++)
		if (c->e[i].kind == XEN_VBD_BLKBACK && xen_map_blkback_match(comm, domid, c->e[i].devkey))
			xen_vbd_add_task(&c->e[i], pid);
}

static void
xen_vbd_scan_proc(struct xen_vbdcache *c)
{
	char path[96], comm[32];
	unsigned long long pid;
	struct dirent *de;
	DIR *d = opendir(c->proc);
	FILE *f;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!str_to_uint(de->d_name, 1, 0x3fffffff, &pid))
			continue;
		snprintf(path, sizeof path, "%s/%llu/comm", c->proc, pid);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		if (fgets(comm, sizeof comm, f) != NULL && comm[0] >= '0' && comm[0] <= '9') {
			comm[strcspn(comm, "\n")] = '\0';
			xen_vbd_claim_thread(c, (pid_t)pid, comm);
		}
		fclose(f);
	}
	closedir(d);
}

static bool
xen_vbd_missing_tasks(const struct xen_vbdcache *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct xen_vbd_entry *e = &c->e[i];
		if ((e->kind == XEN_VBD_BLKBACK && e->n_tasks == 0) ||
		    ((e->kind == XEN_VBD_QDISK || e->kind == XEN_VBD_TAP) && e->pid == 0))
			return true;
	}
	return false;
}

static void
xen_vbd_rescan(struct xen_vbdcache *c, uint64_t now_ns)
{
	char bepath[160];

	for (size_t i = 0; i < c->n; i++) {
		struct xen_vbd_entry *e = &c->e[i];
		if ((e->kind == XEN_VBD_QDISK || e->kind == XEN_VBD_TAP) && e->pid == 0 &&
		    xen_vbd_bepath(c->xs, e->domid, e->devid, bepath, sizeof bepath))
			xen_vbd_find_process(c, e, bepath);
	}
	xen_vbd_scan_proc(c);
	c->dirty = false;
	c->rescan_ns = now_ns;
}

/* Adds a task's increase to the monotonic counter and remembers its value. */
static void
xen_vbd_account(struct xen_vbd_entry *e, uint64_t old, uint64_t now)
{
	e->acc_ticks += now >= old ? now - old : now;
}

static void
xen_vbd_ioprio_get(pid_t tid, long nice, int *ioclass, int *level)
{
	long v = syscall(SYS_ioprio_get, XEN_VBD_IOPRIO_WHO_PROCESS, (int)tid);

	xen_map_ioprio_decode(v < 0 ? -1 : (int)v, nice, ioclass, level);
}

static void
xen_vbd_ioprio(struct xen_vbd_entry *e, pid_t tid, long nice)
{
	xen_vbd_ioprio_get(tid, nice, &e->ioprio_class, &e->ioprio_level);
}

static int
xen_vbd_ioprio_set1(pid_t tid, int value, const struct xen_vbd_entry *e, struct err *err)
{
	if (syscall(SYS_ioprio_set, XEN_VBD_IOPRIO_WHO_PROCESS, (int)tid, value) == 0)
		return 0;
	return err_set(err, "cannot set the IO priority of task %d (backend of %s of domain %u): %s",
	               (int)tid, e->devkey, (unsigned)e->domid, strerror(errno));
}

/*
 * The cached task i of a blkback vbd, or 0 when its tid is no longer that
 * ring thread (exited since the last sample, or reused by another task).
 */
static pid_t
xen_vbd_blkback_tid(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, size_t i,
                    struct xen_procstat *st)
{
	if (!xen_vbd_read_stat(c, e->tasks[i].tid, 0, st) ||
	    !xen_map_blkback_match(st->comm, e->domid, e->devkey))
		return 0;
	return e->tasks[i].tid;
}

/* The qdisk/tap process when it is still the one cached (same start time), else 0. */
static pid_t
xen_vbd_process_pid(const struct xen_vbdcache *c, const struct xen_vbd_entry *e,
                    struct xen_procstat *st)
{
	if (e->pid <= 0 || !xen_vbd_read_stat(c, e->pid, 0, st) || st->starttime != e->pid_start)
		return 0;
	return e->pid;
}

/* Every thread of the backend process; how many were set, or -1. */
static int
xen_vbd_ioprio_threads(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, int value,
                       struct err *err)
{
	char path[96];
	unsigned long long tid;
	struct xen_procstat st;
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/%d/task", c->proc, (int)e->pid);
	if (xen_vbd_process_pid(c, e, &st) == 0 || (d = opendir(path)) == NULL)
		return err_set(err, "the backend process %d of %s of domain %u is gone (its disk was "
		               "reconnected?): try again after the next sample", (int)e->pid, e->devkey,
		               (unsigned)e->domid);
	while ((de = readdir(d)) != NULL)
		if (str_to_uint(de->d_name, 1, 0x3fffffff, &tid)) {
			if (xen_vbd_ioprio_set1((pid_t)tid, value, e, err) < 0) {
				if (errno == ESRCH)
					continue;       /* a worker that just exited */
				closedir(d);
				return -1;
			}
			n++;
		}
	closedir(d);
	return n;
}

int
xen_vbd_set_ioprio(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, int ioclass,
                   int level, struct err *err)
{
	int value = xen_map_ioprio_encode(ioclass, level), n = 0;
	struct xen_procstat st;

	if (value < 0)
		return err_set(err, "IO priority class %d level %d: the class is 1 (realtime), "
		               "2 (best-effort), 3 (idle) or 0 (none), the level 0-7 (0 for idle and none)",
		               ioclass, level);
	if (e->kind == XEN_VBD_BLKBACK) {
		for (size_t i = 0; i < e->n_tasks; i++) {
			pid_t tid = xen_vbd_blkback_tid(c, e, i, &st);
			if (tid == 0)
				continue;
			if (xen_vbd_ioprio_set1(tid, value, e, err) < 0)
				return -1;
			n++;
		}
	} else if (e->pid > 0) {
		if ((n = xen_vbd_ioprio_threads(c, e, value, err)) < 0)
			return -1;
	}
	if (n == 0)
		return err_set(err, "no backend task of %s of domain %u (%s) was found to set its IO "
		               "priority (is the disk connected? try again after the next sample)",
		               e->devkey, (unsigned)e->domid, xen_vbd_kind_name(e->kind));
	return 0;
}

void
xen_vbd_read_ioprio(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, int *ioclass,
                    int *level)
{
	struct xen_procstat st;
	pid_t tid = 0;

	if (e->kind == XEN_VBD_BLKBACK)
		for (size_t i = 0; i < e->n_tasks && tid == 0; i++)
			tid = xen_vbd_blkback_tid(c, e, i, &st);
	else
		tid = xen_vbd_process_pid(c, e, &st);
	*ioclass = *level = -1;
	if (tid != 0)
		xen_vbd_ioprio_get(tid, st.nice, ioclass, level);
}

/* blkback: the cached ring threads; one that is gone or renamed sends us rescanning. */
static void
xen_vbd_update_blkback(struct xen_vbdcache *c, struct xen_vbd_entry *e)
{
	struct xen_procstat st;
	size_t keep = 0;

	for (size_t i = 0; i < e->n_tasks; i++) {
		struct xen_vbd_task t = e->tasks[i];
		if (!xen_vbd_read_stat(c, t.tid, 0, &st) ||
		    !xen_map_blkback_match(st.comm, e->domid, e->devkey)) {
			c->dirty = true;
			continue;
		}
		xen_vbd_account(e, t.ticks, st.blkio_ticks);
		t.ticks = st.blkio_ticks;
		if (keep == 0)
			xen_vbd_ioprio(e, t.tid, st.nice);
		e->tasks[keep++] = t;
	}
	e->n_tasks = keep;
}

/* qdisk/tap: every thread of the backend process, as threads come and go. */
static void
xen_vbd_update_process(struct xen_vbdcache *c, struct xen_vbd_entry *e)
{
	struct xen_vbd_task old[XEN_VBD_MAX_TASKS];
	size_t n_old = e->n_tasks;
	unsigned long long tid;
	struct xen_procstat st;
	struct dirent *de;
	char path[96];
	DIR *d;

	memcpy(old, e->tasks, n_old * sizeof old[0]);
	e->n_tasks = 0;
	snprintf(path, sizeof path, "%s/%d/task", c->proc, (int)e->pid);
	/* gone, or its pid is another process's now: find the backend again */
	if (!xen_vbd_read_stat(c, e->pid, 0, &st) || st.starttime != e->pid_start ||
	    (d = opendir(path)) == NULL) {
		e->pid = 0;
		c->dirty = true;
		return;
	}
	while ((de = readdir(d)) != NULL && e->n_tasks < XEN_VBD_MAX_TASKS) {
		uint64_t prev = 0;
		if (!str_to_uint(de->d_name, 1, 0x3fffffff, &tid) ||
		    !xen_vbd_read_stat(c, e->pid, (pid_t)tid, &st))
			continue;
		for (size_t i = 0; i < n_old; i++)
			if (old[i].tid == (pid_t)tid)
				prev = old[i].ticks;
		if (e->owns_delay)
			xen_vbd_account(e, prev, st.blkio_ticks);
		if ((pid_t)tid == e->pid)
			xen_vbd_ioprio(e, e->pid, st.nice);
		e->tasks[e->n_tasks].tid = (pid_t)tid;
		e->tasks[e->n_tasks].ticks = st.blkio_ticks;
		e->n_tasks++;
	}
	closedir(d);
}

/* ---- qdisk counters over QMP ---- */

static void
xen_vbd_set_io(struct xen_vbd_entry *e, const struct xen_qmp_disk *d)
{
	e->have_io = true;
	e->rd_req = d->rd_ops;
	e->wr_req = d->wr_ops;
	e->rd_sect = d->rd_bytes / XEN_VBD_SECTOR;
	e->wr_sect = d->wr_bytes / XEN_VBD_SECTOR;
}

/* Notes a QMP failure for the log, unless it is the one noted last. */
static void __attribute__((format(printf, 2, 3)))
xen_vbd_note(struct xen_vbdcache *c, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (strcmp(msg, c->last_note) == 0)
		return;
	str_copy(c->note, msg, sizeof c->note);
	str_copy(c->last_note, msg, sizeof c->last_note);
}

/* One query-blockstats for the qdisks e[0..n) of one domain. */
static void
xen_vbd_query_domain(struct xen_vbdcache *c, struct xen_vbd_entry *e, size_t n)
{
	struct xen_qmp_disk disks[XEN_VBD_MAX_QDISKS];
	char path[108], *reply;
	size_t nd;
	struct err err;

	snprintf(path, sizeof path, c->qmp_fmt, (unsigned)e[0].domid);
	if (xen_qmp_blockstats(path, c->qmp_timeout_ms, &reply, &err) < 0 ||
	    xen_qmp_parse_blockstats(reply, disks, XEN_VBD_MAX_QDISKS, &nd, &err) < 0) {
		free(reply);
		xen_vbd_note(c, "qdisk counters of domain %u: %s", (unsigned)e[0].domid, err.msg);
		return;                   /* the previous counters stay */
	}
	free(reply);
	for (size_t i = 0; i < n; i++) {
		const struct xen_qmp_disk *d;
		if (e[i].kind != XEN_VBD_QDISK)
			continue;
		if ((d = xen_qmp_find(disks, nd, e[i].devkey)) != NULL)
			xen_vbd_set_io(&e[i], d);
		else
			xen_vbd_note(c, "qdisk %s of domain %u is not in its qemu's query-blockstats",
			             e[i].devkey, (unsigned)e[i].domid);
	}
}

/*
 * Every domain that has a qdisk: its counters, one query each. The socket is
 * the domain's, whether or not its qemu's pid could be checked.
 */
static void
xen_vbd_update_qmp(struct xen_vbdcache *c)
{
	size_t i = 0;

	while (i < c->n) {
		size_t j = i;
		bool qdisk = false;
		for (; j < c->n && c->e[j].domid == c->e[i].domid; j++)
			if (c->e[j].kind == XEN_VBD_QDISK)
				qdisk = true;
		if (qdisk)
			xen_vbd_query_domain(c, &c->e[i], j - i);
		i = j;
	}
}

int
xen_vbdcache_sync(struct xen_vbdcache *c, const struct xen_vbd_key *keys, size_t n,
                  uint64_t now_ns)
{
	bool resched = now_ns - c->sched_ns >= XEN_VBD_RESCAN_NS;

	if (!xen_vbd_same_set(c, keys, n) && xen_vbd_restructure(c, keys, n) < 0)
		return -1;
	if (c->dirty || (xen_vbd_missing_tasks(c) && now_ns - c->rescan_ns >= XEN_VBD_RESCAN_NS))
		xen_vbd_rescan(c, now_ns);
	for (size_t i = 0; i < c->n; i++) {
		struct xen_vbd_entry *e = &c->e[i];
		if (e->kind == XEN_VBD_BLKBACK)
			xen_vbd_update_blkback(c, e);
		else if (e->pid > 0)
			xen_vbd_update_process(c, e);
		if (resched)
			xen_vbd_read_sched(e);
	}
	if (resched)
		c->sched_ns = now_ns;
	xen_vbd_update_qmp(c);
	return 0;
}

void
xen_vbd_fill(const struct xen_vbdcache *c, const struct xen_vbd_entry *e, struct sample_vbd *v)
{
	str_copy(v->backend, xen_vbd_kind_name(e->kind), sizeof v->backend);
	v->delay_ns = e->owns_delay ? e->acc_ticks * c->ns_per_tick : 0;
	v->ioprio_class = e->ioprio_class;
	v->ioprio_level = e->ioprio_level;
	str_copy(v->scheduler, e->scheduler, sizeof v->scheduler);
	if (e->kind == XEN_VBD_QDISK && e->have_io) {
		v->oo_req = 0;           /* qemu has no such counter */
		v->rd_req = e->rd_req;
		v->wr_req = e->wr_req;
		v->rd_sect = e->rd_sect;
		v->wr_sect = e->wr_sect;
	}
}

static bool
xen_vbd_stat_file(const char *dir, const char *what, uint64_t *out)
{
	char path[256], buf[32];
	unsigned long long v;
	FILE *f;
	bool ok;

	if ((size_t)snprintf(path, sizeof path, "%s/statistics/%s", dir, what) >= sizeof path ||
	    (f = fopen(path, "re")) == NULL)
		return false;
	ok = fgets(buf, sizeof buf, f) != NULL;
	fclose(f);
	if (!ok || !str_to_uint(str_trim(buf), 0, ~0ULL, &v))
		return false;
	*out = v;
	return true;
}

int
xen_vbd_counters_sysfs(struct sample_vbd *v, uint32_t domid, const char *sysfs_backend)
{
	char dir[160];
	const char *prefix = strcmp(v->backend, "tap") == 0 ? "tap" : "vbd";

	snprintf(dir, sizeof dir, "%s/%s-%u-%u", sysfs_backend, prefix, (unsigned)domid, v->devid);
	if (!xen_vbd_stat_file(dir, "oo_req", &v->oo_req) ||
	    !xen_vbd_stat_file(dir, "rd_req", &v->rd_req) ||
	    !xen_vbd_stat_file(dir, "wr_req", &v->wr_req) ||
	    !xen_vbd_stat_file(dir, "rd_sect", &v->rd_sect) ||
	    !xen_vbd_stat_file(dir, "wr_sect", &v->wr_sect))
		return -1;
	return 0;
}
