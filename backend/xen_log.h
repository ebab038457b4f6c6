/*
 * xen_log.h: where libxl, libxc and libxenstat talk. None of them may write to
 * the terminal (it holds the full-screen console): libxl and libxc log
 * through a xentoollog logger that appends to a log file and keeps the last
 * error, so a failing action can say what libxl said; libxenstat has no
 * logger and writes with perror/fprintf, so its calls run with stderr
 * pointed at the same file (xen_log_quiet_begin/end).
 *
 * The file: /var/log/domtop/xen.log when writable, else
 * $XDG_STATE_HOME/domtop/xen.log, else ~/.local/state/domtop/xen.log; with
 * none writable, messages are dropped (the last error is still kept).
 *
 * Notices: every warning or error libxl or libxc logs, every line
 * libxenstat writes while quiet, and domtop's own xen_log_warn, is also
 * kept as a notice until xen_log_take_notice, so the console can put it on
 * its message line. What a failing action reports as its error (through
 * xen_log_last) is not a notice too: xen_log_take_error takes both.
 */
#ifndef DOMTOP_XEN_LOG_H
#define DOMTOP_XEN_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include <xentoollog.h>

#include "backend/err.h"

struct xen_log;

/* path NULL: the first writable default above. */
int xen_log_open(struct xen_log **out, const char *path, struct err *e);
void xen_log_close(struct xen_log *l);

/* The logger to give libxl_ctx_alloc; owned by l. */
xentoollog_logger *xen_log_logger(struct xen_log *l);
/* The file in use, or "" when messages are dropped. */
const char *xen_log_path(const struct xen_log *l);

/* The last message at error level or above since xen_log_clear, tidied
 * of libxl's "file.c:line:function: " prefix; "" when none. */
const char *xen_log_last(const struct xen_log *l);
void xen_log_clear(struct xen_log *l);

/*
 * Why libxl call failed with rc: its last error message, else the name of
 * its error code; for an action's message, so the notices the failure
 * raised are dropped. l may be NULL (no log: the code's name only).
 */
const char *xen_log_why(struct xen_log *l, int rc);

/* Appends one line of domtop's own; _warn also makes it a notice. */
void xen_log_note(struct xen_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void xen_log_warn(struct xen_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * How many notices came since the last call (0: none), and the newest in
 * buf ("libxl: ...", "libxenstat: ..."); buf may be NULL to drop them.
 */
unsigned xen_log_take_notice(struct xen_log *l, char *buf, size_t len);

/*
 * Notices raised between hold and release are kept aside; release(keep =
 * false) drops them. For reading a domain that may vanish meanwhile: libxl's
 * complaints about a domain that is gone are no news.
 */
void xen_log_hold(struct xen_log *l);
void xen_log_release(struct xen_log *l, bool keep);

/*
 * Points fd 2 at a capture file until xen_log_quiet_end, which appends what
 * was written to the log, one dated line each, and makes the last line a
 * notice. Returns the saved descriptor (or -1 when nothing was redirected)
 * to pass to quiet_end.
 */
int xen_log_quiet_begin(struct xen_log *l);
void xen_log_quiet_end(struct xen_log *l, int saved);

#endif
