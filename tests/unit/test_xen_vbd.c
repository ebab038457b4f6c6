/*
 * test_xen_vbd.c: the qdisk path of the vbd cache (backend/xen_vbd.c) on a
 * fake xenstore, a fake /proc and a fake qemu QMP socket: qdisks listed from
 * dom0's backend/qdisk, the qemu found through device-model-pid and checked
 * against its command line, its threads' IO delay counted once per domain,
 * its counters read over QMP and kept when QMP fails, a reused pid dropped,
 * a guest's rewritten frontend "backend" key ignored; and the IO priority
 * set on every thread of a backend process.
 *
 * The fake xenstore replaces libxenstore's xs_read and xs_directory for this
 * program only: xen_xs.c calls them with the handle given to the cache,
 * which here points to a table of keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/testdir.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "backend/str.h"
#include "backend/xen_map.h"
#include "backend/xen_vbd.h"

/* ---- a fake xenstore: a NULL-terminated list of path, value pairs ---- */

struct fake_xs {
	const char *const *kv;
};

void *
xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *len)
{
	const struct fake_xs *xs = (const struct fake_xs *)h;

	(void)t;
	for (size_t i = 0; xs->kv[i] != NULL; i += 2)
		if (strcmp(xs->kv[i], path) == 0) {
			if (len != NULL)
				*len = (unsigned)strlen(xs->kv[i + 1]);
			return strdup(xs->kv[i + 1]);
		}
	return NULL;
}

/* The names right under path, as libxenstore returns them: one block the caller frees. */
char **
xs_directory(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned int *num)
{
	const struct fake_xs *xs = (const struct fake_xs *)h;
	const char *names[64];
	size_t n = 0, plen = strlen(path), bytes = 0;
	char **out, *p;

	(void)t;
	for (size_t i = 0; xs->kv[i] != NULL && n < 64; i += 2) {
		const char *k = xs->kv[i], *name;
		size_t j, l;
		if (strncmp(k, path, plen) != 0 || k[plen] != '/')
			continue;
		name = k + plen + 1;
		l = strcspn(name, "/");
		for (j = 0; j < n; j++)
			if (strcspn(names[j], "/") == l && strncmp(names[j], name, l) == 0)
				break;
		if (j == n)
			names[n++] = name;
	}
	if (n == 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		bytes += strcspn(names[i], "/") + 1;
	out = malloc(n * sizeof *out + bytes);
	assert_non_null(out);
	p = (char *)(out + n);
	for (size_t i = 0; i < n; i++) {
		size_t l = strcspn(names[i], "/");
		memcpy(p, names[i], l);
		p[l] = '\0';
		out[i] = p;
		p += l + 1;
	}
	*num = (unsigned)n;
	return out;
}

/* ---- a fake /proc ---- */

static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void
mkdir_p(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

/* A stat line: field 22 (start time) = start, field 42 (blkio ticks) = ticks. */
static void
stat_text(char *buf, size_t len, int pid, unsigned start, unsigned ticks)
{
	size_t n = (size_t)snprintf(buf, len, "%d (xen-qemu-system) S", pid);

	for (int f = 4; f <= 52; f++)
		n += (size_t)snprintf(buf + n, len - n, " %u", f == 22 ? start : f == 42 ? ticks : 0u);
	snprintf(buf + n, len - n, "\n");
}

/* Thread tid of process pid; tid == pid also writes the process's own files. */
static void
fake_thread(const char *root, int pid, int tid, unsigned start, unsigned ticks)
{
	char path[600], line[1024];

	stat_text(line, sizeof line, tid, start, ticks);
	snprintf(path, sizeof path, "%s/%d/task/%d", root, pid, tid);
	mkdir_p(path);
	snprintf(path, sizeof path, "%s/%d/task/%d/stat", root, pid, tid);
	write_bytes(path, line, strlen(line));
	if (tid == pid) {
		snprintf(path, sizeof path, "%s/%d/stat", root, pid);
		write_bytes(path, line, strlen(line));
	}
}

static void
fake_cmdline(const char *root, int pid, const char *args, size_t len)
{
	char path[600];

	snprintf(path, sizeof path, "%s/%d/cmdline", root, pid);
	write_bytes(path, args, len);
}

/* ---- a fake qemu on qmp-5 in the test dir: answers one query-blockstats ---- */

static void
qmp_line(int fd)
{
	char c;

	do {
		if (read(fd, &c, 1) != 1)
			_exit(0);
	} while (c != '\n');
}

/* Serves one client on path with reply, in a child; returns its pid. */
static pid_t
qmp_serve(const char *path, const char *reply)
{
	struct sockaddr_un sa;
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	unlink(path);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			_exit(2);
		testdir_write_all(fd, "{\"QMP\": {}}\r\n");
		qmp_line(fd);
		testdir_write_all(fd, "{\"return\": {}}\r\n");
		qmp_line(fd);
		testdir_write_all(fd, reply);
		testdir_write_all(fd, "\r\n");
		qmp_line(fd);
		_exit(0);
	}
	close(lfd);
	return pid;
}

static void
qmp_done(pid_t pid, const char *path)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(path);
}

