/*
 * batch.c: batch output (see batch.h). Text uses the console's column table
 * at fixed widths, so a script can cut columns by position; JSON carries every
 * field, the raw counters and the rates, one object per sample per line,
 * built with jansson.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/cpulist.h"
#include "backend/loop.h"
#include "backend/str.h"
#include "backend/throttle.h"
#include "tui/batch.h"
#include "tui/columns.h"
#include "tui/units.h"

/* ---- text ---- */

static void
batch_summary(const struct app *a, FILE *out)
{
	const struct sample_host *h = &a->cur.host;
	const struct view_host *vh = &a->view.host;
	char used[16], total[16], host[SAMPLE_NAME_MAX], ts[16];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	units_kib(vh->used_mem_kb, used, sizeof used);
	units_kib(h->tot_mem_kb, total, sizeof total);
	str_sanitize(host, sizeof host, h->hostname);
	fprintf(out, "domtop %s %s (%s): cpu %.1f%% of %u pCPUs, mem %s/%s, sched %s, "
	        "%zu domains: %u running %u blocked %u paused %u crashed %u dying %u shutdown, "
	        "interval %.2fs\n",
	        ts, host, h->hypervisor, vh->cpu_pct, h->nr_pcpus, used, total, h->sched,
	        a->view.n, vh->by_state[5], vh->by_state[2], vh->by_state[4], vh->by_state[3],
	        vh->by_state[0], vh->by_state[1], (double)vh->interval_ns / 1e9);
}

