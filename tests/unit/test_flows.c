/*
 * test_flows.c: the packet-header parser on crafted and hostile packets, the
 * flow table's memory bound and eviction, rates over the 2/10/40 s windows,
 * top-N and the abuse hints. No capture: packets are built here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "backend/flows.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)   /* seconds to ns */
#define MS(x) ((uint64_t)(x) * 1000000ull)

/* ---- packet building ---- */

struct pktbuf {
	uint8_t b[256];
	size_t n;
};

static void
put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
eth(struct pktbuf *p, unsigned type)
{
	memset(p, 0, sizeof *p);
	memset(p->b, 0xaa, 12);
	put16(p->b + 12, type);
	p->n = 14;
}

static void
sll(struct pktbuf *p, unsigned pkttype, unsigned proto)
{
	memset(p, 0, sizeof *p);
	put16(p->b, pkttype);
	put16(p->b + 2, 1);        /* ARPHRD_ETHER */
	put16(p->b + 4, 6);
	put16(p->b + 14, proto);
	p->n = 16;
}

/* Linux cooked v2 (what libpcap's "any" device gives): protocol, ifindex, packet type. */
static void
sll2(struct pktbuf *p, unsigned pkttype, unsigned proto, unsigned ifindex)
{
	memset(p, 0, sizeof *p);
	put16(p->b, proto);
	p->b[4] = (uint8_t)(ifindex >> 24);
	p->b[5] = (uint8_t)(ifindex >> 16);
	p->b[6] = (uint8_t)(ifindex >> 8);
	p->b[7] = (uint8_t)ifindex;
	put16(p->b + 8, 1);        /* ARPHRD_ETHER */
	p->b[10] = (uint8_t)pkttype;
	p->b[11] = 6;
	memset(p->b + 12, 0xbb, 6);
	p->n = 20;
}

static void
vlan(struct pktbuf *p, unsigned inner)
{
	put16(p->b + p->n, 42);    /* TCI */
	put16(p->b + p->n + 2, inner);
	p->n += 4;
}

