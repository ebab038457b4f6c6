/* test_view.c: rate derivation: first sample, counter wrap and reset,
 * domains appearing and vanishing, entitlement and credit use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

static void
host(struct sample *s, uint64_t t, unsigned pcpus)
{
	s->time_ns = t;
	s->host.nr_pcpus = pcpus;
}

static void
test_first_sample_has_no_rates(void **state)
{
	struct sample cur;
	struct view v;

	(void)state;
	sample_init(&cur);
	view_init(&v);
	host(&cur, S(10), 4);
	add(&cur, 0, 256, S(5), DOM_RUNNING);
	assert_int_equal(view_derive(&v, NULL, &cur), 0);
	assert_int_equal(v.n, 1);
	assert_false(v.doms[0].has_rates);
	assert_true(v.doms[0].cpu_pct == 0);
	assert_int_equal(v.host.interval_ns, 0);
	/* entitlement needs no rates: one runnable domain owns all 4 pCPUs */
	assert_true(v.doms[0].ent_pct > 399.9 && v.doms[0].ent_pct < 400.1);
	view_free(&v);
	sample_free(&cur);
}

static void
test_cpu_and_net_rates(void **state)
{
	struct sample prev, cur;
	struct sample_domain *p, *c;
	struct view v;

	(void)state;
	sample_init(&prev);
	sample_init(&cur);
	view_init(&v);
	host(&prev, S(10), 4);
	host(&cur, S(12), 4);
	p = add(&prev, 3, 256, S(1), DOM_RUNNING);
	c = add(&cur, 3, 256, S(1) + S(3), DOM_RUNNING);   /* 3 s of cpu in 2 s = 150% */
	p->vifs[0].tx_bytes = 1000;
	c->vifs[0].tx_bytes = 1000 + 250000;               /* 1 Mbit/s */
	p->vifs[0].rx_packets = 10;
	c->vifs[0].rx_packets = 210;                       /* 100 pps */
	p->vbds[0].rd_req = 0;
	c->vbds[0].rd_req = 40;                            /* 20 iops */
	c->vbds[0].delay_ns = S(1);                        /* 50% io wait */
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_true(v.doms[0].has_rates);
	assert_true(v.doms[0].cpu_pct > 149.99 && v.doms[0].cpu_pct < 150.01);
	assert_true(v.doms[0].tx_bps > 999999 && v.doms[0].tx_bps < 1000001);
	assert_true(v.doms[0].pps > 99.99 && v.doms[0].pps < 100.01);
	assert_true(v.doms[0].iops > 19.99 && v.doms[0].iops < 20.01);
	assert_true(v.doms[0].iow_pct > 49.99 && v.doms[0].iow_pct < 50.01);
	assert_true(v.doms[0].vcpus[0].cpu_pct > 149.99);
	view_free(&v);
	sample_free(&prev);
	sample_free(&cur);
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
	struct sample prev, cur;
	struct view v;

	(void)state;
	sample_init(&prev);
	sample_init(&cur);
	view_init(&v);
	host(&prev, S(1), 2);
	host(&cur, S(2), 2);
	add(&prev, 1, 256, S(1), DOM_RUNNING)->vifs[0].rx_bytes = UINT64_C(1) << 40;
	add(&cur, 1, 256, S(1), DOM_RUNNING)->vifs[0].rx_bytes = 10;
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_true(v.doms[0].rx_bps == 0);
	view_free(&v);
	sample_free(&prev);
	sample_free(&cur);
}

static void
test_recreated_vif_gives_no_rate(void **state)
{
	struct sample prev, cur;
	struct sample_domain *p, *c;
	struct view v;

	(void)state;
	sample_init(&prev);
	sample_init(&cur);
	view_init(&v);
	host(&prev, S(1), 2);
	host(&cur, S(2), 2);
	p = add(&prev, 1, 256, S(1), DOM_RUNNING);
	c = add(&cur, 1, 256, S(1), DOM_RUNNING);
	p->vifs[0].ifindex = 7;
	p->vifs[0].rx_bytes = 10;
	c->vifs[0].ifindex = 9;                    /* guest rebooted: new vif, same devid */
	c->vifs[0].rx_bytes = 5000000;
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_true(v.doms[0].rx_bps == 0);
	c->vifs[0].ifindex = 7;                    /* same vif: a real rate */
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_true(v.doms[0].rx_bps > 39999919 && v.doms[0].rx_bps < 39999921);
	view_free(&v);
	sample_free(&prev);
	sample_free(&cur);
}

