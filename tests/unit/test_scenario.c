/* test_scenario.c: the strict scenario parser (backend/scenario.h): every error path, hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "backend/scenario.h"
#include "backend/sim_rng.h"
#include "backend/str.h"

#define HOST "host pcpus=8 mem=64G\n"

static int
parse(struct scenario *s, const char *text, struct err *e)
{
	return scenario_parse(s, text, strlen(text), "t.scn", 1, e);
}

/* The text must fail with "t.scn:LINE: ..." containing want. */
static void
expect_error(const char *text, unsigned line, const char *want)
{
	struct scenario s;
	struct err e = {{0}};
	char prefix[32];

	if (parse(&s, text, &e) == 0) {
		scenario_free(&s);
		fail_msg("parsed, expected an error at line %u: %s\n%s", line, want, text);
	}
	snprintf(prefix, sizeof prefix, "t.scn:%u: ", line);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0 || strstr(e.msg, want) == NULL)
		fail_msg("got '%s', expected '%s...%s'", e.msg, prefix, want);
	assert_int_equal(s.n_domains, 0);
	assert_null(s.domains);
}

static void
test_default_scenario(void **state)
{
	struct scenario s;
	struct err e;
	const struct scn_domain *d0;

	(void)state;
	assert_int_equal(scenario_parse(&s, sim_default_scenario, strlen(sim_default_scenario),
	                                "hosting.scn", 0, &e), 0);
	assert_int_equal(s.host.pcpus, 8);
	assert_true(s.n_domains >= 9);
	d0 = &s.domains[0];
	assert_string_equal(d0->name, "Domain-0");
	assert_int_equal(d0->domid, 0);
	assert_true(d0->pinned);
	assert_true(s.n_events > 0);
	scenario_free(&s);
}

static void
test_minimal_and_defaults(void **state)
{
	struct scenario s;
	struct err e;

	(void)state;
	assert_int_equal(parse(&s, HOST "domain a mem=1G\n", &e), 0);
	assert_string_equal(s.host.name, "demo");
	assert_string_equal(s.host.sched, "credit2");
	assert_int_equal(s.host.disk_sched, SCN_DISK_MQ_DEADLINE);
	assert_int_equal(s.host.mem_kb, 64ULL << 20);
	assert_int_equal(s.n_domains, 1);
	assert_int_equal(s.domains[0].domid, 1);          /* id 0 only when asked */
	assert_int_equal(s.domains[0].vcpus, 1);
	assert_int_equal(s.domains[0].weight, 256);
	assert_int_equal(s.domains[0].mem_kb, 1 << 20);
	assert_int_equal(s.domains[0].maxmem_kb, 1 << 20);
	assert_false(s.domains[0].pinned);
	assert_int_equal(cpuset_count(&s.domains[0].pin), 8);
	scenario_free(&s);
}

static void
test_values_and_units(void **state)
{
	struct scenario s;
	struct err e;
	const struct scn_domain *d;

	(void)state;
	assert_int_equal(parse(&s,
	    "# a comment line\n"
	    "host name=n1 pcpus=4 mem=8g sched=credit nic=10Gbit disk_iops=500 disk_sched=none mhz=3000\r\n"
	    "\n"
	    "   domain web1 id=7 vcpus=2 mem=1.5G maxmem=2G weight=512 cap=150 cpu=1.25 jitter=20% pin=1-2 # tail\n"
	    "\tvif rx=20mbit tx=1.5kbit pkt=64\n"
	    "vif\n"
	    "vbd xvdb iops=0.5 size=4096 read=10%\n"
	    "domain \"web shop \\\"2\\\"\" mem=16M state=paused\n"
	    "domain caf\xc3\xa9-\xe6\x97\xa5 mem=16M\n", &e), 0);
	assert_string_equal(s.host.name, "n1");
	assert_string_equal(s.host.sched, "credit");
	assert_true(s.host.nic_bps == 10e9);
	assert_int_equal(s.host.disk_sched, SCN_DISK_NONE);
	assert_int_equal(s.host.mhz, 3000);
	d = &s.domains[0];
	assert_int_equal(d->domid, 7);
	assert_int_equal(d->mem_kb, 1572864);
	assert_int_equal(d->maxmem_kb, 2 << 20);
	assert_int_equal(d->cap, 150);
	assert_true(d->cpu == 1.25);
	assert_true(d->jitter == 0.2);
	assert_true(d->pinned);
	assert_true(cpuset_has(&d->pin, 1) && cpuset_has(&d->pin, 2) && !cpuset_has(&d->pin, 0));
	assert_int_equal(d->n_vifs, 2);
	assert_true(d->vifs[0].rx_bps == 20e6);
	assert_true(d->vifs[0].tx_bps == 1500);
	assert_int_equal(d->vifs[0].pkt, 64);
	assert_int_equal(d->vifs[1].devid, 1);
	assert_int_equal(d->vifs[1].pkt, 1000);
	assert_int_equal(d->n_vbds, 1);
	assert_int_equal(d->vbds[0].devid, 51728);
	assert_int_equal(d->vbds[0].req_bytes, 4096);
	assert_true(d->vbds[0].read_frac == 0.1);
	assert_string_equal(s.domains[1].name, "web shop \"2\"");
	assert_true(s.domains[1].paused);
	assert_int_equal(s.domains[1].domid, 8);
	assert_string_equal(s.domains[2].name, "caf\xc3\xa9-\xe6\x97\xa5");
	scenario_free(&s);
}

