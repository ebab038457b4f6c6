/*
 * flows.h: per-flow accounting of one vif from packet headers (a kernel
 * packet ring, filters compiled by libpcap), the way iftop does it, with a
 * hard memory bound.
 *
 * A capture reads headers only (snaplen 128) from one AF_PACKET socket bound
 * to the vif, with a TPACKET_V3 ring the kernel fills and a BPF filter,
 * "ip or ip6" (plus an optional filter of the caller's) compiled by libpcap
 * and attached before the socket is bound. The kernel writes beside each
 * packet the type it gave it: PACKET_OUTGOING, dom0 sent it on the vif (to
 * the guest), or another, dom0 received it (from the guest). (libpcap's own
 * capture cannot tell these apart on one Ethernet interface, so on veths and
 * Xen vifs: it refuses its "cooked" link type there.) The socket is
 * non-blocking; its fd goes into the event loop, and reports an error when
 * the vif goes down or away:
 *
 *     loop_add_fd(l, flows_capture_fd(c), POLLIN, on_pcap, c, &e);
 *     static void on_pcap(struct loop *l, int fd, short rev, void *c)
 *     { struct err e; if (flows_capture_read(c, loop_now_ns(), &e) < 0) show(e.msg); }
 *
 * A flow is keyed by the remote end: address, port and protocol (for a
 * packet to the guest the remote end is its source, for a packet from the
 * guest its destination); the guest's own port is kept beside it. Counters
 * sit in a ring of 21 slots of 2 s, so rates over the last 2 s, 10 s and
 * 40 s come from the last 1, 5 and 20 complete slots.
 *
 * Memory: the bound (default 32 MiB) pays for the kernel capture ring (a
 * quarter of it, at most 8 MiB, in blocks of 64 KiB), libpcap and the rest
 * (1 MiB) and the flow table: one array, allocated once, that never grows
 * (65000 flows in 32 MiB). Lookup is open addressing with a keyed hash and
 * a probe window of 16 slots; when a new flow finds the window full, the
 * least recent (then smallest) flow there is evicted. Flows idle for 40 s are reused freely;
 * evicting one that was active in the last 40 s sets `summarising` (for 40
 * s): the view then says that per-flow numbers are partial, while the totals
 * (flows_totals) still count every packet. A flood of random spoofed sources
 * therefore costs evictions, never memory.
 *
 * Abuse hints, over the last 10 s, from the guest's side: a flood of small
 * packets (>= 5000 packets/s of at most 128 bytes, at least 80% of what it
 * sends), a fan-out to many destinations (>= 100 distinct remote addresses,
 * estimated with a 4096-bit linear counter per slot: scanning), and outbound
 * SMTP (TCP to port 25).
 *
 * The parser and the table are usable without a capture (tests, replays).
 * Not thread-safe; no global state.
 */
#ifndef DOMTOP_FLOWS_H
#define DOMTOP_FLOWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/err.h"

#define FLOWS_MEM_DEFAULT (32u << 20)
#define FLOWS_MEM_MIN     (256u << 10)
#define FLOWS_SNAPLEN     128
#define FLOWS_SLOT_NS     2000000000ull   /* one ring slot: 2 s */
#define FLOWS_RING        21              /* 20 complete slots + the current one */
#define FLOWS_SMALL_PKT   128             /* bytes: a "small" packet */

enum flows_window { FLOWS_W2S, FLOWS_W10S, FLOWS_W40S, FLOWS_NWINDOWS };

enum flows_dir {
	FLOWS_DIR_UNKNOWN,                /* link type without direction: counted as from */
	FLOWS_TO_GUEST,                   /* dom0 sent it on the vif */
	FLOWS_FROM_GUEST,                 /* dom0 received it on the vif */
};

/* The remote end of a flow. */
struct flows_key {
	uint8_t family;                   /* 4 or 6 */
	uint8_t proto;                    /* IPPROTO_TCP, _UDP, _ICMP, ... */
	uint16_t port;                    /* remote port (host order); 0 without ports */
	uint8_t addr[16];                 /* IPv4 in the first 4 bytes, rest zero */
};

/* One packet's headers. */
struct flows_pkt {
	enum flows_dir dir;
	uint8_t family, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	bool has_ports;                   /* false: non-first fragment, truncated, no ports */
	uint32_t len;                     /* IP length (header + payload), bytes */
};

/* Link types flows_parse understands (values of pcap's DLT_*). */
#define FLOWS_DLT_EN10MB     1
#define FLOWS_DLT_RAW        12       /* also 14 on some systems, and 101 */
#define FLOWS_DLT_LINUX_SLL  113
#define FLOWS_DLT_LINUX_SLL2 276

