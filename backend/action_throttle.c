/*
 * action_throttle.c: the throttle and unthrottle kinds of action (see
 * action.h) and the sticky-throttle registry they keep (throttle.h):
 * applying a throttle records it with what lifting it must restore, lifting
 * one forgets it, undo puts back the entry that was there before;
 * action_throttle_maintain() lifts expired ones (op=expire) and re-applies
 * those whose vif was re-created (op=reapply). The pipeline is action.c's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/action_int.h"
#include "backend/rate.h"
#include "backend/str.h"

/* ---- throttle, unthrottle ---- */

enum { THR_IN = 1, THR_OUT = 2 };     /* to the guest, from the guest */

struct throttle_arg {
	uint64_t bps;
	unsigned dirs;
	int64_t for_s;                /* 0: no expiry */
};

/* "RATE [in|out|both] [for DURATION]" */
static int
throttle_parse_arg(const char *arg, struct throttle_arg *t, struct err *e)
{
	char buf[sizeof ((struct action *)0)->arg], clean[64], *save = NULL, *tok;
	bool dir_seen = false;

	memset(t, 0, sizeof *t);
	t->dirs = THR_IN | THR_OUT;
	str_copy(buf, arg, sizeof buf);
	if ((tok = strtok_r(buf, " \t", &save)) == NULL)
		return err_set(e, "give a rate: throttle DOMAIN[:DEVID] RATE [in|out|both] "
		               "[for DURATION], e.g. 'throttle web1 10mbit for 2h'");
	if (throttle_parse_rate(tok, &t->bps, e) < 0)
		return -1;
	while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
		unsigned dirs = !strcmp(tok, "in") ? THR_IN : !strcmp(tok, "out") ? THR_OUT :
		                !strcmp(tok, "both") ? THR_IN | THR_OUT : 0;

		if (dirs != 0 && !dir_seen && t->for_s == 0) {
			t->dirs = dirs;
			dir_seen = true;
		} else if (strcmp(tok, "for") == 0 && t->for_s == 0) {
			if ((tok = strtok_r(NULL, " \t", &save)) == NULL)
				return err_set(e, "'for' needs a duration, e.g. 'for 2h'");
			if (throttle_parse_duration(tok, &t->for_s, e) < 0)
				return -1;
		} else {
			str_sanitize(clean, sizeof clean, tok);
			return err_set(e, "unexpected '%s': throttle DOMAIN[:DEVID] RATE [in|out|both] "
			               "[for DURATION]", clean);
		}
	}
	return 0;
}

/* "0, 1, 2": the devids of d's vifs, for messages. */
static void
vif_list(const struct sample_domain *d, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_vifs && at + 1 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%u", i ? ", " : "", d->vifs[i].devid);
}

/* The vifs an action names (one, or every one) into v, as they are in d. */
static int
throttle_select(const struct sample_domain *d, const struct action *a, struct action_value *v,
                struct err *e)
{
	char list[128];
	size_t n = 0;

	if (d->n_vifs == 0)
		return err_set(e, "%s has no vifs to throttle", a->domname);
	if (a->devid >= 0 && sample_find_vif(d, (unsigned)a->devid) == NULL) {
		vif_list(d, list, sizeof list);
		return err_set(e, "%s has no vif %d (its vifs: %s)", a->domname, a->devid, list);
	}
	v->vifs = calloc(d->n_vifs, sizeof *v->vifs);
	if (v->vifs == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < d->n_vifs; i++) {
		const struct sample_vif *f = &d->vifs[i];

		if (a->devid >= 0 && f->devid != (unsigned)a->devid)
			continue;
		v->vifs[n++] = (struct action_vif){ f->devid, f->to_guest.rate_bps,
		                                    f->from_guest.rate_bps, 0, f->ifindex };
	}
	v->n_vifs = (unsigned)n;
	return 0;
}

int
action_throttle_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
              struct action_value *v, struct err *e)
{
	struct throttle_arg t = { 0, 0, 0 };
	struct sample_domain now;
	int64_t expires;
	int rc;

