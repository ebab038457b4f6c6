/*
 * test_xen_vif.c: the vif map as the Xen backend's netlink path uses it, on
 * a fake sysfs tree: each domain's vifs as a range of the map, rebuilds only
 * when stale (a link event, a missing vif) or 60 s old, and the verified
 * name used to throttle a vif (found again after a rename, never another
 * interface's), and a scan that cannot be completed (no sysfs, out of file
 * descriptors) failing with the old map kept rather than listing no vifs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/testdir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/xen_vif.h"

#define SEC 1000000000ULL

/* Makes <root>/<ifname>/device/nodename holding text (no nodename when text is NULL). */
static void
add_if(const char *root, const char *ifname, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", root, ifname);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/%s/device", root, ifname);
	assert_int_equal(mkdir(path, 0755), 0);
	if (text == NULL)
		return;
	snprintf(path, sizeof path, "%s/%s/device/nodename", root, ifname);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
ren_if(const char *root, const char *from, const char *to)
{
	char a[600], b[600];

	snprintf(a, sizeof a, "%s/%s", root, from);
	snprintf(b, sizeof b, "%s/%s", root, to);
	assert_int_equal(rename(a, b), 0);
}

static void
test_domain_ranges(void **state)
{
	char *root = testdir_new();
	const struct xen_vifmap_entry *first;
	struct xen_vifmap m;

	(void)state;
	add_if(root, "vif3.1", "backend/vif/3/1\n");
	add_if(root, "vif3.0", "backend/vif/3/0\n");
	add_if(root, "tenant-a", "backend/vif/7/0\n");
	add_if(root, "vif12.0", "backend/vif/12/0\n");
	add_if(root, "eth0", NULL);
	xen_vifmap_init(&m, root);
	assert_int_equal(xen_vifmap_refresh(&m, 1), 0);
	assert_int_equal(m.n, 4);

	assert_int_equal(xen_vifmap_domain(&m, 3, &first), 2);
	assert_int_equal(first[0].devid, 0);
	assert_string_equal(first[0].ifname, "vif3.0");
	assert_int_equal(first[1].devid, 1);
	assert_int_equal(xen_vifmap_domain(&m, 7, &first), 1);
	assert_string_equal(first[0].ifname, "tenant-a");
	assert_int_equal(xen_vifmap_domain(&m, 12, &first), 1);
	assert_int_equal(first[0].domid, 12);
	assert_int_equal(xen_vifmap_domain(&m, 0, &first), 0);    /* dom0: none */
	assert_int_equal(xen_vifmap_domain(&m, 5, &first), 0);    /* between two */
	assert_int_equal(xen_vifmap_domain(&m, 99, &first), 0);   /* after the last */
	assert_null(first);
	xen_vifmap_free(&m);
	assert_int_equal(xen_vifmap_domain(&m, 3, &first), 0);    /* an empty map */
	testdir_remove(root);
	free(root);
}

static void
test_refresh_when_stale(void **state)
{
	char *root = testdir_new();
	const struct xen_vifmap_entry *first;
	struct xen_vifmap m;

	(void)state;
	add_if(root, "vif3.0", "backend/vif/3/0\n");
	xen_vifmap_init(&m, root);
	assert_int_equal(xen_vifmap_refresh(&m, 1 * SEC), 0);
	assert_int_equal(m.n, 1);

	/* a new vif: not seen until a link event marks the map stale */
	add_if(root, "vif4.0", "backend/vif/4/0\n");
	xen_vifmap_refresh(&m, 2 * SEC);
	assert_int_equal(xen_vifmap_domain(&m, 4, &first), 0);
	xen_vifmap_invalidate(&m);
	xen_vifmap_refresh(&m, 3 * SEC);
	assert_int_equal(xen_vifmap_domain(&m, 4, &first), 1);
	assert_false(m.stale);

	/* a rename nobody reported: picked up by the 60 s rebuild */
	ren_if(root, "vif4.0", "tenant-b");
	xen_vifmap_refresh(&m, 62 * SEC);
	assert_string_equal(xen_vifmap_find(&m, 4, 0), "vif4.0");
	xen_vifmap_refresh(&m, 63 * SEC);
	assert_string_equal(xen_vifmap_find(&m, 4, 0), "tenant-b");
	xen_vifmap_free(&m);
	testdir_remove(root);
	free(root);
}

