/* test_sim.c: the demo host through hv.h and sim.h: models, actions, determinism, events. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "backend/hv.h"
#include "backend/sim.h"

#define SEC 1000000000ULL

static struct hv *
open_text(const char *text, uint64_t seed)
{
	struct hv *hv = NULL;
	struct err e;

	if (sim_open_text(&hv, text, strlen(text), "t.scn", seed, &e) < 0)
		fail_msg("open: %s", e.msg);
	return hv;
}

static void
take(struct hv *hv, struct sample *s, uint64_t interval)
{
	struct err e;

	if (hv_sample(hv, s, interval, &e) < 0)
		fail_msg("sample: %s", e.msg);
}

static const struct sample_domain *
find(const struct sample *s, const char *name)
{
	const struct sample_domain *d = sample_find_name(s, name);

	if (d == NULL)
		fail_msg("no domain %s in the sample", name);
	return d;
}

/*
 * A run of the demo host: its hv, a sample before (a) and one after (b). The
 * fixture of the tests that measure what the host did in between.
 */
struct run {
	struct hv *hv;
	struct sample a, b;
};

static int
run_setup(void **state)
{
	struct run *r = calloc(1, sizeof *r);

	if (r == NULL)
		return -1;
	sample_init(&r->a);
	sample_init(&r->b);
	*state = r;
	return 0;
}

static int
run_teardown(void **state)
{
	struct run *r = *state;

	sample_free(&r->a);
	sample_free(&r->b);
	if (r->hv != NULL)
		hv_close(r->hv);
	free(r);
	return 0;
}

/* Opens the host of r from a scenario text (closing the one it had). */
static struct run *
run_open(void **state, const char *text, uint64_t seed)
{
	struct run *r = *state;

	if (r->hv != NULL)
		hv_close(r->hv);
	r->hv = open_text(text, seed);
	return r;
}

/* Runs seconds from a fresh pair of samples: a before, b after. */
static void
run(struct run *r, unsigned seconds)
{
	take(r->hv, &r->a, SEC);
	take(r->hv, &r->b, seconds * SEC);
}

static double
elapsed_ns(const struct run *r)
{
	return (double)(r->b.time_ns - r->a.time_ns);
}

/* CPU use of a domain over the run, in pCPUs. */
static double
cpu(const struct run *r, const char *name)
{
	return (double)(find(&r->b, name)->cpu_ns - find(&r->a, name)->cpu_ns) / elapsed_ns(r);
}

/* Bits/s to the guest (dom0 TX) or from it (dom0 RX) on vif 0. */
static double
vif_bps(const struct run *r, const char *name, bool to_guest)
{
	const struct sample_vif *x = &find(&r->a, name)->vifs[0], *y = &find(&r->b, name)->vifs[0];
	uint64_t bytes = to_guest ? y->tx_bytes - x->tx_bytes : y->rx_bytes - x->rx_bytes;

	return bytes * 8.0 * SEC / elapsed_ns(r);
}

static double
iops(const struct run *r, const char *name)
{
	const struct sample_vbd *x = &find(&r->a, name)->vbds[0], *y = &find(&r->b, name)->vbds[0];

	return (double)(y->rd_req + y->wr_req - x->rd_req - x->wr_req) * SEC / elapsed_ns(r);
}

static double
iow(const struct run *r, const char *name)
{
	return (double)(find(&r->b, name)->vbds[0].delay_ns - find(&r->a, name)->vbds[0].delay_ns) /
	       elapsed_ns(r);
}

static bool
near(double got, double want, double tolerance)
{
	return fabs(got - want) <= tolerance * fabs(want) + 1e-9;
}

#define assert_near(got, want, tol) do { \
	double g_ = (got), w_ = (want); \
	if (!near(g_, w_, (tol))) fail_msg("%s = %g, expected %g within %g%%", #got, g_, w_, (tol) * 100); \
} while (0)