	(void)d;
	if (a->kind == ACTION_THROTTLE && throttle_parse_arg(a->arg, &t, e) < 0)
		return -1;
	if (a->kind == ACTION_UNTHROTTLE && a->arg[0] != '\0')
		return err_set(e, "unthrottle takes no value: unthrottle DOMAIN[:DEVID]");
	memset(&now, 0, sizeof now);
	if (hv_read_domain(c->hv, a->domid, &now, e) < 0)
		return -1;
	rc = throttle_select(&now, a, v, e);
	hv_domain_free(&now);
	if (rc < 0)
		return -1;
	expires = t.for_s ? (int64_t)time(NULL) + t.for_s : 0;
	for (unsigned i = 0; i < v->n_vifs; i++) {
		struct action_vif *f = &v->vifs[i];

		if (a->kind == ACTION_UNTHROTTLE) {
			f->to_guest_bps = f->from_guest_bps = 0;
			f->expires = 0;
			continue;
		}
		if (t.dirs & THR_IN)
			f->to_guest_bps = t.bps;
		if (t.dirs & THR_OUT)
			f->from_guest_bps = t.bps;
		f->expires = expires;
	}
	return 0;
}

int
action_throttle_get(struct action_ctx *c, const struct sample_domain *d, const struct action_value *shape,
             struct action_value *v, struct err *e)
{
	unsigned n = shape->n_vifs ? shape->n_vifs : (unsigned)d->n_vifs;

	v->vifs = calloc(n + 1, sizeof *v->vifs);
	if (v->vifs == NULL)
		return err_set(e, "out of memory");
	v->n_vifs = n;
	for (unsigned i = 0; i < n; i++) {
		unsigned devid = shape->n_vifs ? shape->vifs[i].devid : d->vifs[i].devid;
		const struct sample_vif *f = sample_find_vif(d, devid);
		const struct throttle_entry *t;

		if (f == NULL)
			return err_set(e, "vif %u of %s is gone", devid, d->name);
		v->vifs[i] = (struct action_vif){ devid, f->to_guest.rate_bps, f->from_guest.rate_bps,
		                                  0, f->ifindex };
		t = throttle_find(&c->throttles, c->scope, d->name, devid);
		if (t != NULL && (f->to_guest.rate_bps || f->from_guest.rate_bps))
			v->vifs[i].expires = t->expires;
	}
	return 0;
}

/* Starts a change of the state file once; a failure only costs stickiness (noted). */
static void
throttle_begin(struct action_ctx *c, bool *began)
{
	struct err e;

	if (*began)
		return;
	if (throttle_reg_begin(&c->throttles, &e) < 0)
		snprintf(c->note, sizeof c->note, "not kept across restarts: %s", e.msg);
	else
		*began = true;
}

static void
throttle_commit(struct action_ctx *c, bool began)
{
	struct err e;

	if (began && throttle_reg_commit(&c->throttles, &e) < 0)
		snprintf(c->note, sizeof c->note, "not kept across restarts: %s", e.msg);
}

/*
 * Sets one vif of domain (raw name) domid to *want and records it: an entry
 * with its saved state, or none once it is lifted. f is the vif as read
 * before (its ifindex).
 */
static int
throttle_set_one(struct action_ctx *c, const char *domain, uint32_t domid,
                 const struct action_vif *want, int ifindex, bool *began, struct err *e)
{
	struct hv_vif_shape rates = { want->to_guest_bps, want->from_guest_bps };
	struct throttle_entry t, *old;
	char ifname[SAMPLE_DEV_MAX] = "";
	struct err ie;
	bool real = hv_vif_ifname(c->hv, domid, want->devid, ifname, sizeof ifname, &ie) == 0;

	if (real)
		throttle_begin(c, began);
	memset(&t, 0, sizeof t);
	old = throttle_find(&c->throttles, c->scope, domain, want->devid);
	if (old != NULL)
		t = *old;
	/* a saved state from another interface (re-created since) must not be put back */
	if (old != NULL && (!real || old->ifindex != ifindex || strcmp(old->ifname, ifname) != 0))
		t.saved[0] = '\0';
	if (hv_set_vif_shape(c->hv, domid, want->devid, &rates, t.saved, sizeof t.saved, e) < 0)
		return -1;
	if (rates.to_guest_bps == 0 && rates.from_guest_bps == 0) {
		throttle_remove(&c->throttles, c->scope, domain, want->devid);
		return 0;
	}
	str_copy(t.scope, c->scope, sizeof t.scope);
	str_copy(t.domain, domain, sizeof t.domain);
	str_copy(t.ifname, ifname, sizeof t.ifname);
	t.devid = want->devid;
	t.to_guest_bps = want->to_guest_bps;
	t.from_guest_bps = want->from_guest_bps;
	t.expires = want->expires;
	t.domid = domid;
	t.ifindex = ifindex;
	t.persist = real;
	if (throttle_put(&c->throttles, &t, &ie) < 0)
		snprintf(c->note, sizeof c->note, "not recorded as sticky: %s", ie.msg);
	return 0;
}