static void
test_resolve(void **state)
{
	char *root = testdir_new(), name[32];
	struct xen_vifmap m;

	(void)state;
	add_if(root, "vif3.0", "backend/vif/3/0\n");
	xen_vifmap_init(&m, root);
	xen_vifmap_refresh(&m, 1 * SEC);

	assert_true(xen_vif_resolve(&m, NULL, 3, 0, 2 * SEC, name, sizeof name));
	assert_string_equal(name, "vif3.0");

	/* renamed since the map was built (vifname=, or by hand): found at once */
	ren_if(root, "vif3.0", "tenant-net");
	assert_true(xen_vif_resolve(&m, NULL, 3, 0, 2 * SEC, name, sizeof name));
	assert_string_equal(name, "tenant-net");
	assert_string_equal(xen_vifmap_find(&m, 3, 0), "tenant-net");

	/* the map's name now belongs to another vif: that one is not taken */
	ren_if(root, "tenant-net", "vif3.9");
	add_if(root, "tenant-net", "backend/vif/8/0\n");
	assert_true(xen_vif_resolve(&m, NULL, 3, 0, 2 * SEC, name, sizeof name));
	assert_string_equal(name, "vif3.9");

	/* no interface at all: the default name, not verified */
	assert_false(xen_vif_resolve(&m, NULL, 5, 1, 2 * SEC, name, sizeof name));
	assert_string_equal(name, "vif5.1");
	/* a tiny buffer is cut, never overrun */
	assert_true(xen_vif_resolve(&m, NULL, 8, 0, 2 * SEC, name, 5));
	assert_string_equal(name, "tena");
	xen_vifmap_free(&m);
	testdir_remove(root);
	free(root);
}

static void
test_rebuild_failure_keeps_map(void **state)
{
	char *root = testdir_new(), gone[600];
	const struct xen_vifmap_entry *first;
	struct xen_vifmap m;
	struct rlimit old, tight;
	int fd;

	(void)state;
	add_if(root, "vif3.0", "backend/vif/3/0\n");
	add_if(root, "bonding_masters", NULL);          /* not a netback device: skipped */
	xen_vifmap_init(&m, root);
	assert_int_equal(xen_vifmap_refresh(&m, 1 * SEC), 0);
	assert_int_equal(m.n, 1);

	/* out of file descriptors: the directory opens, a nodename does not */
	add_if(root, "vif4.0", "backend/vif/4/0\n");
	fd = dup(0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight = old;
	tight.rlim_cur = (rlim_t)fd + 1;                /* room for opendir only */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	errno = 0;
	fd = xen_vifmap_rebuild(&m, 2 * SEC);
	assert_int_equal(errno, EMFILE);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(fd, -1);
	assert_true(m.stale);
	assert_int_equal(xen_vifmap_domain(&m, 3, &first), 1);  /* the old map, not an empty one */

	/* stale: the next refresh tries again, and succeeds */
	assert_int_equal(xen_vifmap_refresh(&m, 3 * SEC), 0);
	assert_false(m.stale);
	assert_int_equal(xen_vifmap_domain(&m, 4, &first), 1);

	/* no such directory */
	snprintf(gone, sizeof gone, "%s/none", root);
	m.sysfs_net = gone;
	assert_int_equal(xen_vifmap_rebuild(&m, 4 * SEC), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(m.n, 2);
	assert_int_equal(xen_vifmap_refresh(&m, 5 * SEC), -1);
	xen_vifmap_free(&m);
	testdir_remove(root);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_ranges),
		cmocka_unit_test(test_refresh_when_stale),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_rebuild_failure_keeps_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
