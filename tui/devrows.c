/*
 * devrows.c: vcpu, vif and vbd lines under the selected domain (see
 * devrows.h). Each kind is a small table: fixed-width number columns, then
 * one text column that takes the rest of the line. A column that does not
 * fit whole is left out with all after it; a list is cut between items.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend/cpulist.h"
#include "backend/str.h"
#include "tui/columns.h"
#include "tui/devrows.h"
#include "tui/units.h"

#define DEV_INDENT 6
#define DEV_MAX_COLS 10
#define DEV_CELL 160

struct devcol {
	const char *hdr;
	int width;              /* 0: the rest of the line */
	bool left;
};

struct devcell {
	char text[DEV_CELL];
	enum theme_role role;
};

static const struct devcol vcpu_cols[] = {
	{ "VCPU", 4, false }, { "PCPU", 4, false }, { "CPU%", 6, false },
	{ "STATE", 11, true }, { "AFFINITY", 0, true },
};

static const struct devcol vif_cols[] = {
	{ "VIF", 12, true }, { "RX b/s", 6, false }, { "TX b/s", 6, false },
	{ "PPS", 5, false }, { "ERR/s", 5, false }, { "DROP/s", 6, false },
	{ "THROTTLE", 0, true },
};

static const struct devcol vbd_cols[] = {
	{ "VBD", 8, true }, { "BACKEND", 7, true }, { "IOPS", 5, false },
	{ "RD B/s", 6, false }, { "WR B/s", 6, false }, { "IOW%", 5, false },
	{ "OO/s", 5, false }, { "IOPRIO", 6, true }, { "SCHED", 0, true },
};

static const struct {
	const struct devcol *cols;
	size_t n;
	const char *none;
} kinds[] = {
	[DEVROWS_VCPU] = { vcpu_cols, sizeof vcpu_cols / sizeof vcpu_cols[0], "no vcpus" },
	[DEVROWS_VIF]  = { vif_cols, sizeof vif_cols / sizeof vif_cols[0], "no vifs" },
	[DEVROWS_VBD]  = { vbd_cols, sizeof vbd_cols / sizeof vbd_cols[0], "no vbds" },
};

size_t
devrows_count(const struct view_domain *d, enum devrows_kind k)
{
	switch (k) {
	case DEVROWS_VCPU: return d->raw->n_vcpus;
	case DEVROWS_VIF:  return d->raw->n_vifs;
	case DEVROWS_VBD:  return d->raw->n_vbds;
	}
	return 0;
}

/* ---- cells ---- */

static void
cell(struct devcell *c, enum theme_role role, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
cell(struct devcell *c, enum theme_role role, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->text, sizeof c->text, fmt, ap);
	va_end(ap);
	c->role = role;
}

/* A rate in SI units, or "-" before there are two samples. */
static void
rate_cell(struct devcell *c, bool known, double v, enum theme_role role)
{
	char u[16];

	units_count(v, u, sizeof u);
	cell(c, role, "%s", known ? u : "-");
}

static void
vcpu_cells(const struct view_domain *d, size_t i, unsigned nr_pcpus, struct devcell *c)
{
	const struct view_vcpu *v = &d->vcpus[i];
	char cpus[DEV_CELL];

	cpulist_format(&v->raw->affinity, nr_pcpus, cpus, sizeof cpus);
	cell(&c[0], THEME_SUBROW, "%u", v->raw->id);
	if (v->raw->pcpu >= 0)
		cell(&c[1], THEME_SUBROW, "%d", v->raw->pcpu);
	else
		cell(&c[1], THEME_SUBROW, "-");
	if (d->has_rates)
		cell(&c[2], THEME_SUBROW, "%.1f", v->cpu_pct);
	else
		cell(&c[2], THEME_SUBROW, "-");
	cell(&c[3], THEME_SUBROW, "%s", !v->raw->online ? "offline" :
	     v->raw->running ? "running" : "not running");
	cell(&c[4], THEME_SUBROW, "%s", cpus);
}

/* "10.0Mbit/s both ways", "in 10.0M, out 5.00M", "in 10.0Mbit/s", "none". */
static void
rates_text(uint64_t to_bps, uint64_t from_bps, char *buf, size_t len)
{
	char to[16], from[16];

	units_bits((double)to_bps, to, sizeof to);
	units_bits((double)from_bps, from, sizeof from);
	if (to_bps && from_bps && to_bps == from_bps)
		snprintf(buf, len, "%sbit/s both ways", to);
	else if (to_bps && from_bps)
		snprintf(buf, len, "in %s out %s", to, from);
	else if (to_bps)
		snprintf(buf, len, "in %sbit/s", to);
	else if (from_bps)
		snprintf(buf, len, "out %sbit/s", from);
	else
		snprintf(buf, len, "none");
}

