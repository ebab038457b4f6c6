/*
 * flowview.c: the flow view (F) of a domain's vifs, or of one vif: its top
 * talkers by rate over 2 s, 10 s and 40 s (remote address, port, protocol,
 * bits/s and packets/s each way), the abuse hints, the capture's drops, and
 * whether the flow table is summarising. It opens one capture
 * (backend/flows.h) per vif that is a real dom0 interface, with its fd in
 * the event loop, and closes them when the view is left (Esc or q). A
 * simulated vif has no packets: the view says so. 1, 2, 3 choose the window
 * the list is sorted by.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/flows.h"
#include "backend/str.h"
#include "tui/keys.h"
#include "tui/ui.h"
#include "tui/units.h"

#define FV_MAX_VIFS 16
#define FV_TOP 64               /* flows taken from each capture per draw */
#define FV_MIN_BOUND (2u << 20)

struct fv_vif {
	struct ui *u;
	unsigned devid;
	char ifname[SAMPLE_DEV_MAX];
	struct flows_capture *cap;  /* NULL: none (simulated, failed, or gone) */
	int fd;
	char error[ERR_MSG_MAX];    /* why there is no capture */
};

struct fv_row {
	struct flows_row r;
	unsigned devid;
};

/*
 * Allocated once per console and kept: a capture fd still pending in the
 * loop's current round may call back after the view was closed, and must
 * find a slot, not freed memory.
 */
struct flowview {
	uint32_t domid;
	int devid;                  /* -1: every vif */
	char title[SAMPLE_NAME_MAX * 2 + 32];
	size_t n;
	struct fv_vif v[FV_MAX_VIFS];
	enum flows_window by;
	struct fv_row rows[FV_MAX_VIFS * FV_TOP];
	struct flows_row scratch[FV_TOP];
};

/* ---- captures ---- */

static void
fv_stop(struct fv_vif *s)
{
	if (s->cap == NULL)
		return;
	if (s->u->loop != NULL)
		loop_del_fd(s->u->loop, s->fd);
	flows_capture_close(s->cap);
	s->cap = NULL;
}

static void
fv_on_packets(struct loop *l, int fd, short revents, void *arg)
{
	struct fv_vif *s = arg;
	struct err e;

	(void)l;
	(void)fd;
	(void)revents;
	if (s->cap == NULL)
		return;
	if (flows_capture_read(s->cap, loop_now_ns(), &e) < 0) {
		snprintf(s->error, sizeof s->error, "capture stopped: %s", e.msg);
		fv_stop(s);
	}
}

static void
fv_start(struct ui *u, struct fv_vif *s, size_t bound)
{
	struct flows_opts o;
	struct err e;

	flows_opts_default(&o);
	o.mem_bytes = bound;
	if (flows_capture_open(&s->cap, s->ifname, &o, &e) < 0) {
		snprintf(s->error, sizeof s->error, "cannot capture on %s: %s", s->ifname, e.msg);
		s->cap = NULL;
		return;
	}
	s->fd = flows_capture_fd(s->cap);
	if (u->loop != NULL && loop_add_fd(u->loop, s->fd, POLLIN, fv_on_packets, s, &e) < 0) {
		snprintf(s->error, sizeof s->error, "%s", e.msg);
		flows_capture_close(s->cap);
		s->cap = NULL;
	}
}

void
flowview_close(struct ui *u)
{
	struct flowview *f = u->flows;

	if (f != NULL)
		for (size_t i = 0; i < f->n; i++)
			fv_stop(&f->v[i]);
	if (u->mode == UI_FLOWS)
		u->mode = UI_TABLE;
}

void
flowview_free(struct ui *u)
{
	flowview_close(u);
	free(u->flows);
	u->flows = NULL;
}

