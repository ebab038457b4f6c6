/*
 * action_ioprio.c: the ioprio kind of action (see action.h): the IO
 * priority of the dom0 tasks that serve a domain's disks (blkback's ring
 * threads, a qdisk's qemu), one vbd or every one. It changes the share of
 * the disk a domain gets only where the backing device's IO scheduler
 * honours priorities (bfq; mq-deadline for realtime). The pipeline is
 * action.c's; the setting is the backend's (hv_set_vbd_ioprio).
 *
 * Classes as ioprio_set(2) numbers them: 0 none (the kernel derives a
 * best-effort level from the task's nice value), 1 realtime, 2
 * best-effort, 3 idle. Levels matter for realtime and best-effort only, so
 * values are kept with level 0 for the other two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/action_int.h"
#include "backend/str.h"

enum { IOPRIO_NONE, IOPRIO_RT, IOPRIO_BE, IOPRIO_IDLE };

#define IOPRIO_DEFAULT_LEVEL 4        /* what nice 0 gives; ionice's default too */

/* By class number: the short name (as shown) and the long one (as ionice says it). */
static const struct {
	const char *name, *alias;
} ioprio_classes[] = {
	[IOPRIO_NONE] = { "none", "none" },
	[IOPRIO_RT] = { "rt", "realtime" },
	[IOPRIO_BE] = { "be", "best-effort" },
	[IOPRIO_IDLE] = { "idle", "idle" },
};
#define IOPRIO_NCLASSES (int)(sizeof ioprio_classes / sizeof ioprio_classes[0])

static bool
ioprio_has_level(int ioclass)
{
	return ioclass == IOPRIO_RT || ioclass == IOPRIO_BE;
}

/* "none", "idle", "be", "be/7", "rt/0" (also "best-effort/7", "realtime"). */
static int
ioprio_parse(const char *text, int *ioclass, int *level, struct err *e)
{
	char buf[64], clean[64], *slash;
	unsigned long long n;
	int i = IOPRIO_NCLASSES;

	str_copy(buf, text, sizeof buf);
	str_trim(buf);
	str_sanitize(clean, sizeof clean, buf);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (strlen(text) < sizeof buf)
		for (i = 0; i < IOPRIO_NCLASSES; i++)
			if (!strcmp(buf, ioprio_classes[i].name) || !strcmp(buf, ioprio_classes[i].alias))
				break;
	if (i == IOPRIO_NCLASSES)
		return err_set(e, "IO priority must be none, idle, be[/LEVEL] (best-effort) or "
		               "rt[/LEVEL] (realtime), LEVEL 0 (highest) to 7; not '%s'", clean);
	*ioclass = i;
	*level = ioprio_has_level(*ioclass) ? IOPRIO_DEFAULT_LEVEL : 0;
	if (slash == NULL)
		return 0;
	if (!ioprio_has_level(*ioclass))
		return err_set(e, "the %s IO class has no level: give just '%s'", buf, buf);
	if (!str_to_uint(slash + 1, 0, 7, &n)) {
		str_sanitize(clean, sizeof clean, slash + 1);
		return err_set(e, "IO priority level must be 0 (highest) to 7 (lowest), not '%s'", clean);
	}
	*level = (int)n;
	return 0;
}

/* One vbd as the action keeps it; the level of none and idle counts as 0. */
static void
ioprio_vbd(const struct sample_vbd *b, struct action_vbd *out)
{
	out->devid = b->devid;
	str_sanitize(out->name, sizeof out->name, b->name);
	out->ioclass = b->ioprio_class >= IOPRIO_NONE && b->ioprio_class <= IOPRIO_IDLE ?
	               b->ioprio_class : -1;
	out->level = ioprio_has_level(out->ioclass) ? b->ioprio_level : 0;
}

/*
 * One qemu serves every qdisk of a domain: setting one qdisk sets them all.
 * The action's message says so, naming the others.
 */
static void
ioprio_note_shared(struct action_ctx *c, const struct sample_domain *d, const struct action *a)
{
	const struct sample_vbd *one = a->devid >= 0 ? sample_find_vbd(d, (unsigned)a->devid) : NULL;
	char others[128] = "";
	size_t at = 0;

	if (one == NULL || strcmp(one->backend, "qdisk") != 0)
		return;
	for (size_t i = 0; i < d->n_vbds && at + 1 < sizeof others; i++)
		if (&d->vbds[i] != one && strcmp(d->vbds[i].backend, "qdisk") == 0)
			at += (size_t)snprintf(others + at, sizeof others - at, "%s%s", at ? ", " : "",
			                       d->vbds[i].name);
	if (at > 0)
		snprintf(c->note, sizeof c->note, "one qemu serves all of %s's qdisks: %s changed too",
		         a->domname, others);
}