static void
test_domains_appear_and_vanish(void **state)
{
	struct sample prev, cur;
	struct view v;

	(void)state;
	sample_init(&prev);
	sample_init(&cur);
	view_init(&v);
	host(&prev, S(1), 2);
	host(&cur, S(2), 2);
	add(&prev, 0, 256, S(1), DOM_RUNNING);
	add(&prev, 2, 256, S(1), DOM_RUNNING);     /* vanishes */
	add(&prev, 5, 256, S(1), DOM_RUNNING);
	add(&cur, 0, 256, S(1) + S(1) / 2, DOM_RUNNING);
	add(&cur, 4, 256, S(9), DOM_RUNNING);      /* new: no rate, whatever its counter */
	add(&cur, 5, 256, S(1) / 2, DOM_RUNNING);  /* same id, cpu went back: a new domain */
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_int_equal(v.n, 3);
	assert_true(v.doms[0].has_rates);
	assert_true(v.doms[0].cpu_pct > 49.99 && v.doms[0].cpu_pct < 50.01);
	assert_false(v.doms[1].has_rates);
	assert_true(v.doms[1].cpu_pct == 0);
	assert_false(v.doms[2].has_rates);
	view_free(&v);
	sample_free(&prev);
	sample_free(&cur);
}

static void
test_entitlement_and_use(void **state)
{
	struct sample prev, cur;
	struct sample_domain *d;
	struct view v;

	(void)state;
	sample_init(&prev);
	sample_init(&cur);
	view_init(&v);
	host(&prev, S(1), 4);
	host(&cur, S(2), 4);
	add(&prev, 0, 512, 0, DOM_RUNNING);
	add(&prev, 1, 256, 0, DOM_RUNNING);
	add(&prev, 2, 256, 0, DOM_RUNNING);
	add(&prev, 3, 256, 0, DOM_PAUSED);
	add(&cur, 0, 512, S(1), DOM_RUNNING);      /* 100% */
	d = add(&cur, 1, 256, S(2), DOM_RUNNING);  /* 200%, entitled to 100% */
	(void)d;
	d = add(&cur, 2, 256, S(1) / 2, DOM_RUNNING);
	d->cap = 50;                               /* capped at 50 */
	add(&cur, 3, 256, 0, DOM_PAUSED);          /* not runnable: no share */
	assert_int_equal(view_derive(&v, &prev, &cur), 0);
	assert_int_equal(v.host.sum_weight, 1024);
	assert_true(v.doms[0].ent_pct > 199.9 && v.doms[0].ent_pct < 200.1);
	assert_true(v.doms[1].ent_pct > 99.9 && v.doms[1].ent_pct < 100.1);
	assert_true(v.doms[1].use > 1.99 && v.doms[1].use < 2.01);
	assert_true(v.doms[2].ent_pct > 49.9 && v.doms[2].ent_pct < 50.1);
	assert_true(v.doms[3].ent_pct == 0);
	assert_int_equal(v.host.by_state[4], 1);   /* one paused */
	assert_int_equal(v.host.by_state[5], 3);
	/* host: 3.5 pCPUs busy of 4 */
	assert_true(v.host.cpu_pct > 87.49 && v.host.cpu_pct < 87.51);
	/* a domain is never entitled to more than its vcpus */
	assert_true(view_entitlement(65535, 0, 1, 65535, 8) <= 100.0);
	view_free(&v);
	sample_free(&prev);
	sample_free(&cur);
}

static void
test_rederive_reuses_pools(void **state)
{
	struct sample a, b;
	struct view v;

	(void)state;
	sample_init(&a);
	sample_init(&b);
	view_init(&v);
	host(&a, S(1), 2);
	host(&b, S(2), 2);
	for (uint32_t i = 0; i < 100; i++) {
		add(&a, i, 256, S(i), DOM_RUNNING);
		add(&b, i, 256, S(i) + S(1), DOM_RUNNING);
	}
	for (int k = 0; k < 3; k++) {
		assert_int_equal(view_derive(&v, &a, &b), 0);
		assert_int_equal(v.n, 100);
		assert_true(v.doms[99].cpu_pct > 99.9 && v.doms[99].cpu_pct < 100.1);
		assert_ptr_equal(v.doms[99].raw, &b.domains[99]);
	}
	view_free(&v);
	sample_free(&a);
	sample_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sample_has_no_rates),
		cmocka_unit_test(test_cpu_and_net_rates),
		cmocka_unit_test(test_counter_wrap_and_reset),
		cmocka_unit_test(test_reset_counter_gives_zero_rate),
		cmocka_unit_test(test_recreated_vif_gives_no_rate),
		cmocka_unit_test(test_domains_appear_and_vanish),
		cmocka_unit_test(test_entitlement_and_use),
		cmocka_unit_test(test_rederive_reuses_pools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
