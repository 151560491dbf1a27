// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>
#include <xf86drm.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/probe.h>
#include <syncbridge/sync_file.h>

#include "syncobj_eventfd.h"
#include "util.h"

/* Kernels without an ioctl answer ENOTTY (dma-buf, sync_file) or EINVAL (drm_ioctl). */
static int missing_or_error(void)
{
	if (errno == ENOTTY || errno == EINVAL)
		return 0;
	return -1;
}

int sb_probe_export_sync_file(int dmabuf_fd)
{
	struct sb_sync_file *sync_file = sb_dmabuf_export_sync_file(dmabuf_fd, SB_ACCESS_READ);

	if (!sync_file)
		return errno == ENOTTY ? 0 : -1;
	sb_sync_file_destroy(sync_file);
	return 1;
}

int sb_probe_import_sync_file(int dmabuf_fd)
{
	struct sb_sync_file *sync_file = sb_dmabuf_export_sync_file(dmabuf_fd, SB_ACCESS_READ);
	int ret;

	if (!sync_file)
		return -1;
	ret = sb_dmabuf_import_sync_file(dmabuf_fd, sync_file, SB_ACCESS_READ);
	sb_sync_file_destroy(sync_file);
	if (ret < 0)
		return errno == ENOTTY ? 0 : -1;
	return 1;
}

int sb_probe_set_deadline(const struct sb_sync_file *sync_file)
{
	if (sb_sync_file_set_deadline(sync_file, 0) == 0)
		return 1;
	return errno == ENOTTY ? 0 : -1;
}

int sb_probe_syncobj_eventfd(int drm_fd)
{
	struct drm_syncobj_eventfd args = {.handle = 0, .fd = -1};

	/* A DRM ioctl number means something else to other drivers: ask DRM devices only. */
	if (sb_check_drm_fd(drm_fd) < 0)
		return -1;
	if (drmIoctl(drm_fd, DRM_IOCTL_SYNCOBJ_EVENTFD, &args) == 0) {
		errno = EPROTO; /* handle 0 never exists: the ioctl cannot have worked */
		return -1;
	}
	/* drm_syncobj_eventfd_ioctl() looks the handle up first: ENOENT means it is there. */
	if (errno == ENOENT)
		return 1;
	if (errno == EOPNOTSUPP)
		return 0;
	return missing_or_error();
}

static const char *yes_no(int ret)
{
	return ret > 0 ? "yes" : ret == 0 ? "no" : "error";
}

/* Each probe line and its count go through here, so the report's total is what it printed. */
struct report {
	FILE *out;
	int found;
};

static void report_line(struct report *report, const char *name, int ret, const char *detail)
{
	if (ret > 0)
		report->found++;
	fprintf(report->out, "%-28s %s%s%s%s\n", name, yes_no(ret), detail ? " (" : "",
		detail ? detail : "", detail ? ")" : "");
}

static int cap_value(int fd, uint64_t cap)
{
	uint64_t value = 0;

	if (drmGetCap(fd, cap, &value) < 0)
		return 0;
	return value != 0;
}

static int report_drm(struct report *report)
{
	struct dirent *de;
	int devices = 0;
	DIR *dir = opendir("/dev/dri");

	if (!dir) {
		fprintf(report->out, "%-28s none (/dev/dri: %s)\n", "drm", strerror(errno));
		return 0;
	}
	while ((de = readdir(dir))) {
		char path[300], detail[200];
		drmVersionPtr version;
		int fd;

		if (strncmp(de->d_name, "card", 4) != 0 && strncmp(de->d_name, "renderD", 7) != 0)
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			fprintf(report->out, "%-28s error (%s)\n", path, strerror(errno));
			continue;
		}
		version = drmGetVersion(fd);
		snprintf(detail, sizeof(detail), "driver %s, SYNCOBJ %s, SYNCOBJ_TIMELINE %s",
			 version ? version->name : "?", yes_no(cap_value(fd, DRM_CAP_SYNCOBJ)),
			 yes_no(cap_value(fd, DRM_CAP_SYNCOBJ_TIMELINE)));
		drmFreeVersion(version);
		report_line(report, path, 1, detail);
		if (cap_value(fd, DRM_CAP_SYNCOBJ_TIMELINE)) {
			char name[320];

			snprintf(name, sizeof(name), "%s SYNCOBJ_EVENTFD", de->d_name);
			report_line(report, name, sb_probe_syncobj_eventfd(fd), NULL);
		}
		close(fd);
		devices++;
	}
	closedir(dir);
	if (devices == 0)
		fprintf(report->out, "%-28s none\n", "drm");
	return devices;
}

