/*
 * shape.c: vif throttles in both directions through libnl, read back from
 * the kernel, undone exactly. See shape.h for the layout of qdiscs, filter
 * and ifb this builds.
 *
 * Our own objects are built with libnl's typed API (tbf, ingress, u32,
 * mirred, ifb links). The state of a vif is read with raw dumps made with
 * libnl's message helpers, because undo needs the options of a qdisc byte
 * for byte as the kernel dumped them, which libnl's objects do not keep.
 */
#include <ctype.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>
#include <netlink/socket.h>

#include "backend/rate.h"
#include "backend/shape.h"
#include "backend/str.h"

#define SHAPE_HANDLE    0x0d070000u     /* "d07:" for our tbf qdiscs */
#define SHAPE_PRIO      0x0d07u         /* prio of our ingress filter */
#define INGRESS_HANDLE  0xffff0000u     /* "ffff:" */
#define SHAPE_ALIAS     "domtop from-guest "
#define BURST_MIN       10240u
#define BURST_MS        20u
#define LATENCY_US      50000u
#define PSCHED_SHIFT    6               /* kernel: 1 tick = 64 ns */
#define QD_MAX          64              /* qdiscs kept per interface */

struct shape {
	struct nl_sock *sk;
};

/* One qdisc as the kernel dumped it. */
struct qd {
	uint32_t handle, parent;
	char kind[SHAPE_KIND_MAX];
	bool has_stab, opts_big;
	uint16_t opts_len;
	unsigned char opts[SHAPE_OPTS_MAX];
};

/* The tc state of one interface. */
struct ifstate {
	int ifindex;
	char ifname[SHAPE_NAME_MAX];
	size_t n;
	struct qd q[QD_MAX];
	bool overflow;                  /* more qdiscs than QD_MAX */
	const struct qd *root, *ingress;
	size_t n_user_children;         /* non-root qdiscs someone made (handle != 0:) */
};

/* ---- small helpers ---- */

static uint32_t
major(uint32_t handle)
{
	return handle & 0xffff0000u;
}

static const char *
nl_hint(int rc)
{
	switch (-rc) {
	case NLE_PERM:
		return " (domtop needs root or CAP_NET_ADMIN to change qdiscs)";
	case NLE_NODEV:
		return " (the interface has gone: the domain may have stopped)";
	default:
		return "";
	}
}

static int
nl_err(struct err *e, int rc, const char *fmt, const char *ifname)
{
	char what[256];

	snprintf(what, sizeof what, fmt, ifname);
	return err_set(e, "%s: %s%s", what, nl_geterror(rc), nl_hint(rc));
}

/*
 * The error of a netlink call that needs a kernel module: "what: missing"
 * when the kernel does not know the object or operation, else the reason.
 */
static int
nl_module_err(struct err *e, int rc, const char *fmt, const char *ifname, const char *missing)
{
	char what[256];

	if (rc != -NLE_OBJ_NOTFOUND && rc != -NLE_OPNOTSUPP)
		return nl_err(e, rc, fmt, ifname);
	snprintf(what, sizeof what, fmt, ifname);
	return err_set(e, "%s: %s", what, missing);
}

static bool
shape_ours_alias(const char *alias, const char *vif)
{
	size_t n = strlen(SHAPE_ALIAS);

	return alias != NULL && strncmp(alias, SHAPE_ALIAS, n) == 0 && strcmp(alias + n, vif) == 0;
}

void
shape_ifb_name(const char *ifname, int ifindex, char out[SHAPE_NAME_MAX])
{
	if (strlen("ifb-") + strlen(ifname) < SHAPE_NAME_MAX)
		snprintf(out, SHAPE_NAME_MAX, "ifb-%s", ifname);
	else
		snprintf(out, SHAPE_NAME_MAX, "ifb-i%d", ifindex);
}

/* ---- rates ---- */

int
shape_parse_rate(const char *text, uint64_t *bps, struct err *e)
{
	return rate_parse(text, SHAPE_RATE_MIN, SHAPE_RATE_MAX, bps, e);
}


/* ---- raw dumps ---- */

static int
dump_request(struct shape *sh, int type, int ifindex, uint32_t parent,
             nl_recvmsg_msg_cb_t fn, void *arg)
{
	struct tcmsg t;
	struct nl_msg *msg;
	struct nl_cb *cb;
	int rc;

	msg = nlmsg_alloc_simple(type, NLM_F_DUMP);
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (msg == NULL || cb == NULL) {
		nlmsg_free(msg);
		if (cb != NULL)
			nl_cb_put(cb);
		return -NLE_NOMEM;
	}
	memset(&t, 0, sizeof t);
	t.tcm_family = AF_UNSPEC;
	t.tcm_ifindex = ifindex;
	t.tcm_parent = parent;
	rc = nlmsg_append(msg, &t, sizeof t, NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nl_send_auto(sh->sk, msg);
	nlmsg_free(msg);
	if (rc >= 0) {
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, fn, arg);
		rc = nl_recvmsgs(sh->sk, cb);
	}
	nl_cb_put(cb);
	return rc;
}

