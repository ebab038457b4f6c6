/*
 * action.c: the action API (see action.h). Each kind of action is a row of
 * action_kinds[]: how to validate its argument into a wanted value, how to
 * read the current value off a domain, how to apply a value, how to print
 * one. action_run and action_undo are the same pipeline over that table:
 * validate, read old, apply, read back, audit, push undo.
 *
 * The throttle kinds and the sticky-throttle registry are in
 * action_throttle.c, the IO priority kind in action_ioprio.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/action_int.h"
#include "backend/audit.h"
#include "backend/cpulist.h"
#include "backend/str.h"

/* ---- values ---- */

void
action_value_free(struct action_value *v)
{
	free(v->cpus);
	free(v->vifs);
	free(v->vbds);
	memset(v, 0, sizeof *v);
}

static bool
action_value_equal(const struct action_value *a, const struct action_value *b)
{
	if (a->num != b->num || a->paused != b->paused ||
	    a->vcpu_first != b->vcpu_first || a->n_vcpus != b->n_vcpus || a->n_vifs != b->n_vifs ||
	    a->n_vbds != b->n_vbds)
		return false;
	for (unsigned i = 0; i < a->n_vcpus; i++)
		if (!cpuset_equal(&a->cpus[i], &b->cpus[i]))
			return false;
	for (unsigned i = 0; i < a->n_vifs; i++) {
		const struct action_vif *x = &a->vifs[i], *y = &b->vifs[i];

		if (x->devid != y->devid || x->to_guest_bps != y->to_guest_bps
		    || x->from_guest_bps != y->from_guest_bps || x->expires != y->expires)
			return false;
	}
	for (unsigned i = 0; i < a->n_vbds; i++) {
		const struct action_vbd *x = &a->vbds[i], *y = &b->vbds[i];

		if (x->devid != y->devid || x->ioclass != y->ioclass || x->level != y->level)
			return false;
	}
	return true;
}

/* ---- weight ---- */

static int
weight_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
            struct action_value *v, struct err *e)
{
	unsigned long long n;

	(void)c;
	(void)d;
	if (!str_to_uint(a->arg, 1, 65535, &n))
		return err_set(e, "weight must be a whole number from 1 to 65535 (default 256), not '%s'", a->arg);
	v->num = (unsigned)n;
	return 0;
}

static int
weight_get(struct action_ctx *c, const struct sample_domain *d, const struct action_value *shape,
           struct action_value *v, struct err *e)
{
	(void)c;
	(void)shape;
	(void)e;
	v->num = d->weight;
	return 0;
}

static int
weight_apply(struct action_ctx *c, const struct action *a, const struct action_value *v,
             const struct action_value *old, struct err *e)
{
	(void)old;
	return hv_set_weight(c->hv, a->domid, v->num, e);
}

static void
num_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	(void)nr_pcpus;
	snprintf(buf, len, "%u", v->num);
}

/* ---- cap ---- */

static int
cap_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
         struct action_value *v, struct err *e)
{
	unsigned long long n, max = 100ull * (d->nr_vcpus ? d->nr_vcpus : 1);

	(void)c;
	if (!str_to_uint(a->arg, 0, max, &n))
		return err_set(e, "cap of %s must be 0 (none) to %llu (100 x %u vcpus), not '%s'",
		               a->domname, max, d->nr_vcpus, a->arg);
	v->num = (unsigned)n;
	return 0;
}

static int
cap_get(struct action_ctx *c, const struct sample_domain *d, const struct action_value *shape,
        struct action_value *v, struct err *e)
{
	(void)c;
	(void)shape;
	(void)e;
	v->num = d->cap;
	return 0;
}

static int
cap_apply(struct action_ctx *c, const struct action *a, const struct action_value *v,
          const struct action_value *old, struct err *e)
{
	(void)old;
	return hv_set_cap(c->hv, a->domid, v->num, e);
}

static void
cap_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	(void)nr_pcpus;
	if (v->num == 0)
		snprintf(buf, len, "0 (none)");
	else
		snprintf(buf, len, "%u%%", v->num);
}

/* ---- pin ---- */

/* "CPULIST" (every vcpu), "all CPULIST" or "VCPU CPULIST". */
static int
pin_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
         struct action_value *v, struct err *e)
{
	char buf[sizeof a->arg], *list = buf, *sp;
	unsigned long long vcpu;
	struct cpuset set;