static void
test_events(void **state)
{
	struct scenario s;
	struct err e;

	(void)state;
	assert_int_equal(parse(&s, HOST
	    "domain a mem=1G vcpus=2\nvif\nvbd xvda\nvbd xvdc\n"
	    "at 0 a cpu=1\n"
	    "at 1.5 a vif=0 rx=1mbit vbd=xvdc iops=9 read=50%\n"
	    "at 2 create b mem=1G\nvif rx=1mbit\n"
	    "at 3 destroy b\n"
	    "at 3 create b mem=2G cpu=1\n"
	    "at 4 \"a\" jitter=5%\n", &e), 0);
	assert_int_equal(s.n_domains, 3);
	assert_int_equal(s.n_events, 6);
	assert_int_equal(s.events[1].at_ns, 1500000000);
	assert_int_equal(s.events[1].set, SCN_SET_RX | SCN_SET_IOPS | SCN_SET_READ);
	assert_int_equal(s.events[1].vbd, 1);
	assert_int_equal(s.events[2].kind, SCN_EV_CREATE);
	assert_int_equal(s.domains[1].n_vifs, 1);
	assert_false(s.domains[1].at_start);
	assert_int_equal(s.events[3].kind, SCN_EV_DESTROY);
	assert_int_equal(s.events[3].dom, 1);
	assert_int_equal(s.events[4].dom, 2);
	assert_int_equal(s.domains[2].domid, 3);          /* ids are not reused */
	assert_int_equal(s.events[5].set, SCN_SET_JITTER);
	scenario_free(&s);
}

static void
test_generate(void **state)
{
	const char *text = "host pcpus=16 mem=4T\n"
	    "generate count=500 prefix=t vcpus=1-4 mem=512M-4G cpu=0-1.5 rx=0-50mbit iops=10-500 weight=100-200\n";
	struct scenario a, b, c;
	struct err e;
	bool differs = false;

	(void)state;
	assert_int_equal(scenario_parse(&a, text, strlen(text), "g", 7, &e), 0);
	assert_int_equal(scenario_parse(&b, text, strlen(text), "g", 7, &e), 0);
	assert_int_equal(scenario_parse(&c, text, strlen(text), "g", 8, &e), 0);
	assert_int_equal(a.n_domains, 500);
	assert_string_equal(a.domains[0].name, "t1");
	assert_string_equal(a.domains[499].name, "t500");
	for (size_t i = 0; i < a.n_domains; i++) {
		const struct scn_domain *d = &a.domains[i];
		assert_true(d->vcpus >= 1 && d->vcpus <= 4);
		assert_true(d->mem_kb >= 512 * 1024 && d->mem_kb <= 4 * 1024 * 1024);
		assert_true(d->cpu >= 0 && d->cpu <= 1.5 && d->cpu <= d->vcpus);
		assert_true(d->weight >= 100 && d->weight <= 200);
		assert_true(d->vifs[0].rx_bps <= 50e6 && d->vbds[0].iops >= 10);
		assert_int_equal(d->domid, i + 1);
		assert_memory_equal(d, &b.domains[i], offsetof(struct scn_domain, vifs));
		if (d->cpu != c.domains[i].cpu)
			differs = true;
	}
	assert_true(differs);
	scenario_free(&a);
	scenario_free(&b);
	scenario_free(&c);
}

