/*
 * flows.c: header parser, bounded flow table and libpcap capture for the
 * per-vif flow view. See flows.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/pcap.h>

#include "backend/flows.h"
#include "backend/str.h"

#define PROBE          16              /* slots looked at per lookup */
#define DST_BITS       4096            /* linear counter of distinct destinations */
#define W_SLOTS(w)     ((w) == FLOWS_W2S ? 1u : (w) == FLOWS_W10S ? 5u : 20u)
#define HINT_SMALL_PPS 5000.0
#define HINT_SMALL_SHARE 0.8
#define HINT_FANOUT    100.0
#define RING_SLOTS     20u              /* complete slots the ring keeps */
#define CAPTURE_BUDGET 100000           /* packets per flows_capture_read */
#define RING_MAX       (8u << 20)       /* kernel capture ring */
#define RING_BLOCK     (64u << 10)      /* one block of the ring */
#define RING_FRAME     2048u            /* TPACKET_V3 packs packets; frames only size the request */
#define RING_TIMEOUT_MS 100             /* a block not full is handed over after this */
#define SLL_AT         TPACKET_ALIGN(sizeof(struct tpacket3_hdr))   /* sockaddr_ll after it */
#define CAPTURE_OVERHEAD (1u << 20)     /* libpcap and its code pages, stdio, BPF */

/* ---- the parser ---- */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool
proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_DCCP
	       || proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

static void
ports(const uint8_t *p, size_t n, size_t off, struct flows_pkt *o)
{
	if (proto_has_ports(o->proto) && off <= n && n - off >= 4) {
		o->sport = rd16(p + off);
		o->dport = rd16(p + off + 2);
		o->has_ports = true;
	}
}

static int
parse_ip4(const uint8_t *p, size_t n, size_t wire, struct flows_pkt *o)
{
	size_t ihl, tot;

	if (n < 20 || p[0] >> 4 != 4)
		return -1;
	ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < 20)
		return -1;
	tot = rd16(p + 2);
	if (tot == 0 && wire >= ihl)
		tot = wire;             /* segmentation offload: length left at 0 */
	if (tot < ihl)
		return -1;
	o->family = 4;
	o->proto = p[9];
	memcpy(o->src, p + 12, 4);
	memcpy(o->dst, p + 16, 4);
	o->len = (uint32_t)tot;
	if ((rd16(p + 6) & 0x1fff) == 0)
		ports(p, n, ihl, o);    /* only the first fragment has them */
	return 0;
}

/* Walks IPv6 extension headers; stops at the upper layer or the capture's end. */
static int
parse_ip6(const uint8_t *p, size_t n, size_t wire, struct flows_pkt *o)
{
	size_t off = 40, plen;
	uint8_t nh;
	int i;

	if (n < 40 || p[0] >> 4 != 6)
		return -1;
	plen = rd16(p + 4);
	o->family = 6;
	memcpy(o->src, p + 8, 16);
	memcpy(o->dst, p + 24, 16);
	o->len = (uint32_t)(plen ? 40 + plen : (wire >= 40 ? wire : 40));
	nh = p[6];
	for (i = 0; i < 8; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
			break;          /* hop-by-hop, routing, destination, fragment, AH */
		if (off > n || n - off < 8) {
			o->proto = nh;  /* truncated: no ports */
			return 0;
		}
		if (nh == 44) {
			bool later = (rd16(p + off + 2) & 0xfff8) != 0;
			nh = p[off];
			off += 8;
			if (later) {
				o->proto = nh;
				return 0;
			}
		} else {
			size_t hlen = nh == 51 ? ((size_t)p[off + 1] + 2) * 4 : ((size_t)p[off + 1] + 1) * 8;
			nh = p[off];
			off += hlen;
		}
	}
	o->proto = nh;
	ports(p, n, off, o);
	return 0;
}

/*
 * The direction of a cooked packet from the packet type the kernel gave it:
 * 4 (PACKET_OUTGOING) dom0 sent it, to the guest; 0 to 3 (to us, broadcast,
 * multicast, to another host) dom0 received it, from the guest. Any other
 * type (loopback, or from a kernel newer than this code) says nothing about
 * the guest: -1.
 */
static int
sll_dir(unsigned pkttype, enum flows_dir *dir)
{
	if (pkttype == 4)
		*dir = FLOWS_TO_GUEST;
	else if (pkttype <= 3)
		*dir = FLOWS_FROM_GUEST;
	else
		return -1;
	return 0;
}

