/*
 * fuzz_scenario.c: libFuzzer target of scenario_parse (backend/scenario.h):
 * scenario files come from anyone, and the simulation trusts what the
 * parser lets through.
 *
 * Properties: a refusal is "fuzz:LINE: reason", LINE within the text,
 * nothing unsafe for a terminal in it, and nothing left allocated in the
 * result. An accepted scenario keeps every bound and range of FORMAT.md:
 * the host, each domain (label clean and not only digits, reported name
 * non-empty, equal to the label unless name_hex= gave it), its pin set, vifs
 * and vbds; events in time order that name existing domains, vifs and vbds;
 * and replaying the creates and destroys, the domains alive at any time
 * have distinct ids, labels and names, only known domains are set, and
 * their memory fits the host. Parsing the same text with the same seed
 * gives the same scenario.
 */
#include "backend/scenario.h"
#include "tests/fuzz/fuzz.h"

static void
check_host(const struct scn_host *h)
{
	FUZZ_CHECK(fuzz_terminated(h->name, sizeof h->name) && h->name[0] != '\0' &&
	           fuzz_clean(h->name), "host name");
	FUZZ_CHECK(h->pcpus >= 1 && h->pcpus <= SAMPLE_MAX_PCPUS, "pcpus %u", h->pcpus);
	FUZZ_CHECK(h->mem_kb >= 64 * 1024, "host mem %llu KiB", (unsigned long long)h->mem_kb);
	FUZZ_CHECK(!strcmp(h->sched, "credit") || !strcmp(h->sched, "credit2"), "sched");
	FUZZ_CHECK(h->nic_bps >= 1e6 && h->nic_bps <= 1e12 && h->disk_iops >= 1 &&
	           h->disk_iops <= 1e8 && h->mhz >= 100 && h->mhz <= 100000, "host capacities");
}

static void
check_devices(const struct scn_domain *d)
{
	FUZZ_CHECK(d->n_vifs <= SCN_MAX_VIFS && d->n_vbds <= SCN_MAX_VBDS, "%zu vifs %zu vbds",
	           d->n_vifs, d->n_vbds);
	for (size_t i = 0; i < d->n_vifs; i++) {
		const struct scn_vif *v = &d->vifs[i];
		FUZZ_CHECK(v->devid == i && v->pkt >= 64 && v->pkt <= 65535 && v->rx_bps >= 0 &&
		           v->rx_bps <= 1e12 && v->tx_bps >= 0 && v->tx_bps <= 1e12,
		           "domain %s vif %zu", d->label, i);
	}
	for (size_t i = 0; i < d->n_vbds; i++) {
		const struct scn_vbd *b = &d->vbds[i];
		FUZZ_CHECK(strlen(b->name) == 4 && strncmp(b->name, "xvd", 3) == 0 &&
		           b->name[3] >= 'a' && b->name[3] <= 'z' &&
		           b->devid == (202u << 8 | (unsigned)(b->name[3] - 'a') << 4),
		           "domain %s vbd '%s' %u", d->label, b->name, b->devid);
		FUZZ_CHECK(b->req_bytes >= 512 && b->req_bytes <= 4u << 20 && b->req_bytes % 512 == 0 &&
		           b->iops >= 0 && b->iops <= 1e8 && b->read_frac >= 0 && b->read_frac <= 1,
		           "domain %s vbd %s values", d->label, b->name);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(d->vbds[j].devid != b->devid, "domain %s: two %s", d->label, b->name);
	}
}

