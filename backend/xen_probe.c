/*
 * xen_probe.c: dom0 detection (see xen_probe.h). Each refusal names the file
 * that told, what it means and what to do, and suggests the demo host.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/xen_probe.h"

#define XEN_PROBE_DEMO "or try `domtop --demo` for the demo host"

/* Reads a small file into buf; returns -1 with errno set on failure. */
static int
xen_probe_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	if (ferror(f)) {
		fclose(f);
		errno = EIO;
		return -1;
	}
	fclose(f);
	return 0;
}

/* True when root/sys/hypervisor/type says xen: Xen runs, /proc/xen is not mounted. */
static int
xen_probe_on_xen(const char *root)
{
	char path[4096], buf[32];

	snprintf(path, sizeof path, "%s/sys/hypervisor/type", root);
	return xen_probe_read(path, buf, sizeof buf) == 0 && strncmp(buf, "xen", 3) == 0;
}

static int
xen_probe_caps(const char *root, struct err *e)
{
	char path[4096], caps[256];

	snprintf(path, sizeof path, "%s/proc/xen/capabilities", root);
	if (xen_probe_read(path, caps, sizeof caps) < 0) {
		if (errno == ENOENT && xen_probe_on_xen(root))
			return err_set(e, "this machine runs on Xen but /proc/xen is not mounted "
			               "(mount -t xenfs xenfs /proc/xen, as root on dom0), " XEN_PROBE_DEMO);
		if (errno == ENOENT)
			return err_set(e, "this is not a Xen dom0 (/proc/xen/capabilities not found): "
			               "run domtop on dom0 as root, " XEN_PROBE_DEMO);
		return err_set(e, "cannot read /proc/xen/capabilities: %s: run domtop on dom0 as root, "
		               XEN_PROBE_DEMO, strerror(errno));
	}
	if (strstr(caps, "control_d") == NULL)
		return err_set(e, "this is a Xen guest, not dom0 (/proc/xen/capabilities has no "
		               "control_d): run domtop on dom0 as root, " XEN_PROBE_DEMO);
	return 0;
}

static int
xen_probe_privcmd(const char *root, struct err *e)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/dev/xen/privcmd", root);
	if (access(path, F_OK) < 0)
		return err_set(e, "this is not a usable Xen dom0 (/dev/xen/privcmd missing: load the "
		               "xen-privcmd module), " XEN_PROBE_DEMO);
	if (access(path, R_OK | W_OK) < 0)
		return err_set(e, "domtop needs root on dom0 (/dev/xen/privcmd: %s): run it with sudo, "
		               XEN_PROBE_DEMO, strerror(errno));
	return 0;
}

int
xen_probe_dom0(const char *root, struct err *e)
{
	if (xen_probe_caps(root, e) < 0)
		return -1;
	return xen_probe_privcmd(root, e);
}

bool
xen_probe_delayacct_off(const char *root)
{
	char path[PATH_MAX], buf[16];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof path, "%s/proc/sys/kernel/task_delayacct", root) >= sizeof path)
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return buf[0] == '0' && strtol(buf, NULL, 10) == 0;
}