static void
test_first_sample_and_host(void **state)
{
	struct hv *hv;
	struct sample s;
	struct err e;
	struct sim_options o = { NULL, 1 };

	(void)state;
	assert_int_equal(hv_sim_open(&hv, &o, &e), 0);
	assert_true(sim_is(hv));
	sample_init(&s);
	take(hv, &s, 5 * SEC);                  /* the first sample is at t = 0 */
	assert_int_equal(s.time_ns, 0);
	assert_string_equal(s.host.hostname, "node1");
	assert_string_equal(s.host.hypervisor, "demo");
	assert_string_equal(s.host.sched, "credit2");
	assert_int_equal(s.host.nr_pcpus, 8);
	assert_int_equal(s.host.tot_mem_kb, 32ULL << 20);
	assert_true(s.host.free_mem_kb > 0 && s.host.free_mem_kb < s.host.tot_mem_kb);
	assert_true(s.host.cpu_mhz > 0);
	assert_true(s.n_domains >= 9);
	assert_int_equal(s.domains[0].domid, 0);
	for (size_t i = 0; i < s.n_domains; i++) {
		const struct sample_domain *d = &s.domains[i];
		assert_int_equal(d->cpu_ns, 0);
		if (i > 0)
			assert_true(d->domid > s.domains[i - 1].domid);
		assert_int_equal(d->n_vcpus, d->nr_vcpus);
		for (size_t v = 0; v < d->n_vcpus; v++)
			assert_true(d->vcpus[v].pcpu >= 0 &&
			            cpuset_has(&d->vcpus[v].affinity, (unsigned)d->vcpus[v].pcpu));
	}
	assert_true(find(&s, "parked")->state == DOM_PAUSED);
	assert_true(find(&s, "idle1")->state == DOM_BLOCKED);
	assert_true(find(&s, "web1")->state == DOM_RUNNING);
	take(hv, &s, 2 * SEC);
	assert_int_equal(s.time_ns, 2 * SEC);
	assert_int_equal(sim_now_ns(hv), 2 * SEC);
	assert_true(s.host.idle_ns < 2 * SEC * 8);
	sample_free(&s);
	hv_close(hv);
}

/* The default scenario is interesting: contention, domains above their entitlement. */
static void
test_default_is_contended(void **state)
{
	struct run *r = *state;
	struct err e;
	struct sim_options o = { NULL, 3 };
	double used = 0, sum_w = 0;
	int over = 0;

	assert_int_equal(hv_sim_open(&r->hv, &o, &e), 0);
	run(r, 10);
	for (size_t i = 0; i < r->b.n_domains; i++)
		if (sample_runnable(r->b.domains[i].state))
			sum_w += r->b.domains[i].weight;
	for (size_t i = 0; i < r->b.n_domains; i++) {
		const struct sample_domain *d = &r->b.domains[i];
		double c = cpu(r, d->name), ent = d->weight / sum_w * 8;

		used += c;
		if (sample_runnable(d->state) && c > ent)
			over++;
	}
	assert_true(used > 7.9);                /* every pCPU busy */
	assert_true(over >= 2);
	assert_true(cpu(r, "miner") < 3);       /* held back: it asks for 4 */
	assert_true(cpu(r, "parked") == 0);
	assert_true(iow(r, "backup") > 0.5);
	assert_true(iow(r, "web1") < 0.05);
	assert_true(vif_bps(r, "flood", false) > 100e6);
}

static const char cpu_scn[] =
	"host pcpus=2 mem=16G\n"
	"domain d0 id=0 vcpus=2 mem=1G weight=256 cpu=0\n"
	"domain a vcpus=2 mem=1G weight=256 cpu=2\n"
	"domain b vcpus=2 mem=1G weight=512 cpu=2\n"
	"domain c vcpus=4 mem=1G weight=256 cpu=2\n";

static void
test_weight(void **state)
{
	struct run *r = run_open(state, cpu_scn, 1);
	struct err e;

	run(r, 10);
	assert_near(cpu(r, "a"), 0.5, 0.05);
	assert_near(cpu(r, "b"), 1.0, 0.05);
	assert_near(cpu(r, "c"), 0.5, 0.05);
	assert_int_equal(hv_set_weight(r->hv, find(&r->b, "c")->domid, 1024, &e), 0);
	run(r, 10);
	assert_int_equal(find(&r->b, "c")->weight, 1024);
	assert_near(cpu(r, "a"), 2.0 * 256 / 1792, 0.05);
	assert_near(cpu(r, "c"), 2.0 * 1024 / 1792, 0.05);
	assert_int_equal(hv_set_weight(r->hv, 1, 0, &e), -1);
	assert_non_null(strstr(e.msg, "1 to 65535"));
	assert_int_equal(hv_set_weight(r->hv, 1, 65536, &e), -1);
	assert_int_equal(hv_set_weight(r->hv, 99, 256, &e), -1);
	assert_string_equal(e.msg, "no domain 99 (it may have been destroyed)");
}

