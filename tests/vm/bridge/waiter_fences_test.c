// SPDX-License-Identifier: MIT
/*
 * Guest: sb_waiter on real fences in each form, in an epoll loop like a compositor's: it wakes
 * when the fences are done and never blocks the loop meanwhile.
 */
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/dmabuf.h>
#include <syncbridge/sync_file.h>
#include <syncbridge/syncobj.h>
#include <syncbridge/waiter.h>

#include "kdev.h"
#include "tap.h"

struct done_record {
	int calls;
	int status;
};

static void record_done(struct sb_waiter *waiter, int status, void *data)
{
	struct done_record *record = data;

	(void)waiter;
	record->calls++;
	record->status = status;
}

/* Waits up to timeout_ms for the waiter's fd, then dispatches: what an event loop does. */
static int wait_and_dispatch(struct sb_waiter *waiter, int timeout_ms)
{
	if (sb_poll_fd(sb_waiter_get_fd(waiter), POLLIN, timeout_ms) != 1)
		return 0;
	return sb_waiter_dispatch(waiter);
}

static void waiter_wakes_when_the_snapshot_signals(struct sb_test_ctx *t)
{
	struct done_record record = {0};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);
	struct sb_sync_file *later = NULL;
	struct sb_fence_fixture f;
	int fence_a;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		goto out;
	fence_a = sb_vgem_fence_attach(&f.bo, true);
	expect(t, sb_waiter_add_dmabuf(waiter, f.bo.dmabuf_fd, SB_ACCESS_READ, 0) == 1);
	expect(t, sb_waiter_pending(waiter) == 1);
	/* Work queued after the commit, as a writer. */
	later = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));
	expect(t, later && sb_dmabuf_import_sync_file(f.bo.dmabuf_fd, later, SB_ACCESS_WRITE) == 0);
	expect(t, wait_and_dispatch(waiter, 0) == 0 && record.calls == 0);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)fence_a) == 0);
	expect(t, wait_and_dispatch(waiter, 5000) == 1);
	expect(t, record.calls == 1 && record.status == 0);
	expect(t, sb_dmabuf_is_idle(f.bo.dmabuf_fd, SB_ACCESS_READ) == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
out:
	sb_waiter_destroy(waiter);
	sb_sync_file_destroy(later);
	sb_fence_fixture_finish(&f);
}

static void poll_fallback_also_waits_for_later_fences(struct sb_test_ctx *t)
{
	struct done_record record = {0};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);
	struct sb_sync_file *later = NULL;
	struct sb_fence_fixture f;
	int fence_a;

	if (!expect(t, sb_fence_fixture_init(&f) == 0))
		goto out;
	fence_a = sb_vgem_fence_attach(&f.bo, true);
	/* 0: not an exact snapshot. */
	expect(t, sb_waiter_add_dmabuf(waiter, f.bo.dmabuf_fd, SB_ACCESS_READ,
				       SB_WAIT_FORCE_FALLBACK) == 0);
	expect(t, sb_waiter_pending(waiter) == 1);
	later = sb_sync_file_import(sb_sw_fence_create(f.timeline, 1));
	expect(t, later && sb_dmabuf_import_sync_file(f.bo.dmabuf_fd, later, SB_ACCESS_WRITE) == 0);
	expect(t, sb_vgem_fence_signal(f.vgem_fd, (uint32_t)fence_a) == 0);
	/* The price of the fallback: the later writer delays the wait too. */
	expect(t, wait_and_dispatch(waiter, 100) == 0 && record.calls == 0);
	expect(t, sb_sw_timeline_inc(f.timeline, 1) == 0);
	expect(t, wait_and_dispatch(waiter, 5000) == 1 && record.calls == 1);
out:
	sb_waiter_destroy(waiter);
	sb_sync_file_destroy(later);
	sb_fence_fixture_finish(&f);
}

static void idle_buffer_needs_no_wait(struct sb_test_ctx *t)
{
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);
	int buf = sb_dma_heap_alloc("system", 4096);

	if (expect(t, buf >= 0)) {
		expect(t, sb_waiter_add_dmabuf(waiter, buf, SB_ACCESS_RW, 0) == 1);
		expect(t, sb_waiter_add_dmabuf(waiter, buf, SB_ACCESS_RW, SB_WAIT_FORCE_FALLBACK) ==
				  0);
		expect(t, sb_waiter_is_done(waiter));
		close(buf);
	}
	sb_waiter_destroy(waiter);
}