static int
link_header(int dlt, const uint8_t *d, size_t caplen, size_t *off, uint16_t *type,
            enum flows_dir *dir)
{
	*dir = FLOWS_DIR_UNKNOWN;
	switch (dlt) {
	case FLOWS_DLT_EN10MB:
		if (caplen < 14)
			return -1;
		*type = rd16(d + 12);
		*off = 14;
		return 0;
	case FLOWS_DLT_LINUX_SLL:       /* packet type at 0, protocol at 14 */
		if (caplen < 16)
			return -1;
		*type = rd16(d + 14);
		*off = 16;
		return sll_dir(rd16(d), dir);
	case FLOWS_DLT_LINUX_SLL2:      /* protocol at 0, ifindex at 4, packet type at 10 */
		if (caplen < 20)
			return -1;
		*type = rd16(d);
		*off = 20;
		return sll_dir(d[10], dir);
	case FLOWS_DLT_RAW: case 14: case 101:
		if (caplen < 1)
			return -1;
		*type = d[0] >> 4 == 6 ? 0x86dd : 0x0800;
		*off = 0;
		return 0;
	default:
		return -1;
	}
}

int
flows_parse(int dlt, const uint8_t *d, size_t caplen, uint32_t wirelen, struct flows_pkt *o)
{
	enum flows_dir dir;
	uint16_t type;
	size_t off, wire;
	int i;

	memset(o, 0, sizeof *o);
	if (d == NULL || link_header(dlt, d, caplen, &off, &type, &dir) < 0)
		return -1;
	for (i = 0; i < 2 && (type == 0x8100 || type == 0x88a8 || type == 0x9100); i++) {
		if (caplen - off < 4)
			return -1;
		type = rd16(d + off + 2);
		off += 4;
	}
	o->dir = dir;
	wire = wirelen > off ? wirelen - off : 0;
	if (type == 0x0800)
		return parse_ip4(d + off, caplen - off, wire, o);
	if (type == 0x86dd)
		return parse_ip6(d + off, caplen - off, wire, o);
	return -1;
}

void
flows_key_of(const struct flows_pkt *p, struct flows_key *k)
{
	bool to = p->dir == FLOWS_TO_GUEST;

	memset(k, 0, sizeof *k);
	k->family = p->family;
	k->proto = p->proto;
	k->port = p->has_ports ? (to ? p->sport : p->dport) : 0;
	memcpy(k->addr, to ? p->src : p->dst, p->family == 4 ? 4 : 16);
}

/* ---- the table ---- */

struct cnt {                            /* one 2 s slot; saturates, never wraps */
	uint32_t bytes_in, bytes_out, pkts_in, pkts_out;
};

struct flow {
	struct flows_key key;
	uint8_t used;
	uint16_t local_port;
	uint32_t first_epoch, last_epoch;   /* epoch = monotonic time / 2 s + 1 */
	struct cnt c[FLOWS_RING];
};

struct tot {
	uint64_t bytes_in, bytes_out, pkts_in, pkts_out, small_out;
};

struct flows_table {
	uint64_t seed;
	size_t cap, bytes;
	struct flow *v;
	uint32_t start_epoch, now_epoch, tot_epoch, evict_epoch;
	uint64_t start_ns;              /* time of the first packet */
	uint64_t evicted;
	struct tot tot[FLOWS_RING];
	uint8_t dsts[FLOWS_RING][DST_BITS / 8];
};

static uint32_t
epoch_of(uint64_t ns)
{
	return (uint32_t)(ns / FLOWS_SLOT_NS) + 1;
}

/* Whether a ring of slots whose newest epoch is last still holds epoch x. */
static bool
in_ring(uint32_t x, uint32_t last)
{
	return x <= last && last - x < FLOWS_RING;
}

static uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
key_hash(const struct flows_table *t, const struct flows_key *k)
{
	uint64_t w[3] = { 0, 0, 0 };

	memcpy(w, k, sizeof *k);        /* 20 bytes: family, proto, port, addr */
	return mix64(mix64(mix64(t->seed ^ w[0]) ^ w[1]) ^ w[2]);
}

