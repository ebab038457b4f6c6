/*
 * xen_log.c: the log file of the Xen libraries (see xen_log.h). A
 * xentoollog logger of our own: it writes each message as one dated line,
 * keeps the last error for an action's message and the last warning as a
 * notice for the message line. libxenstat's stderr is captured in a memfd
 * while quiet and copied to the log line by line.
 */
/* libxl_error_to_string only; the API as xen.c pins it */
#define LIBXL_API_VERSION 0x041300

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxl.h>

#include "backend/str.h"
#include "backend/xen_log.h"
#include "backend/xen_map.h"

#define XEN_LOG_MIN_LEVEL XTL_INFO      /* libxl's debug chatter stays out */
#define XEN_LOG_NOTICE_LEVEL XTL_WARN   /* and what reaches the message line */
#define XEN_LOG_CAPTURE_MAX 16384       /* of libxenstat's stderr per quiet spell */

struct xen_log_notice {
	char text[ERR_MSG_MAX];
	unsigned n;                   /* how many since taken; the newest in text */
};

struct xen_log {
	xentoollog_logger vtable;     /* first: libxl calls through it */
	FILE *f;
	int capture;                  /* memfd for stderr while quiet; -1: none */
	char path[PATH_MAX];
	char last[ERR_MSG_MAX];
	struct xen_log_notice notice, held;
	bool holding;
};

static void
xen_log_raise(struct xen_log *l, const char *source, const char *msg)
{
	struct xen_log_notice *n = l->holding ? &l->held : &l->notice;

	snprintf(n->text, sizeof n->text, "%s: %s", source, msg);
	if (n->n < UINT_MAX)
		n->n++;
}

static void
xen_log_line(struct xen_log *l, const char *level, const char *context, const char *msg)
{
	char stamp[32], clean[ERR_MSG_MAX * 2];
	struct tm tm;
	time_t now;

	if (l->f == NULL)
		return;
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		stamp[0] = '\0';
	/* one line each, whatever a library or a guest-reachable peer put in the text */
	str_sanitize(clean, sizeof clean, msg);
	fprintf(l->f, "%s domtop[%ld] %s%s%s: %s\n", stamp, (long)getpid(),
	        context ? context : "", context ? " " : "", level, clean);
	fflush(l->f);
}

static void
xen_log_vmessage(xentoollog_logger *lg, xentoollog_level level, int errnoval,
                 const char *context, const char *format, va_list al)
{
	struct xen_log *l = (struct xen_log *)lg;
	char msg[ERR_MSG_MAX];
	size_t n;

	vsnprintf(msg, sizeof msg, format, al);
	n = strlen(msg);
	if (errnoval >= 0 && n + 3 < sizeof msg)
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(errnoval));
	if (level >= XTL_ERROR)
		str_copy(l->last, xen_map_tidy_libxl_msg(msg), sizeof l->last);
	if (level >= XEN_LOG_NOTICE_LEVEL)
		xen_log_raise(l, context ? context : "xen", xen_map_tidy_libxl_msg(msg));
	if (level >= XEN_LOG_MIN_LEVEL)
		xen_log_line(l, xtl_level_to_string(level), context, msg);
}

static void
xen_log_destroy(xentoollog_logger *lg)
{
	(void)lg;   /* the memory is xen_log_close's */
}

/* mkdir -p of an absolute path, mode 0750. */
static int
xen_log_mkdirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = str_copy(buf, dir, sizeof buf);

	if (n >= sizeof buf || buf[0] != '/')
		return -1;
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0750) < 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static FILE *
xen_log_try_dir(const char *dir, char *path, size_t len)
{
	FILE *f;

	if (xen_log_mkdirs(dir) < 0)
		return NULL;
	if ((size_t)snprintf(path, len, "%s/xen.log", dir) >= len)
		return NULL;
	f = fopen(path, "ae");
	return f;
}

static FILE *
xen_log_open_default(char *path, size_t len)
{
	char dir[PATH_MAX];
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	FILE *f;

	if ((f = xen_log_try_dir("/var/log/domtop", path, len)) != NULL)
		return f;
	if (xdg != NULL && xdg[0] == '/' &&
	    (size_t)snprintf(dir, sizeof dir, "%s/domtop", xdg) < sizeof dir &&
	    (f = xen_log_try_dir(dir, path, len)) != NULL)
		return f;
	if (home != NULL && home[0] == '/' &&
	    (size_t)snprintf(dir, sizeof dir, "%s/.local/state/domtop", home) < sizeof dir &&
	    (f = xen_log_try_dir(dir, path, len)) != NULL)
		return f;
	path[0] = '\0';
	return NULL;
}