int
action_ioprio_want(struct action_ctx *c, const struct sample_domain *d, const struct action *a,
                   struct action_value *v, struct err *e)
{
	int ioclass = 0, level = 0;
	size_t n = 0;

	(void)c;
	if (ioprio_parse(a->arg, &ioclass, &level, e) < 0)
		return -1;
	if (d->n_vbds == 0)
		return err_set(e, "%s has no vbds: no disk backend to set", a->domname);
	v->vbds = calloc(d->n_vbds, sizeof *v->vbds);
	if (v->vbds == NULL)
		return err_set(e, "out of memory");
	for (size_t i = 0; i < d->n_vbds; i++) {
		if (a->devid >= 0 && d->vbds[i].devid != (unsigned)a->devid)
			continue;
		ioprio_vbd(&d->vbds[i], &v->vbds[n]);
		v->vbds[n].ioclass = ioclass;
		v->vbds[n++].level = level;
	}
	v->n_vbds = (unsigned)n;
	if (n == 0)
		return err_set(e, "%s has no vbd %d", a->domname, a->devid);
	ioprio_note_shared(c, d, a);
	return 0;
}

int
action_ioprio_get(struct action_ctx *c, const struct sample_domain *d,
                  const struct action_value *shape, struct action_value *v, struct err *e)
{
	unsigned n = shape->n_vbds ? shape->n_vbds : (unsigned)d->n_vbds;   /* none: every one */

	(void)c;
	v->vbds = calloc(n ? n : 1, sizeof *v->vbds);
	if (v->vbds == NULL)
		return err_set(e, "out of memory");
	v->n_vbds = n;
	for (unsigned i = 0; i < n; i++) {
		const struct sample_vbd *b = shape->n_vbds ? sample_find_vbd(d, shape->vbds[i].devid) :
		                             &d->vbds[i];

		if (b == NULL)
			return err_set(e, "vbd %s of %s is gone", shape->vbds[i].name, d->name);
		ioprio_vbd(b, &v->vbds[i]);
	}
	return 0;
}

/* Sets each vbd; on a failure puts back the ones already set, as old has them. */
int
action_ioprio_apply(struct action_ctx *c, const struct action *a, const struct action_value *want,
                    const struct action_value *old, struct err *e)
{
	for (unsigned i = 0; i < want->n_vbds; i++) {
		const struct action_vbd *w = &want->vbds[i];

		if (hv_set_vbd_ioprio(c->hv, a->domid, w->devid, w->ioclass, w->level, e) == 0)
			continue;
		for (unsigned j = 0; j < i && j < old->n_vbds; j++) {
			struct err e2;

			if (old->vbds[j].ioclass >= 0)
				hv_set_vbd_ioprio(c->hv, a->domid, old->vbds[j].devid, old->vbds[j].ioclass,
				                  old->vbds[j].level, &e2);
		}
		return err_prefix(e, "%s", w->name);
	}
	return 0;
}

static void
ioprio_text(const struct action_vbd *b, char *buf, size_t len)
{
	if (b->ioclass < 0 || b->ioclass >= IOPRIO_NCLASSES)
		snprintf(buf, len, "unknown");
	else if (ioprio_has_level(b->ioclass))
		snprintf(buf, len, "%s/%d", ioprio_classes[b->ioclass].name, b->level);
	else
		snprintf(buf, len, "%s", ioprio_classes[b->ioclass].name);
}

void
action_ioprio_format(const struct action_value *v, unsigned nr_pcpus, char *buf, size_t len)
{
	bool same = true;
	size_t at = 0;

	(void)nr_pcpus;
	buf[0] = '\0';
	for (unsigned i = 1; i < v->n_vbds; i++)
		same = same && v->vbds[i].ioclass == v->vbds[0].ioclass &&
		       v->vbds[i].level == v->vbds[0].level;
	if (v->n_vbds == 0) {
		snprintf(buf, len, "no vbds");
		return;
	}
	if (same) {
		ioprio_text(&v->vbds[0], buf, len);
		return;
	}
	for (unsigned i = 0; i < v->n_vbds && at + 1 < len; i++) {
		char one[16];
		int n;

		ioprio_text(&v->vbds[i], one, sizeof one);
		n = snprintf(buf + at, len - at, "%s%s %s", i ? ", " : "", v->vbds[i].name, one);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}
