/*
 * conattach.c: the console attach (C). The selected domain's console runs
 * in a child process on the terminal while domtop keeps running behind it:
 *
 *   audit (action_console_begin) -> stop reading the terminal -> leave
 *   curses (endwin) -> fork: the child resets the signal handlers and mask
 *   domtop changed (the loop's signalfd blocks signals), makes fds other
 *   than 0-2 close-on-exec, points stderr at a pipe and calls
 *   hv_console_exec (xenconsole on Xen, the simulated console on the demo
 *   host), which exits on Ctrl-].
 *
 * The parent's loop goes on meanwhile: samples are taken, nothing is drawn.
 * It watches the child with a pidfd (a 100 ms timer where pidfds are
 * missing) and reaps it by pid, never through SIGCHLD (libxl owns SIGCHLD
 * and reaps only its own children: backend/xen_console.h). When the child
 * has exited, the screen is restored, the terminal read again, the end
 * audited, and the message line says how it ended, with the last line the
 * child wrote to stderr when it failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/str.h"
#include "tui/ui.h"

#define CONATTACH_POLL_NS 100000000ull      /* the timer when there is no pidfd */
#define CONATTACH_KILL_WAIT_MS 2000          /* at exit: SIGTERM, then this, then SIGKILL */

struct conattach {
	pid_t pid;
	int pidfd;                    /* readable when the child exits; -1: timer */
	int timer;                    /* the polling timer id, 0 = none */
	int errfd;                    /* read end of the child's stderr, -1 when closed */
	uint32_t domid;
	char name[SAMPLE_NAME_MAX * 2];
	char line[ERR_MSG_MAX];       /* the child's stderr line being read */
	size_t line_len;
	char last[ERR_MSG_MAX];       /* its last whole line */
};

bool
conattach_active(const struct ui *u)
{
	return u->con != NULL;
}

/* ---- the child ---- */

/* Default handlers and an empty mask: what domtop's loop and curses changed is not inherited. */
static void
conattach_reset_signals(void)
{
	struct sigaction dfl;
	sigset_t none;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);    /* fails harmlessly for the C library's own */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Every fd from first up is closed when the console is exec'd: it gets the terminal only. */
