/*
 * theme.c: theme files (see theme.h): the built-in attribute-only style,
 * the line parser and the search for NAME.theme.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "backend/str.h"
#include "tui/theme.h"

#ifndef DOMTOP_DATADIR
#define DOMTOP_DATADIR "/usr/local/share/domtop"
#endif

#define THEME_LINE_MAX 1024
#define THEME_FILE_MAX (256 * 1024)

static const struct {
	const char *name;
	unsigned attrs;         /* the built-in (monochrome) style */
} roles[THEME_NROLES] = {
	[THEME_NORMAL]        = { "normal", 0 },
	[THEME_HEADER]        = { "header", 0 },
	[THEME_HEADER_VALUE]  = { "header_value", THEME_A_BOLD },
	[THEME_COLUMN_HEADER] = { "column_header", THEME_A_BOLD | THEME_A_UNDERLINE },
	[THEME_COLUMN_SORT]   = { "column_sort", THEME_A_BOLD | THEME_A_REVERSE },
	[THEME_SELECTED]      = { "selected", THEME_A_REVERSE },
	[THEME_SUBROW]        = { "subrow", THEME_A_DIM },
	[THEME_SUBROW_HEADER] = { "subrow_header", THEME_A_UNDERLINE },
	[THEME_RUNNING]       = { "state_running", 0 },
	[THEME_PAUSED]        = { "state_paused", THEME_A_BOLD },
	[THEME_BAD]           = { "state_bad", THEME_A_BOLD | THEME_A_UNDERLINE },
	[THEME_USE_HIGH]      = { "use_high", THEME_A_BOLD },
	[THEME_THROTTLED]     = { "throttled", THEME_A_BOLD },
	[THEME_MESSAGE]       = { "message", 0 },
	[THEME_ERROR]         = { "error", THEME_A_BOLD },
	[THEME_PROMPT]        = { "prompt", THEME_A_BOLD },
	[THEME_KEY]           = { "key", THEME_A_BOLD },
	[THEME_KEY_TEXT]      = { "key_text", THEME_A_REVERSE },
	[THEME_HELP_TITLE]    = { "help_title", THEME_A_BOLD | THEME_A_UNDERLINE },
	[THEME_HELP_KEY]      = { "help_key", THEME_A_BOLD },
	[THEME_MENU]          = { "menu", 0 },
	[THEME_MENU_SELECTED] = { "menu_selected", THEME_A_REVERSE },
};

static const char *const color_names[8] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

void
theme_init(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "built-in");
	for (int r = 0; r < THEME_NROLES; r++) {
		t->roles[r].fg = THEME_DEFAULT_COLOR;
		t->roles[r].bg = THEME_DEFAULT_COLOR;
		t->roles[r].attrs = roles[r].attrs;
	}
}

const char *
theme_role_name(enum theme_role r)
{
	return (unsigned)r < THEME_NROLES ? roles[r].name : "?";
}

int
theme_role_find(const char *name)
{
	for (int r = 0; r < THEME_NROLES; r++)
		if (strcmp(roles[r].name, name) == 0)
			return r;
	return -1;
}

bool
theme_parse_color(const char *s, int *out)
{
	unsigned long long n;

	if (strcasecmp(s, "default") == 0) {
		*out = THEME_DEFAULT_COLOR;
		return true;
	}
	if (strcasecmp(s, "grey") == 0 || strcasecmp(s, "gray") == 0) {
		*out = 8;
		return true;
	}
	for (int i = 0; i < 8; i++) {
		if (strcasecmp(s, color_names[i]) == 0) {
			*out = i;
			return true;
		}
		if (strncasecmp(s, "bright", 6) == 0 && strcasecmp(s + 6, color_names[i]) == 0) {
			*out = i + 8;
			return true;
		}
	}
	if (str_to_uint(s, 0, 255, &n)) {
		*out = (int)n;
		return true;
	}
	return false;
}

