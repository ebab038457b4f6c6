/*
 * test_action.c: the action pipeline against a small in-memory hypervisor
 * (a test double of struct hv_ops): validation, read-back, audit records,
 * undo, read-only, and a backend that does not do what it was asked.
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

#define NDOM 3

struct fake {
	struct sample_domain doms[NDOM];
	bool clamp_weight;      /* misbehave: store at most 1000 */
};

static struct fake *
fake_of(struct hv *hv)
{
	return hv->priv;
}

static struct sample_domain *
fake_find(struct hv *hv, uint32_t domid)
{
	for (int i = 0; i < NDOM; i++)
		if (fake_of(hv)->doms[i].domid == domid)
			return &fake_of(hv)->doms[i];
	return NULL;
}

static int
fake_read(struct hv *hv, uint32_t domid, struct sample_domain *out, struct err *e)
{
	struct sample_domain *d = fake_find(hv, domid);

	if (d == NULL)
		return err_set(e, "no domain %u", domid);
	*out = *d;
	out->vcpus = NULL;
	out->vifs = NULL;
	out->vbds = NULL;
	if (!sample_domain_alloc(out, d->n_vcpus, 0, 0))
		return err_set(e, "oom");
	memcpy(out->vcpus, d->vcpus, d->n_vcpus * sizeof *d->vcpus);
	return 0;
}

static int
fake_sample(struct hv *hv, struct sample *out, uint64_t interval_ns, struct err *e)
{
	(void)interval_ns;
	sample_clear(out);
	out->host = hv->host;
	for (int i = 0; i < NDOM; i++)
		if (fake_read(hv, fake_of(hv)->doms[i].domid, sample_add_domain(out), e) < 0)
			return -1;
	return 0;
}

static int
fake_weight(struct hv *hv, uint32_t domid, unsigned w, struct err *e)
{
	(void)e;
	fake_find(hv, domid)->weight = fake_of(hv)->clamp_weight && w > 1000 ? 1000 : w;
	return 0;
}

static int
fake_cap(struct hv *hv, uint32_t domid, unsigned cap, struct err *e)
{
	(void)e;
	fake_find(hv, domid)->cap = cap;
	return 0;
}

static int
fake_pin(struct hv *hv, uint32_t domid, int vcpu, const struct cpuset *c, struct err *e)
{
	struct sample_domain *d = fake_find(hv, domid);

	(void)e;
	for (size_t i = 0; i < d->n_vcpus; i++)
		if (vcpu < 0 || (size_t)vcpu == i)
			d->vcpus[i].affinity = *c;
	return 0;
}

static int
fake_pause(struct hv *hv, uint32_t domid, bool paused, struct err *e)
{
	struct sample_domain *d = fake_find(hv, domid);

	(void)e;
	d->state = paused ? DOM_PAUSED : DOM_RUNNING;
	return 0;
}

static void
fake_close(struct hv *hv)
{
	(void)hv;
}

static const struct hv_ops fake_ops = {
	"fake", fake_sample, fake_read, fake_weight, fake_cap, fake_pin, fake_pause, fake_close,
};

struct fixture {
	struct fake fake;
	struct sample_vcpu vcpus[NDOM][2];
	struct hv hv;
	struct sample cur;
	struct action_ctx *ctx;
	char log[64];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	static const char *names[NDOM] = { "Domain-0", "web1", "evil\x1b]0;pwned\x07" };
	struct action_ctx_opts o = { 0 };
	struct err e;
	int fd;

