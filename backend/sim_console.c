/*
 * sim_console.c: the simulated console of a demo-host domain (see
 * sim_console.h). One poll loop over the input and a signalfd: bytes are
 * handled one at a time as a guest's line discipline would (echo, backspace,
 * Ctrl-U, Ctrl-C, Ctrl-D), whole lines get a canned reply, and Ctrl-] or a
 * signal ends it with the terminal as it was.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "backend/sim_console.h"
#include "backend/str.h"

#define SIMCON_LINE_MAX 200
#define SIMCON_USER_MAX 32

struct simcon {
	int in, out;
	char name[256];               /* sanitised */
	bool paused;
	bool logged_in;
	char user[SIMCON_USER_MAX + 1];
	char line[SIMCON_LINE_MAX + 1];
	size_t len;
	bool out_failed;
};

static void
simcon_write(struct simcon *c, const char *s, size_t n)
{
	while (n > 0 && !c->out_failed) {
		ssize_t w = write(c->out, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->out_failed = true;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void __attribute__((format(printf, 2, 3)))
simcon_say(struct simcon *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		simcon_write(c, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void
simcon_prompt(struct simcon *c)
{
	if (c->logged_in)
		simcon_say(c, "%s@%s:~$ ", c->user, c->name);
	else
		simcon_say(c, "%s login: ", c->name);
}

static void
simcon_banner(struct simcon *c)
{
	simcon_say(c, "\r\nConnected to the demo console of %s; Ctrl-] returns\r\n"
	              "(a simulation: the demo host has no real guests; lines typed here get a "
	              "canned reply)\r\n\r\n", c->name);
	if (c->paused)
		simcon_say(c, "%s is paused: it will not answer until it is unpaused.\r\n", c->name);
	else
		simcon_prompt(c);
}

/* A whole line was typed (Enter). */
static void
simcon_line(struct simcon *c)
{
	c->line[c->len] = '\0';
	simcon_write(c, "\r\n", 2);
	if (!c->logged_in) {
		if (c->len > 0) {
			str_copy(c->user, c->line, sizeof c->user);
			c->logged_in = true;
			simcon_say(c, "Welcome to %s, %s. This console is simulated: each line gets a "
			              "canned reply; exit logs out, Ctrl-] returns.\r\n", c->name, c->user);
		}
	} else if (strcmp(c->line, "exit") == 0 || strcmp(c->line, "logout") == 0) {
		c->logged_in = false;
		simcon_say(c, "logout\r\n\r\n");
	} else if (c->len > 0) {
		simcon_say(c, "[demo] %s received: %s\r\n", c->name, c->line);
	}
	c->len = 0;
	simcon_prompt(c);
}

static void
simcon_erase(struct simcon *c, size_t n)
{
	for (; n > 0 && c->len > 0; n--, c->len--)
		simcon_write(c, "\b \b", 3);
}

/* One input byte; returns true when the console ends (Ctrl-]). */
static bool
simcon_byte(struct simcon *c, unsigned char b)
{
	if (b == SIM_CONSOLE_ESCAPE)
		return true;
	if (c->paused)
		return false;           /* a paused guest neither echoes nor answers */
	switch (b) {
	case '\r':
	case '\n':
		simcon_line(c);
		break;
	case 0x7f:
	case '\b':
		simcon_erase(c, 1);
		break;
	case 0x15:                  /* Ctrl-U */
		simcon_erase(c, c->len);
		break;
	case 0x03:                  /* Ctrl-C */
		simcon_say(c, "^C\r\n");
		c->len = 0;
		simcon_prompt(c);
		break;
	case 0x04:                  /* Ctrl-D on an empty line logs out */
		if (c->len == 0 && c->logged_in) {
			memcpy(c->line, "logout", 7);
			c->len = 6;
			simcon_line(c);
		}
		break;
	default:
		/* printable ASCII only: nothing typed can make this write an escape sequence */
		if (b >= 0x20 && b < 0x7f && c->len < SIMCON_LINE_MAX) {
			c->line[c->len++] = (char)b;
			simcon_write(c, (const char *)&b, 1);
		}
		break;
	}
	return false;
}

/* Blocks the signals that end the console and returns a signalfd for them (-1: none). */
static int
simcon_signals(sigset_t *old)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, old) < 0)
		return -1;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		sigprocmask(SIG_SETMASK, old, NULL);
	return fd;
}

/* Runs until Ctrl-], end of input or a signal; returns the exit status. */
static int
simcon_loop(struct simcon *c, int sigfd)
{
	struct pollfd p[2] = { { .fd = c->in, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
	unsigned char buf[256];

	simcon_banner(c);
	while (!c->out_failed) {
		ssize_t n;

		if (poll(p, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (sigfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
				return 128 + (int)si.ssi_signo;
		}
		if (p[0].revents == 0)
			continue;
		n = read(c->in, buf, sizeof buf);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n == 0 ? 0 : 1;          /* end of input: the terminal went away */
		for (ssize_t i = 0; i < n; i++)
			if (simcon_byte(c, buf[i])) {
				simcon_write(c, "\r\n", 2);
				return 0;
			}
	}
	return 1;
}

int
sim_console_run(const char *name, bool paused, int in, int out)
{
	struct simcon c = { .in = in, .out = out, .paused = paused };
	struct termios saved, raw;
	bool is_tty = tcgetattr(in, &saved) == 0;
	sigset_t old;
	int sigfd, rc;

	str_sanitize(c.name, sizeof c.name, name);
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		if (tcsetattr(in, TCSANOW, &raw) < 0)
			return 1;
	}
	sigfd = simcon_signals(&old);
	rc = simcon_loop(&c, sigfd);
	if (rc != 0)
		simcon_write(&c, "\r\n", 2);    /* whatever comes next starts on a line of its own */
	if (is_tty)
		tcsetattr(in, TCSADRAIN, &saved);
	if (sigfd >= 0) {
		close(sigfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return rc;
}

int
sim_console_main(int argc, char **argv)
{
	bool paused = argc == 3 && strcmp(argv[2], "paused") == 0;

	if (argc < 2 || argc > 3 || (argc == 3 && !paused)) {
		fprintf(stderr, "usage: domtop %s NAME [paused] (used by domtop itself: the simulated "
		        "console of a demo-host domain)\n", SIM_CONSOLE_OPTION);
		return 2;
	}
	return sim_console_run(argv[1], paused, STDIN_FILENO, STDOUT_FILENO);
}

int
sim_console_exec(const char *name, bool paused, struct err *e)
{
	char clean[256];

	execl("/proc/self/exe", "domtop", SIM_CONSOLE_OPTION, name, paused ? "paused" : (char *)NULL,
	      (char *)NULL);
	str_sanitize(clean, sizeof clean, name);
	return err_set(e, "cannot run the demo console of %s (/proc/self/exe): %s", clean,
	               strerror(errno));
}