static void
test_cap(void **state)
{
	struct run *r = run_open(state, cpu_scn, 1);
	struct sample_domain d;
	struct err e;
	uint32_t id;

	take(r->hv, &r->a, 0);
	id = find(&r->a, "b")->domid;
	assert_int_equal(hv_set_cap(r->hv, id, 30, &e), 0);
	assert_int_equal(hv_read_domain(r->hv, id, &d, &e), 0);
	assert_int_equal(d.cap, 30);
	hv_domain_free(&d);
	run(r, 10);
	assert_near(cpu(r, "b"), 0.3, 0.01);
	assert_near(cpu(r, "a"), 0.85, 0.05);     /* the rest goes to the others */
	assert_near(cpu(r, "c"), 0.85, 0.05);
	assert_int_equal(hv_set_cap(r->hv, id, 201, &e), -1);
	assert_non_null(strstr(e.msg, "0 (no cap) to 200"));
	assert_int_equal(hv_set_cap(r->hv, id, 0, &e), 0);
	run(r, 10);
	assert_near(cpu(r, "b"), 1.0, 0.05);
}

static void
test_pin(void **state)
{
	struct run *r = run_open(state, "host pcpus=4 mem=16G\n"
	                         "domain a vcpus=4 mem=1G cpu=4\n"
	                         "domain b vcpus=4 mem=1G cpu=4\n", 1);
	struct cpuset one, none, far;
	struct err e;

	cpuset_zero(&one);
	cpuset_set(&one, 2);
	assert_int_equal(hv_pin_vcpu(r->hv, 1, -1, &one, &e), 0);
	run(r, 10);
	assert_near(cpu(r, "a"), 1.0, 0.01);      /* pinned to one pCPU */
	assert_near(cpu(r, "b"), 3.0, 0.01);      /* the others get the rest */
	for (size_t v = 0; v < 4; v++) {
		assert_int_equal(find(&r->b, "a")->vcpus[v].pcpu, 2);
		assert_true(cpuset_equal(&find(&r->b, "a")->vcpus[v].affinity, &one));
	}
	/* one vcpu back on every pCPU */
	cpuset_fill(&far, 4);
	assert_int_equal(hv_pin_vcpu(r->hv, 1, 0, &far, &e), 0);
	run(r, 10);
	assert_near(cpu(r, "a"), 2.0, 0.01);
	cpuset_zero(&none);
	assert_int_equal(hv_pin_vcpu(r->hv, 1, -1, &none, &e), -1);
	assert_non_null(strstr(e.msg, "empty"));
	cpuset_zero(&far);
	cpuset_set(&far, 4);
	assert_int_equal(hv_pin_vcpu(r->hv, 1, -1, &far, &e), -1);
	assert_non_null(strstr(e.msg, "pCPU 4 does not exist: this host has pCPUs 0-3"));
	assert_int_equal(hv_pin_vcpu(r->hv, 1, 4, &one, &e), -1);
	assert_non_null(strstr(e.msg, "no vcpu 4"));
	assert_int_equal(hv_pin_vcpu(r->hv, 7, 0, &one, &e), -1);
	assert_non_null(strstr(e.msg, "no domain 7"));
}

static const char pause_scn[] =
	"host pcpus=2 mem=16G nic=1gbit disk_iops=1000\n"
	"domain Domain-0 id=0 vcpus=1 mem=1G cpu=0.2\n"
	"domain a vcpus=2 mem=1G cpu=2\n"
	"vif rx=10mbit tx=20mbit\n"
	"vbd xvda iops=100\n"
	"domain b vcpus=2 mem=1G cpu=2\n";

static void
test_pause(void **state)
{
	struct run *r = run_open(state, pause_scn, 1);
	struct sample_domain d;
	struct err e;

	assert_int_equal(hv_set_paused(r->hv, 1, true, &e), 0);
	assert_int_equal(hv_read_domain(r->hv, 1, &d, &e), 0);
	assert_int_equal(d.state, DOM_PAUSED);
	hv_domain_free(&d);
	run(r, 10);
	assert_int_equal(find(&r->b, "a")->state, DOM_PAUSED);
	assert_true(cpu(r, "a") == 0);
	assert_near(cpu(r, "b"), 1.8, 0.01);
	assert_true(vif_bps(r, "a", true) == 0 && vif_bps(r, "a", false) == 0);
	assert_true(iops(r, "a") == 0 && iow(r, "a") == 0);
	for (size_t v = 0; v < 2; v++)
		assert_false(find(&r->b, "a")->vcpus[v].running);
	assert_int_equal(hv_set_paused(r->hv, 1, false, &e), 0);
	run(r, 10);
	assert_int_equal(find(&r->b, "a")->state, DOM_RUNNING);
	assert_near(cpu(r, "a"), 0.9, 0.01);
	assert_near(vif_bps(r, "a", true), 20e6, 0.01);
	assert_int_equal(hv_set_paused(r->hv, 0, true, &e), -1);
	assert_non_null(strstr(e.msg, "domain 0 (Domain-0) cannot be paused"));
	assert_int_equal(hv_set_paused(r->hv, 0, false, &e), 0);
}