static void
check_domain(const struct scenario *s, const struct scn_domain *d)
{
	const char *c;

	FUZZ_CHECK(fuzz_terminated(d->label, sizeof d->label) && d->label[0] != '\0' &&
	           fuzz_clean(d->label), "a label is empty or unsafe");
	for (c = d->label; *c >= '0' && *c <= '9'; c++)
		;
	FUZZ_CHECK(*c != '\0', "label '%s' is only digits", d->label);
	FUZZ_CHECK(fuzz_terminated(d->name, sizeof d->name) && d->name[0] != '\0', "domain %s name",
	           d->label);
	if (!d->raw_name)
		FUZZ_CHECK(strcmp(d->name, d->label) == 0, "domain %s has another name", d->label);
	FUZZ_CHECK(d->domid <= SCN_MAX_DOMID, "domain %s id %u", d->label, (unsigned)d->domid);
	FUZZ_CHECK(d->vcpus >= 1 && d->vcpus <= SCN_MAX_VCPUS, "domain %s vcpus", d->label);
	FUZZ_CHECK(d->weight >= 1 && d->weight <= 65535 && d->cap <= 100 * d->vcpus,
	           "domain %s weight %u cap %u", d->label, d->weight, d->cap);
	FUZZ_CHECK(d->cpu >= 0 && d->cpu <= d->vcpus && d->jitter >= 0 && d->jitter <= 1,
	           "domain %s cpu %g jitter %g", d->label, d->cpu, d->jitter);
	FUZZ_CHECK(d->mem_kb >= 16 * 1024 && d->mem_kb <= d->maxmem_kb, "domain %s mem", d->label);
	FUZZ_CHECK(!(d->paused && d->domid == 0), "dom0 paused");
	FUZZ_CHECK(cpuset_count(&d->pin) >= 1, "domain %s pinned to nothing", d->label);
	for (unsigned p = s->host.pcpus; p < SAMPLE_MAX_PCPUS; p++)
		FUZZ_CHECK(!cpuset_has(&d->pin, p), "domain %s pinned to missing pCPU %u", d->label, p);
	check_devices(d);
}

/* Is domain i free to come alive: no live domain with its id, label or name. */
static void
check_unique(const struct scenario *s, const bool *alive, size_t i)
{
	const struct scn_domain *d = &s->domains[i];

	for (size_t j = 0; j < s->n_domains; j++) {
		const struct scn_domain *o = &s->domains[j];
		if (!alive[j] || j == i)
			continue;
		FUZZ_CHECK(o->domid != d->domid && strcmp(o->label, d->label) != 0 &&
		           strcmp(o->name, d->name) != 0, "domains %s and %s alive together clash",
		           o->label, d->label);
	}
}

static void
check_event(const struct scenario *s, const struct scn_event *ev, bool *alive, uint64_t *mem)
{
	const struct scn_domain *d;

	FUZZ_CHECK(ev->dom < s->n_domains, "event names domain %zu of %zu", ev->dom, s->n_domains);
	d = &s->domains[ev->dom];
	switch (ev->kind) {
	case SCN_EV_CREATE:
		FUZZ_CHECK(!alive[ev->dom] && !d->at_start, "%s created twice", d->label);
		check_unique(s, alive, ev->dom);
		alive[ev->dom] = true;
		*mem += d->mem_kb;
		FUZZ_CHECK(*mem <= s->host.mem_kb, "memory overcommitted at line %u", ev->line);
		break;
	case SCN_EV_DESTROY:
		FUZZ_CHECK(alive[ev->dom] && d->domid != 0, "%s destroyed but not alive", d->label);
		alive[ev->dom] = false;
		*mem -= d->mem_kb;
		break;
	case SCN_EV_SET:
		FUZZ_CHECK(alive[ev->dom], "%s set but not alive (line %u)", d->label, ev->line);
		if (ev->set & (SCN_SET_RX | SCN_SET_TX | SCN_SET_PKT))
			FUZZ_CHECK(ev->vif < d->n_vifs, "line %u: vif %zu", ev->line, ev->vif);
		if (ev->set & (SCN_SET_IOPS | SCN_SET_SIZE | SCN_SET_READ))
			FUZZ_CHECK(ev->vbd < d->n_vbds, "line %u: vbd %zu", ev->line, ev->vbd);
		if (ev->set & SCN_SET_CPU)
			FUZZ_CHECK(ev->cpu >= 0 && ev->cpu <= d->vcpus, "line %u: cpu %g", ev->line, ev->cpu);
		break;
	default:
		FUZZ_CHECK(0, "event kind %d", (int)ev->kind);
	}
}

