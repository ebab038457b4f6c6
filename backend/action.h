/*
 * action.h: the one path every mutating action takes, in the console, in
 * `--do` and in the tenant menu alike:
 *
 *   validate -> read the old value -> apply -> read the new value back ->
 *   append an audit record (log file + syslog) -> push an undo entry.
 *
 * An action is first parsed from text ("weight web1 512", the same syntax as
 * `domtop --do`) or built by a key handler, then run. The domain is named by
 * name or id and resolved against the latest sample.
 */
#ifndef DOMTOP_ACTION_H
#define DOMTOP_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/hv.h"
#include "backend/sample.h"

enum action_kind {
	ACTION_WEIGHT,
	ACTION_CAP,
	ACTION_PIN,
	ACTION_PAUSE,
	ACTION_UNPAUSE,
	ACTION_NKINDS
};

#define ACTION_MAX_VCPUS 512

/* The value an action sets, or the value it found: one per kind. */
struct action_value {
	unsigned num;                 /* weight, cap */
	bool paused;                  /* pause, unpause */
	/* pin: one cpu set per vcpu affected; vcpu_first..vcpu_first+n_vcpus-1 */
	unsigned vcpu_first, n_vcpus;
	struct cpuset *cpus;          /* heap; n_vcpus entries */
};

struct action {
	enum action_kind kind;
	char target[SAMPLE_NAME_MAX]; /* name or id as typed */
	uint32_t domid;               /* resolved by action_run */
	char domname[SAMPLE_NAME_MAX];
	int vcpu;                     /* pin: -1 = every vcpu */
	char arg[128];                /* the value as typed: "512", "0-3,^2" */
	bool is_undo;
};

struct action_result {
	bool ok;
	char msg[ERR_MSG_MAX];        /* one line for the message bar or stderr */
};

struct action_ctx;

struct action_ctx_opts {
	struct hv *hv;
	const char *audit_path;       /* NULL: no file (syslog only); tests pass a temp file */
	bool read_only;
	bool use_syslog;
	const char *host_label;       /* "demo" or the hostname, written to each record */
};

/*
 * When the audit log cannot be opened the context is still made, but every
 * action is refused with that reason (action_disabled): no action runs
 * unaudited, and watching still works.
 */
int action_ctx_new(struct action_ctx **out, const struct action_ctx_opts *o, struct err *e);
/* Why actions are refused (no audit log), or NULL when they are allowed. */
const char *action_disabled(const struct action_ctx *c);
void action_ctx_free(struct action_ctx *c);

/* The operator: SUDO_USER, else the login name, with SSH_CONNECTION's client. */
const char *action_operator(const struct action_ctx *c);

/*
 * Parses "KIND DOMAIN [ARGS]" as `--do` takes it:
 *   weight DOM N | cap DOM N | pin DOM [VCPU|all] CPULIST | pause DOM | unpause DOM
 */
int action_parse(const char *text, struct action *out, struct err *e);
/* Builds an action for a key handler; arg is the text typed at the prompt. */
void action_make(struct action *out, enum action_kind kind, uint32_t domid, const char *arg);

const char *action_kind_name(enum action_kind k);

/*
 * Validates and runs one action against the domains of cur. Always fills
 * *res with a one-line message; returns 0 when the new value was read back.
 */
int action_run(struct action_ctx *c, const struct sample *cur, struct action *a,
               struct action_result *res);

/* Undoes the most recent successful action; res says what happened. */
int action_undo(struct action_ctx *c, const struct sample *cur, struct action_result *res);
size_t action_undo_depth(const struct action_ctx *c);

/* The current value of what kind sets, formatted for a prompt ("256", "0-3"). */
int action_current(struct action_ctx *c, enum action_kind kind, uint32_t domid,
                   char *buf, size_t len, struct err *e);

void action_value_free(struct action_value *v);

#endif
