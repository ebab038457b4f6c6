/*
 * header.c: the host summary above the table: host, scheduler, pCPUs, CPU
 * and memory use, domains by state, the sample interval and the age of the
 * sample, and the sort and filter in force. Fields flow over as many lines as
 * the width needs; a field is never split.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/str.h"
#include "tui/units.h"
#include "tui/ui.h"

#define HEADER_MAX_FIELDS 16
#define HEADER_MAX_LINES 4

struct hfield {
	bool newline;           /* starts a new line */
	char label[32];
	char value[160];
	enum theme_role role;   /* of the value */
};

struct hfields {
	size_t n;
	struct hfield f[HEADER_MAX_FIELDS];
};

static void __attribute__((format(printf, 5, 6)))
add(struct hfields *h, bool newline, const char *label, enum theme_role role, const char *fmt, ...)
{
	struct hfield *f;
	va_list ap;

	if (h->n == HEADER_MAX_FIELDS)
		return;
	f = &h->f[h->n++];
	f->newline = newline;
	f->role = role;
	str_copy(f->label, label, sizeof f->label);
	va_start(ap, fmt);
	vsnprintf(f->value, sizeof f->value, fmt, ap);
	va_end(ap);
}

static void
domains_by_state(const struct view *v, char *buf, size_t len)
{
	static const char *const names[6] = {
		"dying", "shutdown", "blocked", "crashed", "paused", "running",
	};
	bool first = true;
	size_t at;

	at = (size_t)snprintf(buf, len, "%zu", v->n);
	/* running first: it is what people look for */
	for (int k = 5; k >= 0 && at < len; k--) {
		if (v->host.by_state[k] == 0)
			continue;
		at += (size_t)snprintf(buf + at, len - at, "%s %u %s", first ? ":" : ",",
		                       v->host.by_state[k], names[k]);
		first = false;
	}
}

static void
host_fields(struct ui *u, struct hfields *h)
{
	const struct app *a = u->a;
	const struct sample_host *host = &a->cur.host;
	char name[SAMPLE_NAME_MAX * 2], hv[64], sched[32], used[16], total[16];

	str_sanitize(name, sizeof name, host->hostname);
	str_sanitize(hv, sizeof hv, host->hypervisor);
	str_sanitize(sched, sizeof sched, host->sched);
	units_kib(a->view.host.used_mem_kb, used, sizeof used);
	units_kib(host->tot_mem_kb, total, sizeof total);
	add(h, false, "Host ", THEME_HEADER_VALUE, "%s", name[0] ? name : "?");
	add(h, false, "", THEME_HEADER, "(%s)", hv[0] ? hv : "?");
	add(h, false, "Sched ", THEME_HEADER_VALUE, "%s", sched[0] ? sched : "?");
	add(h, false, "pCPUs ", THEME_HEADER_VALUE, "%u", host->nr_pcpus);
	if (a->view.host.interval_ns > 0)
		add(h, true, "CPU ", THEME_HEADER_VALUE, "%.1f%%", a->view.host.cpu_pct);
	else
		add(h, true, "CPU ", THEME_HEADER_VALUE, "-");
	add(h, false, "Mem ", THEME_HEADER_VALUE, "%s of %s", used, total);
	domains_by_state(&a->view, name, sizeof name);
	add(h, false, "Domains ", THEME_HEADER_VALUE, "%s", name);
}

static void
state_fields(struct ui *u, struct hfields *h)
{
	const struct app *a = u->a;
	const struct column *c = columns_get(u->sort.id);
	bool big_first = c->desc != u->sort.reverse;
	double age = (double)(loop_now_ns() - a->sampled_at_ns) / 1e9;

	add(h, true, "Sample every ", THEME_HEADER_VALUE, "%gs", (double)a->interval_ns / 1e9);
	add(h, false, "age ", THEME_HEADER_VALUE, "%.1fs", age < 0 ? 0 : age);
	add(h, false, "Sort ", THEME_HEADER_VALUE, "%s %s", c->name,
	    c->left ? (big_first ? "Z-A" : "A-Z") : (big_first ? "largest first" : "smallest first"));
	if (u->table.filter[0] != '\0')
		add(h, false, "Filter ", THEME_HEADER_VALUE, "'%s' (%zu of %zu)", u->table.filter,
		    u->table.n_rows, a->view.n);
	if (a->opt.read_only)
		add(h, false, "", THEME_ERROR, "READ-ONLY");
}

static int
field_width(const struct hfield *f)
{
	return columns_text_width(f->label) + columns_text_width(f->value);
}

int
header_draw(struct ui *u, int y)
{
	struct crt *c = &u->crt;
	struct hfields h = { 0 };
	int x = 0, line = 0;

	host_fields(u, &h);
	state_fields(u, &h);
	crt_fill(c, y, 0, c->cols, THEME_HEADER);
	for (size_t i = 0; i < h.n; i++) {
		const struct hfield *f = &h.f[i];
		int w = field_width(f);

		if (x > 0 && (f->newline || x + 2 + w > c->cols)) {
			if (line + 1 == HEADER_MAX_LINES)
				break;
			line++;
			x = 0;
			crt_fill(c, y + line, 0, c->cols, THEME_HEADER);
		}
		if (x > 0)
			x += 2;
		x += crt_put(c, y + line, x, THEME_HEADER, f->label, c->cols - x);
		x += crt_put(c, y + line, x, f->role, f->value, c->cols - x);
	}
	return line + 1;
}