static void waiter_waits_for_every_form_at_once(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create(), virtio = sb_drm_open_by_name("virtio_gpu");
	struct done_record record = {0};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);
	struct sb_syncobj *syncobj = NULL;
	struct sb_sync_file *fence;
	int buf = sb_udmabuf_create(4096);

	if (!expect(t, timeline >= 0 && virtio >= 0 && buf >= 0))
		goto out;
	syncobj = sb_syncobj_create(virtio);
	if (!expect(t, syncobj != NULL))
		goto out;
	fence = sb_sync_file_import(sb_sw_fence_create(timeline, 1));
	expect(t, fence && sb_dmabuf_import_sync_file(buf, fence, SB_ACCESS_WRITE) == 0);
	sb_sync_file_destroy(fence);
	expect(t, sb_waiter_add_sync_file(
			  waiter, sb_sync_file_import(sb_sw_fence_create(timeline, 2))) == 0);
	expect(t, sb_waiter_add_dmabuf(waiter, buf, SB_ACCESS_READ, 0) == 1);
	expect(t, sb_waiter_add_syncobj_point(waiter, syncobj, 1, 0) == 0);
	expect(t, sb_waiter_pending(waiter) == 3);
	expect(t, sb_sw_timeline_inc(timeline, 2) == 0);
	expect(t, wait_and_dispatch(waiter, 100) == 0);
	expect(t, sb_waiter_pending(waiter) == 1);
	expect(t, sb_syncobj_signal_point(syncobj, 1) == 0);
	expect(t, wait_and_dispatch(waiter, 5000) == 1 && record.calls == 1);
out:
	sb_waiter_destroy(waiter);
	sb_syncobj_destroy(syncobj);
	if (buf >= 0)
		close(buf);
	close(timeline);
	close(virtio);
}

static void syncobj_point_wait_in_both_modes(struct sb_test_ctx *t)
{
	static const uint32_t modes[] = {0, SB_WAIT_FORCE_FALLBACK};
	int timeline = sb_sw_timeline_create(), virtio = sb_drm_open_by_name("virtio_gpu");
	struct sb_syncobj *syncobj = NULL;

	if (!expect(t, timeline >= 0 && virtio >= 0))
		goto out;
	syncobj = sb_syncobj_create(virtio);
	if (!expect(t, syncobj != NULL))
		goto out;
	for (size_t m = 0; m < 2; m++) {
		uint64_t point = 1 + m;
		struct done_record avail_rec = {0}, signal_rec = {0};
		struct sb_waiter *avail = sb_waiter_create(record_done, &avail_rec);
		struct sb_waiter *signal = sb_waiter_create(record_done, &signal_rec);
		struct sb_sync_file *fence;

		sb_diag("mode %s", modes[m] ? "fallback" : "eventfd");
		/* Both wait on a point nobody has submitted yet. */
		expect(t, sb_waiter_add_syncobj_point(avail, syncobj, point,
						      modes[m] | SB_WAIT_AVAILABLE) == 0);
		expect(t, sb_waiter_add_syncobj_point(signal, syncobj, point, modes[m]) == 0);
		expect(t, wait_and_dispatch(avail, 50) == 0 && wait_and_dispatch(signal, 50) == 0);
		fence = sb_sync_file_import(sb_sw_fence_create(timeline, (uint32_t)point));
		expect(t, fence && sb_syncobj_import_point(syncobj, point, fence) == 0);
		sb_sync_file_destroy(fence);
		/* Submitted: "available" is reached, "signalled" is not. */
		expect(t, wait_and_dispatch(avail, 5000) == 1 && avail_rec.calls == 1);
		expect(t, wait_and_dispatch(signal, 100) == 0 && signal_rec.calls == 0);
		expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
		expect(t, wait_and_dispatch(signal, 5000) == 1 && signal_rec.calls == 1);
		sb_waiter_destroy(avail);
		sb_waiter_destroy(signal);
	}
out:
	sb_syncobj_destroy(syncobj);
	close(timeline);
	close(virtio);
}

