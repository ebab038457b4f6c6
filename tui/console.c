/*
 * console.c: the full-screen console's event wiring. The terminal (stdin),
 * SIGWINCH, SIGINT/SIGTERM/SIGHUP and two timers go into the one event loop:
 * the sample timer takes a new sample every delay seconds (nothing else
 * does: a key only redraws), and a one-second tick redraws the age of the
 * sample. Drawing and keys are in ui.c and keys.c.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>

#include "tui/console.h"
#include "tui/keys.h"
#include "tui/ui.h"

#define TICK_NS 1000000000ull
#define MAX_KEYS_PER_WAKEUP 256

static void on_sample(struct loop *l, void *arg);
static void on_tick(struct loop *l, void *arg);

static void
schedule(struct ui *u, int *id, uint64_t at, loop_timer_cb cb)
{
	struct err e;

	*id = loop_add_timer(u->loop, at, cb, u, &e);
	if (*id < 0) {
		*id = 0;
		ui_message(u, true, "%s", e.msg);
	}
}

/* The next sample: one delay after the last; never in the past. */
static void
schedule_sample(struct ui *u)
{
	uint64_t now = loop_now_ns(), next = u->a->sampled_at_ns + u->a->interval_ns;

	if (next <= now)
		next = now + u->a->interval_ns;
	schedule(u, &u->sample_timer, next, on_sample);
}

void
console_reschedule(struct ui *u)
{
	if (u->loop == NULL)
		return;
	loop_del_timer(u->loop, u->sample_timer);
	schedule_sample(u);
}

static void
on_sample(struct loop *l, void *arg)
{
	struct ui *u = arg;
	struct err e;

	(void)l;
	u->sample_timer = 0;
	if (app_refresh(u->a, &e) < 0)
		ui_message(u, true, "sample failed: %s", e.msg);
	ui_rebuild(u);
	schedule_sample(u);
	ui_draw(u);
}

static void
on_tick(struct loop *l, void *arg)
{
	struct ui *u = arg;

	(void)l;
	schedule(u, &u->tick_timer, loop_now_ns() + TICK_NS, on_tick);
	ui_draw(u);
}

static void
on_resize(struct ui *u)
{
	crt_resize(&u->crt);
	clearok(curscr, TRUE);
}

static void
on_key(struct ui *u, int key)
{
	if (key == KEYS_FN(KEY_RESIZE))
		on_resize(u);
	else if (u->prompt.active)
		keys_prompt(u, key);
	else if (u->mode == UI_HELP)
		help_key(u, key);
	else if (u->mode == UI_SORT_MENU)
		sortmenu_key(u, key);
	else
		keys_dispatch(u, key);
}

static void
on_input(struct loop *l, int fd, short revents, void *arg)
{
	struct ui *u = arg;
	int key;

	(void)fd;
	if ((revents & (POLLHUP | POLLERR | POLLNVAL)) && !(revents & POLLIN)) {
		/* the terminal went away (ssh dropped): nobody is watching */
		u->quit = true;
		loop_stop(l);
		return;
	}
	for (int i = 0; i < MAX_KEYS_PER_WAKEUP && !u->quit && keys_read(&key); i++)
		on_key(u, key);
	if (!u->quit)
		ui_draw(u);
}

static void
on_signal(struct loop *l, int signo, void *arg)
{
	struct ui *u = arg;

	if (signo == SIGWINCH) {
		on_resize(u);
		ui_draw(u);
		return;
	}
	u->quit = true;
	loop_stop(l);
}

static int
console_wire(struct ui *u, struct err *e)
{
	static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };

	if (loop_add_fd(u->loop, fileno(u->crt.in), POLLIN, on_input, u, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (loop_add_signal(u->loop, sigs[i], on_signal, u, e) < 0)
			return -1;
	schedule_sample(u);
	schedule(u, &u->tick_timer, loop_now_ns() + TICK_NS, on_tick);
	return 0;
}

int
console_run(struct app *a, struct err *e)
{
	struct ui u;
	int rc = -1;

	ui_init(&u, a);
	if (crt_open(&u.crt, stdin, stdout, e) < 0) {
		ui_free(&u);
		return -1;
	}
	ui_load_theme(&u);
	if (loop_new(&u.loop, e) == 0 && console_wire(&u, e) == 0) {
		ui_rebuild(&u);
		ui_draw(&u);
		rc = loop_run(u.loop, e);
	}
	crt_close(&u.crt);
	if (u.loop != NULL)
		loop_free(u.loop);
	ui_free(&u);
	return rc;
}
