/*
 * console.h: the full-screen console (curses). Runs the event loop until the
 * operator quits; returns -1 with a message when the terminal cannot be used.
 */
#ifndef DOMTOP_CONSOLE_H
#define DOMTOP_CONSOLE_H

#include "backend/err.h"
#include "tui/app.h"

int console_run(struct app *a, struct err *e);

#endif
