/*
 * action_console.c: the console attach in the action API (see action.h):
 * who may attach which domain's console, and its audit records. The attach
 * itself (fork, exec the console, wait) is the front end's, through
 * hv_console_exec.
 */
#include <stdio.h>
#include <string.h>

#include "backend/action_int.h"
#include "backend/audit.h"
#include "backend/str.h"

/* Writes one op=console record; a failure to write it is added to res. */
static void
action_console_audit(struct action_ctx *c, const char *what, uint32_t domid, const char *name,
                     const char *result, struct action_result *res)
{
	char msg[ERR_MSG_MAX];
	struct err e;

	if (audit_record(c->audit, "console", what, name, domid, "-", "-", result, &e) < 0) {
		snprintf(msg, sizeof msg, "%s (audit: %s)", res->msg, e.msg);
		str_copy(res->msg, msg, sizeof res->msg);
	}
}

/* The refusal for this domain, or NULL when its console may be attached. */
static const char *
action_console_refusal(const struct action_ctx *c, const struct sample_domain *d,
                       const char **result)
{
	*result = "refused";
	if (c->disabled[0] != '\0')
		return c->disabled;
	if (c->read_only) {
		*result = "read-only";
		return "domtop runs with --read-only: a watcher gets no guest console";
	}
	if (d->domid == 0)
		return "Domain-0 has no guest console: it is the host domtop runs on";
	if (d->state & (DOM_DYING | DOM_SHUTDOWN))
		return "it is shutting down";
	return NULL;
}

int
action_console_begin(struct action_ctx *c, const struct sample *cur, uint32_t domid,
                     char *name, size_t len, struct action_result *res)
{
	const struct sample_domain *d = sample_find(cur, domid);
	const char *why, *result;
	struct err e;

	memset(res, 0, sizeof *res);
	if (len > 0)
		name[0] = '\0';
	if (d == NULL) {
		snprintf(res->msg, sizeof res->msg, "console: no domain %u on this host (any more)",
		         (unsigned)domid);
		return -1;
	}
	str_sanitize(name, len, d->name);
	why = action_console_refusal(c, d, &result);
	if (why != NULL) {
		snprintf(res->msg, sizeof res->msg, "console of %s refused: %s", name, why);
		if (c->disabled[0] == '\0')     /* no audit log: nothing to write to */
			action_console_audit(c, "attach", domid, name, result, res);
		return -1;
	}
	/* like every action, no attach goes unaudited */
	if (audit_record(c->audit, "console", "attach", name, domid, "-", "-", "ok", &e) < 0) {
		snprintf(res->msg, sizeof res->msg, "console of %s refused: %s", name, e.msg);
		return -1;
	}
	res->ok = true;
	snprintf(res->msg, sizeof res->msg, "console of %s attached", name);
	return 0;
}

int
action_console_end(struct action_ctx *c, uint32_t domid, const char *name, const char *result,
                   struct err *e)
{
	return audit_record(c->audit, "console", "detach", name, domid, "-", "-", result, e);
}
