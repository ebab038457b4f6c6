/*
 * test_throttle.c: the sticky-throttle registry (backend/throttle.h): its
 * state file (round trip of any domain name, atomic write, re-read only when
 * changed, corrupt lines reported as file:line and skipped, other hosts'
 * entries kept), the re-apply decision, rates and durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "backend/rate.h"
#include "backend/throttle.h"

static struct throttle_entry
entry(const char *scope, const char *domain, unsigned devid, uint64_t to, uint64_t from)
{
	struct throttle_entry t;

	memset(&t, 0, sizeof t);
	snprintf(t.scope, sizeof t.scope, "%s", scope);
	snprintf(t.domain, sizeof t.domain, "%s", domain);
	t.devid = devid;
	t.to_guest_bps = to;
	t.from_guest_bps = from;
	t.persist = true;
	return t;
}

static char *
tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof dir, "/tmp/domtop-test-thrreg-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void
rmdir_all(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_round_trip_any_name(void **state)
{
	static const char *names[] = { "web1", "a b=c%d", "evil\x1b]0;x\x07", "\xc3\xa9t\xc3\xa9",
	                               "tab\there\nnl" };
	struct throttle_reg r, back;
	struct throttle_entry t;
	struct err e;
	char *dir = tmpdir(), path[128];

	(void)state;
	snprintf(path, sizeof path, "%s/sub/dir/throttles.state", dir);
	throttle_reg_init(&r, path);
	assert_int_equal(throttle_reg_begin(&r, &e), 0);           /* makes the directories */
	for (unsigned i = 0; i < 5; i++) {
		t = entry("xen:node1", names[i], i, 1000000 * (i + 1), 0);
		t.expires = 1800000000 + i;
		t.domid = 7;
		t.ifindex = 12;
		snprintf(t.ifname, sizeof t.ifname, "vif7.%u", i);
		snprintf(t.saved, sizeof t.saved, "shape-saved 1 vif7.%u 1 fq_codel 30000 0a0b", i);
		assert_int_equal(throttle_put(&r, &t, &e), 0);
	}
	t = entry("sim:demo", "memory-only", 0, 8000, 8000);
	t.persist = false;
	assert_int_equal(throttle_put(&r, &t, &e), 0);
	assert_int_equal(throttle_reg_commit(&r, &e), 0);
	assert_int_equal(access(path, R_OK), 0);
	{
		char tmp[160];

		snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
		assert_int_equal(access(tmp, F_OK), -1);            /* renamed into place */
	}
	throttle_reg_init(&back, path);
	assert_int_equal(throttle_reg_load(&back, &e), 1);
	assert_int_equal(back.n_warnings, 0);
	assert_int_equal(back.n, 5);                                /* not the memory-only one */
	for (unsigned i = 0; i < 5; i++) {
		struct throttle_entry *b = throttle_find(&back, "xen:node1", names[i], i);

		assert_non_null(b);
		assert_int_equal(b->to_guest_bps, 1000000 * (i + 1));
		assert_int_equal(b->expires, 1800000000 + i);
		assert_int_equal(b->ifindex, 12);
		assert_string_equal(b->saved, r.e[i].saved);
		assert_true(b->persist);
	}
	assert_int_equal(throttle_reg_load(&back, &e), 0);          /* unchanged: not read again */
	/* a reload keeps the memory-only entries and replaces the others */
	assert_true(throttle_remove(&back, "xen:node1", "web1", 0));
	assert_int_equal(throttle_reg_begin(&back, &e), 0);
	assert_int_equal(throttle_reg_commit(&back, &e), 0);
	assert_int_equal(throttle_reg_load(&r, &e), 1);
	assert_null(throttle_find(&r, "xen:node1", "web1", 0));
	assert_non_null(throttle_find(&r, "sim:demo", "memory-only", 0));
	throttle_reg_free(&r);
	throttle_reg_free(&back);
	rmdir_all(dir);
}