static const char reply1[] =
    "{\"return\": [{\"device\": \"\", \"stats\": {\"rd_bytes\": 4096, \"wr_bytes\": 1048576, "
    "\"rd_operations\": 1, \"wr_operations\": 32}, \"node-name\": \"xvdb-raw\", "
    "\"qdev\": \"/machine/unattached/device[2]\"}, {\"device\": \"\", \"stats\": {\"rd_bytes\": 512, "
    "\"wr_bytes\": 0, \"rd_operations\": 1, \"wr_operations\": 0}, \"node-name\": \"xvdc-raw\"}]}";
static const char reply2[] =
    "{\"return\": [{\"device\": \"\", \"stats\": {\"rd_bytes\": 4096, \"wr_bytes\": 2097152, "
    "\"rd_operations\": 1, \"wr_operations\": 64}, \"node-name\": \"xvdb-raw\"}]}";

#define QEMU_PID 4000100
#define S 1000000000ULL

/* qdisks are listed from dom0's xenstore; ids that are no domain are left out. */
static void
test_qdisk_keys(void **state)
{
	static const char *const kv[] = {
		"/local/domain/0/backend/qdisk/5/51728/dev", "xvdb",
		"/local/domain/0/backend/qdisk/5/51744/dev", "xvdc",
		"/local/domain/0/backend/qdisk/7/768/dev", "hda",
		"/local/domain/0/backend/qdisk/70000/51712/dev", "xvda",
		"/local/domain/0/backend/qdisk/junk/51712/dev", "xvda",
		"/local/domain/0/backend/vbd/5/51712/dev", "xvda",
		NULL,
	};
	struct fake_xs xs = { kv };
	struct xen_vbdcache c;
	struct xen_vbd_key *keys = NULL;
	size_t cap = 0;
	long n;

	(void)state;
	xen_vbdcache_init(&c, (struct xs_handle *)&xs, "/nonexistent");
	n = xen_vbd_qdisk_keys(&c, &keys, 0, &cap);
	assert_int_equal(n, 3);
	assert_int_equal(keys[0].domid, 5);
	assert_int_equal(keys[0].devid, 51728);
	assert_int_equal(keys[1].devid, 51744);
	assert_int_equal(keys[2].domid, 7);
	assert_int_equal(keys[2].devid, 768);
	assert_int_equal(keys[2].xenstat_type, 0);
	/* appended after the keys already there */
	n = xen_vbd_qdisk_keys(&c, &keys, 3, &cap);
	assert_int_equal(n, 6);
	assert_true(cap >= 6);
	free(keys);
	xen_vbdcache_free(&c);
}

static void
assert_counters(const struct xen_vbdcache *c, unsigned devid, uint64_t rd, uint64_t wr,
                uint64_t wr_req)
{
	const struct xen_vbd_entry *e = xen_vbdcache_find(c, 5, devid);
	struct sample_vbd v;

	assert_non_null(e);
	memset(&v, 0, sizeof v);
	xen_vbd_fill(c, e, &v);
	assert_string_equal(v.backend, "qdisk");
	assert_int_equal(v.rd_sect, rd);
	assert_int_equal(v.wr_sect, wr);
	assert_int_equal(v.wr_req, wr_req);
}

