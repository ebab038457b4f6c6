/*
 * domtop-hvcheck.c: a small driver of the Xen backend for the Xen lab. It
 * calls hv_xen_open and one hv operation directly, below the action API, so
 * that the backend's own checks and read-back can be compared with xl:
 *
 *   domtop-hvcheck sample               every domain of two samples, one line each
 *   domtop-hvcheck read DOMID           hv_read_domain: the domain, its vcpus, vifs, vbds
 *   domtop-hvcheck weight DOMID N       hv_set_weight
 *   domtop-hvcheck cap DOMID N          hv_set_cap
 *   domtop-hvcheck pin DOMID VCPU CPU   hv_pin_vcpu to one CPU (VCPU -1: all vcpus)
 *   domtop-hvcheck pause DOMID 0|1      hv_set_paused
 *   domtop-hvcheck qmp DOMID            query-blockstats of the domain's qemu (xen_qmp.h):
 *                                       the raw reply, then one "disk" line per device
 *
 * Prints "ok" or "error: MESSAGE" (exit 1) for the setters. Built by hand
 * (see checks/domtop-backend.sh) against build/libdomtop.a.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/hv.h"
#include "backend/sample.h"
#include "backend/xen_qmp.h"


static void
print_domain(const struct sample_domain *d)
{
	char st[7];

	sample_state_letters(d->state, st);
	printf("domain %u name=%s state=%s cpu_ns=%llu mem_kb=%llu maxmem_kb=%llu weight=%u cap=%u "
	       "vcpus=%u\n", (unsigned)d->domid, d->name, st, (unsigned long long)d->cpu_ns,
	       (unsigned long long)d->mem_kb, (unsigned long long)d->maxmem_kb, d->weight, d->cap,
	       d->nr_vcpus);
	for (size_t i = 0; i < d->n_vcpus; i++) {
		const struct sample_vcpu *v = &d->vcpus[i];
		printf("  vcpu %u online=%d running=%d pcpu=%d cpu_ns=%llu affinity=%u cpus first=%d\n",
		       v->id, v->online, v->running, v->pcpu, (unsigned long long)v->cpu_ns,
		       cpuset_count(&v->affinity), cpuset_has(&v->affinity, 0) ? 0 :
		       cpuset_has(&v->affinity, 1) ? 1 : -1);
	}
	for (size_t i = 0; i < d->n_vifs; i++)
		printf("  vif %u ifname=%s rx_bytes=%llu tx_bytes=%llu\n", d->vifs[i].devid,
		       d->vifs[i].ifname, (unsigned long long)d->vifs[i].rx_bytes,
		       (unsigned long long)d->vifs[i].tx_bytes);
	for (size_t i = 0; i < d->n_vbds; i++)
		printf("  vbd %u name=%s backend=%s rd_sect=%llu wr_sect=%llu delay_ns=%llu ioprio=%d/%d "
		       "sched=%s\n", d->vbds[i].devid, d->vbds[i].name, d->vbds[i].backend,
		       (unsigned long long)d->vbds[i].rd_sect, (unsigned long long)d->vbds[i].wr_sect,
		       (unsigned long long)d->vbds[i].delay_ns, d->vbds[i].ioprio_class,
		       d->vbds[i].ioprio_level, d->vbds[i].scheduler);
}

static int
report(int rc, const struct err *e)
{
	if (rc == 0)
		printf("ok\n");
	else
		printf("error: %s\n", e->msg);
	return rc == 0 ? 0 : 1;
}

static int
qmp(uint32_t domid, struct err *e)
{
	struct xen_qmp_disk disks[16];
	char path[108], *reply;
	size_t n;

	snprintf(path, sizeof path, XEN_QMP_SOCKET_FMT, (unsigned)domid);
	if (xen_qmp_blockstats(path, 2000, &reply, e) < 0)
		return report(-1, e);
	printf("%s\n", reply);
	if (xen_qmp_parse_blockstats(reply, disks, 16, &n, e) < 0) {
		free(reply);
		return report(-1, e);
	}
	for (size_t i = 0; i < n; i++)
		printf("disk qdev=%s node=%s rd_bytes=%llu wr_bytes=%llu rd_ops=%llu wr_ops=%llu\n",
		       disks[i].qdev, disks[i].node, (unsigned long long)disks[i].rd_bytes,
		       (unsigned long long)disks[i].wr_bytes, (unsigned long long)disks[i].rd_ops,
		       (unsigned long long)disks[i].wr_ops);
	free(reply);
	return 0;
}

static int
run(struct hv *hv, int argc, char **argv, struct err *e)
{
	uint32_t domid = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 0;
	struct sample s;
	struct sample_domain d;
	struct cpuset c;
	int rc;

	if (strcmp(argv[1], "sample") == 0) {
		sample_init(&s);
		for (int i = 0; i < 2; i++) {
			if (hv_sample(hv, &s, 1000000000ULL, e) < 0)
				return report(-1, e);
			printf("sample %d: %zu domains, host %s %s sched=%s pcpus=%u mem=%llu/%llu kB\n", i,
			       s.n_domains, s.host.hostname, s.host.hypervisor, s.host.sched,
			       s.host.nr_pcpus, (unsigned long long)s.host.free_mem_kb,
			       (unsigned long long)s.host.tot_mem_kb);
		}
		for (size_t i = 0; i < s.n_domains; i++)
			print_domain(&s.domains[i]);
		sample_free(&s);
		return 0;
	}
	if (strcmp(argv[1], "read") == 0 && argc == 3) {
		rc = hv_read_domain(hv, domid, &d, e);
		if (rc == 0) {
			print_domain(&d);
			hv_domain_free(&d);
		}
		return report(rc, e);
	}
	if (strcmp(argv[1], "weight") == 0 && argc == 4)
		return report(hv_set_weight(hv, domid, (unsigned)strtoul(argv[3], NULL, 10), e), e);
	if (strcmp(argv[1], "cap") == 0 && argc == 4)
		return report(hv_set_cap(hv, domid, (unsigned)strtoul(argv[3], NULL, 10), e), e);
	if (strcmp(argv[1], "pin") == 0 && argc == 5) {
		cpuset_zero(&c);
		cpuset_set(&c, (unsigned)strtoul(argv[4], NULL, 10));
		return report(hv_pin_vcpu(hv, domid, atoi(argv[3]), &c, e), e);
	}
	if (strcmp(argv[1], "pause") == 0 && argc == 4)
		return report(hv_set_paused(hv, domid, atoi(argv[3]) != 0, e), e);
	if (strcmp(argv[1], "qmp") == 0 && argc == 3)
		return qmp(domid, e);
	fprintf(stderr, "usage: domtop-hvcheck sample | read D | weight D N | cap D N | "
	        "pin D VCPU CPU | pause D 0|1 | qmp D\n");
	return 2;
}

int
main(int argc, char **argv)
{
	struct hv *hv;
	struct err e;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: domtop-hvcheck sample | read D | weight D N | ...\n");
		return 2;
	}
	if (hv_xen_open(&hv, &e) < 0) {
		printf("error: %s\n", e.msg);
		return 1;
	}
	rc = run(hv, argc, argv, &e);
	hv_close(hv);
	return rc;
}
