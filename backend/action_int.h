/*
 * action_int.h: inside the action module (action.c, the pipeline, and
 * action_throttle.c, the throttle kinds and sticky throttles): the context
 * and the table row of a kind of action. Nothing outside backend/action*.c
 * includes this.
 */
#ifndef DOMTOP_ACTION_INT_H
#define DOMTOP_ACTION_INT_H

#include "backend/action.h"
#include "backend/audit.h"
#include "backend/throttle.h"

#define ACTION_UNDO_MAX 64
#define ACTION_MAX_WARNINGS 12
#define ACTION_EXPIRE_RETRY_S 60      /* after a failed lift, try again this much later */

struct undo_entry {
	struct action act;            /* what was done */
	struct action_value old;      /* what to put back */
};

struct action_ctx {
	struct hv *hv;
	struct audit *audit;
	bool read_only;
	char disabled[ERR_MSG_MAX];   /* why actions are off (no audit log), or "" */
	struct undo_entry undo[ACTION_UNDO_MAX];
	size_t n_undo;                /* entries in use; oldest dropped when full */
	struct throttle_reg throttles;
	char scope[THROTTLE_SCOPE_MAX];   /* this host in the registry: "sim:demo" */
	char note[ERR_MSG_MAX];       /* added to the message of the action being run */
	int64_t expire_retry;         /* realtime s: no lift is tried before this */
	char warnings[ACTION_MAX_WARNINGS][ERR_MSG_MAX];
	size_t n_warnings;
	char start_note[ERR_MSG_MAX];
};

struct action_kind_ops {
	const char *name;
	const char *usage;
	bool has_arg;                 /* the --do text takes a value after the domain */
	/* Turns a->arg into the wanted value, checking it against the domain. */
	int (*want)(struct action_ctx *, const struct sample_domain *, const struct action *,
	            struct action_value *, struct err *);
	/* Reads the value the action sets off a freshly read domain, shaped like want. */
	int (*get)(struct action_ctx *, const struct sample_domain *,
	           const struct action_value *shape, struct action_value *, struct err *);
	/* Sets want; old is what was read before (to put back what a failing step changed). */
	int (*apply)(struct action_ctx *, const struct action *, const struct action_value *want,
	             const struct action_value *old, struct err *);
	void (*format)(const struct action_value *, unsigned nr_pcpus, char *, size_t);
};

/* action.c */
void action_warn(struct action_ctx *c, const char *msg);

static inline bool
action_is_throttle(enum action_kind k)
{
	return k == ACTION_THROTTLE || k == ACTION_UNTHROTTLE;
}

/* Kinds whose target may name one device: DOMAIN:DEVID. */
static inline bool
action_is_per_device(enum action_kind k)
{
	return action_is_throttle(k) || k == ACTION_IOPRIO;
}

/* action_throttle.c: the throttle and unthrottle rows of the table */
int action_throttle_want(struct action_ctx *, const struct sample_domain *, const struct action *,
                         struct action_value *, struct err *);
int action_throttle_get(struct action_ctx *, const struct sample_domain *,
                        const struct action_value *shape, struct action_value *, struct err *);
int action_throttle_apply(struct action_ctx *, const struct action *, const struct action_value *want,
                          const struct action_value *old, struct err *);
void action_throttle_format(const struct action_value *, unsigned nr_pcpus, char *, size_t);
/* action_ioprio.c: the ioprio row of the table */
int action_ioprio_want(struct action_ctx *, const struct sample_domain *, const struct action *,
                       struct action_value *, struct err *);
int action_ioprio_get(struct action_ctx *, const struct sample_domain *,
                      const struct action_value *shape, struct action_value *, struct err *);
int action_ioprio_apply(struct action_ctx *, const struct action *, const struct action_value *want,
                        const struct action_value *old, struct err *);
void action_ioprio_format(const struct action_value *, unsigned nr_pcpus, char *, size_t);

/* Reads the registry at start and lifts what expired while no domtop ran; frees it. */
void action_throttle_open(struct action_ctx *c, const char *path);
void action_throttle_close(struct action_ctx *c);

#endif