static void
conattach_cloexec_from(int first)
{
	DIR *d;
	struct dirent *ent;

	if (close_range((unsigned)first, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	d = opendir("/proc/self/fd");     /* kernels before 5.11 */
	if (d == NULL)
		return;
	while ((ent = readdir(d)) != NULL) {
		int fd = atoi(ent->d_name);
		if (fd >= first && fd != dirfd(d))
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

static void __attribute__((noreturn))
conattach_child(struct hv *hv, const struct conattach *ca, int errfd)
{
	struct err e;

	conattach_reset_signals();
	if (errfd != STDERR_FILENO && dup2(errfd, STDERR_FILENO) < 0)
		_exit(126);
	conattach_cloexec_from(STDERR_FILENO + 1);
	dprintf(STDOUT_FILENO, "domtop: console of %s (domain %u); Ctrl-] returns to domtop\r\n",
	        ca->name, (unsigned)ca->domid);
	hv_console_exec(hv, ca->domid, &e);
	dprintf(STDERR_FILENO, "%s\n", e.msg);
	_exit(127);
}

/* ---- watching it ---- */

/* Keeps the last non-empty line of what the child writes to stderr. */
static void
conattach_read_err(struct conattach *ca)
{
	char buf[512];
	ssize_t n;

	while (ca->errfd >= 0 && (n = read(ca->errfd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				if (ca->line_len > 0) {
					ca->line[ca->line_len] = '\0';
					str_copy(ca->last, ca->line, sizeof ca->last);
					ca->line_len = 0;
				}
			} else if (ca->line_len + 1 < sizeof ca->line) {
				ca->line[ca->line_len++] = buf[i];
			}
		}
	}
	if (ca->line_len > 0) {     /* a last line without its newline */
		ca->line[ca->line_len] = '\0';
		str_copy(ca->last, ca->line, sizeof ca->last);
	}
}

/* How the child ended, for the message line and the audit record. */
static void
conattach_outcome(const struct conattach *ca, int status, char *msg, size_t len, bool *error)
{
	*error = true;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		snprintf(msg, len, "console of %s closed", ca->name);
		*error = false;
	} else if (ca->last[0] != '\0') {
		snprintf(msg, len, "console of %s failed: %s", ca->name, ca->last);
	} else if (WIFEXITED(status)) {
		snprintf(msg, len, "console of %s ended with exit status %d", ca->name,
		         WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		snprintf(msg, len, "console of %s ended by signal %d (%s)", ca->name, WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	} else {
		snprintf(msg, len, "console of %s ended (status %#x)", ca->name, (unsigned)status);
	}
}

static void
conattach_free(struct ui *u, struct conattach *ca)
{
	if (ca->pidfd >= 0) {
		loop_del_fd(u->loop, ca->pidfd);
		close(ca->pidfd);
	}
	if (ca->errfd >= 0) {
		loop_del_fd(u->loop, ca->errfd);
		close(ca->errfd);
	}
	if (ca->timer != 0)
		loop_del_timer(u->loop, ca->timer);
	free(ca);
	u->con = NULL;
}

/* Curses back on the terminal, as it is now (it may have been resized meanwhile). */
static void
conattach_take_screen(struct ui *u)
{
	struct err e;

	crt_resize(&u->crt);
	flushinp();                 /* what was typed for the guest is not for domtop */
	clearok(curscr, TRUE);      /* the next refresh resumes curses and repaints everything */
	if (console_take_terminal(u, &e) < 0)
		ui_message(u, true, "cannot read the keyboard again: %s", e.msg);
}

/* The child has exited with status: restore the screen, audit, say how it went. */
static void
conattach_finish(struct ui *u, int status)
{
	struct conattach *ca = u->con;
	char msg[ERR_MSG_MAX + 64];
	struct err e;
	bool error;

	conattach_read_err(ca);
	conattach_outcome(ca, status, msg, sizeof msg, &error);
	if (action_console_end(u->a->actions, ca->domid, ca->name, error ? msg : "ok", &e) < 0) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof msg - n, " (audit: %s)", e.msg);
		error = true;
	}
	conattach_free(u, ca);
	conattach_take_screen(u);
	ui_message(u, error, "%s", msg);
	ui_rebuild(u);
	ui_draw(u);
}

/* Reaps the child if it has exited; true when it has. */
static bool
conattach_reap(struct ui *u)
{
	int status = 0;
	pid_t r;

	do
		r = waitpid(u->con->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return false;
	if (r < 0)              /* ECHILD: someone else reaped it; its status is lost */
		status = 0xff00;
	conattach_finish(u, status);
	return true;
}

static void
conattach_on_pidfd(struct loop *l, int fd, short revents, void *arg)
{
	(void)l;
	(void)fd;
	(void)revents;
	conattach_reap(arg);
}

static void
conattach_on_timer(struct loop *l, void *arg)
{
	struct ui *u = arg;
	struct err e;

	u->con->timer = 0;
	if (conattach_reap(u))
		return;
	u->con->timer = loop_add_timer(l, loop_now_ns() + CONATTACH_POLL_NS, conattach_on_timer, u, &e);
	if (u->con->timer < 0)
		u->con->timer = 0;      /* cannot happen with one timer freed just now */
}

static void
conattach_on_err(struct loop *l, int fd, short revents, void *arg)
{
	struct conattach *ca = ((struct ui *)arg)->con;

	(void)fd;
	conattach_read_err(ca);
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		loop_del_fd(l, ca->errfd);    /* the console exited: nothing more will come */
		close(ca->errfd);
		ca->errfd = -1;
	}
}

/* Watches the child: its pidfd, else a timer; its stderr. */
static int
conattach_watch(struct ui *u, struct conattach *ca, struct err *e)
{
	ca->pidfd = (int)syscall(SYS_pidfd_open, ca->pid, 0);
	if (ca->pidfd >= 0) {
		fcntl(ca->pidfd, F_SETFD, FD_CLOEXEC);
		if (loop_add_fd(u->loop, ca->pidfd, POLLIN, conattach_on_pidfd, u, e) < 0) {
			close(ca->pidfd);
			ca->pidfd = -1;
		}
	}
	if (ca->pidfd < 0) {
		ca->timer = loop_add_timer(u->loop, loop_now_ns() + CONATTACH_POLL_NS,
		                           conattach_on_timer, u, e);
		if (ca->timer < 0) {
			ca->timer = 0;
			return -1;
		}
	}
	if (loop_add_fd(u->loop, ca->errfd, POLLIN, conattach_on_err, u, e) < 0) {
		close(ca->errfd);      /* then its message is lost, the attach is not */
		ca->errfd = -1;
	}
	return 0;
}

/* ---- starting and ending ---- */

/* Leaves curses: the terminal goes back to how the shell had it, cleared. */
static void
conattach_leave_screen(struct ui *u)
{
	const char *clear = tigetstr("clear");

	console_release_terminal(u);
	curs_set(1);
	endwin();
	if (clear != NULL && clear != (char *)-1)
		putp(clear);
	fflush(u->crt.out);
}

/* Waits (at most ms) for the child to exit; true when reaped. */
static bool
conattach_wait(struct conattach *ca, int ms, int *status)
{
	for (int waited = 0; ; waited += 10) {
		pid_t r = waitpid(ca->pid, status, WNOHANG);
		if (r == ca->pid || (r < 0 && errno == ECHILD))
			return true;
		if (waited >= ms)
			return false;
		poll(NULL, 0, 10);
	}
}

/* Kills the child (SIGTERM, then SIGKILL) and reaps it. */
static void
conattach_kill(struct conattach *ca)
{
	int status = 0;

	kill(ca->pid, SIGTERM);
	if (!conattach_wait(ca, CONATTACH_KILL_WAIT_MS, &status)) {
		kill(ca->pid, SIGKILL);
		conattach_wait(ca, CONATTACH_KILL_WAIT_MS, &status);
	}
}

/* Leaves the screen to the console in a child, and watches it; errp: the stderr pipe. */
static void
conattach_fork(struct ui *u, struct conattach *ca, int errp[2])
{
	struct err e;

	conattach_leave_screen(u);
	ca->pid = fork();
	if (ca->pid == 0)
		conattach_child(u->a->hv, ca, errp[1]);
	close(errp[1]);
	ca->errfd = errp[0];
	fcntl(ca->errfd, F_SETFL, O_NONBLOCK);
	if (ca->pid < 0) {
		str_copy(ca->last, strerror(errno), sizeof ca->last);
		conattach_finish(u, 0x7f00);    /* as if it had exited 127, with the reason */
	} else if (conattach_watch(u, ca, &e) < 0) {
		conattach_kill(ca);              /* nothing would notice its end: take the terminal back */
		str_copy(ca->last, e.msg, sizeof ca->last);
		conattach_finish(u, 0x7f00);
	}
}

void
conattach_start(struct ui *u, const struct view_domain *d)
{
	struct action_result res;
	struct conattach *ca;
	int errp[2];
	struct err e;

	if (u->con != NULL || u->loop == NULL)
		return;
	ca = calloc(1, sizeof *ca);
	if (ca == NULL) {
		ui_message(u, true, "console: out of memory");
		return;
	}
	ca->pidfd = ca->errfd = -1;
	ca->domid = d->raw->domid;
	if (action_console_begin(u->a->actions, &u->a->cur, ca->domid, ca->name, sizeof ca->name,
	                         &res) < 0) {
		ui_message(u, true, "%s", res.msg);
		free(ca);
		return;
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		ui_message(u, true, "console of %s: cannot make a pipe: %s", ca->name, strerror(errno));
		action_console_end(u->a->actions, ca->domid, ca->name, "failed: no pipe", &e);
		free(ca);
		return;
	}
	u->con = ca;
	conattach_fork(u, ca, errp);
}

void
conattach_close(struct ui *u)
{
	struct conattach *ca = u->con;
	struct err e;

	if (ca == NULL)
		return;
	if (ca->pid > 0)
		conattach_kill(ca);
	action_console_end(u->a->actions, ca->domid, ca->name, "ended: domtop quit", &e);
	conattach_free(u, ca);
}
