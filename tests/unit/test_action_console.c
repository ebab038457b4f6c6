/*
 * test_action_console.c: who may attach which console, and the audit trail
 * it leaves (backend/action_console.c), on the demo host: attach and detach
 * records, the refusals (read-only, no audit log, Domain-0, a domain going
 * away, an unknown one, an audit log that cannot be written), hostile
 * names; and hv_console_exec on a backend without consoles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/action.h"
#include "backend/hv.h"
#include "backend/sim.h"

static const char scn[] =
	"host name=t pcpus=2 mem=8G\n"
	"domain Domain-0 id=0 mem=1G cpu=0.1\n"
	"domain web1 id=1 mem=1G cpu=0.5\n"
	"domain parked id=2 mem=1G state=paused\n"
	"domain evil id=3 name_hex=1b5d303b70776e656407 mem=1G cpu=0.1\n";

struct fix {
	char dir[64];
	char audit[128];
	struct hv *hv;
	struct action_ctx *ac;
	struct sample cur;
	char name[128];                 /* what the last begin() gave */
	struct action_result res;
};

/* The action context, in place of the one the fixture had. */
static void
fix_ctx(struct fix *f, const char *audit, bool read_only)
{
	struct action_ctx_opts o = {
		.hv = f->hv, .audit_path = audit, .read_only = read_only,
		.host_label = "test", .throttle_state = "",
	};
	struct err e;

	action_ctx_free(f->ac);
	f->ac = NULL;
	if (action_ctx_new(&f->ac, &o, &e) < 0)
		fail_msg("action_ctx_new: %s", e.msg);
}

/* Asks to attach the console of domid: f->name and f->res say what came of it. */
static int
begin(struct fix *f, uint32_t domid)
{
	return action_console_begin(f->ac, &f->cur, domid, f->name, sizeof f->name, &f->res);
}