static int
tc_attrs(struct nl_msg *msg, int type, struct tcmsg **t, struct nlattr **tb)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	int hdr = (int)sizeof(struct tcmsg);

	if (nlh->nlmsg_type != type || !nlmsg_valid_hdr(nlh, hdr))
		return -1;
	*t = nlmsg_data(nlh);
	return nla_parse(tb, TCA_MAX, nlmsg_attrdata(nlh, hdr), nlmsg_attrlen(nlh, hdr), NULL);
}

static int
qdisc_msg(struct nl_msg *msg, void *arg)
{
	struct ifstate *s = arg;
	struct nlattr *tb[TCA_MAX + 1];
	struct tcmsg *t;
	struct qd *q;

	if (tc_attrs(msg, RTM_NEWQDISC, &t, tb) < 0 || t->tcm_ifindex != s->ifindex
	    || tb[TCA_KIND] == NULL)
		return NL_SKIP;
	if (s->n == QD_MAX) {
		s->overflow = true;
		return NL_SKIP;
	}
	q = &s->q[s->n++];
	memset(q, 0, sizeof *q);
	q->handle = t->tcm_handle;
	q->parent = t->tcm_parent;
	nla_strlcpy(q->kind, tb[TCA_KIND], sizeof q->kind);
	q->has_stab = tb[TCA_STAB] != NULL;
	if (tb[TCA_OPTIONS] != NULL) {
		int len = nla_len(tb[TCA_OPTIONS]);
		if (len > SHAPE_OPTS_MAX)
			q->opts_big = true;
		else {
			q->opts_len = (uint16_t)len;
			memcpy(q->opts, nla_data(tb[TCA_OPTIONS]), (size_t)len);
		}
	}
	return NL_OK;
}

static int
count_msg(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(size_t *)arg)++;
	return NL_OK;
}

static int
link_index(struct shape *sh, const char *ifname, struct rtnl_link **out)
{
	struct rtnl_link *l = NULL;
	int rc, idx;

	rc = rtnl_link_get_kernel(sh->sk, 0, ifname, &l);
	if (rc < 0)
		return rc;
	idx = rtnl_link_get_ifindex(l);
	if (out != NULL)
		*out = l;
	else
		rtnl_link_put(l);
	return idx;
}

static int
if_inspect(struct shape *sh, const char *ifname, struct ifstate *s, struct err *e)
{
	size_t i;
	int rc;

	memset(s, 0, sizeof *s);
	str_copy(s->ifname, ifname, sizeof s->ifname);
	rc = link_index(sh, ifname, NULL);
	if (rc < 0) {
		if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
			return err_set(e, "no network interface named %s (is the domain running?)", ifname);
		return nl_err(e, rc, "cannot look up %s", ifname);
	}
	s->ifindex = rc;
	rc = dump_request(sh, RTM_GETQDISC, s->ifindex, 0, qdisc_msg, s);
	if (rc < 0)
		return nl_err(e, rc, "cannot read the qdiscs of %s", ifname);
	for (i = 0; i < s->n; i++) {
		const struct qd *q = &s->q[i];
		if (q->parent == TC_H_ROOT)
			s->root = q;
		else if (q->parent == TC_H_INGRESS)
			s->ingress = q;
		else if (major(q->handle) != 0)
			s->n_user_children++;
	}
	return 0;
}

/* ---- reading a tbf back ---- */

static bool
tbf_decode(const struct qd *q, struct shape_dir *d)
{
	struct nlattr *tb[TCA_TBF_MAX + 1];
	struct tc_tbf_qopt opt;
	uint64_t rate;

	memset(d, 0, sizeof *d);
	if (strcmp(q->kind, "tbf") != 0 || q->opts_len == 0
	    || nla_parse(tb, TCA_TBF_MAX, (struct nlattr *)q->opts, q->opts_len, NULL) < 0
	    || tb[TCA_TBF_PARMS] == NULL || nla_len(tb[TCA_TBF_PARMS]) < (int)sizeof opt)
		return false;
	memcpy(&opt, nla_data(tb[TCA_TBF_PARMS]), sizeof opt);
	rate = opt.rate.rate;
	if (tb[TCA_TBF_RATE64] != NULL && nla_len(tb[TCA_TBF_RATE64]) >= 8)
		rate = nla_get_u64(tb[TCA_TBF_RATE64]);
	d->rate_bps = rate * 8;
	d->burst_bytes = (uint32_t)((double)rate * (double)((uint64_t)opt.buffer << PSCHED_SHIFT) / 1e9
	                            + 0.5);
	d->limit_bytes = opt.limit;
	return true;
}

/* ---- the ingress side: our filter and where it redirects ---- */

struct ingress_find {
	uint32_t redirect_ifindex;      /* of our filter's mirred action; 0 = none */
	bool ours;                      /* a u32 filter at our prio */
	bool mine;                      /* the ingress qdisc is domtop's: ingress, our filter */
	bool foreign;                   /* an ingress or clsact qdisc domtop did not make */
};

