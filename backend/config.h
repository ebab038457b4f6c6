/*
 * config.h: domtop.conf, INI form, read with inih. Files are read in order
 * (/etc/domtop/domtop.conf, then ~/.config/domtop/domtop.conf); command-line
 * options override both. A bad line is reported as file:line and a reason and
 * ignored: it never stops domtop.
 *
 *   [display]
 *   delay = 2            ; seconds between samples, 0.1 .. 3600
 *   columns = ID,NAME,STATE,CPU%,...   ; visible columns, in order
 *   sort = CPU%          ; sort column, in its natural order; a leading "-" reverses it
 *   theme = default
 *   [audit]
 *   log = /var/log/domtop/audit.log
 *   syslog = yes
 *   [throttle]
 *   presets = 1mbit,10mbit,100mbit   ; the rates the t key offers, in tc units (1 to 9)
 *   state = /var/lib/domtop/throttles.state  ; sticky throttles (see throttle.h)
 *   [flows]
 *   memory = 32M         ; hard bound of one capture (flow table + kernel ring), 1M .. 1G
 */
#ifndef DOMTOP_CONFIG_H
#define DOMTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define CONFIG_PATH_MAX 512
#define CONFIG_MAX_WARNINGS 32
#define CONFIG_MAX_PRESETS 9

struct config {
	double delay_s;
	char columns[512];            /* "" = the default set */
	char columns_where[CONFIG_PATH_MAX + 16];   /* file:line of columns=, for messages */
	char sort[32];
	char sort_where[CONFIG_PATH_MAX + 16];
	char theme[64];
	char audit_log[CONFIG_PATH_MAX];
	bool audit_syslog;
	/* throttle presets, bits/s, in the order given */
	size_t n_presets;
	uint64_t presets[CONFIG_MAX_PRESETS];
	char throttle_state[CONFIG_PATH_MAX];   /* default depends on whether we run as root */
	size_t flows_mem;             /* bytes */
	/* what was wrong, one message each, "file:line: reason" */
	size_t n_warnings;
	char warnings[CONFIG_MAX_WARNINGS][ERR_MSG_MAX];
};

/* Built-in defaults. audit_log depends on whether we run as root. */
void config_defaults(struct config *c);
/*
 * Reads one file into c. A missing file is not an error (returns 0); a file
 * that exists but cannot be read adds a warning. Bad lines add warnings.
 */
int config_load_file(struct config *c, const char *path);
/* Same, from a string (for tests); name is used in messages. */
int config_load_string(struct config *c, const char *text, const char *name);
/* The standard order: /etc, then $XDG_CONFIG_HOME or ~/.config. */
void config_load_default_files(struct config *c);
void config_warn(struct config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
