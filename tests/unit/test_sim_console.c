/*
 * test_sim_console.c: the simulated console of a demo domain
 * (backend/sim_console.c): over pipes (banner, login, canned replies, line
 * editing, logout, a paused domain, hostile names and input, Ctrl-] and end
 * of input), on a pseudo-terminal (raw mode while it runs, the terminal
 * restored after), a signal ending it, and the usage of `--sim-console`.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/sim_console.h"

/*
 * Runs the console on input (all of it written at once); returns its output.
 * The console must end with status 0.
 */
static const char *
run_bytes(const char *name, bool paused, const char *input, size_t len)
{
	static char out[65536];
	int in[2], op[2], rc;
	ssize_t n;
	size_t got = 0;

	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(op), 0);
	assert_int_equal(write(in[1], input, len), (ssize_t)len);
	close(in[1]);
	rc = sim_console_run(name, paused, in[0], op[1]);
	close(in[0]);
	close(op[1]);
	while (got + 1 < sizeof out && (n = read(op[0], out + got, sizeof out - 1 - got)) > 0)
		got += (size_t)n;
	close(op[0]);
	out[got] = '\0';
	assert_int_equal(rc, 0);
	return out;
}

/* run_bytes on a string literal, its NUL left out. */
#define run(name, paused, input) run_bytes(name, paused, input, sizeof input - 1)

static void
test_login_and_canned_reply(void **state)
{
	const char *out = run("web1", false, "root\rhello there\r\x1dnot read");

	(void)state;
	assert_non_null(strstr(out, "Connected to the demo console of web1; Ctrl-] returns\r\n"));
	assert_non_null(strstr(out, "a simulation"));
	assert_non_null(strstr(out, "web1 login: root\r\n"));
	assert_non_null(strstr(out, "Welcome to web1, root."));
	assert_non_null(strstr(out, "root@web1:~$ hello there\r\n[demo] web1 received: hello there\r\n"));
	assert_null(strstr(out, "not read"));
}

static void
test_line_editing_and_logout(void **state)
{
	const char *out = run("db1", false, "me\rab\x7f" "c\rxyz\x15q\r\x03" "exit\r\x1d");

	(void)state;
	assert_non_null(strstr(out, "received: ac\r\n"));       /* backspace */
	assert_non_null(strstr(out, "received: q\r\n"));        /* Ctrl-U erased xyz */
	assert_null(strstr(out, "received: xyzq"));
	assert_non_null(strstr(out, "^C\r\nme@db1:~$ "));
	assert_non_null(strstr(out, "logout\r\n\r\ndb1 login: "));
}

static void
test_end_of_input_ends_it(void **state)
{
	const char *out = run("web1", false, "root\r");

	(void)state;
	assert_non_null(strstr(out, "root@web1:~$ "));
}

static void
test_paused_domain_answers_nothing(void **state)
{
	const char *out = run("parked", true, "root\rhello\r\x1d");

	(void)state;
	assert_non_null(strstr(out, "Connected to the demo console of parked"));
	assert_non_null(strstr(out, "parked is paused: it will not answer until it is unpaused"));
	assert_null(strstr(out, "login:"));
	assert_null(strstr(out, "root"));
	assert_null(strstr(out, "received"));
}

static void
test_hostile_name_and_input(void **state)
{
	const char *out = run("ev\x1b]0;t\x07il", false, "x\r\x1b]2;pwned\x07\x9b" "31m\r\x1d");

	(void)state;
	assert_non_null(strstr(out, "demo console of ev?]0;t?il"));
	/* no escape, BEL or C1 byte out, whatever the name and the input */
	for (const char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\r' && *p != '\n' && *p != '\b')
			fail_msg("control byte %#x in the output", (unsigned char)*p);
		else if ((unsigned char)*p >= 0x7f)
			fail_msg("byte %#x in the output", (unsigned char)*p);
	assert_non_null(strstr(out, "received: ]2;pwned31m\r\n"));
}

/* Reads from fd until text is seen (or 5 s pass); returns whether it was. */
static bool
read_until(int fd, const char *text)
{
	char buf[8192];
	size_t got = 0;

	while (got + 1 < sizeof buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, text) != NULL)
			return true;
	}
	return false;
}

/*
 * A child running the console on the slave of a new pty, once it shows its
 * login prompt; *master gets the master, *before the slave's modes before
 * the console started.
 */
static pid_t
run_on_pty(int *master, int *slave, struct termios *before)
{
	pid_t pid;

	*master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(*master >= 0);
	assert_int_equal(grantpt(*master), 0);
	assert_int_equal(unlockpt(*master), 0);
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	assert_true(*slave >= 0);
	assert_int_equal(tcgetattr(*slave, before), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(sim_console_run("web1", false, *slave, *slave));
	assert_true(read_until(*master, "web1 login: "));
	return pid;
}

/* Waits for the console child pid to exit with status code; *after gets the slave's modes then. */
static void
wait_exit(pid_t pid, int code, int slave, struct termios *after)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
	assert_int_equal(tcgetattr(slave, after), 0);
}

static void
test_raw_mode_and_restore_on_a_terminal(void **state)
{
	struct termios before, during, after;
	int master, slave;
	pid_t pid;

	(void)state;
	pid = run_on_pty(&master, &slave, &before);
	assert_int_equal(tcgetattr(slave, &during), 0);
	assert_false(during.c_lflag & (ICANON | ECHO | ISIG));
	assert_int_equal(write(master, "\x1d", 1), 1);
	wait_exit(pid, 0, slave, &after);
	assert_true(before.c_lflag & ICANON);
	assert_int_equal(after.c_lflag, before.c_lflag);
	assert_int_equal(after.c_iflag, before.c_iflag);
	assert_int_equal(after.c_oflag, before.c_oflag);
	close(slave);
	close(master);
}

static void
test_signal_ends_it_and_restores(void **state)
{
	struct termios before, after;
	int master, slave;
	pid_t pid;

	(void)state;
	pid = run_on_pty(&master, &slave, &before);
	assert_int_equal(kill(pid, SIGTERM), 0);
	wait_exit(pid, 128 + SIGTERM, slave, &after);
	assert_int_equal(after.c_lflag, before.c_lflag);
	close(slave);
	close(master);
}

static void
test_usage(void **state)
{
	char *bad1[] = { SIM_CONSOLE_OPTION, NULL };
	char *bad2[] = { SIM_CONSOLE_OPTION, "web1", "running", NULL };
	int saved = dup(STDERR_FILENO), null = open("/dev/null", O_WRONLY);

	(void)state;
	dup2(null, STDERR_FILENO);      /* the usage line is not for the test's output */
	assert_int_equal(sim_console_main(1, bad1), 2);
	assert_int_equal(sim_console_main(3, bad2), 2);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(null);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_login_and_canned_reply),
		cmocka_unit_test(test_line_editing_and_logout),
		cmocka_unit_test(test_end_of_input_ends_it),
		cmocka_unit_test(test_paused_domain_answers_nothing),
		cmocka_unit_test(test_hostile_name_and_input),
		cmocka_unit_test(test_raw_mode_and_restore_on_a_terminal),
		cmocka_unit_test(test_signal_ends_it_and_restores),
		cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
