/*
 * audit.h: the audit trail of actions. One line per action attempt, appended
 * with a single write() and fdatasync'ed, to a log file and to syslog:
 *
 *   2026-11-21T20:31:02Z host=demo operator=alice from=10.0.0.9 op=do
 *     action=weight domain=web1 domid=3 old=256 new=512 result=ok
 *
 * Values are sanitised and quoted when they hold spaces, so a hostile
 * domain name cannot forge a record.
 */
#ifndef DOMTOP_AUDIT_H
#define DOMTOP_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/err.h"

struct audit;

/* path NULL: syslog only. Creates the file (0640) and its directory (0750). */
int audit_open(struct audit **out, const char *path, bool use_syslog, const char *host_label,
               struct err *e);
void audit_close(struct audit *a);

/* "alice" or "alice (sudo from root)"; with the ssh client when there is one. */
const char *audit_operator(const struct audit *a);

int audit_record(struct audit *a, const char *op, const char *action, const char *domain,
                 uint32_t domid, const char *old, const char *new_value, const char *result,
                 struct err *e);

#endif
