/*
 * bench.c: `make bench`. For 10, 100, 1000 and 5000 simulated domains it
 * prints the CPU time of one refresh (sample, derive, render the whole
 * console to an off-screen terminal) and the bytes written to the terminal
 * per steady-state refresh. Times are CPU time of this process
 * (CLOCK_PROCESS_CPUTIME_ID), the median of many refreshes, so a busy
 * machine moves them less than wall time would; compare rows of one run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/loop.h"
#include "tests/bench/benchutil.h"
#include "tui/app.h"
#include "tui/ui.h"

#define ROWS 50
#define COLS 200

/* Bytes written so far to the terminal's file (ncurses writes to its fd). */
static size_t
written(FILE *out)
{
	struct stat st;

	fflush(out);
	return fstat(fileno(out), &st) == 0 ? (size_t)st.st_size : 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
	return v[n / 2];
}

static int
write_scenario(const char *path, unsigned n)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "host name=bench pcpus=64 mem=32T sched=credit2 nic=100gbit disk_iops=200000 disk_sched=bfq\n"
	           "domain Domain-0 id=0 vcpus=8 mem=8G weight=8192 cpu=1\n"
	           "generate count=%u prefix=t vcpus=1-4 mem=512M-4G weight=256-4096 cpu=0-1.5 jitter=20%% "
	           "rx=0-50mbit tx=0-50mbit iops=0-500\n", n - 1);
	return fclose(f);
}

struct figures {
	double sample_ms, derive_ms, render_ms, total_ms;
	double bytes;
};

/* One refresh as the console does it, timed in its three parts. */
static int
bench_refresh(struct ui *u, uint64_t t[3], struct err *e)
{
	struct app *a = u->a;
	uint64_t t0 = bench_cpu_ns(), t1, t2;
	struct sample tmp = a->prev;

	a->prev = a->cur;
	a->cur = tmp;
	if (hv_sample(a->hv, &a->cur, a->interval_ns, e) < 0)
		return -1;
	t1 = bench_cpu_ns();
	if (view_derive(&a->view, &a->prev, &a->cur) < 0)
		return err_set(e, "out of memory");
	a->n_samples++;
	t2 = bench_cpu_ns();
	ui_rebuild(u);
	ui_draw(u);
	t[0] = t1 - t0;
	t[1] = t2 - t1;
	t[2] = bench_cpu_ns() - t2;
	return 0;
}

static int
bench_one(unsigned n, int reps, struct figures *fig, struct err *e)
{
	char path[] = "/tmp/domtop-bench-XXXXXX";
	uint64_t *ts[3], tot[3];
	size_t before;
	struct app a;
	struct ui u;
	FILE *out;
	int fd = mkstemp(path), rc = -1;

	if (fd < 0)
		return err_set(e, "cannot create a scenario file in /tmp");
	close(fd);
	out = NULL;
	memset(&a, 0, sizeof a);
	memset(&u, 0, sizeof u);
	a.opt.demo = true;
	a.opt.scenario = path;
	a.opt.seed = 1;
	a.opt.config_path = "/dev/null";
	a.opt.audit_log = "/dev/null";
	a.opt.delay_s = 2;
	/* an in-memory file: ncurses writes to its fd, and its size is the byte count */
	fd = memfd_create("domtop-bench-term", 0);
	out = fd >= 0 ? fdopen(fd, "w") : NULL;
	for (int k = 0; k < 3; k++)
		ts[k] = calloc((size_t)reps, sizeof *ts[k]);
	if (write_scenario(path, n) < 0 || out == NULL || app_open(&a, e) < 0)
		goto done;
	ui_init(&u, &a);
	if (crt_open_offscreen(&u.crt, "xterm-256color", out, ROWS, COLS, e) < 0)
		goto done;
	ui_load_theme(&u);
	for (int i = 0; i < 3; i++)         /* warm up: rates, first full paint */
		if (bench_refresh(&u, tot, e) < 0)
			goto done;
	before = written(out);
	for (int i = 0; i < reps; i++) {
		if (bench_refresh(&u, tot, e) < 0)
			goto done;
		for (int k = 0; k < 3; k++)
			ts[k][i] = tot[k];
	}
	fig->bytes = (double)(written(out) - before) / reps;
	fig->sample_ms = (double)median(ts[0], (size_t)reps) / 1e6;
	fig->derive_ms = (double)median(ts[1], (size_t)reps) / 1e6;
	fig->render_ms = (double)median(ts[2], (size_t)reps) / 1e6;
	fig->total_ms = fig->sample_ms + fig->derive_ms + fig->render_ms;
	rc = 0;
done:
	if (u.crt.screen != NULL)
		crt_close(&u.crt);
	ui_free(&u);
	app_close(&a);
	if (out != NULL)
		fclose(out);
	for (int k = 0; k < 3; k++)
		free(ts[k]);
	unlink(path);
	return rc;
}

int
main(void)
{
	static const unsigned sizes[] = { 10, 100, 1000, 5000 };
	struct figures fig[4];
	struct err e;

	printf("domtop refresh cost on the demo host (terminal %dx%d, xterm-256color)\n", COLS, ROWS);
	printf("CPU ms per refresh, median; bytes written to the terminal per steady-state refresh\n\n");
	printf("%8s %10s %10s %10s %10s %12s\n", "domains", "sample", "derive", "render", "total", "bytes");
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int reps = sizes[i] >= 1000 ? 40 : 200;

		if (bench_one(sizes[i], reps, &fig[i], &e) < 0) {
			fprintf(stderr, "bench: %u domains: %s\n", sizes[i], e.msg);
			return 1;
		}
		printf("%8u %10.3f %10.3f %10.3f %10.3f %12.0f\n", sizes[i], fig[i].sample_ms,
		       fig[i].derive_ms, fig[i].render_ms, fig[i].total_ms, fig[i].bytes);
		fflush(stdout);
	}
	printf("\ntarget: 1000 domains under 5 ms per refresh: %s (%.2f ms)\n",
	       fig[2].total_ms < 5.0 ? "met" : "NOT met", fig[2].total_ms);
	printf("scaling 100 -> 1000 domains: x%.1f; 1000 -> 5000: x%.1f\n",
	       fig[2].total_ms / fig[1].total_ms, fig[3].total_ms / fig[2].total_ms);
	return 0;
}