static void
throttle_text(const struct sample_vif *v, char *buf, size_t len)
{
	rates_text(v->to_guest.rate_bps, v->from_guest.rate_bps, buf, len);
}

/* "1h59m" */
static void
left_text(int64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)(s > 0 ? s : 0));
}

/* The THROTTLE cell with what the note adds: expiry, a missing interface, a drift. */
static void
throttle_note_text(const struct sample_vif *v, const struct devrows_vif_note *n, char *buf,
                   size_t len, enum theme_role *role)
{
	char now[64], want[64], left[24], ifname[SAMPLE_DEV_MAX * 2];
	bool in_effect = v->to_guest.rate_bps == n->want_to_bps
	                 && v->from_guest.rate_bps == n->want_from_bps;

	throttle_text(v, now, sizeof now);
	str_sanitize(ifname, sizeof ifname, n->ifname ? n->ifname : "");
	if (n->real && v->ifindex == 0) {
		*role = THEME_ERROR;
		if (n->wanted) {
			rates_text(n->want_to_bps, n->want_from_bps, want, sizeof want);
			snprintf(buf, len, "interface absent; sticky %s waits for it", want);
		} else {
			snprintf(buf, len, "interface %s absent: no counters", ifname);
		}
		return;
	}
	if (!n->wanted) {
		snprintf(buf, len, "%s", now);
		return;
	}
	left_text(n->left_s, left, sizeof left);
	if (in_effect) {
		snprintf(buf, len, "%s sticky%s%s", now, n->left_s > 0 ? " " : "",
		         n->left_s > 0 ? left : "");
		if (n->left_s > 0)
			snprintf(buf + strlen(buf), len - strlen(buf), " left");
		return;
	}
	rates_text(n->want_to_bps, n->want_from_bps, want, sizeof want);
	*role = THEME_ERROR;
	snprintf(buf, len, "%s; wanted %s (changed outside domtop?)", now, want);
}

static void
vif_cells(const struct view_domain *d, size_t i, struct devcell *c)
{
	const struct view_vif *v = &d->vifs[i];
	bool throttled = v->raw->to_guest.rate_bps || v->raw->from_guest.rate_bps;
	bool errs = v->err_ps > 0 || v->drop_ps > 0;
	char bits[16];

	str_sanitize(c[0].text, sizeof c[0].text, v->raw->ifname);
	c[0].role = THEME_SUBROW;
	units_bits(v->rx_bps, bits, sizeof bits);
	cell(&c[1], THEME_SUBROW, "%s", d->has_rates ? bits : "-");
	units_bits(v->tx_bps, bits, sizeof bits);
	cell(&c[2], THEME_SUBROW, "%s", d->has_rates ? bits : "-");
	rate_cell(&c[3], d->has_rates, v->rx_pps + v->tx_pps, THEME_SUBROW);
	rate_cell(&c[4], d->has_rates, v->err_ps, errs ? THEME_THROTTLED : THEME_SUBROW);
	rate_cell(&c[5], d->has_rates, v->drop_ps, errs ? THEME_THROTTLED : THEME_SUBROW);
	throttle_text(v->raw, c[6].text, sizeof c[6].text);
	c[6].role = throttled ? THEME_THROTTLED : THEME_SUBROW;
}

/* Cells drawn selected keep their text; the row takes the selection's colours. */
static void
select_cells(struct devcell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c[i].role = THEME_SELECTED;
}

/* ioprio only matters under bfq (and partly mq-deadline); "" = unknown. */
static bool
ioprio_effective(const char *sched)
{
	return sched[0] == '\0' || strcmp(sched, "bfq") == 0 || strcmp(sched, "mq-deadline") == 0;
}

static void
ioprio_cell(const struct sample_vbd *v, struct devcell *c)
{
	static const char *const classes[] = { "none", "rt", "be", "idle" };

	if (v->ioprio_class < 0 || v->ioprio_class > 3)
		cell(c, THEME_SUBROW, "?");
	else if (v->ioprio_class == 3 || v->ioprio_class == 0)
		cell(c, THEME_SUBROW, "%s", classes[v->ioprio_class]);
	else
		cell(c, THEME_SUBROW, "%s/%d", classes[v->ioprio_class], v->ioprio_level);
}

