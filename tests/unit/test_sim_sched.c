/* test_sim_sched.c: the credit-scheduler model (backend/sim_sched.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backend/sim_rng.h"
#include "backend/sim_sched.h"

#define EPS 1e-9

static struct sim_sched_dom
dom(unsigned weight, unsigned vcpus, double demand)
{
	return (struct sim_sched_dom){ .weight = weight, .vcpus = vcpus, .demand = demand };
}

static double
total(const struct sim_sched_dom *d, size_t n)
{
	double t = 0;

	for (size_t i = 0; i < n; i++)
		t += d[i].alloc;
	return t;
}

static void
test_waterfill_basics(void **state)
{
	double w[3] = {1, 1, 2}, u[3] = {1, 5, 5}, out[3];

	(void)state;
	assert_int_equal(sim_waterfill(3, w, u, 20, out), 0);     /* enough for all */
	assert_true(out[0] == 1 && out[1] == 5 && out[2] == 5);
	assert_int_equal(sim_waterfill(3, w, u, 7, out), 0);
	/* 1 saturates; 6 left shared 1:2 */
	assert_true(fabs(out[0] - 1) < EPS && fabs(out[1] - 2) < EPS && fabs(out[2] - 4) < EPS);
	assert_int_equal(sim_waterfill(0, w, u, 7, out), 0);
	u[0] = 0;
	assert_int_equal(sim_waterfill(3, w, u, 3, out), 0);
	assert_true(out[0] == 0 && fabs(out[1] - 1) < EPS && fabs(out[2] - 2) < EPS);
}

/* Under full contention CPU follows weight, within 5%. */
static void
test_proportional_to_weight(void **state)
{
	struct sim_sched_dom d[4] = {
		dom(256, 4, 4), dom(512, 4, 4), dom(1024, 4, 4), dom(256, 4, 4),
	};

	(void)state;
	assert_int_equal(sim_sched_solve(d, 4, 4), 0);
	assert_true(fabs(total(d, 4) - 4) < EPS);
	for (int i = 0; i < 4; i++) {
		double want = 4.0 * d[i].weight / 2048;
		assert_true(fabs(d[i].alloc - want) <= 0.05 * want);
	}
	assert_true(fabs(d[2].alloc / d[0].alloc - 4) < 0.05 * 4);
}

static void
test_cap_respected(void **state)
{
	struct sim_sched_dom d[2] = { dom(256, 4, 4), dom(256, 4, 4) };

	(void)state;
	d[0].cap = 50;                          /* half a pCPU */
	assert_int_equal(sim_sched_solve(d, 2, 8), 0);
	assert_true(fabs(d[0].alloc - 0.5) < EPS);
	assert_true(fabs(d[1].alloc - 4) < EPS);
	/* a heavy weight does not lift a cap */
	d[0].weight = 65535;
	d[0].cap = 150;
	assert_int_equal(sim_sched_solve(d, 2, 2), 0);
	assert_true(fabs(d[0].alloc - 1.5) < EPS);
	assert_true(fabs(d[1].alloc - 0.5) < EPS);
}

/* Work-conserving: what an idle domain does not use goes to the others. */
static void
test_idle_given_away(void **state)
{
	struct sim_sched_dom d[3] = { dom(8192, 4, 0.1), dom(256, 4, 4), dom(256, 2, 2) };

	(void)state;
	assert_int_equal(sim_sched_solve(d, 3, 4), 0);
	assert_true(fabs(d[0].alloc - 0.1) < EPS);     /* gets all it asks for */
	assert_true(fabs(d[1].alloc - 1.95) < EPS);    /* 3.9 shared equally */
	assert_true(fabs(d[2].alloc - 1.95) < EPS);
	assert_true(fabs(total(d, 3) - 4) < EPS);
	/* alone on the host, a domain gets its demand even with a tiny weight */
	d[0].demand = 0;
	d[2].demand = 0;
	d[1].weight = 1;
	assert_int_equal(sim_sched_solve(d, 3, 4), 0);
	assert_true(fabs(d[1].alloc - 4) < EPS);
}

static void
test_vcpus_and_demand_bound(void **state)
{
	struct sim_sched_dom d[2] = { dom(65535, 1, 3), dom(1, 8, 8) };

	(void)state;
	assert_int_equal(sim_sched_solve(d, 2, 4), 0);
	assert_true(fabs(d[0].alloc - 1) < EPS);       /* one vcpu: one pCPU at most */
	assert_true(fabs(d[1].alloc - 3) < EPS);
	assert_true(sim_sched_upper(&d[0]) == 1);
}