	str_copy(buf, a->arg, sizeof buf);
	str_trim(buf);
	v->vcpu_first = 0;
	v->n_vcpus = (unsigned)d->n_vcpus;
	if ((sp = strchr(buf, ' ')) != NULL) {
		*sp = '\0';
		list = str_trim(sp + 1);
		if (strcmp(buf, "all") != 0) {
			if (!str_to_uint(buf, 0, d->n_vcpus ? d->n_vcpus - 1 : 0, &vcpu) || d->n_vcpus == 0)
				return err_set(e, "%s has vcpus 0-%zu; '%s' is not one of them",
				               a->domname, d->n_vcpus ? d->n_vcpus - 1 : 0, buf);
			v->vcpu_first = (unsigned)vcpu;
			v->n_vcpus = 1;
		}
	}
	if (v->n_vcpus == 0)
		return err_set(e, "%s has no vcpus to pin", a->domname);
	if (cpulist_parse(list, c->hv->host.nr_pcpus, &set, e) < 0)
		return -1;
	v->cpus = malloc(v->n_vcpus * sizeof *v->cpus);
	if (v->cpus == NULL)
		return err_set(e, "out of memory");
	for (unsigned i = 0; i < v->n_vcpus; i++)
		v->cpus[i] = set;
	return 0;
}

static int
pin_get(struct action_ctx *c, const struct sample_domain *d, const struct action_value *shape,
        struct action_value *v, struct err *e)
{
	(void)c;
	v->vcpu_first = shape->vcpu_first;
	v->n_vcpus = shape->n_vcpus;
	if (shape->vcpu_first + shape->n_vcpus > d->n_vcpus)
		return err_set(e, "%s now has %zu vcpus: it changed while pinning", d->name, d->n_vcpus);
	v->cpus = malloc(v->n_vcpus * sizeof *v->cpus);
	if (v->cpus == NULL)
		return err_set(e, "out of memory");
	for (unsigned i = 0; i < v->n_vcpus; i++)
		v->cpus[i] = d->vcpus[v->vcpu_first + i].affinity;
	return 0;
}

static int
pin_apply(struct action_ctx *c, const struct action *a, const struct action_value *v,
          const struct action_value *old, struct err *e)
{
	(void)old;
	for (unsigned i = 0; i < v->n_vcpus; i++)
		if (hv_pin_vcpu(c->hv, a->domid, (int)(v->vcpu_first + i), &v->cpus[i], e) < 0)
			return err_prefix(e, "vcpu %u", v->vcpu_first + i);
	return 0;
}

static void
pin_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	char list[256];
	size_t off = 0;
	bool same = true;

	for (unsigned i = 1; i < v->n_vcpus; i++)
		same = same && cpuset_equal(&v->cpus[0], &v->cpus[i]);
	buf[0] = '\0';
	if (v->n_vcpus == 0)
		return;
	if (same) {
		cpulist_format(&v->cpus[0], nr_pcpus, list, sizeof list);
		if (v->n_vcpus == 1)
			snprintf(buf, len, "vcpu %u: %s", v->vcpu_first, list);
		else
			snprintf(buf, len, "%s", list);
		return;
	}
	for (unsigned i = 0; i < v->n_vcpus && off < len; i++) {
		int n;

		cpulist_format(&v->cpus[i], nr_pcpus, list, sizeof list);
		n = snprintf(buf + off, len - off, "%s%u:%s", i ? " " : "", v->vcpu_first + i, list);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* ---- pause, unpause ---- */

static int
pause_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
           struct action_value *v, struct err *e)
{
	(void)c;
	v->paused = (a->kind == ACTION_PAUSE);
	if (v->paused && d->domid == 0)
		return err_set(e, "Domain-0 cannot be paused");
	if (v->paused == ((d->state & DOM_PAUSED) != 0))
		return err_set(e, "%s is already %s", a->domname, v->paused ? "paused" : "running");
	return 0;
}

static int
pause_get(struct action_ctx *c, const struct sample_domain *d, const struct action_value *shape,
          struct action_value *v, struct err *e)
{
	(void)c;
	(void)shape;
	(void)e;
	v->paused = (d->state & DOM_PAUSED) != 0;
	return 0;
}

