/*
 * fuzz_xen_qmp.c: libFuzzer target of xen_qmp_parse_blockstats
 * (backend/xen_qmp.h), which reads the query-blockstats reply of the qemu
 * that serves a guest's qdisk: its text comes from a process the guest talks
 * to, so it is outside input.
 *
 * Input: the reply, as a string. It is parsed into arrays of exactly max
 * disks on the heap (ASan sees a write past max), for max = 0, the number of
 * disks in the reply, and one less. The expected result is worked out here,
 * from jansson's tree of the same text, by rules written from the header:
 * Properties: a reply that is not JSON (duplicate keys included), not an
 * object, or has no "return" array is refused with a sanitised message,
 * which holds QMP's error "desc" (sanitised) when there is one, and *n is
 * 0; otherwise *n is the number of "return" entries that are objects with a "stats" object, at
 * most max, and a smaller max gives a prefix of the same disks; each disk
 * has terminated names: "device" and "node-name" as given (cut to fit),
 * "qdev" the last element of its path that is not "virtio-backend"; its
 * counters are the JSON integers as given (0 when missing, negative or not
 * an integer). Round trip: the disks written back as a canonical reply
 * (by a writer of this file, not jansson's) parse to the same disks.
 */
#include <jansson.h>

#include "backend/str.h"
#include "backend/xen_qmp.h"
#include "tests/fuzz/fuzz.h"

#define DESC_CHECK 400          /* the part of QMP's "desc" that must fit in the message */

