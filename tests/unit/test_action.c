/*
 * test_action.c: the action pipeline against a small in-memory hypervisor
 * (a test double of struct hv_ops): validation, read-back, audit records,
 * undo, read-only, and a backend that does not do what it was asked. Vif
 * throttles: both ways, one way, one vif, expiry, the sticky registry and
 * its state file, the saved qdisc state handed back on undo in another
 * process, expiry at start, re-applying to a re-created vif. IO priority of
 * the disk backends: every vbd or one, undo, refusals, a backend failing
 * half-way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <cmocka.h>

#include "backend/action.h"
#include "backend/throttle.h"

#define NDOM 3
#define NVIF 2
#define NVBD 2

struct fake {
	struct sample_domain doms[NDOM];
	bool clamp_weight;      /* misbehave: store at most 1000 */
	bool real_vifs;         /* vifs are "real interfaces" (sticky in the state file) */
	int fail_devid;         /* set_vif_shape fails on this vif; -1 = none */
	uint64_t clamp_rate;    /* misbehave: store at most this rate; 0 = exact */
	char lifted_with[HV_SHAPE_SAVED_MAX];   /* saved state given with the last lift */
	int shape_calls;
	int fail_vbd;           /* set_vbd_ioprio fails on this vbd; -1 = none */
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
	if (!sample_domain_alloc(out, d->n_vcpus, d->n_vifs, d->n_vbds))
		return err_set(e, "oom");
	memcpy(out->vcpus, d->vcpus, d->n_vcpus * sizeof *d->vcpus);
	if (d->n_vifs > 0)
		memcpy(out->vifs, d->vifs, d->n_vifs * sizeof *d->vifs);
	if (d->n_vbds > 0)
		memcpy(out->vbds, d->vbds, d->n_vbds * sizeof *d->vbds);
	return 0;
}

/* As the kernel: class none reads back with the level nice 0 gives (4), idle with 0. */
static int
fake_ioprio(struct hv *hv, uint32_t domid, unsigned devid, int ioclass, int level, struct err *e)
{
	struct sample_domain *d = fake_find(hv, domid);

	if ((int)devid == fake_of(hv)->fail_vbd)
		return err_set(e, "the kernel said no");
	for (size_t i = 0; d != NULL && i < d->n_vbds; i++)
		if (d->vbds[i].devid == devid) {
			d->vbds[i].ioprio_class = ioclass;
			d->vbds[i].ioprio_level = ioclass == 0 ? 4 : level;
			return 0;
		}
	return err_set(e, "no vbd %u", devid);
}

static struct sample_vif *
fake_vif(struct hv *hv, uint32_t domid, unsigned devid)
{
	struct sample_domain *d = fake_find(hv, domid);

	for (size_t i = 0; d != NULL && i < d->n_vifs; i++)
		if (d->vifs[i].devid == devid)
			return &d->vifs[i];
	return NULL;
}

/* A kernel in miniature: the first throttle saves "what was there", lifting hands it back. */
static int
fake_shape(struct hv *hv, uint32_t domid, unsigned devid, const struct hv_vif_shape *w,
           char *saved, size_t len, struct err *e)
{
	struct fake *f = fake_of(hv);
	struct sample_vif *v = fake_vif(hv, domid, devid);
	uint64_t to = w->to_guest_bps, from = w->from_guest_bps;

	f->shape_calls++;
	if (v == NULL)
		return err_set(e, "no vif %u", devid);
	if ((int)devid == f->fail_devid)
		return err_set(e, "the kernel said no");
	if (f->clamp_rate && to > f->clamp_rate)
		to = f->clamp_rate;
	if (f->clamp_rate && from > f->clamp_rate)
		from = f->clamp_rate;
	v->to_guest.rate_bps = to;
	v->from_guest.rate_bps = from;
	if (!f->real_vifs)
		return 0;
	if (to == 0 && from == 0) {
		snprintf(f->lifted_with, sizeof f->lifted_with, "%s", saved);
		saved[0] = '\0';
	} else if (saved[0] == '\0') {
		snprintf(saved, len, "fq_codel-of-%s", v->ifname);
	}
	return 0;
}