int
action_throttle_apply(struct action_ctx *c, const struct action *a, const struct action_value *want,
               const struct action_value *old, struct err *e)
{
	struct sample_domain now;
	bool began = false;
	unsigned i;
	int rc = 0;

	memset(&now, 0, sizeof now);
	if (hv_read_domain(c->hv, a->domid, &now, e) < 0)
		return -1;
	for (i = 0; i < want->n_vifs && rc == 0; i++) {
		const struct sample_vif *f = sample_find_vif(&now, want->vifs[i].devid);

		rc = throttle_set_one(c, a->rawname, a->domid, &want->vifs[i], f ? f->ifindex : 0,
		                      &began, e);
		if (rc < 0 && want->n_vifs > 1)
			err_prefix(e, "vif %u", want->vifs[i].devid);
	}
	/* a failed vif: the ones before it get their old throttle back */
	for (unsigned j = 0; rc < 0 && j + 1 < i && old != NULL && j < old->n_vifs; j++) {
		const struct sample_vif *f = sample_find_vif(&now, old->vifs[j].devid);
		struct err e2;

		throttle_set_one(c, a->rawname, a->domid, &old->vifs[j], f ? f->ifindex : 0, &began,
		                 &e2);
	}
	hv_domain_free(&now);
	throttle_commit(c, began);
	return rc;
}

/* One vif: "none", "10mbit both ways", "in 10mbit, out none", with " until ...". */
static void
throttle_vif_text(uint64_t to, uint64_t from, int64_t expires, char *buf, size_t len)
{
	char t[32] = "none", f[32] = "none", until[48] = "";

	if (to == 0 && from == 0) {
		snprintf(buf, len, "none");
		return;
	}
	if (to)
		rate_format(to, t, sizeof t);
	if (from)
		rate_format(from, f, sizeof f);
	if (expires > 0) {
		char when[32];

		throttle_format_time(expires, when, sizeof when);
		snprintf(until, sizeof until, " until %s", when);
	}
	if (to == from)
		snprintf(buf, len, "%s both ways%s", t, until);
	else
		snprintf(buf, len, "in %s, out %s%s", t, f, until);
}