static void
check_scenario(const struct scenario *s)
{
	bool *alive = calloc(s->n_domains + 1, sizeof *alive);
	uint64_t mem = 0, last = 0;
	size_t vcpus = 0;

	if (alive == NULL)
		abort();
	check_host(&s->host);
	FUZZ_CHECK(s->n_domains >= 1 && s->n_domains <= SCN_MAX_DOMAINS && s->domains[0].at_start,
	           "%zu domains", s->n_domains);
	FUZZ_CHECK(s->n_events <= SCN_MAX_EVENTS, "%zu events", s->n_events);
	for (size_t i = 0; i < s->n_domains; i++) {
		check_domain(s, &s->domains[i]);
		vcpus += s->domains[i].vcpus;
		if (s->domains[i].at_start) {
			check_unique(s, alive, i);
			alive[i] = true;
			mem += s->domains[i].mem_kb;
		}
	}
	FUZZ_CHECK(vcpus <= SCN_MAX_TOTAL_VCPUS, "%zu vcpus", vcpus);
	FUZZ_CHECK(mem <= s->host.mem_kb, "memory overcommitted at the start");
	for (size_t i = 0; i < s->n_events; i++) {
		FUZZ_CHECK(s->events[i].at_ns >= last && s->events[i].at_ns <= 1e16,
		           "event %zu at %llu ns", i, (unsigned long long)s->events[i].at_ns);
		last = s->events[i].at_ns;
		check_event(s, &s->events[i], alive, &mem);
	}
	free(alive);
}

static void
check_same(const struct scenario *a, const struct scenario *b)
{
	FUZZ_CHECK(a->n_domains == b->n_domains && a->n_events == b->n_events &&
	           memcmp(&a->host, &b->host, sizeof a->host) == 0, "parsed twice: other shape");
	for (size_t i = 0; i < a->n_domains; i++) {
		const struct scn_domain *x = &a->domains[i], *y = &b->domains[i];
		FUZZ_CHECK(!strcmp(x->name, y->name) && !strcmp(x->label, y->label) &&
		           x->domid == y->domid && x->vcpus == y->vcpus && x->mem_kb == y->mem_kb &&
		           x->weight == y->weight && x->cpu == y->cpu && x->jitter == y->jitter &&
		           x->n_vifs == y->n_vifs && x->n_vbds == y->n_vbds &&
		           cpuset_equal(&x->pin, &y->pin), "parsed twice: domain %zu differs", i);
		for (size_t v = 0; v < x->n_vifs; v++)
			FUZZ_CHECK(x->vifs[v].rx_bps == y->vifs[v].rx_bps &&
			           x->vifs[v].tx_bps == y->vifs[v].tx_bps, "parsed twice: vif differs");
	}
	for (size_t i = 0; i < a->n_events; i++)
		FUZZ_CHECK(a->events[i].at_ns == b->events[i].at_ns &&
		           a->events[i].kind == b->events[i].kind && a->events[i].dom == b->events[i].dom &&
		           a->events[i].set == b->events[i].set, "parsed twice: event %zu differs", i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario s, s2;
	struct err e = {{0}};
	size_t lines = 1;

	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (scenario_parse(&s, (const char *)data, size, "fuzz", 7, &e) < 0) {
		unsigned long line = 0;
		int end = 0;

		FUZZ_CHECK(fuzz_terminated(e.msg, sizeof e.msg) && fuzz_clean(e.msg),
		           "message unsafe at offset %zu", (size_t)(fuzz_unsafe_at(e.msg) - e.msg));
		FUZZ_CHECK(sscanf(e.msg, "fuzz:%lu: %n", &line, &end) == 1 && end > 0 &&
		           e.msg[end] != '\0', "message '%s' is not 'fuzz:LINE: reason'", e.msg);
		FUZZ_CHECK(line >= 1 && line <= lines, "line %lu of %zu: %s", line, lines, e.msg);
		FUZZ_CHECK(s.n_domains == 0 && s.domains == NULL && s.events == NULL,
		           "a refused scenario left data behind");
		return 0;
	}
	check_scenario(&s);
	FUZZ_CHECK(scenario_parse(&s2, (const char *)data, size, "fuzz", 7, &e) == 0,
	           "parsed once, refused the second time: %s", e.msg);
	check_same(&s, &s2);
	scenario_free(&s2);
	scenario_free(&s);
	return 0;
}