static uint32_t
mirred_target(struct nlattr *acts)
{
	struct nlattr *a;
	int rem;

	nla_for_each_nested(a, acts, rem) {
		struct nlattr *tb[TCA_ACT_MAX + 1], *mb[TCA_MIRRED_MAX + 1];
		struct tc_mirred m;
		char kind[16];

		if (nla_parse_nested(tb, TCA_ACT_MAX, a, NULL) < 0 || tb[TCA_ACT_KIND] == NULL
		    || tb[TCA_ACT_OPTIONS] == NULL)
			continue;
		nla_strlcpy(kind, tb[TCA_ACT_KIND], sizeof kind);
		if (strcmp(kind, "mirred") != 0
		    || nla_parse_nested(mb, TCA_MIRRED_MAX, tb[TCA_ACT_OPTIONS], NULL) < 0
		    || mb[TCA_MIRRED_PARMS] == NULL || nla_len(mb[TCA_MIRRED_PARMS]) < (int)sizeof m)
			continue;
		memcpy(&m, nla_data(mb[TCA_MIRRED_PARMS]), sizeof m);
		if (m.eaction == TCA_EGRESS_REDIR)
			return m.ifindex;
	}
	return 0;
}

static int
filter_msg(struct nl_msg *msg, void *arg)
{
	struct ingress_find *f = arg;
	struct nlattr *tb[TCA_MAX + 1], *ub[TCA_U32_MAX + 1];
	struct tcmsg *t;
	char kind[16];

	if (tc_attrs(msg, RTM_NEWTFILTER, &t, tb) < 0 || tb[TCA_KIND] == NULL
	    || TC_H_MAJ(t->tcm_info) >> 16 != SHAPE_PRIO)
		return NL_SKIP;
	nla_strlcpy(kind, tb[TCA_KIND], sizeof kind);
	if (strcmp(kind, "u32") != 0)
		return NL_SKIP;
	f->ours = true;
	if (tb[TCA_OPTIONS] != NULL && nla_parse_nested(ub, TCA_U32_MAX, tb[TCA_OPTIONS], NULL) == 0
	    && ub[TCA_U32_ACT] != NULL && f->redirect_ifindex == 0)
		f->redirect_ifindex = mirred_target(ub[TCA_U32_ACT]);
	return NL_OK;
}

static int
ingress_find(struct shape *sh, const struct ifstate *s, struct ingress_find *f, struct err *e)
{
	int rc;

	memset(f, 0, sizeof *f);
	if (s->ingress == NULL)
		return 0;
	rc = dump_request(sh, RTM_GETTFILTER, s->ifindex, INGRESS_HANDLE, filter_msg, f);
	if (rc < 0)
		return nl_err(e, rc, "cannot read the ingress filters of %s", s->ifname);
	f->mine = f->ours && strcmp(s->ingress->kind, "ingress") == 0;
	f->foreign = !f->mine;
	return 0;
}

/* Our ifb for a vif, if it exists: its ifindex, or 0; -1 when the name is taken. */
static int
ifb_find(struct shape *sh, const struct ifstate *vif, char name[SHAPE_NAME_MAX])
{
	struct rtnl_link *l = NULL;
	int idx;

	shape_ifb_name(vif->ifname, vif->ifindex, name);
	idx = link_index(sh, name, &l);
	if (idx < 0)
		return 0;
	if (!shape_ours_alias(rtnl_link_get_ifalias(l), vif->ifname))
		idx = -1;
	rtnl_link_put(l);
	return idx;
}

/* ---- status ---- */

static int
status_fill(struct shape *sh, const struct ifstate *s, struct shape_status *st, struct err *e)
{
	struct ingress_find f;
	struct ifstate ifb;
	char name[SHAPE_NAME_MAX];
	int idx;

	memset(st, 0, sizeof *st);
	if (s->root != NULL) {
		str_copy(st->root_kind, s->root->kind, sizeof st->root_kind);
		st->root_handle = s->root->handle;
		if (s->root->handle == SHAPE_HANDLE)
			st->to_guest.active = tbf_decode(s->root, &st->to_guest);
	}
	if (ingress_find(sh, s, &f, e) < 0)
		return -1;
	st->foreign_ingress = f.foreign;
	idx = ifb_find(sh, s, name);
	if (idx <= 0)
		return 0;
	str_copy(st->ifb, name, sizeof st->ifb);
	if (!f.ours || f.redirect_ifindex != (uint32_t)idx)
		return 0;
	if (if_inspect(sh, name, &ifb, e) < 0)
		return -1;
	if (ifb.root != NULL && ifb.root->handle == SHAPE_HANDLE)
		st->from_guest.active = tbf_decode(ifb.root, &st->from_guest);
	return 0;
}

