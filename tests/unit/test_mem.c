/*
 * test_mem.c: backend/mem's mem_grow: it grows by doubling and keeps the
 * contents, does nothing when there is room, and refuses (leaving the array
 * as it was, with a message) a size that overflows or memory that runs out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/mem.h"

/* Under ASan, a failed allocation returns NULL as it does in the program. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void
test_grows_by_doubling(void **state)
{
	int *a = NULL;
	size_t cap = 0;
	struct err e = {{0}};

	(void)state;
	assert_int_equal(mem_grow((void **)&a, &cap, 0, sizeof *a, &e), 0);
	assert_null(a);                         /* nothing needed: nothing allocated */
	assert_int_equal(cap, 0);
	assert_int_equal(mem_grow((void **)&a, &cap, 1, sizeof *a, &e), 0);
	assert_non_null(a);
	assert_int_equal(cap, MEM_GROW_FIRST);
	for (int i = 0; i < MEM_GROW_FIRST; i++)
		a[i] = i * 7;
	assert_int_equal(mem_grow((void **)&a, &cap, MEM_GROW_FIRST + 1, sizeof *a, &e), 0);
	assert_int_equal(cap, 2 * MEM_GROW_FIRST);
	for (int i = 0; i < MEM_GROW_FIRST; i++)
		assert_int_equal(a[i], i * 7);  /* kept */
	assert_int_equal(mem_grow((void **)&a, &cap, 100, sizeof *a, &e), 0);
	assert_int_equal(cap, 128);             /* 32 -> 64 -> 128 */
	a[99] = 1;
	free(a);
}

static void
test_room_already(void **state)
{
	char *a = malloc(10);
	char *before = a;
	size_t cap = 10;
	struct err e = {{0}};

	(void)state;
	assert_non_null(a);
	assert_int_equal(mem_grow((void **)&a, &cap, 10, 1, &e), 0);
	assert_ptr_equal(a, before);
	assert_int_equal(cap, 10);
	assert_int_equal(mem_grow((void **)&a, &cap, 11, 1, &e), 0);
	assert_int_equal(cap, 20);              /* doubles from what it had */
	free(a);
}

static void
test_overflow(void **state)
{
	int *a = NULL;
	size_t cap = 0;
	struct err e = {{0}};

	(void)state;
	assert_int_equal(mem_grow((void **)&a, &cap, 4, sizeof *a, &e), 0);
	a[3] = 42;
	/* need x elem does not fit in size_t: refused before any allocation */
	assert_int_equal(mem_grow((void **)&a, &cap, SIZE_MAX / sizeof *a + 1, sizeof *a, &e), -1);
	assert_non_null(strstr(e.msg, "overflows"));
	assert_int_equal(cap, MEM_GROW_FIRST);
	assert_int_equal(a[3], 42);             /* the old array is still valid */
	memset(&e, 0, sizeof e);
	assert_int_equal(mem_grow((void **)&a, &cap, SIZE_MAX, 2, &e), -1);
	assert_non_null(strstr(e.msg, "overflows"));
	assert_int_equal(mem_grow((void **)&a, &cap, 1000, 0, &e), -1);
	assert_non_null(strstr(e.msg, "0 bytes"));
	assert_int_equal(mem_grow((void **)&a, &cap, SIZE_MAX, sizeof *a, NULL), -1);
	assert_int_equal(cap, MEM_GROW_FIRST);
	free(a);
}

static void
test_doubling_stops_at_the_limit(void **state)
{
	char *a = NULL;
	size_t cap = 0, elem = SIZE_MAX / 4;    /* at most 4 fit in size_t */
	struct err e = {{0}};

	(void)state;
	/* doubling to MEM_GROW_FIRST would overflow: it asks for 4, which fails */
	assert_int_equal(mem_grow((void **)&a, &cap, 3, elem, &e), -1);
	assert_non_null(strstr(e.msg, "out of memory"));
	assert_non_null(strstr(e.msg, " 4 entries"));
	assert_null(a);
	assert_int_equal(cap, 0);
}

static void
test_out_of_memory(void **state)
{
	long *a = NULL;
	size_t cap = 0;
	struct err e = {{0}};

	(void)state;
	assert_int_equal(mem_grow((void **)&a, &cap, 20, sizeof *a, &e), 0);
	a[19] = -5;
	/* fits in size_t but in no memory: refused, the array untouched */
	assert_int_equal(mem_grow((void **)&a, &cap, SIZE_MAX / sizeof *a / 2, sizeof *a, &e), -1);
	assert_non_null(strstr(e.msg, "out of memory"));
	assert_int_equal(cap, 32);
	assert_int_equal(a[19], -5);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_by_doubling),
		cmocka_unit_test(test_room_already),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_doubling_stops_at_the_limit),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