/*
 * Parses the link, IPv4/IPv6 (with extension headers and up to two VLAN
 * tags) and TCP/UDP/SCTP/DCCP port headers of a captured packet. caplen is
 * what was captured, wirelen the packet's real length. Returns 0, or -1 for
 * anything that is not a well-formed IP header (never reads past caplen).
 * The direction comes from the cooked link types only (FLOWS_DIR_UNKNOWN
 * from the others): packet type 4, outgoing, is to the guest; 0 to 3 (to
 * us, broadcast, multicast, to another host) from it; any other type is -1.
 */
int flows_parse(int dlt, const uint8_t *data, size_t caplen, uint32_t wirelen,
                struct flows_pkt *out);
/* The remote end of a packet as seen from the guest's vif. */
void flows_key_of(const struct flows_pkt *p, struct flows_key *k);

struct flows_rate {
	double bps_in, bps_out;           /* bits/s: in = to the guest, out = from it */
	double pps_in, pps_out;
};

struct flows_row {
	struct flows_key key;
	uint16_t local_port;              /* the guest's port, last seen */
	uint64_t first_ns, last_ns;       /* 2 s resolution */
	struct flows_rate rate[FLOWS_NWINDOWS];
};

enum {
	FLOWS_HINT_SMALL_FLOOD = 1,
	FLOWS_HINT_FANOUT      = 2,
	FLOWS_HINT_SMTP        = 4,
};

struct flows_hints {
	unsigned flags;                   /* FLOWS_HINT_* */
	double small_pps;                 /* small packets/s from the guest, 10 s */
	double small_share;               /* their share of the guest's packets, 0..1 */
	double fanout_dsts;               /* distinct remote addresses the guest sent to, 10 s */
	unsigned smtp_flows;              /* flows from the guest to TCP port 25, 10 s */
};

struct flows_table;

/* All memory is allocated here (mem_bytes at most; at least FLOWS_MEM_MIN). */
int flows_table_new(struct flows_table **out, size_t mem_bytes, struct err *e);
void flows_table_free(struct flows_table *t);
/* Accounts one packet at monotonic time now_ns (times must not go backwards). */
void flows_table_add(struct flows_table *t, const struct flows_pkt *p, uint64_t now_ns);

/*
 * The n flows with the most bytes (both ways) over window `by`, best first,
 * with all three windows filled in. Returns how many were written.
 */
size_t flows_top(const struct flows_table *t, uint64_t now_ns, enum flows_window by,
                 struct flows_row *rows, size_t n);
/* All packets (evicted flows included), per window. */
void flows_totals(const struct flows_table *t, uint64_t now_ns, struct flows_rate out[FLOWS_NWINDOWS]);
void flows_hints(const struct flows_table *t, uint64_t now_ns, struct flows_hints *h);

size_t flows_table_count(const struct flows_table *t);      /* flows active in 40 s */
size_t flows_table_capacity(const struct flows_table *t);
size_t flows_table_bytes(const struct flows_table *t);      /* memory it holds */
uint64_t flows_table_evicted(const struct flows_table *t);  /* active flows evicted, total */
/* An active flow was evicted within the last 40 s (of the last time seen). */
bool flows_table_summarising(const struct flows_table *t);

int flows_window_seconds(enum flows_window w);              /* 2, 10, 40 */
const char *flows_proto_name(uint8_t proto);                /* "tcp", "udp", "icmp", ..., "other" */
/* "192.0.2.1" or "2001:db8::1" */
void flows_addr_str(const struct flows_key *k, char *buf, size_t len);

/* ---- capture ---- */

struct flows_capture;

struct flows_opts {
	size_t mem_bytes;                 /* hard bound: flow table + capture ring */
	unsigned snaplen;                 /* bytes captured per packet */
	const char *filter;               /* extra BPF filter, ANDed; NULL = none */
};

struct flows_capture_stats {
	uint64_t captured;                /* packets handed to domtop */
	uint64_t parsed;                  /* of which IP headers were understood */
	uint64_t skipped;                 /* malformed or not IP */
	uint64_t kernel_drops;            /* ring full (PACKET_STATISTICS, as pcap_stats' ps_drop) */
	uint64_t if_drops;                /* the interface's rx_dropped since the capture began */
};

void flows_opts_default(struct flows_opts *o);
int flows_capture_open(struct flows_capture **out, const char *ifname,
                       const struct flows_opts *o, struct err *e);
void flows_capture_close(struct flows_capture *c);
int flows_capture_fd(const struct flows_capture *c);
/*
 * Reads what the kernel has queued (the blocks it handed over, up to about
 * 100000 packets per call, so the loop stays responsive) into the table.
 * Returns packets read, or -1 when the interface went down or away.
 */
int flows_capture_read(struct flows_capture *c, uint64_t now_ns, struct err *e);
int flows_capture_stats(struct flows_capture *c, struct flows_capture_stats *st);
const struct flows_table *flows_capture_table(const struct flows_capture *c);
size_t flows_capture_bound(const struct flows_capture *c);   /* the bound in bytes */

#endif