static int
pause_apply(struct action_ctx *c, const struct action *a, const struct action_value *v,
            const struct action_value *old, struct err *e)
{
	(void)old;
	return hv_set_paused(c->hv, a->domid, v->paused, e);
}

static void
pause_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	(void)nr_pcpus;
	snprintf(buf, len, "%s", v->paused ? "paused" : "running");
}

static const struct action_kind_ops action_kinds[ACTION_NKINDS] = {
	[ACTION_WEIGHT] = { "weight", "weight DOMAIN 1..65535", true,
	                    weight_want, weight_get, weight_apply, num_format },
	[ACTION_CAP] = { "cap", "cap DOMAIN PERCENT (0 = none, up to 100 x vcpus)", true,
	                 cap_want, cap_get, cap_apply, cap_format },
	[ACTION_PIN] = { "pin", "pin DOMAIN [VCPU|all] CPULIST (e.g. 0-3,^2)", true,
	                 pin_want, pin_get, pin_apply, pin_format },
	[ACTION_PAUSE] = { "pause", "pause DOMAIN", false,
	                   pause_want, pause_get, pause_apply, pause_format },
	[ACTION_UNPAUSE] = { "unpause", "unpause DOMAIN", false,
	                     pause_want, pause_get, pause_apply, pause_format },
	[ACTION_THROTTLE] = { "throttle",
	                      "throttle DOMAIN[:DEVID] RATE [in|out|both] [for DURATION] "
	                      "(e.g. 10mbit for 2h)", true,
	                      action_throttle_want, action_throttle_get, action_throttle_apply,
	                      action_throttle_format },
	[ACTION_UNTHROTTLE] = { "unthrottle", "unthrottle DOMAIN[:DEVID]", false,
	                        action_throttle_want, action_throttle_get, action_throttle_apply,
	                        action_throttle_format },
	[ACTION_IOPRIO] = { "ioprio", "ioprio DOMAIN[:VBD] none|idle|be[/LEVEL]|rt[/LEVEL] "
	                    "(LEVEL 0 highest .. 7, default 4; VBD e.g. xvdb)", true,
	                    action_ioprio_want, action_ioprio_get, action_ioprio_apply,
	                    action_ioprio_format },
};

const char *
action_kind_name(enum action_kind k)
{
	return k < ACTION_NKINDS ? action_kinds[k].name : "?";
}

/* ---- context ---- */

void
action_warn(struct action_ctx *c, const char *msg)
{
	if (c->n_warnings < ACTION_MAX_WARNINGS)
		str_copy(c->warnings[c->n_warnings++], msg, ERR_MSG_MAX);
}

int
action_ctx_new(struct action_ctx **out, const struct action_ctx_opts *o, struct err *e)
{
	struct action_ctx *c = calloc(1, sizeof *c);

	if (c == NULL)
		return err_set(e, "out of memory");
	c->hv = o->hv;
	c->read_only = o->read_only;
	/* no audit log, no actions: watching still works, acting says why not */
	if (audit_open(&c->audit, o->audit_path, o->use_syslog, o->host_label, e) < 0) {
		str_copy(c->disabled, e->msg, sizeof c->disabled);
		if (audit_open(&c->audit, NULL, false, o->host_label, e) < 0) {
			free(c);
			return -1;
		}
	}
	action_throttle_open(c, o->throttle_state);
	*out = c;
	return 0;
}

void
action_ctx_free(struct action_ctx *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_undo; i++)
		action_value_free(&c->undo[i].old);
	action_throttle_close(c);
	audit_close(c->audit);
	free(c);
}

const char *
action_warning(const struct action_ctx *c, size_t i)
{
	return i < c->n_warnings ? c->warnings[i] : NULL;
}

const char *
action_start_note(const struct action_ctx *c)
{
	return c->start_note[0] ? c->start_note : NULL;
}

const char *
action_disabled(const struct action_ctx *c)
{
	return c->disabled[0] ? c->disabled : NULL;
}

const char *
action_operator(const struct action_ctx *c)
{
	return audit_operator(c->audit);
}

size_t
action_undo_depth(const struct action_ctx *c)
{
	return c->n_undo;
}

/* ---- parsing ---- */