/* IPv4 header (ihl in words) + 4 bytes of ports + payload bytes. */
static void
ip4(struct pktbuf *p, unsigned ihl, uint8_t proto, const char *src, const char *dst,
    unsigned sport, unsigned dport, unsigned payload, unsigned frag)
{
	uint8_t *h = p->b + p->n;
	unsigned a[4];

	h[0] = (uint8_t)(0x40 | ihl);
	put16(h + 2, ihl * 4 + 8 + payload);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	sscanf(src, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
	for (int i = 0; i < 4; i++)
		h[12 + i] = (uint8_t)a[i];
	sscanf(dst, "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]);
	for (int i = 0; i < 4; i++)
		h[16 + i] = (uint8_t)a[i];
	p->n += ihl * 4;
	put16(p->b + p->n, sport);
	put16(p->b + p->n + 2, dport);
	p->n += 8;
}

static void
ip6(struct pktbuf *p, uint8_t nh, unsigned plen)
{
	uint8_t *h = p->b + p->n;

	h[0] = 0x60;
	put16(h + 4, plen);
	h[6] = nh;
	h[7] = 64;
	h[8] = 0x20; h[9] = 0x01; h[10] = 0x0d; h[11] = 0xb8; h[23] = 1;   /* 2001:db8::1 */
	h[24] = 0x20; h[25] = 0x01; h[26] = 0x0d; h[27] = 0xb8; h[39] = 2; /* 2001:db8::2 */
	p->n += 40;
}

/* Parses from an exactly-sized heap copy, so a sanitizer sees any overread. */
static int
parse(int dlt, const struct pktbuf *p, size_t caplen, struct flows_pkt *o)
{
	uint8_t *copy = malloc(caplen ? caplen : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, p->b, caplen);
	rc = flows_parse(dlt, copy, caplen, (uint32_t)p->n, o);
	free(copy);
	return rc;
}

/* ---- parser ---- */

static void
test_parse_ipv4_ethernet(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;

	(void)state;
	eth(&p, 0x0800);
	ip4(&p, 5, IPPROTO_UDP, "192.0.2.1", "198.51.100.7", 4000, 53, 100, 0);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.proto, IPPROTO_UDP);
	assert_true(o.has_ports);
	assert_int_equal(o.sport, 4000);
	assert_int_equal(o.dport, 53);
	assert_int_equal(o.len, 20 + 8 + 100);
	assert_int_equal(o.dir, FLOWS_DIR_UNKNOWN);
	assert_memory_equal(o.src, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(o.dst, "\xc6\x33\x64\x07", 4);
}

static void
test_parse_sll_direction(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;
	struct flows_key k;

	(void)state;
	sll(&p, 4, 0x0800);        /* outgoing: dom0 sent it, to the guest */
	ip4(&p, 5, IPPROTO_TCP, "203.0.113.9", "10.0.0.2", 443, 51000, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);
	flows_key_of(&o, &k);
	assert_memory_equal(k.addr, "\xcb\x00\x71\x09", 4);   /* remote = source */
	assert_int_equal(k.port, 443);

	sll(&p, 0, 0x0800);        /* host: received from the guest */
	ip4(&p, 5, IPPROTO_TCP, "10.0.0.2", "203.0.113.9", 51000, 25, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_FROM_GUEST);
	flows_key_of(&o, &k);
	assert_memory_equal(k.addr, "\xcb\x00\x71\x09", 4);   /* remote = destination */
	assert_int_equal(k.port, 25);
	assert_int_equal(k.proto, IPPROTO_TCP);
}

/* One datagram each way between dom0 (198.18.7.1) and the guest (198.18.7.2). */
static void
test_parse_sll2_direction(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;
	struct flows_key k;

	(void)state;
	sll2(&p, 4, 0x0800, 7);    /* outgoing: dom0 sent it on the vif, to the guest */
	ip4(&p, 5, IPPROTO_UDP, "198.18.7.1", "198.18.7.2", 7001, 6001, 200, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);
	assert_int_equal(o.family, 4);
	assert_int_equal(o.proto, IPPROTO_UDP);
	assert_int_equal(o.len, 20 + 8 + 200);
	assert_int_equal(o.sport, 7001);
	assert_int_equal(o.dport, 6001);
	flows_key_of(&o, &k);
	assert_memory_equal(k.addr, "\xc6\x12\x07\x01", 4);   /* remote = the source */
	assert_int_equal(k.port, 7001);
	assert_int_equal(k.proto, IPPROTO_UDP);

	sll2(&p, 0, 0x0800, 7);    /* to us: dom0 received it on the vif, from the guest */
	ip4(&p, 5, IPPROTO_UDP, "198.18.7.2", "198.18.7.1", 7002, 6002, 200, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_FROM_GUEST);
	flows_key_of(&o, &k);
	assert_memory_equal(k.addr, "\xc6\x12\x07\x01", 4);   /* remote = the destination */
	assert_int_equal(k.port, 6002);

	/* broadcast, multicast, to another host: all received, so from the guest */
	for (unsigned t = 1; t <= 3; t++) {
		sll2(&p, t, 0x0800, 7);
		ip4(&p, 5, IPPROTO_UDP, "198.18.7.2", "198.18.7.255", 68, 67, 0, 0);
		assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
		assert_int_equal(o.dir, FLOWS_FROM_GUEST);
	}

	/* IPv6, outgoing: the remote end is the source, 2001:db8::1 */
	sll2(&p, 4, 0x86dd, 7);
	ip6(&p, IPPROTO_TCP, 20);
	put16(p.b + p.n, 443);
	put16(p.b + p.n + 2, 50000);
	p.n += 20;
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);
	assert_int_equal(o.family, 6);
	flows_key_of(&o, &k);
	assert_int_equal(k.port, 443);
	assert_int_equal(k.addr[15], 1);
}

static void
test_parse_sll2_hostile(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;

	(void)state;
	sll2(&p, 4, 0x0800, 7);
	ip4(&p, 5, IPPROTO_TCP, "192.0.2.1", "192.0.2.2", 80, 8080, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 0, &o), -1);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 10, &o), -1);        /* no packet type */
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 19, &o), -1);        /* header cut */
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 20, &o), -1);        /* no IP */
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 20 + 19, &o), -1);   /* short IP header */
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 20 + 20, &o), 0);    /* no room for ports */
	assert_false(o.has_ports);
	assert_int_equal(o.sport, 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 20 + 23, &o), 0);
	assert_false(o.has_ports);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, 20 + 24, &o), 0);
	assert_true(o.has_ports);
	assert_int_equal(o.dport, 8080);

	/* packet types that say nothing about the guest: loopback, user, kernel, unknown */
	for (unsigned t = 5; t < 256; t++) {
		p.b[10] = (uint8_t)t;
		assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), -1);
	}
	/* the same in cooked v1, where the type is 16 bits */
	sll(&p, 5, 0x0800);
	ip4(&p, 5, IPPROTO_TCP, "192.0.2.1", "192.0.2.2", 80, 8080, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), -1);
	put16(p.b, 0x104);         /* 4 in the low byte is still not outgoing */
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), -1);
	put16(p.b, 4);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);

	/* not IP: ARP, and an IPv6 header under the IPv4 protocol */
	sll2(&p, 0, 0x0806, 7);
	p.n += 28;
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), -1);
	sll2(&p, 0, 0x0800, 7);
	ip6(&p, IPPROTO_UDP, 8);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), -1);
}

