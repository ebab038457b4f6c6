/*
 * xen_qmp.c: qdisk IO counters over QMP (see xen_qmp.h). One connection per
 * query: QMP sockets take one client at a time, and a reader that stays
 * connected would lock xentop and libxenstat out.
 */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backend/str.h"
#include "backend/xen_qmp.h"

/* A connection and the bytes read from it that are not a whole line yet. */
struct xen_qmp_conn {
	int fd;
	const char *path;
	uint64_t deadline_ms;
	char *buf;
	size_t len;
};

static uint64_t
xen_qmp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int
xen_qmp_connect(struct xen_qmp_conn *c, struct err *e)
{
	struct sockaddr_un sa;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof sa.sun_path)
		return err_set(e, "QMP socket path %s is too long", c->path);
	strcpy(sa.sun_path, c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return err_set(e, "cannot make a socket for QMP: %s", strerror(errno));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN)
		return err_set(e, "cannot connect to qemu's QMP socket %s: %s", c->path, strerror(errno));
	return 0;
}

/* Waits until fd is ready for events, or the deadline. */
static int
xen_qmp_wait(struct xen_qmp_conn *c, short events, struct err *e)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	uint64_t now = xen_qmp_now_ms();
	int rc;

	if (now >= c->deadline_ms)
		return err_set(e, "qemu did not answer on %s in time (busy, or another QMP client "
		               "such as xentop holds the socket)", c->path);
	rc = poll(&p, 1, (int)(c->deadline_ms - now));
	if (rc < 0 && errno != EINTR)
		return err_set(e, "poll on %s: %s", c->path, strerror(errno));
	return 0;
}

static int
xen_qmp_send(struct xen_qmp_conn *c, const char *cmd, struct err *e)
{
	size_t off = 0, len = strlen(cmd);

	while (off < len) {
		ssize_t w = send(c->fd, cmd + off, len - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
		} else if (w < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOTCONN)) {
			if (xen_qmp_wait(c, POLLOUT, e) < 0)
				return -1;
		} else {
			return err_set(e, "cannot write to %s: %s", c->path, strerror(errno));
		}
	}
	return 0;
}

/* Reads until the buffer holds a whole line; returns its length (without "\r\n"). */
static int
xen_qmp_fill_line(struct xen_qmp_conn *c, size_t *line_len, struct err *e)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t r;
		if (nl != NULL) {
			*line_len = (size_t)(nl - c->buf);
			return 0;
		}
		if (c->len + 1 >= XEN_QMP_REPLY_MAX)
			return err_set(e, "qemu's QMP reply on %s is over %u bytes", c->path,
			               XEN_QMP_REPLY_MAX);
		r = recv(c->fd, c->buf + c->len, XEN_QMP_REPLY_MAX - 1 - c->len, 0);
		if (r > 0)
			c->len += (size_t)r;
		else if (r == 0)
			return err_set(e, "qemu closed its QMP socket %s", c->path);
		else if (errno != EAGAIN && errno != EINTR)
			return err_set(e, "cannot read %s: %s", c->path, strerror(errno));
		else if (xen_qmp_wait(c, POLLIN, e) < 0)
			return -1;
	}
}

/*
 * The next QMP message that is not an asynchronous event, as a string the
 * caller frees.
 */
static char *
xen_qmp_message(struct xen_qmp_conn *c, struct err *e)
{
	for (;;) {
		size_t n = 0;
		char *msg;
		if (xen_qmp_fill_line(c, &n, e) < 0)
			return NULL;
		msg = strndup(c->buf, n);
		memmove(c->buf, c->buf + n + 1, c->len - n - 1);
		c->len -= n + 1;
		if (msg == NULL) {
			err_set(e, "out of memory reading QMP");
			return NULL;
		}
		if (strstr(msg, "\"event\"") == NULL || strstr(msg, "\"return\"") != NULL)
			return msg;
		free(msg);
	}
}

/* Sends cmd and returns the reply (skipping events). */
static char *
xen_qmp_execute(struct xen_qmp_conn *c, const char *cmd, struct err *e)
{
	if (xen_qmp_send(c, cmd, e) < 0)
		return NULL;
	return xen_qmp_message(c, e);
}

static int
xen_qmp_session(struct xen_qmp_conn *c, char **reply, struct err *e)
{
	char *msg;

	if ((msg = xen_qmp_message(c, e)) == NULL)        /* the greeting */
		return -1;
	if (strstr(msg, "\"QMP\"") == NULL) {
		free(msg);
		return err_set(e, "%s did not greet as a QMP server", c->path);
	}
	free(msg);
	msg = xen_qmp_execute(c, "{\"execute\":\"qmp_capabilities\"}\r\n", e);
	if (msg == NULL)
		return -1;
	if (strstr(msg, "\"return\"") == NULL) {
		free(msg);
		return err_set(e, "qemu refused qmp_capabilities on %s", c->path);
	}
	free(msg);
	*reply = xen_qmp_execute(c, "{\"execute\":\"query-blockstats\"}\r\n", e);
	return *reply != NULL ? 0 : -1;
}