	for (int i = 0; i < NDOM; i++) {
		struct sample_domain *d = &f->fake.doms[i];

		d->domid = (uint32_t)i;
		snprintf(d->name, sizeof d->name, "%s", names[i]);
		d->weight = 256;
		d->nr_vcpus = 2;
		d->n_vcpus = 2;
		d->vcpus = f->vcpus[i];
		d->state = DOM_RUNNING;
		for (int v = 0; v < 2; v++) {
			d->vcpus[v].id = (unsigned)v;
			cpuset_fill(&d->vcpus[v].affinity, 4);
		}
	}
	f->hv = (struct hv){ .ops = &fake_ops, .priv = &f->fake };
	f->hv.host.nr_pcpus = 4;
	sample_init(&f->cur);
	assert_int_equal(hv_sample(&f->hv, &f->cur, 0, &e), 0);
	snprintf(f->log, sizeof f->log, "/tmp/domtop-test-audit-XXXXXX");
	fd = mkstemp(f->log);
	assert_true(fd >= 0);
	close(fd);
	o.hv = &f->hv;
	o.audit_path = f->log;
	o.host_label = "test";
	assert_int_equal(action_ctx_new(&f->ctx, &o, &e), 0);
	assert_null(action_disabled(f->ctx));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	action_ctx_free(f->ctx);
	sample_free(&f->cur);
	unlink(f->log);
	free(f);
	return 0;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static int
run(struct fixture *f, const char *text, struct action_result *res)
{
	struct action a;
	struct err e;

	if (action_parse(text, &a, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s", e.msg);
		res->ok = false;
		return -1;
	}
	return action_run(f->ctx, &f->cur, &a, res);
}

static void
test_weight_applied_read_back_audited_undone(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	char *log;

	assert_int_equal(run(f, "weight web1 512", &res), 0);
	assert_true(res.ok);
	assert_string_equal(res.msg, "weight web1: 256 -> 512");
	assert_int_equal(f->fake.doms[1].weight, 512);
	log = slurp(f->log);
	assert_non_null(strstr(log, "host=test"));
	assert_non_null(strstr(log, "action=weight domain=web1 domid=1 old=256 new=512 result=ok"));
	assert_int_equal(action_undo_depth(f->ctx), 1);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_string_equal(res.msg, "undo weight web1: 512 -> 256");
	assert_int_equal(f->fake.doms[1].weight, 256);
	assert_non_null(strstr(slurp(f->log), "op=undo action=weight"));
	assert_int_equal(action_undo_depth(f->ctx), 0);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), -1);
	assert_string_equal(res.msg, "nothing to undo");
}

static void
test_refusals_change_nothing(void **state)
{
	struct fixture *f = *state;
	struct action_result res;

	assert_int_equal(run(f, "weight web1 0", &res), -1);
	assert_non_null(strstr(res.msg, "1 to 65535"));
	assert_int_equal(run(f, "weight web1 70000", &res), -1);
	assert_int_equal(run(f, "cap web1 201", &res), -1);
	assert_non_null(strstr(res.msg, "100 x 2 vcpus"));
	assert_int_equal(run(f, "pin web1 0-4", &res), -1);
	assert_non_null(strstr(res.msg, "does not exist"));
	assert_int_equal(run(f, "pin web1 2 0", &res), -1);
	assert_non_null(strstr(res.msg, "vcpus 0-1"));
	assert_int_equal(run(f, "pause Domain-0", &res), -1);
	assert_int_equal(run(f, "unpause web1", &res), -1);
	assert_non_null(strstr(res.msg, "already running"));
	assert_int_equal(run(f, "weight nosuch 5", &res), -1);
	assert_non_null(strstr(res.msg, "no domain 'nosuch'"));
	assert_int_equal(run(f, "frobnicate web1", &res), -1);
	assert_int_equal(run(f, "weight", &res), -1);
	assert_int_equal(run(f, "pause web1 now", &res), -1);
	assert_int_equal(f->fake.doms[1].weight, 256);
	assert_int_equal(f->fake.doms[1].cap, 0);
	assert_int_equal(f->fake.doms[1].state, DOM_RUNNING);
	assert_int_equal(action_undo_depth(f->ctx), 0);
}

static void
test_cap_by_id_and_pause(void **state)
{
	struct fixture *f = *state;
	struct action_result res;

	assert_int_equal(run(f, "cap 1 150", &res), 0);
	assert_string_equal(res.msg, "cap web1: 0 (none) -> 150%");
	assert_int_equal(run(f, "pause web1", &res), 0);
	assert_int_equal(f->fake.doms[1].state, DOM_PAUSED);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_int_equal(f->fake.doms[1].state, DOM_RUNNING);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_int_equal(f->fake.doms[1].cap, 0);
}