/* A tag libpcap put back into a cooked header (protocol 0x8100, then TCI and the type). */
static void
test_parse_sll2_vlan(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;
	struct flows_key k;

	(void)state;
	sll2(&p, 4, 0x8100, 7);
	vlan(&p, 0x0800);
	ip4(&p, 5, IPPROTO_UDP, "203.0.113.5", "10.0.0.2", 53, 41000, 40, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_TO_GUEST);
	flows_key_of(&o, &k);
	assert_memory_equal(k.addr, "\xcb\x00\x71\x05", 4);
	assert_int_equal(k.port, 53);

	sll2(&p, 3, 0x88a8, 7);    /* two tags, received */
	vlan(&p, 0x8100);
	vlan(&p, 0x0800);
	ip4(&p, 5, IPPROTO_TCP, "10.0.0.2", "203.0.113.5", 41000, 25, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	assert_int_equal(o.dir, FLOWS_FROM_GUEST);
	flows_key_of(&o, &k);
	assert_int_equal(k.port, 25);

	sll2(&p, 0, 0x8100, 7);    /* three tags: not followed */
	vlan(&p, 0x8100);
	vlan(&p, 0x8100);
	vlan(&p, 0x0800);
	ip4(&p, 5, IPPROTO_TCP, "10.0.0.2", "203.0.113.5", 41000, 25, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), -1);

	sll2(&p, 0, 0x8100, 7);    /* tag cut short */
	p.n += 2;
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), -1);
}

static void
test_parse_vlan(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;

	(void)state;
	eth(&p, 0x8100);
	vlan(&p, 0x0800);
	ip4(&p, 5, IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 1, 2, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_int_equal(o.dport, 2);

	eth(&p, 0x88a8);           /* QinQ */
	vlan(&p, 0x8100);
	vlan(&p, 0x86dd);
	ip6(&p, IPPROTO_UDP, 8);
	put16(p.b + p.n, 5353);
	put16(p.b + p.n + 2, 5354);
	p.n += 8;
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_int_equal(o.family, 6);
	assert_int_equal(o.dport, 5354);

	eth(&p, 0x8100);           /* tag cut short */
	p.n += 2;
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);

	sll(&p, 0, 0x8100);        /* VLAN in cooked mode */
	vlan(&p, 0x0800);
	ip4(&p, 5, IPPROTO_TCP, "192.0.2.1", "192.0.2.2", 80, 8080, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, p.n, &o), 0);
	assert_int_equal(o.sport, 80);
}

static void
test_parse_ipv6_extensions(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;
	uint8_t *x;

	(void)state;
	/* hop-by-hop (8 bytes) then a first fragment then UDP */
	eth(&p, 0x86dd);
	ip6(&p, 0, 8 + 8 + 8);
	x = p.b + p.n;
	x[0] = 44; x[1] = 0;      /* next: fragment; length 0 = 8 bytes */
	p.n += 8;
	x = p.b + p.n;
	x[0] = IPPROTO_UDP;       /* fragment header, offset 0, more fragments */
	put16(x + 2, 1);
	p.n += 8;
	put16(p.b + p.n, 1000);
	put16(p.b + p.n + 2, 2000);
	p.n += 8;
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_int_equal(o.proto, IPPROTO_UDP);
	assert_true(o.has_ports);
	assert_int_equal(o.dport, 2000);
	assert_int_equal(o.len, 40 + 24);

	/* a later fragment has no ports */
	put16(p.b + 14 + 40 + 8 + 2, 0x100);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_int_equal(o.proto, IPPROTO_UDP);
	assert_false(o.has_ports);

	/* an extension header that claims to run past the capture */
	eth(&p, 0x86dd);
	ip6(&p, 60, 2000);
	x = p.b + p.n;
	x[0] = IPPROTO_TCP; x[1] = 255;   /* 2048 bytes */
	p.n += 8;
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_false(o.has_ports);

	/* header cut inside the extension chain */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, 14 + 40 + 4, &o), 0);
	assert_false(o.has_ports);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, 14 + 39, &o), -1);
}

