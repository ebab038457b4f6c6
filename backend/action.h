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
	ACTION_THROTTLE,
	ACTION_UNTHROTTLE,
	ACTION_IOPRIO,
	ACTION_NKINDS
};

#define ACTION_MAX_VCPUS 512

/* The throttle of one vif, as a throttle action sets or finds it. */
struct action_vif {
	unsigned devid;
	uint64_t to_guest_bps, from_guest_bps;   /* 0 = none that way ("in" = to the guest) */
	int64_t expires;              /* realtime seconds when it is lifted; 0 = never */
	int ifindex;                  /* of its dom0 interface when read; not compared */
};

/* The IO priority of one vbd's backend, as an ioprio action sets or finds it. */
struct action_vbd {
	unsigned devid;
	char name[SAMPLE_DEV_MAX];    /* xvda; not compared */
	int ioclass;                  /* 0 none, 1 realtime, 2 best-effort, 3 idle; -1 unknown */
	int level;                    /* 0-7 for realtime and best-effort, else 0 */
};

/* The value an action sets, or the value it found: one per kind. */
struct action_value {
	unsigned num;                 /* weight, cap */
	bool paused;                  /* pause, unpause */
	/* pin: one cpu set per vcpu affected; vcpu_first..vcpu_first+n_vcpus-1 */
	unsigned vcpu_first, n_vcpus;
	struct cpuset *cpus;          /* heap; n_vcpus entries */
	/* throttle, unthrottle: one per vif affected */
	unsigned n_vifs;
	struct action_vif *vifs;      /* heap; n_vifs entries */
	/* ioprio: one per vbd affected */
	unsigned n_vbds;
	struct action_vbd *vbds;      /* heap; n_vbds entries */
};

struct action {
	enum action_kind kind;
	char target[SAMPLE_NAME_MAX]; /* name or id as typed */
	uint32_t domid;               /* resolved by action_run */
	char domname[SAMPLE_NAME_MAX];
	int vcpu;                     /* pin: -1 = every vcpu */
	int devid;                    /* throttle, unthrottle, ioprio: -1 = every vif or vbd
	                                 (DOMAIN:DEVID sets it; ioprio also DOMAIN:xvdb) */
	char devname[SAMPLE_DEV_MAX]; /* ioprio: the name of vbd devid (resolved) */
	char rawname[SAMPLE_NAME_MAX];   /* the domain's name as the host has it (resolved) */
	char arg[128];                /* the value as typed: "512", "0-3,^2", "10mbit in for 2h" */
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
	/*
	 * The sticky-throttle state file (backend/throttle.h): NULL for the
	 * default (throttle_default_path), "" to keep throttles in memory only.
	 */
	const char *throttle_state;
};

/*
 * When the audit log cannot be opened the context is still made, but every
 * action is refused with that reason (action_disabled): no action runs
 * unaudited, and watching still works.
 *
 * It also reads the sticky-throttle registry and, unless actions are off,
 * lifts the throttles whose expiry has passed (audited as op=expire): every
 * front end does that first.
 */
int action_ctx_new(struct action_ctx **out, const struct action_ctx_opts *o, struct err *e);
/* Why actions are refused (no audit log), or NULL when they are allowed. */
const char *action_disabled(const struct action_ctx *c);
void action_ctx_free(struct action_ctx *c);

/* The operator: SUDO_USER, else the login name, with SSH_CONNECTION's client. */
const char *action_operator(const struct action_ctx *c);

/*
 * Problems found at start: unreadable or corrupt lines of the throttle state
 * ("file:line: reason"), expired throttles that could not be lifted. NULL
 * past the last one. action_start_note says what was done at start (expired
 * throttles lifted), or NULL.
 */
const char *action_warning(const struct action_ctx *c, size_t i);
const char *action_start_note(const struct action_ctx *c);

/*
 * Parses "KIND DOMAIN [ARGS]" as `--do` takes it:
 *   weight DOM N | cap DOM N | pin DOM [VCPU|all] CPULIST | pause DOM | unpause DOM |
 *   throttle DOM[:DEVID] RATE [in|out|both] [for DURATION] | unthrottle DOM[:DEVID] |
 *   ioprio DOM[:VBD] CLASS[/LEVEL]
 * RATE is in tc units (1mbit, 500kbit, 2gbit, 10mbps = bytes/s); "in" is to
 * the guest, "out" from it, both by default; DURATION like 90s, 30m, 2h, 1d.
 * Without DEVID a throttle applies to every vif of the domain. ioprio sets
 * the IO priority of the tasks that serve the domain's disks in dom0 (every
 * vbd, or VBD: a device number or name like xvdb): CLASS is none, idle,
 * be (best-effort) or rt (realtime), LEVEL 0 (highest) to 7, 4 by default.
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

/* ---- console attach (backend/action_console.c) ---- */

/*
 * Attaching a domain's console sets nothing, so it has no read-back and no
 * undo, but it goes through the same checks and leaves an audit trail:
 * op=console action=attach when it starts (or is refused), op=console
 * action=detach when it ends.
 *
 * action_console_begin checks that the console of domid (a domain of cur)
 * may be attached: not with --read-only (a watcher gets no guest console;
 * the refusal is audited), not without an audit log, not Domain-0's (its
 * console is the terminal domtop runs on), not a domain shutting down. It
 * writes the attach record and returns 0, or fills res with why not and
 * returns -1. name (len bytes) gets the domain's name, sanitised.
 */
int action_console_begin(struct action_ctx *c, const struct sample *cur, uint32_t domid,
                         char *name, size_t len, struct action_result *res);
/* The attach of domid ended: result "ok", or why it failed. Returns -1 if the audit failed. */
int action_console_end(struct action_ctx *c, uint32_t domid, const char *name,
                       const char *result, struct err *e);

/* ---- sticky throttles (backend/throttle.h) ---- */

struct throttle_entry;

/* The wanted throttle of one vif on this host, or NULL. Valid until the next call here. */
const struct throttle_entry *action_throttle_find(struct action_ctx *c, const char *domain,
                                                  unsigned devid);
/* The earliest expiry of a throttle on this host (realtime seconds), 0 when none expires. */
int64_t action_throttle_next_expiry(struct action_ctx *c);
/*
 * Keeps the registry true, at realtime now: re-reads the state file if
 * another domtop changed it; lifts the throttles whose expiry has passed
 * (audited as op=expire); with reapply, re-applies each wanted throttle
 * whose vif was re-created without it (a guest reboot: another domain id
 * or ifindex; audited as op=reapply). Nothing is done with --read-only or
 * without an audit log. Returns how many throttles it changed (res says
 * what, one line), or -1 when something failed (res says why).
 */
int action_throttle_maintain(struct action_ctx *c, const struct sample *cur, int64_t now,
                             bool reapply, struct action_result *res);

#endif