static void destroy_mid_wait_closes_everything(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create(), virtio = sb_drm_open_by_name("virtio_gpu");
	int buf = sb_udmabuf_create(4096), before;
	struct done_record record = {0};
	struct sb_syncobj *syncobj = NULL;
	struct sb_sync_file *fence;
	struct sb_waiter *waiter;

	if (!expect(t, timeline >= 0 && virtio >= 0 && buf >= 0))
		goto out;
	syncobj = sb_syncobj_create(virtio);
	fence = sb_sync_file_import(sb_sw_fence_create(timeline, 1));
	expect(t, syncobj && fence && sb_dmabuf_import_sync_file(buf, fence, SB_ACCESS_WRITE) == 0);
	sb_sync_file_destroy(fence);
	before = sb_count_fds();
	waiter = sb_waiter_create(record_done, &record);
	expect(t, sb_waiter_add_sync_file(
			  waiter, sb_sync_file_import(sb_sw_fence_create(timeline, 1))) == 0);
	expect(t, sb_waiter_add_dmabuf(waiter, buf, SB_ACCESS_READ, 0) == 1);
	expect(t, sb_waiter_add_dmabuf(waiter, buf, SB_ACCESS_READ, SB_WAIT_FORCE_FALLBACK) == 0);
	expect(t, sb_waiter_add_syncobj_point(waiter, syncobj, 3, 0) == 0);
	expect(t, sb_waiter_add_syncobj_point(waiter, syncobj, 3, SB_WAIT_FORCE_FALLBACK) == 0);
	expect(t, sb_waiter_pending(waiter) == 5);
	expect(t, sb_count_fds() > before);
	sb_waiter_destroy(waiter);
	expect(t, sb_count_fds() == before && record.calls == 0);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
out:
	sb_syncobj_destroy(syncobj);
	if (buf >= 0)
		close(buf);
	close(timeline);
	close(virtio);
}

static void deadline_reaches_awaited_fences(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);
	int fence_fd = sb_sw_fence_create(timeline, 1);
	uint64_t got = 0;

	if (!expect(t, timeline >= 0 && fence_fd >= 0))
		goto out;
	expect(t, sb_waiter_add_sync_file(waiter, sb_sync_file_import_dup(fence_fd)) == 0);
	expect(t, sb_waiter_set_deadline(waiter, 123456789) == 0);
	expect(t, sb_sw_fence_get_deadline(timeline, fence_fd, &got) == 0 && got == 123456789);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
out:
	sb_waiter_destroy(waiter);
	if (fence_fd >= 0)
		close(fence_fd);
	close(timeline);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * A compositor's loop: a 100 Hz timerfd (another client's frames) beside a waiter on a fence
 * that stays pending for 500 ms. If the waiter blocked, the loop would wake once or twice; it
 * must wake for the timer the whole time, and finish the wait when the fence signals.
 */
static void waiter_never_blocks(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct done_record record = {0};
	struct sb_waiter *waiter = sb_waiter_create(record_done, &record);
	int timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int epfd = epoll_create1(EPOLL_CLOEXEC);
	struct itimerspec its = {.it_interval.tv_nsec = 10000000, .it_value.tv_nsec = 10000000};
	struct epoll_event ev = {.events = EPOLLIN};
	int timer_wakeups = 0, dispatches = 0, early = 0;
	uint64_t start, end;

	if (!expect(t, timeline >= 0 && timer >= 0 && epfd >= 0))
		goto out;
	expect(t, sb_waiter_add_sync_file(
			  waiter, sb_sync_file_import(sb_sw_fence_create(timeline, 1))) == 0);
	ev.data.fd = timer;
	epoll_ctl(epfd, EPOLL_CTL_ADD, timer, &ev);
	ev.data.fd = sb_waiter_get_fd(waiter);
	epoll_ctl(epfd, EPOLL_CTL_ADD, sb_waiter_get_fd(waiter), &ev);
	timerfd_settime(timer, 0, &its, NULL);
	start = now_ms();
	end = start + 500;
	while (now_ms() < end) {
		struct epoll_event events[2];
		int n = epoll_wait(epfd, events, 2, 100);

		for (int i = 0; i < n; i++) {
			uint64_t expirations;

			if (events[i].data.fd == timer) {
				if (read(timer, &expirations, sizeof(expirations)) > 0)
					timer_wakeups++;
				/* A loop may dispatch at any time: it returns at once. */
				if (sb_waiter_dispatch(waiter) != 0)
					early++;
			} else {
				dispatches++;
				sb_waiter_dispatch(waiter);
			}
		}
	}
	sb_diag("%d timer wake-ups in %llu ms while the fence was pending", timer_wakeups,
		(unsigned long long)(now_ms() - start));
	expect(t, record.calls == 0 && dispatches == 0 && early == 0);
	/* 50 periods elapsed; even a slow emulated CPU serves most of them. */
	expect(t, timer_wakeups >= 25);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
	expect(t, wait_and_dispatch(waiter, 5000) == 1 && record.calls == 1);
out:
	sb_waiter_destroy(waiter);
	close(timer);
	close(epfd);
	close(timeline);
}

