/*
 * net_drv.c: a small command-line driver over backend/netstats, shape and
 * flows, used by tests/net/run.sh on real interfaces (needs root). Each
 * command prints plain `key=value` lines that the script checks. Link events
 * and captures run through the event loop (backend/loop.h), as in domtop.
 *
 *   net_drv stats IF...                    counters from one RTM_GETSTATS dump
 *   net_drv events                         link events: new, rename, gone, resync
 *   net_drv apply IF DIRS RATE STATEFILE   throttle (DIRS: to, from, both);
 *                                          the saved state goes to STATEFILE
 *   net_drv undo IF DIRS STATEFILE         lift it (STATEFILE may be "-")
 *   net_drv read IF                        throttle state read back
 *   net_drv flows IF SECONDS [MEM] [TOPN]  capture, then print the top flows (in =
 *                                          to the guest, out = from it) and totals
 *   net_drv rate TEXT                      parse a tc rate, print it back
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend/flows.h"
#include "backend/loop.h"
#include "backend/netstats.h"
#include "backend/rate.h"
#include "backend/shape.h"

static int
fail(const char *what, const struct err *e)
{
	fprintf(stderr, "net_drv: %s: %s\n", what, e->msg);
	return 1;
}

/* ---- stats ---- */

static void
print_link(const struct netstats_link *l)
{
	printf("link=%s ifindex=%d rx_bytes=%" PRIu64 " rx_packets=%" PRIu64 " rx_errors=%" PRIu64
	       " rx_drops=%" PRIu64 " tx_bytes=%" PRIu64 " tx_packets=%" PRIu64 " tx_errors=%" PRIu64
	       " tx_drops=%" PRIu64 "\n", l->name, l->ifindex, l->rx_bytes, l->rx_packets,
	       l->rx_errors, l->rx_drops, l->tx_bytes, l->tx_packets, l->tx_errors, l->tx_drops);
}

static int
cmd_stats(int argc, char **argv)
{
	struct netstats *ns;
	struct err e;
	int i, rc = 0;

	if (netstats_open(&ns, NULL, NULL, &e) < 0)
		return fail("open", &e);
	if (netstats_refresh(ns, &e) < 0) {
		netstats_close(ns);
		return fail("refresh", &e);
	}
	for (i = 0; i < argc; i++) {
		const struct netstats_link *l = netstats_find(ns, argv[i]);
		if (l == NULL) {
			printf("link=%s missing\n", argv[i]);
			rc = 1;
		} else
			print_link(l);
	}
	if (argc == 0) {
		size_t n;
		const struct netstats_link *v = netstats_links(ns, &n);
		for (size_t k = 0; k < n; k++)
			print_link(&v[k]);
	}
	netstats_close(ns);
	return rc;
}

/* ---- events ---- */

struct ev_log {
	char text[64][80];
	int n;
};

static void
on_event(void *arg, const struct netstats_event *ev)
{
	static const char *const kinds[] = { "new", "gone", "renamed" };
	struct ev_log *log = arg;

	if (log->n < 64)
		snprintf(log->text[log->n++], sizeof log->text[0], "%s %s%s%s", kinds[ev->kind],
		         ev->name, ev->old_name[0] ? " from " : "", ev->old_name);
}

static bool
logged(const struct ev_log *log, const char *text)
{
	for (int i = 0; i < log->n; i++)
		if (strcmp(log->text[i], text) == 0)
			return true;
	return false;
}

static int
check(bool ok, const char *what)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	return ok ? 0 : 1;
}

struct pump {
	struct netstats *ns;
	int total;
	bool failed;
};

static void
on_links(struct loop *l, int fd, short revents, void *arg)
{
	struct pump *p = arg;
	struct err e;
	int rc;

	(void)l; (void)fd; (void)revents;
	rc = netstats_handle_events(p->ns, &e);
	if (rc < 0) {
		fprintf(stderr, "net_drv: events: %s\n", e.msg);
		p->failed = true;
	} else
		p->total += rc;
}

/*
 * Runs the event loop (backend/loop.h) on the link-event fd: up to 2 s for
 * the first event, then until 100 ms pass without one.
 */
static int
pump(struct netstats *ns)
{
	struct pump p = { ns, 0, false };
	struct loop *l;
	struct err e;
	int before;

	if (loop_new(&l, &e) < 0 || loop_add_fd(l, netstats_event_fd(ns), POLLIN, on_links, &p, &e) < 0) {
		fprintf(stderr, "net_drv: loop: %s\n", e.msg);
		return -1;
	}
	do {
		before = p.total;
		if (loop_once(l, before ? 100 : 2000, &e) < 0)
			break;
	} while (p.total != before && !p.failed);
	loop_free(l);
	return p.failed ? -1 : p.total;
}

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc != 0)
		fprintf(stderr, "net_drv: command failed: %s\n", cmd);
	return rc;
}

