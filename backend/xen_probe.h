/*
 * xen_probe.h: is this machine a Xen dom0 that domtop can drive? Checked
 * before any Xen library is opened, so that plain `domtop` on a machine
 * without Xen says so plainly (and suggests --demo) instead of failing inside
 * libxl. root is "" on a real host; tests pass a directory tree of their own.
 */
#ifndef DOMTOP_XEN_PROBE_H
#define DOMTOP_XEN_PROBE_H

#include <stdbool.h>

#include "backend/err.h"

/* 0 when root/proc/xen/capabilities has control_d and root/dev/xen/privcmd is usable. */
int xen_probe_dom0(const char *root, struct err *e);

/*
 * True when root/proc/sys/kernel/task_delayacct says 0: the kernel then does
 * not account block-IO delay, and the disk backends' delay reads 0 however
 * long they wait (Debian's kernel default). A kernel without the sysctl
 * (before 5.14) accounts it unless booted with nodelayacct.
 */
bool xen_probe_delayacct_off(const char *root);

#endif