static void
test_network_throttle(void **state)
{
	struct run *r = run_open(state, "host pcpus=2 mem=16G nic=1gbit\n"
	                         "domain a mem=1G\nvif rx=50mbit tx=100mbit pkt=1000\n", 1);
	const struct sample_vif *v;
	struct err e;

	run(r, 10);
	v = &find(&r->b, "a")->vifs[0];
	assert_string_equal(v->ifname, "vif1.0");
	assert_near(vif_bps(r, "a", true), 100e6, 0.001);
	assert_near(vif_bps(r, "a", false), 50e6, 0.001);
	assert_near((double)(v->tx_packets - find(&r->a, "a")->vifs[0].tx_packets), 100e6 / 8 / 1000 * 10, 0.001);
	assert_int_equal(v->tx_drops, 0);
	assert_int_equal(v->to_guest.rate_bps, 0);

	/* 10 mbit/s to the guest, 125 kB of burst */
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, true, 10000000, 125000, &e), 0);
	run(r, 10);                             /* its first second spends the burst */
	v = &find(&r->b, "a")->vifs[0];
	assert_int_equal(v->to_guest.rate_bps, 10000000);
	assert_int_equal(v->to_guest.burst_bytes, 125000);
	assert_int_equal(v->from_guest.rate_bps, 0);
	assert_near(vif_bps(r, "a", true), 10e6, 0.01);
	assert_near(vif_bps(r, "a", false), 50e6, 0.001);   /* the other way is free */
	assert_true(v->tx_drops > find(&r->a, "a")->vifs[0].tx_drops);

	/* from the guest too, with the default burst */
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, false, 5000000, 0, &e), 0);
	run(r, 10);
	assert_true(find(&r->b, "a")->vifs[0].from_guest.burst_bytes >= 1600);
	assert_near(vif_bps(r, "a", false), 5e6, 0.01);

	/* removal restores the demand */
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, true, 0, 0, &e), 0);
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, false, 0, 0, &e), 0);
	run(r, 10);
	assert_int_equal(find(&r->b, "a")->vifs[0].to_guest.rate_bps, 0);
	assert_near(vif_bps(r, "a", true), 100e6, 0.001);
	assert_near(vif_bps(r, "a", false), 50e6, 0.001);

	assert_int_equal(sim_set_vif_shape(r->hv, 1, 3, true, 1000, 0, &e), -1);
	assert_non_null(strstr(e.msg, "no vif 3"));
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, true, SIM_MAX_RATE_BPS + 1, 0, &e), -1);
	assert_int_equal(sim_set_vif_shape(r->hv, 1, 0, true, 1000, SIM_MAX_BURST + 1, &e), -1);
	assert_int_equal(sim_set_vif_shape(r->hv, 5, 0, true, 1000, 0, &e), -1);
	assert_non_null(strstr(e.msg, "no domain 5"));
}

static void
test_network_nic_shared(void **state)
{
	struct run *r = run_open(state, "host pcpus=2 mem=16G nic=100mbit\n"
	                         "domain a mem=1G\nvif rx=10mbit\n"
	                         "domain b mem=1G\nvif rx=200mbit pkt=64\n"
	                         "domain c mem=1G\nvif rx=200mbit\n", 1);
	struct err e;

	run(r, 10);
	/* 410 mbit/s offered to 100: everyone gets 100/410 of what it offers */
	assert_near(vif_bps(r, "a", false), 10e6 * 100 / 410, 0.001);
	assert_near(vif_bps(r, "b", false), 200e6 * 100 / 410, 0.001);
	assert_near(vif_bps(r, "c", false), 200e6 * 100 / 410, 0.001);
	/* throttling the floods gives the small flow back what it asks for */
	assert_int_equal(sim_set_vif_shape(r->hv, 2, 0, false, 20000000, 0, &e), 0);
	assert_int_equal(sim_set_vif_shape(r->hv, 3, 0, false, 20000000, 0, &e), 0);
	run(r, 10);
	assert_near(vif_bps(r, "a", false), 10e6, 0.001);
	assert_near(vif_bps(r, "b", false), 20e6, 0.01);
	assert_near(vif_bps(r, "c", false), 20e6, 0.01);
}