static int
fake_ifname(struct hv *hv, uint32_t domid, unsigned devid, char *buf, size_t len, struct err *e)
{
	struct sample_vif *v = fake_vif(hv, domid, devid);

	if (v == NULL || !fake_of(hv)->real_vifs)
		return err_set(e, "vif %u is simulated", devid);
	snprintf(buf, len, "%s", v->ifname);
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
	.name = "fake", .sample = fake_sample, .read_domain = fake_read, .set_weight = fake_weight,
	.set_cap = fake_cap, .pin_vcpu = fake_pin, .set_paused = fake_pause, .close = fake_close,
	.set_vif_shape = fake_shape, .vif_ifname = fake_ifname, .set_vbd_ioprio = fake_ioprio,
};

struct fixture {
	struct fake fake;
	struct sample_vcpu vcpus[NDOM][2];
	struct sample_vif vifs[NDOM][NVIF];
	struct sample_vbd vbds[NVBD];
	struct hv hv;
	struct sample cur;
	struct action_ctx *ctx;
	char log[64];
	char state[64];         /* the throttle state file */
};

/*
 * A context on the fixture's host: audit log, read-only or not, throttle
 * state file. A second one on the same files is domtop started again.
 */
static struct action_ctx *
ctx_open(struct fixture *f, const char *audit, bool read_only, const char *throttle_state)
{
	struct action_ctx_opts o = { .hv = &f->hv, .audit_path = audit, .read_only = read_only,
	                             .host_label = "test", .throttle_state = throttle_state };
	struct action_ctx *c;
	struct err e;

	if (action_ctx_new(&c, &o, &e) < 0)
		fail_msg("action_ctx_new: %s", e.msg);
	return c;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	static const char *names[NDOM] = { "Domain-0", "web1", "evil\x1b]0;pwned\x07" };
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
		if (i == 1) {       /* web1 has two vifs */
			d->vifs = f->vifs[i];
			d->n_vifs = NVIF;
			for (int v = 0; v < NVIF; v++) {
				d->vifs[v].devid = (unsigned)v;
				d->vifs[v].ifindex = 10 + v;
				snprintf(d->vifs[v].ifname, sizeof d->vifs[v].ifname, "vif1.%d", v);
			}
			d->vbds = f->vbds;          /* and two vbds at the kernel's default ioprio */
			d->n_vbds = NVBD;
			for (int v = 0; v < NVBD; v++) {
				d->vbds[v].devid = 51712 + 16 * (unsigned)v;
				snprintf(d->vbds[v].name, sizeof d->vbds[v].name, "xvd%c", 'a' + v);
				d->vbds[v].ioprio_class = 0;
				d->vbds[v].ioprio_level = 4;
			}
		}
	}
	f->fake.fail_devid = -1;
	f->fake.fail_vbd = -1;
	f->hv = (struct hv){ .ops = &fake_ops, .priv = &f->fake };
	f->hv.host.nr_pcpus = 4;
	snprintf(f->hv.host.hostname, sizeof f->hv.host.hostname, "testhost");
	sample_init(&f->cur);
	assert_int_equal(hv_sample(&f->hv, &f->cur, 0, &e), 0);
	snprintf(f->log, sizeof f->log, "/tmp/domtop-test-audit-XXXXXX");
	fd = mkstemp(f->log);
	assert_true(fd >= 0);
	close(fd);
	snprintf(f->state, sizeof f->state, "/tmp/domtop-test-thr-XXXXXX");
	fd = mkstemp(f->state);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->state);       /* a name; the file appears when a throttle is kept */
	f->ctx = ctx_open(f, f->log, false, f->state);
	assert_null(action_disabled(f->ctx));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	char lock[80];

	action_ctx_free(f->ctx);
	sample_free(&f->cur);
	unlink(f->log);
	unlink(f->state);
	snprintf(lock, sizeof lock, "%s.lock", f->state);
	unlink(lock);
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