static bool
key_eq(const struct flows_key *a, const struct flows_key *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

static void
sat_add(uint32_t *c, uint32_t v)
{
	*c = *c > UINT32_MAX - v ? UINT32_MAX : *c + v;
}

int
flows_table_new(struct flows_table **out, size_t mem_bytes, struct err *e)
{
	struct flows_table *t;
	size_t cap;

	*out = NULL;
	if (mem_bytes < FLOWS_MEM_MIN)
		return err_set(e, "flow memory bound %zu KiB is too small (at least %u KiB)",
		               mem_bytes >> 10, FLOWS_MEM_MIN >> 10);
	cap = (mem_bytes - sizeof *t) / sizeof(struct flow);
	t = calloc(1, sizeof *t);
	if (t == NULL || (t->v = calloc(cap, sizeof *t->v)) == NULL) {
		free(t);
		return err_set(e, "out of memory for a flow table of %zu KiB", mem_bytes >> 10);
	}
	t->cap = cap;
	t->bytes = sizeof *t + cap * sizeof *t->v;
	if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != sizeof t->seed)
		t->seed = mix64((uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL));
	*out = t;
	return 0;
}

void
flows_table_free(struct flows_table *t)
{
	if (t == NULL)
		return;
	free(t->v);
	free(t);
}

/* Zeroes the slots of epochs after `last` up to `now` (all when 21 or more apart). */
static void
totals_advance(struct flows_table *t, uint32_t now)
{
	uint32_t x;

	if (t->tot_epoch == now)
		return;
	for (x = t->tot_epoch + 1; x <= now && x - t->tot_epoch <= FLOWS_RING; x++) {
		memset(&t->tot[x % FLOWS_RING], 0, sizeof t->tot[0]);
		memset(t->dsts[x % FLOWS_RING], 0, sizeof t->dsts[0]);
	}
	t->tot_epoch = now;
}

static void
flow_advance(struct flow *f, uint32_t now)
{
	uint32_t x;

	if (now - f->last_epoch >= FLOWS_RING) {
		memset(f->c, 0, sizeof f->c);
		f->first_epoch = now;
	} else
		for (x = f->last_epoch + 1; x <= now; x++)
			memset(&f->c[x % FLOWS_RING], 0, sizeof f->c[0]);
	f->last_epoch = now;
}

static struct flow *
flow_claim(struct flow *f, const struct flows_key *k, uint32_t now)
{
	memset(f, 0, sizeof *f);
	f->key = *k;
	f->used = 1;
	f->first_epoch = f->last_epoch = now;
	return f;
}

/* Is a a better eviction victim than b: less recent, then fewer bytes lately. */
static bool
victim_before(const struct flow *a, const struct flow *b)
{
	const struct cnt *ca = &a->c[a->last_epoch % FLOWS_RING], *cb = &b->c[b->last_epoch % FLOWS_RING];

	if (a->last_epoch != b->last_epoch)
		return a->last_epoch < b->last_epoch;
	return (uint64_t)ca->bytes_in + ca->bytes_out < (uint64_t)cb->bytes_in + cb->bytes_out;
}

static struct flow *
flow_find(struct flows_table *t, const struct flows_key *k, uint32_t now)
{
	size_t i = (size_t)(((unsigned __int128)key_hash(t, k) * t->cap) >> 64);
	struct flow *reuse = NULL, *victim = NULL;
	int j;

	for (j = 0; j < PROBE; j++, i = i + 1 == t->cap ? 0 : i + 1) {
		struct flow *f = &t->v[i];
		if (!f->used) {
			if (reuse == NULL)
				reuse = f;
			break;          /* the end of this chain: k is not further on */
		}
		if (key_eq(&f->key, k))
			return f;
		if (now - f->last_epoch >= FLOWS_RING) {
			if (reuse == NULL)
				reuse = f;  /* idle for 40 s: free to take */
		} else if (victim == NULL || victim_before(f, victim))
			victim = f;
	}
	if (reuse != NULL)
		return flow_claim(reuse, k, now);
	t->evicted++;
	t->evict_epoch = now;
	return flow_claim(victim, k, now);
}

static void
dst_mark(struct flows_table *t, const struct flows_pkt *p, uint32_t now)
{
	struct flows_key k;
	uint64_t h;

	memset(&k, 0, sizeof k);
	k.family = p->family;
	memcpy(k.addr, p->dst, 16);
	h = key_hash(t, &k) % DST_BITS;
	t->dsts[now % FLOWS_RING][h / 8] |= (uint8_t)(1u << (h % 8));
}