static void
test_pin_undo_restores_each_vcpu(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	struct cpuset one;

	assert_int_equal(run(f, "pin web1 1 3", &res), 0);     /* vcpu 1 -> cpu 3 */
	assert_string_equal(res.msg, "pin web1: vcpu 1: all -> vcpu 1: 3");
	assert_int_equal(run(f, "pin web1 0-3,^2", &res), 0);  /* all vcpus */
	assert_string_equal(res.msg, "pin web1: 0:all 1:3 -> 0-1,3");
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	cpuset_zero(&one);
	cpuset_set(&one, 3);
	assert_true(cpuset_equal(&f->fake.doms[1].vcpus[1].affinity, &one));
	assert_int_equal(cpuset_count(&f->fake.doms[1].vcpus[0].affinity), 4);
}

static void
test_read_back_mismatch_is_reported(void **state)
{
	struct fixture *f = *state;
	struct action_result res;

	f->fake.clamp_weight = true;
	assert_int_equal(run(f, "weight web1 5000", &res), -1);
	assert_false(res.ok);
	assert_non_null(strstr(res.msg, "asked for 5000 but it reads back 1000"));
	assert_non_null(strstr(slurp(f->log), "result=mismatch"));
	assert_int_equal(action_undo_depth(f->ctx), 0);
}

static void
test_hostile_name_cannot_forge_audit(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	char *log;

	assert_int_equal(run(f, "weight 2 300", &res), 0);
	log = slurp(f->log);
	assert_null(strchr(log, '\x1b'));
	assert_null(strchr(log, '\x07'));
	assert_null(strchr(res.msg, '\x1b'));
	assert_int_equal(strchr(log, '\n') - log + 1, (long)strlen(log));   /* one line */
}

static void
test_read_only_refuses_and_audits(void **state)
{
	struct fixture *f = *state;
	struct action_ctx_opts o = { .hv = &f->hv, .audit_path = f->log, .read_only = true };
	struct action_ctx *ro;
	struct action_result res;
	struct action a;
	struct err e;

	assert_int_equal(action_ctx_new(&ro, &o, &e), 0);
	assert_int_equal(action_parse("weight web1 512", &a, &e), 0);
	assert_int_equal(action_run(ro, &f->cur, &a, &res), -1);
	assert_non_null(strstr(res.msg, "--read-only"));
	assert_int_equal(f->fake.doms[1].weight, 256);
	assert_non_null(strstr(slurp(f->log), "result=read-only"));
	action_ctx_free(ro);
}

static void
test_no_audit_log_no_actions(void **state)
{
	struct fixture *f = *state;
	struct action_ctx_opts o = { .hv = &f->hv, .audit_path = "/proc/domtop-no/audit.log" };
	struct action_ctx *c;
	struct action_result res;
	struct action a;
	struct err e;

	assert_int_equal(action_ctx_new(&c, &o, &e), 0);
	assert_non_null(action_disabled(c));
	assert_int_equal(action_parse("weight web1 512", &a, &e), 0);
	assert_int_equal(action_run(c, &f->cur, &a, &res), -1);
	assert_non_null(strstr(res.msg, "audit log"));
	assert_int_equal(f->fake.doms[1].weight, 256);
	action_ctx_free(c);
}

static void
test_current_values(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	struct err e;

	assert_int_equal(action_current(f->ctx, ACTION_WEIGHT, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "256");
	assert_int_equal(action_current(f->ctx, ACTION_PIN, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "all");
	assert_int_equal(action_current(f->ctx, ACTION_WEIGHT, 77, buf, sizeof buf, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weight_applied_read_back_audited_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_by_id_and_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_undo_restores_each_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_back_mismatch_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_name_cannot_forge_audit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_refuses_and_audits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_audit_log_no_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_current_values, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