/* A one-page dma-buf from the first dma-heap, or from udmabuf; -1 if the system has neither. */
static int alloc_dmabuf(const char **source)
{
	static const char *const heaps[] = {"/dev/dma_heap/system", "/dev/dma_heap/reserved"};
	struct udmabuf_create create = {.flags = UDMABUF_FLAGS_CLOEXEC, .size = 4096};
	int dev, memfd, fd = -1;

	for (size_t i = 0; i < sizeof(heaps) / sizeof(heaps[0]); i++) {
		struct dma_heap_allocation_data alloc = {
			.len = 4096,
			.fd_flags = O_RDWR | O_CLOEXEC,
		};

		dev = open(heaps[i], O_RDONLY | O_CLOEXEC);
		if (dev < 0)
			continue;
		if (ioctl(dev, DMA_HEAP_IOCTL_ALLOC, &alloc) == 0)
			fd = alloc.fd;
		close(dev);
		if (fd >= 0) {
			*source = heaps[i];
			return fd;
		}
	}
	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	/* udmabuf_create() wants a memfd sealed against shrinking. */
	memfd = memfd_create("sb-probe", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (memfd >= 0 && ftruncate(memfd, 4096) == 0 &&
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) {
		create.memfd = (__u32)memfd;
		fd = ioctl(dev, UDMABUF_CREATE, &create);
		*source = "/dev/udmabuf";
	}
	if (memfd >= 0)
		close(memfd);
	close(dev);
	return fd;
}

static void report_dmabuf(struct report *report)
{
	const char *source = NULL;
	struct sb_sync_file *sync_file;
	int fd = alloc_dmabuf(&source);
	char detail[128];

	if (fd < 0) {
		const char *why = "no dma-buf to try it on: no dma-heap or udmabuf";

		fprintf(report->out, "%-28s unknown (%s)\n", "EXPORT_SYNC_FILE", why);
		fprintf(report->out, "%-28s unknown (%s)\n", "IMPORT_SYNC_FILE", why);
		fprintf(report->out, "%-28s unknown (no sync_file to try it on)\n",
			"SYNC_IOC_SET_DEADLINE");
		return;
	}
	snprintf(detail, sizeof(detail), "on a dma-buf from %s", source);
	report_line(report, "EXPORT_SYNC_FILE", sb_probe_export_sync_file(fd), detail);
	report_line(report, "IMPORT_SYNC_FILE", sb_probe_import_sync_file(fd), detail);
	sync_file = sb_dmabuf_export_sync_file(fd, SB_ACCESS_READ);
	if (sync_file) {
		report_line(report, "SYNC_IOC_SET_DEADLINE", sb_probe_set_deadline(sync_file),
			    "on an exported sync_file");
		sb_sync_file_destroy(sync_file);
	} else {
		fprintf(report->out, "%-28s unknown (no sync_file to try it on)\n",
			"SYNC_IOC_SET_DEADLINE");
	}
	close(fd);
}

static void report_heaps(struct report *report)
{
	struct dirent *de;
	int heaps = 0;
	DIR *dir = opendir("/dev/dma_heap");

	if (!dir) {
		fprintf(report->out, "%-28s none (/dev/dma_heap: %s)\n", "dma-heap",
			strerror(errno));
		return;
	}
	while ((de = readdir(dir))) {
		char name[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "dma-heap %s", de->d_name);
		report_line(report, name, 1, NULL);
		heaps++;
	}
	closedir(dir);
	if (heaps == 0)
		fprintf(report->out, "%-28s none\n", "dma-heap");
}

static void report_path(struct report *report, const char *name, const char *path)
{
	char detail[400];
	int ret = access(path, F_OK) == 0;

	snprintf(detail, sizeof(detail), "%s%s%s", path, ret ? "" : ": ",
		 ret ? "" : strerror(errno));
	report_line(report, name, ret, detail);
}

int sb_probe_report(FILE *out)
{
	struct report report = {.out = out};
	struct utsname uts;

	if (uname(&uts) == 0)
		fprintf(out, "%-28s %s %s %s\n", "kernel", uts.sysname, uts.release, uts.machine);
	report_dmabuf(&report);
	if (report_drm(&report) == 0)
		fprintf(out, "%-28s unknown (no DRM device)\n", "SYNCOBJ_EVENTFD");
	report_heaps(&report);
	report_path(&report, "udmabuf", "/dev/udmabuf");
	/* sw_sync's timeline file is in debugfs (drivers/dma-buf/sync_debug.c). */
	report_path(&report, "sw_sync", "/sys/kernel/debug/sync/sw_sync");
	return report.found;
}