/* The tc state of ifname as it is now, allocated (it is large); NULL on error. */
static struct ifstate *
if_load(struct shape *sh, const char *ifname, struct err *e)
{
	struct ifstate *s = malloc(sizeof *s);

	if (s == NULL) {
		err_set(e, "out of memory reading the qdiscs of %s", ifname);
		return NULL;
	}
	if (if_inspect(sh, ifname, s, e) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

int
shape_read(struct shape *sh, const char *ifname, struct shape_status *st, struct err *e)
{
	struct ifstate *s = if_load(sh, ifname, e);
	int rc;

	if (s == NULL)
		return -1;
	rc = status_fill(sh, s, st, e);
	free(s);
	return rc;
}

/* ---- building our objects with libnl ---- */

struct tbf_params {
	int rate_Bps, burst, limit;
};

static void
tbf_params(const struct shape_spec *spec, struct tbf_params *p)
{
	uint64_t Bps = spec->rate_bps / 8, burst, limit, lat;

	burst = spec->burst_bytes ? spec->burst_bytes : Bps * BURST_MS / 1000;
	if (burst < BURST_MIN && spec->burst_bytes == 0)
		burst = BURST_MIN;
	lat = spec->latency_us ? spec->latency_us : LATENCY_US;
	limit = Bps * lat / 1000000 + burst;
	p->rate_Bps = (int)(Bps > INT32_MAX ? INT32_MAX : Bps);
	p->burst = (int)(burst > INT32_MAX ? INT32_MAX : burst);
	p->limit = (int)(limit > INT32_MAX ? INT32_MAX : limit);
}

/* A qdisc object to add or delete: where it is and its handle; NULL when out of memory. */
static struct rtnl_qdisc *
qdisc_new(int ifindex, uint32_t parent, uint32_t handle)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (q != NULL) {
		rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
		rtnl_tc_set_parent(TC_CAST(q), parent);
		rtnl_tc_set_handle(TC_CAST(q), handle);
	}
	return q;
}

static int
tbf_set(struct shape *sh, int ifindex, const struct tbf_params *p)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, SHAPE_HANDLE);
	int rc;

	if (q == NULL)
		return -NLE_NOMEM;
	rc = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (rc == 0) {
		rtnl_qdisc_tbf_set_rate(q, p->rate_Bps, p->burst, 0);
		rtnl_qdisc_tbf_set_limit(q, p->limit);
		rc = rtnl_qdisc_add(sh->sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	}
	rtnl_qdisc_put(q);
	return rc;
}

static int
tbf_error(struct err *e, int rc, const char *ifname)
{
	return nl_module_err(e, rc, "cannot add a tbf qdisc on %s", ifname,
	                     "the kernel has no tbf (modprobe sch_tbf)");
}

/* Deletes the root qdisc with handle h (the kernel attaches its default). */
static int
root_delete(struct shape *sh, int ifindex, uint32_t h)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, h);
	int rc;

	if (q == NULL)
		return -NLE_NOMEM;
	rc = rtnl_qdisc_delete(sh->sk, q);
	rtnl_qdisc_put(q);
	return rc;
}

/* Adds (add) or deletes the ingress qdisc of ifindex. */
static int
ingress_change(struct shape *sh, int ifindex, bool add)
{
	struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_INGRESS, INGRESS_HANDLE);
	int rc;

	if (q == NULL)
		return -NLE_NOMEM;
	rc = rtnl_tc_set_kind(TC_CAST(q), "ingress");
	if (!add)
		rc = rtnl_qdisc_delete(sh->sk, q);
	else if (rc == 0)
		rc = rtnl_qdisc_add(sh->sk, q, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_qdisc_put(q);
	return rc;
}

/* u32 match-all at our prio, action mirred egress redirect to the ifb. */
static int
redirect_add(struct shape *sh, int ifindex, int ifb_index)
{
	struct rtnl_cls *cls = rtnl_cls_alloc();
	struct rtnl_act *act = rtnl_act_alloc();
	int rc;

	if (cls == NULL || act == NULL) {
		rc = -NLE_NOMEM;
		goto out;
	}
	rtnl_tc_set_ifindex(TC_CAST(cls), ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), INGRESS_HANDLE);
	rc = rtnl_tc_set_kind(TC_CAST(cls), "u32");
	if (rc < 0)
		goto out;
	rtnl_cls_set_prio(cls, SHAPE_PRIO);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	if ((rc = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0)) < 0
	    || (rc = rtnl_u32_set_cls_terminal(cls)) < 0
	    || (rc = rtnl_tc_set_kind(TC_CAST(act), "mirred")) < 0
	    || (rc = rtnl_mirred_set_action(act, TCA_EGRESS_REDIR)) < 0
	    || (rc = rtnl_mirred_set_policy(act, TC_ACT_STOLEN)) < 0
	    || (rc = rtnl_mirred_set_ifindex(act, (uint32_t)ifb_index)) < 0
	    || (rc = rtnl_u32_add_action(cls, act)) < 0)
		goto out;
	rc = rtnl_cls_add(sh->sk, cls, NLM_F_CREATE | NLM_F_EXCL);
out:
	if (act != NULL)
		rtnl_act_put(act);
	if (cls != NULL)
		rtnl_cls_put(cls);
	return rc;
}

/* Creates the ifb, up, with our alias. Returns its ifindex or a -NLE code. */
static int
ifb_create(struct shape *sh, const char *name, const char *vif)
{
	struct rtnl_link *l = rtnl_link_alloc(), *chg = rtnl_link_alloc(), *got = NULL;
	char alias[64];
	int rc;

	if (l == NULL || chg == NULL) {
		rc = -NLE_NOMEM;
		goto out;
	}
	snprintf(alias, sizeof alias, "%s%s", SHAPE_ALIAS, vif);
	rtnl_link_set_name(l, name);
	if ((rc = rtnl_link_set_type(l, "ifb")) < 0)
		goto out;
	rtnl_link_set_flags(l, IFF_UP);
	rc = rtnl_link_add(sh->sk, l, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0)
		goto out;
	rc = link_index(sh, name, &got);
	if (rc < 0)
		goto out;
	rtnl_link_set_ifalias(chg, alias);
	rc = rtnl_link_change(sh->sk, got, chg, 0);
	if (rc >= 0)
		rc = rtnl_link_get_ifindex(got);
out:
	if (got != NULL)
		rtnl_link_put(got);
	if (chg != NULL)
		rtnl_link_put(chg);
	if (l != NULL)
		rtnl_link_put(l);
	return rc;
}