/* A JSON string member of obj as a C string, or NULL. */
static const char *
member_str(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A counter as the header promises it: the integer when positive, else 0. */
static uint64_t
member_count(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	return (uint64_t)json_integer_value(v);
}

/* Whether d's name field holds exactly the first NAME_MAX-1 bytes of want. */
static bool
same_name(const char *got, const char *want, size_t wantlen)
{
	size_t keep = wantlen < XEN_QMP_NAME_MAX - 1 ? wantlen : XEN_QMP_NAME_MAX - 1;

	return strlen(got) == keep && memcmp(got, want, keep) == 0;
}

/*
 * The expected qdev of a QOM path: its last '/'-separated, non-empty element
 * that is not "virtio-backend", into *at and *len. False when there is none
 * (then the header says nothing: "" or "virtio-backend" are both taken).
 */
static bool
expected_qdev(const char *path, const char **at, size_t *len)
{
	bool found = false;
	const char *p = path;

	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if (n > 0 && !(n == 14 && memcmp(p, "virtio-backend", 14) == 0)) {
			*at = p;
			*len = n;
			found = true;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return found;
}

static void
check_disk(const struct xen_qmp_disk *d, json_t *dev, size_t i, const char *text)
{
	json_t *stats = json_object_get(dev, "stats");
	const char *want, *at = NULL;
	size_t len = 0;

	FUZZ_CHECK(fuzz_terminated(d->device, sizeof d->device) &&
	           fuzz_terminated(d->qdev, sizeof d->qdev) &&
	           fuzz_terminated(d->node, sizeof d->node), "disk %zu: a name is unterminated", i);
	want = member_str(dev, "device");
	FUZZ_CHECK(same_name(d->device, want ? want : "", want ? strlen(want) : 0),
	           "disk %zu: device '%s', want '%.80s', from '%s'", i, d->device, want ? want : "",
	           text);
	want = member_str(dev, "node-name");
	FUZZ_CHECK(same_name(d->node, want ? want : "", want ? strlen(want) : 0),
	           "disk %zu: node '%s', want '%.80s', from '%s'", i, d->node, want ? want : "", text);
	want = member_str(dev, "qdev");
	if (want != NULL && expected_qdev(want, &at, &len))
		FUZZ_CHECK(same_name(d->qdev, at, len), "disk %zu: qdev '%s' of path '%s', want '%.*s'",
		           i, d->qdev, want, (int)len, at);
	else if (want != NULL)
		FUZZ_CHECK(strcmp(d->qdev, "") == 0 || strcmp(d->qdev, "virtio-backend") == 0,
		           "disk %zu: qdev '%s' from a path of no element but virtio-backend, '%s'", i,
		           d->qdev, want);
	else
		FUZZ_CHECK(d->qdev[0] == '\0', "disk %zu: qdev '%s' without a qdev string", i, d->qdev);
	FUZZ_CHECK(d->rd_bytes == member_count(stats, "rd_bytes") &&
	           d->wr_bytes == member_count(stats, "wr_bytes") &&
	           d->rd_ops == member_count(stats, "rd_operations") &&
	           d->wr_ops == member_count(stats, "wr_operations"),
	           "disk %zu: counters %llu %llu %llu %llu differ from the JSON's, from '%s'", i,
	           (unsigned long long)d->rd_bytes, (unsigned long long)d->wr_bytes,
	           (unsigned long long)d->rd_ops, (unsigned long long)d->wr_ops, text);
}

static bool
same_disk(const struct xen_qmp_disk *a, const struct xen_qmp_disk *b)
{
	return strcmp(a->device, b->device) == 0 && strcmp(a->qdev, b->qdev) == 0 &&
	       strcmp(a->node, b->node) == 0 && a->rd_bytes == b->rd_bytes &&
	       a->wr_bytes == b->wr_bytes && a->rd_ops == b->rd_ops && a->wr_ops == b->wr_ops;
}

/* Parses text into a heap array of exactly max disks; returns it, *rc and *n. */
static struct xen_qmp_disk *
parse(const char *text, size_t max, int *rc, size_t *n, struct err *e)
{
	struct xen_qmp_disk *d = malloc(max * sizeof *d);

	if (d == NULL && max > 0)
		abort();
	*n = 12345;
	e->msg[0] = '\0';
	*rc = xen_qmp_parse_blockstats(text, d, max, n, e);
	FUZZ_CHECK(*rc == 0 || *rc == -1, "returned %d", *rc);
	return d;
}

/* Appends a JSON string of s to buf; false when s is not valid UTF-8. */
static bool
put_json_string(char *buf, size_t size, const char *s)
{
	size_t at = strlen(buf);
	const unsigned char *p = (const unsigned char *)s;

	buf[at++] = '"';
	while (*p != '\0') {
		uint32_t cp;
		size_t k = fuzz_utf8_len(p, &cp);
		if (k == 0)
			return false;
		if (cp == '"' || cp == '\\')
			at += (size_t)snprintf(buf + at, size - at, "\\%c", (char)cp);
		else if (cp < 0x20)
			at += (size_t)snprintf(buf + at, size - at, "\\u%04x", (unsigned)cp);
		else {
			memcpy(buf + at, p, k);
			at += k;
		}
		p += k;
	}
	buf[at++] = '"';
	buf[at] = '\0';
	return true;
}

/* The disks as qemu would send them; false when a name cannot be JSON. */
static bool
canonical_reply(const struct xen_qmp_disk *d, size_t n, char **out)
{
	/* per disk: three names of up to 63 bytes, 6 bytes each escaped, and the rest */
	size_t size = 64 + n * (3 * 6 * XEN_QMP_NAME_MAX + 512);
	char *buf = malloc(size);

	if (buf == NULL)
		abort();
	strcpy(buf, "{\"return\": [");
	for (size_t i = 0; i < n; i++) {
		strcat(buf, i ? ", {\"device\": " : "{\"device\": ");
		if (!put_json_string(buf, size, d[i].device))
			goto bad;
		strcat(buf, ", \"qdev\": ");
		if (!put_json_string(buf, size, d[i].qdev))
			goto bad;
		strcat(buf, ", \"node-name\": ");
		if (!put_json_string(buf, size, d[i].node))
			goto bad;
		snprintf(buf + strlen(buf), size - strlen(buf),
		         ", \"stats\": {\"rd_bytes\": %llu, \"wr_bytes\": %llu, \"rd_operations\": %llu, "
		         "\"wr_operations\": %llu, \"flush_operations\": 0}}",
		         (unsigned long long)d[i].rd_bytes, (unsigned long long)d[i].wr_bytes,
		         (unsigned long long)d[i].rd_ops, (unsigned long long)d[i].wr_ops);
	}
	strcat(buf, "]}\r");
	*out = buf;
	return true;
bad:
	free(buf);
	return false;
}

static void
check_round_trip(const struct xen_qmp_disk *d, size_t n)
{
	struct xen_qmp_disk *again;
	struct err e;
	size_t n2;
	char *text;
	int rc;

	if (!canonical_reply(d, n, &text))
		return;       /* a name cut inside a UTF-8 sequence cannot be written as JSON */
	again = parse(text, n, &rc, &n2, &e);
	FUZZ_CHECK(rc == 0 && n2 == n, "canonical reply refused or short (%d, %zu of %zu: %s): '%s'",
	           rc, n2, n, e.msg, text);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(same_disk(&d[i], &again[i]), "disk %zu reads back otherwise from '%s'", i,
		           text);
	free(again);
	free(text);
}

static void
check_refused(const char *text, json_t *root)
{
	const char *desc = member_str(json_object_get(root, "error"), "desc");
	char clean[ERR_MSG_MAX];
	struct xen_qmp_disk *d;
	struct err e;
	size_t n;
	int rc;

	d = parse(text, 4, &rc, &n, &e);
	FUZZ_CHECK(rc == -1, "'%s' is not a reply with a \"return\" list, yet accepted", text);
	FUZZ_CHECK(n == 0, "refused '%s' with *n = %zu", text, n);
	FUZZ_CHECK(e.msg[0] != '\0', "'%s' refused without a message", text);
	FUZZ_CHECK(str_sanitize(clean, sizeof clean, e.msg), "message '%s' is not sanitised", e.msg);
	if (desc != NULL) {
		size_t keep;

		str_sanitize(clean, sizeof clean, desc);
		keep = strlen(clean) < DESC_CHECK ? strlen(clean) : DESC_CHECK;
		FUZZ_CHECK(memmem(e.msg, strlen(e.msg), clean, keep) != NULL,
		           "QMP's error '%.80s' is not in the message '%s'", clean, e.msg);
	}
	free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *ret, *dev;
	json_t **disks = NULL;
	struct xen_qmp_disk *all, *fewer, *none;
	size_t total = 0, ndev = 0, i, n;
	struct err e;
	int rc;

	ret = json_object_get(root, "return");
	if (!json_is_array(ret)) {
		check_refused(text, root);
		goto out;
	}
	disks = calloc(json_array_size(ret) + 1, sizeof *disks);
	if (disks == NULL)
		abort();
	json_array_foreach(ret, i, dev)
		if (json_is_object(dev) && json_is_object(json_object_get(dev, "stats")))
			disks[total++] = dev;
	ndev = json_array_size(ret);

	all = parse(text, total, &rc, &n, &e);
	FUZZ_CHECK(rc == 0, "reply of %zu entries refused: %s", ndev, e.msg);
	FUZZ_CHECK(n == total && n <= ndev, "%zu disks of %zu entries, want %zu, from '%s'", n, ndev,
	           total, text);
	for (i = 0; i < n; i++)
		check_disk(&all[i], disks[i], i, text);
	check_round_trip(all, n);

	none = parse(text, 0, &rc, &n, &e);
	FUZZ_CHECK(rc == 0 && n == 0, "max 0: rc %d, %zu disks", rc, n);
	free(none);
	if (total > 0) {
		fewer = parse(text, total - 1, &rc, &n, &e);
		FUZZ_CHECK(rc == 0 && n == total - 1, "max %zu: rc %d, %zu disks", total - 1, rc, n);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(same_disk(&fewer[i], &all[i]), "max %zu: disk %zu differs", total - 1, i);
		free(fewer);
	}
	free(all);
out:
	free(disks);
	json_decref(root);
	free(text);
	return 0;
}
