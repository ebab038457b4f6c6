/*
 * test_xen_log.c: the Xen libraries' log (backend/xen_log.c): notices for
 * the message line from libxl's logger and libxenstat's stderr, held and
 * dropped for a vanished domain, taken by an action's error; and the probe
 * of kernel.task_delayacct (backend/xen_probe.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#define LIBXL_API_VERSION 0x041300
#include <libxl.h>

#include "backend/xen_log.h"
#include "backend/xen_probe.h"

struct fixture {
	char dir[64];
	char path[128];
	struct xen_log *log;
	xentoollog_logger *lg;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct err e;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/domtop-test-xenlog-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/xen.log", f->dir);
	assert_int_equal(xen_log_open(&f->log, f->path, &e), 0);
	f->lg = xen_log_logger(f->log);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	xen_log_close(f->log);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
read_log(const struct fixture *f, char *buf, size_t len)
{
	FILE *fp = fopen(f->path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* libxl's warnings and errors become notices; its debug and info do not. */
static void
test_logger_notices(void **state)
{
	struct fixture *f = *state;
	char buf[256];

	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	xtl_log(f->lg, XTL_DEBUG, -1, "libxl", "debug chatter");
	xtl_log(f->lg, XTL_INFO, -1, "libxl", "info chatter");
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 0);

	xtl_log(f->lg, XTL_WARN, -1, "libxl", "libxl_dom.c:12:f: first warning");
	xtl_log(f->lg, XTL_ERROR, 2, "libxl", "libxl_x.c:34:g: Domain 3:cannot read thing");
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 2);
	/* the newest, without libxl's source prefix, with errno's text */
	assert_string_equal(buf, "libxl: Domain 3:cannot read thing: No such file or directory");
	/* taken: gone */
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 0);
	assert_string_equal(buf, "");

	/* domtop's own warnings are notices and log lines; notes are log lines only */
	xen_log_note(f->log, "a note");
	assert_int_equal(xen_log_take_notice(f->log, NULL, 0), 0);
	xen_log_warn(f->log, "netlink failed %d", 7);
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 1);
	assert_string_equal(buf, "domtop: netlink failed 7");
}

/* A message that carries outside text (qemu's, a library's) is one clean line in the log. */
static void
test_log_lines_sanitised(void **state)
{
	struct fixture *f = *state;
	char buf[1024];
	int lines = 0;

	xen_log_note(f->log, "qemu said: %s", "\x1b[2J\n2026-01-01 00:00:00 forged line");
	xtl_log(f->lg, XTL_WARN, -1, "libxl", "bell\a and tab\t");
	read_log(f, buf, sizeof buf);
	assert_null(strchr(buf, '\x1b'));
	assert_null(strchr(buf, '\a'));
	assert_non_null(strstr(buf, "qemu said: ?[2J?2026-01-01 00:00:00 forged line\n"));
	for (const char *p = buf; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	assert_int_equal(lines, 2);                    /* one line per message, no more */
}

/* What libxl says about a domain that vanished while it was read is dropped. */
static void
test_hold_release(void **state)
{
	struct fixture *f = *state;
	char buf[256];

	xtl_log(f->lg, XTL_WARN, -1, "libxl", "before");
	xen_log_hold(f->log);
	xtl_log(f->lg, XTL_ERROR, -1, "libxl", "about a vanished domain");
	xen_log_release(f->log, false);
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 1);
	assert_string_equal(buf, "libxl: before");

	xen_log_hold(f->log);
	xtl_log(f->lg, XTL_ERROR, -1, "libxl", "about a live domain");
	xen_log_release(f->log, true);
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 1);
	assert_string_equal(buf, "libxl: about a live domain");

	/* held notices never show while holding */
	xen_log_hold(f->log);
	xtl_log(f->lg, XTL_ERROR, -1, "libxl", "held");
	assert_int_equal(xen_log_take_notice(f->log, NULL, 0), 0);
	xen_log_release(f->log, true);
	assert_int_equal(xen_log_take_notice(f->log, NULL, 0), 1);
}

/* An action's error carries libxl's message; the notices it raised are not news twice. */
static void
test_why(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(xen_log_why(NULL, ERROR_INVAL), libxl_error_to_string(ERROR_INVAL));
	assert_string_equal(xen_log_why(f->log, ERROR_FAIL), libxl_error_to_string(ERROR_FAIL));
	xtl_log(f->lg, XTL_ERROR, 22, "libxl",
	        "libxl_sched.c:99:sched_credit2_domain_set: Domain 5:Cpu weight out of range");
	assert_string_equal(xen_log_why(f->log, ERROR_INVAL),
	                    "Domain 5:Cpu weight out of range: Invalid argument");
	assert_int_equal(xen_log_take_notice(f->log, NULL, 0), 0);
}

/* libxenstat's perror lines: to the log, dated, and the last one as a notice. */
static void
test_quiet_capture(void **state)
{
	struct fixture *f = *state;
	char buf[4096];
	int saved;

	saved = xen_log_quiet_begin(f->log);
	assert_true(saved >= 0);
	fprintf(stderr, "Error opening /sys/bus/xen-backend/devices: No such file or directory\n");
	fprintf(stderr, "\n   \nAllocation error\n");
	xen_log_quiet_end(f->log, saved);
	assert_int_equal(xen_log_take_notice(f->log, buf, sizeof buf), 2);
	assert_string_equal(buf, "libxenstat: Allocation error");

	/* a second quiet spell starts empty: nothing old comes back */
	saved = xen_log_quiet_begin(f->log);
	xen_log_quiet_end(f->log, saved);
	assert_int_equal(xen_log_take_notice(f->log, NULL, 0), 0);

	read_log(f, buf, sizeof buf);
	assert_non_null(strstr(buf, "libxenstat warning: Error opening /sys/bus/xen-backend/devices"));
	assert_non_null(strstr(buf, "libxenstat warning: Allocation error"));
	/* blank lines are not logged */
	assert_null(strstr(buf, "libxenstat warning: \n"));

	/* stderr is the terminal's again */
	assert_int_equal(fcntl(2, F_GETFD) >= 0, 1);
}

static void
write_sysctl(const char *root, const char *value)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/proc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/proc/sys", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/proc/sys/kernel", root);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/proc/sys/kernel/task_delayacct", root);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(value, fp);
	fclose(fp);
}

static void
test_delayacct(void **state)
{
	struct fixture *f = *state;

	/* no sysctl (a kernel before 5.14): accounted */
	assert_false(xen_probe_delayacct_off(f->dir));
	write_sysctl(f->dir, "0\n");
	assert_true(xen_probe_delayacct_off(f->dir));
	write_sysctl(f->dir, "1\n");
	assert_false(xen_probe_delayacct_off(f->dir));
	write_sysctl(f->dir, "");
	assert_false(xen_probe_delayacct_off(f->dir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_logger_notices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_lines_sanitised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_why, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delayacct, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