static bool
parse_attr(const char *s, unsigned *out)
{
	static const struct { const char *name; unsigned bit; } attrs[] = {
		{ "bold", THEME_A_BOLD }, { "underline", THEME_A_UNDERLINE },
		{ "reverse", THEME_A_REVERSE }, { "dim", THEME_A_DIM }, { "none", 0 },
	};

	for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
		if (strcasecmp(s, attrs[i].name) == 0) {
			*out |= attrs[i].bit;
			return true;
		}
	}
	return false;
}

bool
theme_parse_attrs(const char *s, unsigned *out)
{
	char buf[THEME_LINE_MAX], *save = NULL, *tok;
	unsigned a = 0;

	if (str_copy(buf, s, sizeof buf) >= sizeof buf)
		return false;
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save))
		if (!parse_attr(tok, &a))
			return false;
	*out = a;
	return true;
}

static void
diag_add(struct theme_diag *d, const char *name, size_t line, const char *fmt, const char *what)
{
	char where[ERR_MSG_MAX / 2], reason[ERR_MSG_MAX / 2], clean[64];

	if (d == NULL)
		return;
	d->total++;
	if (d->n == THEME_DIAG_MAX)
		return;
	str_sanitize(where, sizeof where, name);
	str_sanitize(clean, sizeof clean, what != NULL ? what : "");
	snprintf(reason, sizeof reason, fmt, clean);
	snprintf(d->msg[d->n++], ERR_MSG_MAX, "%s:%zu: %s", where, line, reason);
}

/* Splits "role = fg bg attrs" and checks each part; NULL or a reason. */
static const char *
parse_line(char *line, struct theme *t, const char **what)
{
	char *eq = strchr(line, '='), *role, *fg, *bg, *rest, *save = NULL;
	struct theme_style st;
	int r;

	*what = NULL;
	if (eq == NULL)
		return "expected 'role = fg bg [attributes]'";
	*eq = '\0';
	role = str_trim(line);
	if ((r = theme_role_find(role)) < 0) {
		*what = role;
		return "unknown role '%s' (see the roles listed in themes/default.theme)";
	}
	fg = strtok_r(eq + 1, " \t", &save);
	bg = strtok_r(NULL, " \t", &save);
	rest = strtok_r(NULL, "", &save);
	if (fg == NULL || bg == NULL)
		return "expected 'role = fg bg [attributes]': a foreground and a background colour";
	if (!theme_parse_color(fg, &st.fg) || !theme_parse_color(bg, &st.bg)) {
		*what = theme_parse_color(fg, &st.fg) ? bg : fg;
		return "bad colour '%s' (default, black .. white, brightblack .. brightwhite, 0-255)";
	}
	st.attrs = 0;
	if (rest != NULL && !theme_parse_attrs(str_trim(rest), &st.attrs)) {
		*what = rest;
		return "bad attributes '%s' (bold, underline, reverse, dim, none)";
	}
	t->roles[r] = st;
	return NULL;
}

/* One line of a theme file, without its newline; false when it is bad. */
static bool
theme_line(struct theme *t, const char *text, size_t len, const char *name, size_t lineno,
           struct theme_diag *d)
{
	char line[THEME_LINE_MAX], *hash;
	const char *reason, *what;

	if (len >= sizeof line) {
		diag_add(d, name, lineno, "line too long (over %s bytes)", "1023");
		return false;
	}
	if (memchr(text, '\0', len) != NULL) {
		diag_add(d, name, lineno, "a NUL byte in the line%s", "");
		return false;
	}
	memcpy(line, text, len);
	line[len] = '\0';
	if ((hash = strchr(line, '#')) != NULL)
		*hash = '\0';
	if (*str_trim(line) == '\0')
		return true;
	if ((reason = parse_line(line, t, &what)) == NULL)
		return true;
	diag_add(d, name, lineno, reason, what);
	return false;
}