void
action_make(struct action *out, enum action_kind kind, uint32_t domid, const char *arg)
{
	memset(out, 0, sizeof *out);
	out->kind = kind;
	out->vcpu = -1;
	out->devid = -1;
	snprintf(out->target, sizeof out->target, "%u", domid);
	str_copy(out->arg, arg ? arg : "", sizeof out->arg);
}

int
action_parse(const char *text, struct action *out, struct err *e)
{
	char buf[512], *kind, *target, *rest, *save = NULL;
	int k;

	if (strlen(text) >= sizeof buf)
		return err_set(e, "action too long");
	str_copy(buf, text, sizeof buf);
	kind = strtok_r(buf, " \t", &save);
	if (kind == NULL)
		return err_set(e, "empty action: give e.g. 'weight web1 512'");
	for (k = 0; k < ACTION_NKINDS; k++)
		if (strcmp(kind, action_kinds[k].name) == 0)
			break;
	if (k == ACTION_NKINDS) {
		char clean[40], names[128];
		size_t at = 0;

		str_sanitize(clean, sizeof clean, kind);
		for (int i = 0; i < ACTION_NKINDS; i++)
			at += (size_t)snprintf(names + at, sizeof names - at, "%s%s",
			                       i == 0 ? "" : i + 1 == ACTION_NKINDS ? " or " : ", ",
			                       action_kinds[i].name);
		return err_set(e, "unknown action '%.32s': %s", clean, names);
	}
	target = strtok_r(NULL, " \t", &save);
	rest = strtok_r(NULL, "", &save);
	rest = rest ? str_trim(rest) : "";
	if (target == NULL)
		return err_set(e, "missing domain: %s", action_kinds[k].usage);
	if (action_kinds[k].has_arg == (*rest == '\0'))
		return err_set(e, "%s: %s", *rest ? "unexpected argument" : "missing value",
		               action_kinds[k].usage);
	if (strlen(target) >= sizeof out->target || strlen(rest) >= sizeof out->arg)
		return err_set(e, "action argument too long: %s", action_kinds[k].usage);
	memset(out, 0, sizeof *out);
	out->kind = (enum action_kind)k;
	out->vcpu = -1;
	out->devid = -1;
	str_copy(out->target, target, sizeof out->target);
	str_copy(out->arg, rest, sizeof out->arg);
	return 0;
}

/* ---- the pipeline ---- */

/* Reads one domain and the value the action sets on it. */
static int
action_read(struct action_ctx *c, const struct action *a, const struct action_value *shape,
            struct action_value *v, struct err *e)
{
	struct sample_domain d;
	int rc;

	memset(&d, 0, sizeof d);
	if (hv_read_domain(c->hv, a->domid, &d, e) < 0)
		return -1;
	rc = action_kinds[a->kind].get(c, &d, shape, v, e);
	hv_domain_free(&d);
	return rc;
}

/* "xvda 51712, xvdb 51728": d's vbds, for messages. */
static void
action_vbd_list(const struct sample_domain *d, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_vbds && at + 1 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s %u", i ? ", " : "", d->vbds[i].name,
		                       d->vbds[i].devid);
}

/*
 * DOMAIN:DEV when DOMAIN alone is not a domain's name: a vif's DEVID for a
 * throttle (checked against its vifs later); a vbd's DEVID or name (xvdb)
 * for ioprio. *out stays NULL when DOMAIN names no domain either; -1 when
 * the domain has no such vbd.
 */
static int
action_find_dev_target(const struct sample *cur, struct action *a,
                       const struct sample_domain **out, struct err *e)
{
	char name[SAMPLE_NAME_MAX], clean[SAMPLE_NAME_MAX], cdev[SAMPLE_NAME_MAX], list[256];
	char *colon, *dev;
	const struct sample_domain *d;
	const struct sample_vbd *vbd = NULL;
	unsigned long long devid;
	bool numeric;

	*out = NULL;
	str_copy(name, a->target, sizeof name);
	if ((colon = strrchr(name, ':')) == NULL)
		return 0;
	*colon = '\0';
	dev = colon + 1;
	if ((d = sample_find_name(cur, name)) == NULL)
		return 0;
	numeric = str_to_uint(dev, 0, 65535, &devid);
	if (a->kind != ACTION_IOPRIO) {
		if (numeric) {
			a->devid = (int)devid;
			*out = d;
		}
		return 0;
	}
	for (size_t i = 0; i < d->n_vbds && vbd == NULL; i++)
		if (numeric ? d->vbds[i].devid == devid : strcmp(d->vbds[i].name, dev) == 0)
			vbd = &d->vbds[i];
	if (vbd == NULL) {
		str_sanitize(clean, sizeof clean, name);
		str_sanitize(cdev, sizeof cdev, dev);
		action_vbd_list(d, list, sizeof list);
		return err_set(e, "%s has no vbd %s (its vbds: %s)", clean, cdev, list[0] ? list : "none");
	}
	a->devid = (int)vbd->devid;
	str_sanitize(a->devname, sizeof a->devname, vbd->name);
	*out = d;
	return 0;
}