static void
test_corrupt_lines_reported_and_skipped(void **state)
{
	struct throttle_reg r;

	(void)state;
	throttle_reg_init(&r, NULL);
	throttle_reg_parse(&r,
	    "# comment\n"                                                            /* 1 */
	    "\n"                                                                     /* 2 */
	    "vif scope=s domain=ok devid=0 to=8000 from=0\n"                         /* 3 */
	    "junk here\n"                                                            /* 4 */
	    "vif scope=s domain=a devid=0 to=8000\n"                                 /* 5 */
	    "vif scope=s domain=b devid=0 to=8000 from=0 colour=red\n"               /* 6 */
	    "vif scope=s domain=c devid=0 to=0 from=0\n"                             /* 7 */
	    "vif scope=s domain=d devid=x to=1 from=1\n"                             /* 8 */
	    "vif scope=s domain=e%zz devid=0 to=8000 from=0\n"                       /* 9 */
	    "vif scope=s domain=ok devid=0 to=16000 from=0\r\n"                      /* 10 */
	    "vif scope=s domain=f devid=0 to=8000 to=8000 from=0\n"                  /* 11 */
	    "vif scope=s domain=n%00 devid=0 to=8000 from=0\n"                       /* 12 */
	    "vif scope=s domain=g devid=1 to=8000 from=0 saved", "t.state");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.e[0].to_guest_bps, 8000);
	assert_int_equal(r.n_warnings, 10);
	assert_non_null(strstr(r.warnings[0], "t.state:4: not a 'vif key=value ...' line"));
	assert_non_null(strstr(r.warnings[1], "t.state:5: scope, domain, devid, to and from are required"));
	assert_non_null(strstr(r.warnings[2], "t.state:6: unknown key 'colour'"));
	assert_non_null(strstr(r.warnings[3], "t.state:7: a throttle of 0 both ways"));
	assert_non_null(strstr(r.warnings[4], "t.state:8: devid must be a whole number"));
	assert_non_null(strstr(r.warnings[5], "t.state:9: bad or too long value of domain"));
	assert_non_null(strstr(r.warnings[6], "t.state:10: a second line for ok vif 0"));
	assert_non_null(strstr(r.warnings[7], "t.state:11: to given twice"));
	/* warnings past the 8 kept are counted */
	throttle_reg_free(&r);
}

static void
test_unreadable_and_binary_files(void **state)
{
	struct throttle_reg r;
	struct err e;
	char *dir = tmpdir(), path[128];
	FILE *f;

	(void)state;
	snprintf(path, sizeof path, "%s/missing.state", dir);
	throttle_reg_init(&r, path);
	assert_int_equal(throttle_reg_load(&r, &e), 0);             /* missing = empty */
	assert_int_equal(r.n, 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fwrite("vif scope=s domain=a devid=0 to=8000 from=0\n\0junk", 1, 50, f);
	fclose(f);
	assert_int_equal(throttle_reg_load(&r, &e), -1);
	assert_non_null(strstr(e.msg, "NUL bytes"));
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);                     /* a directory */
	assert_int_equal(throttle_reg_load(&r, &e), -1);
	assert_non_null(strstr(e.msg, "not a regular file"));
	throttle_reg_free(&r);
	rmdir_all(dir);
}

static void
test_decide(void **state)
{
	struct throttle_entry t = entry("s", "web1", 0, 10000000, 10000000);
	struct sample_vif v;

	(void)state;
	memset(&v, 0, sizeof v);
	t.domid = 7;
	t.ifindex = 12;
	v.ifindex = 12;
	v.to_guest.rate_bps = v.from_guest.rate_bps = 10000000;
	assert_int_equal(throttle_decide(&t, 7, &v), THROTTLE_IN_EFFECT);
	v.to_guest.rate_bps = 0;
	assert_int_equal(throttle_decide(&t, 7, &v), THROTTLE_DRIFT);      /* same vif: hands off */
	v.ifindex = 13;
	assert_int_equal(throttle_decide(&t, 7, &v), THROTTLE_REAPPLY);    /* vif made again */
	v.ifindex = 12;
	assert_int_equal(throttle_decide(&t, 8, &v), THROTTLE_REAPPLY);    /* domain made again */
	v.ifindex = 0;
	assert_int_equal(throttle_decide(&t, 7, &v), THROTTLE_ABSENT);     /* interface missing */
	t.persist = false;                                                 /* a simulated vif */
	t.ifindex = 0;
	assert_int_equal(throttle_decide(&t, 7, &v), THROTTLE_DRIFT);
	assert_int_equal(throttle_decide(&t, 9, &v), THROTTLE_REAPPLY);
}