static void
test_parse_hostile_ipv4(void **state)
{
	struct pktbuf p;
	struct flows_pkt o;

	(void)state;
	eth(&p, 0x0800);
	ip4(&p, 5, IPPROTO_TCP, "192.0.2.1", "192.0.2.2", 1, 2, 0, 0);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, 13, &o), -1);       /* no ethertype */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, 14 + 19, &o), -1);  /* short IP header */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, 14 + 20, &o), 0);   /* no room for ports */
	assert_false(o.has_ports);

	p.b[14] = 0x44;            /* IHL 4: below the minimum */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);
	p.b[14] = 0x40;            /* IHL 0 */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);
	p.b[14] = 0x4f;            /* IHL 15 = 60 bytes, more than was captured */
	put16(p.b + 16, 60 + 8);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_false(o.has_ports);
	p.b[14] = 0x65;            /* IPv6 version under an IPv4 ethertype */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);
	p.b[14] = 0x45;
	put16(p.b + 16, 12);       /* total length shorter than the header */
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);

	eth(&p, 0x0800);           /* a later IPv4 fragment: no ports */
	ip4(&p, 5, IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 7, 9, 0, 185);
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), 0);
	assert_false(o.has_ports);

	eth(&p, 0x0806);           /* ARP */
	p.n += 28;
	assert_int_equal(parse(FLOWS_DLT_EN10MB, &p, p.n, &o), -1);
	assert_int_equal(parse(9999, &p, p.n, &o), -1);
	assert_int_equal(flows_parse(FLOWS_DLT_EN10MB, NULL, 0, 0, &o), -1);
	sll(&p, 0, 0x0800);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL, &p, 15, &o), -1);
}

/* Random bytes of every length, under every link type: never a crash. */
static void
test_parse_random_bytes(void **state)
{
	static const int dlts[] = { FLOWS_DLT_EN10MB, FLOWS_DLT_LINUX_SLL, FLOWS_DLT_LINUX_SLL2,
	                            FLOWS_DLT_RAW };
	struct pktbuf p;
	struct flows_pkt o;
	unsigned seed = 12345;
	int ok = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 140);
		for (size_t i = 0; i < len; i++)
			p.b[i] = (uint8_t)rand_r(&seed);
		if (len > 16 && round % 2) {   /* make IP headers likely */
			p.b[12] = 0x08; p.b[13] = 0; p.b[14] = 0x40 | (p.b[14] & 15);
			p.b[0] = p.b[14];
		}
		p.n = len;
		for (size_t d = 0; d < sizeof dlts / sizeof *dlts; d++)
			ok += parse(dlts[d], &p, len, &o) == 0;
	}
	assert_true(ok > 0);      /* some of them parse; none crashed */
}

/* ---- the table ---- */

/* A table of the given memory bound. */
static struct flows_table *
table_new(size_t bytes)
{
	struct flows_table *t;
	struct err e;

	if (flows_table_new(&t, bytes, &e) < 0)
		fail_msg("flows_table_new: %s", e.msg);
	return t;
}

/* Adds an IPv4 packet with ports between the guest (10.0.0.2:40000) and remote:port at now. */
static void
add_pkt(struct flows_table *t, enum flows_dir dir, uint32_t remote, uint16_t port, uint8_t proto,
        uint32_t len, uint64_t now)
{
	struct flows_pkt p;

	memset(&p, 0, sizeof p);
	p.dir = dir;
	p.family = 4;
	p.proto = proto;
	p.has_ports = true;
	p.len = len;
	uint8_t *r = dir == FLOWS_TO_GUEST ? p.src : p.dst, *l = dir == FLOWS_TO_GUEST ? p.dst : p.src;
	r[0] = (uint8_t)(remote >> 24); r[1] = (uint8_t)(remote >> 16);
	r[2] = (uint8_t)(remote >> 8); r[3] = (uint8_t)remote;
	l[0] = 10; l[3] = 2;
	if (dir == FLOWS_TO_GUEST) {
		p.sport = port;
		p.dport = 40000;
	} else {
		p.sport = 40000;
		p.dport = port;
	}
	flows_table_add(t, &p, now);
}