/* a and b each ask for `demand` IOPS of a 1000-IOPS disk, light for 10. */
static const char *
io_scn(const char *sched, unsigned demand)
{
	static char buf[512];

	snprintf(buf, sizeof buf, "host pcpus=2 mem=16G disk_iops=1000 disk_sched=%s\n"
	         "domain a mem=1G\nvbd xvda iops=%u size=4K read=50%%\n"
	         "domain b mem=1G\nvbd xvda iops=%u size=4K\n"
	         "domain light mem=1G\nvbd xvda iops=10\n", sched, demand, demand);
	return buf;
}

static void
test_ioprio_bfq(void **state)
{
	struct run *r = run_open(state, io_scn("bfq", 600), 1);
	const struct sample_vbd *v;
	struct err e;

	run(r, 10);
	v = &find(&r->b, "a")->vbds[0];
	assert_string_equal(v->name, "xvda");
	assert_string_equal(v->backend, "sim");
	assert_string_equal(v->scheduler, "bfq");
	assert_int_equal(v->devid, 51712);
	assert_near(iops(r, "a"), 495, 0.01);     /* equal priorities: equal shares */
	assert_near(iops(r, "b"), 495, 0.01);
	assert_near(iops(r, "light"), 10, 0.01);
	assert_near((double)(v->rd_sect - find(&r->a, "a")->vbds[0].rd_sect), 495 * 10 / 2 * 8, 0.02);
	assert_true(iow(r, "a") > 0.5 && iow(r, "b") > 0.5);
	assert_true(iow(r, "light") < 0.05);      /* a light domain barely waits */
	assert_true(v->oo_req > find(&r->a, "a")->vbds[0].oo_req);

	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 2, 0, &e), 0);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 2, 7, &e), 0);
	run(r, 10);
	assert_int_equal(find(&r->b, "a")->vbds[0].ioprio_class, 2);
	assert_int_equal(find(&r->b, "a")->vbds[0].ioprio_level, 0);
	assert_near(iops(r, "a"), 600, 0.01);     /* level 0 weighs 8, level 7 weighs 1 */
	assert_near(iops(r, "b"), 390, 0.01);     /* what is left */
	assert_true(iow(r, "b") > iow(r, "a") + 0.1);
	assert_near(iops(r, "light"), 10, 0.01);

	/* idle class only gets what the others leave */
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 3, 0, &e), 0);
	run(r, 10);
	assert_near(iops(r, "b"), 600, 0.01);
	assert_near(iops(r, "a"), 390, 0.01);

	/* all at level 0 vs 7: shares 8:1 when both want everything */
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 2, 0, &e), 0);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 2, 7, &e), 0);
	run_open(state, io_scn("bfq", 1000), 1);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 2, 0, &e), 0);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 2, 7, &e), 0);
	run(r, 10);
	assert_near(iops(r, "a"), 990.0 * 8 / 9, 0.01);
	assert_near(iops(r, "b"), 990.0 / 9, 0.01);

	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 4, 0, &e), -1);
	assert_non_null(strstr(e.msg, "class must be"));
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 2, 8, &e), -1);
	assert_non_null(strstr(e.msg, "level must be 0"));
}

static void
test_ioprio_none_and_deadline(void **state)
{
	struct run *r = run_open(state, io_scn("none", 1000), 1);
	struct err e;

	assert_int_equal(hv_set_vbd_ioprio(r->hv, 1, 51712, 1, 0, &e), 0);  /* even realtime does nothing */
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 3, 0, &e), 0);
	run(r, 10);
	assert_string_equal(find(&r->b, "a")->vbds[0].scheduler, "none");
	assert_near(iops(r, "a"), iops(r, "b"), 0.01);
	assert_true(iow(r, "light") > 0.4);       /* first come first served: all wait */

	run_open(state, io_scn("mq-deadline", 1000), 1);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 2, 0, &e), 0);  /* best-effort levels do nothing */
	run(r, 10);
	assert_near(iops(r, "a"), iops(r, "b"), 0.01);
	assert_int_equal(hv_set_vbd_ioprio(r->hv, 2, 51712, 1, 4, &e), 0);  /* realtime goes first */
	run(r, 10);
	assert_near(iops(r, "b"), 1000, 0.01);
	assert_true(iops(r, "a") < 1);
}

static void
run_series(const char *text, uint64_t seed, struct sample *out, int n)
{
	struct hv *hv = open_text(text, seed);
	static const uint64_t steps[] = { 0, SEC, 3 * SEC, SEC / 2, 7 * SEC, 2 * SEC, 61 * SEC };

	for (int i = 0; i < n; i++) {
		sample_init(&out[i]);
		take(hv, &out[i], steps[i % 7]);
	}
	hv_close(hv);
}

