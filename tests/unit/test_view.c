/* test_view.c: rate derivation: first sample, counter wrap and reset,
 * domains appearing and vanishing, entitlement and credit use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backend/view.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)

static struct sample_domain *
add(struct sample *s, uint32_t id, unsigned weight, uint64_t cpu_ns, unsigned state)
{
	struct sample_domain *d = sample_add_domain(s);

	d->domid = id;
	snprintf(d->name, sizeof d->name, "dom%u", id);
	d->weight = weight;
	d->cpu_ns = cpu_ns;
	d->state = state;
	d->nr_vcpus = 4;
	assert_true(sample_domain_alloc(d, 1, 1, 1));
	d->vcpus[0].id = 0;
	d->vcpus[0].cpu_ns = cpu_ns;
	return d;
}

/* Two samples a refresh apart, and the view derived from them. */
struct pair {
	struct sample prev, cur;
	struct view v;
};

static int
pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof *p);

	if (p == NULL)
		return -1;
	sample_init(&p->prev);
	sample_init(&p->cur);
	view_init(&p->v);
	*state = p;
	return 0;
}

static int
pair_teardown(void **state)
{
	struct pair *p = *state;

	view_free(&p->v);
	sample_free(&p->prev);
	sample_free(&p->cur);
	free(p);
	return 0;
}

/* The host of both samples: pcpus, prev taken at t0 and cur at t1. */
static void
hosts(struct pair *p, uint64_t t0, uint64_t t1, unsigned pcpus)
{
	p->prev.time_ns = t0;
	p->prev.host.nr_pcpus = pcpus;
	p->cur.time_ns = t1;
	p->cur.host.nr_pcpus = pcpus;
}

/* Derives the view from prev (NULL: cur is the first sample) and cur. */
static const struct view *
derive(struct pair *p, bool first)
{
	assert_int_equal(view_derive(&p->v, first ? NULL : &p->prev, &p->cur), 0);
	return &p->v;
}

static void
test_first_sample_has_no_rates(void **state)
{
	struct pair *p = *state;
	const struct view *v;

	hosts(p, 0, S(10), 4);
	add(&p->cur, 0, 256, S(5), DOM_RUNNING);
	v = derive(p, true);
	assert_int_equal(v->n, 1);
	assert_false(v->doms[0].has_rates);
	assert_true(v->doms[0].cpu_pct == 0);
	assert_int_equal(v->host.interval_ns, 0);
	/* entitlement needs no rates: one runnable domain owns all 4 pCPUs */
	assert_true(v->doms[0].ent_pct > 399.9 && v->doms[0].ent_pct < 400.1);
}

static void
test_cpu_and_net_rates(void **state)
{
	struct pair *p = *state;
	struct sample_domain *a, *b;
	const struct view *v;

	hosts(p, S(10), S(12), 4);
	a = add(&p->prev, 3, 256, S(1), DOM_RUNNING);
	b = add(&p->cur, 3, 256, S(1) + S(3), DOM_RUNNING);   /* 3 s of cpu in 2 s = 150% */
	a->vifs[0].tx_bytes = 1000;
	b->vifs[0].tx_bytes = 1000 + 250000;               /* 1 Mbit/s */
	a->vifs[0].rx_packets = 10;
	b->vifs[0].rx_packets = 210;                       /* 100 pps */
	a->vbds[0].rd_req = 0;
	b->vbds[0].rd_req = 40;                            /* 20 iops */
	b->vbds[0].delay_ns = S(1);                        /* 50% io wait */
	v = derive(p, false);
	assert_true(v->doms[0].has_rates);
	assert_true(v->doms[0].cpu_pct > 149.99 && v->doms[0].cpu_pct < 150.01);
	assert_true(v->doms[0].tx_bps > 999999 && v->doms[0].tx_bps < 1000001);
	assert_true(v->doms[0].pps > 99.99 && v->doms[0].pps < 100.01);
	assert_true(v->doms[0].iops > 19.99 && v->doms[0].iops < 20.01);
	assert_true(v->doms[0].iow_pct > 49.99 && v->doms[0].iow_pct < 50.01);
	assert_true(v->doms[0].vcpus[0].cpu_pct > 149.99);
}

static void
test_counter_wrap_and_reset(void **state)
{
	uint64_t d;

	(void)state;
	assert_true(view_counter_delta(10, 30, &d));
	assert_int_equal(d, 20);
	/* a 32-bit counter wrapped: 2^32 - 100 -> 50 is 150 */
	assert_true(view_counter_delta(UINT32_MAX - 99, 50, &d));
	assert_int_equal(d, 150);
	/* low counter went backwards: a re-created device, not a wrap */
	assert_false(view_counter_delta(1000000, 100, &d));
	/* a 64-bit counter went backwards: a reset, no rate */
	assert_false(view_counter_delta(UINT64_C(1) << 40, 5, &d));
	assert_int_equal(d, 0);
}

static void
test_reset_counter_gives_zero_rate(void **state)
{
	struct pair *p = *state;

	hosts(p, S(1), S(2), 2);
	add(&p->prev, 1, 256, S(1), DOM_RUNNING)->vifs[0].rx_bytes = UINT64_C(1) << 40;
	add(&p->cur, 1, 256, S(1), DOM_RUNNING)->vifs[0].rx_bytes = 10;
	assert_true(derive(p, false)->doms[0].rx_bps == 0);
}

