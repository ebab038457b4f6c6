/*
 * net_send.c: traffic for the network integration tests, and only for them.
 *
 * Every sending mode refuses to run outside a test namespace (one named
 * /run/netns/dtnet-*) and to send to any address outside 198.18.0.0/15 (the benchmarking range, used
 * only on the test veths), so it cannot reach a real network by mistake.
 * Every mode is bounded in time, and the flood also in packet count.
 *
 *   net_send udp DST PORT PPS PAYLOAD SECONDS [SRC]
 *                                                 paced UDP to one port, from
 *                                                 SRC (ADDR:PORT, ADDR or :PORT;
 *                                                 default: any address, an
 *                                                 ephemeral port)
 *   net_send spoof DSTNET SRCNET COUNT SECONDS    raw UDP, random source and
 *                                                 destination inside the nets,
 *                                                 random ports, 18-byte payload
 *   net_send scan DSTNET N                        one UDP packet to each of N
 *                                                 addresses (fan-out)
 *   net_send smtp DST COUNT                       COUNT TCP connects to DST:25
 *   net_send sink ADDR SECONDS PORT...            bind UDP ports, read nothing
 *                                                 (no ICMP port unreachable)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TEST_NET   0xc6120000u   /* 198.18.0.0 */
#define TEST_MASK  0xfffe0000u   /* /15 */
#define FLOOD_MAX  5000000ul
#define SECONDS_MAX 60.0

struct net4 {
	uint32_t addr, mask;         /* host order */
};

static int
die(const char *msg)
{
	fprintf(stderr, "net_send: %s\n", msg);
	return 1;
}

static bool
in_test_net(uint32_t a)
{
	return (a & TEST_MASK) == TEST_NET;
}

static bool
parse_net(const char *s, struct net4 *n)
{
	char buf[64], *slash;
	struct in_addr a;
	int len = 32;

	snprintf(buf, sizeof buf, "%s", s);
	slash = strchr(buf, '/');
	if (slash != NULL) {
		*slash = '\0';
		len = atoi(slash + 1);
	}
	if (inet_pton(AF_INET, buf, &a) != 1 || len < 15 || len > 32)
		return false;
	n->mask = len == 32 ? 0xffffffffu : ~(0xffffffffu >> len);
	n->addr = ntohl(a.s_addr) & n->mask;
	return in_test_net(n->addr);
}

/*
 * Senders run only inside a namespace the test harness made: one named
 * /run/netns/dtnet-* (tests/net/run.sh names its guest namespaces so).
 */
static bool
in_test_netns(void)
{
	struct stat self, ns;
	struct dirent *de;
	bool ok = false;
	char path[300];
	DIR *d;

	if (stat("/proc/self/ns/net", &self) < 0 || (d = opendir("/run/netns")) == NULL)
		return false;
	while (!ok && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "dtnet-", 6) != 0)
			continue;
		snprintf(path, sizeof path, "/run/netns/%s", de->d_name);
		ok = stat(path, &ns) == 0 && ns.st_ino == self.st_ino && ns.st_dev == self.st_dev;
	}
	closedir(d);
	return ok;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
guard(uint32_t dst_host_order)
{
	if (!in_test_netns())
		return die("refusing to send outside a test namespace (run it with "
		           "ip netns exec dtnet-...)");
	if (!in_test_net(dst_host_order))
		return die("refusing to send outside 198.18.0.0/15");
	return 0;
}

static int
dst_addr(const char *s, struct sockaddr_in *sa, int port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, s, &sa->sin_addr) != 1)
		return die("bad IPv4 address");
	return guard(ntohl(sa->sin_addr.s_addr));
}

