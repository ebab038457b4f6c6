/* hv.c: dispatch to the hypervisor backend in use. */
#include <stdlib.h>

#include "backend/hv.h"

static int
hv_unsupported(struct hv *hv, const char *what, struct err *e)
{
	return err_set(e, "the %s backend cannot %s", hv->ops->name, what);
}

int
hv_sample(struct hv *hv, struct sample *out, uint64_t interval_ns, struct err *e)
{
	return hv->ops->sample(hv, out, interval_ns, e);
}

int
hv_read_domain(struct hv *hv, uint32_t domid, struct sample_domain *out, struct err *e)
{
	return hv->ops->read_domain(hv, domid, out, e);
}

int
hv_set_weight(struct hv *hv, uint32_t domid, unsigned weight, struct err *e)
{
	if (hv->ops->set_weight == NULL)
		return hv_unsupported(hv, "set a weight", e);
	return hv->ops->set_weight(hv, domid, weight, e);
}

int
hv_set_cap(struct hv *hv, uint32_t domid, unsigned cap, struct err *e)
{
	if (hv->ops->set_cap == NULL)
		return hv_unsupported(hv, "set a cap", e);
	return hv->ops->set_cap(hv, domid, cap, e);
}

int
hv_pin_vcpu(struct hv *hv, uint32_t domid, int vcpu, const struct cpuset *cpus, struct err *e)
{
	if (hv->ops->pin_vcpu == NULL)
		return hv_unsupported(hv, "pin vcpus", e);
	return hv->ops->pin_vcpu(hv, domid, vcpu, cpus, e);
}

int
hv_set_paused(struct hv *hv, uint32_t domid, bool paused, struct err *e)
{
	if (hv->ops->set_paused == NULL)
		return hv_unsupported(hv, "pause domains", e);
	return hv->ops->set_paused(hv, domid, paused, e);
}

int
hv_set_vif_shape(struct hv *hv, uint32_t domid, unsigned devid, const struct hv_vif_shape *want,
                 char *saved, size_t saved_len, struct err *e)
{
	if (hv->ops->set_vif_shape == NULL)
		return hv_unsupported(hv, "throttle vifs", e);
	return hv->ops->set_vif_shape(hv, domid, devid, want, saved, saved_len, e);
}

int
hv_set_vbd_ioprio(struct hv *hv, uint32_t domid, unsigned devid, int ioclass, int level,
                  struct err *e)
{
	if (hv->ops->set_vbd_ioprio == NULL)
		return hv_unsupported(hv, "set the IO priority of a disk backend", e);
	return hv->ops->set_vbd_ioprio(hv, domid, devid, ioclass, level, e);
}

int
hv_vif_ifname(struct hv *hv, uint32_t domid, unsigned devid, char *buf, size_t len, struct err *e)
{
	if (hv->ops->vif_ifname == NULL)
		return hv_unsupported(hv, "name the dom0 interface of a vif", e);
	return hv->ops->vif_ifname(hv, domid, devid, buf, len, e);
}

int
hv_link_fd(struct hv *hv)
{
	return hv->ops->link_fd == NULL ? -1 : hv->ops->link_fd(hv);
}

int
hv_link_events(struct hv *hv, struct err *e)
{
	return hv->ops->link_events == NULL ? 0 : hv->ops->link_events(hv, e);
}

int
hv_console_exec(struct hv *hv, uint32_t domid, struct err *e)
{
	if (hv->ops->console_exec == NULL)
		return hv_unsupported(hv, "attach a domain's console", e);
	return hv->ops->console_exec(hv, domid, e);
}

unsigned
hv_take_notice(struct hv *hv, char *buf, size_t len)
{
	if (len > 0)
		buf[0] = '\0';
	return hv->ops->take_notice == NULL ? 0 : hv->ops->take_notice(hv, buf, len);
}

void
hv_close(struct hv *hv)
{
	if (hv != NULL)
		hv->ops->close(hv);
}

void
hv_domain_free(struct sample_domain *d)
{
	free(d->vcpus);
	free(d->vifs);
	free(d->vbds);
	d->vcpus = NULL;
	d->vifs = NULL;
	d->vbds = NULL;
	d->n_vcpus = d->n_vifs = d->n_vbds = 0;
}