static int
cmd_events(void)
{
	struct ev_log log = { .n = 0 };
	struct netstats *ns;
	struct err e;
	int bad = 0, i;
	char cmd[256];

	if (netstats_open(&ns, on_event, &log, &e) < 0)
		return fail("open", &e);
	sh("ip link add vif8.0 type veth peer name vif8.0p");
	pump(ns);
	bad += check(logged(&log, "new vif8.0") && logged(&log, "new vif8.0p"), "new veth reported");
	netstats_refresh(ns, &e);
	bad += check(netstats_find(ns, "vif8.0") != NULL, "new veth in the next refresh");
	log.n = 0;
	sh("ip link set vif8.0 name vif8.1");
	pump(ns);
	bad += check(logged(&log, "renamed vif8.1 from vif8.0"), "rename reported");
	netstats_refresh(ns, &e);
	bad += check(netstats_find(ns, "vif8.1") != NULL && netstats_find(ns, "vif8.0") == NULL,
	             "renamed link found under its new name only");
	log.n = 0;
	sh("ip link del vif8.1");
	netstats_refresh(ns, &e);   /* refresh drains pending events first */
	bad += check(logged(&log, "gone vif8.1") && logged(&log, "gone vif8.0p"), "deletion reported");
	bad += check(netstats_find(ns, "vif8.1") == NULL, "deleted link gone from the refresh");

	/* overflow the event socket: the resync must report every change */
	if (setsockopt(netstats_event_fd(ns), SOL_SOCKET, SO_RCVBUF, &(int){ 4096 }, sizeof(int)) < 0)
		perror("SO_RCVBUF");
	log.n = 0;
	for (i = 0; i < 40; i++) {
		snprintf(cmd, sizeof cmd, "ip link add vif9.%d type veth peer name vif9.%dp", i, i);
		sh(cmd);
	}
	for (i = 0; i < 40; i++) {
		snprintf(cmd, sizeof cmd, "ip link del vif9.%d", i);
		sh(cmd);
	}
	sh("ip link add vif8.2 type veth peer name vif8.2p");
	pump(ns);
	bad += check(netstats_resyncs(ns) > 0, "event socket overflowed and the link cache was resynced");
	bad += check(logged(&log, "new vif8.2"), "new link reported after an event overflow");
	netstats_refresh(ns, &e);
	bad += check(netstats_find(ns, "vif8.2") != NULL && netstats_find(ns, "vif9.0") == NULL
	             && netstats_find(ns, "vif9.39p") == NULL, "names right after an event overflow");
	sh("ip link del vif8.2");
	netstats_close(ns);
	return bad ? 1 : 0;
}

/* ---- shaping ---- */

static unsigned
parse_dirs(const char *s)
{
	if (strcmp(s, "to") == 0)
		return SHAPE_TO_GUEST;
	if (strcmp(s, "from") == 0)
		return SHAPE_FROM_GUEST;
	if (strcmp(s, "both") == 0)
		return SHAPE_BOTH;
	return 0;
}

static void
print_dir(const char *name, const struct shape_dir *d)
{
	char r[32];

	rate_format(d->rate_bps, r, sizeof r);
	printf("%s=%s", name, d->active ? "on" : "off");
	if (d->active)
		printf(" %s_rate=%" PRIu64 " %s_rate_text=%s %s_burst=%u %s_limit=%u", name, d->rate_bps,
		       name, r, name, d->burst_bytes, name, d->limit_bytes);
	printf("\n");
}

static void
print_status(const struct shape_status *st)
{
	print_dir("to_guest", &st->to_guest);
	print_dir("from_guest", &st->from_guest);
	printf("root=%s root_handle=%x ifb=%s foreign_ingress=%d\n", st->root_kind[0] ? st->root_kind : "-",
	       (unsigned)st->root_handle, st->ifb[0] ? st->ifb : "-", st->foreign_ingress);
}