static int
ifb_delete(struct shape *sh, const char *name)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int rc;

	if (l == NULL)
		return -NLE_NOMEM;
	rtnl_link_set_name(l, name);
	rc = rtnl_link_delete(sh->sk, l);
	rtnl_link_put(l);
	return rc;
}

/* ---- saving and restoring the root qdisc ---- */

static bool
kind_in(const char *kind, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(kind, *list) == 0)
			return true;
	return false;
}

/* Kinds whose dumped options recreate them exactly. */
static const char *const restorable[] = {
	"tbf", "htb", "pfifo", "bfifo", "pfifo_fast", "pfifo_head_drop", "fq_codel", "fq",
	"codel", "sfq", "pie", "fq_pie", "cake", NULL,
};
/* Classful kinds whose classes and filters undo would lose. */
static const char *const with_classes[] = { "htb", "hfsc", "drr", "qfq", "cbq", "ets", NULL };

static int
root_check(struct shape *sh, const struct ifstate *s, struct err *e)
{
	const struct qd *r = s->root;
	size_t n_cls = 0, n_flt = 0;

	if (s->overflow || s->n_user_children > 0)
		return err_set(e, "%s has a tree of qdiscs under its root; domtop saves and restores "
		               "only a single root qdisc: remove the tree first, or shape it with tc",
		               s->ifname);
	if (r == NULL || major(r->handle) == 0)
		return 0;               /* the kernel's default: restored by deleting ours */
	if (!kind_in(r->kind, restorable))
		return err_set(e, "%s has a %s root qdisc, which domtop cannot recreate exactly on undo: "
		               "remove it first, or shape it with tc", s->ifname, r->kind);
	if (r->has_stab || r->opts_big)
		return err_set(e, "%s's %s root qdisc has a size table or options domtop cannot save: "
		               "remove it first, or shape it with tc", s->ifname, r->kind);
	if (kind_in(r->kind, with_classes))
		dump_request(sh, RTM_GETTCLASS, s->ifindex, r->handle, count_msg, &n_cls);
	dump_request(sh, RTM_GETTFILTER, s->ifindex, r->handle, count_msg, &n_flt);
	if (n_cls > 0 || n_flt > 0)
		return err_set(e, "%s's %s root qdisc has %zu classes and %zu filters; undo would lose "
		               "them: remove them first, or shape it with tc", s->ifname, r->kind,
		               n_cls, n_flt);
	return 0;
}

static void
root_save(const struct ifstate *s, struct shape_saved *sv)
{
	const struct qd *r = s->root;

	sv->root_saved = true;
	sv->root_default = r == NULL || major(r->handle) == 0;
	sv->kind[0] = '\0';
	sv->handle = 0;
	sv->opts_len = 0;
	if (sv->root_default) {
		if (r != NULL)
			str_copy(sv->kind, r->kind, sizeof sv->kind);
		return;
	}
	str_copy(sv->kind, r->kind, sizeof sv->kind);
	sv->handle = r->handle;
	sv->opts_len = r->opts_len;
	memcpy(sv->opts, r->opts, r->opts_len);
}

/*
 * htb dumps its version as HTB_VER (3.17) but accepts only the major number
 * (3) on creation: fix that one field in a copy of the options.
 */
static void
htb_fixup(unsigned char *opts, uint16_t len)
{
	struct nlattr *tb[TCA_HTB_MAX + 1];
	struct tc_htb_glob g;

	if (nla_parse(tb, TCA_HTB_MAX, (struct nlattr *)opts, len, NULL) < 0
	    || tb[TCA_HTB_INIT] == NULL || nla_len(tb[TCA_HTB_INIT]) < (int)sizeof g)
		return;
	memcpy(&g, nla_data(tb[TCA_HTB_INIT]), sizeof g);
	if (g.version > 0xffff)
		g.version >>= 16;
	memcpy(nla_data(tb[TCA_HTB_INIT]), &g, sizeof g);
}

/* RTM_NEWQDISC from the saved kind, handle and options (tc qdisc replace). */
static int
root_recreate(struct shape *sh, int ifindex, const struct shape_saved *sv)
{
	unsigned char opts[SHAPE_OPTS_MAX];
	struct nl_msg *msg;
	struct tcmsg t;
	int rc;

	msg = nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE);
	if (msg == NULL)
		return -NLE_NOMEM;
	memset(&t, 0, sizeof t);
	t.tcm_family = AF_UNSPEC;
	t.tcm_ifindex = ifindex;
	t.tcm_handle = sv->handle;
	t.tcm_parent = TC_H_ROOT;
	memcpy(opts, sv->opts, sv->opts_len);
	if (strcmp(sv->kind, "htb") == 0)
		htb_fixup(opts, sv->opts_len);
	rc = nlmsg_append(msg, &t, sizeof t, NLMSG_ALIGNTO);
	if (rc == 0)
		rc = nla_put_string(msg, TCA_KIND, sv->kind);
	if (rc == 0 && sv->opts_len > 0)
		rc = nla_put(msg, TCA_OPTIONS, sv->opts_len, opts);
	if (rc < 0) {
		nlmsg_free(msg);
		return rc;
	}
	return nl_send_sync(sh->sk, msg);   /* frees msg, waits for the ack */
}