void
flowview_open(struct ui *u, const struct view_domain *d, int devid)
{
	struct flowview *f = u->flows;
	char name[SAMPLE_NAME_MAX * 2];
	size_t real = 0, bound;
	struct err e;

	if (f == NULL && (f = u->flows = calloc(1, sizeof *f)) == NULL) {
		ui_message(u, true, "out of memory for the flow view");
		return;
	}
	flowview_close(u);
	f->domid = d->raw->domid;
	f->devid = devid;
	f->by = FLOWS_W10S;
	f->n = 0;
	str_sanitize(name, sizeof name, d->raw->name);
	if (devid >= 0)
		snprintf(f->title, sizeof f->title, "%s vif %d", name, devid);
	else
		snprintf(f->title, sizeof f->title, "%s", name);
	for (size_t i = 0; i < d->raw->n_vifs && f->n < FV_MAX_VIFS; i++) {
		struct fv_vif *s = &f->v[f->n];

		if (devid >= 0 && d->raw->vifs[i].devid != (unsigned)devid)
			continue;
		memset(s, 0, sizeof *s);
		s->u = u;
		s->devid = d->raw->vifs[i].devid;
		if (hv_vif_ifname(u->a->hv, f->domid, s->devid, s->ifname, sizeof s->ifname, &e) < 0)
			snprintf(s->error, sizeof s->error, "%s", e.msg);
		else
			real++;
		f->n++;
	}
	bound = real ? u->a->cfg.flows_mem / real : 0;
	if (bound < FV_MIN_BOUND)
		bound = FV_MIN_BOUND;
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].ifname[0] != '\0' && f->v[i].error[0] == '\0')
			fv_start(u, &f->v[i], bound);
	u->mode = UI_FLOWS;
	if (f->n == 0)
		ui_message(u, true, "%s has no vifs: no traffic to show", name);
	else
		ui_message(u, false, "flows of %s: 1/2/3 sort by 2 s/10 s/40 s, Esc or q returns",
		           f->title);
}

void
flowview_key(struct ui *u, int key)
{
	struct flowview *f = u->flows;

	switch (key) {
	case '1': f->by = FLOWS_W2S; break;
	case '2': f->by = FLOWS_W10S; break;
	case '3': f->by = FLOWS_W40S; break;
	case KEYS_CTRL('L'): clearok(curscr, TRUE); break;
	case KEYS_ESC:
	case 'q':
	case 'F':
		flowview_close(u);
		ui_message(u, false, "%s", "");
		break;
	default:
		ui_message(u, false, "flow view: 1/2/3 sort by 2 s/10 s/40 s, Esc or q returns");
		break;
	}
}

/* ---- drawing ---- */

static double
fv_bytes(const struct flows_row *r, enum flows_window w)
{
	return r->rate[w].bps_in + r->rate[w].bps_out;
}

static int
fv_cmp(const void *a, const void *b, void *arg)
{
	enum flows_window w = *(const enum flows_window *)arg;
	double x = fv_bytes(&((const struct fv_row *)a)->r, w);
	double y = fv_bytes(&((const struct fv_row *)b)->r, w);

	return (x < y) - (x > y);
}

/* The top flows of every capture, merged, best first. */
static size_t
fv_collect(struct flowview *f, uint64_t now)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		size_t k;

		if (f->v[i].cap == NULL)
			continue;
		k = flows_top(flows_capture_table(f->v[i].cap), now, f->by, f->scratch, FV_TOP);
		for (size_t j = 0; j < k; j++)
			f->rows[n++] = (struct fv_row){ f->scratch[j], f->v[i].devid };
	}
	qsort_r(f->rows, n, sizeof f->rows[0], fv_cmp, &f->by);
	return n;
}

/* Capture counters of every vif, added up, and the flow table's state. */
static void
fv_status(struct flowview *f, char *buf, size_t len)
{
	struct flows_capture_stats all = { 0, 0, 0, 0, 0 };
	size_t flows = 0, bytes = 0, bound = 0, live = 0;
	bool summarising = false;

	for (size_t i = 0; i < f->n; i++) {
		struct flows_capture_stats st;
		const struct flows_table *t;

		if (f->v[i].cap == NULL)
			continue;
		live++;
		t = flows_capture_table(f->v[i].cap);
		if (flows_capture_stats(f->v[i].cap, &st) == 0) {
			all.captured += st.captured;
			all.skipped += st.skipped;
			all.kernel_drops += st.kernel_drops;
			all.if_drops += st.if_drops;
		}
		flows += flows_table_count(t);
		bytes += flows_table_bytes(t);
		bound += flows_capture_bound(f->v[i].cap);
		summarising |= flows_table_summarising(t);
	}
	if (live == 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "captured %llu packets (%llu not IP); pcap drops: %llu kernel, %llu "
	         "interface; %zu flows in %zu of %zu KiB%s",
	         (unsigned long long)all.captured, (unsigned long long)all.skipped,
	         (unsigned long long)all.kernel_drops, (unsigned long long)all.if_drops, flows,
	         bytes >> 10, bound >> 10,
	         summarising ? "; SUMMARISING: table full, per-flow numbers are partial" : "");
}

