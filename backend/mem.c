/* mem.c: arrays that grow by doubling (see mem.h). */
#include <stdint.h>
#include <stdlib.h>

#include "backend/mem.h"

/* The capacity to grow to: doubling from *cap until need fits, at most max. */
static size_t
mem_next_cap(size_t cap, size_t need, size_t max)
{
	size_t n = cap ? cap : MEM_GROW_FIRST;

	while (n < need && n <= max / 2)
		n *= 2;
	if (n < need)
		n = need;               /* need <= max: the caller checked */
	else if (n > max)
		n = max;
	return n;
}

int
mem_grow(void **p, size_t *cap, size_t need, size_t elem, struct err *e)
{
	size_t max, n;
	void *np;

	if (need <= *cap)
		return 0;
	if (elem == 0)
		return err_set(e, "internal: a table of elements of 0 bytes");
	max = SIZE_MAX / elem;
	if (need > max)
		return err_set(e, "cannot make a table of %zu entries of %zu bytes: the size "
		               "overflows (the input asks for too many items)", need, elem);
	n = mem_next_cap(*cap, need, max);
	np = realloc(*p, n * elem);
	if (np == NULL)
		return err_set(e, "out of memory: cannot grow a table to %zu entries of %zu bytes",
		               n, elem);
	*p = np;
	*cap = n;
	return 0;
}
