/*
 * test_xen_map.c: the pure parts of the Xen backend, without Xen: device
 * numbers to names, xenstore backend paths, blkback thread names,
 * /proc/<pid>/stat, sysfs scheduler lists, physical-device keys, ioprio
 * values, libxl message tidying; plus the dom0 probe on a fake root, the vif
 * name map on a fake sysfs tree and the log file's last-error memory and
 * stderr redirection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "tests/unit/testdir.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/xen_log.h"
#include "backend/xen_map.h"
#include "backend/xen_probe.h"
#include "backend/xen_vbd.h"
#include "backend/xen_vif.h"

static void
assert_vbd_name(unsigned devid, const char *want)
{
	char buf[32];

	xen_map_vbd_name(devid, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_vbd_names(void **state)
{
	(void)state;
	assert_vbd_name(51712, "xvda");
	assert_vbd_name(51713, "xvda1");
	assert_vbd_name(51728, "xvdb");
	assert_vbd_name(51729, "xvdb1");
	assert_vbd_name((202 << 8) | (15 << 4), "xvdp");
	assert_vbd_name((1u << 28) | (16 << 8), "xvdq");
	assert_vbd_name((1u << 28) | (25 << 8), "xvdz");
	assert_vbd_name((1u << 28) | (26 << 8), "xvdaa");
	assert_vbd_name((1u << 28) | (27 << 8) | 3, "xvdab3");
	assert_vbd_name((1u << 28) | (701 << 8), "xvdzz");
	assert_vbd_name((1u << 28) | (702 << 8), "xvdaaa");
	assert_vbd_name(768, "hda");
	assert_vbd_name(769, "hda1");
	assert_vbd_name(832, "hdb");
	assert_vbd_name(22 << 8, "hdc");
	assert_vbd_name((22 << 8) | 64, "hdd");
	assert_vbd_name(2048, "sda");
	assert_vbd_name(2065, "sdb1");
	/* not a Xen encoding: the number, never garbage */
	assert_vbd_name(7 << 8, "1792");
	assert_vbd_name(0x40000000u, "1073741824");
	assert_vbd_name(0x12345, "74565");
}

static void
test_vbd_name_small_buffer(void **state)
{
	char buf[4];

	(void)state;
	xen_map_vbd_name((1u << 28) | (702 << 8), buf, sizeof buf);
	assert_int_equal(strlen(buf), 3);
	xen_map_vbd_name(51712, buf, 1);
	assert_string_equal(buf, "");
}

static void
test_bepath(void **state)
{
	struct xen_bepath bp;

	(void)state;
	assert_true(xen_map_parse_bepath("backend/vif/7/0\n", &bp));
	assert_string_equal(bp.type, "vif");
	assert_int_equal(bp.domid, 7);
	assert_int_equal(bp.devid, 0);
	assert_int_equal(bp.backend_domid, 0);

	assert_true(xen_map_parse_bepath("/local/domain/0/backend/vbd/12/51712", &bp));
	assert_string_equal(bp.type, "vbd");
	assert_int_equal(bp.domid, 12);
	assert_int_equal(bp.devid, 51712);

	assert_true(xen_map_parse_bepath("/local/domain/3/backend/qdisk/5/268442112/", &bp));
	assert_string_equal(bp.type, "qdisk");
	assert_int_equal(bp.backend_domid, 3);
	assert_int_equal(bp.devid, 268442112u);

	assert_false(xen_map_parse_bepath("", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/7", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/7/", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/x/0", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/7/0/extra", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/-1/0", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/99999999999/0", &bp));
	assert_false(xen_map_parse_bepath("backend//7/0", &bp));
	assert_false(xen_map_parse_bepath("backend/averyveryverylongtype/7/0", &bp));
	assert_false(xen_map_parse_bepath("/local/domain/x/backend/vif/7/0", &bp));
	assert_false(xen_map_parse_bepath("frontend/vif/7/0", &bp));
	assert_false(xen_map_parse_bepath("backend/vif/7/0 ", &bp));
}