/* SRC of mode udp: "ADDR:PORT", "ADDR" or ":PORT"; the address inside the test range. */
static int
src_addr(const char *s, struct sockaddr_in *sa)
{
	char buf[64], *colon;
	int port = 0;

	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	snprintf(buf, sizeof buf, "%s", s);
	colon = strchr(buf, ':');
	if (colon != NULL) {
		*colon = '\0';
		port = atoi(colon + 1);
		if (port <= 0 || port > 65535)
			return die("udp: bad source port");
	}
	sa->sin_port = htons((uint16_t)port);
	if (buf[0] == '\0')
		return 0;
	if (inet_pton(AF_INET, buf, &sa->sin_addr) != 1)
		return die("udp: bad source address");
	if (!in_test_net(ntohl(sa->sin_addr.s_addr)))
		return die("udp: refusing a source outside 198.18.0.0/15");
	return 0;
}

static int
mode_udp(int argc, char **argv)
{
	struct sockaddr_in sa, src;
	char payload[1472];
	int port = atoi(argv[1]), size = atoi(argv[3]), fd;
	double pps = atof(argv[2]), secs = atof(argv[4]), t0, t;
	long sent = 0;

	if (port <= 0 || port > 65535 || pps <= 0 || pps > 1e6 || size < 0 || size > 1472
	    || secs <= 0 || secs > SECONDS_MAX)
		return die("udp: bad PORT, PPS, PAYLOAD or SECONDS");
	if (dst_addr(argv[0], &sa, port) != 0 || (argc > 5 && src_addr(argv[5], &src) != 0))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("udp: socket failed");
	if (argc > 5 && bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
		close(fd);
		return die("udp: cannot bind the source address and port");
	}
	memset(payload, 'x', sizeof payload);
	t0 = now_s();
	while ((t = now_s()) - t0 < secs) {
		long due = (long)((t - t0) * pps) + 1;
		for (; sent < due; sent++)
			sendto(fd, payload, (size_t)size, 0, (struct sockaddr *)&sa, sizeof sa);
		usleep(1000);
	}
	close(fd);
	printf("sent=%ld\n", sent);
	return 0;
}

static uint32_t
rnd_in(const struct net4 *n, uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return n->addr | ((uint32_t)*state & ~n->mask);
}

static int
mode_spoof(char **argv)
{
	struct { struct iphdr ip; struct udphdr udp; char data[18]; } pkt[64];
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	struct sockaddr_in to[64];
	struct net4 dnet, snet;
	unsigned long count = strtoul(argv[2], NULL, 10), sent = 0;
	double secs = atof(argv[3]), t0;
	uint64_t rs;
	int fd, one = 1, i;

	if (!parse_net(argv[0], &dnet) || !parse_net(argv[1], &snet))
		return die("spoof: DSTNET and SRCNET must be inside 198.18.0.0/15 (e.g. 198.19.0.0/16)");
	if (count == 0 || count > FLOOD_MAX || secs <= 0 || secs > SECONDS_MAX)
		return die("spoof: COUNT must be 1..5000000 and SECONDS 0..60");
	if (guard(dnet.addr) != 0)
		return 1;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0)
		return die("spoof: raw socket failed (needs root)");
	if (getrandom(&rs, sizeof rs, 0) != sizeof rs || rs == 0)
		rs = 88172645463325252ull;
	memset(pkt, 0, sizeof pkt);
	for (i = 0; i < 64; i++) {
		pkt[i].ip.version = 4;
		pkt[i].ip.ihl = 5;
		pkt[i].ip.ttl = 16;
		pkt[i].ip.protocol = IPPROTO_UDP;
		pkt[i].udp.len = htons(sizeof pkt[i].udp + sizeof pkt[i].data);
		iov[i].iov_base = &pkt[i];
		iov[i].iov_len = sizeof pkt[i];
		memset(&msgs[i], 0, sizeof msgs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to[i];
		msgs[i].msg_hdr.msg_namelen = sizeof to[i];
	}
	t0 = now_s();
	while (sent < count && now_s() - t0 < secs) {
		int n = count - sent < 64 ? (int)(count - sent) : 64, r;
		for (i = 0; i < n; i++) {
			uint32_t d = rnd_in(&dnet, &rs), s = rnd_in(&snet, &rs);
			pkt[i].ip.saddr = htonl(s);
			pkt[i].ip.daddr = htonl(d);
			pkt[i].udp.source = htons((uint16_t)(1024 + rs % 64000));
			pkt[i].udp.dest = htons((uint16_t)(1 + (rs >> 20) % 65535));
			memset(&to[i], 0, sizeof to[i]);
			to[i].sin_family = AF_INET;
			to[i].sin_addr.s_addr = htonl(d);
		}
		r = sendmmsg(fd, msgs, (unsigned)n, 0);
		if (r > 0)
			sent += (unsigned long)r;
		else if (errno != ENOBUFS && errno != EAGAIN)
			break;
	}
	close(fd);
	printf("sent=%lu seconds=%.2f pps=%.0f\n", sent, now_s() - t0, sent / (now_s() - t0));
	return 0;
}