void
action_throttle_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	bool same = true;
	size_t at = 0;

	(void)nr_pcpus;
	buf[0] = '\0';
	for (unsigned i = 1; i < v->n_vifs; i++)
		same = same && v->vifs[i].to_guest_bps == v->vifs[0].to_guest_bps
		       && v->vifs[i].from_guest_bps == v->vifs[0].from_guest_bps
		       && v->vifs[i].expires == v->vifs[0].expires;
	if (v->n_vifs == 0) {
		snprintf(buf, len, "none");
		return;
	}
	if (same) {
		throttle_vif_text(v->vifs[0].to_guest_bps, v->vifs[0].from_guest_bps,
		                  v->vifs[0].expires, buf, len);
		return;
	}
	for (unsigned i = 0; i < v->n_vifs && at + 1 < len; i++) {
		char one[160];
		int n;

		throttle_vif_text(v->vifs[i].to_guest_bps, v->vifs[i].from_guest_bps,
		                  v->vifs[i].expires, one, sizeof one);
		n = snprintf(buf + at, len - at, "%svif%u %s", i ? "; " : "", v->vifs[i].devid, one);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

/* ---- the registry ---- */

/* Loads the registry; at start, lifts what expired while no domtop ran. */
void
action_throttle_open(struct action_ctx *c, const char *path)
{
	char def[THROTTLE_PATH_MAX];
	struct action_result res;
	struct sample s;
	struct err e;
	int64_t now = (int64_t)time(NULL), next;

	if (path == NULL) {
		throttle_default_path(def, sizeof def);
		path = def;
	}
	throttle_reg_init(&c->throttles, path);
	snprintf(c->scope, sizeof c->scope, "%s:%s", c->hv->ops->name, c->hv->host.hostname);
	if (throttle_reg_load(&c->throttles, &e) < 0)
		action_warn(c, e.msg);
	for (size_t i = 0; i < c->throttles.n_warnings && i < THROTTLE_MAX_WARNINGS; i++)
		action_warn(c, c->throttles.warnings[i]);
	next = throttle_next_expiry(&c->throttles, c->scope);
	if (next == 0 || next > now || c->read_only || c->disabled[0] != '\0')
		return;
	sample_init(&s);
	if (hv_sample(c->hv, &s, 0, &e) < 0) {
		err_prefix(&e, "expired throttles not lifted");
		action_warn(c, e.msg);
	} else if (action_throttle_maintain(c, &s, now, false, &res) < 0) {
		action_warn(c, res.msg);
	} else if (res.msg[0] != '\0') {
		str_copy(c->start_note, res.msg, sizeof c->start_note);
	}
	sample_free(&s);
}

void
action_throttle_close(struct action_ctx *c)
{
	throttle_reg_free(&c->throttles);
}

/* ---- sticky throttles ---- */

const struct throttle_entry *
action_throttle_find(struct action_ctx *c, const char *domain, unsigned devid)
{
	return throttle_find(&c->throttles, c->scope, domain, devid);
}

int64_t
action_throttle_next_expiry(struct action_ctx *c)
{
	return throttle_next_expiry(&c->throttles, c->scope);
}

/* What maintain did: a count, the first message, and whether something failed. */
struct maint {
	int done, failed;
	char first[ERR_MSG_MAX];
	bool began;
};

static void
maint_say(struct maint *m, bool failed, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
maint_say(struct maint *m, bool failed, const char *fmt, ...)
{
	va_list ap;

	if (failed)
		m->failed++;
	else
		m->done++;
	if (m->first[0] != '\0' && !(failed && m->failed == 1))
		return;             /* the first failure wins over successes */
	va_start(ap, fmt);
	vsnprintf(m->first, sizeof m->first, fmt, ap);
	va_end(ap);
}

static const struct sample_domain *
action_domain_named(const struct sample *cur, const char *name)
{
	for (size_t i = 0; i < cur->n_domains; i++)
		if (strcmp(cur->domains[i].name, name) == 0)
			return &cur->domains[i];
	return NULL;
}

static void
throttle_audit(struct action_ctx *c, const char *op, const char *domain, uint32_t domid,
               const char *old, const char *new_value, const char *result)
{
	char clean[SAMPLE_NAME_MAX];
	struct err e;

	str_sanitize(clean, sizeof clean, domain);
	audit_record(c->audit, op, "throttle", clean, domid, old, new_value, result, &e);
}

/* The vif's throttle read back now, as text; "" when it cannot be read. */
static void
throttle_read_text(struct action_ctx *c, uint32_t domid, unsigned devid, struct sample_vif *out,
                   char *buf, size_t len)
{
	struct sample_domain d;
	const struct sample_vif *f;
	struct err e;

	memset(&d, 0, sizeof d);
	memset(out, 0, sizeof *out);
	buf[0] = '\0';
	if (hv_read_domain(c->hv, domid, &d, &e) < 0)
		return;
	if ((f = sample_find_vif(&d, devid)) != NULL) {
		*out = *f;
		throttle_vif_text(f->to_guest.rate_bps, f->from_guest.rate_bps, 0, buf, len);
	}
	hv_domain_free(&d);
}

/* Lifts one expired throttle (a copy of its entry) and forgets it. */
static void
throttle_expire_one(struct action_ctx *c, const struct sample *cur, const struct throttle_entry *t,
                    struct maint *m)
{
	const struct sample_domain *d = action_domain_named(cur, t->domain);
	struct action_vif none = { .devid = t->devid, .ifindex = t->ifindex };
	char old[160], now[160] = "none", name[SAMPLE_NAME_MAX];
	struct sample_vif after;
	struct err e;
	uint32_t domid = d ? d->domid : t->domid;

	str_sanitize(name, sizeof name, t->domain);
	throttle_vif_text(t->to_guest_bps, t->from_guest_bps, t->expires, old, sizeof old);
	if (t->persist)
		throttle_begin(c, &m->began);
	if (d == NULL || sample_find_vif(d, t->devid) == NULL) {
		/* nothing runs it now: forgetting it is the whole lift */
		throttle_remove(&c->throttles, c->scope, t->domain, t->devid);
		throttle_audit(c, "expire", t->domain, domid, old, d ? "none (vif gone)" :
		               "none (domain not running)", "ok");
		maint_say(m, false, "throttle of %s vif %u expired and was forgotten (%s)", name,
		          t->devid, d ? "its vif is gone" : "the domain is not running");
		return;
	}
	if (throttle_set_one(c, t->domain, domid, &none, t->ifindex, &m->began, &e) < 0) {
		throttle_audit(c, "expire", t->domain, domid, old, old, "failed");
		maint_say(m, true, "throttle of %s vif %u expired but could not be lifted: %s", name,
		          t->devid, e.msg);
		return;
	}
	throttle_read_text(c, domid, t->devid, &after, now, sizeof now);
	if (after.to_guest.rate_bps || after.from_guest.rate_bps) {
		throttle_audit(c, "expire", t->domain, domid, old, now, "mismatch");
		maint_say(m, true, "throttle of %s vif %u expired, but it still reads %s", name,
		          t->devid, now);
		return;
	}
	throttle_audit(c, "expire", t->domain, domid, old, now[0] ? now : "none", "ok");
	maint_say(m, false, "throttle of %s vif %u (%s) expired: lifted", name, t->devid, old);
}

static void
throttle_expire_all(struct action_ctx *c, const struct sample *cur, int64_t now, struct maint *m)
{
	struct throttle_entry t;

	if (now < c->expire_retry)
		return;
	for (;;) {
		const struct throttle_entry *next = NULL;

		for (size_t i = 0; i < c->throttles.n; i++) {
			const struct throttle_entry *x = &c->throttles.e[i];

			if (x->expires > 0 && x->expires <= now && strcmp(x->scope, c->scope) == 0) {
				next = x;
				break;
			}
		}
		if (next == NULL)
			return;
		t = *next;      /* the registry may be re-read under us */
		throttle_expire_one(c, cur, &t, m);
		if (throttle_find(&c->throttles, c->scope, t.domain, t.devid) != NULL) {
			c->expire_retry = now + ACTION_EXPIRE_RETRY_S;   /* failed: not again at once */
			return;
		}
	}
}

/* One wanted throttle against its vif as read now: re-applied when the vif is new. */
static void
throttle_reapply_one(struct action_ctx *c, const struct sample_domain *d,
                     const struct sample_vif *f, size_t idx, struct maint *m)
{
	struct throttle_entry t = c->throttles.e[idx];
	struct action_vif want = { t.devid, t.to_guest_bps, t.from_guest_bps, t.expires, 0 };
	char wanted[160], before[160], now[160], name[SAMPLE_NAME_MAX], ifname[SAMPLE_DEV_MAX] = "";
	struct sample_vif after;
	struct throttle_entry *e2;
	struct err e;

	switch (throttle_decide(&t, d->domid, f)) {
	case THROTTLE_IN_EFFECT:
		hv_vif_ifname(c->hv, d->domid, t.devid, ifname, sizeof ifname, &e);
		if (t.domid == d->domid && t.ifindex == f->ifindex && strcmp(t.ifname, ifname) == 0)
			return;
		/* in effect on another incarnation (found so at start): remember where */
		if (t.persist)
			throttle_begin(c, &m->began);
		if ((e2 = throttle_find(&c->throttles, c->scope, t.domain, t.devid)) != NULL) {
			e2->domid = d->domid;
			e2->ifindex = f->ifindex;
			str_copy(e2->ifname, ifname, sizeof e2->ifname);
		}
		return;
	case THROTTLE_ABSENT:
	case THROTTLE_DRIFT:
		return;
	case THROTTLE_REAPPLY:
		break;
	}
	str_sanitize(name, sizeof name, t.domain);
	throttle_vif_text(t.to_guest_bps, t.from_guest_bps, 0, wanted, sizeof wanted);
	throttle_vif_text(f->to_guest.rate_bps, f->from_guest.rate_bps, 0, before, sizeof before);
	if (t.persist)
		throttle_begin(c, &m->began);
	if (throttle_set_one(c, t.domain, d->domid, &want, f->ifindex, &m->began, &e) < 0) {
		throttle_audit(c, "reapply", t.domain, d->domid, before, wanted, "failed");
		maint_say(m, true, "cannot re-apply the throttle of %s vif %u (%s): %s", name, t.devid,
		          wanted, e.msg);
		return;
	}
	throttle_read_text(c, d->domid, t.devid, &after, now, sizeof now);
	if (after.to_guest.rate_bps != t.to_guest_bps || after.from_guest.rate_bps != t.from_guest_bps) {
		throttle_audit(c, "reapply", t.domain, d->domid, before, now, "mismatch");
		maint_say(m, true, "re-applied the throttle of %s vif %u (%s), but it reads %s", name,
		          t.devid, wanted, now);
		return;
	}
	throttle_audit(c, "reapply", t.domain, d->domid, before, now, "ok");
	maint_say(m, false, "re-applied the throttle of %s vif %u: %s (its vif is new)", name,
	          t.devid, now);
}

static void
throttle_reapply_all(struct action_ctx *c, const struct sample *cur, struct maint *m)
{
	/* by index over a registry that throttle_begin may re-read: look each one up again */
	for (size_t i = 0; i < c->throttles.n; i++) {
		struct throttle_entry *t = &c->throttles.e[i];
		const struct sample_domain *d;
		const struct sample_vif *f;
		struct sample_domain fresh;
		char domain[SAMPLE_NAME_MAX];
		unsigned devid = t->devid;
		struct err e;

		if (strcmp(t->scope, c->scope) != 0 || (d = action_domain_named(cur, t->domain)) == NULL)
			continue;
		str_copy(domain, t->domain, sizeof domain);
		memset(&fresh, 0, sizeof fresh);
		if (hv_read_domain(c->hv, d->domid, &fresh, &e) < 0)
			continue;       /* gone since the sample */
		if ((f = sample_find_vif(&fresh, devid)) != NULL) {
			for (size_t k = 0; k < c->throttles.n; k++) {
				const struct throttle_entry *x = &c->throttles.e[k];

				if (x->devid == devid && !strcmp(x->domain, domain) && !strcmp(x->scope, c->scope)) {
					throttle_reapply_one(c, &fresh, f, k, m);
					break;
				}
			}
		}
		hv_domain_free(&fresh);
	}
}

int
action_throttle_maintain(struct action_ctx *c, const struct sample *cur, int64_t now,
                         bool reapply, struct action_result *res)
{
	struct maint m;
	struct err e;
	int loaded;

	memset(res, 0, sizeof *res);
	memset(&m, 0, sizeof m);
	res->ok = true;
	if (c->disabled[0] != '\0' || c->read_only)
		return 0;
	c->note[0] = '\0';
	loaded = throttle_reg_load(&c->throttles, &e);
	if (loaded < 0) {
		res->ok = false;
		snprintf(res->msg, sizeof res->msg, "sticky throttles: %s", e.msg);
		return -1;
	}
	throttle_expire_all(c, cur, now, &m);
	if (reapply)
		throttle_reapply_all(c, cur, &m);
	throttle_commit(c, m.began);
	if (m.done + m.failed > 1)
		snprintf(res->msg, sizeof res->msg, "%s (and %d more)", m.first, m.done + m.failed - 1);
	else
		str_copy(res->msg, m.first, sizeof res->msg);
	if (loaded > 0 && c->throttles.n_warnings > 0 && m.done + m.failed == 0) {
		snprintf(res->msg, sizeof res->msg, "%s%s", c->throttles.warnings[0],
		         c->throttles.n_warnings > 1 ? " (and more bad lines)" : "");
		res->ok = false;
	}
	if (c->note[0] != '\0' && m.failed == 0) {
		str_copy(res->msg + strlen(res->msg), res->msg[0] ? "; " : "", sizeof res->msg - strlen(res->msg));
		str_copy(res->msg + strlen(res->msg), c->note, sizeof res->msg - strlen(res->msg));
		c->note[0] = '\0';
	}
	res->ok = res->ok && m.failed == 0;
	return m.failed > 0 ? -1 : m.done;
}
