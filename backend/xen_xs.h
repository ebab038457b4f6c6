/*
 * xen_xs.h: small read-only helpers over a xenstore handle for the Xen
 * backend: read one key into a buffer, list one directory. Paths are built
 * with printf formats. Values from xenstore are guest- or toolstack-written
 * text: callers parse them strictly (xen_map.h).
 */
#ifndef DOMTOP_XEN_XS_H
#define DOMTOP_XEN_XS_H

#include <stdbool.h>
#include <stddef.h>

struct xs_handle;

/* Reads the key into buf (NUL-terminated, cut to len-1). False when absent. */
bool xen_xs_read(struct xs_handle *xs, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Lists a directory's entries that are decimal numbers (device ids), sorted,
 * into ids (at most max). Returns how many, or 0 when absent or empty.
 */
size_t xen_xs_list_ids(struct xs_handle *xs, unsigned *ids, size_t max, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