static void
test_errors_structure(void **state)
{
	(void)state;
	expect_error("", 1, "no host line");
	expect_error("# only a comment\n\n", 2, "no host line");
	expect_error("domain a mem=1G\n", 1, "before the host line");
	expect_error("vif\n", 1, "before the host line");
	expect_error(HOST, 1, "no domain at the start");
	expect_error(HOST HOST, 2, "a second host line");
	expect_error(HOST "frobnicate x=1\n", 2, "unknown keyword 'frobnicate'");
	expect_error(HOST "\"domain\" a mem=1G\n", 2, "starts with a keyword");
	expect_error(HOST "cpu=1\n", 2, "starts with a keyword");
	expect_error(HOST "vif rx=1mbit\n", 2, "must follow a domain line");
	expect_error(HOST "vbd xvda\n", 2, "must follow a domain line");
	expect_error(HOST "generate count=2\nvif\n", 3, "must follow a domain line");
	expect_error(HOST "domain a mem=1G\nat 1 a cpu=0.5\nvif\n", 4, "must follow a domain line");
	expect_error(HOST "domain a mem=1G\nat 1 a cpu=0.5\ndomain b mem=1G\n", 4,
	             "before the first 'at' line");
	expect_error(HOST "domain a mem=1G\nat 1 a cpu=0.5\ngenerate count=1\n", 4,
	             "before the first 'at' line");
	expect_error(HOST "domain a mem=1G\nat 5 a cpu=1\nat 4 a cpu=0\n", 4, "time goes backwards");
	expect_error(HOST "domain a mem=1G \"unterminated\n", 2, "unterminated quote");
}

static void
test_errors_keys(void **state)
{
	(void)state;
	expect_error("host pcpus=8\n", 1, "needs pcpus= and mem=");
	expect_error("host pcpus=8 mem=1G cores=2\n", 1, "unknown key 'cores'");
	expect_error("host pcpus=8 mem=1G sched=rtds\n", 1, "expected credit or credit2");
	expect_error("host pcpus=8 mem=1G disk_sched=cfq\n", 1, "expected bfq, mq-deadline or none");
	expect_error(HOST "domain a mem=1G cpus=2\n", 2, "unknown key 'cpus' on this domain line (known: id vcpus");
	expect_error(HOST "domain a mem=1G cpu=1 cpu=1\n", 2, "cpu= given twice");
	expect_error(HOST "domain a mem=1G cpu=\n", 2, "cpu= needs a value");
	expect_error(HOST "domain a mem=1G stray\n", 2, "'stray': expected key=value");
	expect_error(HOST "domain mem=1G\n", 2, "expected a domain name first");
	expect_error(HOST "domain\n", 2, "expected a domain name first");
	expect_error(HOST "domain a vcpus=2\n", 2, "needs mem=");
	expect_error(HOST "domain a mem=1G state=crashed\n", 2, "expected running or paused");
	expect_error(HOST "domain a mem=1G\nvif rate=1mbit\n", 3, "unknown key 'rate' on this vif line");
	expect_error(HOST "domain a mem=1G\nvbd\n", 3, "expected a device name first");
	expect_error(HOST "domain a mem=1G\nvbd sda\n", 3, "expected xvda to xvdz");
	expect_error(HOST "domain a mem=1G\nvbd xvda\nvbd xvda\n", 4, "has a vbd xvda already");
	expect_error(HOST "generate prefix=x\n", 2, "needs count=");
	expect_error(HOST "generate count=1 color=red\n", 2, "unknown key 'color'");
}

