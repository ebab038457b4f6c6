/*
 * xen_console.c: attaching a Xen guest's console (see xen_console.h). Runs
 * in the child domtop forked for it, after the terminal was released; on
 * success it never returns, since xenconsole replaces the child.
 *
 * libxl is used fresh in the child: the parent's context shares its
 * xenstore connection with the parent, which keeps sampling meanwhile. As
 * libxl_event.h asks of a child that calls libxl before it execs,
 * libxl_postfork_child_noexec comes first (on a context made for it), and
 * the console is exec'd from another context made after it.
 */
#define LIBXL_API_VERSION 0x041300

#include <stdio.h>

#include <libxl.h>

#include "backend/xen_console.h"
#include "backend/xen_log.h"

const libxl_childproc_hooks xen_childproc_hooks = {
	.chldowner = libxl_sigchld_owner_libxl_always_selective_reap,
};

int
xen_console_exec(struct hv *hv, uint32_t domid, struct err *e)
{
	struct xen_log *log = NULL;
	xentoollog_logger *lg;
	libxl_ctx *postfork = NULL, *ctx = NULL;
	struct err le;
	int rc;

	(void)hv;
	/* the log file as in the parent; else stderr, which the parent shows when this fails */
	if (xen_log_open(&log, NULL, &le) == 0)
		lg = xen_log_logger(log);
	else
		lg = (xentoollog_logger *)xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
	if (lg == NULL)
		return err_set(e, "out of memory attaching the console of domain %u", (unsigned)domid);
	rc = libxl_ctx_alloc(&postfork, LIBXL_VERSION, 0, lg);
	if (rc != 0)
		return err_set(e, "cannot open libxl to attach the console of domain %u: %s",
		               (unsigned)domid, xen_log_why(log, rc));
	libxl_postfork_child_noexec(postfork);   /* invalidates postfork: never used again */
	rc = libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, lg);
	if (rc != 0)
		return err_set(e, "cannot open libxl to attach the console of domain %u: %s",
		               (unsigned)domid, xen_log_why(log, rc));
	if (log != NULL)
		xen_log_clear(log);
	rc = libxl_primary_console_exec(ctx, domid, -1);
	/* only on failure: no console for this domain, or xenconsole could not be run */
	return err_set(e, "cannot attach the console of domain %u: %s (see `xl console %u`)",
	               (unsigned)domid, xen_log_why(log, rc), (unsigned)domid);
}
