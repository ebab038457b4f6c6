/*
 * app.h: what the three front ends (full-screen console, batch, --do) share:
 * the options, the backend, the action context, the config and the last two
 * samples with the view derived from them. No curses here.
 */
#ifndef DOMTOP_APP_H
#define DOMTOP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/action.h"
#include "backend/config.h"
#include "backend/hv.h"
#include "backend/sample.h"
#include "backend/view.h"

#define APP_MAX_DO 32

struct app_options {
	bool demo;                    /* --demo: the simulated host */
	const char *scenario;         /* --scenario FILE (implies --demo) */
	uint64_t seed;                /* --seed N */
	double delay_s;               /* -d; <= 0: from config */
	long iterations;              /* -i; 0 = forever */
	bool batch;                   /* -b */
	bool json;                    /* --json (implies -b) */
	bool read_only;               /* --read-only */
	const char *theme;            /* --theme */
	const char *sort;             /* --sort */
	const char *columns;          /* --columns */
	const char *config_path;      /* --config: read instead of the default files */
	const char *audit_log;        /* --audit-log */
	size_t n_do;
	const char *do_cmds[APP_MAX_DO];
};

struct app {
	struct app_options opt;
	struct config cfg;
	struct hv *hv;
	struct action_ctx *actions;
	struct sample prev, cur;
	struct view view;
	uint64_t sampled_at_ns;       /* real monotonic time of the last sample */
	uint64_t interval_ns;         /* nominal time between samples (the delay) */
	unsigned long n_samples;
};

/* Opens the backend and the action context as the options say. */
int app_open(struct app *a, struct err *e);
void app_close(struct app *a);

/* Takes a new sample (current becomes previous) and derives the view. */
int app_refresh(struct app *a, struct err *e);

/* Sets the delay between samples, bounded to 0.1 .. 3600 s. */
void app_set_delay(struct app *a, double seconds);

#endif