/* ---- one direction at a time ---- */

static int
to_guest_apply(struct shape *sh, const struct ifstate *s, const struct tbf_params *p,
               struct shape_saved *sv, bool *changed, struct err *e)
{
	bool ours = s->root != NULL && s->root->handle == SHAPE_HANDLE
	            && strcmp(s->root->kind, "tbf") == 0;
	int rc;

	*changed = false;
	if (!ours) {
		if (root_check(sh, s, e) < 0)
			return -1;
		root_save(s, sv);
	}
	rc = tbf_set(sh, s->ifindex, p);
	if (rc < 0)
		return tbf_error(e, rc, s->ifname);
	*changed = !ours;
	return 0;
}

/* Puts the saved root back (or the kernel default); our tbf must be the root now. */
static int
root_restore(struct shape *sh, const struct ifstate *s, const struct shape_saved *sv,
             struct err *e)
{
	int rc;

	if (sv != NULL && sv->root_saved && !sv->root_default) {
		rc = root_recreate(sh, s->ifindex, sv);
		if (rc < 0)
			return nl_err(e, rc, "cannot restore the previous root qdisc of %s", s->ifname);
		return 0;
	}
	rc = root_delete(sh, s->ifindex, SHAPE_HANDLE);
	if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
		return nl_err(e, rc, "cannot remove the tbf qdisc of %s", s->ifname);
	return 0;
}

static int
to_guest_undo(struct shape *sh, const struct ifstate *s, const struct shape_saved *sv,
              struct err *e)
{
	if (s->root == NULL || s->root->handle != SHAPE_HANDLE)
		return 0;               /* not throttled by domtop (or changed by someone since) */
	return root_restore(sh, s, sv, e);
}

static int
ifb_error(struct err *e, int rc, const char *name)
{
	if (rc == -NLE_EXIST)
		return err_set(e, "cannot create ifb device %s: the name is taken", name);
	return nl_module_err(e, rc, "cannot create ifb device %s", name,
	                     "module ifb not loaded (modprobe ifb)");
}

/* Builds ifb + tbf + ingress + filter; on failure removes what it made. */
static int
from_guest_build(struct shape *sh, const struct ifstate *s, const char *ifb,
                 const struct tbf_params *p, struct err *e)
{
	int idx, rc;

	idx = ifb_create(sh, ifb, s->ifname);
	if (idx < 0)
		return ifb_error(e, idx, ifb);
	rc = tbf_set(sh, idx, p);
	if (rc < 0) {
		tbf_error(e, rc, ifb);
		goto undo_ifb;
	}
	rc = ingress_change(sh, s->ifindex, true);
	if (rc < 0) {
		nl_module_err(e, rc, "cannot add an ingress qdisc on %s", s->ifname,
		              "the kernel lacks sch_ingress (modprobe sch_ingress)");
		goto undo_ifb;
	}
	rc = redirect_add(sh, s->ifindex, idx);
	if (rc < 0) {
		nl_module_err(e, rc, "cannot redirect the ingress of %s to its ifb", s->ifname,
		              "the kernel lacks the u32 filter or the mirred action "
		              "(modprobe cls_u32 act_mirred)");
		ingress_change(sh, s->ifindex, false);
		goto undo_ifb;
	}
	return 0;
undo_ifb:
	ifb_delete(sh, ifb);
	return -1;
}

/* Can the from-guest side be built or changed? Fills f and the ifb's name and index. */
static int
from_guest_check(struct shape *sh, const struct ifstate *s, struct ingress_find *f,
                 char ifb[SHAPE_NAME_MAX], int *idx, struct err *e)
{
	if (ingress_find(sh, s, f, e) < 0)
		return -1;
	*idx = ifb_find(sh, s, ifb);
	if (*idx < 0)
		return err_set(e, "cannot shape traffic from the guest on %s: an interface named %s "
		               "exists and was not made by domtop; rename or delete it", s->ifname, ifb);
	if (f->foreign)
		return err_set(e, "cannot shape traffic from the guest on %s: it has an %s qdisc "
		               "domtop did not make; remove it first (tc qdisc del dev %s %s)",
		               s->ifname, s->ingress->kind, s->ifname, s->ingress->kind);
	return 0;
}

static int
from_guest_apply(struct shape *sh, const struct ifstate *s, const struct tbf_params *p,
                 struct shape_saved *sv, bool *changed, struct err *e)
{
	struct ingress_find f;
	char ifb[SHAPE_NAME_MAX];
	int idx, rc;

	*changed = false;
	if (from_guest_check(sh, s, &f, ifb, &idx, e) < 0)
		return -1;
	if (s->ingress != NULL) {
		if (idx > 0 && f.redirect_ifindex == (uint32_t)idx) {
			rc = tbf_set(sh, idx, p);          /* our throttle: new rate in place */
			return rc < 0 ? tbf_error(e, rc, ifb) : 0;
		}
		/* ours but broken (ifb gone): rebuild it */
		ingress_change(sh, s->ifindex, false);
	}
	if (idx > 0)
		ifb_delete(sh, ifb);    /* left over from an earlier run */
	if (from_guest_build(sh, s, ifb, p, e) < 0)
		return -1;
	sv->from_made = true;
	*changed = true;
	return 0;
}