void
flows_table_add(struct flows_table *t, const struct flows_pkt *p, uint64_t now_ns)
{
	uint32_t now = epoch_of(now_ns), len = p->len;
	bool out = p->dir != FLOWS_TO_GUEST;
	struct flows_key k;
	struct flow *f;
	struct tot *T;
	struct cnt *c;

	if (now < t->now_epoch)
		now = t->now_epoch;     /* never go back in time */
	t->now_epoch = now;
	if (t->start_epoch == 0) {
		t->start_epoch = now;
		t->start_ns = now_ns;
	}
	totals_advance(t, now);
	T = &t->tot[now % FLOWS_RING];
	if (out) {
		T->bytes_out += len;
		T->pkts_out++;
		T->small_out += len <= FLOWS_SMALL_PKT;
		dst_mark(t, p, now);
	} else {
		T->bytes_in += len;
		T->pkts_in++;
	}
	flows_key_of(p, &k);
	f = flow_find(t, &k, now);
	flow_advance(f, now);
	if (p->has_ports)
		f->local_port = out ? p->sport : p->dport;
	c = &f->c[now % FLOWS_RING];
	sat_add(out ? &c->bytes_out : &c->bytes_in, len);
	sat_add(out ? &c->pkts_out : &c->pkts_in, 1);
}

/* ---- reading the table ---- */

/*
 * The slots of a window: epochs now-k .. now-1 (complete slots only), k
 * limited by how long the table has run; *secs is the time they cover (less
 * than k x 2 s when the first packet came in the middle of the first slot).
 */
static uint32_t
window_slots(const struct flows_table *t, uint32_t now, enum flows_window w, double *secs)
{
	uint32_t k = W_SLOTS(w), ran = t->start_epoch && now > t->start_epoch ? now - t->start_epoch : 0;
	uint64_t wstart, wend;

	if (ran < k)
		k = ran;
	*secs = 0;
	if (k == 0)
		return 0;
	wstart = (uint64_t)(now - k - 1) * FLOWS_SLOT_NS;
	wend = (uint64_t)(now - 1) * FLOWS_SLOT_NS;
	if (t->start_ns > wstart)
		wstart = t->start_ns;
	if (wend <= wstart + FLOWS_SLOT_NS / 10)
		return 0;               /* less than 0.2 s of data: no rate yet */
	*secs = (double)(wend - wstart) / 1e9;
	return k;
}

/* Sum of a flow's slots for epochs now-k .. now-1. */
static void
flow_sum(const struct flow *f, uint32_t now, uint32_t k, struct tot *s)
{
	uint32_t x;

	memset(s, 0, sizeof *s);
	for (x = now - k; x < now; x++) {
		const struct cnt *c;
		if (!in_ring(x, f->last_epoch) || x < f->first_epoch)
			continue;
		c = &f->c[x % FLOWS_RING];
		s->bytes_in += c->bytes_in;
		s->bytes_out += c->bytes_out;
		s->pkts_in += c->pkts_in;
		s->pkts_out += c->pkts_out;
	}
}

static void
to_rate(const struct tot *s, double secs, struct flows_rate *r)
{
	if (secs <= 0) {
		memset(r, 0, sizeof *r);
		return;
	}
	r->bps_in = (double)s->bytes_in * 8 / secs;
	r->bps_out = (double)s->bytes_out * 8 / secs;
	r->pps_in = (double)s->pkts_in / secs;
	r->pps_out = (double)s->pkts_out / secs;
}

static uint32_t
query_epoch(const struct flows_table *t, uint64_t now_ns)
{
	uint32_t now = epoch_of(now_ns);

	return now < t->now_epoch ? t->now_epoch : now;
}

static void
row_fill(const struct flows_table *t, const struct flow *f, uint32_t now, struct flows_row *r)
{
	struct tot s;
	int w;

	r->key = f->key;
	r->local_port = f->local_port;
	r->first_ns = (uint64_t)(f->first_epoch - 1) * FLOWS_SLOT_NS;
	r->last_ns = (uint64_t)(f->last_epoch - 1) * FLOWS_SLOT_NS;
	for (w = 0; w < FLOWS_NWINDOWS; w++) {
		double secs;
		uint32_t k = window_slots(t, now, (enum flows_window)w, &secs);
		flow_sum(f, now, k, &s);
		to_rate(&s, secs, &r->rate[w]);
	}
}

struct ranked {
	const struct flow *f;
	uint64_t bytes, pkts;
};

size_t
flows_top(const struct flows_table *t, uint64_t now_ns, enum flows_window by,
          struct flows_row *rows, size_t n)
{
	double secs;
	uint32_t now = query_epoch(t, now_ns), k = window_slots(t, now, by, &secs);
	struct ranked *top;
	size_t i, m = 0;