int
batch_print_text(const struct app *a, FILE *out)
{
	struct column_list cols;
	char cell[COLUMN_TEXT_MAX], hdr[COLUMN_TEXT_MAX];

	columns_default(&cols);
	batch_summary(a, out);
	for (size_t i = 0; i < cols.n; i++) {
		const struct column *c = columns_get(cols.ids[i]);

		columns_fit(hdr, sizeof hdr, c->header, c->width, !c->left);
		fprintf(out, "%s%s", i ? " " : "", hdr);
	}
	fputc('\n', out);
	for (size_t r = 0; r < a->view.n; r++) {
		for (size_t i = 0; i < cols.n; i++) {
			const struct column *c = columns_get(cols.ids[i]);

			columns_cell(c, &a->view.doms[r], c->width, cell, sizeof cell);
			fprintf(out, "%s%s", i ? " " : "", cell);
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}

/* ---- JSON ---- */

/* Rates are rounded to 3 decimals: the noise below that is not information. */
static json_t *
batch_real(double v)
{
	if (!isfinite(v))
		v = 0;
	return json_real(round(v * 1000.0) / 1000.0);
}

/* IO wait, or null when the host does not account IO delay (it would read 0). */
static json_t *
batch_iow(const struct view_domain *d, double v)
{
	return d->iow_off ? json_null() : batch_real(v);
}

static json_t *
batch_str(const char *s)
{
	char clean[COLUMN_TEXT_MAX];

	str_sanitize(clean, sizeof clean, s);
	return json_string(clean);
}

static json_t *
batch_vcpus(const struct view_domain *d, unsigned nr_pcpus)
{
	json_t *arr = json_array();
	char aff[256];

	for (size_t i = 0; i < d->raw->n_vcpus; i++) {
		const struct sample_vcpu *v = &d->raw->vcpus[i];

		cpulist_format(&v->affinity, nr_pcpus, aff, sizeof aff);
		json_array_append_new(arr, json_pack("{s:I,s:b,s:b,s:I,s:I,s:o,s:s}",
		    "id", (json_int_t)v->id, "online", v->online, "running", v->running,
		    "pcpu", (json_int_t)v->pcpu, "cpu_ns", (json_int_t)v->cpu_ns,
		    "cpu_pct", batch_real(d->vcpus[i].cpu_pct), "affinity", aff));
	}
	return arr;
}

/*
 * What the kernel (or the demo host) has on the vif is throttle_*_bps; the
 * sticky registry adds what is wanted and when it is lifted; "real" says the
 * vif is a dom0 interface (flows can be captured), "present" that it exists.
 */
static void
batch_vif_throttle(const struct app *a, const struct sample_domain *d, const struct sample_vif *v,
                   json_t *o)
{
	const struct throttle_entry *t = NULL;
	char ifname[SAMPLE_DEV_MAX];
	struct err e;
	bool real = hv_vif_ifname(a->hv, d->domid, v->devid, ifname, sizeof ifname, &e) == 0;

	if (a->actions != NULL)
		t = action_throttle_find(a->actions, d->name, v->devid);
	json_object_set_new(o, "ifindex", json_integer(v->ifindex));
	json_object_set_new(o, "real", json_boolean(real));
	json_object_set_new(o, "present", json_boolean(!real || v->ifindex != 0));
	json_object_set_new(o, "throttle_sticky", json_boolean(t != NULL));
	json_object_set_new(o, "throttle_wanted_to_guest_bps",
	                    json_integer(t ? (json_int_t)t->to_guest_bps : 0));
	json_object_set_new(o, "throttle_wanted_from_guest_bps",
	                    json_integer(t ? (json_int_t)t->from_guest_bps : 0));
	json_object_set_new(o, "throttle_expires",
	                    t && t->expires ? json_integer((json_int_t)t->expires) : json_null());
}

static json_t *
batch_vifs(const struct app *a, const struct view_domain *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->raw->n_vifs; i++) {
		const struct sample_vif *v = &d->raw->vifs[i];
		const struct view_vif *r = &d->vifs[i];
		json_t *o;

		o = json_pack(
		    "{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:I}",
		    "devid", (json_int_t)v->devid, "ifname", batch_str(v->ifname),
		    "rx_bytes", (json_int_t)v->rx_bytes, "rx_packets", (json_int_t)v->rx_packets,
		    "rx_errors", (json_int_t)v->rx_errors, "rx_drops", (json_int_t)v->rx_drops,
		    "tx_bytes", (json_int_t)v->tx_bytes, "tx_packets", (json_int_t)v->tx_packets,
		    "tx_errors", (json_int_t)v->tx_errors, "tx_drops", (json_int_t)v->tx_drops,
		    "rx_bps", batch_real(r->rx_bps), "tx_bps", batch_real(r->tx_bps),
		    "rx_pps", batch_real(r->rx_pps), "tx_pps", batch_real(r->tx_pps),
		    "throttle_to_guest_bps", (json_int_t)v->to_guest.rate_bps,
		    "throttle_from_guest_bps", (json_int_t)v->from_guest.rate_bps);
		if (o != NULL)
			batch_vif_throttle(a, d->raw, v, o);
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
batch_vbds(const struct view_domain *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->raw->n_vbds; i++) {
		const struct sample_vbd *v = &d->raw->vbds[i];
		const struct view_vbd *r = &d->vbds[i];

		json_array_append_new(arr, json_pack(
		    "{s:I,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:i,s:i,s:o}",
		    "devid", (json_int_t)v->devid, "name", batch_str(v->name),
		    "backend", batch_str(v->backend),
		    "oo_req", (json_int_t)v->oo_req, "rd_req", (json_int_t)v->rd_req,
		    "wr_req", (json_int_t)v->wr_req, "rd_sect", (json_int_t)v->rd_sect,
		    "wr_sect", (json_int_t)v->wr_sect, "delay_ns", (json_int_t)v->delay_ns,
		    "rd_iops", batch_real(r->rd_iops), "wr_iops", batch_real(r->wr_iops),
		    "rd_Bps", batch_real(r->rd_Bps), "wr_Bps", batch_real(r->wr_Bps),
		    "oo_ps", batch_real(r->oo_ps), "iow_pct", batch_iow(d, r->iow_pct),
		    "ioprio_class", v->ioprio_class, "ioprio_level", v->ioprio_level,
		    "scheduler", batch_str(v->scheduler)));
	}
	return arr;
}

static json_t *
batch_domain(const struct app *a, const struct view_domain *d, unsigned nr_pcpus)
{
	const struct sample_domain *r = d->raw;
	char state[7];

	sample_state_letters(r->state, state);
	return json_pack(
	    "{s:I,s:o,s:s,s:b,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
	    "id", (json_int_t)r->domid, "name", batch_str(r->name), "state", state,
	    "has_rates", d->has_rates,
	    "cpu_pct", batch_real(d->cpu_pct), "ent_pct", batch_real(d->ent_pct),
	    "use", batch_real(d->use),
	    "weight", (json_int_t)r->weight, "cap", (json_int_t)r->cap,
	    "cpu_ns", (json_int_t)r->cpu_ns, "mem_kb", (json_int_t)r->mem_kb,
	    "maxmem_kb", (json_int_t)r->maxmem_kb, "vcpus", (json_int_t)r->nr_vcpus,
	    "net_rx_bps", batch_real(d->rx_bps), "net_tx_bps", batch_real(d->tx_bps),
	    "pps", batch_real(d->pps), "iow_pct", batch_iow(d, d->iow_pct),
	    "iops", batch_real(d->iops),
	    "vcpu", batch_vcpus(d, nr_pcpus), "vif", batch_vifs(a, d), "vbd", batch_vbds(d));
}

int
batch_print_json(const struct app *a, FILE *out)
{
	const struct sample_host *h = &a->cur.host;
	const struct view_host *vh = &a->view.host;
	json_t *doms = json_array(), *obj;
	struct timespec now;
	int rc;

	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < a->view.n; i++)
		json_array_append_new(doms, batch_domain(a, &a->view.doms[i], h->nr_pcpus));
	obj = json_pack("{s:o,s:o,s:{s:o,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b},s:o}",
	    "time", json_real((double)now.tv_sec + now.tv_nsec / 1e9),
	    "interval_s", batch_real((double)vh->interval_ns / 1e9),
	    "host",
	    "hostname", batch_str(h->hostname), "hypervisor", h->hypervisor, "sched", h->sched,
	    "pcpus", (json_int_t)h->nr_pcpus, "tot_mem_kb", (json_int_t)h->tot_mem_kb,
	    "free_mem_kb", (json_int_t)h->free_mem_kb, "used_mem_kb", (json_int_t)vh->used_mem_kb,
	    "cpu_pct", batch_real(vh->cpu_pct),
	    "running", (json_int_t)vh->by_state[5], "blocked", (json_int_t)vh->by_state[2],
	    "paused", (json_int_t)vh->by_state[4], "crashed", (json_int_t)vh->by_state[3],
	    "dying", (json_int_t)vh->by_state[0], "shutdown", (json_int_t)vh->by_state[1],
	    "sum_weight", (json_int_t)vh->sum_weight,
	    "io_delay_accounting", !h->io_delay_off,
	    "domains", doms);
	if (obj == NULL)
		return -1;
	rc = json_dumpf(obj, out, JSON_COMPACT);
	fputc('\n', out);
	json_decref(obj);
	return rc < 0 || ferror(out) ? -1 : 0;
}

/* ---- the loop ---- */

static void
batch_sleep_until(uint64_t deadline_ns)
{
	uint64_t now;

	while ((now = loop_now_ns()) < deadline_ns) {
		uint64_t left = deadline_ns - now;
		struct timespec ts = { (time_t)(left / 1000000000u), (long)(left % 1000000000u) };

		nanosleep(&ts, NULL);
	}
}

/* What the backend's libraries said, on stderr: never in the output itself. */
static void
batch_news(struct app *a)
{
	char text[ERR_MSG_MAX], clean[ERR_MSG_MAX];

	if (hv_take_notice(a->hv, text, sizeof text) == 0)
		return;
	str_sanitize(clean, sizeof clean, text);
	fprintf(stderr, "domtop: %s\n", clean);
}

int
batch_run(struct app *a, FILE *out, struct err *e)
{
	uint64_t next = loop_now_ns();

	/* app_open took a first sample; every printed sample has rates */
	for (long i = 0; a->opt.iterations == 0 || i < a->opt.iterations; i++) {
		next += a->interval_ns;
		batch_sleep_until(next);
		if (app_refresh(a, e) < 0)
			return -1;
		batch_news(a);
		if ((a->opt.json ? batch_print_json(a, out) : batch_print_text(a, out)) < 0)
			return err_set(e, "cannot write the batch output");
		fflush(out);
	}
	return 0;
}