static int
from_guest_undo(struct shape *sh, const struct ifstate *s, struct err *e)
{
	struct ingress_find f;
	char ifb[SHAPE_NAME_MAX];
	int idx, rc;

	if (ingress_find(sh, s, &f, e) < 0)
		return -1;
	idx = ifb_find(sh, s, ifb);
	if (f.mine) {
		rc = ingress_change(sh, s->ifindex, false);
		if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
			return nl_err(e, rc, "cannot remove the ingress qdisc of %s", s->ifname);
	}
	if (idx > 0) {
		rc = ifb_delete(sh, ifb);
		if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
			return nl_err(e, rc, "cannot delete the ifb device %s", ifb);
	}
	return 0;
}

/*
 * After a failed from-guest step: lift a to-guest throttle this call made,
 * or put back the rate of the one it changed. Adds to e when that fails too.
 */
static void
to_guest_revert(struct shape *sh, const struct ifstate *s, const struct shape_saved *sv,
                bool made, struct err *e)
{
	char first[ERR_MSG_MAX];
	struct shape_dir old;
	struct tbf_params p;
	struct err e2;
	int rc = 0;

	if (made)
		rc = root_restore(sh, s, sv, &e2);
	else if (s->root != NULL && tbf_decode(s->root, &old)) {
		p.rate_Bps = (int)(old.rate_bps / 8);
		p.burst = (int)old.burst_bytes;
		p.limit = (int)old.limit_bytes;
		if ((rc = tbf_set(sh, s->ifindex, &p)) < 0)
			nl_err(&e2, rc, "cannot set the previous rate on %s again", s->ifname);
	}
	if (rc < 0) {
		str_copy(first, e->msg, sizeof first);
		err_set(e, "%s; and the to-guest side could not be put back: %s", first, e2.msg);
	}
}

/* ---- the public calls ---- */

/* What shape_apply and shape_undo check first: the directions, and that saved is ifname's. */
static int
args_check(const char *ifname, unsigned dirs, const struct shape_saved *saved, struct err *e)
{
	if ((dirs & SHAPE_BOTH) == 0 || (dirs & ~(unsigned)SHAPE_BOTH) != 0)
		return err_set(e, "bad throttle direction %u (to the guest, from the guest, or both)", dirs);
	if (saved != NULL && saved->ifname[0] != '\0' && strcmp(saved->ifname, ifname) != 0)
		return err_set(e, "internal: the saved state of %s was passed for %s", saved->ifname, ifname);
	return 0;
}

/* Reads the result of a change back into st (when not NULL); done says what was done. */
static int
reread(struct shape *sh, const char *ifname, struct shape_status *st, const char *done,
       struct err *e)
{
	if (st == NULL)
		return 0;
	if (shape_read(sh, ifname, st, e) < 0)
		return err_prefix(e, "%s, but cannot read the result back", done);
	return 0;
}

int
shape_apply(struct shape *sh, const char *ifname, unsigned dirs, const struct shape_spec *spec,
            struct shape_saved *saved, struct shape_status *st, struct err *e)
{
	struct shape_saved before;
	struct tbf_params p;
	struct ifstate *s;
	bool to_changed = false, from_changed = false, to_done = false;
	int rc = -1;

	if (args_check(ifname, dirs, saved, e) < 0)
		return -1;
	if (spec->rate_bps < SHAPE_RATE_MIN || spec->rate_bps > SHAPE_RATE_MAX)
		return err_set(e, "rate %" PRIu64 " bit/s is out of range (8kbit to 17gbit)", spec->rate_bps);
	if ((s = if_load(sh, ifname, e)) == NULL)
		return -1;
	before = *saved;
	tbf_params(spec, &p);
	if (dirs & SHAPE_FROM_GUEST) {     /* refuse before changing anything */
		struct ingress_find f;
		char ifb[SHAPE_NAME_MAX];
		int idx;
		if (from_guest_check(sh, s, &f, ifb, &idx, e) < 0)
			goto out;
	}
	str_copy(saved->ifname, ifname, sizeof saved->ifname);
	if (dirs & SHAPE_TO_GUEST) {
		if (to_guest_apply(sh, s, &p, saved, &to_changed, e) < 0)
			goto fail;
		to_done = true;
	}
	if ((dirs & SHAPE_FROM_GUEST) && from_guest_apply(sh, s, &p, saved, &from_changed, e) < 0) {
		if (to_done)
			to_guest_revert(sh, s, saved, to_changed, e);
		goto fail;
	}
	rc = reread(sh, ifname, st, "applied", e);
	goto out;
fail:
	*saved = before;
out:
	free(s);
	return rc;
}

/*
 * The vif is gone (the domain stopped): its qdiscs went with it, but the ifb
 * made for it stays. Finds it by its alias, whatever its name, and deletes it.
 */
static int
vif_gone_undo(struct shape *sh, const char *vif, unsigned dirs, struct shape_status *st,
              struct err *e)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int rc;

	if (st != NULL)
		memset(st, 0, sizeof *st);
	if (!(dirs & SHAPE_FROM_GUEST))
		return 0;
	rc = rtnl_link_alloc_cache(sh->sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return nl_err(e, rc, "cannot list the interfaces to find the ifb of %s", vif);
	for (o = nl_cache_get_first(cache); o != NULL && rc >= 0; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		if (shape_ours_alias(rtnl_link_get_ifalias(l), vif)) {
			rc = ifb_delete(sh, rtnl_link_get_name(l));
			if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
				rc = 0;
		}
	}
	nl_cache_free(cache);
	if (rc < 0)
		return nl_err(e, rc, "cannot delete the ifb device of %s", vif);
	return 0;
}

