/*
 * loop.c: the event loop (see loop.h). Small tables, linear scans: domtop
 * watches a handful of fds and timers, not thousands.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "backend/loop.h"

#define LOOP_MAX_FDS 64
#define LOOP_MAX_TIMERS 32
#define LOOP_MAX_SIGNALS 8

struct loop_fd {
	int fd;
	short events;
	loop_fd_cb cb;
	void *arg;
};

struct loop_timer {
	int id;                 /* 0 = free slot */
	uint64_t deadline_ns;
	loop_timer_cb cb;
	void *arg;
};

struct loop_signal {
	int signo;
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	struct loop_fd fds[LOOP_MAX_FDS];
	size_t n_fds;
	struct loop_timer timers[LOOP_MAX_TIMERS];
	int next_timer_id;
	struct loop_signal signals[LOOP_MAX_SIGNALS];
	size_t n_signals;
	int sigfd;
	sigset_t sigmask;
	bool stop;
};

uint64_t
loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int
loop_new(struct loop **out, struct err *e)
{
	struct loop *l = calloc(1, sizeof *l);

	if (l == NULL)
		return err_set(e, "out of memory creating the event loop");
	l->sigfd = -1;
	sigemptyset(&l->sigmask);
	*out = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	if (l->sigfd >= 0) {
		close(l->sigfd);
		sigprocmask(SIG_UNBLOCK, &l->sigmask, NULL);
	}
	free(l);
}

int
loop_add_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *arg, struct err *e)
{
	if (l->n_fds == LOOP_MAX_FDS)
		return err_set(e, "event loop full: more than %d file descriptors", LOOP_MAX_FDS);
	l->fds[l->n_fds++] = (struct loop_fd){ fd, events, cb, arg };
	return 0;
}

void
loop_del_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n_fds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->n_fds];
			return;
		}
	}
}

int
loop_add_timer(struct loop *l, uint64_t deadline_ns, loop_timer_cb cb, void *arg, struct err *e)
{
	for (size_t i = 0; i < LOOP_MAX_TIMERS; i++) {
		if (l->timers[i].id == 0) {
			if (++l->next_timer_id <= 0)
				l->next_timer_id = 1;
			l->timers[i] = (struct loop_timer){ l->next_timer_id, deadline_ns, cb, arg };
			return l->next_timer_id;
		}
	}
	return err_set(e, "event loop full: more than %d timers", LOOP_MAX_TIMERS);
}

void
loop_del_timer(struct loop *l, int id)
{
	for (size_t i = 0; i < LOOP_MAX_TIMERS; i++)
		if (l->timers[i].id == id && id != 0)
			l->timers[i].id = 0;
}

/* Still registered? A callback earlier in this round may have removed it. */
static bool
loop_has_fd(const struct loop *l, int fd, loop_fd_cb cb)
{
	for (size_t i = 0; i < l->n_fds; i++)
		if (l->fds[i].fd == fd && l->fds[i].cb == cb)
			return true;
	return false;
}

static void
loop_on_signalfd(struct loop *l, int fd, short revents, void *arg)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)arg;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si)
		for (size_t i = 0; i < l->n_signals; i++)
			if ((int)si.ssi_signo == l->signals[i].signo)
				l->signals[i].cb(l, (int)si.ssi_signo, l->signals[i].arg);
}

int
loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg, struct err *e)
{
	int fd;

	if (l->n_signals == LOOP_MAX_SIGNALS)
		return err_set(e, "event loop full: more than %d signals", LOOP_MAX_SIGNALS);
	sigaddset(&l->sigmask, signo);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		return err_set(e, "cannot block signal %d: %s", signo, strerror(errno));
	fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return err_set(e, "signalfd: %s", strerror(errno));
	if (l->sigfd < 0 && loop_add_fd(l, fd, POLLIN, loop_on_signalfd, NULL, e) < 0) {
		close(fd);
		return -1;
	}
	l->sigfd = fd;
	l->signals[l->n_signals++] = (struct loop_signal){ signo, cb, arg };
	return 0;
}

/* Milliseconds until the earliest timer, capped by max_ms (-1 = no cap). */
static int
loop_timeout(const struct loop *l, int max_ms)
{
	uint64_t now = loop_now_ns();
	int best = max_ms;

	for (size_t i = 0; i < LOOP_MAX_TIMERS; i++) {
		const struct loop_timer *t = &l->timers[i];
		int ms;

		if (t->id == 0)
			continue;
		ms = t->deadline_ns <= now ? 0 : (int)((t->deadline_ns - now + 999999) / 1000000);
		if (best < 0 || ms < best)
			best = ms;
	}
	return best;
}

static void
loop_fire_timers(struct loop *l)
{
	uint64_t now = loop_now_ns();

	for (size_t i = 0; i < LOOP_MAX_TIMERS; i++) {
		struct loop_timer t = l->timers[i];

		if (t.id == 0 || t.deadline_ns > now)
			continue;
		l->timers[i].id = 0;    /* one-shot: free before the call, which may re-arm */
		t.cb(l, t.arg);
	}
}

int
loop_once(struct loop *l, int timeout_ms, struct err *e)
{
	struct pollfd pfd[LOOP_MAX_FDS];
	struct loop_fd fds[LOOP_MAX_FDS];
	size_t n = l->n_fds;
	int rc;

	memcpy(fds, l->fds, n * sizeof fds[0]);   /* callbacks may add or remove fds */
	for (size_t i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fds[i].fd, .events = fds[i].events };
	rc = poll(pfd, n, loop_timeout(l, timeout_ms));
	if (rc < 0 && errno != EINTR)
		return err_set(e, "poll: %s", strerror(errno));
	for (size_t i = 0; rc > 0 && i < n; i++)
		if (pfd[i].revents != 0 && loop_has_fd(l, fds[i].fd, fds[i].cb))
			fds[i].cb(l, fds[i].fd, pfd[i].revents, fds[i].arg);
	loop_fire_timers(l);
	return 0;
}

int
loop_run(struct loop *l, struct err *e)
{
	l->stop = false;
	while (!l->stop)
		if (loop_once(l, -1, e) < 0)
			return -1;
	return 0;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}
