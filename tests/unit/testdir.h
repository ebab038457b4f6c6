/*
 * testdir.h: what unit tests with files need: a scratch directory, its
 * removal, and a whole write for the fake servers they fork. Header-only,
 * static: each unit test is a program of its own (include after cmocka.h).
 */
#ifndef DOMTOP_TESTDIR_H
#define DOMTOP_TESTDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A new empty directory under /tmp; free() the name after testdir_remove. */
static inline char *
testdir_new(void)
{
	char tmpl[] = "/tmp/domtop-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	d = strdup(d);
	assert_non_null(d);
	return d;
}

static inline void
testdir_remove(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* All of s to fd, in a forked fake server: the child exits 3 when it cannot. */
static inline void
testdir_write_all(int fd, const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			_exit(3);
		s += w;
		n -= (size_t)w;
	}
}

#endif