	if (n == 0 || k == 0 || (top = calloc(n, sizeof *top)) == NULL)
		return 0;
	for (i = 0; i < t->cap; i++) {
		const struct flow *f = &t->v[i];
		struct ranked r;
		struct tot s;
		size_t j;

		if (!f->used || now - f->last_epoch > k)
			continue;
		flow_sum(f, now, k, &s);
		r.f = f;
		r.bytes = s.bytes_in + s.bytes_out;
		r.pkts = s.pkts_in + s.pkts_out;
		if (r.pkts == 0)
			continue;
		if (m == n && (r.bytes < top[m - 1].bytes
		               || (r.bytes == top[m - 1].bytes && r.pkts <= top[m - 1].pkts)))
			continue;
		j = m < n ? m++ : n - 1;
		while (j > 0 && (top[j - 1].bytes < r.bytes
		                 || (top[j - 1].bytes == r.bytes && top[j - 1].pkts < r.pkts))) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = r;
	}
	for (i = 0; i < m; i++)
		row_fill(t, top[i].f, now, &rows[i]);
	free(top);
	return m;
}

static void
totals_sum(const struct flows_table *t, uint32_t now, uint32_t k, struct tot *s)
{
	uint32_t x;

	memset(s, 0, sizeof *s);
	for (x = now - k; x < now; x++) {
		const struct tot *T;
		if (!in_ring(x, t->tot_epoch))
			continue;
		T = &t->tot[x % FLOWS_RING];
		s->bytes_in += T->bytes_in;
		s->bytes_out += T->bytes_out;
		s->pkts_in += T->pkts_in;
		s->pkts_out += T->pkts_out;
		s->small_out += T->small_out;
	}
}

void
flows_totals(const struct flows_table *t, uint64_t now_ns, struct flows_rate out[FLOWS_NWINDOWS])
{
	uint32_t now = query_epoch(t, now_ns);
	struct tot s;
	int w;

	for (w = 0; w < FLOWS_NWINDOWS; w++) {
		double secs;
		uint32_t k = window_slots(t, now, (enum flows_window)w, &secs);
		totals_sum(t, now, k, &s);
		to_rate(&s, secs, &out[w]);
	}
}

/* Linear counting over the union of the window's bitmaps. */
static double
fanout_estimate(const struct flows_table *t, uint32_t now, uint32_t k)
{
	uint8_t u[DST_BITS / 8];
	unsigned zero = 0;
	uint32_t x;
	size_t i;

	memset(u, 0, sizeof u);
	for (x = now - k; x < now; x++)
		if (in_ring(x, t->tot_epoch))
			for (i = 0; i < sizeof u; i++)
				u[i] |= t->dsts[x % FLOWS_RING][i];
	for (i = 0; i < sizeof u; i++)
		zero += 8u - (unsigned)__builtin_popcount(u[i]);
	if (zero == 0)
		zero = 1;               /* saturated: report the ceiling */
	return -(double)DST_BITS * log((double)zero / DST_BITS);
}

void
flows_hints(const struct flows_table *t, uint64_t now_ns, struct flows_hints *h)
{
	double secs;
	uint32_t now = query_epoch(t, now_ns), k = window_slots(t, now, FLOWS_W10S, &secs);
	struct tot s;
	size_t i;

	memset(h, 0, sizeof *h);
	if (k == 0)
		return;
	totals_sum(t, now, k, &s);
	h->small_pps = (double)s.small_out / secs;
	h->small_share = s.pkts_out ? (double)s.small_out / (double)s.pkts_out : 0;
	h->fanout_dsts = fanout_estimate(t, now, k);
	for (i = 0; i < t->cap; i++) {
		const struct flow *f = &t->v[i];
		struct tot fs;
		if (!f->used || f->key.proto != IPPROTO_TCP || f->key.port != 25 || now - f->last_epoch > k)
			continue;
		flow_sum(f, now, k, &fs);
		h->smtp_flows += fs.pkts_out > 0;
	}
	if (h->small_pps >= HINT_SMALL_PPS && h->small_share >= HINT_SMALL_SHARE)
		h->flags |= FLOWS_HINT_SMALL_FLOOD;
	if (h->fanout_dsts >= HINT_FANOUT)
		h->flags |= FLOWS_HINT_FANOUT;
	if (h->smtp_flows > 0)
		h->flags |= FLOWS_HINT_SMTP;
}

size_t
flows_table_count(const struct flows_table *t)
{
	size_t i, n = 0;

	for (i = 0; i < t->cap; i++)
		n += t->v[i].used && t->now_epoch - t->v[i].last_epoch < FLOWS_RING;
	return n;
}

size_t
flows_table_capacity(const struct flows_table *t)
{
	return t->cap;
}

size_t
flows_table_bytes(const struct flows_table *t)
{
	return t->bytes;
}

uint64_t
flows_table_evicted(const struct flows_table *t)
{
	return t->evicted;
}