static void
test_errors_numbers(void **state)
{
	(void)state;
	expect_error("host pcpus=0 mem=1G\n", 1, "pcpus=0 is out of range (1 to 1024)");
	expect_error("host pcpus=1025 mem=1G\n", 1, "out of range");
	expect_error("host pcpus=2.5 mem=1G\n", 1, "expected a whole number");
	expect_error("host pcpus=8 mem=1G nic=1gbps\n", 1, "expected a rate such as 20mbit");
	expect_error(HOST "domain a mem=512\n", 2, "mem=512: expected a size such as 512M");
	expect_error(HOST "domain a mem=8M\n", 2, "out of range (16M to 16T)");
	expect_error(HOST "domain a mem=1G weight=70000\n", 2, "weight=70000 is out of range (1 to 65535)");
	expect_error(HOST "domain a mem=1G weight=0\n", 2, "out of range");
	expect_error(HOST "domain a mem=1G weight=-1\n", 2, "expected a plain number");
	expect_error(HOST "domain a mem=1G cpu=abc\n", 2, "cpu=abc: expected a plain number");
	expect_error(HOST "domain a mem=1G cpu=1.\n", 2, "expected a plain number");
	expect_error(HOST "domain a mem=1G cpu=.5\n", 2, "expected a plain number");
	expect_error(HOST "domain a mem=1G cpu=1e3\n", 2, "expected a plain number");
	expect_error(HOST "domain a mem=1G cpu=99999999999999999999\n", 2, "at most 15 digits");
	expect_error(HOST "domain a mem=1G vcpus=2 cpu=2.5\n", 2, "more than the domain's 2 vcpus");
	expect_error(HOST "domain a mem=1G vcpus=2 cap=201\n", 2, "more than 100 x vcpus (200)");
	expect_error(HOST "domain a mem=1G jitter=20\n", 2, "expected a percentage");
	expect_error(HOST "domain a mem=1G jitter=101%\n", 2, "out of range (0% to 100%)");
	expect_error(HOST "domain a mem=1G maxmem=512M\n", 2, "maxmem=512M is less than mem=1G");
	expect_error(HOST "domain a mem=1G id=32752\n", 2, "out of range (0 to 32751)");
	expect_error(HOST "domain a mem=1G pin=8\n", 2, "pin=: ");
	expect_error(HOST "domain a mem=1G pin=^0-7\n", 2, "pin=");
	expect_error(HOST "domain a mem=1G\nvif pkt=63\n", 3, "pkt=63 is out of range");
	expect_error(HOST "domain a mem=1G\nvif rx=20\n", 3, "expected a rate");
	expect_error(HOST "domain a mem=1G\nvif rx=2000gbit\n", 3, "out of range");
	expect_error(HOST "domain a mem=1G\nvbd xvda size=1000\n", 3, "not a multiple of 512");
	expect_error(HOST "domain a mem=1G\nvbd xvda size=8M\n", 3, "out of range");
	expect_error(HOST "domain a mem=1G\nvbd xvda read=150%\n", 3, "out of range");
	expect_error(HOST "generate count=0\n", 2, "count=0 is out of range");
	expect_error(HOST "generate count=2 vcpus=4-1\n", 2, "the range runs backwards");
	expect_error(HOST "generate count=2 vcpus=1-\n", 2, "vcpus=: expected");
	expect_error(HOST "generate count=2 size=1000\n", 2, "not a multiple of 512");
	expect_error(HOST "domain a mem=1G\nat -1 a cpu=1\n", 3, "at=-1: expected");
	expect_error(HOST "domain a mem=1G\nat 10000001 a cpu=1\n", 3, "out of range");
}

static void
test_errors_names_and_ids(void **state)
{
	char line[256];

	(void)state;
	expect_error(HOST "domain a mem=1G\ndomain a mem=1G\n", 3, "a domain named 'a' already exists");
	expect_error(HOST "domain a id=5 mem=1G\ndomain b id=5 mem=1G\n", 3, "domain id 5 is already in use");
	expect_error(HOST "domain 42 mem=1G\n", 2, "only digits");
	expect_error(HOST "domain \"\" mem=1G\n", 2, "name is empty");
	snprintf(line, sizeof line, HOST "domain %064d mem=1G\n", 1);
	expect_error(line, 2, "too long (at most 63 bytes)");
	expect_error(HOST "domain a\x1b[31m mem=1G\n", 2, "control character 0x1b");
	expect_error(HOST "domain \"a\tb\" mem=1G\n", 2, "control character 0x09");
	expect_error(HOST "domain \"ab\x01\" mem=1G\n", 2, "control character 0x01");
	expect_error(HOST "domain a\xc2\x9b" "b mem=1G\n", 2, "has invalid UTF-8 or a control");
	expect_error(HOST "domain evil\xe2\x80\xae" "txt mem=1G\n", 2, "bidi");
	expect_error(HOST "domain bad\xff mem=1G\n", 2, "invalid UTF-8");
	expect_error(HOST "domain a mem=1G\x7f\n", 2, "control character 0x7f");
	expect_error("host name=x\x1b pcpus=1 mem=1G\n", 1, "control character");
	expect_error("host name=1234 pcpus=1 mem=1G\n", 1, "only digits");
	expect_error(HOST "domain a id=0 mem=1G state=paused\n", 2, "domain 0 cannot be paused");
	expect_error(HOST "generate count=2 prefix=a\ndomain a2 mem=1G\n", 3, "'a2' already exists");
	expect_error(HOST "generate count=1 prefix=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2,
	             "prefix= is too long");
	expect_error("host pcpus=8 mem=2G\ndomain a mem=1G\ndomain b mem=1.5G\n", 3,
	             "needs 1536 MiB but only 1024 MiB");
	expect_error("host pcpus=8 mem=2G\ndomain a mem=1G\nat 1 create b mem=1.5G\n", 3,
	             "only 1024 MiB");
}

