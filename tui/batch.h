/*
 * batch.h: batch output, as `xentop -b`: fixed-width columns with a summary
 * line per sample, or with --json one JSON object per sample per line.
 */
#ifndef DOMTOP_BATCH_H
#define DOMTOP_BATCH_H

#include <stdio.h>

#include "backend/err.h"
#include "tui/app.h"

/* Prints a.opt.iterations samples (0 = until killed), a.interval_ns apart. */
int batch_run(struct app *a, FILE *out, struct err *e);
/* One sample of the current view, text or JSON, as batch_run prints it. */
int batch_print_text(const struct app *a, FILE *out);
int batch_print_json(const struct app *a, FILE *out);

#endif
