/*
 * sample.h: one snapshot of a host, as a hypervisor backend reads it.
 *
 * A sample holds raw, cumulative counters and a monotonic timestamp; it is
 * never shown as is. view.h derives rates from two samples. Strings here come
 * from outside (domain names, device names) and are stored raw: front ends
 * sanitise them before drawing (see str.h).
 */
#ifndef DOMTOP_SAMPLE_H
#define DOMTOP_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SAMPLE_NAME_MAX 64   /* Xen allows longer names; we keep 63 bytes + NUL */
#define SAMPLE_DEV_MAX  32
#define SAMPLE_MAX_PCPUS 1024

/* A set of physical CPUs, as a bitmap (hard affinity of a vcpu). */
struct cpuset {
	uint64_t bits[SAMPLE_MAX_PCPUS / 64];
};

/* Domain state flags, as xentop's letters: d s b c p r. */
enum {
	DOM_DYING    = 1 << 0,
	DOM_SHUTDOWN = 1 << 1,
	DOM_BLOCKED  = 1 << 2,
	DOM_CRASHED  = 1 << 3,
	DOM_PAUSED   = 1 << 4,
	DOM_RUNNING  = 1 << 5,
};

struct sample_vcpu {
	unsigned id;
	bool online;
	bool running;         /* on a pCPU right now; else blocked or runnable */
	int pcpu;             /* -1 when not placed */
	uint64_t cpu_ns;      /* cumulative run time */
	struct cpuset affinity;
};

/* Throttle state of one direction of a vif: 0 = none. */
struct sample_shape {
	uint64_t rate_bps;    /* bits per second */
	uint64_t burst_bytes;
};

struct sample_vif {
	unsigned devid;
	char ifname[SAMPLE_DEV_MAX];  /* dom0 interface, e.g. vif7.0 */
	int ifindex;                  /* dom0 ifindex; 0 when unknown. A new one = a new vif */
	/* dom0's view: rx = from the guest, tx = to the guest */
	uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
	struct sample_shape to_guest, from_guest;
};

struct sample_vbd {
	unsigned devid;               /* Xen device number, e.g. 51712 = xvda */
	char name[SAMPLE_DEV_MAX];    /* xvda, or the device number as text */
	char backend[SAMPLE_DEV_MAX]; /* blkback, qdisk, tap, sim */
	uint64_t oo_req, rd_req, wr_req, rd_sect, wr_sect;
	uint64_t delay_ns;            /* block-IO delay of the backend tasks */
	int ioprio_class, ioprio_level; /* -1 when unknown */
	char scheduler[16];           /* IO scheduler of the backing device */
};

struct sample_domain {
	uint32_t domid;
	char name[SAMPLE_NAME_MAX];
	unsigned state;               /* DOM_* flags */
	uint64_t cpu_ns;              /* cumulative, all vcpus */
	uint64_t mem_kb, maxmem_kb;
	unsigned weight;              /* scheduler weight, 0 when unknown */
	unsigned cap;                 /* percent of one pCPU, 0 = none */
	unsigned nr_vcpus;            /* online vcpus */
	size_t n_vcpus, n_vifs, n_vbds;
	struct sample_vcpu *vcpus;
	struct sample_vif *vifs;
	struct sample_vbd *vbds;
};

struct sample_host {
	char hostname[SAMPLE_NAME_MAX];
	char hypervisor[32];          /* "Xen 4.17" or "demo" */
	char sched[16];               /* credit, credit2, ... as read back */
	unsigned nr_pcpus;
	uint64_t tot_mem_kb, free_mem_kb;
	uint64_t cpu_mhz;
	uint64_t idle_ns;             /* cumulative idle time over all pCPUs; 0 if unknown */
	bool io_delay_off;            /* the kernel does not account block-IO delay
	                               * (kernel.task_delayacct=0): delay_ns means nothing */
};

struct sample {
	uint64_t time_ns;             /* monotonic */
	struct sample_host host;
	size_t n_domains, cap_domains;
	struct sample_domain *domains;
};

void sample_init(struct sample *s);
void sample_clear(struct sample *s);   /* frees all domains; keeps s usable */
void sample_free(struct sample *s);
void sample_move(struct sample *dst, struct sample *src); /* dst takes src's data */

/* Appends a zeroed domain; returns NULL when out of memory. */
struct sample_domain *sample_add_domain(struct sample *s);
/* Allocate the sub-arrays of a domain (zeroed). Return false when out of memory. */
bool sample_domain_alloc(struct sample_domain *d, size_t vcpus, size_t vifs, size_t vbds);
/* The vif / vbd of d with that devid, or NULL. */
const struct sample_vif *sample_find_vif(const struct sample_domain *d, unsigned devid);
const struct sample_vbd *sample_find_vbd(const struct sample_domain *d, unsigned devid);

const struct sample_domain *sample_find(const struct sample *s, uint32_t domid);
/* Finds by exact name, or by domain id written as a number. */
const struct sample_domain *sample_find_name(const struct sample *s, const char *name);

/* xentop's state letters for the flags, into buf[7]; '-' for a flag not set. */
void sample_state_letters(unsigned state, char buf[7]);
/* A domain that can run: not paused, dying, shut down or crashed. */
bool sample_runnable(unsigned state);

void cpuset_zero(struct cpuset *c);
void cpuset_fill(struct cpuset *c, unsigned nr_pcpus);
void cpuset_set(struct cpuset *c, unsigned cpu);
void cpuset_clear(struct cpuset *c, unsigned cpu);
bool cpuset_has(const struct cpuset *c, unsigned cpu);
unsigned cpuset_count(const struct cpuset *c);
bool cpuset_equal(const struct cpuset *a, const struct cpuset *b);

#endif