/* The abuse hints of every capture, as one line. */
static bool
fv_hints(struct flowview *f, uint64_t now, char *buf, size_t len)
{
	size_t at = 0;
	bool any = false;

	at += (size_t)snprintf(buf, len, "hints (10 s):");
	for (size_t i = 0; i < f->n && at < len; i++) {
		struct flows_hints h;
		const char *vif = f->n > 1 ? "vif" : "";
		char pre[16] = "";

		if (f->v[i].cap == NULL)
			continue;
		flows_hints(flows_capture_table(f->v[i].cap), now, &h);
		if (*vif)
			snprintf(pre, sizeof pre, "vif%u ", f->v[i].devid);
		if (h.flags & FLOWS_HINT_SMALL_FLOOD)
			at += (size_t)snprintf(buf + at, len - at, " %sflood of small packets (%.0f/s, "
			                       "%.0f%%);", pre, h.small_pps, h.small_share * 100);
		if (at < len && (h.flags & FLOWS_HINT_FANOUT))
			at += (size_t)snprintf(buf + at, len - at, " %sfan-out to %.0f addresses "
			                       "(scanning?);", pre, h.fanout_dsts);
		if (at < len && (h.flags & FLOWS_HINT_SMTP))
			at += (size_t)snprintf(buf + at, len - at, " %soutbound SMTP (%u flows);", pre,
			                       h.smtp_flows);
		any |= h.flags != 0;
	}
	if (!any)
		snprintf(buf, len, "hints (10 s): none (no small-packet flood, fan-out or outbound SMTP)");
	return any;
}

struct fv_layout {
	int remote;                 /* width of the address column */
	bool vif;                   /* a VIF column (several vifs) */
	bool show[FLOWS_NWINDOWS];
};

#define FV_GROUP 21             /* " IN b/s OUT b/s PKT/s" per window, with its gap */

static void
fv_layout(const struct flowview *f, int cols, struct fv_layout *l)
{
	static const enum flows_window order[] = { FLOWS_W10S, FLOWS_W2S, FLOWS_W40S };
	int left = cols - 12 - 15;  /* PORT, PROTO and the narrowest address */

	memset(l, 0, sizeof *l);
	l->vif = f->n > 1;
	if (l->vif)
		left -= 5;
	/* the sort window first, then 10 s, 2 s, 40 s */
	l->show[f->by] = left >= FV_GROUP;
	left -= l->show[f->by] ? FV_GROUP : 0;
	for (size_t i = 0; i < 3; i++) {
		if (order[i] == f->by || left < FV_GROUP)
			continue;
		l->show[order[i]] = true;
		left -= FV_GROUP;
	}
	l->remote = 15 + (left > 24 ? 24 : left > 0 ? left : 0);
}

static void
fv_put(struct crt *c, int y, int *x, enum theme_role r, const char *text, int w, bool right)
{
	char buf[128];

	columns_fit(buf, sizeof buf, text, w, right);
	crt_put(c, y, *x, r, buf, w);
	*x += w + 1;
}

static void
fv_header(struct ui *u, struct flowview *f, const struct fv_layout *l, int y)
{
	struct crt *c = &u->crt;
	int x = 0;

	crt_fill(c, y, 0, c->cols, THEME_COLUMN_HEADER);
	if (l->vif)
		fv_put(c, y, &x, THEME_COLUMN_HEADER, "VIF", 4, false);
	fv_put(c, y, &x, THEME_COLUMN_HEADER, "REMOTE", l->remote, false);
	fv_put(c, y, &x, THEME_COLUMN_HEADER, "PORT", 5, true);
	fv_put(c, y, &x, THEME_COLUMN_HEADER, "PROTO", 5, false);
	for (int w = 0; w < FLOWS_NWINDOWS; w++) {
		char in[16], out[16], pps[16];
		enum theme_role r = w == (int)f->by ? THEME_COLUMN_SORT : THEME_COLUMN_HEADER;
		int s = flows_window_seconds((enum flows_window)w);

		if (!l->show[w])
			continue;
		snprintf(in, sizeof in, "IN%ds", s);
		snprintf(out, sizeof out, "OUT%ds", s);
		snprintf(pps, sizeof pps, "PKT/s");
		fv_put(c, y, &x, r, in, 6, true);
		fv_put(c, y, &x, r, out, 6, true);
		fv_put(c, y, &x, r, pps, 5, true);
		x += 1;
	}
}

