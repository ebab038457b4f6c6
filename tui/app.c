/* app.c: what the front ends share (see app.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/loop.h"
#include "tui/app.h"

static void
app_load_config(struct app *a)
{
	config_defaults(&a->cfg);
	if (a->opt.config_path == NULL) {
		config_load_default_files(&a->cfg);
	} else if (access(a->opt.config_path, R_OK) < 0) {
		config_warn(&a->cfg, "%s: cannot read the config file given with --config",
		            a->opt.config_path);
	} else {
		config_load_file(&a->cfg, a->opt.config_path);
	}
}

int
app_open(struct app *a, struct err *e)
{
	struct action_ctx_opts ao = { 0 };
	struct sim_options so = { a->opt.scenario, a->opt.seed };
	struct err ae;

	sample_init(&a->prev);
	sample_init(&a->cur);
	view_init(&a->view);
	app_load_config(a);
	app_set_delay(a, a->opt.delay_s > 0 ? a->opt.delay_s : a->cfg.delay_s);
	if ((a->opt.demo ? hv_sim_open(&a->hv, &so, e) : hv_xen_open(&a->hv, e)) < 0)
		return -1;
	ao.hv = a->hv;
	ao.audit_path = a->opt.audit_log ? a->opt.audit_log : a->cfg.audit_log;
	ao.read_only = a->opt.read_only;
	ao.use_syslog = a->cfg.audit_syslog;
	ao.host_label = a->opt.demo ? "demo" : a->hv->host.hostname;
	ao.throttle_state = a->cfg.throttle_state;
	if (action_ctx_new(&a->actions, &ao, &ae) < 0)
		return err_set(e, "%s", ae.msg);
	for (size_t i = 0; action_warning(a->actions, i) != NULL; i++)
		config_warn(&a->cfg, "%s", action_warning(a->actions, i));
	if (action_start_note(a->actions) != NULL)
		config_warn(&a->cfg, "%s", action_start_note(a->actions));
	return app_refresh(a, e);
}

void
app_close(struct app *a)
{
	action_ctx_free(a->actions);
	a->actions = NULL;
	view_free(&a->view);
	sample_free(&a->prev);
	sample_free(&a->cur);
	hv_close(a->hv);
	a->hv = NULL;
}

int
app_refresh(struct app *a, struct err *e)
{
	struct sample tmp = a->prev;

	/* swap so both samples keep their memory across refreshes */
	a->prev = a->cur;
	a->cur = tmp;
	if (hv_sample(a->hv, &a->cur, a->interval_ns, e) < 0) {
		tmp = a->cur;
		a->cur = a->prev;
		a->prev = tmp;
		return -1;
	}
	if (view_derive(&a->view, a->n_samples ? &a->prev : NULL, &a->cur) < 0)
		return err_set(e, "out of memory deriving rates for %zu domains", a->cur.n_domains);
	a->sampled_at_ns = loop_now_ns();
	a->n_samples++;
	return 0;
}

void
app_set_delay(struct app *a, double seconds)
{
	if (!(seconds >= 0.1))
		seconds = 0.1;
	if (seconds > 3600)
		seconds = 3600;
	a->interval_ns = (uint64_t)(seconds * 1e9 + 0.5);
}