size_t
theme_parse(struct theme *t, const char *text, size_t len, const char *name,
            struct theme_diag *d)
{
	size_t bad = 0, lineno = 0, at = 0;

	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - (text + at)) : len - at;
		size_t next = at + n + (nl != NULL);    /* before n loses a '\r' */

		lineno++;
		if (n > 0 && text[at + n - 1] == '\r')
			n--;   /* tolerate CRLF files */
		if (!theme_line(t, text + at, n, name, lineno, d))
			bad++;
		at = next;
	}
	return bad;
}

/* Reads a whole file of at most THEME_FILE_MAX bytes into a heap buffer. */
static int
read_file(const char *path, char **out, size_t *len, struct err *e)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	if (f == NULL)
		return err_set(e, "cannot open theme %s: %s", path, strerror(errno));
	if ((buf = malloc(THEME_FILE_MAX + 1)) == NULL) {
		fclose(f);
		return err_set(e, "out of memory reading theme %s", path);
	}
	n = fread(buf, 1, THEME_FILE_MAX + 1, f);
	if (ferror(f) || n > THEME_FILE_MAX) {
		err_set(e, "cannot read theme %s: %s", path,
		        ferror(f) ? strerror(errno) : "larger than 256 KiB");
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
}

/* A theme name is a plain file name: no path, no hidden files. */
static bool
name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= 64 || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* The first existing NAME.theme in the search path, into path; looked lists the places. */
static bool
find_theme(const char *name, const char *exe_dir, char *path, size_t len,
           char *looked, size_t looked_len)
{
	const char *dirs[4];
	char exe_themes[512], installed[512];
	size_t n = 0;

	dirs[n] = getenv("DOMTOP_THEMES");
	if (dirs[n] != NULL && dirs[n][0] != '\0')
		n++;
	if (exe_dir != NULL && exe_dir[0] != '\0') {
		/* the source tree (./domtop), then PREFIX/bin/../share, wherever PREFIX was */
		snprintf(exe_themes, sizeof exe_themes, "%s/themes", exe_dir);
		snprintf(installed, sizeof installed, "%s/../share/domtop/themes", exe_dir);
		dirs[n++] = exe_themes;
		dirs[n++] = installed;
	}
	dirs[n++] = DOMTOP_DATADIR "/themes";
	looked[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		snprintf(path, len, "%s/%s.theme", dirs[i], name);
		if (access(path, F_OK) == 0)
			return true;
		snprintf(looked + strlen(looked), looked_len - strlen(looked), "%s%s",
		         i > 0 ? ", " : "", dirs[i]);
	}
	return false;
}

int
theme_load(struct theme *t, const char *name, const char *exe_dir,
           struct theme_diag *d, struct err *e)
{
	char path[512], looked[1024], clean[64], *text = NULL;
	size_t len = 0;

	str_sanitize(clean, sizeof clean, name);
	if (strchr(name, '/') != NULL) {
		if (str_copy(path, name, sizeof path) >= sizeof path)
			return err_set(e, "theme path too long");
	} else if (!name_ok(name)) {
		return err_set(e, "bad theme name '%s': letters, digits, '.', '_' and '-' only", clean);
	} else if (!find_theme(name, exe_dir, path, sizeof path, looked, sizeof looked)) {
		return err_set(e, "theme '%s' not found (looked in %s)", clean, looked);
	}
	if (read_file(path, &text, &len, e) < 0)
		return -1;
	theme_init(t);
	str_copy(t->name, strchr(name, '/') != NULL ? path : name, sizeof t->name);
	str_copy(t->path, path, sizeof t->path);
	theme_parse(t, text, len, path, d);
	free(text);
	return 0;
}

void
theme_exe_dir(char *buf, size_t len)
{
	char path[4096], *slash;
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);

	buf[0] = '\0';
	if (n <= 0)
		return;
	path[n] = '\0';
	if ((slash = strrchr(path, '/')) == NULL)
		return;
	*slash = '\0';
	str_copy(buf, path, len);
}
