/* A small deterministic PRNG (xoshiro256**, seeded by splitmix64). Deterministic
 * cores take one of these instead of calling rand(), so a seed replays a run. */
#ifndef CAIRN_BASE_RNG_H
#define CAIRN_BASE_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* True with probability num/den. */
int rng_chance(struct rng *r, uint64_t num, uint64_t den);

#endif