/*
 * One domain with a blkback disk and two qdisks served by one qemu: kinds
 * from dom0's tree (not from the guest's frontend), the qemu's delay on the
 * first qdisk only, counters over QMP, kept when QMP fails.
 */
static void
test_qdisk_sync(void **state)
{
	static const char qemu_args[] = "/usr/libexec/xen-qemu-system-i386\0-xen-domid\0" "5\0"
	                                "-machine\0xenpv\0";
	char root[] = "/tmp/domtop-vbd-test-XXXXXX", fmt[128], sock[128], note[ERR_MSG_MAX];
	const char *kv[] = {
		"/local/domain/0/backend/vbd/5/51712/dev", "xvda",
		"/local/domain/0/backend/qdisk/5/51728/dev", "xvdb",
		"/local/domain/0/backend/qdisk/5/51728/params", "aio:/nonexistent/b.img",
		"/local/domain/0/backend/qdisk/5/51744/dev", "xvdc",
		"/local/domain/5/image/device-model-pid", "4000100",
		/* the guest rewrote its frontend: it would make xvda look like a qdisk */
		"/local/domain/5/device/vbd/51712/backend", "/local/domain/0/backend/qdisk/5/51728",
		NULL,
	};
	struct fake_xs xs = { kv };
	struct xen_vbd_key keys[] = {
		{ .domid = 5, .devid = 51712, .xenstat_type = 1 },
		{ .domid = 5, .devid = 51728, .xenstat_type = 0 },
		{ .domid = 5, .devid = 51744, .xenstat_type = 0 },
	};
	const struct xen_vbd_entry *e;
	struct xen_vbdcache c;
	struct sample_vbd v;
	pid_t srv;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(fmt, sizeof fmt, "%s/qmp-%%u", root);
	snprintf(sock, sizeof sock, "%s/qmp-5", root);
	fake_thread(root, QEMU_PID, QEMU_PID, 22, 2);
	fake_thread(root, QEMU_PID, QEMU_PID + 1, 22, 5);
	fake_cmdline(root, QEMU_PID, qemu_args, sizeof qemu_args - 1);
	xen_vbdcache_init(&c, (struct xs_handle *)&xs, root);
	c.qmp_fmt = fmt;
	c.ns_per_tick = 10000000ULL;

	srv = qmp_serve(sock, reply1);
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 1 * S), 0);
	qmp_done(srv, sock);
	assert_int_equal(xen_vbdcache_find(&c, 5, 51712)->kind, XEN_VBD_BLKBACK);
	e = xen_vbdcache_find(&c, 5, 51728);
	assert_int_equal(e->kind, XEN_VBD_QDISK);
	assert_string_equal(e->devkey, "xvdb");
	assert_int_equal(e->pid, QEMU_PID);
	assert_int_equal(e->pid_start, 22);
	assert_true(e->owns_delay);
	assert_int_equal(e->acc_ticks, 7);
	memset(&v, 0, sizeof v);
	xen_vbd_fill(&c, e, &v);
	assert_int_equal(v.delay_ns, 70000000ULL);
	e = xen_vbdcache_find(&c, 5, 51744);
	assert_int_equal(e->pid, QEMU_PID);
	assert_false(e->owns_delay);
	memset(&v, 0, sizeof v);
	xen_vbd_fill(&c, e, &v);
	assert_int_equal(v.delay_ns, 0);                 /* the qemu's delay is counted once */
	assert_counters(&c, 51728, 8, 2048, 32);
	assert_counters(&c, 51744, 1, 0, 0);
	assert_false(xen_vbdcache_take_note(&c, note, sizeof note));

	/* a worker waits 4 more ticks, a new one 1; xvdc is not in this reply */
	fake_thread(root, QEMU_PID, QEMU_PID + 1, 22, 9);
	fake_thread(root, QEMU_PID, QEMU_PID + 2, 22, 1);
	srv = qmp_serve(sock, reply2);
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 2 * S), 0);
	qmp_done(srv, sock);
	assert_int_equal(xen_vbdcache_find(&c, 5, 51728)->acc_ticks, 12);
	assert_counters(&c, 51728, 8, 4096, 64);
	assert_counters(&c, 51744, 1, 0, 0);             /* its last counters stay */
	assert_true(xen_vbdcache_take_note(&c, note, sizeof note));
	assert_non_null(strstr(note, "qdisk xvdc of domain 5 is not in its qemu's query-blockstats"));

	/* no QMP answer: the counters stay, and the failure is noted once */
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 3 * S), 0);
	assert_counters(&c, 51728, 8, 4096, 64);
	assert_true(xen_vbdcache_take_note(&c, note, sizeof note));
	assert_non_null(strstr(note, "qdisk counters of domain 5: cannot connect"));
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 4 * S), 0);
	assert_false(xen_vbdcache_take_note(&c, note, sizeof note));

	xen_vbdcache_free(&c);
	testdir_remove(root);
}

