/*
 * net_bench.c: the cost of one link-counter refresh at 10, 100, 1000 and 2000
 * interfaces: domtop's RTM_GETSTATS dump (backend/netstats.c) beside parsing
 * /proc/net/dev with a regular expression compiled for every line, the way
 * libxenstat does it, and libxenstat's whole path (which also probes
 * /sys/class/net/<if>/bridge for every interface, looking for a bridge).
 *
 * Needs root. The interfaces live in two private network namespaces made
 * here (dtbench-<pid>-a holds vif<k>.0, the veth peers sit in -b; dummy links
 * are used instead when the kernel has them), which are deleted on exit,
 * also on SIGINT/SIGTERM. Prints CPU milliseconds per refresh (user + system
 * time of this process, which is where the kernel builds a netlink dump).
 *
 * usage: net_bench [N ...]     (default: 10 100 1000 2000)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/netstats.h"
#include "tests/bench/benchutil.h"

#define BENCH_MIN_CPU_NS 400000000ull   /* measure each case for at least 0.4 s of CPU */
#define BENCH_MAX_ITER 2000

struct bench {
	char ns_a[64], ns_b[64];
	bool have_dummy;
	int made;                /* interfaces created so far */
};

static char cleanup_cmd[256];   /* for the signal handler only: set once, read-only after */

static void
cleanup(void)
{
	if (cleanup_cmd[0] != '\0' && system(cleanup_cmd) != 0)
		fprintf(stderr, "net_bench: could not delete the namespaces; run: %s\n", cleanup_cmd);
	cleanup_cmd[0] = '\0';
}

static void
on_signal(int sig)
{
	(void)sig;
	exit(2);                 /* runs cleanup() through atexit */
}

static int
run(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "net_bench: failed (%d): %s\n", rc, cmd);
	return rc == 0 ? 0 : -1;
}

/* Adds interfaces in namespace a until it holds n of them. */
static int
grow_to(struct bench *b, int n)
{
	char path[] = "/tmp/net_bench.XXXXXX", cmd[256];
	FILE *f;
	int fd = mkstemp(path), rc;

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
		return -1;
	for (; b->made < n; b->made++) {
		if (b->have_dummy)
			fprintf(f, "link add vif%d.0 type dummy\n", b->made);
		else
			fprintf(f, "link add vif%d.0 type veth peer name g%d netns %s\n",
			        b->made, b->made, b->ns_b);
	}
	fclose(f);
	snprintf(cmd, sizeof cmd, "ip -n %s -batch %s", b->ns_a, path);
	rc = run(cmd);
	unlink(path);
	return rc;
}

static int
enter_ns(const char *name)
{
	char path[128];
	int fd, rc;

	snprintf(path, sizeof path, "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = setns(fd, CLONE_NEWNET);
	close(fd);
	return rc;
}

/* ---- the libxenstat way: a regex compiled for every line ---- */

struct nd_counters {
	char name[32];
	unsigned long long v[16];
};

static void
regex_text(char *buf, size_t len)
{
	size_t off;
	int i;

	off = (size_t)snprintf(buf, len, "([^:]*):");
	for (i = 0; i < 17 && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "[ ]*([^ ]*)");
}

static int
parse_line_regex(const char *line, struct nd_counters *c)
{
	char re_text[512], field[64];
	regmatch_t m[19];
	regex_t re;
	int i, col = 0;

	regex_text(re_text, sizeof re_text);
	if (regcomp(&re, re_text, REG_EXTENDED) != 0)
		return -1;
	memset(c, 0, sizeof *c);
	if (regexec(&re, line, 19, m, 0) == 0) {
		for (i = 1; i < 19; i++) {
			int len = m[i].rm_eo - m[i].rm_so;
			if (m[i].rm_so < 0 || len <= 0)
				continue;
			if (len >= (int)sizeof field)
				len = (int)sizeof field - 1;
			memcpy(field, line + m[i].rm_so, (size_t)len);
			field[len] = '\0';
			if (col == 0)
				snprintf(c->name, sizeof c->name, "%s", field + strspn(field, " "));
			else if (col <= 16)
				c->v[col - 1] = strtoull(field, NULL, 10);
			col++;
		}
	}
	regfree(&re);
	return col > 1 ? 0 : -1;
}

/* Returns the number of interfaces parsed. */
static int
procnetdev_regex(FILE *f, bool probe_bridges)
{
	char line[512], path[300];
	struct nd_counters c;
	int n = 0;

	if (probe_bridges) {
		DIR *d = opendir("/sys/class/net");
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "/sys/class/net/%s/bridge", de->d_name);
			(void)access(path, F_OK);
		}
		if (d != NULL)
			closedir(d);
	}
	rewind(f);
	for (int hdr = 0; hdr < 2 && fgets(line, sizeof line, f) != NULL; hdr++)
		;
	while (fgets(line, sizeof line, f) != NULL)
		if (parse_line_regex(line, &c) == 0)
			n++;
	return n;
}

