/*
 * netstats.c: per-link counters from one RTM_GETSTATS dump per refresh, with
 * names from a libnl link cache kept current by link notifications. See
 * netstats.h.
 *
 * libnl has no wrapper for RTM_GETSTATS, so the request is built and parsed
 * with its generic message helpers. The names live in a small table sorted
 * by ifindex (and a copy sorted by name, rebuilt only when a name changes),
 * because libnl's own lookup by ifindex walks the whole cache.
 */
#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "backend/loop.h"
#include "backend/mem.h"
#include "backend/netstats.h"
#include "backend/str.h"

#define NETSTATS_RECV_BUF (64 * 1024)
#define NETSTATS_DUMP_TRIES 3

struct ns_name {
	int ifindex;
	char name[NETSTATS_NAME_MAX];
};

struct ns_links {
	struct netstats_link *v;
	size_t n, cap;
};

struct netstats {
	struct nl_sock *sk;             /* requests: stats dumps and cache resyncs */
	struct nl_cb *stats_cb;
	struct nl_cache_mngr *mngr;     /* link notifications */
	struct nl_cache *links;         /* route/link, names only */
	netstats_event_cb ev_cb;
	void *ev_arg;
	int n_reported;                 /* events reported by the current call */
	struct ns_name *names;          /* sorted by ifindex */
	size_t n_names, cap_names;
	struct ns_name *byname;         /* same entries, sorted by name */
	size_t n_byname, cap_byname;
	bool byname_stale;
	struct ns_links cur, next;      /* last refresh, and the one being read */
	bool next_oom;
	uint64_t time_ns;
	uint64_t resyncs;
};

/* ---- the name table ---- */

/* Index of ifindex in ns->names, or where it would be inserted. */
static size_t
names_pos(const struct netstats *ns, int ifindex, bool *found)
{
	size_t lo = 0, hi = ns->n_names;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ns->names[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < ns->n_names && ns->names[lo].ifindex == ifindex;
	return lo;
}

static void
report(struct netstats *ns, enum netstats_event_kind kind, int ifindex,
       const char *name, const char *old_name)
{
	struct netstats_event ev;

	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	ev.ifindex = ifindex;
	str_copy(ev.name, name, sizeof ev.name);
	if (old_name != NULL)
		str_copy(ev.old_name, old_name, sizeof ev.old_name);
	ns->n_reported++;
	if (ns->ev_cb != NULL)
		ns->ev_cb(ns->ev_arg, &ev);
}

/* Adds or renames an entry; reports NEW or RENAMED when quiet is false. */
static int
names_upsert(struct netstats *ns, int ifindex, const char *name, bool quiet)
{
	bool found;
	size_t i = names_pos(ns, ifindex, &found);
	char old[NETSTATS_NAME_MAX];

	if (found) {
		if (strcmp(ns->names[i].name, name) == 0)
			return 0;
		str_copy(old, ns->names[i].name, sizeof old);
		str_copy(ns->names[i].name, name, sizeof ns->names[i].name);
		ns->byname_stale = true;
		if (!quiet)
			report(ns, NETSTATS_LINK_RENAMED, ifindex, name, old);
		return 0;
	}
	if (mem_grow((void **)&ns->names, &ns->cap_names, ns->n_names + 1, sizeof *ns->names,
	             NULL) < 0)
		return -1;
	memmove(&ns->names[i + 1], &ns->names[i], (ns->n_names - i) * sizeof *ns->names);
	ns->names[i].ifindex = ifindex;
	str_copy(ns->names[i].name, name, sizeof ns->names[i].name);
	ns->n_names++;
	ns->byname_stale = true;
	if (!quiet)
		report(ns, NETSTATS_LINK_NEW, ifindex, name, NULL);
	return 0;
}

static void
names_remove(struct netstats *ns, int ifindex, const char *name)
{
	bool found;
	size_t i = names_pos(ns, ifindex, &found);
	char last[NETSTATS_NAME_MAX];

	if (!found)
		return;
	str_copy(last, ns->names[i].name[0] ? ns->names[i].name : name, sizeof last);
	memmove(&ns->names[i], &ns->names[i + 1], (ns->n_names - i - 1) * sizeof *ns->names);
	ns->n_names--;
	ns->byname_stale = true;
	report(ns, NETSTATS_LINK_GONE, ifindex, last, NULL);
}

static int
byname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ns_name *)a)->name, ((const struct ns_name *)b)->name);
}