static void
vbd_cells(const struct view_domain *d, size_t i, struct devcell *c)
{
	const struct view_vbd *v = &d->vbds[i];
	char sched[32];
	bool r = d->has_rates;

	str_sanitize(c[0].text, sizeof c[0].text, v->raw->name);
	str_sanitize(c[1].text, sizeof c[1].text, v->raw->backend);
	c[0].role = c[1].role = THEME_SUBROW;
	rate_cell(&c[2], r, v->rd_iops + v->wr_iops, THEME_SUBROW);
	rate_cell(&c[3], r, v->rd_Bps, THEME_SUBROW);
	rate_cell(&c[4], r, v->wr_Bps, THEME_SUBROW);
	if (d->iow_off)
		cell(&c[5], THEME_SUBROW, "off");
	else if (r)
		cell(&c[5], THEME_SUBROW, "%.1f", v->iow_pct);
	else
		cell(&c[5], THEME_SUBROW, "-");
	rate_cell(&c[6], r, v->oo_ps, r && v->oo_ps > 0 ? THEME_THROTTLED : THEME_SUBROW);
	ioprio_cell(v->raw, &c[7]);
	str_sanitize(sched, sizeof sched, v->raw->scheduler);
	if (ioprio_effective(sched))
		cell(&c[8], THEME_SUBROW, "%s", sched[0] ? sched : "?");
	else
		cell(&c[8], THEME_THROTTLED, "%s (ioprio has no effect)", sched);
}

/* ---- drawing ---- */

/* Cuts a comma-separated list to width cells between items, marking the cut with "..". */
static void
fit_list(char *text, int width)
{
	char *comma;

	while (columns_text_width(text) > width && (comma = strrchr(text, ',')) != NULL) {
		*comma = '\0';
		if (columns_text_width(text) + 3 <= width) {
			strcat(text, " ..");
			return;
		}
	}
}

/* Draws cells under cols from DEV_INDENT; stops at the first column that does not fit. */
static void
draw_cells(struct crt *c, int y, const struct devcol *cols, size_t n, struct devcell *cells)
{
	char buf[DEV_CELL * 2];
	int x = DEV_INDENT;

	for (size_t i = 0; i < n; i++) {
		int w = cols[i].width ? cols[i].width : c->cols - x;

		if (w < columns_text_width(cols[i].hdr) || x + w > c->cols)
			return;
		if (cols[i].width == 0)
			fit_list(cells[i].text, w);
		if (!cols[i].left && columns_text_width(cells[i].text) > w)
			snprintf(cells[i].text, sizeof cells[i].text, "%.*s", w, "****************");
		columns_fit(buf, sizeof buf, cells[i].text, w, !cols[i].left);
		crt_put(c, y, x, cells[i].role, buf, w);
		x += w + 1;
	}
}

void
devrows_draw_header(struct crt *c, int y, const struct view_domain *d, enum devrows_kind k)
{
	struct devcell cells[DEV_MAX_COLS];

	crt_fill(c, y, 0, c->cols, THEME_SUBROW);
	if (devrows_count(d, k) == 0) {
		crt_put(c, y, DEV_INDENT, THEME_SUBROW, kinds[k].none, c->cols - DEV_INDENT);
		return;
	}
	for (size_t i = 0; i < kinds[k].n; i++)
		cell(&cells[i], THEME_SUBROW_HEADER, "%s", kinds[k].cols[i].hdr);
	draw_cells(c, y, kinds[k].cols, kinds[k].n, cells);
}

void
devrows_draw_vif(struct crt *c, int y, const struct view_domain *d, size_t i,
                 const struct devrows_vif_note *n)
{
	struct devcell cells[DEV_MAX_COLS];
	enum theme_role role = THEME_SUBROW;
	size_t nc = kinds[DEVROWS_VIF].n;

	crt_fill(c, y, 0, c->cols, n->selected ? THEME_SELECTED : THEME_SUBROW);
	if (i >= devrows_count(d, DEVROWS_VIF))
		return;
	vif_cells(d, i, cells);
	if (n->real && d->vifs[i].raw->ifindex == 0)
		for (size_t k = 1; k < 6; k++)
			cell(&cells[k], THEME_SUBROW, "-");
	role = cells[nc - 1].role;
	throttle_note_text(d->vifs[i].raw, n, cells[nc - 1].text, sizeof cells[nc - 1].text, &role);
	cells[nc - 1].role = role;
	if (n->selected)
		select_cells(cells, nc);
	draw_cells(c, y, kinds[DEVROWS_VIF].cols, nc, cells);
}

void
devrows_draw(struct crt *c, int y, const struct view_domain *d, enum devrows_kind k,
             size_t i, unsigned nr_pcpus)
{
	struct devcell cells[DEV_MAX_COLS];

	crt_fill(c, y, 0, c->cols, THEME_SUBROW);
	if (i >= devrows_count(d, k))
		return;
	if (k == DEVROWS_VCPU)
		vcpu_cells(d, i, nr_pcpus, cells);
	else if (k == DEVROWS_VIF)
		vif_cells(d, i, cells);
	else
		vbd_cells(d, i, cells);
	draw_cells(c, y, kinds[k].cols, kinds[k].n, cells);
}
