/*
 * throttle.h: the registry of wanted vif throttles ("sticky" throttles).
 *
 * A throttle set by an action is recorded here by domain name and vif
 * devid, with its rates, an optional expiry and what lifting it must put
 * back on the interface (hv.h's saved text). The registry is what makes a
 * throttle outlive its vif: when the guest reboots, its vif is destroyed and
 * made again without a qdisc, and the console re-applies what the registry
 * wants (throttle_decide says when); when an expiry passes, the throttle is
 * lifted. Entries of real interfaces are kept in a state file, so they also
 * outlive domtop; those of simulated vifs live as long as the process.
 *
 * Each entry belongs to a scope, the host it was made on ("sim:demo",
 * "xen:node1"): a demo host never acts on what was meant for a real one.
 * Entries of other scopes in the file are kept and written back untouched.
 *
 * The state file: one line per vif, "vif key=value ...", values
 * percent-encoded (%XX) for any byte that is not printable ASCII, and for
 * '%'. It is written whole, atomically (a temporary file, fsync, rename,
 * fsync of the directory), under an flock on "<file>.lock", re-read first
 * so that two domtops (a console and a --do) do not lose each other's
 * changes. A line that does not parse is reported as "file:line: reason"
 * and skipped (and dropped at the next write).
 */
#ifndef DOMTOP_THROTTLE_H
#define DOMTOP_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backend/err.h"
#include "backend/hv.h"
#include "backend/sample.h"

#define THROTTLE_SCOPE_MAX 96
#define THROTTLE_PATH_MAX 512
#define THROTTLE_MAX_WARNINGS 8
#define THROTTLE_MAX_ENTRIES 100000
#define THROTTLE_DURATION_MAX (366 * 86400)  /* "for" at most a year */
#define THROTTLE_RATE_MIN 8000ull            /* bits/s */
#define THROTTLE_RATE_MAX 1000000000000ull   /* bits/s */

struct throttle_entry {
	char scope[THROTTLE_SCOPE_MAX];   /* the host: "sim:demo", "xen:node1" */
	char domain[SAMPLE_NAME_MAX];     /* the domain's name, raw */
	unsigned devid;
	uint64_t to_guest_bps, from_guest_bps;   /* wanted; 0 = not that way */
	int64_t expires;                  /* realtime, seconds since 1970; 0 = never */
	uint32_t domid;                   /* where it was last applied */
	int ifindex;                      /* of its interface then; 0 = simulated or absent */
	char ifname[SAMPLE_DEV_MAX];
	bool persist;                     /* in the state file (a real interface) */
	char saved[HV_SHAPE_SAVED_MAX];   /* what lifting it puts back; "" = nothing */
};

struct throttle_reg {
	char path[THROTTLE_PATH_MAX];     /* "" = in memory only */
	struct throttle_entry *e;
	size_t n, cap;
	int lock_fd;                      /* held between begin and commit/abort, else -1 */
	/* the file as last read, so it is read again only when it changed */
	bool seen;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	/* problems of the last read: "file:line: reason" */
	size_t n_warnings;                /* all of them, even past THROTTLE_MAX_WARNINGS */
	char warnings[THROTTLE_MAX_WARNINGS][ERR_MSG_MAX];
};

/* The default state file: /var/lib/domtop/throttles.state for root, else under XDG_STATE_HOME or ~/.local/state. */
void throttle_default_path(char *buf, size_t len);

/* path NULL or "": in memory only. */
void throttle_reg_init(struct throttle_reg *r, const char *path);
void throttle_reg_free(struct throttle_reg *r);

/*
 * Reads the file again when it changed since the last read (or was never
 * read): the entries kept in it are replaced by the file's; the others stay.
 * A missing file is an empty one. Returns 1 when it was read, 0 when it had
 * not changed, -1 when it cannot be read (the entries stay as they were).
 */
int throttle_reg_load(struct throttle_reg *r, struct err *e);

/* Starts a change: takes the lock and reads the file if it changed. */
int throttle_reg_begin(struct throttle_reg *r, struct err *e);
/* Ends it: writes the file (atomically) and releases the lock. */
int throttle_reg_commit(struct throttle_reg *r, struct err *e);
/* Ends it without writing. */
void throttle_reg_abort(struct throttle_reg *r);

struct throttle_entry *throttle_find(struct throttle_reg *r, const char *scope,
                                     const char *domain, unsigned devid);
/* Adds or replaces the entry of (scope, domain, devid). -1 when out of memory. */
int throttle_put(struct throttle_reg *r, const struct throttle_entry *t, struct err *e);
/* Removes it; false when there was none. */
bool throttle_remove(struct throttle_reg *r, const char *scope, const char *domain,
                     unsigned devid);

/* The earliest expiry in scope, or 0 when none expires. */
int64_t throttle_next_expiry(const struct throttle_reg *r, const char *scope);

/* The state file's text for the entries kept in it (for tests); free it. */
char *throttle_reg_text(const struct throttle_reg *r);
/* Parses state-file text into r (replacing the kept entries); name is for messages. */
void throttle_reg_parse(struct throttle_reg *r, const char *text, const char *name);

/*
 * What to do about a wanted throttle, given the vif as read now (domid of
 * its domain, its sample): THROTTLE_IN_EFFECT when the vif is throttled as
 * wanted; THROTTLE_REAPPLY when the vif is a new one (another domain id or
 * ifindex than where it was applied: the domain or its vif was re-created);
 * THROTTLE_ABSENT when the entry's real interface does not exist now;
 * THROTTLE_DRIFT when the same vif was changed by something else (domtop
 * does not fight it; it says so).
 */
enum throttle_decision {
	THROTTLE_IN_EFFECT,
	THROTTLE_REAPPLY,
	THROTTLE_ABSENT,
	THROTTLE_DRIFT,
};
enum throttle_decision throttle_decide(const struct throttle_entry *t, uint32_t domid,
                                       const struct sample_vif *v);

/*
 * A rate in tc units: "10mbit", "500kbit", "2gbit", "1tbit", "100kibit",
 * "10mbps" (bytes/s), or a bare number of bits/s; 8kbit to 1000gbit. Rounded
 * down to whole bytes/s (what tbf keeps), so it reads back the same.
 */
int throttle_parse_rate(const char *text, uint64_t *bps, struct err *e);

/* "90s", "30m", "2h", "1d", "1h30m"; 1 s to THROTTLE_DURATION_MAX. */
int throttle_parse_duration(const char *text, int64_t *seconds, struct err *e);
/* "1d2h", "59m", "45s": the two largest units. */
void throttle_format_duration(int64_t seconds, char *buf, size_t len);
/* "2026-11-21T20:31:02Z" */
void throttle_format_time(int64_t t, char *buf, size_t len);

#endif