static int
byname_rebuild(struct netstats *ns)
{
	if (!ns->byname_stale)
		return 0;
	if (mem_grow((void **)&ns->byname, &ns->cap_byname, ns->n_names, sizeof *ns->byname,
	             NULL) < 0)
		return -1;
	if (ns->n_names > 0) {
		memcpy(ns->byname, ns->names, ns->n_names * sizeof *ns->byname);
		qsort(ns->byname, ns->n_names, sizeof *ns->byname, byname_cmp);
	}
	ns->n_byname = ns->n_names;
	ns->byname_stale = false;
	return 0;
}

/* ---- the link cache and its events ---- */

static void
link_changed(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct netstats *ns = arg;
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *name;
	int ifindex;

	(void)cache;
	if (l == NULL || rtnl_link_get_family(l) != AF_UNSPEC)
		return;                 /* bridge-port (AF_BRIDGE) views of a link */
	ifindex = rtnl_link_get_ifindex(l);
	name = rtnl_link_get_name(l);
	if (ifindex <= 0)
		return;
	if (action == NL_ACT_DEL)
		names_remove(ns, ifindex, name ? name : "");
	else if (name != NULL)
		names_upsert(ns, ifindex, name, false);
}

static void
names_fill_one(struct nl_object *obj, void *arg)
{
	struct rtnl_link *l = (struct rtnl_link *)obj;
	const char *name = rtnl_link_get_name(l);

	if (rtnl_link_get_family(l) == AF_UNSPEC && name != NULL && rtnl_link_get_ifindex(l) > 0)
		names_upsert(arg, rtnl_link_get_ifindex(l), name, true);
}

static int
links_open(struct netstats *ns, struct err *e)
{
	int rc;

	rc = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, 0, &ns->mngr);
	if (rc < 0)
		return err_set(e, "cannot open the netlink link-event socket: %s", nl_geterror(rc));
	rc = nl_cache_alloc_name("route/link", &ns->links);
	if (rc < 0)
		return err_set(e, "cannot set up the network link cache: %s", nl_geterror(rc));
	/* subscribes to RTNLGRP_LINK first, then fills the cache: nothing is missed */
	rc = nl_cache_mngr_add_cache(ns->mngr, ns->links, link_changed, ns);
	if (rc < 0) {
		nl_cache_free(ns->links);
		ns->links = NULL;
		return err_set(e, "cannot read or follow the network links: %s", nl_geterror(rc));
	}
	nl_cache_foreach(ns->links, names_fill_one, ns);
	byname_rebuild(ns);
	return 0;
}

int
netstats_handle_events(struct netstats *ns, struct err *e)
{
	int rc;

	ns->n_reported = 0;
	rc = nl_cache_mngr_data_ready(ns->mngr);
	if (rc < 0) {
		/* events were lost (ENOBUFS): resync, reporting the differences */
		ns->resyncs++;
		rc = nl_cache_resync(ns->sk, ns->links, link_changed, ns);
		if (rc < 0)
			return err_set(e, "link events were lost and the link list cannot be "
			               "read again: %s", nl_geterror(rc));
	}
	byname_rebuild(ns);             /* on failure find() scans instead */
	return ns->n_reported;
}

uint64_t
netstats_resyncs(const struct netstats *ns)
{
	return ns->resyncs;
}

int
netstats_event_fd(const struct netstats *ns)
{
	return nl_cache_mngr_get_fd(ns->mngr);
}

const char *
netstats_name(const struct netstats *ns, int ifindex)
{
	bool found;
	size_t i = names_pos(ns, ifindex, &found);

	return found ? ns->names[i].name : "";
}

/* ---- the stats dump ---- */

static struct netstats_link *
next_slot(struct netstats *ns)
{
	struct ns_links *L = &ns->next;

	if (mem_grow((void **)&L->v, &L->cap, L->n + 1, sizeof *L->v, NULL) < 0)
		return NULL;
	return &L->v[L->n++];
}