int
xen_log_open(struct xen_log **out, const char *path, struct err *e)
{
	struct xen_log *l = calloc(1, sizeof *l);

	*out = NULL;
	if (l == NULL)
		return err_set(e, "out of memory opening the Xen log");
	l->capture = memfd_create("domtop-xen-stderr", MFD_CLOEXEC);
	l->vtable.vmessage = xen_log_vmessage;
	l->vtable.progress = NULL;
	l->vtable.destroy = xen_log_destroy;
	if (path != NULL) {
		l->f = fopen(path, "ae");
		if (l->f == NULL) {
			int saved = errno;
			xen_log_close(l);
			return err_set(e, "cannot open the Xen log %s: %s", path, strerror(saved));
		}
		str_copy(l->path, path, sizeof l->path);
	} else {
		l->f = xen_log_open_default(l->path, sizeof l->path);
	}
	*out = l;
	return 0;
}

void
xen_log_close(struct xen_log *l)
{
	if (l == NULL)
		return;
	if (l->f != NULL)
		fclose(l->f);
	if (l->capture >= 0)
		close(l->capture);
	free(l);
}

xentoollog_logger *
xen_log_logger(struct xen_log *l)
{
	return &l->vtable;
}

const char *
xen_log_path(const struct xen_log *l)
{
	return l->path;
}

const char *
xen_log_last(const struct xen_log *l)
{
	return l->last;
}

void
xen_log_clear(struct xen_log *l)
{
	l->last[0] = '\0';
}

const char *
xen_log_why(struct xen_log *l, int rc)
{
	if (l != NULL) {
		xen_log_take_notice(l, NULL, 0);
		if (l->last[0] != '\0')
			return l->last;
	}
	return rc < 0 ? libxl_error_to_string((libxl_error)rc) : "unknown error";
}

static void
xen_log_vdomtop(struct xen_log *l, bool warn, const char *fmt, va_list ap)
{
	char msg[ERR_MSG_MAX];

	vsnprintf(msg, sizeof msg, fmt, ap);
	xen_log_line(l, warn ? "warning" : "info", "domtop", msg);
	if (warn)
		xen_log_raise(l, "domtop", msg);
}

void
xen_log_note(struct xen_log *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xen_log_vdomtop(l, false, fmt, ap);
	va_end(ap);
}

void
xen_log_warn(struct xen_log *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xen_log_vdomtop(l, true, fmt, ap);
	va_end(ap);
}

unsigned
xen_log_take_notice(struct xen_log *l, char *buf, size_t len)
{
	unsigned n = l->notice.n;

	if (buf != NULL && len > 0)
		str_copy(buf, n ? l->notice.text : "", len);
	l->notice.n = 0;
	l->notice.text[0] = '\0';
	return n;
}

void
xen_log_hold(struct xen_log *l)
{
	l->holding = true;
	l->held.n = 0;
}

void
xen_log_release(struct xen_log *l, bool keep)
{
	l->holding = false;
	if (keep && l->held.n > 0) {
		str_copy(l->notice.text, l->held.text, sizeof l->notice.text);
		l->notice.n = l->notice.n > UINT_MAX - l->held.n ? UINT_MAX : l->notice.n + l->held.n;
	}
	l->held.n = 0;
}

/* Where stderr goes while quiet: the capture file (emptied), else the log, else /dev/null. */
static int
xen_log_quiet_target(struct xen_log *l, bool *owned)
{
	*owned = false;
	if (l->capture >= 0 && ftruncate(l->capture, 0) == 0 && lseek(l->capture, 0, SEEK_SET) == 0)
		return l->capture;
	if (l->f != NULL) {
		fflush(l->f);
		return fileno(l->f);
	}
	*owned = true;
	return open("/dev/null", O_WRONLY | O_CLOEXEC);
}

int
xen_log_quiet_begin(struct xen_log *l)
{
	bool owned;
	int target, saved;

	fflush(stderr);
	target = xen_log_quiet_target(l, &owned);
	if (target < 0)
		return -1;
	saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved >= 0 && dup2(target, 2) < 0) {
		close(saved);
		saved = -1;
	}
	if (owned)
		close(target);
	return saved;
}

/* Each line libxenstat wrote while quiet: to the log, dated, and as a notice. */
static void
xen_log_drain_capture(struct xen_log *l)
{
	char buf[XEN_LOG_CAPTURE_MAX + 1];
	ssize_t n;
	char *line, *next;

	if (l->capture < 0)
		return;
	n = pread(l->capture, buf, XEN_LOG_CAPTURE_MAX, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*str_trim(line) == '\0')
			continue;
		xen_log_line(l, "warning", "libxenstat", str_trim(line));
		xen_log_raise(l, "libxenstat", str_trim(line));
	}
	if (ftruncate(l->capture, 0) < 0)
		return;   /* emptied again at the next quiet_begin */
}

void
xen_log_quiet_end(struct xen_log *l, int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	xen_log_drain_capture(l);
}
