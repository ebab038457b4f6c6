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
 */
#ifndef DOMTOP_XEN_LOG_H
#define DOMTOP_XEN_LOG_H

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

/* Appends one line of domtop's own. */
void xen_log_note(struct xen_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Points fd 2 at the log file until xen_log_quiet_end; returns the saved
 * descriptor (or -1 when nothing was redirected) to pass to quiet_end.
 */
int xen_log_quiet_begin(struct xen_log *l);
void xen_log_quiet_end(struct xen_log *l, int saved);

#endif