/* Parses and runs text in context c (a parse error is a refusal). */
static int
run_in(struct action_ctx *c, struct fixture *f, const char *text, struct action_result *res)
{
	struct action a;
	struct err e;

	if (action_parse(text, &a, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s", e.msg);
		res->ok = false;
		return -1;
	}
	return action_run(c, &f->cur, &a, res);
}

static int
run(struct fixture *f, const char *text, struct action_result *res)
{
	return run_in(f->ctx, f, text, res);
}

/* The action must be refused, with a message holding needle (unless NULL). */
static void
refused(struct fixture *f, const char *text, const char *needle)
{
	struct action_result res;

	if (run(f, text, &res) != -1)
		fail_msg("'%s' was not refused: %s", text, res.msg);
	if (needle != NULL && strstr(res.msg, needle) == NULL)
		fail_msg("'%s' refused with '%s', which lacks '%s'", text, res.msg, needle);
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

	refused(f, "weight web1 0", "1 to 65535");
	refused(f, "weight web1 70000", NULL);
	refused(f, "cap web1 201", "100 x 2 vcpus");
	refused(f, "pin web1 0-4", "does not exist");
	refused(f, "pin web1 2 0", "vcpus 0-1");
	refused(f, "pause Domain-0", NULL);
	refused(f, "unpause web1", "already running");
	refused(f, "weight nosuch 5", "no domain 'nosuch'");
	refused(f, "frobnicate web1", NULL);
	refused(f, "weight", NULL);
	refused(f, "pause web1 now", NULL);
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
	struct action_ctx *ro = ctx_open(f, f->log, true, "");
	struct action_result res;

	assert_int_equal(run_in(ro, f, "weight web1 512", &res), -1);
	assert_non_null(strstr(res.msg, "--read-only"));
	assert_int_equal(f->fake.doms[1].weight, 256);
	assert_non_null(strstr(slurp(f->log), "result=read-only"));
	action_ctx_free(ro);
}

static void
test_no_audit_log_no_actions(void **state)
{
	struct fixture *f = *state;
	struct action_ctx *c = ctx_open(f, "/proc/domtop-no/audit.log", false, "");
	struct action_result res;

	assert_non_null(action_disabled(c));
	assert_int_equal(run_in(c, f, "weight web1 512", &res), -1);
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

/* ---- throttles ---- */

static const struct sample_vif *
web1_vif(struct fixture *f, int i)
{
	return &f->fake.doms[1].vifs[i];
}

static void
test_throttle_both_ways_every_vif_and_undo(void **state)
{
	struct fixture *f = *state;
	struct action_result res;

	assert_int_equal(run(f, "throttle web1 10mbit", &res), 0);
	assert_string_equal(res.msg, "throttle web1: none -> 10mbit both ways");
	for (int i = 0; i < NVIF; i++) {
		assert_int_equal(web1_vif(f, i)->to_guest.rate_bps, 10000000);
		assert_int_equal(web1_vif(f, i)->from_guest.rate_bps, 10000000);
		assert_non_null(action_throttle_find(f->ctx, "web1", (unsigned)i));
	}
	assert_non_null(strstr(slurp(f->log), "action=throttle domain=web1 domid=1 old=none "
	                       "new=\"10mbit both ways\" result=ok"));
	assert_int_equal(run(f, "throttle web1 2mbit", &res), 0);
	assert_string_equal(res.msg, "throttle web1: 10mbit both ways -> 2mbit both ways");
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);      /* back to 10mbit */
	assert_string_equal(res.msg, "undo throttle web1: 2mbit both ways -> 10mbit both ways");
	assert_int_equal(web1_vif(f, 1)->from_guest.rate_bps, 10000000);
	assert_int_equal(action_throttle_find(f->ctx, "web1", 1)->to_guest_bps, 10000000);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);      /* back to none */
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 0);
	assert_int_equal(web1_vif(f, 0)->from_guest.rate_bps, 0);
	assert_null(action_throttle_find(f->ctx, "web1", 0));
	assert_null(action_throttle_find(f->ctx, "web1", 1));
	/* simulated vifs are sticky in memory only: no state file */
	assert_int_equal(access(f->state, F_OK), -1);
}