static void
test_table_bound_under_flood(void **state)
{
	struct flows_table *t;
	struct err e;
	unsigned seed = 7;
	size_t cap, bytes;

	(void)state;
	t = table_new(1u << 20);
	cap = flows_table_capacity(t);
	bytes = flows_table_bytes(t);
	assert_true(bytes <= (1u << 20));
	assert_true(cap > 1000);
	/* a million packets from random spoofed sources and ports, to the guest */
	for (int i = 0; i < 1000000; i++)
		add_pkt(t, FLOWS_TO_GUEST, (uint32_t)rand_r(&seed) ^ ((uint32_t)rand_r(&seed) << 16),
		        (uint16_t)rand_r(&seed), IPPROTO_UDP, 60, MS(i / 100));   /* 100k packets/s */
	assert_int_equal(flows_table_bytes(t), bytes);
	assert_true(flows_table_count(t) <= cap);
	assert_true(flows_table_count(t) > cap * 9 / 10);
	assert_true(flows_table_evicted(t) > 900000);
	assert_true(flows_table_summarising(t));

	/* the totals still count every packet */
	struct flows_rate tot[FLOWS_NWINDOWS];
	flows_totals(t, S(10), tot);
	assert_float_equal(tot[FLOWS_W2S].pps_in, 100000, 1);

	/* 40 s later, quiet: nothing active, no longer summarising */
	add_pkt(t, FLOWS_TO_GUEST, 1, 1, IPPROTO_UDP, 60, S(60));
	assert_false(flows_table_summarising(t));
	assert_int_equal(flows_table_count(t), 1);
	flows_table_free(t);

	assert_int_equal(flows_table_new(&t, 1000, &e), -1);
	assert_non_null(strstr(e.msg, "too small"));
}

static void
test_table_evicts_least_recent(void **state)
{
	struct flows_table *t;
	struct flows_row rows[4];
	unsigned seed = 99;
	size_t n;

	(void)state;
	t = table_new(FLOWS_MEM_MIN);
	for (int i = 0; i < 5000; i++)         /* old flows at t = 0..1 s fill the table */
		add_pkt(t, FLOWS_FROM_GUEST, (uint32_t)rand_r(&seed), 80, IPPROTO_TCP, 100, MS(i / 5));
	for (int i = 0; i < 1000; i++)         /* a heavy flow at t = 4 s */
		add_pkt(t, FLOWS_FROM_GUEST, 0xc0000201, 443, IPPROTO_TCP, 1500, S(4) + MS(i / 2));
	for (int i = 0; i < 20000; i++)        /* then a flood of new flows, same slot */
		add_pkt(t, FLOWS_FROM_GUEST, (uint32_t)rand_r(&seed), 53, IPPROTO_UDP, 80,
		        S(4) + MS(600 + i / 20));
	n = flows_top(t, S(6) + 1, FLOWS_W2S, rows, 4);
	assert_true(n >= 1);
	assert_int_equal(rows[0].key.port, 443);
	assert_memory_equal(rows[0].key.addr, "\xc0\x00\x02\x01", 4);
	assert_float_equal(rows[0].rate[FLOWS_W2S].bps_out, 1000.0 * 1500 * 8 / 2, 1);
	flows_table_free(t);
}