/* name_hex= gives the host raw name bytes; the scenario still calls the domain by NAME. */
static void
test_name_hex(void **state)
{
	struct scenario s;
	struct err e = {{0}};
	char all[SAMPLE_NAME_MAX], text[1024], hex[2 * SAMPLE_NAME_MAX + 1];
	const char *scn =
	    HOST
	    "domain d0 id=0 mem=1G name_hex=1B5b324a\n"                 /* ESC [2J, either case */
	    "domain evil mem=1G cpu=0.5 name_hex=1b5d303b70776e656407\n"  /* ESC ]0;pwned BEL */
	    "domain bidi mem=1G name_hex=e280ae6576696c\n"             /* U+202E evil */
	    "domain c1 mem=1G name_hex=9b33316d\n"                     /* C1 CSI 31m */
	    "domain utf mem=1G name_hex=ff41c0\n"                      /* invalid UTF-8 */
	    "domain plain mem=1G\n"
	    "at 1 evil cpu=1\n"
	    "at 2 destroy evil\n"
	    "at 3 create evil mem=1G name_hex=0d0a\n"                  /* CR LF */
	    "at 4 create again mem=1G name_hex=1b5d303b70776e656407\n"; /* evil's old name, free again */

	(void)state;
	if (parse(&s, scn, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(s.n_domains, 8);
	assert_string_equal(s.domains[0].name, "\x1b[2J");
	assert_string_equal(s.domains[0].label, "d0");
	assert_true(s.domains[0].raw_name);
	assert_int_equal(s.domains[0].domid, 0);
	assert_string_equal(s.domains[1].name, "\x1b]0;pwned\x07");
	assert_string_equal(s.domains[1].label, "evil");
	assert_true(s.domains[1].cpu == 0.5);
	assert_string_equal(s.domains[2].name, "\xe2\x80\xae" "evil");
	assert_string_equal(s.domains[3].name, "\x9b" "31m");
	assert_string_equal(s.domains[4].name, "\xff" "A\xc0");
	assert_string_equal(s.domains[5].name, "plain");
	assert_string_equal(s.domains[5].label, "plain");
	assert_false(s.domains[5].raw_name);
	/* 'at' lines name the domain by its label */
	assert_int_equal(s.n_events, 4);
	assert_int_equal(s.events[0].dom, 1);
	assert_int_equal(s.events[1].kind, SCN_EV_DESTROY);
	assert_int_equal(s.events[1].dom, 1);
	assert_int_equal(s.events[2].kind, SCN_EV_CREATE);
	assert_string_equal(s.domains[6].name, "\r\n");
	assert_string_equal(s.domains[6].label, "evil");
	assert_false(s.domains[6].at_start);
	assert_string_equal(s.domains[7].name, "\x1b]0;pwned\x07");
	scenario_free(&s);

	/* every byte but NUL, and the longest name */
	for (size_t i = 0; i < SAMPLE_NAME_MAX - 1; i++) {
		all[i] = (char)(i * 4 + 1);
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)all[i]);
	}
	all[SAMPLE_NAME_MAX - 1] = '\0';
	snprintf(text, sizeof text, HOST "domain a mem=1G name_hex=%s\n", hex);
	if (parse(&s, text, &e) != 0)
		fail_msg("%s", e.msg);
	assert_memory_equal(s.domains[0].name, all, SAMPLE_NAME_MAX);
	scenario_free(&s);
	for (unsigned b = 1; b < 256; b++) {
		snprintf(text, sizeof text, HOST "domain a mem=1G name_hex=%02x\n", b);
		if (parse(&s, text, &e) != 0)
			fail_msg("byte %02x: %s", b, e.msg);
		assert_int_equal((unsigned char)s.domains[0].name[0], b);
		assert_int_equal(s.domains[0].name[1], '\0');
		scenario_free(&s);
	}
}

