/*
 * mem.h: growing an array by doubling, with the size arithmetic checked.
 * The one place where backend/ calls realloc for a table that grows.
 */
#ifndef DOMTOP_MEM_H
#define DOMTOP_MEM_H

#include <stddef.h>

#include "backend/err.h"

#define MEM_GROW_FIRST 16               /* elements, for an array that has none yet */

/*
 * Makes the array *p (of *cap elements of elem bytes) hold at least need
 * elements: nothing when it does already, else reallocates it to the
 * larger of need and twice *cap (at least MEM_GROW_FIRST) and updates *p
 * and *cap. Elements past the old capacity are not initialised. Returns 0,
 * or -1 with *p and *cap untouched (the old array still valid) and a
 * message in e (may be NULL) when the size overflows or memory runs out.
 *
 * p is the address of the array's pointer, cast: mem_grow((void **)&a, ...).
 */
int mem_grow(void **p, size_t *cap, size_t need, size_t elem, struct err *e);

#endif
