/*
 * sim.h: what the simulated demo host offers beyond hv.h: the throttles and
 * IO priorities that the real host implements in the kernel (tc, ioprio),
 * and opening a scenario from memory (tests, bench).
 *
 * Every call here takes a struct hv opened by hv_sim_open or sim_open_text
 * and fails with a message when given another backend.
 */
#ifndef DOMTOP_SIM_H
#define DOMTOP_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/hv.h"

/* The embedded default scenario (scenarios/hosting.scn), NUL-terminated. */
extern const char sim_default_scenario[];

#define SIM_MAX_RATE_BPS   1000000000000ULL   /* 1000 Gbit/s */
#define SIM_MAX_BURST      (1ULL << 30)       /* bytes */

/* Opens a demo host from scenario text of len bytes; source names it in messages. */
int sim_open_text(struct hv **out, const char *text, size_t len, const char *source,
                  uint64_t seed, struct err *e);

/* True when hv is the demo host. */
bool sim_is(const struct hv *hv);

/*
 * Throttles one direction of vif <domid>.<devid>: to_guest is dom0's TX (tc
 * on the vif), else traffic from the guest (dom0's RX). A token bucket of
 * rate_bps bits/s and burst_bytes bytes (0: 10 ms at that rate, at least
 * 1600 bytes). rate_bps = 0 removes the throttle. Read it back in
 * sample_vif.to_guest / from_guest.
 */
int sim_set_vif_shape(struct hv *hv, uint32_t domid, unsigned devid, bool to_guest,
                      uint64_t rate_bps, uint64_t burst_bytes, struct err *e);

/* The virtual clock: time of the last sample. */
uint64_t sim_now_ns(const struct hv *hv);

#endif