static int
action_resolve(const struct sample *cur, struct action *a, const struct sample_domain **out,
               struct err *e)
{
	char clean[SAMPLE_NAME_MAX];
	const struct sample_domain *d = sample_find_name(cur, a->target);

	if (d == NULL && action_is_per_device(a->kind) && action_find_dev_target(cur, a, &d, e) < 0)
		return -1;
	if (d == NULL) {
		str_sanitize(clean, sizeof clean, a->target);
		return err_set(e, "no domain '%s' on this host (by name or id)", clean);
	}
	if (d->state & (DOM_DYING | DOM_SHUTDOWN))
		return err_set(e, "%s is shutting down: nothing to change", d->name);
	a->domid = d->domid;
	str_sanitize(a->domname, sizeof a->domname, d->name);
	str_copy(a->rawname, d->name, sizeof a->rawname);
	*out = d;
	return 0;
}

static void
action_finish(struct action_ctx *c, const struct action *a, const struct action_value *old,
              const struct action_value *now, const char *result, struct action_result *res)
{
	char o[256] = "-", n[256] = "-", note[ERR_MSG_MAX];
	const char *verb = a->is_undo ? "undo " : "";
	const struct action_kind_ops *k = &action_kinds[a->kind];
	unsigned nr = c->hv->host.nr_pcpus;
	struct err ae;

	if (old != NULL)
		k->format(old, nr, o, sizeof o);
	if (now != NULL)
		k->format(now, nr, n, sizeof n);
	if (res->ok && action_is_throttle(a->kind) && a->devid >= 0)
		snprintf(res->msg, sizeof res->msg, "%s%s %s vif %d: %s -> %s", verb, k->name, a->domname,
		         a->devid, o, n);
	else if (res->ok && a->kind == ACTION_IOPRIO && a->devid >= 0)
		snprintf(res->msg, sizeof res->msg, "%s%s %s %s: %s -> %s", verb, k->name, a->domname,
		         a->devname, o, n);
	else if (res->ok)
		snprintf(res->msg, sizeof res->msg, "%s%s %s: %s -> %s", verb, k->name, a->domname, o, n);
	if (c->note[0] != '\0') {
		snprintf(note, sizeof note, "%s (%s)", res->msg, c->note);
		str_copy(res->msg, note, sizeof res->msg);
		c->note[0] = '\0';
	}
	if (audit_record(c->audit, a->is_undo ? "undo" : "do", k->name, a->domname, a->domid,
	                 o, n, res->ok ? "ok" : result, &ae) < 0) {
		snprintf(note, sizeof note, "%s (audit: %s)", res->msg, ae.msg);
		str_copy(res->msg, note, sizeof res->msg);
	}
}

static void
action_push_undo(struct action_ctx *c, const struct action *a, struct action_value *old)
{
	if (c->n_undo == ACTION_UNDO_MAX) {
		action_value_free(&c->undo[0].old);
		memmove(&c->undo[0], &c->undo[1], (ACTION_UNDO_MAX - 1) * sizeof c->undo[0]);
		c->n_undo--;
	}
	c->undo[c->n_undo].act = *a;
	c->undo[c->n_undo].old = *old;      /* takes ownership of old->cpus and vifs */
	memset(old, 0, sizeof *old);
	c->n_undo++;
}