static bool
same_mem(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static bool
same_sample(const struct sample *a, const struct sample *b)
{
	if (a->time_ns != b->time_ns || a->n_domains != b->n_domains ||
	    memcmp(&a->host, &b->host, sizeof a->host) != 0)
		return false;
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct sample_domain *x = &a->domains[i], *y = &b->domains[i];

		if (x->domid != y->domid || strcmp(x->name, y->name) != 0 || x->state != y->state ||
		    x->cpu_ns != y->cpu_ns || x->n_vcpus != y->n_vcpus || x->n_vifs != y->n_vifs ||
		    x->n_vbds != y->n_vbds ||
		    !same_mem(x->vcpus, y->vcpus, x->n_vcpus * sizeof *x->vcpus) ||
		    !same_mem(x->vifs, y->vifs, x->n_vifs * sizeof *x->vifs) ||
		    !same_mem(x->vbds, y->vbds, x->n_vbds * sizeof *x->vbds))
			return false;
	}
	return true;
}

static void
test_deterministic(void **state)
{
	struct sample a[7], b[7], c[7];
	bool differs = false;

	(void)state;
	run_series(sim_default_scenario, 42, a, 7);
	run_series(sim_default_scenario, 42, b, 7);
	run_series(sim_default_scenario, 43, c, 7);
	for (int i = 0; i < 7; i++) {
		assert_true(same_sample(&a[i], &b[i]));
		if (!same_sample(&a[i], &c[i]))
			differs = true;
	}
	assert_true(same_sample(&a[0], &c[0]));        /* t = 0: nothing random yet */
	assert_true(differs);
	for (int i = 0; i < 7; i++) {
		sample_free(&a[i]);
		sample_free(&b[i]);
		sample_free(&c[i]);
	}
}

static void
test_events_create_destroy(void **state)
{
	struct hv *hv = open_text("host pcpus=2 mem=4G\n"
	                          "domain a mem=1G cpu=1\n"
	                          "domain x mem=1G cpu=1\n"
	                          "at 2.5 a cpu=0.25\n"
	                          "at 5 destroy x\n"
	                          "at 7 create y mem=2G cpu=0.5\nvif tx=8mbit\n", 1);
	struct sample s, t;
	struct sample_domain d;
	struct err e;
	uint32_t xid;

	(void)state;
	sample_init(&s);
	sample_init(&t);
	take(hv, &s, 0);
	xid = find(&s, "x")->domid;
	take(hv, &t, 4 * SEC);
	/* a: 1 pCPU for 2.5 s then 0.25 for 1.5 s */
	assert_near((double)(find(&t, "a")->cpu_ns - find(&s, "a")->cpu_ns), (2.5 + 0.375) * SEC, 1e-6);
	take(hv, &s, 2 * SEC);                  /* t = 6: x is gone */
	assert_null(sample_find(&s, xid));
	assert_null(sample_find_name(&s, "x"));
	assert_int_equal(s.n_domains, 1);
	assert_int_equal(hv_read_domain(hv, xid, &d, &e), -1);
	assert_string_equal(e.msg, "no domain 2 (it may have been destroyed)");
	assert_int_equal(hv_set_weight(hv, xid, 300, &e), -1);
	assert_int_equal(hv_set_paused(hv, xid, true, &e), -1);
	assert_int_equal(sim_set_vif_shape(hv, xid, 0, true, 1, 0, &e), -1);
	assert_int_equal(hv_set_vbd_ioprio(hv, xid, 51712, 2, 0, &e), -1);
	assert_int_equal(s.host.free_mem_kb, 3ULL << 20);
	take(hv, &t, 2 * SEC);                  /* t = 8: y exists, with a new id */
	assert_int_equal(t.n_domains, 2);
	assert_int_equal(find(&t, "y")->domid, 3);
	assert_string_equal(find(&t, "y")->vifs[0].ifname, "vif3.0");
	assert_int_equal(find(&t, "y")->cpu_ns, SEC / 2);
	assert_int_equal(find(&t, "y")->vifs[0].tx_bytes, 1000000);
	assert_int_equal(t.host.free_mem_kb, 1ULL << 20);
	sample_free(&s);
	sample_free(&t);
	hv_close(hv);
}