static void
test_errors_name_hex(void **state)
{
	char line[512], hex[2 * SAMPLE_NAME_MAX + 3];

	(void)state;
	expect_error(HOST "domain a mem=1G name_hex=1b5\n", 2, "odd number of hex digits (3)");
	expect_error(HOST "domain a mem=1G name_hex=1g\n", 2, "'1g' at offset 0 is not a hex byte");
	expect_error(HOST "domain a mem=1G name_hex=41x1\n", 2, "'x1' at offset 2");
	expect_error(HOST "domain a mem=1G name_hex=4100\n", 2, "byte 1 is 00");
	expect_error(HOST "domain a mem=1G name_hex=0x41\n", 2, "not a hex byte");
	expect_error(HOST "domain a mem=1G name_hex=\"4 41\"\n", 2, "'4?' at offset 0");
	expect_error(HOST "domain a mem=1G name_hex=\n", 2, "name_hex= needs a value");
	expect_error(HOST "domain a mem=1G name_hex=41 name_hex=42\n", 2, "name_hex= given twice");
	/* a non-hex byte is never echoed raw */
	expect_error(HOST "domain a mem=1G name_hex=\xc2\x9b" "41\n", 2, "'?" "?' at offset 0");
	memset(hex, '4', 2 * SAMPLE_NAME_MAX);
	hex[2 * SAMPLE_NAME_MAX] = '\0';
	snprintf(line, sizeof line, HOST "domain a mem=1G name_hex=%s\n", hex);
	expect_error(line, 2, "name_hex= is too long: 64 bytes (at most 63)");
	/* NAME is still required and still strict */
	expect_error(HOST "domain name_hex=41 mem=1G\n", 2, "expected a domain name first");
	expect_error(HOST "domain a\x1b mem=1G name_hex=41\n", 2, "control character 0x1b");
	expect_error(HOST "domain 12 mem=1G name_hex=41\n", 2, "only digits");
	/* the raw control byte stays refused everywhere else */
	expect_error(HOST "domain a mem=1G name_hex=41\nat 1 a\x1b cpu=1\n", 3, "control character");
	/* reported names are unique among live domains, whichever way they are given */
	expect_error(HOST "domain a mem=1G name_hex=1b\ndomain b mem=1G name_hex=1b\n", 3,
	             "domain 'b': another domain alive then has the same name");
	expect_error(HOST "domain web mem=1G\ndomain b mem=1G name_hex=776562\n", 3,
	             "same name");
	expect_error(HOST "domain a mem=1G name_hex=776562\ndomain web mem=1G\n", 3,
	             "same name");
	expect_error(HOST "domain a mem=1G\nat 1 create b mem=1G name_hex=61\n", 3, "same name");
	/* labels stay unique too; messages use the label, not the raw bytes */
	expect_error(HOST "domain a mem=1G name_hex=1b\ndomain a mem=1G\n", 3,
	             "a domain named 'a' already exists");
	expect_error(HOST "domain a mem=1G name_hex=1b5b324a\nat 1 a rx=1mbit\n", 3,
	             "domain 'a' has no vif 0");
	expect_error("host pcpus=1 mem=1G\ndomain a mem=2G name_hex=1b\n", 2, "domain 'a' needs");
	/* generate and host have no raw form */
	expect_error(HOST "generate count=1 name_hex=41\n", 2, "unknown key 'name_hex'");
	expect_error("host pcpus=1 mem=1G name_hex=41\n", 1, "unknown key 'name_hex'");
	expect_error(HOST "domain a mem=1G\nat 1 a name_hex=41\n", 3, "unknown key 'name_hex'");
}