/* Applies want to a->domid, with old as read before. Fills res; audits. */
static int
action_apply(struct action_ctx *c, const struct action *a, struct action_value *old,
             const struct action_value *want, struct action_result *res)
{
	const struct action_kind_ops *k = &action_kinds[a->kind];
	struct action_value now = { 0 };
	struct err e;

	if (k->apply(c, a, want, old, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s %s refused: %s", k->name, a->domname, e.msg);
		action_finish(c, a, old, want, "refused", res);
		return -1;
	}
	if (action_read(c, a, want, &now, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s %s applied but not read back: %s",
		         k->name, a->domname, e.msg);
		action_finish(c, a, old, want, "unverified", res);
		action_value_free(&now);
		return -1;
	}
	res->ok = action_value_equal(&now, want);
	if (!res->ok) {
		char w[256], n[256];

		k->format(want, c->hv->host.nr_pcpus, w, sizeof w);
		k->format(&now, c->hv->host.nr_pcpus, n, sizeof n);
		snprintf(res->msg, sizeof res->msg, "%s %s: asked for %s but it reads back %s",
		         k->name, a->domname, w, n);
	}
	action_finish(c, a, old, &now, "mismatch", res);
	action_value_free(&now);
	return res->ok ? 0 : -1;
}

int
action_run(struct action_ctx *c, const struct sample *cur, struct action *a,
           struct action_result *res)
{
	const struct action_kind_ops *k = &action_kinds[a->kind];
	const struct sample_domain *d = NULL;
	struct action_value want = { 0 }, old = { 0 };
	struct err e;
	int rc;

	memset(res, 0, sizeof *res);
	if (action_resolve(cur, a, &d, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s: %s", k->name, e.msg);
		return -1;
	}
	if (c->disabled[0] != '\0') {
		snprintf(res->msg, sizeof res->msg, "%s %s refused: %s", k->name, a->domname, c->disabled);
		return -1;
	}
	if (c->read_only) {
		snprintf(res->msg, sizeof res->msg,
		         "%s %s refused: domtop runs with --read-only, actions are off", k->name, a->domname);
		action_finish(c, a, NULL, NULL, "read-only", res);
		return -1;
	}
	if (k->want(c, d, a, &want, &e) < 0 || action_read(c, a, &want, &old, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "%s %s refused: %s", k->name, a->domname, e.msg);
		action_finish(c, a, NULL, NULL, "invalid", res);
		action_value_free(&want);
		action_value_free(&old);
		return -1;
	}
	rc = action_apply(c, a, &old, &want, res);
	if (rc == 0)
		action_push_undo(c, a, &old);
	action_value_free(&want);
	action_value_free(&old);
	return rc;
}

int
action_undo(struct action_ctx *c, const struct sample *cur, struct action_result *res)
{
	struct undo_entry *u;
	struct action_value now = { 0 };
	struct action a;
	struct err e;
	int rc;

	memset(res, 0, sizeof *res);
	if (c->n_undo == 0) {
		snprintf(res->msg, sizeof res->msg, "nothing to undo");
		return -1;
	}
	if (c->read_only) {
		snprintf(res->msg, sizeof res->msg, "undo refused: domtop runs with --read-only");
		return -1;
	}
	u = &c->undo[c->n_undo - 1];
	a = u->act;
	a.is_undo = true;
	(void)cur;      /* undo targets the domid it acted on, even if renamed since */
	if (action_read(c, &a, &u->old, &now, &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "undo %s %s: %s", action_kind_name(a.kind), a.domname, e.msg);
		action_value_free(&now);
		return -1;
	}
	rc = action_apply(c, &a, &now, &u->old, res);
	action_value_free(&now);
	if (rc == 0) {
		action_value_free(&u->old);
		c->n_undo--;
	}
	return rc;
}

int
action_current(struct action_ctx *c, enum action_kind kind, uint32_t domid,
               char *buf, size_t len, struct err *e)
{
	struct sample_domain d;
	struct action_value shape = { 0 }, v = { 0 };
	int rc;

	memset(&d, 0, sizeof d);
	if (kind >= ACTION_NKINDS)
		return err_set(e, "unknown action");
	if (hv_read_domain(c->hv, domid, &d, e) < 0)
		return -1;
	shape.n_vcpus = (unsigned)d.n_vcpus;
	rc = action_kinds[kind].get(c, &d, &shape, &v, e);
	if (rc == 0)
		action_kinds[kind].format(&v, c->hv->host.nr_pcpus, buf, len);
	action_value_free(&v);
	hv_domain_free(&d);
	return rc;
}