static void
test_throttle_one_vif_one_way_with_expiry(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	const struct throttle_entry *t;
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(run(f, "throttle web1:1 5mbit in for 2h", &res), 0);
	assert_int_equal(web1_vif(f, 1)->to_guest.rate_bps, 5000000);
	assert_int_equal(web1_vif(f, 1)->from_guest.rate_bps, 0);
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 0);
	assert_non_null(strstr(res.msg, "none -> in 5mbit, out none until 20"));
	t = action_throttle_find(f->ctx, "web1", 1);
	assert_non_null(t);
	assert_true(t->expires >= now + 7200 && t->expires <= now + 7202);
	assert_int_equal(action_throttle_next_expiry(f->ctx), t->expires);
	/* out only, on top: in stays; no "for" = no expiry */
	assert_int_equal(run(f, "throttle web1:1 1mbit out", &res), 0);
	assert_int_equal(web1_vif(f, 1)->to_guest.rate_bps, 5000000);
	assert_int_equal(web1_vif(f, 1)->from_guest.rate_bps, 1000000);
	assert_int_equal(action_throttle_find(f->ctx, "web1", 1)->expires, 0);
	assert_int_equal(run(f, "unthrottle web1", &res), 0);
	assert_int_equal(web1_vif(f, 1)->to_guest.rate_bps, 0);
	assert_null(action_throttle_find(f->ctx, "web1", 1));
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);      /* undo the unthrottle */
	assert_int_equal(web1_vif(f, 1)->from_guest.rate_bps, 1000000);
	assert_non_null(action_throttle_find(f->ctx, "web1", 1));
}

static void
test_throttle_refusals(void **state)
{
	struct fixture *f = *state;

	refused(f, "throttle web1", "missing value");
	refused(f, "throttle web1 10parsecs", "tc unit");
	refused(f, "throttle web1 1kbit", "8kbit to 1000gbit");
	refused(f, "throttle web1 10mbit sideways", "unexpected 'sideways'");
	refused(f, "throttle web1 10mbit for", NULL);
	refused(f, "throttle web1 10mbit for 0s", NULL);
	refused(f, "throttle web1 10mbit for 2 h", NULL);
	refused(f, "throttle web1:7 1mbit", "no vif 7 (its vifs: 0, 1)");
	refused(f, "throttle Domain-0 1mbit", "has no vifs");
	refused(f, "unthrottle web1 5mbit", NULL);
	refused(f, "throttle nosuch:0 1mbit", "no domain 'nosuch:0'");
	assert_int_equal(f->fake.shape_calls, 0);
	assert_int_equal(action_undo_depth(f->ctx), 0);
	f->fake.fail_devid = 1;    /* vif 1 fails: vif 0 gets its old throttle back */
	refused(f, "throttle web1 3mbit", "vif 1: the kernel said no");
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 0);
	assert_null(action_throttle_find(f->ctx, "web1", 0));
	assert_non_null(strstr(slurp(f->log), "action=throttle domain=web1 domid=1 old=none "
	                       "new=\"3mbit both ways\" result=refused"));
	f->fake.fail_devid = -1;
	f->fake.clamp_rate = 1000000;    /* a backend that does less than asked */
	refused(f, "throttle web1 3mbit", "asked for 3mbit both ways but it reads back 1mbit both ways");
	assert_int_equal(action_undo_depth(f->ctx), 0);
}

/* domtop started again, on the same audit log and throttle state file. */
static struct action_ctx *
restart(struct fixture *f)
{
	return ctx_open(f, f->log, false, f->state);
}

