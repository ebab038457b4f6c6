/*
 * fuzz_flows.c: libFuzzer target of the packet-header parser and the flow
 * table of backend/flows.h: packets on a vif are made by the guest.
 *
 * Input: a sequence of records [link type][time step][length hi][length lo]
 * [bytes...], each a captured packet of up to 255 bytes (its wire length
 * from the record), fed through flows_parse into a table of the smallest
 * size, at a time that moves 0..25.5 s per packet. The packet bytes are
 * copied to a buffer of exactly the captured length, so reading past it is
 * an ASan error. Properties: a parsed packet is IPv4 or IPv6, with IPv4
 * addresses zero-padded, ports only when it says it has them, at least a
 * header's length, and a direction only a cooked link type can give: the one
 * its packet type says (4 to the guest, 0 to 3 from it, others refused); its
 * remote address prints as text that inet_pton reads back to the same bytes; the
 * table never grows past its bound nor holds more flows than its capacity;
 * the top flows come best first, with distinct keys, finite non-negative
 * rates that sum to no more than the totals (which count every packet).
 */
#include <arpa/inet.h>
#include <math.h>

#include "backend/flows.h"
#include "tests/fuzz/fuzz.h"

#define TOP_N 16

static const int dlts[] = {
	FLOWS_DLT_EN10MB, FLOWS_DLT_RAW, 14, 101, FLOWS_DLT_LINUX_SLL, FLOWS_DLT_LINUX_SLL2, 0, 228,
};

static void
check_packet(int dlt, const uint8_t *raw, const struct flows_pkt *p)
{
	static const uint8_t zero[12];
	struct flows_key k;
	char text[64];
	uint8_t back[16];

	FUZZ_CHECK(p->family == 4 || p->family == 6, "family %u", p->family);
	if (p->family == 4) {
		FUZZ_CHECK(memcmp(p->src + 4, zero, 12) == 0 && memcmp(p->dst + 4, zero, 12) == 0,
		           "IPv4 address not zero-padded");
		FUZZ_CHECK(p->len >= 20, "IPv4 length %u", p->len);
	} else {
		FUZZ_CHECK(p->len >= 40, "IPv6 length %u", p->len);
	}
	if (!p->has_ports)
		FUZZ_CHECK(p->sport == 0 && p->dport == 0, "ports %u %u without has_ports", p->sport,
		           p->dport);
	if (dlt == FLOWS_DLT_LINUX_SLL || dlt == FLOWS_DLT_LINUX_SLL2) {
		/* the packet type: 16 bits at 0 (v1) or 8 bits at 10 (v2) */
		unsigned type = dlt == FLOWS_DLT_LINUX_SLL ? (unsigned)(raw[0] << 8 | raw[1]) : raw[10];
		FUZZ_CHECK(type <= 4, "packet type %u parsed", type);
		FUZZ_CHECK(p->dir == (type == 4 ? FLOWS_TO_GUEST : FLOWS_FROM_GUEST),
		           "dir %d from packet type %u", p->dir, type);
	} else
		FUZZ_CHECK(p->dir == FLOWS_DIR_UNKNOWN, "dir %d from link type %d", p->dir, dlt);
	flows_key_of(p, &k);
	FUZZ_CHECK(k.family == p->family && k.proto == p->proto, "key differs from the packet");
	if (k.family == 4)
		FUZZ_CHECK(memcmp(k.addr + 4, zero, 12) == 0, "IPv4 key not zero-padded");
	flows_addr_str(&k, text, sizeof text);
	FUZZ_CHECK(inet_pton(k.family == 4 ? AF_INET : AF_INET6, text, back) == 1 &&
	           memcmp(back, k.addr, k.family == 4 ? 4 : 16) == 0, "address '%s' reads back otherwise",
	           text);
	FUZZ_CHECK(flows_proto_name(p->proto)[0] != '\0', "no protocol name");
}

static void
check_rate(const struct flows_rate *r, const char *what)
{
	FUZZ_CHECK(isfinite(r->bps_in) && isfinite(r->bps_out) && isfinite(r->pps_in) &&
	           isfinite(r->pps_out) && r->bps_in >= 0 && r->bps_out >= 0 && r->pps_in >= 0 &&
	           r->pps_out >= 0, "%s: %g %g %g %g", what, r->bps_in, r->bps_out, r->pps_in,
	           r->pps_out);
}