static void
test_errors_events(void **state)
{
	(void)state;
	expect_error(HOST "domain a mem=1G\nat 1 b cpu=1\n", 3, "no domain 'b' exists at that time");
	expect_error(HOST "domain a mem=1G\nat 1\n", 3, "expected: at TIME NAME");
	expect_error(HOST "domain a mem=1G\nat 1 a\n", 3, "nothing to change");
	expect_error(HOST "domain a mem=1G\nat 1 a vcpus=2\n", 3, "unknown key 'vcpus' on this at line");
	expect_error(HOST "domain a mem=1G\nat 1 a cpu=2\n", 3, "more than the domain's 1 vcpus");
	expect_error(HOST "domain a mem=1G\nat 1 a rx=1mbit\n", 3, "domain 'a' has no vif 0");
	expect_error(HOST "domain a mem=1G\nvif\nat 1 a vif=3 rx=1mbit\n", 4, "has no vif 3");
	expect_error(HOST "domain a mem=1G\nat 1 a iops=3\n", 3, "has no vbd at all");
	expect_error(HOST "domain a mem=1G\nvbd xvda\nat 1 a vbd=xvdb iops=3\n", 4, "has no vbd xvdb");
	expect_error(HOST "domain a mem=1G\nat 1 destroy b\n", 3, "no domain 'b' exists");
	expect_error(HOST "domain a mem=1G\nat 1 destroy\n", 3, "expected: at TIME");
	expect_error(HOST "domain a mem=1G\nat 1 destroy a b\n", 3, "expected: at TIME destroy NAME");
	expect_error(HOST "domain d0 id=0 mem=1G\nat 1 destroy d0\n", 3, "domain 0 cannot be destroyed");
	expect_error(HOST "domain a mem=1G\nat 1 destroy a\nat 2 a cpu=1\n", 4, "no domain 'a'");
	expect_error(HOST "domain a mem=1G\nat 1 create a mem=1G\n", 3, "'a' already exists");
	expect_error(HOST "domain a mem=1G\nat 1 create\n", 3, "expected a domain name first: at TIME create NAME");
	expect_error(HOST "domain a mem=1G\nat 1 create mem=1G x=1\n", 3, "expected a domain name first");
	expect_error(HOST "domain a mem=1G\nat 1 create b\n", 3, "needs mem=");
	expect_error(HOST "domain a mem=1G\nat 1 create b mem=1G\nvif\nvbd xvdz\nvif bogus=1\n", 6,
	             "unknown key 'bogus'");
}

static void
test_errors_hostile_lines(void **state)
{
	struct scenario s;
	struct err e;
	size_t n = 1 << 20;
	char *big = malloc(n + 64);

	(void)state;
	assert_non_null(big);
	/* a 4096-byte line is fine, 4097 is not */
	memset(big, ' ', n);
	memcpy(big, HOST "domain a mem=1G", strlen(HOST "domain a mem=1G"));
	big[strlen(HOST) + 4096] = '\n';
	big[strlen(HOST) + 4097] = '\0';
	if (parse(&s, big, &e) < 0)
		fail_msg("%s", e.msg);
	scenario_free(&s);
	big[strlen(HOST) + 4096] = ' ';
	big[strlen(HOST) + 4097] = '\n';
	big[strlen(HOST) + 4098] = '\0';
	expect_error(big, 2, "line too long");
	/* one megabyte without a newline */
	memset(big, 'x', n);
	big[n] = '\0';
	expect_error(big, 1, "line too long");
	/* a very long name and a very long number on a short enough line */
	memset(big, 0, n);
	strcpy(big, HOST "domain a mem=1G weight=");
	memset(big + strlen(big), '9', 3000);
	strcat(big, "\n");
	expect_error(big, 2, "at most 15 digits");
	memset(big, 0, n);
	strcpy(big, HOST "domain a mem=1G weight=");
	memset(big + strlen(big), '0', 3000);
	strcat(big, "1\n");
	assert_int_equal(parse(&s, big, &e), 0);
	assert_int_equal(s.domains[0].weight, 1);
	scenario_free(&s);
	memset(big, 0, n);
	strcpy(big, HOST "domain ");
	memset(big + strlen(big), 'n', 3000);
	strcat(big, " mem=1G\n");
	expect_error(big, 2, "too long");
	/* too many fields */
	memset(big, 0, n);
	strcpy(big, HOST "domain a mem=1G");
	for (int i = 0; i < 70; i++)
		strcat(big, " x=1");
	strcat(big, "\n");
	expect_error(big, 2, "too many fields");
	/* a NUL byte inside the text */
	assert_int_equal(scenario_parse(&s, HOST "domain a\0b mem=1G\n", strlen(HOST) + 20, "t.scn",
	                                1, &e), -1);
	assert_string_equal(e.msg, "t.scn:2: NUL byte in the line (is this a text file?)");
	/* size limit */
	assert_int_equal(scenario_parse(&s, "", SCN_MAX_BYTES + 1, "t.scn", 1, &e), -1);
	assert_non_null(strstr(e.msg, "larger than 16 MiB"));
	free(big);
}