static void
test_sticky_state_survives_restart_and_undo_restores_saved(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	struct action_ctx *c2;
	const struct throttle_entry *t;
	char *text;

	f->fake.real_vifs = true;
	assert_int_equal(run(f, "throttle web1:0 20mbit", &res), 0);
	text = slurp(f->state);
	assert_non_null(strstr(text, "vif scope=fake:testhost domain=web1 devid=0 to=20000000 "
	                       "from=20000000 expires=0 domid=1 ifindex=10 ifname=vif1.0 "
	                       "saved=fq_codel-of-vif1.0\n"));
	/* domtop again: it knows the throttle and what lifting it must put back */
	c2 = restart(f);
	t = action_throttle_find(c2, "web1", 0);
	assert_non_null(t);
	assert_string_equal(t->saved, "fq_codel-of-vif1.0");
	assert_int_equal(run_in(c2, f, "unthrottle web1:0", &res), 0);
	assert_string_equal(f->fake.lifted_with, "fq_codel-of-vif1.0");
	assert_null(action_throttle_find(c2, "web1", 0));
	assert_null(strstr(slurp(f->state), "vif scope="));
	action_ctx_free(c2);
	/* the first domtop re-reads the file changed under it */
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, (int64_t)time(NULL), false, &res), 0);
	assert_null(action_throttle_find(f->ctx, "web1", 0));
}

static void
test_expiry_lifts_and_audits(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	int64_t now = (int64_t)time(NULL);

	assert_int_equal(run(f, "throttle web1 1mbit for 5s", &res), 0);
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, now + 2, true, &res), 0);
	assert_string_equal(res.msg, "");
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 1000000);
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, now + 6, true, &res), 2);
	assert_true(res.ok);
	assert_non_null(strstr(res.msg, "throttle of web1 vif 0 (1mbit both ways until"));
	assert_non_null(strstr(res.msg, "expired: lifted (and 1 more)"));
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 0);
	assert_int_equal(web1_vif(f, 1)->from_guest.rate_bps, 0);
	assert_null(action_throttle_find(f->ctx, "web1", 0));
	assert_int_equal(action_throttle_next_expiry(f->ctx), 0);
	assert_non_null(strstr(slurp(f->log), "op=expire action=throttle domain=web1 domid=1"));
	assert_non_null(strstr(slurp(f->log), "new=none result=ok"));
}

static void
test_expired_at_start_lifted_first(void **state)
{
	struct fixture *f = *state;
	struct action_ctx *c2;
	FILE *fp = fopen(f->state, "w");

	f->fake.real_vifs = true;
	f->fake.doms[1].vifs[0].to_guest.rate_bps = 4000000;     /* as a throttle left it */
	assert_non_null(fp);
	fprintf(fp, "# a comment\n"
	        "vif scope=fake:testhost domain=web1 devid=0 to=4000000 from=0 expires=1000 domid=1 "
	        "ifindex=10 ifname=vif1.0 saved=pfifo_fast%%20saved\n"
	        "vif scope=xen:elsewhere domain=web1 devid=0 to=4000000 from=0 expires=1000\n"
	        "vif scope=fake:testhost domain=web1 devid=1 to=lots from=0\n");
	fclose(fp);
	c2 = restart(f);
	assert_int_equal(web1_vif(f, 0)->to_guest.rate_bps, 0);
	assert_string_equal(f->fake.lifted_with, "pfifo_fast saved");
	assert_non_null(action_start_note(c2));
	assert_non_null(strstr(action_start_note(c2), "expired: lifted"));
	assert_non_null(action_warning(c2, 0));
	assert_non_null(strstr(action_warning(c2, 0), ":4: to must be a whole number"));
	assert_null(action_warning(c2, 1));
	assert_non_null(strstr(slurp(f->log), "op=expire"));
	/* another host's entry is kept; the corrupt line is dropped at the write */
	assert_non_null(strstr(slurp(f->state), "scope=xen:elsewhere"));
	assert_null(strstr(slurp(f->state), "to=lots"));
	action_ctx_free(c2);
}

