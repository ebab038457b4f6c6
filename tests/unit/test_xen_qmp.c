/*
 * test_xen_qmp.c: the qdisk counters over QMP (backend/xen_qmp.c): the
 * parsing of query-blockstats replies (qemu 7.2's as the Xen lab captured it,
 * older forms, errors, junk) and the client against a fake qemu on a Unix
 * socket (greeting, events in between, silence, a hang-up, no socket).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/testdir.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/xen_qmp.h"

/* What qemu 7.2 (Debian 12's qemu-system-xen) answers for one xen-block disk, shortened. */
static const char lab_reply[] =
    "{\"return\": [{\"device\": \"\", \"parent\": {\"stats\": {\"wr_bytes\": 0, \"rd_bytes\": 0, "
    "\"wr_operations\": 0, \"rd_operations\": 0, \"flush_operations\": 0}, \"node-name\": "
    "\"#block072\", \"driver-specific\": {\"driver\": \"file\"}}, \"stats\": {\"unmap_operations\": 0, "
    "\"wr_highest_offset\": 2097152, \"wr_total_time_ns\": 806618812, \"wr_bytes\": 2097152, "
    "\"timed_stats\": [], \"account_invalid\": true, \"rd_total_time_ns\": 83121374, "
    "\"flush_operations\": 0, \"wr_operations\": 64, \"rd_bytes\": 12288, \"idle_time_ns\": 823935720, "
    "\"rd_operations\": 3}, \"node-name\": \"xvdb-raw\", \"qdev\": \"/machine/unattached/device[2]\"}]}";

static void
test_parse_lab_reply(void **state)
{
	struct xen_qmp_disk d[4];
	const struct xen_qmp_disk *f;
	struct err e;
	size_t n;

	(void)state;
	assert_int_equal(xen_qmp_parse_blockstats(lab_reply, d, 4, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].device, "");
	assert_string_equal(d[0].qdev, "device[2]");
	assert_string_equal(d[0].node, "xvdb-raw");
	/* the device's own stats, not its file node's (the "parent") */
	assert_int_equal(d[0].rd_bytes, 12288);
	assert_int_equal(d[0].wr_bytes, 2097152);
	assert_int_equal(d[0].rd_ops, 3);
	assert_int_equal(d[0].wr_ops, 64);
	f = xen_qmp_find(d, n, "xvdb");
	assert_ptr_equal(f, &d[0]);
	assert_null(xen_qmp_find(d, n, "xvda"));
	assert_null(xen_qmp_find(d, n, "xvd"));          /* "xvdb-raw" is not "xvd-..." */
	assert_null(xen_qmp_find(d, n, "xvdb-r"));
	assert_null(xen_qmp_find(d, n, ""));
	assert_null(xen_qmp_find(d, n, "device[2]-x"));
}

/* Several disks; the drive name of older qemus; a QOM path; node-names that are not ours. */
static void
test_parse_match(void **state)
{
	static const char reply[] =
	    "{\"return\": ["
	    "{\"device\": \"xvda\", \"stats\": {\"rd_bytes\": 512, \"wr_bytes\": 1024}},"
	    "{\"device\": \"\", \"qdev\": \"/machine/peripheral/xvdc/virtio-backend\", "
	    "\"stats\": {\"rd_bytes\": 3}},"
	    "{\"device\": \"\", \"node-name\": \"xvdd-qcow2\", \"stats\": {\"wr_operations\": 7}},"
	    "{\"device\": \"\", \"node-name\": \"xvde-Raw\", \"stats\": {}},"
	    "{\"device\": \"\", \"node-name\": \"xvdf-raw-2\", \"stats\": {}},"
	    "{\"device\": \"nostats\"},"
	    "\"junk\", 7, null"
	    "]}";
	struct xen_qmp_disk d[8];
	struct err e;
	size_t n;

	(void)state;
	assert_int_equal(xen_qmp_parse_blockstats(reply, d, 8, &n, &e), 0);
	assert_int_equal(n, 5);                           /* entries without stats are left out */
	assert_int_equal(xen_qmp_find(d, n, "xvda")->wr_bytes, 1024);
	assert_int_equal(xen_qmp_find(d, n, "xvdc")->rd_bytes, 3);
	assert_int_equal(xen_qmp_find(d, n, "xvdd")->wr_ops, 7);
	assert_null(xen_qmp_find(d, n, "xvde"));          /* drivers are lower case */
	assert_null(xen_qmp_find(d, n, "xvdf"));
	assert_null(xen_qmp_find(d, n, "nostats"));

	/* at most max disks */
	assert_int_equal(xen_qmp_parse_blockstats(reply, d, 2, &n, &e), 0);
	assert_int_equal(n, 2);
}