int
shape_undo(struct shape *sh, const char *ifname, unsigned dirs, const struct shape_saved *saved,
           struct shape_status *st, struct err *e)
{
	struct ifstate *s;
	int rc = -1;

	if (args_check(ifname, dirs, saved, e) < 0)
		return -1;
	rc = link_index(sh, ifname, NULL);
	if (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV)
		return vif_gone_undo(sh, ifname, dirs, st, e);
	rc = -1;
	if ((s = if_load(sh, ifname, e)) == NULL)
		return -1;
	if ((dirs & SHAPE_TO_GUEST) && to_guest_undo(sh, s, saved, e) < 0)
		goto out;
	if ((dirs & SHAPE_FROM_GUEST) && from_guest_undo(sh, s, e) < 0)
		goto out;
	rc = reread(sh, ifname, st, "undone", e);
out:
	free(s);
	return rc;
}

/* ---- saved state as text ---- */

int
shape_saved_format(const struct shape_saved *s, char *buf, size_t len)
{
	unsigned flags = (s->root_saved ? 1u : 0u) | (s->root_default ? 2u : 0u)
	                 | (s->from_made ? 4u : 0u);
	size_t off;
	int n;

	n = snprintf(buf, len, "shape-saved 1 %s %x %s %x ", s->ifname[0] ? s->ifname : "-",
	             flags, s->kind[0] ? s->kind : "-", (unsigned)s->handle);
	if (n < 0 || (size_t)n >= len)
		return -1;
	off = (size_t)n;
	if (s->opts_len == 0) {
		if (off + 2 > len)
			return -1;
		buf[off++] = '-';
	}
	for (size_t i = 0; i < s->opts_len && i < SHAPE_OPTS_MAX; i++) {
		if (off + 3 > len)
			return -1;
		snprintf(buf + off, 3, "%02x", s->opts[i]);
		off += 2;
	}
	buf[off] = '\0';
	return (int)off;
}

static bool
token_ok(const char *t, size_t max)
{
	size_t n = strlen(t);

	if (n == 0 || n >= max)
		return false;
	for (; *t; t++)
		if (!isgraph((unsigned char)*t) || *t == '/' || *t == ':')
			return false;
	return true;
}

int
shape_saved_parse(const char *text, struct shape_saved *s, struct err *e)
{
	char name[SHAPE_NAME_MAX + 8], kind[SHAPE_KIND_MAX + 8], hex[2 * SHAPE_OPTS_MAX + 8];
	unsigned flags, handle, version;
	size_t n, i;

	memset(s, 0, sizeof *s);
	if (sscanf(text, "shape-saved %u %23s %x %23s %x %1031s", &version, name, &flags, kind,
	           &handle, hex) != 6 || version != 1)
		return err_set(e, "bad saved throttle state \"%.60s\": expected \"shape-saved 1 ...\"", text);
	if (!token_ok(name, SHAPE_NAME_MAX) || !token_ok(kind, SHAPE_KIND_MAX) || flags > 7)
		return err_set(e, "bad saved throttle state \"%.60s\": bad interface, kind or flags", text);
	n = strcmp(hex, "-") == 0 ? 0 : strlen(hex);
	if (n % 2 != 0 || n / 2 > SHAPE_OPTS_MAX || strspn(hex, "0123456789abcdefABCDEF") != n)
		return err_set(e, "bad saved throttle state \"%.60s\": bad options", text);
	if (strcmp(name, "-") != 0)
		str_copy(s->ifname, name, sizeof s->ifname);
	if (strcmp(kind, "-") != 0)
		str_copy(s->kind, kind, sizeof s->kind);
	s->root_saved = flags & 1;
	s->root_default = flags & 2;
	s->from_made = flags & 4;
	s->handle = handle;
	s->opts_len = (uint16_t)(n / 2);
	for (i = 0; i < s->opts_len; i++) {
		unsigned b;
		sscanf(hex + 2 * i, "%2x", &b);
		s->opts[i] = (unsigned char)b;
	}
	return 0;
}

/* ---- life cycle ---- */

int
shape_open(struct shape **out, struct err *e)
{
	struct shape *sh;
	int rc;

	*out = NULL;
	sh = calloc(1, sizeof *sh);
	if (sh == NULL)
		return err_set(e, "out of memory for the shaper");
	sh->sk = nl_socket_alloc();
	if (sh->sk == NULL) {
		free(sh);
		return err_set(e, "out of memory for a netlink socket");
	}
	rc = nl_connect(sh->sk, NETLINK_ROUTE);
	if (rc < 0) {
		shape_close(sh);
		return err_set(e, "cannot open a NETLINK_ROUTE socket: %s", nl_geterror(rc));
	}
	*out = sh;
	return 0;
}

void
shape_close(struct shape *sh)
{
	if (sh == NULL)
		return;
	nl_socket_free(sh->sk);
	free(sh);
}