static int
stats_msg(struct nl_msg *msg, void *arg)
{
	struct netstats *ns = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_STATS_MAX + 1];
	struct rtnl_link_stats64 st;
	const struct if_stats_msg *ifsm;
	struct netstats_link *l;
	int hdr = (int)sizeof(struct if_stats_msg);

	if (nlh->nlmsg_type != RTM_NEWSTATS || !nlmsg_valid_hdr(nlh, hdr))
		return NL_SKIP;
	ifsm = nlmsg_data(nlh);
	if (nla_parse(tb, IFLA_STATS_MAX, nlmsg_attrdata(nlh, hdr), nlmsg_attrlen(nlh, hdr), NULL) < 0
	    || tb[IFLA_STATS_LINK_64] == NULL)
		return NL_SKIP;
	memset(&st, 0, sizeof st);
	memcpy(&st, nla_data(tb[IFLA_STATS_LINK_64]),
	       (size_t)nla_len(tb[IFLA_STATS_LINK_64]) < sizeof st
	       ? (size_t)nla_len(tb[IFLA_STATS_LINK_64]) : sizeof st);
	l = next_slot(ns);
	if (l == NULL) {
		ns->next_oom = true;
		return NL_STOP;
	}
	l->ifindex = (int)ifsm->ifindex;
	l->name[0] = '\0';
	l->rx_bytes = st.rx_bytes;
	l->rx_packets = st.rx_packets;
	l->rx_errors = st.rx_errors;
	l->rx_drops = st.rx_dropped;
	l->tx_bytes = st.tx_bytes;
	l->tx_packets = st.tx_packets;
	l->tx_errors = st.tx_errors;
	l->tx_drops = st.tx_dropped;
	return NL_OK;
}

static int
stats_dump(struct netstats *ns)
{
	struct if_stats_msg ifsm;
	struct nl_msg *msg;
	int rc;

	msg = nlmsg_alloc_simple(RTM_GETSTATS, NLM_F_DUMP);
	if (msg == NULL)
		return -NLE_NOMEM;
	memset(&ifsm, 0, sizeof ifsm);
	ifsm.family = AF_UNSPEC;
	ifsm.filter_mask = IFLA_STATS_FILTER_BIT(IFLA_STATS_LINK_64);
	rc = nlmsg_append(msg, &ifsm, sizeof ifsm, NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nl_send_auto(ns->sk, msg);
	nlmsg_free(msg);
	if (rc < 0)
		return rc;
	ns->next.n = 0;
	ns->next_oom = false;
	rc = nl_recvmsgs(ns->sk, ns->stats_cb);
	if (ns->next_oom)
		return -NLE_NOMEM;
	return rc;
}

static int
link_cmp(const void *a, const void *b)
{
	int x = ((const struct netstats_link *)a)->ifindex;
	int y = ((const struct netstats_link *)b)->ifindex;

	return (x > y) - (x < y);
}

/* Sorts by ifindex (dumps usually are) and joins the names in one pass. */
static void
stats_name(struct netstats *ns)
{
	struct ns_links *L = &ns->next;
	size_t i, j = 0;

	for (i = 1; i < L->n; i++)
		if (L->v[i - 1].ifindex > L->v[i].ifindex)
			break;
	if (i < L->n)
		qsort(L->v, L->n, sizeof *L->v, link_cmp);
	for (i = 0; i < L->n; i++) {
		while (j < ns->n_names && ns->names[j].ifindex < L->v[i].ifindex)
			j++;
		if (j < ns->n_names && ns->names[j].ifindex == L->v[i].ifindex)
			memcpy(L->v[i].name, ns->names[j].name, sizeof L->v[i].name);
		else if (if_indextoname((unsigned)L->v[i].ifindex, L->v[i].name) == NULL)
			L->v[i].name[0] = '\0';   /* created after the last event: rare */
	}
}

static int
dump_error(int rc, struct err *e)
{
	if (rc == -NLE_OPNOTSUPP || rc == -NLE_MSGTYPE_NOSUPPORT || rc == -NLE_INVAL)
		return err_set(e, "the kernel does not answer RTM_GETSTATS (%s): "
		               "Linux 4.7 or later is needed for per-link counters", nl_geterror(rc));
	if (rc == -NLE_NOMEM)
		return err_set(e, "out of memory while reading link counters");
	return err_set(e, "cannot read link counters from netlink: %s", nl_geterror(rc));
}

int
netstats_refresh(struct netstats *ns, struct err *e)
{
	struct ns_links tmp;
	int rc = 0, tries;

	if (netstats_handle_events(ns, e) < 0)
		return -1;
	for (tries = 0; tries < NETSTATS_DUMP_TRIES; tries++) {
		rc = stats_dump(ns);
		if (rc != -NLE_DUMP_INTR)
			break;
	}
	if (rc < 0)
		return dump_error(rc, e);
	stats_name(ns);
	tmp = ns->cur;
	ns->cur = ns->next;
	ns->next = tmp;
	ns->time_ns = loop_now_ns();
	return 0;
}

const struct netstats_link *
netstats_links(const struct netstats *ns, size_t *n)
{
	*n = ns->cur.n;
	return ns->cur.v;
}

const struct netstats_link *
netstats_find_index(const struct netstats *ns, int ifindex)
{
	size_t lo = 0, hi = ns->cur.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ns->cur.v[mid].ifindex < ifindex)
			lo = mid + 1;
		else if (ns->cur.v[mid].ifindex > ifindex)
			hi = mid;
		else
			return &ns->cur.v[mid];
	}
	return NULL;
}