bool
flows_table_summarising(const struct flows_table *t)
{
	return t->evicted > 0 && t->now_epoch - t->evict_epoch < RING_SLOTS;
}

int
flows_window_seconds(enum flows_window w)
{
	return (int)(W_SLOTS(w) * (FLOWS_SLOT_NS / 1000000000ull));
}

const char *
flows_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmp6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_GRE: return "gre";
	case IPPROTO_ESP: return "esp";
	case IPPROTO_AH: return "ah";
	default: return "other";
	}
}

void
flows_addr_str(const struct flows_key *k, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	if (inet_ntop(k->family == 4 ? AF_INET : AF_INET6, k->addr, tmp, sizeof tmp) == NULL)
		str_copy(tmp, "?", sizeof tmp);
	str_copy(buf, tmp, len);
}

/* ---- the capture ---- */

/*
 * One AF_PACKET socket bound to the vif, with a TPACKET_V3 ring: the kernel
 * writes, for each packet, its headers and the packet type it gave it
 * (PACKET_OUTGOING: dom0 sent it, to the guest; otherwise dom0 received it,
 * from the guest). libpcap compiles the BPF filter, which is attached before
 * the socket is bound, so no packet ever skips it.
 *
 * (libpcap's own capture cannot say which way a packet went on one Ethernet
 * interface: it refuses its "cooked" link type there. Its "any" device gives
 * the type, but taps every interface of the host, and keeps capturing,
 * silently, nothing, when the vif is deleted and made again. Two libpcap
 * handles filtered "inbound" and "outbound" lose their first ring block:
 * libpcap re-filters it in user space, where those words cannot be run.)
 */
struct flows_capture {
	int fd;
	uint8_t *ring;
	size_t ring_bytes;
	unsigned blocks, cur;           /* ring blocks, the next one to read */
	char ifname[IF_NAMESIZE];
	struct flows_table *t;
	size_t bound;
	uint64_t captured, parsed, skipped, drops;
	uint64_t ifdrop_base;           /* the interface's rx_dropped when opened */
	uint64_t now_ns;
	int64_t real_to_mono;           /* add to a packet's wall-clock time */
};

void
flows_opts_default(struct flows_opts *o)
{
	o->mem_bytes = FLOWS_MEM_DEFAULT;
	o->snaplen = FLOWS_SNAPLEN;
	o->filter = NULL;
}

static uint64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One packet of a block: `room` bytes from h to the end of the block. */
static void
on_frame(struct flows_capture *c, const struct tpacket3_hdr *h, size_t room)
{
	const struct sockaddr_ll *sll;
	struct flows_pkt pk;
	enum flows_dir dir;
	int64_t ts;

	c->captured++;
	if (room < SLL_AT + sizeof *sll || h->tp_mac > room || h->tp_snaplen > room - h->tp_mac) {
		c->skipped++;           /* not what the kernel writes: never read past the block */
		return;
	}
	sll = (const struct sockaddr_ll *)((const uint8_t *)h + SLL_AT);
	if (sll_dir(sll->sll_pkttype, &dir) < 0
	    || flows_parse(FLOWS_DLT_EN10MB, (const uint8_t *)h + h->tp_mac, h->tp_snaplen, h->tp_len,
	                   &pk) < 0) {
		c->skipped++;
		return;
	}
	c->parsed++;
	pk.dir = dir;
	ts = (int64_t)h->tp_sec * 1000000000 + (int64_t)h->tp_nsec + c->real_to_mono;
	if (ts < 0 || (uint64_t)ts > c->now_ns || c->now_ns - (uint64_t)ts > FLOWS_SLOT_NS)
		ts = (int64_t)c->now_ns;  /* clock stepped, or queued for long: now */
	flows_table_add(c->t, &pk, (uint64_t)ts);
}

/* The packets of one block the kernel handed over; returns how many. */
static unsigned
read_block(struct flows_capture *c, const struct tpacket_block_desc *bd)
{
	const struct tpacket_hdr_v1 *b = &bd->hdr.bh1;
	size_t off = b->offset_to_first_pkt;
	unsigned i;

	for (i = 0; i < b->num_pkts; i++) {
		const struct tpacket3_hdr *h;

		if (off < sizeof *bd || off > RING_BLOCK - sizeof *h)
			break;
		h = (const struct tpacket3_hdr *)((const uint8_t *)bd + off);
		on_frame(c, h, RING_BLOCK - off);
		if (h->tp_next_offset == 0)
			break;
		off += h->tp_next_offset;
	}
	return b->num_pkts;
}