static void
test_limits(void **state)
{
	char *text = malloc(1 << 16);
	struct scenario s;
	struct err e;

	(void)state;
	strcpy(text, HOST "domain a mem=1G\n");
	for (int i = 0; i < 16; i++)
		strcat(text, "vif\n");
	assert_int_equal(parse(&s, text, &e), 0);
	scenario_free(&s);
	strcat(text, "vif\n");
	expect_error(text, 19, "has 16 vifs already");
	expect_error("host pcpus=8 mem=256T\ngenerate count=20000 mem=16M\ngenerate count=1 prefix=z mem=16M\n",
	             3, "too many domains");
	expect_error("host pcpus=8 mem=256T\ngenerate count=300 vcpus=512 mem=16M\n", 2, "too many vcpus");
	free(text);
}

static void
test_load_file(void **state)
{
	struct scenario s;
	struct err e;
	char path[] = "/tmp/test_scenario_XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(HOST "domain a mem=1G\ndomain b mem=1G cpu=x\n", f);
	fclose(f);
	assert_int_equal(scenario_load(&s, path, 0, &e), -1);
	assert_non_null(strstr(e.msg, ":3: cpu=x"));
	assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
	unlink(path);
	assert_int_equal(scenario_load(&s, path, 0, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open scenario"));
}

/* Random bytes and mutations of a good scenario: never a crash, always a located message. */
static void
test_fuzz(void **state)
{
	static const char alphabet[] = "hostdmainvfbgert= .#\"\\\n\t0123456789-%KMGkbix,^\r\xc3\xa9\xe2\x80\xae\x01";
	const char *base = sim_default_scenario;
	size_t blen = strlen(base);
	char *buf = malloc(blen + 4096);
	struct sim_rng r;
	struct scenario s;
	struct err e;

	(void)state;
	sim_rng_seed(&r, 12345, 0);
	for (int iter = 0; iter < 3000; iter++) {
		size_t len;

		if (iter % 3 == 0) {            /* random bytes, NUL included */
			len = sim_rng_next(&r) % 2048;
			for (size_t i = 0; i < len; i++)
				buf[i] = (char)(sim_rng_next(&r) & 0xff);
		} else if (iter % 3 == 1) {     /* random text from the scenario alphabet */
			len = sim_rng_next(&r) % 4000;
			memcpy(buf, HOST, strlen(HOST));
			for (size_t i = strlen(HOST); i < len; i++)
				buf[i] = alphabet[sim_rng_next(&r) % (sizeof alphabet - 1)];
			if (len < strlen(HOST))
				len = strlen(HOST);
		} else {                        /* mutations of the default scenario */
			memcpy(buf, base, blen);
			len = blen;
			for (int m = 0; m < 1 + (int)(sim_rng_next(&r) % 4); m++) {
				size_t at = sim_rng_next(&r) % len;
				buf[at] = alphabet[sim_rng_next(&r) % (sizeof alphabet - 1)];
			}
		}
		memset(&e, 0, sizeof e);
		if (scenario_parse(&s, buf, len, "f", iter, &e) == 0) {
			assert_true(s.n_domains > 0);
			scenario_free(&s);
		} else {
			char clean[ERR_MSG_MAX];
			assert_int_equal(strncmp(e.msg, "f:", 2), 0);
			assert_true(strlen(e.msg) > 4);
			if (!str_sanitize(clean, sizeof clean, e.msg))
				fail_msg("message with unsafe bytes: %s", clean);
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_scenario),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_values_and_units),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_errors_structure),
		cmocka_unit_test(test_errors_keys),
		cmocka_unit_test(test_errors_numbers),
		cmocka_unit_test(test_errors_names_and_ids),
		cmocka_unit_test(test_errors_events),
		cmocka_unit_test(test_name_hex),
		cmocka_unit_test(test_errors_name_hex),
		cmocka_unit_test(test_errors_hostile_lines),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
