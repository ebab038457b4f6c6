/*
 * xen_map.h: pure parsers behind the Xen backend's device mapping. They read
 * no file and call no library, so they are unit-tested without Xen
 * (tests/unit/test_xen_map.c): Xen virtual device numbers, xenstore backend
 * paths, blkback thread names, /proc/<pid>/stat lines, sysfs scheduler lists,
 * physical-device keys and ioprio values.
 */
#ifndef DOMTOP_XEN_MAP_H
#define DOMTOP_XEN_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The guest-visible name of a Xen virtual block device number, as in Xen's
 * vbd-interface: 51712 -> "xvda", 51729 -> "xvdb1", (1<<28)|(26<<8) ->
 * "xvdaa", 768 -> "hda", 2048 -> "sda". Unknown encodings are written as
 * the number in decimal. Always NUL-terminates buf.
 */
void xen_map_vbd_name(unsigned devid, char *buf, size_t len);

/* A xenstore backend path, relative ("backend/vif/7/0") or absolute. */
struct xen_bepath {
	unsigned backend_domid;       /* 0 for a relative path */
	char type[16];                /* vif, vbd, qdisk, vbd3, ... */
	uint32_t domid;               /* the frontend (guest) domain */
	unsigned devid;
};
/*
 * Parses "[/local/domain/<n>/]backend/<type>/<domid>/<devid>" (a trailing
 * newline or slash is allowed, as sysfs nodename files end in "\n").
 */
bool xen_map_parse_bepath(const char *path, struct xen_bepath *out);

/*
 * A blkback ring thread is named "<domid>.<dev>-<ring>", cut to 15 bytes by
 * the kernel (TASK_COMM_LEN). Parses a complete name.
 */
bool xen_map_parse_blkback_comm(const char *comm, uint32_t *domid, char *dev, size_t devlen,
                                unsigned *ring);
/*
 * True when comm (from /proc/<pid>/comm, trailing newline allowed) is a ring
 * thread of the vbd that the backend's "dev" key names, allowing for the
 * kernel's truncation of long names.
 */
bool xen_map_blkback_match(const char *comm, uint32_t domid, const char *devkey);
/* The backend's "dev" key as blkback uses it: "/dev/xvda" -> "xvda". */
const char *xen_map_strip_dev(const char *devkey);

/* The fields of /proc/<pid>/stat that the backend uses. */
struct xen_procstat {
	char comm[16];
	char state;
	long nice;                    /* field 19 */
	uint64_t starttime;           /* field 22, clock ticks after boot */
	uint64_t blkio_ticks;         /* field 42: delayacct_blkio_ticks */
};
/* Parses one /proc/<pid>/stat line; the comm may hold spaces and ')'. */
bool xen_map_parse_stat(const char *line, struct xen_procstat *out);

/*
 * True when a process's command line (/proc/<pid>/cmdline: len bytes of
 * NUL-separated arguments) serves Xen domain domid, as qemu does with
 * "-xen-domid <domid>" (also "-xen-domid=<domid>", "--xen-domid").
 */
bool xen_map_cmdline_serves(const char *cmdline, size_t len, uint32_t domid);

/*
 * The active IO scheduler in a sysfs queue/scheduler list:
 * "mq-deadline kyber [bfq] none" -> "bfq"; "none" -> "none".
 */
bool xen_map_parse_scheduler(const char *text, char *buf, size_t len);

/* A "physical-device" key: hex "major:minor", e.g. "fe:0" or "7:1". */
bool xen_map_parse_physdev(const char *text, unsigned *major, unsigned *minor);

/*
 * The path in a qdisk/tap "params" key: "aio:/srv/a.img" -> "/srv/a.img",
 * "vhd:/x" -> "/x", "/x" -> "/x". NULL when there is no absolute path.
 */
const char *xen_map_params_path(const char *params);

/*
 * Splits an ioprio_get value into class and level. IOPRIO_CLASS_NONE (0)
 * means "from the nice value": level = (nice + 20) / 5, as the kernel does.
 */
void xen_map_ioprio_decode(int value, long nice, int *class_out, int *level_out);
/*
 * The ioprio_set value of a class (1 realtime, 2 best-effort, 3 idle, 0 none:
 * back to "from the nice value") and level (0-7; 0 for idle and none), or -1
 * for anything else.
 */
int xen_map_ioprio_encode(int ioclass, int level);

/* Drops libxl's "file.c:123:function: " prefix from a log message. */
const char *xen_map_tidy_libxl_msg(const char *msg);

#endif