static int
mode_scan(char **argv)
{
	struct net4 n;
	struct sockaddr_in sa;
	int count = atoi(argv[1]), fd, i;

	if (!parse_net(argv[0], &n) || count <= 0 || count > 60000)
		return die("scan: DSTNET inside 198.18.0.0/15 and N in 1..60000");
	if (guard(n.addr) != 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return die("scan: socket failed");
	for (i = 0; i < count; i++) {
		uint32_t a = n.addr | ((uint32_t)(i + 1) & ~n.mask);
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons(7);
		sa.sin_addr.s_addr = htonl(a);
		sendto(fd, "scan", 4, 0, (struct sockaddr *)&sa, sizeof sa);
		if (i % 50 == 49)
			usleep(2000);
	}
	close(fd);
	printf("sent=%d\n", count);
	return 0;
}

static int
mode_smtp(char **argv)
{
	struct sockaddr_in sa;
	int count = atoi(argv[1]), i;

	if (count <= 0 || count > 1000)
		return die("smtp: COUNT in 1..1000");
	if (dst_addr(argv[0], &sa, 25) != 0)
		return 1;
	for (i = 0; i < count; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return die("smtp: socket failed");
		connect(fd, (struct sockaddr *)&sa, sizeof sa);
		usleep(20000);
		close(fd);
	}
	printf("sent=%d\n", count);
	return 0;
}

static int
mode_sink(int argc, char **argv)
{
	double secs = atof(argv[1]);
	int i;

	if (secs <= 0 || secs > 600)
		return die("sink: SECONDS in 0..600");
	for (i = 2; i < argc; i++) {
		struct sockaddr_in sa;
		int fd = socket(AF_INET, SOCK_DGRAM, 0);
		memset(&sa, 0, sizeof sa);
		sa.sin_family = AF_INET;
		sa.sin_port = htons((uint16_t)atoi(argv[i]));
		if (fd < 0 || inet_pton(AF_INET, argv[0], &sa.sin_addr) != 1
		    || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
			return die("sink: cannot bind");
	}
	usleep((useconds_t)(secs * 1e6));
	return 0;
}

int
main(int argc, char **argv)
{
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "udp") == 0)
		return mode_udp(argc - 2, argv + 2);
	if (argc == 6 && strcmp(argv[1], "spoof") == 0)
		return mode_spoof(argv + 2);
	if (argc == 4 && strcmp(argv[1], "scan") == 0)
		return mode_scan(argv + 2);
	if (argc == 4 && strcmp(argv[1], "smtp") == 0)
		return mode_smtp(argv + 2);
	if (argc >= 5 && strcmp(argv[1], "sink") == 0)
		return mode_sink(argc - 2, argv + 2);
	fprintf(stderr, "usage: net_send udp DST PORT PPS PAYLOAD SECONDS [SRC] | spoof DSTNET SRCNET COUNT SECONDS\n"
	        "       | scan DSTNET N | smtp DST COUNT | sink ADDR SECONDS PORT...\n");
	return 2;
}