static void
test_rates_over_windows(void **state)
{
	struct flows_table *t;
	struct flows_row rows[4];
	size_t n;

	(void)state;
	t = table_new(FLOWS_MEM_MIN);
	/* A: 100 packets/s of 1000 bytes to the guest for 40 s from t = 0 */
	/* B: 50 packets/s of 200 bytes from the guest for the first 20 s only */
	for (int ms = 0; ms < 40000; ms += 10) {
		add_pkt(t, FLOWS_TO_GUEST, 0xcb007101, 443, IPPROTO_TCP, 1000, MS(ms));
		if (ms < 20000 && ms % 20 == 0)
			add_pkt(t, FLOWS_FROM_GUEST, 0xcb007102, 53, IPPROTO_UDP, 200, MS(ms));
	}
	n = flows_top(t, S(40), FLOWS_W40S, rows, 4);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].key.port, 443);
	for (int w = 0; w < FLOWS_NWINDOWS; w++) {
		assert_float_equal(rows[0].rate[w].bps_in, 800000, 1);
		assert_float_equal(rows[0].rate[w].pps_in, 100, 0.01);
		assert_float_equal(rows[0].rate[w].bps_out, 0, 0.01);
	}
	assert_int_equal(rows[1].key.port, 53);
	assert_int_equal(rows[1].key.proto, IPPROTO_UDP);
	assert_float_equal(rows[1].rate[FLOWS_W2S].pps_out, 0, 0.01);
	assert_float_equal(rows[1].rate[FLOWS_W10S].pps_out, 0, 0.01);
	assert_float_equal(rows[1].rate[FLOWS_W40S].pps_out, 25, 0.01);   /* 20 s of 50 in 40 s */
	assert_float_equal(rows[1].rate[FLOWS_W40S].bps_out, 25.0 * 200 * 8, 0.1);
	assert_int_equal(rows[1].local_port, 40000);

	/* ranking by the 2 s window leaves the silent flow out */
	n = flows_top(t, S(40), FLOWS_W2S, rows, 4);
	assert_int_equal(n, 1);
	flows_table_free(t);
}

static void
test_rates_short_capture(void **state)
{
	struct flows_table *t;
	struct flows_row r;

	(void)state;
	t = table_new(FLOWS_MEM_MIN);
	/* starts at 1.0 s, in the middle of the first slot, 200 packets/s for 5 s */
	for (int ms = 1000; ms < 6000; ms += 5)
		add_pkt(t, FLOWS_FROM_GUEST, 0x0a000001, 5001, IPPROTO_UDP, 100, MS(ms));
	assert_int_equal(flows_top(t, MS(6000), FLOWS_W10S, &r, 1), 1);
	/* 10 s and 40 s windows cover only what the capture saw: 1 s .. 6 s */
	assert_float_equal(r.rate[FLOWS_W2S].pps_out, 200, 0.01);
	assert_float_equal(r.rate[FLOWS_W10S].pps_out, 200, 0.01);
	assert_float_equal(r.rate[FLOWS_W40S].pps_out, 200, 0.01);
	/* nothing complete yet: no rate rather than a wrong one */
	flows_table_free(t);
	t = table_new(FLOWS_MEM_MIN);
	add_pkt(t, FLOWS_FROM_GUEST, 0x0a000001, 5001, IPPROTO_UDP, 100, MS(500));
	assert_int_equal(flows_top(t, MS(1500), FLOWS_W2S, &r, 1), 0);
	flows_table_free(t);
}

/* Feeds one cooked v2 UDP datagram to the table. */
static void
add_sll2(struct flows_table *t, unsigned pkttype, const char *src, const char *dst, unsigned sport,
         unsigned dport, unsigned payload, uint64_t now)
{
	struct pktbuf p;
	struct flows_pkt o;

	sll2(&p, pkttype, 0x0800, 7);
	ip4(&p, 5, IPPROTO_UDP, src, dst, sport, dport, payload, 0);
	assert_int_equal(parse(FLOWS_DLT_LINUX_SLL2, &p, p.n, &o), 0);
	flows_table_add(t, &o, now);
}

/*
 * Traffic both ways between dom0 and the guest, through the parser: each
 * flow is listed with the remote end (dom0's address and port), its own
 * direction, and the guest's port; and both halves of one conversation are
 * one flow.
 */
