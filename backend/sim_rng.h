/*
 * sim_rng.h: the demo host's own small random number generator
 * (xoshiro256**, seeded through splitmix64). Every random choice of the sim
 * (generated domains, demand jitter) comes from one of these, seeded from
 * --seed, so a run is reproducible: never rand() or the clock.
 */
#ifndef DOMTOP_SIM_RNG_H
#define DOMTOP_SIM_RNG_H

#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* Seeds the generator; different streams of one seed differ. */
void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *r);
/* Uniform in [lo, hi]. */
double sim_rng_range(struct sim_rng *r, double lo, double hi);

#endif
