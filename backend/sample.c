/* sample.c: the sample model: storage, lookup, state letters, cpu sets. */
#include <stdlib.h>
#include <string.h>

#include "backend/hv.h"
#include "backend/mem.h"
#include "backend/sample.h"

void
sample_init(struct sample *s)
{
	memset(s, 0, sizeof *s);
}

void
sample_clear(struct sample *s)
{
	for (size_t i = 0; i < s->n_domains; i++)
		hv_domain_free(&s->domains[i]);
	s->n_domains = 0;
}

void
sample_free(struct sample *s)
{
	sample_clear(s);
	free(s->domains);
	sample_init(s);
}

void
sample_move(struct sample *dst, struct sample *src)
{
	sample_free(dst);
	*dst = *src;
	sample_init(src);
}

struct sample_domain *
sample_add_domain(struct sample *s)
{
	struct sample_domain *d;

	if (mem_grow((void **)&s->domains, &s->cap_domains, s->n_domains + 1, sizeof *s->domains,
	             NULL) < 0)
		return NULL;
	d = &s->domains[s->n_domains++];
	memset(d, 0, sizeof *d);
	return d;
}

bool
sample_domain_alloc(struct sample_domain *d, size_t vcpus, size_t vifs, size_t vbds)
{
	d->vcpus = vcpus ? calloc(vcpus, sizeof *d->vcpus) : NULL;
	d->vifs = vifs ? calloc(vifs, sizeof *d->vifs) : NULL;
	d->vbds = vbds ? calloc(vbds, sizeof *d->vbds) : NULL;
	if ((vcpus && !d->vcpus) || (vifs && !d->vifs) || (vbds && !d->vbds)) {
		hv_domain_free(d);
		return false;
	}
	d->n_vcpus = vcpus;
	d->n_vifs = vifs;
	d->n_vbds = vbds;
	return true;
}

const struct sample_domain *
sample_find(const struct sample *s, uint32_t domid)
{
	size_t lo = 0, hi = s->n_domains;

	while (lo < hi) {   /* domains are sorted by domid */
		size_t mid = lo + (hi - lo) / 2;
		if (s->domains[mid].domid == domid)
			return &s->domains[mid];
		if (s->domains[mid].domid < domid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct sample_domain *
sample_find_name(const struct sample *s, const char *name)
{
	char *end;
	unsigned long id;

	for (size_t i = 0; i < s->n_domains; i++)
		if (strcmp(s->domains[i].name, name) == 0)
			return &s->domains[i];
	id = strtoul(name, &end, 10);
	if (*name >= '0' && *name <= '9' && *end == '\0' && id <= UINT32_MAX)
		return sample_find(s, (uint32_t)id);
	return NULL;
}

void
sample_state_letters(unsigned state, char buf[7])
{
	static const char letters[] = "dsbcpr";

	for (int i = 0; i < 6; i++)
		buf[i] = (state & (1u << i)) ? letters[i] : '-';
	buf[6] = '\0';
}

bool
sample_runnable(unsigned state)
{
	return !(state & (DOM_PAUSED | DOM_DYING | DOM_SHUTDOWN | DOM_CRASHED));
}

void
cpuset_zero(struct cpuset *c)
{
	memset(c, 0, sizeof *c);
}

void
cpuset_fill(struct cpuset *c, unsigned nr_pcpus)
{
	cpuset_zero(c);
	for (unsigned i = 0; i < nr_pcpus && i < SAMPLE_MAX_PCPUS; i++)
		cpuset_set(c, i);
}

void
cpuset_set(struct cpuset *c, unsigned cpu)
{
	if (cpu < SAMPLE_MAX_PCPUS)
		c->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

void
cpuset_clear(struct cpuset *c, unsigned cpu)
{
	if (cpu < SAMPLE_MAX_PCPUS)
		c->bits[cpu / 64] &= ~(UINT64_C(1) << (cpu % 64));
}

bool
cpuset_has(const struct cpuset *c, unsigned cpu)
{
	return cpu < SAMPLE_MAX_PCPUS && (c->bits[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned
cpuset_count(const struct cpuset *c)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof c->bits / sizeof c->bits[0]; i++)
		n += (unsigned)__builtin_popcountll(c->bits[i]);
	return n;
}

bool
cpuset_equal(const struct cpuset *a, const struct cpuset *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

const struct sample_vif *
sample_find_vif(const struct sample_domain *d, unsigned devid)
{
	for (size_t i = 0; i < d->n_vifs; i++)
		if (d->vifs[i].devid == devid)
			return &d->vifs[i];
	return NULL;
}

const struct sample_vbd *
sample_find_vbd(const struct sample_domain *d, unsigned devid)
{
	for (size_t i = 0; i < d->n_vbds; i++)
		if (d->vbds[i].devid == devid)
			return &d->vbds[i];
	return NULL;
}