/*
 * The pid in xenstore must be a process that serves the domain, and stays
 * ours only while its start time is the same.
 */
static void
test_qdisk_pid_checks(void **state)
{
	static const char qemu5[] = "qemu\0-xen-domid\0" "5\0";
	static const char qemu6[] = "qemu\0-xen-domid\0" "6\0";
	static const char sshd[] = "/usr/sbin/sshd\0-D\0";
	char root[] = "/tmp/domtop-vbd-test-XXXXXX", fmt[128];
	const char *kv[] = {
		"/local/domain/0/backend/qdisk/5/51728/dev", "xvdb",
		"/local/domain/5/image/device-model-pid", "4000100",
		NULL,
	};
	struct fake_xs xs = { kv };
	struct xen_vbd_key key = { .domid = 5, .devid = 51728, .xenstat_type = 0 };
	struct xen_vbdcache c;
	const struct xen_vbd_entry *e;
	uint64_t acc;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(fmt, sizeof fmt, "%s/qmp-%%u", root);
	/* another program under that pid: not taken, no delay, no ioprio */
	fake_thread(root, QEMU_PID, QEMU_PID, 30, 500);
	fake_cmdline(root, QEMU_PID, sshd, sizeof sshd - 1);
	xen_vbdcache_init(&c, (struct xs_handle *)&xs, root);
	c.qmp_fmt = fmt;
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 1 * S), 0);
	e = xen_vbdcache_find(&c, 5, 51728);
	assert_int_equal(e->kind, XEN_VBD_QDISK);
	assert_int_equal(e->pid, 0);
	assert_int_equal(e->acc_ticks, 0);
	assert_int_equal(e->ioprio_class, -1);
	/* a qemu of another domain: not taken either */
	fake_cmdline(root, QEMU_PID, qemu6, sizeof qemu6 - 1);
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 20 * S), 0);
	assert_int_equal(xen_vbdcache_find(&c, 5, 51728)->pid, 0);

	/* the right qemu (found at the next rescan, 10 s later) */
	fake_cmdline(root, QEMU_PID, qemu5, sizeof qemu5 - 1);
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 40 * S), 0);
	e = xen_vbdcache_find(&c, 5, 51728);
	assert_int_equal(e->pid, QEMU_PID);
	assert_int_equal(e->pid_start, 30);
	acc = e->acc_ticks;
	assert_int_equal(acc, 500);

	/* the qemu exits and its pid goes to a process of another start time: dropped */
	fake_thread(root, QEMU_PID, QEMU_PID, 77, 3);
	fake_cmdline(root, QEMU_PID, sshd, sizeof sshd - 1);
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 41 * S), 0);
	e = xen_vbdcache_find(&c, 5, 51728);
	assert_int_equal(e->pid, 0);
	assert_int_equal(e->acc_ticks, acc);             /* nothing of the stranger's is added */
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 42 * S), 0);
	assert_int_equal(xen_vbdcache_find(&c, 5, 51728)->pid, 0);

	/* a new qemu for the domain under that pid (started again): taken, delay monotonic */
	fake_cmdline(root, QEMU_PID, qemu5, sizeof qemu5 - 1);
	assert_int_equal(xen_vbdcache_sync(&c, &key, 1, 60 * S), 0);
	e = xen_vbdcache_find(&c, 5, 51728);
	assert_int_equal(e->pid, QEMU_PID);
	assert_int_equal(e->pid_start, 77);
	assert_int_equal(e->acc_ticks, acc + 3);
	xen_vbdcache_free(&c);
	testdir_remove(root);
}

