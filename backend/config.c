/*
 * config.c: domtop.conf through inih (Debian's libinih). inih's handler is
 * not told the line number in Debian's build, so we feed it through
 * ini_parse_stream with a reader that counts lines: every warning carries
 * file:line. A bad line is reported and ignored; nothing here stops domtop.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend/config.h"
#include "backend/str.h"
#include "backend/throttle.h"

struct config_reader {
	struct config *cfg;
	const char *name;       /* file name for messages */
	FILE *f;                /* file source, or */
	const char *str;        /* string source */
	int line;               /* of the physical line being read */
	bool mid_line;          /* the last chunk did not end the line */
};

void
config_warn(struct config *c, const char *fmt, ...)
{
	va_list ap;

	if (c->n_warnings == CONFIG_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(c->warnings[c->n_warnings++], ERR_MSG_MAX, fmt, ap);
	va_end(ap);
}

void
config_defaults(struct config *c)
{
	const char *home = getenv("HOME");

	memset(c, 0, sizeof *c);
	c->delay_s = 2.0;
	c->audit_syslog = true;
	snprintf(c->theme, sizeof c->theme, "default");
	c->presets[0] = 1000000;
	c->presets[1] = 10000000;
	c->presets[2] = 100000000;
	c->n_presets = 3;
	c->flows_mem = 32u << 20;
	throttle_default_path(c->throttle_state, sizeof c->throttle_state);
	if (geteuid() == 0 || home == NULL)
		snprintf(c->audit_log, sizeof c->audit_log, "/var/log/domtop/audit.log");
	else if (getenv("XDG_STATE_HOME") != NULL)
		snprintf(c->audit_log, sizeof c->audit_log, "%s/domtop/audit.log", getenv("XDG_STATE_HOME"));
	else
		snprintf(c->audit_log, sizeof c->audit_log, "%s/.local/state/domtop/audit.log", home);
}

/*
 * inih returns only the first syntax error; we see every line here, so we
 * report each line that is neither a section, a key = value, nor a comment.
 */
static void
config_check_syntax(struct config_reader *r, const char *line)
{
	const char *p = line + strspn(line, " \t\r\n");

	if (*p == '\0' || *p == '#' || *p == ';')
		return;
	if (*p == '[' ? strchr(p, ']') == NULL : strpbrk(p, "=:") == NULL)
		config_warn(r->cfg, "%s:%d: not 'key = value' nor '[section]', ignored", r->name, r->line);
}

static char *
config_read_line(char *buf, int size, void *stream)
{
	struct config_reader *r = stream;
	size_t n;

	if (r->f != NULL) {
		if (fgets(buf, size, r->f) == NULL)
			return NULL;
	} else {
		const char *nl;

		if (*r->str == '\0')
			return NULL;
		nl = strchr(r->str, '\n');
		n = nl ? (size_t)(nl - r->str) + 1 : strlen(r->str);
		if (n >= (size_t)size)
			n = (size_t)size - 1;
		memcpy(buf, r->str, n);
		buf[n] = '\0';
		r->str += n;
	}
	n = strlen(buf);
	if (!r->mid_line)
		r->line++;      /* this chunk starts a physical line */
	r->mid_line = (n == (size_t)size - 1 && buf[n - 1] != '\n');
	if (r->mid_line)        /* inih reads the rest as another line: say so */
		config_warn(r->cfg, "%s:%d: line longer than %d bytes, the rest is read as a new line",
		            r->name, r->line, size - 1);
	config_check_syntax(r, buf);
	return buf;
}

static bool
config_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* Copies a string value that must fit and hold no control bytes. */
static bool
config_string(struct config_reader *r, const char *key, const char *v, char *dst, size_t len)
{
	char clean[CONFIG_PATH_MAX];

	if (strlen(v) >= len) {
		config_warn(r->cfg, "%s:%d: %s is longer than %zu bytes, ignored", r->name, r->line, key, len - 1);
		return false;
	}
	if (!str_sanitize(clean, sizeof clean, v)) {
		config_warn(r->cfg, "%s:%d: %s holds control characters, ignored", r->name, r->line, key);
		return false;
	}
	str_copy(dst, v, len);
	return true;
}

static void
config_display(struct config_reader *r, const char *key, const char *v)
{
	struct config *c = r->cfg;
	char *end;

	if (!strcmp(key, "delay")) {
		double d = strtod(v, &end);
		if (end == v || *end != '\0' || !(d >= 0.1 && d <= 3600))
			config_warn(c, "%s:%d: delay must be seconds from 0.1 to 3600, not '%s'", r->name, r->line, v);
		else
			c->delay_s = d;
	} else if (!strcmp(key, "columns")) {
		if (config_string(r, key, v, c->columns, sizeof c->columns))
			snprintf(c->columns_where, sizeof c->columns_where, "%s:%d", r->name, r->line);
	} else if (!strcmp(key, "sort")) {
		if (config_string(r, key, v, c->sort, sizeof c->sort))
			snprintf(c->sort_where, sizeof c->sort_where, "%s:%d", r->name, r->line);
	} else if (!strcmp(key, "theme")) {
		if (strchr(v, '/') != NULL)
			config_warn(c, "%s:%d: theme is a name like 'mono', not a path", r->name, r->line);
		else
			config_string(r, key, v, c->theme, sizeof c->theme);
	} else {
		config_warn(c, "%s:%d: unknown key '%s' in [display] (delay, columns, sort, theme)",
		            r->name, r->line, key);
	}
}

static void
config_audit(struct config_reader *r, const char *key, const char *v)
{
	struct config *c = r->cfg;

	if (!strcmp(key, "log")) {
		if (v[0] != '/')
			config_warn(c, "%s:%d: audit log must be an absolute path, not '%s'", r->name, r->line, v);
		else
			config_string(r, key, v, c->audit_log, sizeof c->audit_log);
	} else if (!strcmp(key, "syslog")) {
		if (!config_bool(v, &c->audit_syslog))
			config_warn(c, "%s:%d: syslog must be yes or no, not '%s'", r->name, r->line, v);
	} else {
		config_warn(c, "%s:%d: unknown key '%s' in [audit] (log, syslog)", r->name, r->line, key);
	}
}

/* "1mbit,10mbit,100mbit": all or nothing, so a typo never leaves half a list. */
static void
config_presets(struct config_reader *r, const char *v)
{
	struct config *c = r->cfg;
	uint64_t rates[CONFIG_MAX_PRESETS];
	char buf[512], *rest = buf, *tok;
	size_t n = 0;
	struct err e;

	if (str_copy(buf, v, sizeof buf) >= sizeof buf) {
		config_warn(c, "%s:%d: presets is too long, ignored", r->name, r->line);
		return;
	}
	while ((tok = strsep(&rest, ",")) != NULL) {
		str_trim(tok);
		if (n == CONFIG_MAX_PRESETS) {
			config_warn(c, "%s:%d: at most %d presets (keys 1 to 9); list ignored", r->name,
			            r->line, CONFIG_MAX_PRESETS);
			return;
		}
		if (throttle_parse_rate(tok, &rates[n], &e) < 0) {
			config_warn(c, "%s:%d: presets: %s; list ignored", r->name, r->line, e.msg);
			return;
		}
		n++;
	}
	memcpy(c->presets, rates, n * sizeof rates[0]);
	c->n_presets = n;
}

static void
config_throttle(struct config_reader *r, const char *key, const char *v)
{
	struct config *c = r->cfg;

	if (!strcmp(key, "presets")) {
		config_presets(r, v);
	} else if (!strcmp(key, "state")) {
		if (v[0] != '/')
			config_warn(c, "%s:%d: throttle state must be an absolute path, not '%s'", r->name,
			            r->line, v);
		else
			config_string(r, key, v, c->throttle_state, sizeof c->throttle_state);
	} else {
		config_warn(c, "%s:%d: unknown key '%s' in [throttle] (presets, state)", r->name, r->line,
		            key);
	}
}

/* "32M", "4096K", "1G", or bytes. */
static void
config_flows(struct config_reader *r, const char *key, const char *v)
{
	struct config *c = r->cfg;
	unsigned long long n;
	char num[32], unit = 0;
	size_t len = strlen(v);

	if (strcmp(key, "memory") != 0) {
		config_warn(c, "%s:%d: unknown key '%s' in [flows] (memory)", r->name, r->line, key);
		return;
	}
	if (len > 0 && len < sizeof num && strchr("KkMmGg", v[len - 1]) != NULL)
		unit = (char)(v[len - 1] | 0x20);
	str_copy(num, v, sizeof num);
	if (unit)
		num[len - 1] = '\0';
	if (len >= sizeof num || !str_to_uint(num, 1, 1ull << 40, &n)) {
		config_warn(c, "%s:%d: flows memory is a size like 32M, not '%s'", r->name, r->line, v);
		return;
	}
	n <<= unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : 0;
	if (n < (1u << 20) || n > (1u << 30))
		config_warn(c, "%s:%d: flows memory must be from 1M to 1G, not '%s'", r->name, r->line, v);
	else
		c->flows_mem = (size_t)n;
}

static int
config_handler(void *user, const char *section, const char *key, const char *value)
{
	struct config_reader *r = user;

	if (!strcmp(section, "display"))
		config_display(r, key, value);
	else if (!strcmp(section, "audit"))
		config_audit(r, key, value);
	else if (!strcmp(section, "throttle"))
		config_throttle(r, key, value);
	else if (!strcmp(section, "flows"))
		config_flows(r, key, value);
	else
		config_warn(r->cfg, "%s:%d: unknown section [%s] (display, audit, throttle, flows)",
		            r->name, r->line, section);
	return 1;       /* keep going: a bad line never stops the rest */
}

static void
config_parse(struct config_reader *r)
{
	/* syntax errors were reported line by line by config_check_syntax */
	(void)ini_parse_stream(config_read_line, r, config_handler, r);
}

int
config_load_file(struct config *c, const char *path)
{
	struct config_reader r = { .cfg = c, .name = path };

	r.f = fopen(path, "r");
	if (r.f == NULL) {
		if (errno != ENOENT)
			config_warn(c, "%s: cannot read: %s", path, strerror(errno));
		return 0;
	}
	config_parse(&r);
	fclose(r.f);
	return 0;
}

int
config_load_string(struct config *c, const char *text, const char *name)
{
	struct config_reader r = { .cfg = c, .name = name, .str = text };

	config_parse(&r);
	return 0;
}

void
config_load_default_files(struct config *c)
{
	char path[CONFIG_PATH_MAX];
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	config_load_file(c, "/etc/domtop/domtop.conf");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(path, sizeof path, "%s/domtop/domtop.conf", xdg);
	else if (home != NULL)
		snprintf(path, sizeof path, "%s/.config/domtop/domtop.conf", home);
	else
		return;
	config_load_file(c, path);
}