static void
check_table(const struct flows_table *t, uint64_t now)
{
	struct flows_row rows[TOP_N];
	struct flows_rate tot[FLOWS_NWINDOWS];
	struct flows_hints h;

	FUZZ_CHECK(flows_table_bytes(t) <= FLOWS_MEM_MIN, "table holds %zu bytes, bound %u",
	           flows_table_bytes(t), FLOWS_MEM_MIN);
	FUZZ_CHECK(flows_table_count(t) <= flows_table_capacity(t), "%zu flows in %zu slots",
	           flows_table_count(t), flows_table_capacity(t));
	flows_totals(t, now, tot);
	for (int w = 0; w < FLOWS_NWINDOWS; w++) {
		double bps = 0, pps = 0;
		size_t n = flows_top(t, now, (enum flows_window)w, rows, TOP_N);

		check_rate(&tot[w], "totals");
		FUZZ_CHECK(n <= TOP_N, "%zu rows for %d", n, TOP_N);
		for (size_t i = 0; i < n; i++) {
			const struct flows_rate *r = &rows[i].rate[w];

			for (int x = 0; x < FLOWS_NWINDOWS; x++)
				check_rate(&rows[i].rate[x], "row");
			if (i > 0) {
				const struct flows_rate *q = &rows[i - 1].rate[w];
				FUZZ_CHECK(q->bps_in + q->bps_out >= r->bps_in + r->bps_out,
				           "window %d: row %zu has more bytes than row %zu", w, i, i - 1);
			}
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(memcmp(&rows[j].key, &rows[i].key, sizeof rows[i].key) != 0,
				           "window %d: rows %zu and %zu are one flow", w, j, i);
			FUZZ_CHECK(rows[i].first_ns <= rows[i].last_ns, "a flow ends before it starts");
			bps += r->bps_in + r->bps_out;
			pps += r->pps_in + r->pps_out;
		}
		FUZZ_CHECK(bps <= (tot[w].bps_in + tot[w].bps_out) * (1 + 1e-9) + 1e-6 &&
		           pps <= (tot[w].pps_in + tot[w].pps_out) * (1 + 1e-9) + 1e-6,
		           "window %d: top flows %g bit/s %g pkt/s, totals %g %g", w, bps, pps,
		           tot[w].bps_in + tot[w].bps_out, tot[w].pps_in + tot[w].pps_out);
	}
	flows_hints(t, now, &h);
	FUZZ_CHECK(h.small_share >= 0 && h.small_share <= 1 && h.small_pps >= 0 &&
	           isfinite(h.fanout_dsts) && h.fanout_dsts >= 0 && h.fanout_dsts <= 4096 * 9,
	           "hints %g %g %g", h.small_share, h.small_pps, h.fanout_dsts);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flows_table *t;
	struct err e;
	uint64_t now = 5000000000ull;
	size_t at = 0;

	if (flows_table_new(&t, FLOWS_MEM_MIN, &e) < 0)
		abort();
	while (size - at >= 4) {
		int dlt = dlts[data[at] % (sizeof dlts / sizeof dlts[0])];
		uint32_t wire = (uint32_t)data[at + 2] << 8 | data[at + 3];
		size_t cap = size - at - 4 < 255 ? size - at - 4 : 255;
		uint8_t *pkt;
		struct flows_pkt p;

		now += (uint64_t)data[at + 1] * 100000000ull;
		if (cap > wire)
			cap = wire;     /* a capture is never longer than the packet */
		pkt = malloc(cap ? cap : 1);
		if (pkt == NULL)
			abort();
		memcpy(pkt, data + at + 4, cap);
		if (flows_parse(dlt, pkt, cap, wire, &p) == 0) {
			check_packet(dlt, pkt, &p);
			flows_table_add(t, &p, now);
		}
		free(pkt);
		at += 4 + cap;
	}
	check_table(t, now);
	check_table(t, now + 3000000000ull);
	flows_table_free(t);
	return 0;
}
