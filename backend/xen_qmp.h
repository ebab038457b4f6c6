/*
 * xen_qmp.h: the IO counters of qdisk vbds, read from the qemu that serves
 * them over QMP (query-blockstats), on the socket libxl opens for statistics
 * readers: /var/run/xen/qmp-libxenstat-<domid>.
 *
 * libxenstat has such a reader too, but it stops reading after 10 ms of
 * silence from qemu, so on a busy dom0 it returns nothing (Xen 4.17 with
 * qemu 7.2 in the lab: xentop lists no qdisk at all). This one waits for
 * whole QMP messages up to a deadline.
 *
 * The socket part (xen_qmp_blockstats) and the parsing of the reply
 * (xen_qmp_parse_blockstats, pure, unit-tested and fuzzed) are apart.
 */
#ifndef DOMTOP_XEN_QMP_H
#define DOMTOP_XEN_QMP_H

#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define XEN_QMP_SOCKET_FMT "/var/run/xen/qmp-libxenstat-%u"
#define XEN_QMP_REPLY_MAX (256u * 1024u)
#define XEN_QMP_NAME_MAX 64

/* One block device of a query-blockstats reply. */
struct xen_qmp_disk {
	char device[XEN_QMP_NAME_MAX]; /* the drive's name; "" for qemu 4.0+'s xen-block */
	char qdev[XEN_QMP_NAME_MAX];   /* last element of the device's QOM path */
	char node[XEN_QMP_NAME_MAX];   /* node-name: xen-block's is "<vdev>-<driver>", "xvdb-raw" */
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;
};

/*
 * Connects to the QMP socket at path, negotiates capabilities, runs
 * query-blockstats and returns its reply (one JSON line, malloc'ed, the
 * caller frees it) in *reply. Gives up after timeout_ms in all.
 */
int xen_qmp_blockstats(const char *path, int timeout_ms, char **reply, struct err *e);

/*
 * Parses a query-blockstats reply into at most max disks; *n is how many.
 * The "qdev" of a device is cut to its last path element that is not
 * "virtio-backend" ("/machine/peripheral/xvdb/..." -> "xvdb"). Fails with
 * QMP's own message when the reply is an error.
 */
int xen_qmp_parse_blockstats(const char *reply, struct xen_qmp_disk *out, size_t max, size_t *n,
                             struct err *e);

/*
 * The disk of a parsed reply that serves vdev (the backend's "dev" key,
 * "xvdb"): its drive name, QOM id or node-name is vdev, or its node-name is
 * "<vdev>-<driver>" as qemu's xen-block names it ("xvdb-raw", "xvdb-qcow2";
 * seen with qemu 7.2, whose "qdev" is an anonymous "/machine/unattached/
 * device[2]"). NULL when none.
 */
const struct xen_qmp_disk *xen_qmp_find(const struct xen_qmp_disk *d, size_t n, const char *vdev);

#endif
