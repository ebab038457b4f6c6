/* audit.c: the audit trail (see audit.h). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "backend/audit.h"
#include "backend/str.h"

struct audit {
	int fd;                 /* -1: no file */
	char path[512];
	bool use_syslog;
	char host[64];
	char operator[128];     /* the login name, sanitised */
	char from[64];          /* ssh client address, or "" */
};

/* SUDO_USER, else the login name of the real uid. */
static void
audit_find_operator(struct audit *a)
{
	const char *sudo = getenv("SUDO_USER"), *ssh = getenv("SSH_CONNECTION");
	const struct passwd *pw = getpwuid(getuid());
	char name[96], client[64];

	if (sudo != NULL && *sudo != '\0')
		str_copy(name, sudo, sizeof name);
	else if (pw != NULL)
		str_copy(name, pw->pw_name, sizeof name);
	else
		snprintf(name, sizeof name, "uid%u", (unsigned)getuid());
	str_sanitize(a->operator, sizeof a->operator, name);
	a->from[0] = '\0';
	if (ssh != NULL && sscanf(ssh, "%63s", client) == 1)
		str_sanitize(a->from, sizeof a->from, client);
}

static int
audit_mkdir_parent(const char *path, struct err *e)
{
	char dir[512], *slash;

	str_copy(dir, path, sizeof dir);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		if (errno == ENOENT && audit_mkdir_parent(dir, e) == 0 && mkdir(dir, 0750) == 0)
			return 0;
		return err_set(e, "cannot create the audit log directory %s: %s "
		               "(set [audit] log in domtop.conf or use --audit-log)", dir, strerror(errno));
	}
	return 0;
}

int
audit_open(struct audit **out, const char *path, bool use_syslog, const char *host_label,
           struct err *e)
{
	struct audit *a = calloc(1, sizeof *a);

	if (a == NULL)
		return err_set(e, "out of memory");
	a->fd = -1;
	a->use_syslog = use_syslog;
	str_sanitize(a->host, sizeof a->host, host_label ? host_label : "-");
	audit_find_operator(a);
	if (path != NULL) {
		str_copy(a->path, path, sizeof a->path);
		if (audit_mkdir_parent(path, e) < 0) {
			free(a);
			return -1;
		}
		a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (a->fd < 0) {
			err_set(e, "cannot open the audit log %s: %s (no action runs unaudited; "
			        "set [audit] log in domtop.conf or use --audit-log)", path, strerror(errno));
			free(a);
			return -1;
		}
	}
	if (use_syslog)
		openlog("domtop", LOG_PID, LOG_AUTHPRIV);
	*out = a;
	return 0;
}

void
audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	if (a->use_syslog)
		closelog();
	free(a);
}

const char *
audit_operator(const struct audit *a)
{
	return a->operator;
}

/* Appends " key=value" to buf, quoting a value with spaces or quotes. */
static void
audit_field(char *buf, size_t len, const char *key, const char *value)
{
	char clean[300], *p;
	size_t off = strlen(buf);
	bool quote;

	str_sanitize(clean, sizeof clean, value && *value ? value : "-");
	for (p = clean; *p; p++)
		if (*p == '"')
			*p = '\'';
	quote = strpbrk(clean, " =") != NULL;
	snprintf(buf + off, len - off, quote ? " %s=\"%s\"" : " %s=%s", key, clean);
}

int
audit_record(struct audit *a, const char *op, const char *action, const char *domain,
             uint32_t domid, const char *old, const char *new_value, const char *result,
             struct err *e)
{
	char line[2048], ts[32], id[16];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(id, sizeof id, "%u", domid);
	snprintf(line, sizeof line, "%s", ts);
	audit_field(line, sizeof line, "host", a->host);
	audit_field(line, sizeof line, "operator", a->operator);
	audit_field(line, sizeof line, "from", a->from);
	audit_field(line, sizeof line, "op", op);
	audit_field(line, sizeof line, "action", action);
	audit_field(line, sizeof line, "domain", domain);
	audit_field(line, sizeof line, "domid", id);
	audit_field(line, sizeof line, "old", old);
	audit_field(line, sizeof line, "new", new_value);
	audit_field(line, sizeof line, "result", result);
	if (a->use_syslog)
		syslog(LOG_NOTICE, "%s", line + strlen(ts) + 1);
	if (a->fd < 0)
		return 0;
	n = strlen(line);
	if (n + 1 >= sizeof line)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(a->fd, line, n) != (ssize_t)n)
		return err_set(e, "cannot write the audit log %s: %s", a->path, strerror(errno));
	if (fdatasync(a->fd) < 0)
		return err_set(e, "cannot sync the audit log %s: %s", a->path, strerror(errno));
	return 0;
}