static void
test_reapply_to_recreated_vif_not_to_drift(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	struct action_ctx *ro;
	struct sample_vif *v0 = &f->fake.doms[1].vifs[0];
	int64_t now = (int64_t)time(NULL);

	f->fake.real_vifs = true;
	assert_int_equal(run(f, "throttle web1:0 7mbit", &res), 0);
	/* the guest reboots: its vif is made again, without a qdisc, with a new ifindex */
	v0->ifindex = 42;
	v0->to_guest.rate_bps = v0->from_guest.rate_bps = 0;
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, now, false, &res), 0);
	assert_int_equal(v0->to_guest.rate_bps, 0);             /* only when asked to */
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, now, true, &res), 1);
	assert_string_equal(res.msg, "re-applied the throttle of web1 vif 0: 7mbit both ways "
	                    "(its vif is new)");
	assert_int_equal(v0->to_guest.rate_bps, 7000000);
	assert_int_equal(v0->from_guest.rate_bps, 7000000);
	assert_int_equal(action_throttle_find(f->ctx, "web1", 0)->ifindex, 42);
	assert_non_null(strstr(slurp(f->log), "op=reapply action=throttle domain=web1 domid=1 old=none "
	                       "new=\"7mbit both ways\" result=ok"));
	assert_non_null(strstr(slurp(f->state), "ifindex=42"));
	/* someone changes it by hand on the same vif: domtop does not fight */
	v0->to_guest.rate_bps = 0;
	assert_int_equal(action_throttle_maintain(f->ctx, &f->cur, now, true, &res), 0);
	assert_int_equal(v0->to_guest.rate_bps, 0);
	/* read-only: nothing at all */
	v0->ifindex = 43;
	ro = ctx_open(f, f->log, true, f->state);
	assert_int_equal(action_throttle_maintain(ro, &f->cur, now, true, &res), 0);
	assert_int_equal(v0->to_guest.rate_bps, 0);
	action_ctx_free(ro);
}

