/*
 * sim_console.h: the console of a demo-host domain, a simulation. The demo
 * host has no real guests, so attaching a console on it (C in the console)
 * runs this where Xen runs xenconsole: domtop re-executes itself as
 * `domtop --sim-console NAME [paused]` on the terminal. It behaves enough
 * like a guest's serial console to use and test the attach: the terminal in
 * raw mode, a banner that says it is a simulation, a login prompt, typed
 * lines echoed with a canned reply, and Ctrl-] (as xenconsole) to leave,
 * with the terminal restored. A paused domain answers nothing, as a paused
 * guest would not.
 */
#ifndef DOMTOP_SIM_CONSOLE_H
#define DOMTOP_SIM_CONSOLE_H

#include <stdbool.h>

#include "backend/err.h"

#define SIM_CONSOLE_OPTION "--sim-console"
#define SIM_CONSOLE_ESCAPE 0x1d          /* Ctrl-], as xenconsole */

/*
 * main() of `domtop --sim-console NAME [paused]` (argv[0] is the option):
 * runs the console on stdin/stdout. Returns the exit status: 0 after
 * Ctrl-] or end of input, 1 on a read or terminal error, 2 on bad usage.
 */
int sim_console_main(int argc, char **argv);

/*
 * The console itself over in and out. When in is a terminal it is put in
 * raw mode and restored on every way out (Ctrl-], end of input, SIGTERM,
 * SIGHUP, SIGINT); with pipes (tests) it runs the same, without raw mode.
 */
int sim_console_run(const char *name, bool paused, int in, int out);

/*
 * Execs domtop itself (/proc/self/exe) as the simulated console of name.
 * Returns only on failure, with the reason.
 */
int sim_console_exec(const char *name, bool paused, struct err *e);

#endif