/* Negative, fractional, huge or missing numbers: no garbage, no crash. */
static void
test_parse_numbers(void **state)
{
	static const char reply[] =
	    "{\"return\": [{\"device\": \"xvda\", \"stats\": {\"rd_bytes\": -5, \"wr_bytes\": 1.5, "
	    "\"rd_operations\": 9223372036854775807, \"wr_operations\": \"12\"}}]}";
	struct xen_qmp_disk d[1];
	struct err e;
	size_t n;

	(void)state;
	assert_int_equal(xen_qmp_parse_blockstats(reply, d, 1, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].rd_bytes, 0);
	assert_int_equal(d[0].wr_bytes, 0);
	assert_true(d[0].rd_ops == 9223372036854775807ULL);
	assert_int_equal(d[0].wr_ops, 0);
}

static void
test_parse_errors(void **state)
{
	struct xen_qmp_disk d[1];
	struct err e;
	size_t n = 99;

	(void)state;
	assert_int_equal(xen_qmp_parse_blockstats("{\"error\": {\"class\": \"CommandNotFound\", "
	                 "\"desc\": \"The command query-blockstats has not been found\"}}", d, 1, &n, &e), -1);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "has not been found"));
	/* qemu's words reach the log and the message line: never raw control characters */
	assert_int_equal(xen_qmp_parse_blockstats("{\"error\": {\"desc\": \"\\u001b[2J\\nforged\"}}",
	                                          d, 1, &n, &e), -1);
	assert_string_equal(e.msg, "query-blockstats failed: ?[2J?forged");
	assert_int_equal(xen_qmp_parse_blockstats("{\"return\": \x1b}", d, 1, &n, &e), -1);
	assert_null(strchr(e.msg, '\x1b'));
	assert_int_equal(xen_qmp_parse_blockstats("{\"return\": {}}", d, 1, &n, &e), -1);
	assert_non_null(strstr(e.msg, "no \"return\" list"));
	assert_int_equal(xen_qmp_parse_blockstats("{\"return\": [", d, 1, &n, &e), -1);
	assert_non_null(strstr(e.msg, "not JSON"));
	assert_int_equal(xen_qmp_parse_blockstats("", d, 1, &n, &e), -1);
	assert_int_equal(xen_qmp_parse_blockstats("{\"return\": [], \"return\": []}", d, 1, &n, &e), -1);
	assert_int_equal(xen_qmp_parse_blockstats("{\"return\": []}", d, 1, &n, &e), 0);
	assert_int_equal(n, 0);
}

/* ---- the client against a fake qemu ---- */

enum fake_mode {
	FAKE_OK,          /* greeting, capabilities, blockstats, with events in between */
	FAKE_SILENT,      /* accepts and says nothing */
	FAKE_HANGUP,      /* greets, then closes after the capabilities */
	FAKE_NOT_QMP,     /* greets with something else */
	FAKE_SPLIT,       /* the reply in small pieces, slowly */
};

struct fake {
	char dir[64], path[128];
	int lfd;
	pid_t pid;
};

/* Reads one line from fd; exits the child on EOF. */
static void
fake_read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		if (read(fd, buf + n, 1) != 1)
			_exit(0);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
}