static int
setup(void **state)
{
	struct fix *f = calloc(1, sizeof *f);
	struct err e;

	assert_non_null(f);
	snprintf(f->dir, sizeof f->dir, "/tmp/domtop-test-console-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->audit, sizeof f->audit, "%s/audit.log", f->dir);
	if (sim_open_text(&f->hv, scn, strlen(scn), "t.scn", 1, &e) < 0)
		fail_msg("sim: %s", e.msg);
	if (hv_sample(f->hv, &f->cur, 1000000000ull, &e) < 0)
		fail_msg("sample: %s", e.msg);
	fix_ctx(f, f->audit, false);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fix *f = *state;

	action_ctx_free(f->ac);
	sample_free(&f->cur);
	hv_close(f->hv);
	unlink(f->audit);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The audit log's contents ("" when there is none). */
static char *
audit_text(const struct fix *f)
{
	static char buf[8192];
	FILE *fp = fopen(f->audit, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp != NULL) {
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static void
test_attach_and_detach_audited(void **state)
{
	struct fix *f = *state;
	struct err e;

	assert_int_equal(begin(f, 1), 0);
	assert_true(f->res.ok);
	assert_string_equal(f->name, "web1");
	assert_non_null(strstr(audit_text(f),
	    "op=console action=attach domain=web1 domid=1 old=- new=- result=ok\n"));
	assert_int_equal(action_console_end(f->ac, 1, f->name, "ok", &e), 0);
	assert_non_null(strstr(audit_text(f), "op=console action=detach domain=web1 domid=1 old=- new=- result=ok\n"));
	/* a failure keeps its reason, quoted as one value */
	assert_int_equal(action_console_end(f->ac, 1, f->name, "console of web1 failed: no tty", &e), 0);
	assert_non_null(strstr(audit_text(f), "action=detach domain=web1 domid=1 old=- new=- "
	                                      "result=\"console of web1 failed: no tty\"\n"));
	/* a paused domain's console may be attached: it just does not answer */
	assert_int_equal(begin(f, 2), 0);
	assert_string_equal(f->name, "parked");
}

static void
test_read_only_refused_and_audited(void **state)
{
	struct fix *f = *state;

	fix_ctx(f, f->audit, true);
	assert_int_equal(begin(f, 1), -1);
	assert_false(f->res.ok);
	assert_non_null(strstr(f->res.msg, "console of web1 refused"));
	assert_non_null(strstr(f->res.msg, "--read-only"));
	assert_non_null(strstr(audit_text(f), "op=console action=attach domain=web1 domid=1 old=- "
	                                      "new=- result=read-only\n"));
	assert_null(strstr(audit_text(f), "result=ok"));
}

static void
test_domain0_and_unknown_refused(void **state)
{
	struct fix *f = *state;

	assert_int_equal(begin(f, 0), -1);
	assert_non_null(strstr(f->res.msg, "Domain-0 has no guest console"));
	assert_non_null(strstr(audit_text(f), "action=attach domain=Domain-0 domid=0 old=- new=- "
	                                      "result=refused\n"));
	assert_int_equal(begin(f, 42), -1);
	assert_non_null(strstr(f->res.msg, "no domain 42"));
	assert_string_equal(f->name, "");
	assert_null(strstr(audit_text(f), "domid=42"));
}

static void
test_shutting_down_refused(void **state)
{
	struct fix *f = *state;

	f->cur.domains[1].state = DOM_SHUTDOWN;     /* web1, as a sample would show it */
	assert_int_equal(begin(f, 1), -1);
	assert_non_null(strstr(f->res.msg, "shutting down"));
}

static void
test_no_audit_log_no_console(void **state)
{
	struct fix *f = *state;
	char bad[192];

	/* the audit log's directory is a file: no log, so no action and no console */
	snprintf(bad, sizeof bad, "%s/audit.log/sub/audit.log", f->dir);
	fclose(fopen(f->audit, "w"));
	fix_ctx(f, bad, false);
	assert_non_null(action_disabled(f->ac));
	assert_int_equal(begin(f, 1), -1);
	assert_non_null(strstr(f->res.msg, "console of web1 refused: cannot"));
}

static void
test_unwritable_audit_refuses(void **state)
{
	struct fix *f = *state;

	if (access("/dev/full", W_OK) != 0)
		skip();
	fix_ctx(f, "/dev/full", false);
	assert_int_equal(begin(f, 1), -1);
	assert_false(f->res.ok);
	assert_non_null(strstr(f->res.msg, "console of web1 refused: cannot write the audit log"));
}

static void
test_hostile_name_sanitised(void **state)
{
	struct fix *f = *state;
	struct err e;

	assert_int_equal(begin(f, 3), 0);
	assert_null(strchr(f->name, '\x1b'));
	assert_null(strchr(f->name, '\x07'));
	assert_int_equal(action_console_end(f->ac, 3, f->name, "ok", &e), 0);
	assert_null(strchr(audit_text(f), '\x1b'));
	assert_null(strchr(audit_text(f), '\x07'));
	assert_non_null(strstr(audit_text(f), "action=detach domain=?]0;pwned? domid=3"));
}

/* A backend without console_exec: hv.c refuses clearly instead of calling NULL. */
static void
fake_close(struct hv *hv)
{
	(void)hv;
}

static void
test_backend_without_consoles(void **state)
{
	static const struct hv_ops ops = { .name = "fake", .close = fake_close };
	struct hv hv = { .ops = &ops };
	struct err e;

	(void)state;
	assert_int_equal(hv_console_exec(&hv, 1, &e), -1);
	assert_string_equal(e.msg, "the fake backend cannot attach a domain's console");
}

#define FIX_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIX_TEST(test_attach_and_detach_audited),
		FIX_TEST(test_read_only_refused_and_audited),
		FIX_TEST(test_domain0_and_unknown_refused),
		FIX_TEST(test_shutting_down_refused),
		FIX_TEST(test_no_audit_log_no_console),
		FIX_TEST(test_unwritable_audit_refuses),
		FIX_TEST(test_hostile_name_sanitised),
		cmocka_unit_test(test_backend_without_consoles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
