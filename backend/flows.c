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
#include <sys/random.h>
#include <time.h>

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
#define PCAP_OVERHEAD  (1u << 20)       /* libpcap and its code pages, stdio, BPF */

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
	case FLOWS_DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		*dir = rd16(d) == 4 ? FLOWS_TO_GUEST : FLOWS_FROM_GUEST;   /* 4 = outgoing */
		*type = rd16(d + 14);
		*off = 16;
		return 0;
	case FLOWS_DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		*dir = d[10] == 4 ? FLOWS_TO_GUEST : FLOWS_FROM_GUEST;
		*type = rd16(d);
		*off = 20;
		return 0;
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
		if (x > f->last_epoch || f->last_epoch - x >= FLOWS_RING || x < f->first_epoch)
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
		if (x > t->tot_epoch || t->tot_epoch - x >= FLOWS_RING)
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
		if (x <= t->tot_epoch && t->tot_epoch - x < FLOWS_RING)
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

struct flows_capture {
	pcap_t *p;
	int dlt, fd;
	char ifname[32];
	struct flows_table *t;
	size_t bound;
	uint64_t captured, parsed, skipped;
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

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct flows_capture *c = (struct flows_capture *)user;
	struct flows_pkt pk;
	int64_t ts;

	c->captured++;
	if (flows_parse(c->dlt, bytes, h->caplen, h->len, &pk) < 0) {
		c->skipped++;
		return;
	}
	c->parsed++;
	ts = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * 1000 + c->real_to_mono;
	if (ts < 0 || (uint64_t)ts > c->now_ns || c->now_ns - (uint64_t)ts > FLOWS_SLOT_NS)
		ts = (int64_t)c->now_ns;  /* clock stepped, or queued for long: now */
	flows_table_add(c->t, &pk, (uint64_t)ts);
}

int
flows_capture_read(struct flows_capture *c, uint64_t now_ns, struct err *e)
{
	int total = 0, n;

	c->now_ns = now_ns;
	c->real_to_mono = (int64_t)now_ns - (int64_t)clock_ns(CLOCK_REALTIME);
	while (total < CAPTURE_BUDGET) {
		n = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
		if (n == PCAP_ERROR)
			return err_set(e, "capture on %s stopped: %s (did the interface go away?)",
			               c->ifname, pcap_geterr(c->p));
		if (n <= 0)
			break;
		total += n;
	}
	return total;
}

static int
open_error(struct err *e, const char *ifname, int rc, pcap_t *p)
{
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return err_set(e, "cannot capture on %s: no such interface (is the domain running?)", ifname);
	case PCAP_ERROR_PERM_DENIED:
		return err_set(e, "cannot capture on %s: permission denied (domtop needs root or "
		               "CAP_NET_RAW for the flow view)", ifname);
	case PCAP_ERROR_IFACE_NOT_UP:
		return err_set(e, "cannot capture on %s: the interface is down", ifname);
	default:
		return err_set(e, "cannot capture on %s: %s", ifname, pcap_geterr(p));
	}
}

static int
capture_filter(struct flows_capture *c, const char *extra, struct err *e)
{
	struct bpf_program prog;
	char text[1024];

	if (extra != NULL && *extra != '\0')
		snprintf(text, sizeof text, "(ip or ip6) and (%s)", extra);
	else
		snprintf(text, sizeof text, "ip or ip6");
	if (pcap_compile(c->p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) < 0)
		return err_set(e, "bad capture filter \"%s\": %s", extra ? extra : "", pcap_geterr(c->p));
	if (pcap_setfilter(c->p, &prog) < 0) {
		pcap_freecode(&prog);
		return err_set(e, "cannot set the capture filter on %s: %s", c->ifname, pcap_geterr(c->p));
	}
	pcap_freecode(&prog);
	return 0;
}

static int
capture_setup(struct flows_capture *c, const struct flows_opts *o, size_t ring, struct err *e)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	int rc;

	c->p = pcap_create(c->ifname, errbuf);
	if (c->p == NULL)
		return err_set(e, "cannot capture on %s: %s", c->ifname, errbuf);
	pcap_set_snaplen(c->p, (int)(o->snaplen ? o->snaplen : FLOWS_SNAPLEN));
	pcap_set_promisc(c->p, 0);
	pcap_set_timeout(c->p, 100);
	pcap_set_buffer_size(c->p, (int)ring);
	rc = pcap_activate(c->p);
	if (rc < 0)
		return open_error(e, c->ifname, rc, c->p);
	/* cooked mode says which way each packet went; keep the native type if refused */
	pcap_set_datalink(c->p, FLOWS_DLT_LINUX_SLL);
	c->dlt = pcap_datalink(c->p);
	if (c->dlt != FLOWS_DLT_LINUX_SLL && c->dlt != FLOWS_DLT_LINUX_SLL2
	    && c->dlt != FLOWS_DLT_EN10MB && c->dlt != FLOWS_DLT_RAW)
		return err_set(e, "cannot capture on %s: link type %s is not supported",
		               c->ifname, pcap_datalink_val_to_name(c->dlt));
	if (capture_filter(c, o->filter, e) < 0)
		return -1;
	if (pcap_setnonblock(c->p, 1, errbuf) < 0)
		return err_set(e, "cannot capture on %s: %s", c->ifname, errbuf);
	c->fd = pcap_get_selectable_fd(c->p);
	if (c->fd < 0)
		return err_set(e, "cannot capture on %s: no pollable descriptor", c->ifname);
	return 0;
}

int
flows_capture_open(struct flows_capture **out, const char *ifname, const struct flows_opts *o,
                   struct err *e)
{
	struct flows_capture *c;
	size_t ring;

	*out = NULL;
	ring = o->mem_bytes / 4 < RING_MAX ? o->mem_bytes / 4 : RING_MAX;
	if (o->mem_bytes < ring + PCAP_OVERHEAD + FLOWS_MEM_MIN)
		return err_set(e, "flow memory bound %zu KiB is too small for a capture (at least %u KiB)",
		               o->mem_bytes >> 10, (4 * (PCAP_OVERHEAD + FLOWS_MEM_MIN) / 3 >> 10) + 1);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return err_set(e, "out of memory for a capture");
	str_copy(c->ifname, ifname, sizeof c->ifname);
	c->bound = o->mem_bytes;
	if (flows_table_new(&c->t, o->mem_bytes - ring - PCAP_OVERHEAD, e) < 0
	    || capture_setup(c, o, ring, e) < 0) {
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
	if (c->p != NULL)
		pcap_close(c->p);
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
	struct pcap_stat ps;

	memset(st, 0, sizeof *st);
	st->captured = c->captured;
	st->parsed = c->parsed;
	st->skipped = c->skipped;
	if (pcap_stats(c->p, &ps) < 0)
		return -1;
	st->kernel_drops = ps.ps_drop;
	st->if_drops = ps.ps_ifdrop;
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