static void
test_next_expiry_by_scope(void **state)
{
	struct throttle_reg r;
	struct throttle_entry t;
	struct err e;

	(void)state;
	throttle_reg_init(&r, "");
	assert_int_equal(throttle_next_expiry(&r, "a"), 0);
	t = entry("a", "x", 0, 8000, 0);
	t.expires = 500;
	throttle_put(&r, &t, &e);
	t = entry("a", "y", 0, 8000, 0);
	t.expires = 300;
	throttle_put(&r, &t, &e);
	t = entry("b", "z", 0, 8000, 0);
	t.expires = 100;
	throttle_put(&r, &t, &e);
	t = entry("a", "w", 0, 8000, 0);
	throttle_put(&r, &t, &e);
	assert_int_equal(throttle_next_expiry(&r, "a"), 300);
	assert_int_equal(throttle_next_expiry(&r, "b"), 100);
	assert_true(throttle_remove(&r, "a", "y", 0));
	assert_false(throttle_remove(&r, "a", "y", 0));
	assert_int_equal(throttle_next_expiry(&r, "a"), 500);
	/* memory only: begin and commit write nothing */
	assert_int_equal(throttle_reg_begin(&r, &e), 0);
	assert_int_equal(throttle_reg_commit(&r, &e), 0);
	throttle_reg_free(&r);
}

static void
test_rates(void **state)
{
	static const struct { const char *in; uint64_t bps; const char *out; } ok[] = {
		{ "1mbit", 1000000, "1mbit" }, { "500kbit", 500000, "500kbit" },
		{ "2.5gbit", 2500000000ull, "2.5gbit" }, { "10mbps", 80000000, "80mbit" },
		{ "100kibit", 102400, "102.4kbit" }, { "8000", 8000, "8kbit" },
		{ "1Tbit", 1000000000000ull, "1tbit" }, { "8001bit", 8000, "8kbit" },
		{ "12345678", 12345672, "12.345672mbit" },
	};
	static const char *bad[] = { "", "fast", "-1mbit", "1kbit", "1001gbit", "nan", "inf",
	                             "0x10mbit", "1 mbit", "10mbitx", "1e3mbit", "1..2mbit",
	                             ".mbit" };
	uint64_t bps, back;
	char buf[32];
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(throttle_parse_rate(ok[i].in, &bps, &e), 0);
		assert_int_equal(bps, ok[i].bps);
		rate_format(bps, buf, sizeof buf);
		assert_int_equal(throttle_parse_rate(buf, &back, &e), 0);
		assert_int_equal(back, bps);                            /* round trip, always */
		if (strchr(ok[i].out, '.') == NULL || strlen(ok[i].out) < 12)
			assert_string_equal(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(throttle_parse_rate(bad[i], &bps, &e), -1);
		assert_true(e.msg[0] != '\0');
	}
}

static void
test_durations(void **state)
{
	static const struct { const char *in; int64_t s; const char *out; } ok[] = {
		{ "90s", 90, "1m30s" }, { "30m", 1800, "30m" }, { "2h", 7200, "2h" },
		{ "1d", 86400, "1d" }, { "1h30m", 5400, "1h30m" }, { "366d", 366 * 86400, "366d" },
		{ "1d1s", 86401, "1d" },
	};
	static const char *bad[] = { "", "0s", "2", "h", "2 h", "1y", "367d", "-1h", "9999999999s",
	                             "1h-", "1.5h" };
	int64_t s;
	char buf[32];
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(throttle_parse_duration(ok[i].in, &s, &e), 0);
		assert_int_equal(s, ok[i].s);
		throttle_format_duration(s, buf, sizeof buf);
		assert_string_equal(buf, ok[i].out);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(throttle_parse_duration(bad[i], &s, &e), -1);
	throttle_format_time(0, buf, sizeof buf);
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
}

static void
test_default_path(void **state)
{
	char buf[256];

	(void)state;
	throttle_default_path(buf, sizeof buf);
	if (geteuid() == 0) {
		assert_string_equal(buf, "/var/lib/domtop/throttles.state");
	} else {
		setenv("XDG_STATE_HOME", "/x/state", 1);
		throttle_default_path(buf, sizeof buf);
		assert_string_equal(buf, "/x/state/domtop/throttles.state");
		unsetenv("XDG_STATE_HOME");
		setenv("HOME", "/home/op", 1);
		throttle_default_path(buf, sizeof buf);
		assert_string_equal(buf, "/home/op/.local/state/domtop/throttles.state");
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_any_name),
		cmocka_unit_test(test_corrupt_lines_reported_and_skipped),
		cmocka_unit_test(test_unreadable_and_binary_files),
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_next_expiry_by_scope),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_default_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