int
xen_qmp_blockstats(const char *path, int timeout_ms, char **reply, struct err *e)
{
	struct xen_qmp_conn c = {
		.fd = -1, .path = path,
		.deadline_ms = xen_qmp_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1),
	};
	int rc;

	*reply = NULL;
	c.buf = malloc(XEN_QMP_REPLY_MAX);
	if (c.buf == NULL)
		return err_set(e, "out of memory for a QMP reply");
	rc = xen_qmp_connect(&c, e);
	if (rc == 0)
		rc = xen_qmp_session(&c, reply, e);
	if (c.fd >= 0)
		close(c.fd);
	free(c.buf);
	return rc;
}

/* ---- the reply ---- */

static uint64_t
xen_qmp_u64(json_t *stats, const char *key)
{
	json_t *v = json_object_get(stats, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

/* "/machine/peripheral/xvdb/virtio-backend" -> "xvdb"; "xvdb" -> "xvdb". */
static void
xen_qmp_qdev_id(const char *qdev, char *buf, size_t len)
{
	const char *end = qdev + strlen(qdev), *start;

	for (;;) {
		while (end > qdev && end[-1] == '/')
			end--;
		start = end;
		while (start > qdev && start[-1] != '/')
			start--;
		if (start == qdev || (size_t)(end - start) != strlen("virtio-backend") ||
		    strncmp(start, "virtio-backend", (size_t)(end - start)) != 0)
			break;
		end = start;
	}
	snprintf(buf, len, "%.*s", (int)(end - start), start);
}

static void
xen_qmp_parse_disk(json_t *dev, struct xen_qmp_disk *d)
{
	json_t *stats = json_object_get(dev, "stats");
	json_t *qdev = json_object_get(dev, "qdev");
	json_t *node = json_object_get(dev, "node-name");
	json_t *device = json_object_get(dev, "device");

	memset(d, 0, sizeof *d);
	if (json_is_string(device))
		str_copy(d->device, json_string_value(device), sizeof d->device);
	if (json_is_string(qdev))
		xen_qmp_qdev_id(json_string_value(qdev), d->qdev, sizeof d->qdev);
	if (json_is_string(node))
		str_copy(d->node, json_string_value(node), sizeof d->node);
	d->rd_bytes = xen_qmp_u64(stats, "rd_bytes");
	d->wr_bytes = xen_qmp_u64(stats, "wr_bytes");
	d->rd_ops = xen_qmp_u64(stats, "rd_operations");
	d->wr_ops = xen_qmp_u64(stats, "wr_operations");
}

int
xen_qmp_parse_blockstats(const char *reply, struct xen_qmp_disk *out, size_t max, size_t *n,
                         struct err *e)
{
	json_error_t jerr;
	json_t *root = json_loads(reply, JSON_REJECT_DUPLICATES, &jerr), *ret, *dev;
	char clean[ERR_MSG_MAX];
	size_t i;

	*n = 0;
	/* what qemu says goes to the log and the message line: sanitised, as any outside text */
	if (root == NULL) {
		str_sanitize(clean, sizeof clean, jerr.text);
		return err_set(e, "qemu's query-blockstats reply is not JSON: %s", clean);
	}
	ret = json_object_get(root, "return");
	if (!json_is_array(ret)) {
		json_t *desc = json_object_get(json_object_get(root, "error"), "desc");
		str_sanitize(clean, sizeof clean, json_is_string(desc) ? json_string_value(desc) :
		             "no \"return\" list in the reply");
		err_set(e, "query-blockstats failed: %s", clean);
		json_decref(root);
		return -1;
	}
	json_array_foreach(ret, i, dev) {
		if (*n >= max)
			break;
		if (json_is_object(dev) && json_is_object(json_object_get(dev, "stats")))
			xen_qmp_parse_disk(dev, &out[(*n)++]);
	}
	json_decref(root);
	return 0;
}

/* "xvdb-raw" for vdev "xvdb": the vdev, a dash, a driver name (lower case, digits). */
static bool
xen_qmp_node_of(const char *node, const char *vdev)
{
	size_t n = strlen(vdev);
	const char *drv = node + n + 1;

	if (n == 0 || strncmp(node, vdev, n) != 0 || node[n] != '-' || *drv == '\0')
		return false;
	return drv[strspn(drv, "abcdefghijklmnopqrstuvwxyz0123456789")] == '\0';
}

static bool
xen_qmp_is(const struct xen_qmp_disk *d, const char *vdev)
{
	return strcmp(d->device, vdev) == 0 || strcmp(d->qdev, vdev) == 0 ||
	       strcmp(d->node, vdev) == 0 || xen_qmp_node_of(d->node, vdev);
}

const struct xen_qmp_disk *
xen_qmp_find(const struct xen_qmp_disk *d, size_t n, const char *vdev)
{
	if (vdev[0] == '\0')
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (xen_qmp_is(&d[i], vdev))
			return &d[i];
	return NULL;
}