static void
test_recreated_vif_gives_no_rate(void **state)
{
	struct pair *p = *state;
	struct sample_domain *a, *b;
	const struct view *v;

	hosts(p, S(1), S(2), 2);
	a = add(&p->prev, 1, 256, S(1), DOM_RUNNING);
	b = add(&p->cur, 1, 256, S(1), DOM_RUNNING);
	a->vifs[0].ifindex = 7;
	a->vifs[0].rx_bytes = 10;
	b->vifs[0].ifindex = 9;                    /* guest rebooted: new vif, same devid */
	b->vifs[0].rx_bytes = 5000000;
	assert_true(derive(p, false)->doms[0].rx_bps == 0);
	b->vifs[0].ifindex = 7;                    /* same vif: a real rate */
	v = derive(p, false);
	assert_true(v->doms[0].rx_bps > 39999919 && v->doms[0].rx_bps < 39999921);
}

static void
test_domains_appear_and_vanish(void **state)
{
	struct pair *p = *state;
	const struct view *v;

	hosts(p, S(1), S(2), 2);
	add(&p->prev, 0, 256, S(1), DOM_RUNNING);
	add(&p->prev, 2, 256, S(1), DOM_RUNNING);     /* vanishes */
	add(&p->prev, 5, 256, S(1), DOM_RUNNING);
	add(&p->cur, 0, 256, S(1) + S(1) / 2, DOM_RUNNING);
	add(&p->cur, 4, 256, S(9), DOM_RUNNING);      /* new: no rate, whatever its counter */
	add(&p->cur, 5, 256, S(1) / 2, DOM_RUNNING);  /* same id, cpu went back: a new domain */
	v = derive(p, false);
	assert_int_equal(v->n, 3);
	assert_true(v->doms[0].has_rates);
	assert_true(v->doms[0].cpu_pct > 49.99 && v->doms[0].cpu_pct < 50.01);
	assert_false(v->doms[1].has_rates);
	assert_true(v->doms[1].cpu_pct == 0);
	assert_false(v->doms[2].has_rates);
}

static void
test_entitlement_and_use(void **state)
{
	struct pair *p = *state;
	const struct view *v;

	hosts(p, S(1), S(2), 4);
	add(&p->prev, 0, 512, 0, DOM_RUNNING);
	add(&p->prev, 1, 256, 0, DOM_RUNNING);
	add(&p->prev, 2, 256, 0, DOM_RUNNING);
	add(&p->prev, 3, 256, 0, DOM_PAUSED);
	add(&p->cur, 0, 512, S(1), DOM_RUNNING);      /* 100% */
	add(&p->cur, 1, 256, S(2), DOM_RUNNING);      /* 200%, entitled to 100% */
	add(&p->cur, 2, 256, S(1) / 2, DOM_RUNNING)->cap = 50;   /* capped at 50 */
	add(&p->cur, 3, 256, 0, DOM_PAUSED);          /* not runnable: no share */
	v = derive(p, false);
	assert_int_equal(v->host.sum_weight, 1024);
	assert_true(v->doms[0].ent_pct > 199.9 && v->doms[0].ent_pct < 200.1);
	assert_true(v->doms[1].ent_pct > 99.9 && v->doms[1].ent_pct < 100.1);
	assert_true(v->doms[1].use > 1.99 && v->doms[1].use < 2.01);
	assert_true(v->doms[2].ent_pct > 49.9 && v->doms[2].ent_pct < 50.1);
	assert_true(v->doms[3].ent_pct == 0);
	assert_int_equal(v->host.by_state[4], 1);   /* one paused */
	assert_int_equal(v->host.by_state[5], 3);
	/* host: 3.5 pCPUs busy of 4 */
	assert_true(v->host.cpu_pct > 87.49 && v->host.cpu_pct < 87.51);
	/* a domain is never entitled to more than its vcpus */
	assert_true(view_entitlement(65535, 0, 1, 65535, 8) <= 100.0);
}

static void
test_rederive_reuses_pools(void **state)
{
	struct pair *p = *state;

	hosts(p, S(1), S(2), 2);
	for (uint32_t i = 0; i < 100; i++) {
		add(&p->prev, i, 256, S(i), DOM_RUNNING);
		add(&p->cur, i, 256, S(i) + S(1), DOM_RUNNING);
	}
	for (int k = 0; k < 3; k++) {
		const struct view *v = derive(p, false);

		assert_int_equal(v->n, 100);
		assert_true(v->doms[99].cpu_pct > 99.9 && v->doms[99].cpu_pct < 100.1);
		assert_ptr_equal(v->doms[99].raw, &p->cur.domains[99]);
	}
}

/* A host that does not account IO delay: every domain says so, whatever its delay reads. */
static void
test_io_delay_off(void **state)
{
	struct pair *p = *state;
	const struct view *v;

	hosts(p, S(10), S(12), 4);
	add(&p->prev, 3, 256, S(1), DOM_RUNNING);
	add(&p->cur, 3, 256, S(2), DOM_RUNNING);
	add(&p->prev, 4, 256, S(1), DOM_RUNNING);
	add(&p->cur, 4, 256, S(2), DOM_RUNNING);
	v = derive(p, false);
	assert_false(v->doms[0].iow_off);
	assert_false(v->doms[1].iow_off);
	p->cur.host.io_delay_off = true;
	v = derive(p, false);
	assert_true(v->doms[0].iow_off);
	assert_true(v->doms[1].iow_off);
	p->cur.host.io_delay_off = false;
	v = derive(p, false);
	assert_false(v->doms[1].iow_off);
}

#define PAIR_TEST(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		PAIR_TEST(test_first_sample_has_no_rates),
		PAIR_TEST(test_cpu_and_net_rates),
		cmocka_unit_test(test_counter_wrap_and_reset),
		PAIR_TEST(test_reset_counter_gives_zero_rate),
		PAIR_TEST(test_recreated_vif_gives_no_rate),
		PAIR_TEST(test_domains_appear_and_vanish),
		PAIR_TEST(test_entitlement_and_use),
		PAIR_TEST(test_rederive_reuses_pools),
		PAIR_TEST(test_io_delay_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