const struct netstats_link *
netstats_find(const struct netstats *ns, const char *ifname)
{
	size_t lo = 0, hi = ns->n_byname, i;

	if (ifname == NULL)
		return NULL;
	if (ns->byname_stale) {
		/* the name index could not be rebuilt (out of memory): scan */
		for (i = 0; i < ns->cur.n; i++)
			if (strcmp(ns->cur.v[i].name, ifname) == 0)
				return &ns->cur.v[i];
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ns->byname[mid].name, ifname);
		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid;
		else
			return netstats_find_index(ns, ns->byname[mid].ifindex);
	}
	return NULL;
}

uint64_t
netstats_time_ns(const struct netstats *ns)
{
	return ns->time_ns;
}

/* ---- life cycle ---- */

static int
stats_socket(struct netstats *ns, struct err *e)
{
	int rc;

	ns->sk = nl_socket_alloc();
	ns->stats_cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (ns->sk == NULL || ns->stats_cb == NULL)
		return err_set(e, "out of memory for a netlink socket");
	rc = nl_connect(ns->sk, NETLINK_ROUTE);
	if (rc < 0)
		return err_set(e, "cannot open a NETLINK_ROUTE socket: %s", nl_geterror(rc));
	/* one recvmsg per kernel batch: no peek, a buffer as large as a batch */
	nl_socket_disable_msg_peek(ns->sk);
	nl_socket_set_msg_buf_size(ns->sk, NETSTATS_RECV_BUF);
	nl_cb_set(ns->stats_cb, NL_CB_VALID, NL_CB_CUSTOM, stats_msg, ns);
	return 0;
}

int
netstats_open(struct netstats **out, netstats_event_cb cb, void *arg, struct err *e)
{
	struct netstats *ns;

	*out = NULL;
	ns = calloc(1, sizeof *ns);
	if (ns == NULL)
		return err_set(e, "out of memory for link counters");
	ns->ev_cb = cb;
	ns->ev_arg = arg;
	if (stats_socket(ns, e) < 0 || links_open(ns, e) < 0) {
		netstats_close(ns);
		return -1;
	}
	*out = ns;
	return 0;
}

void
netstats_close(struct netstats *ns)
{
	if (ns == NULL)
		return;
	if (ns->mngr != NULL)
		nl_cache_mngr_free(ns->mngr);   /* frees the caches it manages */
	else if (ns->links != NULL)
		nl_cache_free(ns->links);
	if (ns->stats_cb != NULL)
		nl_cb_put(ns->stats_cb);
	if (ns->sk != NULL)
		nl_socket_free(ns->sk);
	free(ns->names);
	free(ns->byname);
	free(ns->cur.v);
	free(ns->next.v);
	free(ns);
}
