/*
 * scenario.h: the demo host's scenario file, parsed strictly (see
 * scenarios/FORMAT.md for the format as operators read it).
 *
 * A scenario is a host line, the domains present at time 0 (each with its
 * vifs and vbds), and timed events: demand changes, domains created and
 * destroyed. Parsing checks everything the simulation relies on: any bad
 * line fails with "file:line: reason", and nothing in the input can crash
 * the parser. `generate` lines are expanded here, from a PRNG seeded with
 * the run's seed, so the result is plain data.
 */
#ifndef DOMTOP_SCENARIO_H
#define DOMTOP_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"
#include "backend/sample.h"

#define SCN_MAX_BYTES        (16u << 20)  /* a scenario file */
#define SCN_MAX_LINE         4096         /* bytes in one line */
#define SCN_MAX_DOMAINS      20000        /* defined over the whole run */
#define SCN_MAX_VCPUS        512          /* of one domain */
#define SCN_MAX_TOTAL_VCPUS  131072       /* of all domains */
#define SCN_MAX_VIFS         16           /* of one domain */
#define SCN_MAX_VBDS         16
#define SCN_MAX_EVENTS       100000
#define SCN_MAX_DOMID        32751        /* Xen reserves ids from 0x7ff0 up */
#define SCN_MAX_TIME_S       10000000.0   /* about 115 days of virtual time */

/* The embedded default scenario (scenarios/hosting.scn, compiled in by make). */
extern const char sim_default_scenario[];

enum scn_disk_sched {
	SCN_DISK_BFQ,
	SCN_DISK_MQ_DEADLINE,
	SCN_DISK_NONE,
};

struct scn_host {
	char name[SAMPLE_NAME_MAX];
	unsigned pcpus;
	uint64_t mem_kb;
	char sched[16];                 /* "credit" or "credit2" */
	double nic_bps;                 /* capacity of the host NIC, each direction */
	double disk_iops;               /* capacity of the host disk */
	enum scn_disk_sched disk_sched;
	unsigned mhz;
};

#define SCN_IFNAME_MAX       16           /* IFNAMSIZ, with the NUL */

struct scn_vif {
	unsigned devid;
	double rx_bps, tx_bps;          /* demand, dom0's view: rx = from the guest */
	unsigned pkt;                   /* packet size, bytes */
	/*
	 * bind=: a real dom0 interface this vif is (e.g. a veth named vif7.0);
	 * "" = simulated. A bound vif's counters, throttle and flows come from
	 * the kernel, and its demand (rx, tx, pkt) is not used.
	 */
	char bind[SCN_IFNAME_MAX];
};

struct scn_vbd {
	char name[SAMPLE_DEV_MAX];      /* xvda .. xvdz */
	unsigned devid;                 /* 51712 = xvda */
	double iops;                    /* demand, requests/s */
	unsigned req_bytes;             /* request size */
	double read_frac;               /* share of reads, 0..1 */
};

struct scn_domain {
	/*
	 * name: what the host reports. Raw bytes (any but NUL) when the scenario
	 * gave name_hex=, to test the sanitising of hostile names; else = label.
	 * label: the checked NAME the scenario refers to the domain by.
	 */
	char name[SAMPLE_NAME_MAX];
	char label[SAMPLE_NAME_MAX];
	bool raw_name;                  /* name came from name_hex= */
	uint32_t domid;
	unsigned vcpus;
	uint64_t mem_kb, maxmem_kb;
	unsigned weight, cap;           /* cap: percent of one pCPU, 0 = none */
	double cpu;                     /* demand in pCPUs, 0 .. vcpus */
	double jitter;                  /* noise on demand, 0 .. 1 (fraction) */
	bool paused;
	bool pinned;                    /* every vcpu pinned to pin */
	struct cpuset pin;
	size_t n_vifs, n_vbds;
	struct scn_vif *vifs;
	struct scn_vbd *vbds;
	bool at_start;                  /* false: created by an 'at ... create' event */
	unsigned line;
};

enum scn_event_kind {
	SCN_EV_CREATE,                  /* domains[dom] appears */
	SCN_EV_DESTROY,                 /* domains[dom] disappears */
	SCN_EV_SET,                     /* demand of domains[dom] changes */
};

/* Which fields of a SCN_EV_SET event are set. */
enum {
	SCN_SET_CPU    = 1 << 0,
	SCN_SET_JITTER = 1 << 1,
	SCN_SET_RX     = 1 << 2,
	SCN_SET_TX     = 1 << 3,
	SCN_SET_PKT    = 1 << 4,
	SCN_SET_IOPS   = 1 << 5,
	SCN_SET_SIZE   = 1 << 6,
	SCN_SET_READ   = 1 << 7,
};

struct scn_event {
	uint64_t at_ns;                 /* virtual time; events are in time order */
	enum scn_event_kind kind;
	size_t dom;                     /* index into scenario.domains */
	unsigned set;                   /* SCN_SET_* */
	double cpu, jitter;
	size_t vif;                     /* index into the domain's vifs */
	double rx_bps, tx_bps;
	unsigned pkt;
	size_t vbd;                     /* index into the domain's vbds */
	double iops;
	unsigned req_bytes;
	double read_frac;
	unsigned line;
};

struct scenario {
	struct scn_host host;
	size_t n_domains, cap_domains;
	struct scn_domain *domains;     /* in order of definition */
	size_t n_events, cap_events;
	struct scn_event *events;
};

/*
 * Parses len bytes of text (NUL bytes in it are an error, not an end).
 * source names the text in messages ("hosting.scn"). On failure *out is
 * left empty and e holds "source:line: reason".
 */
int scenario_parse(struct scenario *out, const char *text, size_t len,
                   const char *source, uint64_t seed, struct err *e);
/* Reads a whole file (at most SCN_MAX_BYTES) into *text (NUL-terminated; free it). */
int scenario_read_file(const char *path, char **text, size_t *len, struct err *e);
/* Reads and parses a file. */
int scenario_load(struct scenario *out, const char *path, uint64_t seed, struct err *e);
void scenario_free(struct scenario *s);

#endif