static void
test_read_domain_does_not_advance(void **state)
{
	struct hv *hv = open_text(cpu_scn, 1);
	struct sample s;
	struct sample_domain d1, d2;
	struct err e;

	(void)state;
	sample_init(&s);
	take(hv, &s, 0);
	take(hv, &s, 3 * SEC);
	assert_int_equal(hv_read_domain(hv, 2, &d1, &e), 0);
	assert_int_equal(hv_read_domain(hv, 2, &d2, &e), 0);
	assert_int_equal(d1.cpu_ns, d2.cpu_ns);
	assert_int_equal(d1.cpu_ns, find(&s, "b")->cpu_ns);
	assert_string_equal(d1.name, "b");
	assert_int_equal(d1.n_vcpus, 2);
	assert_int_equal(d1.weight, 512);
	hv_domain_free(&d1);
	hv_domain_free(&d2);
	assert_null(d1.vcpus);
	sample_free(&s);
	hv_close(hv);
}

static int
other_sample(struct hv *hv, struct sample *out, uint64_t i, struct err *e)
{
	(void)hv; (void)out; (void)i;
	return err_set(e, "unused");
}

static void
test_sim_calls_need_sim(void **state)
{
	static const struct hv_ops ops = { .name = "other", .sample = other_sample };
	struct hv other = { .ops = &ops };
	struct err e;

	(void)state;
	assert_false(sim_is(&other));
	assert_int_equal(sim_set_vif_shape(&other, 1, 0, true, 1000, 0, &e), -1);
	assert_non_null(strstr(e.msg, "demo host only"));
	assert_int_equal(hv_set_vbd_ioprio(&other, 1, 51712, 2, 0, &e), -1);   /* no such op */
	assert_non_null(strstr(e.msg, "IO priority"));
	assert_int_equal(sim_now_ns(&other), 0);
}

static void
test_open_errors(void **state)
{
	struct hv *hv = (struct hv *)1;
	struct err e;
	struct sim_options o = { "/nonexistent/x.scn", 0 };

	(void)state;
	assert_int_equal(hv_sim_open(&hv, &o, &e), -1);
	assert_null(hv);
	assert_non_null(strstr(e.msg, "cannot open scenario /nonexistent/x.scn"));
	assert_int_equal(sim_open_text(&hv, "host pcpus=1 mem=1G\nbogus\n", 25, "s", 0, &e), -1);
	assert_string_equal(e.msg, "s:2: unknown keyword 'bogus' (expected host, domain, vif, vbd, "
	                    "generate or at)");
}

/* The hv network ops on simulated vifs: the model, no saved state, no interface. */
static void
test_vif_ops_on_simulated_vifs(void **state)
{
	struct hv *hv = open_text("host pcpus=2 mem=4G\n"
	                          "domain a id=3 mem=1G\nvif rx=10mbit tx=10mbit\n", 1);
	struct hv_vif_shape w = { 2000000, 3000000 };
	char saved[HV_SHAPE_SAVED_MAX] = "", name[32];
	struct sample_domain d;
	struct err e;

	(void)state;
	assert_int_equal(hv_link_fd(hv), -1);               /* nothing real to watch */
	assert_int_equal(hv_link_events(hv, &e), 0);
	assert_int_equal(hv_vif_ifname(hv, 3, 0, name, sizeof name, &e), -1);
	assert_non_null(strstr(e.msg, "simulated"));
	assert_int_equal(hv_set_vif_shape(hv, 3, 0, &w, saved, sizeof saved, &e), 0);
	assert_string_equal(saved, "");
	memset(&d, 0, sizeof d);
	assert_int_equal(hv_read_domain(hv, 3, &d, &e), 0);
	assert_int_equal(d.vifs[0].to_guest.rate_bps, 2000000);
	assert_int_equal(d.vifs[0].from_guest.rate_bps, 3000000);
	hv_domain_free(&d);
	w = (struct hv_vif_shape){ 0, 0 };
	assert_int_equal(hv_set_vif_shape(hv, 3, 0, &w, saved, sizeof saved, &e), 0);
	assert_int_equal(hv_read_domain(hv, 3, &d, &e), 0);
	assert_int_equal(d.vifs[0].to_guest.rate_bps, 0);
	hv_domain_free(&d);
	assert_int_equal(hv_set_vif_shape(hv, 3, 5, &w, saved, sizeof saved, &e), -1);
	assert_non_null(strstr(e.msg, "no vif 5"));
	hv_close(hv);
}