int
flows_capture_read(struct flows_capture *c, uint64_t now_ns, struct err *e)
{
	int total = 0, soerr = 0;
	socklen_t len = sizeof soerr;

	c->now_ns = now_ns;
	c->real_to_mono = (int64_t)now_ns - (int64_t)clock_ns(CLOCK_REALTIME);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr != 0)
		return err_set(e, "capture on %s stopped: %s (did the interface go down or away?)",
		               c->ifname, strerror(soerr));
	while (total < CAPTURE_BUDGET) {
		struct tpacket_block_desc *bd =
			(struct tpacket_block_desc *)(c->ring + (size_t)c->cur * RING_BLOCK);

		if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0)
			break;
		total += (int)read_block(c, bd);
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		c->cur = c->cur + 1 == c->blocks ? 0 : c->cur + 1;
	}
	return total;
}

/* The kernel filter: libpcap compiles "(ip or ip6) [and (extra)]" for Ethernet. */
static int
attach_filter(struct flows_capture *c, const struct flows_opts *o, struct err *e)
{
	const char *extra = o->filter;
	struct bpf_program prog;
	struct sock_fprog fp;
	char text[1024];
	pcap_t *p;
	int rc;

	p = pcap_open_dead(DLT_EN10MB, (int)(o->snaplen ? o->snaplen : FLOWS_SNAPLEN));
	if (p == NULL)
		return err_set(e, "cannot capture on %s: out of memory for the filter", c->ifname);
	if (extra != NULL && *extra != '\0')
		snprintf(text, sizeof text, "(ip or ip6) and (%s)", extra);
	else
		snprintf(text, sizeof text, "ip or ip6");
	if (pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		err_set(e, "bad capture filter \"%s\": %s", extra ? extra : "", pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	memset(&fp, 0, sizeof fp);
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;   /* the same layout */
	rc = prog.bf_len > BPF_MAXINSNS ? -1 : setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp);
	if (rc < 0)
		err_set(e, "cannot set the capture filter on %s: %s", c->ifname,
		        prog.bf_len > BPF_MAXINSNS ? "the filter is too long" : strerror(errno));
	pcap_freecode(&prog);
	pcap_close(p);
	return rc < 0 ? -1 : 0;
}

/* After a failed call on the vif (errno set). */
static int
no_device(const struct flows_capture *c, struct err *e)
{
	if (errno == ENODEV)
		return err_set(e, "cannot capture on %s: no such interface (is the domain running?)",
		               c->ifname);
	return err_set(e, "cannot capture on %s: %s", c->ifname, strerror(errno));
}

/* The vif's index, checked to be an Ethernet interface that is up. */
static int
vif_index(struct flows_capture *c, int *ifindex, struct err *e)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof ifr);
	str_copy(ifr.ifr_name, c->ifname, sizeof ifr.ifr_name);
	if (ioctl(c->fd, SIOCGIFINDEX, &ifr) < 0)
		return no_device(c, e);
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(c->fd, SIOCGIFHWADDR, &ifr) < 0)
		return err_set(e, "cannot capture on %s: %s", c->ifname, strerror(errno));
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		return err_set(e, "cannot capture on %s: link type %u is not supported (Ethernet only, as "
		               "Xen vifs are)", c->ifname, (unsigned)ifr.ifr_hwaddr.sa_family);
	if (ioctl(c->fd, SIOCGIFFLAGS, &ifr) < 0)
		return err_set(e, "cannot capture on %s: %s", c->ifname, strerror(errno));
	if ((ifr.ifr_flags & IFF_UP) == 0)
		return err_set(e, "cannot capture on %s: the interface is down", c->ifname);
	return 0;
}