static void
test_paused_gets_nothing(void **state)
{
	struct sim_sched_dom d[2] = { dom(256, 2, 2), dom(256, 2, 2) };

	(void)state;
	d[0].paused = true;
	assert_int_equal(sim_sched_solve(d, 2, 2), 0);
	assert_true(d[0].alloc == 0);
	assert_true(fabs(d[1].alloc - 2) < EPS);
	assert_true(sim_sched_upper(&d[0]) == 0);
}

static void
test_pinning(void **state)
{
	struct cpuset one, two;
	struct sim_sched_dom d[3] = { dom(256, 4, 4), dom(256, 4, 4), dom(256, 4, 4) };

	(void)state;
	cpuset_zero(&one);
	cpuset_set(&one, 3);
	cpuset_zero(&two);
	cpuset_set(&two, 0);
	cpuset_set(&two, 1);
	/* pinned to one pCPU: at most one pCPU, whatever the demand */
	d[0].mask = &one;
	assert_int_equal(sim_sched_solve(d, 1, 8), 0);
	assert_true(fabs(d[0].alloc - 1) < EPS);
	/* two domains pinned to the same pCPU share it by weight */
	d[1].mask = &one;
	d[1].weight = 768;
	assert_int_equal(sim_sched_solve(d, 2, 8), 0);
	assert_true(fabs(d[0].alloc - 0.25) < EPS);
	assert_true(fabs(d[1].alloc - 0.75) < EPS);
	/* a third pinned elsewhere is not affected by them */
	d[2].mask = &two;
	assert_int_equal(sim_sched_solve(d, 3, 8), 0);
	assert_true(fabs(d[2].alloc - 2) < EPS);
	assert_true(fabs(d[0].alloc + d[1].alloc - 1) < EPS);
	/* an unpinned domain takes the pCPUs they leave */
	d[2].mask = NULL;
	d[2].demand = 4;
	assert_int_equal(sim_sched_solve(d, 3, 4), 0);
	assert_true(fabs(d[0].alloc + d[1].alloc - 1) < EPS);
	assert_true(fabs(d[2].alloc - 3) < EPS);
}

/* Random instances: bounds hold, no pCPU is lost, shares are max-min fair. */
static void
test_random_invariants(void **state)
{
	enum { N = 300 };
	struct sim_sched_dom *d = calloc(N, sizeof *d);
	struct sim_rng r;

	(void)state;
	sim_rng_seed(&r, 99, 0);
	for (int iter = 0; iter < 200; iter++) {
		size_t n = 1 + sim_rng_next(&r) % N;
		unsigned p = 1 + (unsigned)(sim_rng_next(&r) % 64);
		double want = 0, level = 0;

		for (size_t i = 0; i < n; i++) {
			d[i] = dom(1 + (unsigned)(sim_rng_next(&r) % 65535), 1 + (unsigned)(sim_rng_next(&r) % 8), 0);
			d[i].demand = sim_rng_range(&r, 0, d[i].vcpus);
			d[i].cap = sim_rng_next(&r) % 4 == 0 ? (unsigned)(sim_rng_next(&r) % (100 * d[i].vcpus)) : 0;
			d[i].paused = sim_rng_next(&r) % 10 == 0;
			want += sim_sched_upper(&d[i]);
		}
		assert_int_equal(sim_sched_solve(d, n, p), 0);
		assert_true(fabs(total(d, n) - fmin(want, p)) < 1e-6);
		for (size_t i = 0; i < n; i++) {
			double u = sim_sched_upper(&d[i]);
			assert_true(d[i].alloc >= -EPS && d[i].alloc <= u + EPS);
			if (d[i].alloc < u - 1e-9)      /* unsatisfied: all of them sit at one level */
				level = d[i].alloc / d[i].weight;
		}
		for (size_t i = 0; i < n && level > 0; i++) {
			double u = sim_sched_upper(&d[i]);
			if (d[i].alloc < u - 1e-9)
				assert_true(fabs(d[i].alloc / d[i].weight - level) < 1e-9);
			else
				assert_true(d[i].alloc / d[i].weight <= level + 1e-9);
		}
	}
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waterfill_basics),
		cmocka_unit_test(test_proportional_to_weight),
		cmocka_unit_test(test_cap_respected),
		cmocka_unit_test(test_idle_given_away),
		cmocka_unit_test(test_vcpus_and_demand_bound),
		cmocka_unit_test(test_paused_gets_nothing),
		cmocka_unit_test(test_pinning),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