static uint64_t
sys_counter(const char *ifname, const char *what)
{
	char path[128];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", ifname, what);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

/* bind=: counters and ifindex from the kernel (lo needs no root); a missing one is zeros. */
static void
test_bound_vifs_read_the_kernel(void **state)
{
	struct hv *hv = open_text("host pcpus=2 mem=4G\n"
	                          "domain a id=3 mem=1G\n"
	                          "vif rx=10mbit bind=lo\n"
	                          "vif bind=nosuchif9\n"
	                          "vif tx=1mbit\n", 1);
	struct sample s;
	const struct sample_vif *lo, *gone, *sim;
	char name[32];
	uint64_t before, after;
	struct err e;

	(void)state;
	sample_init(&s);
	before = sys_counter("lo", "rx_packets");
	take(hv, &s, 0);
	after = sys_counter("lo", "rx_packets");
	lo = &find(&s, "a")->vifs[0];
	gone = &find(&s, "a")->vifs[1];
	sim = &find(&s, "a")->vifs[2];
	assert_string_equal(lo->ifname, "lo");
	assert_int_equal(lo->ifindex, 1);
	assert_true(lo->rx_packets >= before && lo->rx_packets <= after);
	assert_string_equal(gone->ifname, "nosuchif9");
	assert_int_equal(gone->ifindex, 0);
	assert_int_equal(gone->rx_bytes + gone->tx_bytes + gone->rx_packets, 0);
	assert_string_equal(sim->ifname, "vif3.2");
	take(hv, &s, 2 * SEC);
	assert_int_equal(find(&s, "a")->vifs[1].ifindex, 0);      /* still no crash, still zero */
	assert_true(find(&s, "a")->vifs[2].tx_bytes > 0);         /* the model runs for the rest */
	assert_true(hv_link_fd(hv) >= 0);
	assert_true(hv_link_events(hv, &e) >= 0);
	assert_int_equal(hv_vif_ifname(hv, 3, 1, name, sizeof name, &e), 0);
	assert_string_equal(name, "nosuchif9");
	assert_int_equal(sim_set_vif_shape(hv, 3, 0, true, 1000000, 0, &e), -1);
	assert_non_null(strstr(e.msg, "real interface lo"));
	sample_free(&s);
	hv_close(hv);
}

static void
test_bind_refusals(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "vif bind=\n", "bind= needs a value" },
		{ "vif bind=averyveryverylongname\n", "1 to 15 letters" },
		{ "vif bind=a/b\n", "1 to 15 letters" },
		{ "vif bind=..\n", "1 to 15 letters" },
		{ "vif bind=x:1\n", "1 to 15 letters" },
		{ "vif bind=v0\nvif bind=v0\n", "binds that interface already" },
	};
	char text[256];
	struct hv *hv;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "host pcpus=1 mem=2G\ndomain a mem=1G\n%s", bad[i].text);
		assert_int_equal(sim_open_text(&hv, text, strlen(text), "b.scn", 0, &e), -1);
		if (strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("%s: %s", bad[i].text, e.msg);
	}
}

/* 1000 generated domains: a refresh is cheap (the bench measures it properly). */
static void
test_scale(void **state)
{
	const char *text = "host pcpus=64 mem=8T\n"
	    "generate count=1000 prefix=t vcpus=1-4 mem=512M-4G cpu=0-1.5 rx=0-50mbit tx=0-50mbit "
	    "iops=0-500 jitter=0-30%\n";
	struct hv *hv = open_text(text, 5);
	struct sample s;
	struct timespec t0, t1;
	double ms;

	(void)state;
	sample_init(&s);
	take(hv, &s, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 20; i++)
		take(hv, &s, 2 * SEC);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / 20;
	print_message("sim sample of 1000 domains: %.3f ms\n", ms);
	assert_int_equal(s.n_domains, 1000);
	assert_true(ms < 100);                  /* generous: sanitizer builds and a busy machine */
	sample_free(&s);
	hv_close(hv);
}

#define RUN_TEST(f) cmocka_unit_test_setup_teardown(f, run_setup, run_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_sample_and_host),
		RUN_TEST(test_default_is_contended),
		RUN_TEST(test_weight),
		RUN_TEST(test_cap),
		RUN_TEST(test_pin),
		RUN_TEST(test_pause),
		RUN_TEST(test_network_throttle),
		RUN_TEST(test_network_nic_shared),
		RUN_TEST(test_ioprio_bfq),
		RUN_TEST(test_ioprio_none_and_deadline),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_events_create_destroy),
		cmocka_unit_test(test_read_domain_does_not_advance),
		cmocka_unit_test(test_sim_calls_need_sim),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_vif_ops_on_simulated_vifs),
		cmocka_unit_test(test_bound_vifs_read_the_kernel),
		cmocka_unit_test(test_bind_refusals),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