static void
test_throttle_current_value(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	char buf[256];
	struct err e;

	assert_int_equal(action_current(f->ctx, ACTION_THROTTLE, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(run(f, "throttle web1:1 500kbit out", &res), 0);
	assert_int_equal(action_current(f->ctx, ACTION_THROTTLE, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "vif0 none; vif1 in none, out 500kbit");
}

static void
test_ioprio_every_vbd_one_vbd_and_undo(void **state)
{
	struct fixture *f = *state;
	struct action_result res;
	char buf[128];
	struct err e;

	assert_int_equal(action_current(f->ctx, ACTION_IOPRIO, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "none");
	assert_int_equal(run(f, "ioprio web1 idle", &res), 0);
	assert_string_equal(res.msg, "ioprio web1: none -> idle");
	assert_int_equal(f->vbds[0].ioprio_class, 3);
	assert_int_equal(f->vbds[1].ioprio_class, 3);
	assert_non_null(strstr(slurp(f->log), "action=ioprio domain=web1 domid=1 old=none new=idle "
	                       "result=ok"));
	/* one vbd, by name or by device number; the others keep theirs */
	assert_int_equal(run(f, "ioprio web1:xvdb be/7", &res), 0);
	assert_string_equal(res.msg, "ioprio web1 xvdb: idle -> be/7");
	assert_int_equal(f->vbds[0].ioprio_class, 3);
	assert_int_equal(action_current(f->ctx, ACTION_IOPRIO, 1, buf, sizeof buf, &e), 0);
	assert_string_equal(buf, "xvda idle, xvdb be/7");
	assert_int_equal(run(f, "ioprio 1:51712 realtime/0", &res), 0);
	assert_string_equal(res.msg, "ioprio web1 xvda: idle -> rt/0");
	assert_int_equal(run(f, "ioprio web1 best-effort", &res), 0);   /* level 4 by default */
	assert_string_equal(res.msg, "ioprio web1: xvda rt/0, xvdb be/7 -> be/4");
	/* undo puts back each vbd's own value, down to the start */
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_string_equal(res.msg, "undo ioprio web1: be/4 -> xvda rt/0, xvdb be/7");
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_int_equal(action_undo(f->ctx, &f->cur, &res), 0);
	assert_string_equal(res.msg, "undo ioprio web1: idle -> none");
	for (int v = 0; v < NVBD; v++) {
		assert_int_equal(f->vbds[v].ioprio_class, 0);
		assert_int_equal(f->vbds[v].ioprio_level, 4);
	}
	/* two qdisks share one qemu: setting one says the other changes too */
	for (int v = 0; v < NVBD; v++)
		snprintf(f->vbds[v].backend, sizeof f->vbds[v].backend, "qdisk");
	sample_free(&f->cur);
	sample_init(&f->cur);
	assert_int_equal(hv_sample(&f->hv, &f->cur, 0, &e), 0);
	assert_int_equal(run(f, "ioprio web1:xvda idle", &res), 0);
	assert_string_equal(res.msg, "ioprio web1 xvda: none -> idle (one qemu serves all of web1's "
	                    "qdisks: xvdb changed too)");
}

static void
test_ioprio_refusals_change_nothing(void **state)
{
	struct fixture *f = *state;

	refused(f, "ioprio web1", "missing value");
	refused(f, "ioprio web1 idle/3", "no level");
	refused(f, "ioprio web1 be/8", "0 (highest) to 7");
	refused(f, "ioprio web1 be/", "0 (highest) to 7");
	refused(f, "ioprio web1 urgent", "none, idle, be");
	refused(f, "ioprio web1 \x1b[2J", "not '?[2J'");
	refused(f, "ioprio web1:xvdz idle", "web1 has no vbd xvdz (its vbds: xvda 51712, xvdb 51728)");
	refused(f, "ioprio web1:51713 idle", "has no vbd 51713");
	refused(f, "ioprio web1:xvd\x1b[2J idle", "web1 has no vbd xvd?[2J (its vbds");
	refused(f, "ioprio Domain-0 idle", "has no vbds");
	f->fake.fail_vbd = 51728;       /* xvda is set, xvdb fails: xvda is put back */
	refused(f, "ioprio web1 idle", "xvdb: the kernel said no");
	assert_non_null(strstr(slurp(f->log), "action=ioprio domain=web1 domid=1 old=none new=idle "
	                       "result=refused"));
	for (int v = 0; v < NVBD; v++)
		assert_int_equal(f->vbds[v].ioprio_class, 0);
	assert_int_equal(action_undo_depth(f->ctx), 0);
}

#define FIX_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		FIX_TEST(test_weight_applied_read_back_audited_undone),
		FIX_TEST(test_refusals_change_nothing),
		FIX_TEST(test_cap_by_id_and_pause),
		FIX_TEST(test_pin_undo_restores_each_vcpu),
		FIX_TEST(test_read_back_mismatch_is_reported),
		FIX_TEST(test_hostile_name_cannot_forge_audit),
		FIX_TEST(test_read_only_refuses_and_audits),
		FIX_TEST(test_no_audit_log_no_actions),
		FIX_TEST(test_current_values),
		FIX_TEST(test_throttle_both_ways_every_vif_and_undo),
		FIX_TEST(test_throttle_one_vif_one_way_with_expiry),
		FIX_TEST(test_throttle_refusals),
		FIX_TEST(test_sticky_state_survives_restart_and_undo_restores_saved),
		FIX_TEST(test_expiry_lifts_and_audits),
		FIX_TEST(test_expired_at_start_lifted_first),
		FIX_TEST(test_reapply_to_recreated_vif_not_to_drift),
		FIX_TEST(test_throttle_current_value),
		FIX_TEST(test_ioprio_every_vbd_one_vbd_and_undo),
		FIX_TEST(test_ioprio_refusals_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