static void
fake_serve(int fd, enum fake_mode mode)
{
	char line[256];
	struct timespec pause = { 0, 20 * 1000000L };

	if (mode == FAKE_SILENT) {
		sleep(5);
		_exit(0);
	}
	testdir_write_all(fd, mode == FAKE_NOT_QMP ? "{\"hello\": 1}\r\n"
	                                    : "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
	fake_read_line(fd, line, sizeof line);
	if (strstr(line, "qmp_capabilities") == NULL)
		_exit(4);
	testdir_write_all(fd, "{\"timestamp\": {}, \"event\": \"RESUME\"}\r\n{\"return\": {}}\r\n");
	fake_read_line(fd, line, sizeof line);
	if (mode == FAKE_HANGUP)
		_exit(0);
	if (strstr(line, "query-blockstats") == NULL)
		_exit(5);
	testdir_write_all(fd, "{\"timestamp\": {}, \"event\": \"BLOCK_IO_ERROR\"}\r\n");
	if (mode == FAKE_SPLIT) {
		for (size_t off = 0; off < sizeof lab_reply - 1; off += 40) {
			char piece[41];
			snprintf(piece, sizeof piece, "%s", lab_reply + off);
			testdir_write_all(fd, piece);
			nanosleep(&pause, NULL);
		}
		testdir_write_all(fd, "\r\n");
	} else {
		testdir_write_all(fd, lab_reply);
		testdir_write_all(fd, "\r\n");
	}
	fake_read_line(fd, line, sizeof line);   /* until the client hangs up */
	_exit(0);
}

static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sa;

	snprintf(f->dir, sizeof f->dir, "/tmp/domtop-qmp-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/qmp-libxenstat-7", f->dir);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(f->lfd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		int fd = accept(f->lfd, NULL, NULL);
		if (fd < 0)
			_exit(2);
		fake_serve(fd, mode);
	}
	close(f->lfd);
}

static void
fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	unlink(f->path);
	rmdir(f->dir);
}

static void
test_client_ok(void **state)
{
	struct xen_qmp_disk d[2];
	struct fake f;
	struct err e;
	char *reply;
	size_t n;

	(void)state;
	for (int mode = FAKE_OK; mode <= FAKE_SPLIT; mode += FAKE_SPLIT - FAKE_OK) {
		fake_start(&f, (enum fake_mode)mode);
		if (xen_qmp_blockstats(f.path, 5000, &reply, &e) < 0)
			fail_msg("mode %d: %s", mode, e.msg);
		if (xen_qmp_parse_blockstats(reply, d, 2, &n, &e) < 0)
			fail_msg("mode %d: %s: %s", mode, e.msg, reply);
		assert_int_equal(n, 1);
		assert_int_equal(xen_qmp_find(d, n, "xvdb")->wr_bytes, 2097152);
		free(reply);
		fake_stop(&f);
	}
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_client_failures(void **state)
{
	struct timespec t0;
	struct fake f;
	struct err e;
	char *reply = (char *)&e;

	(void)state;
	/* a qemu that says nothing: the deadline holds */
	fake_start(&f, FAKE_SILENT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(xen_qmp_blockstats(f.path, 200, &reply, &e), -1);
	assert_true(elapsed_ms(&t0) < 1500);
	assert_null(reply);
	assert_non_null(strstr(e.msg, "did not answer"));
	assert_non_null(strstr(e.msg, f.path));
	fake_stop(&f);

	fake_start(&f, FAKE_HANGUP);
	assert_int_equal(xen_qmp_blockstats(f.path, 5000, &reply, &e), -1);
	assert_non_null(strstr(e.msg, "closed"));
	fake_stop(&f);

	fake_start(&f, FAKE_NOT_QMP);
	assert_int_equal(xen_qmp_blockstats(f.path, 5000, &reply, &e), -1);
	assert_non_null(strstr(e.msg, "did not greet"));
	fake_stop(&f);

	/* no qemu at all */
	assert_int_equal(xen_qmp_blockstats("/nonexistent/qmp-libxenstat-7", 200, &reply, &e), -1);
	assert_non_null(strstr(e.msg, "cannot connect"));
	assert_non_null(strstr(e.msg, "/nonexistent/qmp-libxenstat-7"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lab_reply),
		cmocka_unit_test(test_parse_match),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_client_ok),
		cmocka_unit_test(test_client_failures),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