static int
load_saved(const char *path, struct shape_saved *sv, struct err *e)
{
	char line[SHAPE_SAVED_TEXT_MAX];
	FILE *f;

	memset(sv, 0, sizeof *sv);
	if (strcmp(path, "-") == 0 || (f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	return shape_saved_parse(line, sv, e);
}

static int
cmd_apply(char **argv)
{
	struct shape_saved sv;
	struct shape_status st;
	struct shape_spec spec = { 0, 0, 0 };
	struct shape *sh;
	struct err e;
	char text[SHAPE_SAVED_TEXT_MAX];
	unsigned dirs = parse_dirs(argv[1]);
	FILE *f;

	if (dirs == 0 || shape_parse_rate(argv[2], &spec.rate_bps, &e) < 0)
		return fail("apply", dirs ? &e : &(struct err){ "DIRS is to, from or both" });
	if (load_saved(argv[3], &sv, &e) < 0)
		return fail("state file", &e);
	if (shape_open(&sh, &e) < 0)
		return fail("open", &e);
	if (shape_apply(sh, argv[0], dirs, &spec, &sv, &st, &e) < 0) {
		shape_close(sh);
		return fail("apply", &e);
	}
	shape_close(sh);
	if (shape_saved_format(&sv, text, sizeof text) < 0 || (f = fopen(argv[3], "w")) == NULL)
		return fail("state file", &(struct err){ "cannot write it" });
	fprintf(f, "%s\n", text);
	fclose(f);
	printf("saved=%s\n", text);
	print_status(&st);
	return 0;
}

static int
cmd_undo(char **argv)
{
	struct shape_saved sv;
	struct shape_status st;
	struct shape *sh;
	struct err e;
	unsigned dirs = parse_dirs(argv[1]);
	bool have;

	if (dirs == 0)
		return fail("undo", &(struct err){ "DIRS is to, from or both" });
	if (load_saved(argv[2], &sv, &e) < 0)
		return fail("state file", &e);
	have = sv.ifname[0] != '\0';
	if (shape_open(&sh, &e) < 0)
		return fail("open", &e);
	if (shape_undo(sh, argv[0], dirs, have ? &sv : NULL, &st, &e) < 0) {
		shape_close(sh);
		return fail("undo", &e);
	}
	shape_close(sh);
	print_status(&st);
	return 0;
}

static int
cmd_read(char **argv)
{
	struct shape_status st;
	struct shape *sh;
	struct err e;

	if (shape_open(&sh, &e) < 0)
		return fail("open", &e);
	if (shape_read(sh, argv[0], &st, &e) < 0) {
		shape_close(sh);
		return fail("read", &e);
	}
	shape_close(sh);
	print_status(&st);
	return 0;
}

static int
cmd_rate(char **argv)
{
	uint64_t bps;
	struct err e;
	char buf[32];

	if (shape_parse_rate(argv[0], &bps, &e) < 0)
		return fail("rate", &e);
	rate_format(bps, buf, sizeof buf);
	printf("bps=%" PRIu64 " text=%s\n", bps, buf);
	return 0;
}

/* ---- flows ---- */

static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static void
print_flows(struct flows_capture *c, uint64_t now, size_t topn)
{
	struct flows_row rows[64];
	struct flows_hints h;
	struct flows_capture_stats cs;
	struct flows_rate tot[FLOWS_NWINDOWS];
	const struct flows_table *t = flows_capture_table(c);
	size_t n, i;
	char addr[64];

	if (topn > 64)
		topn = 64;
	n = flows_top(t, now, FLOWS_W2S, rows, topn);
	for (i = 0; i < n; i++) {
		const struct flows_row *r = &rows[i];
		flows_addr_str(&r->key, addr, sizeof addr);
		printf("flow=%s port=%u proto=%s", addr, r->key.port, flows_proto_name(r->key.proto));
		for (int w = 0; w < FLOWS_NWINDOWS; w++)
			printf(" bps%d=%.0f pps%d=%.1f", flows_window_seconds(w), r->rate[w].bps_in + r->rate[w].bps_out,
			       flows_window_seconds(w), r->rate[w].pps_in + r->rate[w].pps_out);
		printf(" out_pps2=%.1f in_pps2=%.1f out_bps10=%.0f in_bps10=%.0f local_port=%u\n",
		       r->rate[FLOWS_W2S].pps_out, r->rate[FLOWS_W2S].pps_in, r->rate[FLOWS_W10S].bps_out,
		       r->rate[FLOWS_W10S].bps_in, r->local_port);
	}
	flows_totals(t, now, tot);
	printf("totals in_pps2=%.1f out_pps2=%.1f in_bps10=%.0f out_bps10=%.0f\n", tot[FLOWS_W2S].pps_in,
	       tot[FLOWS_W2S].pps_out, tot[FLOWS_W10S].bps_in, tot[FLOWS_W10S].bps_out);
	flows_hints(t, now, &h);
	flows_capture_stats(c, &cs);
	printf("hints=%s%s%s%s small_pps=%.0f fanout=%.0f smtp_flows=%u\n",
	       h.flags & FLOWS_HINT_SMALL_FLOOD ? "flood," : "", h.flags & FLOWS_HINT_FANOUT ? "fanout," : "",
	       h.flags & FLOWS_HINT_SMTP ? "smtp," : "", h.flags ? "" : "none", h.small_pps,
	       h.fanout_dsts, h.smtp_flows);
	printf("flows=%zu capacity=%zu summarising=%d table_bytes=%zu bound=%zu evicted=%" PRIu64 "\n",
	       flows_table_count(t), flows_table_capacity(t), flows_table_summarising(t),
	       flows_table_bytes(t), flows_capture_bound(c), flows_table_evicted(t));
	printf("captured=%" PRIu64 " parsed=%" PRIu64 " skipped=%" PRIu64 " kernel_drops=%" PRIu64
	       " if_drops=%" PRIu64 "\n", cs.captured, cs.parsed, cs.skipped, cs.kernel_drops, cs.if_drops);
}

struct capture_run {
	struct flows_capture *c;
	uint64_t end_ns;
	long rss_peak;
	bool failed;
};

static void
on_pcap(struct loop *l, int fd, short revents, void *arg)
{
	struct capture_run *r = arg;
	struct err e;

	(void)fd; (void)revents;
	if (flows_capture_read(r->c, loop_now_ns(), &e) < 0) {
		fprintf(stderr, "net_drv: read: %s\n", e.msg);
		r->failed = true;
		loop_stop(l);
	}
}

/* Every 100 ms: the peak RSS, and the end of the run. */
static void
on_tick(struct loop *l, void *arg)
{
	struct capture_run *r = arg;
	struct err e;
	long kb = rss_kb();

	if (kb > r->rss_peak)
		r->rss_peak = kb;
	if (loop_now_ns() >= r->end_ns || loop_add_timer(l, loop_now_ns() + 100000000, on_tick, r, &e) < 0)
		loop_stop(l);
}

/* Captures through the event loop, as the flow view will. */
static int
cmd_flows(int argc, char **argv)
{
	struct capture_run r = { NULL, 0, 0, false };
	struct flows_opts o;
	struct loop *l;
	struct err e;
	long rss0;
	size_t topn = argc > 3 ? (size_t)atoi(argv[3]) : 10;

	flows_opts_default(&o);
	if (argc > 2 && atol(argv[2]) > 0)
		o.mem_bytes = (size_t)atol(argv[2]);
	if (loop_new(&l, &e) < 0)
		return fail("loop", &e);
	rss0 = rss_kb();
	if (flows_capture_open(&r.c, argv[0], &o, &e) < 0) {
		loop_free(l);
		return fail("capture", &e);
	}
	r.rss_peak = rss_kb();
	r.end_ns = loop_now_ns() + (uint64_t)(atof(argv[1]) * 1e9);
	if (loop_add_fd(l, flows_capture_fd(r.c), POLLIN, on_pcap, &r, &e) < 0
	    || loop_add_timer(l, loop_now_ns() + 100000000, on_tick, &r, &e) < 0
	    || loop_run(l, &e) < 0) {
		flows_capture_close(r.c);
		loop_free(l);
		return fail("loop", &e);
	}
	on_pcap(l, flows_capture_fd(r.c), POLLIN, &r);   /* what the last block holds */
	print_flows(r.c, loop_now_ns(), topn);
	printf("rss_start_kb=%ld rss_peak_kb=%ld rss_growth_kb=%ld\n", rss0, r.rss_peak,
	       r.rss_peak - rss0);
	flows_capture_close(r.c);
	loop_free(l);
	return r.failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "stats") == 0)
		return cmd_stats(argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[1], "events") == 0)
		return cmd_events();
	if (argc == 6 && strcmp(argv[1], "apply") == 0)
		return cmd_apply(argv + 2);
	if (argc == 5 && strcmp(argv[1], "undo") == 0)
		return cmd_undo(argv + 2);
	if (argc == 3 && strcmp(argv[1], "read") == 0)
		return cmd_read(argv + 2);
	if (argc == 3 && strcmp(argv[1], "rate") == 0)
		return cmd_rate(argv + 2);
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "flows") == 0)
		return cmd_flows(argc - 2, argv + 2);
	fprintf(stderr, "usage: net_drv stats IF... | events | apply IF DIRS RATE STATEFILE |\n"
	        "       undo IF DIRS STATEFILE | read IF | rate TEXT | flows IF SECONDS [MEM] [TOPN]\n");
	return 2;
}