static void
test_table_both_directions(void **state)
{
	struct flows_table *t;
	struct flows_row rows[4];
	struct flows_rate tot[FLOWS_NWINDOWS];
	size_t n;

	(void)state;
	t = table_new(FLOWS_MEM_MIN);
	for (int ms = 0; ms < 10000; ms++) {
		if (ms % 10 == 0)      /* dom0 7001 -> guest 6001, 100/s */
			add_sll2(t, 4, "198.18.7.1", "198.18.7.2", 7001, 6001, 200, MS(ms));
		if (ms % 5 == 0)       /* guest 7002 -> dom0 6002, 200/s */
			add_sll2(t, 0, "198.18.7.2", "198.18.7.1", 7002, 6002, 200, MS(ms));
	}
	n = flows_top(t, S(10), FLOWS_W10S, rows, 4);
	assert_int_equal(n, 2);
	assert_memory_equal(rows[0].key.addr, "\xc6\x12\x07\x01", 4);
	assert_int_equal(rows[0].key.port, 6002);
	assert_int_equal(rows[0].local_port, 7002);
	assert_float_equal(rows[0].rate[FLOWS_W10S].pps_out, 200, 0.01);
	assert_float_equal(rows[0].rate[FLOWS_W10S].pps_in, 0, 0.01);
	assert_float_equal(rows[0].rate[FLOWS_W10S].bps_out, 200.0 * 228 * 8, 1);
	assert_memory_equal(rows[1].key.addr, "\xc6\x12\x07\x01", 4);
	assert_int_equal(rows[1].key.port, 7001);
	assert_int_equal(rows[1].local_port, 6001);
	assert_float_equal(rows[1].rate[FLOWS_W10S].pps_in, 100, 0.01);
	assert_float_equal(rows[1].rate[FLOWS_W10S].pps_out, 0, 0.01);
	assert_float_equal(rows[1].rate[FLOWS_W10S].bps_in, 100.0 * 228 * 8, 1);
	flows_totals(t, S(10), tot);
	assert_float_equal(tot[FLOWS_W10S].pps_in, 100, 0.01);
	assert_float_equal(tot[FLOWS_W10S].pps_out, 200, 0.01);
	flows_table_free(t);

	/* a request and its replies: one flow, counted each way */
	t = table_new(FLOWS_MEM_MIN);
	for (int ms = 0; ms < 4000; ms += 10) {
		add_sll2(t, 0, "10.0.0.2", "203.0.113.9", 40000, 53, 30, MS(ms));
		add_sll2(t, 4, "203.0.113.9", "10.0.0.2", 53, 40000, 300, MS(ms + 1));
	}
	assert_int_equal(flows_top(t, S(4), FLOWS_W2S, rows, 4), 1);
	assert_memory_equal(rows[0].key.addr, "\xcb\x00\x71\x09", 4);
	assert_int_equal(rows[0].key.port, 53);
	assert_int_equal(rows[0].local_port, 40000);
	assert_float_equal(rows[0].rate[FLOWS_W2S].pps_in, 100, 0.01);
	assert_float_equal(rows[0].rate[FLOWS_W2S].pps_out, 100, 0.01);
	assert_float_equal(rows[0].rate[FLOWS_W2S].bps_in, 100.0 * 328 * 8, 1);
	assert_float_equal(rows[0].rate[FLOWS_W2S].bps_out, 100.0 * 58 * 8, 1);
	flows_table_free(t);
}

static void
test_top_order(void **state)
{
	struct flows_table *t;
	struct flows_row rows[3];

	(void)state;
	t = table_new(FLOWS_MEM_MIN);
	for (int i = 0; i < 10; i++)
		for (int k = 0; k <= i; k++)
			add_pkt(t, FLOWS_FROM_GUEST, 0x0a000000u + (uint32_t)i, 1000, IPPROTO_UDP, 100,
			        MS(100 * k));
	assert_int_equal(flows_top(t, S(2), FLOWS_W2S, rows, 3), 3);
	assert_int_equal(rows[0].key.addr[3], 9);
	assert_int_equal(rows[1].key.addr[3], 8);
	assert_int_equal(rows[2].key.addr[3], 7);
	flows_table_free(t);
}

