/*
 * xen_console.h: the console attach on Xen (hv.h's console_exec), and the
 * child-process mode domtop gives libxl. Include after <libxl.h> (with
 * LIBXL_API_VERSION pinned), as xen.c does.
 *
 * Child processes: domtop forks children of its own (the console attach)
 * and watches them with a pidfd in its event loop, reaping them with
 * waitpid(pid); it never uses SIGCHLD and never blocks it. libxl is told so
 * with libxl_sigchld_owner_libxl_always_selective_reap: it keeps a SIGCHLD
 * handler installed and reaps only its own children (libxl_event.h), so
 * neither takes the other's exit statuses.
 */
#ifndef DOMTOP_XEN_CONSOLE_H
#define DOMTOP_XEN_CONSOLE_H

#include <stdint.h>

#include "backend/err.h"
#include "backend/hv.h"

/* For libxl_childproc_setmode(ctx, &xen_childproc_hooks, NULL) right after libxl_ctx_alloc. */
extern const libxl_childproc_hooks xen_childproc_hooks;

/*
 * console_exec of the Xen backend: in the forked child, releases what libxl
 * held for the parent (libxl_postfork_child_noexec), makes a context of its
 * own and execs xenconsole on the domain's primary console
 * (libxl_primary_console_exec: the PV console of a PV guest, the emulated
 * serial of an HVM one). Returns only on failure, with what libxl said.
 */
int xen_console_exec(struct hv *hv, uint32_t domid, struct err *e);

#endif