/* Ring of c->blocks blocks, mapped; frames are a formality of TPACKET_V3. */
static int
map_ring(struct flows_capture *c, struct err *e)
{
	struct tpacket_req3 req;
	int v = TPACKET_V3;

	if (setsockopt(c->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0)
		return err_set(e, "cannot capture on %s: this kernel has no TPACKET_V3 (%s)", c->ifname,
		               strerror(errno));
	memset(&req, 0, sizeof req);
	req.tp_block_size = RING_BLOCK;
	req.tp_block_nr = c->blocks;
	req.tp_frame_size = RING_FRAME;
	req.tp_frame_nr = c->blocks * (RING_BLOCK / RING_FRAME);
	req.tp_retire_blk_tov = RING_TIMEOUT_MS;
	if (setsockopt(c->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0)
		return err_set(e, "cannot capture on %s: no kernel ring of %zu KiB: %s", c->ifname,
		               c->ring_bytes >> 10, strerror(errno));
	c->ring = mmap(NULL, c->ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->ring == MAP_FAILED) {
		c->ring = NULL;
		return err_set(e, "cannot capture on %s: cannot map its ring: %s", c->ifname, strerror(errno));
	}
	return 0;
}

static uint64_t
if_rx_dropped(const char *ifname)
{
	char path[96];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof path, "/sys/class/net/%s/statistics/rx_dropped", ifname);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static int
capture_setup(struct flows_capture *c, const struct flows_opts *o, struct err *e)
{
	struct sockaddr_ll sa;
	int ifindex = 0;

	c->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);   /* no packets yet */
	if (c->fd < 0 && (errno == EPERM || errno == EACCES))
		return err_set(e, "cannot capture on %s: permission denied (domtop needs root or CAP_NET_RAW "
		               "for the flow view)", c->ifname);
	if (c->fd < 0)
		return err_set(e, "cannot capture on %s: %s", c->ifname, strerror(errno));
	if (vif_index(c, &ifindex, e) < 0 || attach_filter(c, o, e) < 0 || map_ring(c, e) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sll_family = AF_PACKET;
	sa.sll_protocol = htons(ETH_P_ALL);
	sa.sll_ifindex = ifindex;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return no_device(c, e);
	c->ifdrop_base = if_rx_dropped(c->ifname);
	return 0;
}

/* The kernel ring: a quarter of the bound, at most 8 MiB, in whole blocks, at least two. */
static unsigned
ring_blocks(size_t mem)
{
	size_t r = mem / 4 < RING_MAX ? mem / 4 : RING_MAX;

	return r / RING_BLOCK < 2 ? 2 : (unsigned)(r / RING_BLOCK);
}

/* The smallest bound a capture takes, to the KiB. */
static size_t
min_bound(void)
{
	size_t m = CAPTURE_OVERHEAD + FLOWS_MEM_MIN;

	while (m < (size_t)ring_blocks(m) * RING_BLOCK + CAPTURE_OVERHEAD + FLOWS_MEM_MIN)
		m += 1024;
	return m;
}

int
flows_capture_open(struct flows_capture **out, const char *ifname, const struct flows_opts *o,
                   struct err *e)
{
	struct flows_capture *c;
	unsigned blocks = ring_blocks(o->mem_bytes);
	size_t ring = (size_t)blocks * RING_BLOCK;

	*out = NULL;
	if (o->mem_bytes < ring + CAPTURE_OVERHEAD + FLOWS_MEM_MIN)
		return err_set(e, "flow memory bound %zu KiB is too small for a capture (at least %zu KiB)",
		               o->mem_bytes >> 10, min_bound() >> 10);
	if (strlen(ifname) >= IF_NAMESIZE)
		return err_set(e, "cannot capture on %s: the name is too long", ifname);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return err_set(e, "out of memory for a capture");
	c->fd = -1;
	str_copy(c->ifname, ifname, sizeof c->ifname);
	c->bound = o->mem_bytes;
	c->blocks = blocks;
	c->ring_bytes = ring;
	if (flows_table_new(&c->t, o->mem_bytes - ring - CAPTURE_OVERHEAD, e) < 0
	    || capture_setup(c, o, e) < 0) {
		flows_capture_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

void
flows_capture_close(struct flows_capture *c)
{
	if (c == NULL)
		return;
	if (c->ring != NULL)
		munmap(c->ring, c->ring_bytes);
	if (c->fd >= 0)
		close(c->fd);
	flows_table_free(c->t);
	free(c);
}

int
flows_capture_fd(const struct flows_capture *c)
{
	return c->fd;
}

int
flows_capture_stats(struct flows_capture *c, struct flows_capture_stats *st)
{
	struct tpacket_stats_v3 ks;
	socklen_t len = sizeof ks;
	uint64_t ifd;

	memset(st, 0, sizeof *st);
	st->captured = c->captured;
	st->parsed = c->parsed;
	st->skipped = c->skipped;
	if (getsockopt(c->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len) < 0)
		return -1;
	c->drops += ks.tp_drops;        /* the kernel counts from zero again after each read */
	st->kernel_drops = c->drops;
	ifd = if_rx_dropped(c->ifname);
	st->if_drops = ifd > c->ifdrop_base ? ifd - c->ifdrop_base : 0;
	return 0;
}

const struct flows_table *
flows_capture_table(const struct flows_capture *c)
{
	return c->t;
}

size_t
flows_capture_bound(const struct flows_capture *c)
{
	return c->bound;
}