static void
test_hints(void **state)
{
	struct flows_table *t;
	struct flows_hints h;

	(void)state;
	/* quiet web traffic: no hint */
	t = table_new(4u << 20);
	for (int ms = 0; ms < 10000; ms += 10)
		add_pkt(t, FLOWS_FROM_GUEST, 0xcb007101, 443, IPPROTO_TCP, 1400, MS(ms));
	flows_hints(t, S(10), &h);
	assert_int_equal(h.flags, 0);
	flows_table_free(t);

	/* a small-packet flood to one host */
	t = table_new(4u << 20);
	for (int i = 0; i < 100000; i++)       /* 10000/s for 10 s */
		add_pkt(t, FLOWS_FROM_GUEST, 0xcb007101, 80, IPPROTO_UDP, 60, (uint64_t)i * 100000);
	flows_hints(t, S(10), &h);
	assert_true(h.flags & FLOWS_HINT_SMALL_FLOOD);
	assert_false(h.flags & FLOWS_HINT_FANOUT);
	assert_float_equal(h.small_pps, 10000, 1);
	assert_float_equal(h.small_share, 1, 0.001);
	flows_table_free(t);

	/* a scan: 500 destinations, one packet each, and SMTP to 3 hosts */
	t = table_new(4u << 20);
	for (int i = 0; i < 500; i++)
		add_pkt(t, FLOWS_FROM_GUEST, 0xc6130000u + (uint32_t)i, 22, IPPROTO_TCP, 60, MS(i * 10));
	for (int i = 0; i < 3; i++)
		add_pkt(t, FLOWS_FROM_GUEST, 0xc6120700u + (uint32_t)i, 25, IPPROTO_TCP, 60, MS(6000 + i));
	flows_hints(t, S(10), &h);
	assert_true(h.flags & FLOWS_HINT_FANOUT);
	assert_true(h.flags & FLOWS_HINT_SMTP);
	assert_int_equal(h.smtp_flows, 3);
	assert_true(h.fanout_dsts > 470 && h.fanout_dsts < 540);
	assert_false(h.flags & FLOWS_HINT_SMALL_FLOOD);   /* 50 packets/s is no flood */
	flows_table_free(t);
}

static void
test_names(void **state)
{
	struct flows_key k;
	char buf[64];

	(void)state;
	assert_string_equal(flows_proto_name(IPPROTO_TCP), "tcp");
	assert_string_equal(flows_proto_name(IPPROTO_UDP), "udp");
	assert_int_equal(flows_window_seconds(FLOWS_W2S), 2);
	assert_int_equal(flows_window_seconds(FLOWS_W10S), 10);
	assert_int_equal(flows_window_seconds(FLOWS_W40S), 40);
	memset(&k, 0, sizeof k);
	k.family = 4;
	memcpy(k.addr, "\xc6\x12\x07\x01", 4);
	flows_addr_str(&k, buf, sizeof buf);
	assert_string_equal(buf, "198.18.7.1");
	k.family = 6;
	memcpy(k.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	flows_addr_str(&k, buf, sizeof buf);
	assert_string_equal(buf, "2001:db8::1");
}

/* Captures that cannot open say why (without root: that root is needed). */
static void
test_capture_errors(void **state)
{
	struct flows_capture *c = (struct flows_capture *)1;
	struct flows_opts o;
	struct err e;

	(void)state;
	flows_opts_default(&o);
	assert_int_equal(o.mem_bytes, FLOWS_MEM_DEFAULT);
	assert_int_equal(o.snaplen, FLOWS_SNAPLEN);
	o.mem_bytes = 1u << 20;
	assert_int_equal(flows_capture_open(&c, "lo", &o, &e), -1);
	assert_null(c);
	assert_non_null(strstr(e.msg, "too small for a capture"));

	flows_opts_default(&o);
	assert_int_equal(flows_capture_open(&c, "dtnoif0", &o, &e), -1);
	assert_null(c);
	assert_true(strstr(e.msg, "dtnoif0: no such interface") != NULL
	            || strstr(e.msg, "permission denied") != NULL);
	assert_int_equal(flows_capture_open(&c, "lo", &o, &e), -1);   /* not Ethernet */
	assert_true(strstr(e.msg, "link type 772 is not supported") != NULL
	            || strstr(e.msg, "permission denied") != NULL);
	assert_int_equal(flows_capture_open(&c, "a-name-longer-than-ifnamsiz", &o, &e), -1);
	assert_non_null(strstr(e.msg, "too long"));
	flows_capture_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ipv4_ethernet),
		cmocka_unit_test(test_parse_sll_direction),
		cmocka_unit_test(test_parse_sll2_direction),
		cmocka_unit_test(test_parse_sll2_hostile),
		cmocka_unit_test(test_parse_sll2_vlan),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_parse_ipv6_extensions),
		cmocka_unit_test(test_parse_hostile_ipv4),
		cmocka_unit_test(test_parse_random_bytes),
		cmocka_unit_test(test_table_bound_under_flood),
		cmocka_unit_test(test_table_evicts_least_recent),
		cmocka_unit_test(test_rates_over_windows),
		cmocka_unit_test(test_rates_short_capture),
		cmocka_unit_test(test_table_both_directions),
		cmocka_unit_test(test_top_order),
		cmocka_unit_test(test_hints),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_capture_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
