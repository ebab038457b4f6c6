/*
 * console.c: the full-screen console's event wiring. The terminal (stdin),
 * SIGWINCH, SIGINT/SIGTERM/SIGHUP, the backend's link events and timers go
 * into the one event loop: the sample timer takes a new sample every delay
 * seconds (nothing else does: a key only redraws), a one-second tick redraws
 * the age of the sample, and the expiry timer fires at the next throttle
 * expiry. Sticky throttles are kept true after each sample and at once when
 * a link appears or is renamed (a re-created vif gets its throttle back);
 * expired ones are lifted when their time comes. Capture fds of the flow
 * view are added by flowview.c. While an attached console (conattach.c)
 * owns the terminal, the terminal is not read and nothing is drawn, but
 * samples go on. Drawing and keys are in ui.c and keys.c.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "tui/console.h"
#include "tui/keys.h"
#include "tui/ui.h"

#define TICK_NS 1000000000ull
#define MAX_KEYS_PER_WAKEUP 256

static void on_sample(struct loop *l, void *arg);
static void on_tick(struct loop *l, void *arg);
static void on_expire(struct loop *l, void *arg);

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

/* Lifts expired throttles and, with reapply, re-applies lost sticky ones; says what it did. */
static void
maintain_throttles(struct ui *u, bool reapply)
{
	struct action_result res;
	int rc;

	if (u->a->actions == NULL)
		return;
	rc = action_throttle_maintain(u->a->actions, &u->a->cur, (int64_t)time(NULL), reapply, &res);
	if (res.msg[0] != '\0')
		ui_message(u, rc < 0, "%s", res.msg);
	console_throttles_changed(u);
}

void
console_throttles_changed(struct ui *u)
{
	int64_t next, left;

	if (u->loop == NULL || u->a->actions == NULL)
		return;
	loop_del_timer(u->loop, u->expire_timer);
	u->expire_timer = 0;
	next = action_throttle_next_expiry(u->a->actions);
	if (next == 0)
		return;
	left = next - (int64_t)time(NULL);
	if (left < 0)
		left = 0;
	/* a little late rather than early: at the deadline, time() must have reached it */
	schedule(u, &u->expire_timer, loop_now_ns() + (uint64_t)left * 1000000000ull + 200000000ull,
	         on_expire);
}

static void
on_expire(struct loop *l, void *arg)
{
	struct ui *u = arg;

	(void)l;
	u->expire_timer = 0;
	maintain_throttles(u, false);
	ui_draw(u);
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
	else
		maintain_throttles(u, true);
	ui_take_news(u);
	ui_rebuild(u);
	schedule_sample(u);
	ui_draw(u);
}

/* Links appeared or were renamed: a re-created vif gets its sticky throttle back now. */
static void
on_links(struct loop *l, int fd, short revents, void *arg)
{
	struct ui *u = arg;
	struct err e;
	int n;

	(void)l;
	(void)fd;
	(void)revents;
	n = hv_link_events(u->a->hv, &e);
	if (n < 0)
		ui_message(u, true, "link events: %s", e.msg);
	else if (n > 0)
		maintain_throttles(u, true);
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
	else if (u->mode == UI_THROTTLE_MENU)
		thrmenu_key(u, key);
	else if (u->mode == UI_FLOWS)
		flowview_key(u, key);
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
		if (conattach_active(u))
			return;     /* the console child has the terminal; the size is read on return */
		on_resize(u);
		ui_draw(u);
		return;
	}
	u->quit = true;
	loop_stop(l);
}

void
console_release_terminal(struct ui *u)
{
	loop_del_fd(u->loop, fileno(u->crt.in));
}

int
console_take_terminal(struct ui *u, struct err *e)
{
	return loop_add_fd(u->loop, fileno(u->crt.in), POLLIN, on_input, u, e);
}

static int
console_wire(struct ui *u, struct err *e)
{
	static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };

	if (console_take_terminal(u, e) < 0)
		return -1;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (loop_add_signal(u->loop, sigs[i], on_signal, u, e) < 0)
			return -1;
	if (hv_link_fd(u->a->hv) >= 0
	    && loop_add_fd(u->loop, hv_link_fd(u->a->hv), POLLIN, on_links, u, e) < 0)
		return -1;
	schedule_sample(u);
	schedule(u, &u->tick_timer, loop_now_ns() + TICK_NS, on_tick);
	console_throttles_changed(u);
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
		ui_take_news(&u);
		ui_rebuild(&u);
		ui_draw(&u);
		rc = loop_run(u.loop, e);
	}
	conattach_close(&u);       /* an attached console ends with domtop */
	flowview_close(&u);        /* its captures' fds are in the loop */
	crt_close(&u.crt);
	if (u.loop != NULL)
		loop_free(u.loop);
	ui_free(&u);
	return rc;
}