static void *
idle_thread(void *arg)
{
	int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

/* The class and level of every thread of this process, as "C/L C/L ...". */
static void
own_ioprios(char *buf, size_t len)
{
	char path[64];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%d/task", (int)getpid());
	d = opendir(path);
	assert_non_null(d);
	buf[0] = '\0';
	while ((de = readdir(d)) != NULL) {
		long v;
		if (de->d_name[0] == '.')
			continue;
		v = syscall(SYS_ioprio_get, 1, atoi(de->d_name));
		assert_true(v >= 0);
		n += (size_t)snprintf(buf + n, len - n, "%ld/%ld ", v >> 13, v & 0x1fff);
	}
	closedir(d);
}

/* This process's start time, as the cache keeps a backend's. */
static uint64_t
own_start(void)
{
	char line[1024];
	struct xen_procstat st;
	FILE *f = fopen("/proc/self/stat", "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_true(xen_map_parse_stat(line, &st));
	return st.starttime;
}

/*
 * Setting the IO priority of a qdisk's backend sets every thread of its
 * process: tried on this test's own process, with a second thread. A
 * process that is not the one the cache found (another start time: the pid
 * was reused) and a "ring thread" that is not blkback's are not touched.
 */
static void
test_set_ioprio(void **state)
{
	struct xen_vbdcache c;
	struct xen_vbd_entry e;
	pthread_t th;
	int stop = 0;
	char got[256];
	struct err err;
	int ioclass, level;

	(void)state;
	xen_vbdcache_init(&c, NULL, "/proc");
	memset(&e, 0, sizeof e);
	e.kind = XEN_VBD_QDISK;
	e.domid = 5;
	str_copy(e.devkey, "xvdb", sizeof e.devkey);
	e.pid = getpid();
	e.pid_start = own_start() + 1;                   /* another process under our pid */
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 6, &err), -1);
	assert_non_null(strstr(err.msg, "is gone"));
	xen_vbd_read_ioprio(&c, &e, &ioclass, &level);
	assert_int_equal(ioclass, -1);
	e.pid_start = own_start();
	assert_int_equal(pthread_create(&th, NULL, idle_thread, &stop), 0);
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 6, &err), 0);
	own_ioprios(got, sizeof got);
	assert_string_equal(got, "2/6 2/6 ");
	xen_vbd_read_ioprio(&c, &e, &ioclass, &level);   /* the read-back, now */
	assert_int_equal(ioclass, 2);
	assert_int_equal(level, 6);
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 0, 0, &err), 0);   /* back to none */
	own_ioprios(got, sizeof got);
	/* what ioprio_get says for "none" depends on the kernel (0/0, or 2/4 on some) */
	assert_int_equal(strlen(got) % 2, 0);
	assert_memory_equal(got, got + strlen(got) / 2, strlen(got) / 2);
	assert_null(strstr(got, "2/6"));

	/* refusals say why */
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 3, 5, &err), -1);
	assert_non_null(strstr(err.msg, "0 for idle and none"));
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 9, &err), -1);
	assert_non_null(strstr(err.msg, "level 0-7"));
	e.pid = 0;
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 4, &err), -1);
	assert_non_null(strstr(err.msg, "no backend task of xvdb of domain 5 (qdisk)"));
	e.pid = 0x3ffffff0;
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 4, &err), -1);
	assert_non_null(strstr(err.msg, "is gone"));
	e.kind = XEN_VBD_BLKBACK;                        /* no ring thread found */
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 2, 4, &err), -1);
	assert_non_null(strstr(err.msg, "(blkback)"));
	e.n_tasks = 1;                                   /* a cached tid that is not "5.xvdb-0" now */
	e.tasks[0].tid = getpid();
	assert_int_equal(xen_vbd_set_ioprio(&c, &e, 3, 0, &err), -1);
	assert_non_null(strstr(err.msg, "(blkback)"));
	own_ioprios(got, sizeof got);
	assert_null(strstr(got, "3/"));
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qdisk_keys),
		cmocka_unit_test(test_qdisk_sync),
		cmocka_unit_test(test_qdisk_pid_checks),
		cmocka_unit_test(test_set_ioprio),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