/*
 * acquire=kms hands a wait to KMS as one sync_file: it must signal exactly when the waiter would
 * have woken, and refuse what is not a fence yet.
 */
static void exported_wait_signals_with_its_fences(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create(), virtio = sb_drm_open_by_name("virtio_gpu");
	struct sb_waiter *waiter = sb_waiter_create(NULL, NULL);
	struct sb_waiter *unsubmitted = sb_waiter_create(NULL, NULL);
	struct sb_syncobj *syncobj = NULL;
	struct sb_sync_file *point_fence = NULL, *exported = NULL;

	if (!expect(t, timeline >= 0 && virtio >= 0 && waiter && unsubmitted))
		goto out;
	/* Nothing pending: nothing to hand over. */
	errno = 0;
	expect(t, sb_waiter_export_sync_file(waiter) == NULL && errno == ENOENT);
	syncobj = sb_syncobj_create(virtio);
	point_fence = sb_sync_file_import(sb_sw_fence_create(timeline, 2));
	if (!expect(t, syncobj && point_fence))
		goto out;
	/* A sync_file (timeline value 1) and a submitted point (value 2): one fence for both. */
	expect(t, sb_waiter_add_sync_file(
			  waiter, sb_sync_file_import(sb_sw_fence_create(timeline, 1))) == 0);
	expect(t, sb_syncobj_import_point(syncobj, 3, point_fence) == 0);
	expect(t, sb_waiter_add_syncobj_point(waiter, syncobj, 3, 0) == 0);
	expect(t, sb_waiter_pending(waiter) == 2);
	exported = sb_waiter_export_sync_file(waiter);
	if (!expect(t, exported != NULL))
		goto out;
	expect(t, sb_sync_file_is_signaled(exported) == 0);
	/* A point with no fence submitted is no fence yet: EAGAIN, the caller waits itself. */
	expect(t, sb_waiter_add_syncobj_point(unsubmitted, syncobj, 9, 0) == 0);
	errno = 0;
	expect(t, sb_waiter_export_sync_file(unsubmitted) == NULL && errno == EAGAIN);
	/* The waiter is unchanged by the export. */
	expect(t, sb_waiter_pending(waiter) == 2);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
	expect(t, sb_sync_file_is_signaled(exported) == 0);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
	expect(t, sb_poll_fd(sb_sync_file_get_fd(exported), POLLIN, 5000) == 1);
	expect(t, sb_sync_file_is_signaled(exported) == 1);
	expect(t, sb_syncobj_signal_point(syncobj, 9) == 0);
out:
	sb_sync_file_destroy(exported);
	sb_sync_file_destroy(point_fence);
	sb_waiter_destroy(waiter);
	sb_waiter_destroy(unsubmitted);
	sb_syncobj_destroy(syncobj);
	if (virtio >= 0)
		close(virtio);
	if (timeline >= 0)
		close(timeline);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(waiter_wakes_when_the_snapshot_signals),
		SB_TEST(poll_fallback_also_waits_for_later_fences),
		SB_TEST(idle_buffer_needs_no_wait),
		SB_TEST(waiter_waits_for_every_form_at_once),
		SB_TEST(syncobj_point_wait_in_both_modes),
		SB_TEST(destroy_mid_wait_closes_everything),
		SB_TEST(deadline_reaches_awaited_fences),
		SB_TEST(waiter_never_blocks),
		SB_TEST(exported_wait_signals_with_its_fences),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