/* ---- measuring ---- */

typedef int (*refresh_fn)(void *arg);

static int
do_netstats(void *arg)
{
	struct err e;

	if (netstats_refresh(arg, &e) < 0) {
		fprintf(stderr, "net_bench: %s\n", e.msg);
		return -1;
	}
	return 0;
}

struct nd_arg {
	FILE *f;
	bool bridges;
};

static int
do_procnetdev(void *arg)
{
	struct nd_arg *a = arg;

	return procnetdev_regex(a->f, a->bridges) > 0 ? 0 : -1;
}

/* CPU ms per call, measured for at least BENCH_MIN_CPU_NS; -1 on failure. */
static double
measure(refresh_fn fn, void *arg)
{
	uint64_t t0, t;
	int iter = 0;

	if (fn(arg) < 0)         /* warm up: caches, buffers */
		return -1;
	t0 = bench_cpu_ns();
	do {
		if (fn(arg) < 0)
			return -1;
		iter++;
		t = bench_cpu_ns();
	} while ((t - t0 < BENCH_MIN_CPU_NS || iter < 3) && iter < BENCH_MAX_ITER);
	return (double)(t - t0) / iter / 1e6;
}

static int
bench_size(struct bench *b, int n)
{
	struct netstats *ns;
	struct nd_arg nd;
	struct err e;
	size_t count;
	double t_nl, t_re, t_xs;

	if (grow_to(b, n) < 0)
		return -1;
	if (netstats_open(&ns, NULL, NULL, &e) < 0) {
		fprintf(stderr, "net_bench: %s\n", e.msg);
		return -1;
	}
	t_nl = measure(do_netstats, ns);
	netstats_links(ns, &count);
	netstats_close(ns);
	nd.f = fopen("/proc/net/dev", "r");
	if (nd.f == NULL)
		return -1;
	nd.bridges = false;
	t_re = measure(do_procnetdev, &nd);
	nd.bridges = true;
	t_xs = measure(do_procnetdev, &nd);
	fclose(nd.f);
	if (t_nl < 0 || t_re < 0 || t_xs < 0)
		return -1;
	printf("%6d %7zu %12.3f %14.2f %16.2f %9.0fx %9.0fx\n", n, count, t_nl, t_re, t_xs,
	       t_re / t_nl, t_xs / t_nl);
	fflush(stdout);
	return 0;
}

static int
setup(struct bench *b)
{
	char cmd[256];

	snprintf(b->ns_a, sizeof b->ns_a, "dtbench-%d-a", (int)getpid());
	snprintf(b->ns_b, sizeof b->ns_b, "dtbench-%d-b", (int)getpid());
	snprintf(cleanup_cmd, sizeof cleanup_cmd,
	         "ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null; true", b->ns_a, b->ns_b);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(cmd, sizeof cmd, "ip netns add %s && ip netns add %s", b->ns_a, b->ns_b);
	if (run(cmd) < 0)
		return -1;
	snprintf(cmd, sizeof cmd, "ip -n %s link add dtbench0 type dummy 2>/dev/null"
	         " && ip -n %s link del dtbench0", b->ns_a, b->ns_a);
	b->have_dummy = system(cmd) == 0;
	return enter_ns(b->ns_a);
}

int
main(int argc, char **argv)
{
	static const int sizes_default[] = { 10, 100, 1000, 2000 };
	struct bench b;
	int i, n, rc = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "net_bench: needs root (it creates network namespaces)\n");
		return 77;
	}
	memset(&b, 0, sizeof b);
	if (setup(&b) < 0) {
		fprintf(stderr, "net_bench: cannot set up the private namespaces\n");
		return 1;
	}
	printf("link counter refresh, CPU ms per refresh (%s interfaces in a private netns)\n",
	       b.have_dummy ? "dummy" : "veth");
	printf("%6s %7s %12s %14s %16s %10s %10s\n", "N", "links", "RTM_GETSTATS",
	       "regex/line", "libxenstat path", "regex/nl", "xenstat/nl");
	n = argc > 1 ? argc - 1 : (int)(sizeof sizes_default / sizeof *sizes_default);
	for (i = 0; i < n && rc == 0; i++) {
		int size = argc > 1 ? atoi(argv[i + 1]) : sizes_default[i];
		if (size <= 0 || size > 10000) {
			fprintf(stderr, "net_bench: bad size %s (1..10000)\n", argv[i + 1]);
			rc = 1;
			break;
		}
		if (bench_size(&b, size) < 0)
			rc = 1;
	}
	return rc;
}