static void
test_blkback_comm(void **state)
{
	char dev[16];
	uint32_t domid;
	unsigned ring;

	(void)state;
	assert_true(xen_map_parse_blkback_comm("7.xvda-0", &domid, dev, sizeof dev, &ring));
	assert_int_equal(domid, 7);
	assert_string_equal(dev, "xvda");
	assert_int_equal(ring, 0);
	assert_true(xen_map_parse_blkback_comm("123.xvdb-3\n", &domid, dev, sizeof dev, &ring));
	assert_int_equal(domid, 123);
	assert_string_equal(dev, "xvdb");
	assert_int_equal(ring, 3);
	/* a dash inside the device name: the ring is after the last one */
	assert_true(xen_map_parse_blkback_comm("4.a-b-2", &domid, dev, sizeof dev, &ring));
	assert_string_equal(dev, "a-b");
	assert_int_equal(ring, 2);

	assert_false(xen_map_parse_blkback_comm("kworker/0:1", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("7.xvda", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("7.-0", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("7.xvda-", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("7.xvda-x", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm(".xvda-0", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("70000.xvda-0", &domid, dev, sizeof dev, &ring));
	assert_false(xen_map_parse_blkback_comm("7.xvdaaaaaaaaaaaaaaaaa-0", &domid, dev, 8, &ring));
}

static void
test_blkback_match(void **state)
{
	(void)state;
	assert_true(xen_map_blkback_match("7.xvda-0\n", 7, "xvda"));
	assert_true(xen_map_blkback_match("7.xvda-12", 7, "/dev/xvda"));
	assert_false(xen_map_blkback_match("7.xvda-0", 8, "xvda"));
	assert_false(xen_map_blkback_match("7.xvdb-0", 7, "xvda"));
	assert_false(xen_map_blkback_match("17.xvda-0", 7, "xvda"));
	assert_false(xen_map_blkback_match("7.xvda1-0", 7, "xvda"));
	assert_false(xen_map_blkback_match("7.xvda-x", 7, "xvda"));
	assert_false(xen_map_blkback_match("7.xvda", 7, "xvda"));
	/* the kernel cuts names at 15 bytes, twice */
	assert_true(xen_map_blkback_match("12345.xvdaa-0", 12345, "xvdaa"));
	assert_true(xen_map_blkback_match("12345.xvdabcd-1", 12345, "xvdabcd"));  /* 15, whole */
	assert_true(xen_map_blkback_match("12345.xvdabcde-", 12345, "xvdabcde")); /* ring cut */
	assert_true(xen_map_blkback_match("12345.xvdabcdef", 12345, "xvdabcdef")); /* all cut */
	assert_true(xen_map_blkback_match("12345.xvdabcdef", 12345, "xvdabcdefgh"));
	assert_false(xen_map_blkback_match("12345.xvdabcdef", 12345, "xvdabcdeX"));
	assert_false(xen_map_blkback_match("", 7, "xvda"));
	assert_false(xen_map_blkback_match("1234567890123456", 7, "xvda"));
	assert_string_equal(xen_map_strip_dev("/dev/xvda"), "xvda");
	assert_string_equal(xen_map_strip_dev("hda"), "hda");
}

/*
 * A stat line with fields 4..52 numbered by their position, except field 19
 * (nice) and field 42 (blkio ticks). last: the last field written.
 */
static void
stat_line(char *buf, size_t len, const char *comm, long nice, const char *ticks, int last)
{
	size_t n = (size_t)snprintf(buf, len, "4242 (%s) S", comm);

	for (int f = 4; f <= last && n < len; f++) {
		if (f == 19)
			n += (size_t)snprintf(buf + n, len - n, " %ld", nice);
		else if (f == 42)
			n += (size_t)snprintf(buf + n, len - n, " %s", ticks);
		else
			n += (size_t)snprintf(buf + n, len - n, " %d", f);
	}
	snprintf(buf + n, len - n, "\n");
}

static void
test_stat_field42(void **state)
{
	struct xen_procstat st;
	char line[1024];

	(void)state;
	stat_line(line, sizeof line, "7.xvda-0", 0, "4321", 52);
	assert_true(xen_map_parse_stat(line, &st));
	assert_string_equal(st.comm, "7.xvda-0");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.nice, 0);
	assert_int_equal(st.starttime, 22);
	assert_int_equal(st.blkio_ticks, 4321);

	/* a comm with spaces and parentheses cannot shift the fields */
	stat_line(line, sizeof line, "a (b) c 41 42", -5, "99", 44);
	assert_true(xen_map_parse_stat(line, &st));
	assert_string_equal(st.comm, "a (b) c 41 42");
	assert_int_equal(st.nice, -5);
	assert_int_equal(st.blkio_ticks, 99);

	/* field 42 is the last one: accepted */
	stat_line(line, sizeof line, "x", 19, "18446744073709551615", 42);
	assert_true(xen_map_parse_stat(line, &st));
	assert_true(st.blkio_ticks == UINT64_MAX);

	/* too short (an old kernel without field 42), a bad or negative value, junk */
	stat_line(line, sizeof line, "x", 0, "5", 41);
	assert_false(xen_map_parse_stat(line, &st));
	stat_line(line, sizeof line, "x", 0, "-5", 44);
	assert_false(xen_map_parse_stat(line, &st));
	stat_line(line, sizeof line, "x", 0, "x5", 44);
	assert_false(xen_map_parse_stat(line, &st));
	assert_false(xen_map_parse_stat("garbage", &st));
	assert_false(xen_map_parse_stat("1 (x", &st));
	assert_false(xen_map_parse_stat("", &st));
}

/* The real /proc/self/stat of this test: comm and field 42 as a plain split finds them. */
static void
test_stat_self(void **state)
{
	char line[1024], copy[1024], *tok, *save;
	struct xen_procstat st;
	unsigned long long want = 0, start = 0;
	FILE *f = fopen("/proc/self/stat", "r");
	int field = 0;

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_true(xen_map_parse_stat(line, &st));
	assert_string_equal(st.comm, "test_xen_map");   /* no spaces: a plain split works */
	memcpy(copy, line, sizeof copy);
	for (tok = strtok_r(copy, " \n", &save); tok != NULL; tok = strtok_r(NULL, " \n", &save))
		if (++field == 42)
			want = strtoull(tok, NULL, 10);
		else if (field == 22)
			start = strtoull(tok, NULL, 10);
	assert_true(field >= 42);
	assert_int_equal(st.blkio_ticks, want);
	assert_int_equal(st.starttime, start);
	assert_true(start > 0);
}

/* A start time that is not a number is refused like any other bad field. */
static void
test_stat_starttime(void **state)
{
	struct xen_procstat st;
	char line[1024], *p;

	(void)state;
	stat_line(line, sizeof line, "qemu", 0, "7", 52);
	p = strstr(line, " 22 ");
	assert_non_null(p);
	memcpy(p + 1, "x2", 2);
	assert_false(xen_map_parse_stat(line, &st));
	memcpy(p + 1, "-2", 2);
	assert_false(xen_map_parse_stat(line, &st));
	memcpy(p + 1, "99", 2);
	assert_true(xen_map_parse_stat(line, &st));
	assert_int_equal(st.starttime, 99);
}

/* qemu's command line names the domain it serves: "-xen-domid N". */
static void
test_cmdline_serves(void **state)
{
	static const char qemu[] = "/usr/libexec/xen-qemu-system-i386\0-xen-domid\0" "17\0"
	                           "-no-shutdown\0-name\0guest-cpu\0-machine\0xenpv\0";
	static const char eq[] = "qemu\0--xen-domid=5\0";
	static const char last[] = "qemu\0-xen-domid";            /* no value, no final NUL */
	static const char name[] = "qemu\0-name\0-xen-domid 7\0";   /* a value, not the option */

	(void)state;
	assert_true(xen_map_cmdline_serves(qemu, sizeof qemu - 1, 17));
	assert_false(xen_map_cmdline_serves(qemu, sizeof qemu - 1, 1));    /* not a prefix match */
	assert_false(xen_map_cmdline_serves(qemu, sizeof qemu - 1, 171));
	assert_false(xen_map_cmdline_serves(qemu, sizeof qemu - 1, 0));
	assert_true(xen_map_cmdline_serves(eq, sizeof eq - 1, 5));
	assert_false(xen_map_cmdline_serves(eq, sizeof eq - 1, 50));
	assert_false(xen_map_cmdline_serves(last, sizeof last - 1, 0));
	assert_false(xen_map_cmdline_serves(name, sizeof name - 1, 7));
	assert_false(xen_map_cmdline_serves("", 0, 0));
	/* "017" is not 17: the number must be written as the toolstack writes it */
	assert_false(xen_map_cmdline_serves("q\0-xen-domid\0" "017\0", 17, 17));
}

static void
test_scheduler(void **state)
{
	char buf[16];

	(void)state;
	assert_true(xen_map_parse_scheduler("mq-deadline kyber [bfq] none\n", buf, sizeof buf));
	assert_string_equal(buf, "bfq");
	assert_true(xen_map_parse_scheduler("[mq-deadline] none\n", buf, sizeof buf));
	assert_string_equal(buf, "mq-deadline");
	assert_true(xen_map_parse_scheduler("none\n", buf, sizeof buf));
	assert_string_equal(buf, "none");
	assert_false(xen_map_parse_scheduler("mq-deadline none\n", buf, sizeof buf));
	assert_false(xen_map_parse_scheduler("[bfq\n", buf, sizeof buf));
	assert_false(xen_map_parse_scheduler("[]\n", buf, sizeof buf));
	assert_false(xen_map_parse_scheduler("", buf, sizeof buf));
	assert_false(xen_map_parse_scheduler("[mq-deadline]", buf, 4));
}

static void
test_physdev_params(void **state)
{
	unsigned ma, mi;

	(void)state;
	assert_true(xen_map_parse_physdev("fe:0", &ma, &mi));
	assert_int_equal(ma, 254);
	assert_int_equal(mi, 0);
	assert_true(xen_map_parse_physdev("7:1a\n", &ma, &mi));
	assert_int_equal(ma, 7);
	assert_int_equal(mi, 26);
	assert_false(xen_map_parse_physdev("", &ma, &mi));
	assert_false(xen_map_parse_physdev("fe", &ma, &mi));
	assert_false(xen_map_parse_physdev("fe:", &ma, &mi));
	assert_false(xen_map_parse_physdev(":1", &ma, &mi));
	assert_false(xen_map_parse_physdev("fe:0x", &ma, &mi));
	assert_false(xen_map_parse_physdev("-1:0", &ma, &mi));
	assert_false(xen_map_parse_physdev("ffffffffff:0", &ma, &mi));

	assert_string_equal(xen_map_params_path("aio:/srv/a.img"), "/srv/a.img");
	assert_string_equal(xen_map_params_path("/srv/a.img"), "/srv/a.img");
	assert_string_equal(xen_map_params_path("qcow2:/x/y"), "/x/y");
	assert_null(xen_map_params_path("rbd:pool/image"));
	assert_null(xen_map_params_path("aio:"));
}

static void
test_ioprio(void **state)
{
	int cls, level;

	(void)state;
	xen_map_ioprio_decode((2 << 13) | 7, 0, &cls, &level);   /* ionice -c2 -n7 */
	assert_int_equal(cls, 2);
	assert_int_equal(level, 7);
	xen_map_ioprio_decode(3 << 13, 0, &cls, &level);         /* idle */
	assert_int_equal(cls, 3);
	assert_int_equal(level, 0);
	xen_map_ioprio_decode(0, 0, &cls, &level);               /* none: from nice 0 */
	assert_int_equal(cls, 0);
	assert_int_equal(level, 4);
	xen_map_ioprio_decode(0, -20, &cls, &level);
	assert_int_equal(level, 0);
	xen_map_ioprio_decode(0, 19, &cls, &level);
	assert_int_equal(level, 7);
	xen_map_ioprio_decode(-1, 0, &cls, &level);              /* the syscall failed */
	assert_int_equal(cls, -1);
	assert_int_equal(level, -1);
}

static void
test_ioprio_encode(void **state)
{
	int cls, level;

	(void)state;
	assert_int_equal(xen_map_ioprio_encode(2, 7), (2 << 13) | 7);
	assert_int_equal(xen_map_ioprio_encode(1, 0), 1 << 13);
	assert_int_equal(xen_map_ioprio_encode(3, 0), 3 << 13);
	assert_int_equal(xen_map_ioprio_encode(0, 0), 0);
	assert_int_equal(xen_map_ioprio_encode(3, 4), -1);   /* idle has no levels */
	assert_int_equal(xen_map_ioprio_encode(0, 4), -1);
	assert_int_equal(xen_map_ioprio_encode(2, 8), -1);
	assert_int_equal(xen_map_ioprio_encode(2, -1), -1);
	assert_int_equal(xen_map_ioprio_encode(4, 0), -1);
	assert_int_equal(xen_map_ioprio_encode(-1, 0), -1);
	/* what is encoded decodes back */
	for (int c = 1; c <= 2; c++)
		for (int l = 0; l <= 7; l++) {
			xen_map_ioprio_decode(xen_map_ioprio_encode(c, l), 0, &cls, &level);
			assert_int_equal(cls, c);
			assert_int_equal(level, l);
		}
}

static void
test_tidy_libxl(void **state)
{
	(void)state;
	assert_string_equal(xen_map_tidy_libxl_msg(
	    "libxl_sched.c:412:sched_credit2_domain_set: Domain 5:Cpu weight out of range"),
	    "Domain 5:Cpu weight out of range");
	assert_string_equal(xen_map_tidy_libxl_msg("plain message: with colon"),
	                    "plain message: with colon");
	assert_string_equal(xen_map_tidy_libxl_msg("a.c:x:f: m"), "a.c:x:f: m");
	assert_string_equal(xen_map_tidy_libxl_msg("a.c:1:f: "), "a.c:1:f: ");
	assert_string_equal(xen_map_tidy_libxl_msg(""), "");
}

/* ---- file-backed parts on a temporary tree ---- */

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
mkdirs(const char *root, const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	mkdir(path, 0755);
}

static void
test_probe(void **state)
{
	char *root = testdir_new(), path[600];
	struct err e;

	(void)state;
	/* nothing at all: not dom0, suggest --demo */
	assert_int_equal(xen_probe_dom0(root, &e), -1);
	assert_non_null(strstr(e.msg, "not a Xen dom0"));
	assert_non_null(strstr(e.msg, "/proc/xen/capabilities"));
	assert_non_null(strstr(e.msg, "--demo"));

	/* Xen underneath but xenfs not mounted */
	mkdirs(root, "sys/hypervisor");
	snprintf(path, sizeof path, "%s/sys/hypervisor/type", root);
	write_file(path, "xen\n");
	assert_int_equal(xen_probe_dom0(root, &e), -1);
	assert_non_null(strstr(e.msg, "mount -t xenfs"));

	/* a guest: capabilities without control_d */
	mkdirs(root, "proc/xen");
	snprintf(path, sizeof path, "%s/proc/xen/capabilities", root);
	write_file(path, "");
	assert_int_equal(xen_probe_dom0(root, &e), -1);
	assert_non_null(strstr(e.msg, "guest"));
	assert_non_null(strstr(e.msg, "--demo"));

	/* dom0 but no privcmd */
	write_file(path, "control_d\n");
	assert_int_equal(xen_probe_dom0(root, &e), -1);
	assert_non_null(strstr(e.msg, "/dev/xen/privcmd"));

	mkdirs(root, "dev/xen");
	snprintf(path, sizeof path, "%s/dev/xen/privcmd", root);
	write_file(path, "");
	assert_int_equal(xen_probe_dom0(root, &e), 0);
	testdir_remove(root);
	free(root);
}

static void
rename_path(const char *root, const char *from, const char *to)
{
	char a[600], b[600];

	snprintf(a, sizeof a, "%s/%s", root, from);
	snprintf(b, sizeof b, "%s/%s", root, to);
	assert_int_equal(rename(a, b), 0);
}

static void
test_vifmap(void **state)
{
	char *root = testdir_new(), path[600], name[32];
	struct xen_vifmap m;

	(void)state;
	mkdirs(root, "vif7.0/device");
	snprintf(path, sizeof path, "%s/vif7.0/device/nodename", root);
	write_file(path, "backend/vif/7/0\n");
	mkdirs(root, "web-uplink/device");              /* renamed with vifname= */
	snprintf(path, sizeof path, "%s/web-uplink/device/nodename", root);
	write_file(path, "backend/vif/9/1\n");
	mkdirs(root, "eth0/device");                    /* a real NIC: no nodename */
	mkdirs(root, "vbdlike/device");                 /* not a vif */
	snprintf(path, sizeof path, "%s/vbdlike/device/nodename", root);
	write_file(path, "backend/vbd/9/51712\n");

	xen_vifmap_init(&m, root);
	assert_int_equal(xen_vifmap_rebuild(&m, 1), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(xen_vifmap_find(&m, 7, 0), "vif7.0");
	assert_string_equal(xen_vifmap_find(&m, 9, 1), "web-uplink");
	assert_null(xen_vifmap_find(&m, 9, 0));
	assert_null(xen_vifmap_find(&m, 9, 51712));

	/* a vif in neither sysfs nor xenstore gets the default name */
	xen_vif_name(&m, NULL, 3, 2, 2, name, sizeof name);
	assert_string_equal(name, "vif3.2");
	xen_vif_name(&m, NULL, 9, 1, 2, name, sizeof name);
	assert_string_equal(name, "web-uplink");

	/* the set changes: a new hash rebuilds, the same hash does not */
	mkdirs(root, "vif3.2/device");
	snprintf(path, sizeof path, "%s/vif3.2/device/nodename", root);
	write_file(path, "backend/vif/3/2\n");
	xen_vifmap_sync(&m, 42, 3);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "vif3.2");
	/* the hotplug script renames it: the same set, found at the recheck 5 s later */
	rename_path(root, "vif3.2", "tenant-a");
	xen_vifmap_sync(&m, 42, 3 + 4000000000ULL);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "vif3.2");
	xen_vifmap_sync(&m, 42, 3 + 5000000000ULL);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "tenant-a");
	/* a rename by hand later on: seen within 60 s, not before */
	rename_path(root, "tenant-a", "tenant-b");
	xen_vifmap_sync(&m, 42, 30000000000ULL);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "tenant-a");
	xen_vifmap_sync(&m, 42, 66000000000ULL);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "tenant-b");
	testdir_remove(root);
	xen_vifmap_sync(&m, 42, 67000000000ULL);
	assert_string_equal(xen_vifmap_find(&m, 3, 2), "tenant-b");
	assert_int_not_equal(xen_vif_key_hash(XEN_VIF_HASH_INIT, 1, 0),
	                     xen_vif_key_hash(XEN_VIF_HASH_INIT, 0, 1));
	xen_vifmap_free(&m);
	free(root);
}

static void
test_log(void **state)
{
	char *root = testdir_new(), path[600], buf[4096];
	struct xen_log *l;
	struct err e;
	xentoollog_logger *lg;
	size_t n;
	FILE *f;
	int saved;

	(void)state;
	snprintf(path, sizeof path, "%s/xen.log", root);
	assert_int_equal(xen_log_open(&l, path, &e), 0);
	assert_string_equal(xen_log_path(l), path);
	lg = xen_log_logger(l);
	assert_string_equal(xen_log_last(l), "");
	xtl_log(lg, XTL_DEBUG, -1, "libxl", "debug chatter %d", 1);
	xtl_log(lg, XTL_WARN, -1, "libxl", "a warning");
	assert_string_equal(xen_log_last(l), "");
	xtl_log(lg, XTL_ERROR, 22, "libxl",
	        "libxl_sched.c:99:sched_credit2_domain_set: Domain 5:Cpu weight out of range");
	assert_string_equal(xen_log_last(l), "Domain 5:Cpu weight out of range: Invalid argument");
	xen_log_clear(l);
	assert_string_equal(xen_log_last(l), "");

	/* stderr goes to the file while quiet */
	saved = xen_log_quiet_begin(l);
	assert_true(saved >= 0);
	fprintf(stderr, "libxenstat complaint\n");
	xen_log_quiet_end(l, saved);
	xen_log_close(l);

	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_null(strstr(buf, "debug chatter"));
	assert_non_null(strstr(buf, "libxl warning: a warning"));
	assert_non_null(strstr(buf, "Cpu weight out of range"));
	assert_non_null(strstr(buf, "libxenstat complaint"));

	/* an unwritable path is an error that says which file */
	snprintf(path, sizeof path, "%s/no/such/dir/xen.log", root);
	assert_int_equal(xen_log_open(&l, path, &e), -1);
	assert_non_null(strstr(e.msg, "no/such/dir/xen.log"));
	testdir_remove(root);
	free(root);
}

/* Writes <root>/<pid>/comm and <root>/<pid>/stat with field 42 = ticks. */
static void
fake_task(const char *root, int pid, const char *comm, unsigned long long ticks)
{
	char dir[64], path[600], line[1024], t[32];

	snprintf(dir, sizeof dir, "%d", pid);
	mkdirs(root, dir);
	snprintf(path, sizeof path, "%s/%d/comm", root, pid);
	snprintf(line, sizeof line, "%s\n", comm);
	write_file(path, line);
	snprintf(t, sizeof t, "%llu", ticks);
	stat_line(line, sizeof line, comm, 0, t, 52);
	snprintf(path, sizeof path, "%s/%d/stat", root, pid);
	write_file(path, line);
}

/*
 * The vbd cache on a fake /proc: blkback ring threads are found by name, their
 * delay adds up monotonically, a thread that goes away is dropped and a new
 * one found, and vbds that vanish leave the cache.
 */
static void
test_vbdcache(void **state)
{
	char *root = testdir_new();
	struct xen_vbdcache c;
	const struct xen_vbd_entry *e;
	struct sample_vbd v;
	struct xen_vbd_key keys[] = {
		{ .domid = 7, .devid = 51712, .xenstat_type = 1 },   /* xvda, 2 rings */
		{ .domid = 7, .devid = 51728, .xenstat_type = 1 },   /* xvdb, thread not there yet */
		{ .domid = 9, .devid = 51712, .xenstat_type = 1 },
	};
	const uint64_t s = 1000000000ULL;

	(void)state;
	/* pids beyond any real one, so ioprio_get finds no such process */
	fake_task(root, 4000001, "7.xvda-0", 100);
	fake_task(root, 4000002, "7.xvda-1", 50);
	fake_task(root, 4000003, "9.xvda-0", 7);
	fake_task(root, 4000004, "17.xvda-0", 1000);   /* another domain's */
	fake_task(root, 4000005, "kworker/7:1", 1000);

	xen_vbdcache_init(&c, NULL, root);
	c.ns_per_tick = 10000000ULL;
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 1 * s), 0);
	assert_int_equal(c.n, 3);
	e = xen_vbdcache_find(&c, 7, 51712);
	assert_non_null(e);
	assert_int_equal(e->kind, XEN_VBD_BLKBACK);
	assert_string_equal(e->devkey, "xvda");
	assert_int_equal(e->n_tasks, 2);
	assert_int_equal(e->acc_ticks, 150);
	memset(&v, 0, sizeof v);
	xen_vbd_fill(&c, e, &v);
	assert_string_equal(v.backend, "blkback");
	assert_int_equal(v.delay_ns, 150 * 10000000ULL);
	assert_int_equal(v.ioprio_class, -1);
	assert_int_equal(xen_vbdcache_find(&c, 7, 51728)->n_tasks, 0);
	assert_int_equal(xen_vbdcache_find(&c, 9, 51712)->acc_ticks, 7);
	assert_null(xen_vbdcache_find(&c, 17, 51712));

	/* ring 0 waits 30 more ticks; ring 1 goes away and comes back as a new thread */
	fake_task(root, 4000001, "7.xvda-0", 130);
	fake_task(root, 4000002, "kworker/u4:2", 50);
	fake_task(root, 4000006, "7.xvda-1", 5);
	fake_task(root, 4000007, "7.xvdb-0", 3);
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 2 * s), 0);
	e = xen_vbdcache_find(&c, 7, 51712);
	assert_int_equal(e->acc_ticks, 180);           /* +30; the lost thread is dropped */
	assert_int_equal(e->n_tasks, 1);
	/* the next sync rescans (a cached task was gone) and finds the new threads */
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 3 * s), 0);
	e = xen_vbdcache_find(&c, 7, 51712);
	assert_int_equal(e->n_tasks, 2);
	assert_int_equal(e->acc_ticks, 185);           /* the new thread's 5 ticks are new */
	assert_int_equal(xen_vbdcache_find(&c, 7, 51728)->acc_ticks, 3);

	/* a counter never goes backwards, whatever the tasks do */
	fake_task(root, 4000001, "7.xvda-0", 20);       /* pid reused: restarted from 20 */
	assert_int_equal(xen_vbdcache_sync(&c, keys, 3, 4 * s), 0);
	assert_true(xen_vbdcache_find(&c, 7, 51712)->acc_ticks >= 185);

	/* domain 9 is gone */
	assert_int_equal(xen_vbdcache_sync(&c, keys, 2, 5 * s), 0);
	assert_int_equal(c.n, 2);
	assert_null(xen_vbdcache_find(&c, 9, 51712));
	assert_non_null(xen_vbdcache_find(&c, 7, 51728));
	xen_vbdcache_free(&c);
	testdir_remove(root);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vbd_names),
		cmocka_unit_test(test_vbd_name_small_buffer),
		cmocka_unit_test(test_bepath),
		cmocka_unit_test(test_blkback_comm),
		cmocka_unit_test(test_blkback_match),
		cmocka_unit_test(test_stat_field42),
		cmocka_unit_test(test_stat_self),
		cmocka_unit_test(test_stat_starttime),
		cmocka_unit_test(test_cmdline_serves),
		cmocka_unit_test(test_scheduler),
		cmocka_unit_test(test_physdev_params),
		cmocka_unit_test(test_ioprio),
		cmocka_unit_test(test_ioprio_encode),
		cmocka_unit_test(test_tidy_libxl),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_vifmap),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_vbdcache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