static void
fv_line(struct ui *u, const struct fv_row *row, const struct fv_layout *l, int y)
{
	struct crt *c = &u->crt;
	const struct flows_row *r = &row->r;
	char addr[64], port[16], n[16];
	int x = 0;

	crt_fill(c, y, 0, c->cols, THEME_NORMAL);
	if (l->vif) {
		snprintf(n, sizeof n, "%u", row->devid);
		fv_put(c, y, &x, THEME_NORMAL, n, 4, false);
	}
	flows_addr_str(&r->key, addr, sizeof addr);
	fv_put(c, y, &x, THEME_NORMAL, addr, l->remote, false);
	if (r->key.port)
		snprintf(port, sizeof port, "%u", r->key.port);
	else
		snprintf(port, sizeof port, "-");
	fv_put(c, y, &x, THEME_NORMAL, port, 5, true);
	fv_put(c, y, &x, r->key.proto == 6 && r->key.port == 25 ? THEME_THROTTLED : THEME_NORMAL,
	       flows_proto_name(r->key.proto), 5, false);
	for (int w = 0; w < FLOWS_NWINDOWS; w++) {
		if (!l->show[w])
			continue;
		units_bits(r->rate[w].bps_in, n, sizeof n);
		fv_put(c, y, &x, THEME_NORMAL, n, 6, true);
		units_bits(r->rate[w].bps_out, n, sizeof n);
		fv_put(c, y, &x, THEME_NORMAL, n, 6, true);
		units_count(r->rate[w].pps_in + r->rate[w].pps_out, n, sizeof n);
		fv_put(c, y, &x, THEME_NORMAL, n, 5, true);
		x += 1;
	}
}

/* Text over as many lines as it needs (at most h), broken at spaces; returns the lines used. */
static int
fv_wrap(struct crt *c, int y, int h, enum theme_role r, const char *text)
{
	char line[ERR_MSG_MAX * 2];
	int used = 0;

	while (*text != '\0' && used < h) {
		size_t n = columns_prefix(text, c->cols), brk = n;

		if (text[n] != '\0') {
			while (brk > 0 && text[brk] != ' ')
				brk--;
			if (brk == 0)
				brk = n;
		}
		snprintf(line, sizeof line, "%.*s", (int)brk, text);
		crt_fill(c, y + used, 0, c->cols, THEME_NORMAL);
		crt_put(c, y + used, 0, r, line, c->cols);
		text += brk;
		while (*text == ' ')
			text++;
		used++;
	}
	return used;
}

/* Lines saying why vifs have no capture: simulated, failed, stopped. */
static int
fv_errors(struct ui *u, struct flowview *f, int y, int h)
{
	int used = 0;

	for (size_t i = 0; i < f->n && used < h; i++) {
		char line[ERR_MSG_MAX + 32], clean[ERR_MSG_MAX + 32];

		if (f->v[i].cap != NULL || f->v[i].error[0] == '\0')
			continue;
		snprintf(line, sizeof line, "vif %u: %s", f->v[i].devid, f->v[i].error);
		str_sanitize(clean, sizeof clean, line);
		used += fv_wrap(&u->crt, y + used, h - used, THEME_ERROR, clean);
	}
	return used;
}

void
flowview_draw(struct ui *u, int y, int h)
{
	struct flowview *f = u->flows;
	struct crt *c = &u->crt;
	struct fv_layout l;
	uint64_t now = loop_now_ns();
	char line[ERR_MSG_MAX * 2];
	size_t n;
	int at = y, end = y + h;

	if (f == NULL || h < 2)
		return;
	snprintf(line, sizeof line, "Flows of %s, top talkers over %d s (IN = to the guest, OUT = "
	         "from it)", f->title, flows_window_seconds(f->by));
	crt_fill(c, at, 0, c->cols, THEME_HELP_TITLE);
	crt_put(c, at++, 0, THEME_HELP_TITLE, line, c->cols);
	at += fv_errors(u, f, at, end - at);
	fv_status(f, line, sizeof line);
	if (line[0] != '\0' && at < end) {
		crt_fill(c, at, 0, c->cols, THEME_NORMAL);
		crt_put(c, at++, 0, strstr(line, "SUMMARISING") ? THEME_THROTTLED : THEME_NORMAL,
		        line, c->cols);
	}
	if (line[0] == '\0')
		return;         /* no capture at all: the errors said why */
	if (at < end) {
		bool any = fv_hints(f, now, line, sizeof line);

		crt_fill(c, at, 0, c->cols, THEME_NORMAL);
		crt_put(c, at++, 0, any ? THEME_ERROR : THEME_NORMAL, line, c->cols);
	}
	if (at >= end)
		return;
	fv_layout(f, c->cols, &l);
	fv_header(u, f, &l, at++);
	n = fv_collect(f, now);
	for (size_t i = 0; i < n && at < end; i++)
		fv_line(u, &f->rows[i], &l, at++);
	if (n == 0 && at < end)
		crt_put(c, at, 0, THEME_NORMAL, "(no IP traffic seen yet: rates need 2 s)", c->cols);
}
