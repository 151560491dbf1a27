// SPDX-License-Identifier: MIT
/* Guest: sb_sync_file on real sw_sync fences: merge, info, signalled-now, deadlines. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <syncbridge/sync_file.h>

#include "kdev.h"
#include "tap.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void is_signaled_follows_the_fence(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_sync_file *fence;

	if (!expect(t, timeline >= 0))
		return;
	fence = sb_sync_file_import(sb_sw_fence_create(timeline, 2));
	if (expect(t, fence != NULL)) {
		expect(t, sb_sync_file_is_signaled(fence) == 0);
		expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
		expect(t, sb_sync_file_is_signaled(fence) == 0);
		expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
		expect(t, sb_sync_file_is_signaled(fence) == 1);
	}
	sb_sync_file_destroy(fence);
	close(timeline);
}

static void merge_signals_when_both_have(struct sb_test_ctx *t)
{
	int tl_a = sb_sw_timeline_create(), tl_b = sb_sw_timeline_create();
	struct sb_sync_file *a = sb_sync_file_import(sb_sw_fence_create(tl_a, 1));
	struct sb_sync_file *b = sb_sync_file_import(sb_sw_fence_create(tl_b, 1));
	struct sb_sync_file *merged = NULL;
	struct sb_sync_file_info info;

	if (!expect(t, a && b))
		goto out;
	merged = sb_sync_file_merge("sb-merged", a, b);
	if (!expect(t, merged != NULL))
		goto out;
	expect(t, sb_sync_file_get_info(merged, &info) == 0);
	expect(t, info.num_fences == 2 && strcmp(info.name, "sb-merged") == 0);
	sb_sync_file_info_finish(&info);
	expect(t, sb_sw_timeline_inc(tl_a, 1) == 0);
	expect(t, sb_sync_file_is_signaled(merged) == 0);
	expect(t, sb_sw_timeline_inc(tl_b, 1) == 0);
	expect(t, sb_sync_file_is_signaled(merged) == 1);
out:
	sb_sync_file_destroy(merged);
	sb_sync_file_destroy(a);
	sb_sync_file_destroy(b);
	close(tl_a);
	close(tl_b);
}

static void a_timeline_fd_is_not_a_sync_file(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_sync_file *a = sb_sync_file_import(sb_sw_fence_create(timeline, 1));

	if (expect(t, a != NULL)) {
		/* A timeline fd is not a sync_file: the import refuses it, keeping the fd. */
		expect_null_errno(t, sb_sync_file_import_dup(timeline), EINVAL);
		expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
	}
	sb_sync_file_destroy(a);
	close(timeline);
}

static void info_names_driver_timeline_and_time(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(timeline, 1));
	struct sb_sync_file_info info;
	uint64_t before;
	int status = 7;

	if (!expect(t, fence && sb_sync_file_get_info(fence, &info) == 0))
		goto out;
	expect(t, info.num_fences == 1 && info.status == 0);
	expect(t, strcmp(info.fences[0].driver_name, "sw_sync") == 0);
	expect(t, info.fences[0].timeline_name[0] != '\0');
	expect(t, info.fences[0].status == 0 && info.fences[0].timestamp_ns == 0);
	sb_sync_file_info_finish(&info);
	before = now_ns();
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
	expect(t, sb_sync_file_get_info(fence, &info) == 0);
	expect(t, info.status == 1 && info.fences[0].status == 1);
	/* The signal time is CLOCK_MONOTONIC, between before and now. */
	expect(t, info.fences[0].timestamp_ns >= before && info.fences[0].timestamp_ns <= now_ns());
	sb_sync_file_info_finish(&info);
	expect(t, sb_sync_file_get_status(fence, &status) == 0 && status == 1);
out:
	sb_sync_file_destroy(fence);
	close(timeline);
}

static void set_deadline_reaches_the_fence(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(timeline, 1));
	uint64_t deadline = now_ns() + 16000000, got = 0;

	if (!expect(t, fence != NULL))
		goto out;
	/* SW_SYNC_GET_DEADLINE has none until one is set. */
	expect_errno(t, sb_sw_fence_get_deadline(timeline, sb_sync_file_get_fd(fence), &got),
		     ENOENT);
	expect(t, sb_sync_file_set_deadline(fence, deadline) == 0);
	expect(t, sb_sw_fence_get_deadline(timeline, sb_sync_file_get_fd(fence), &got) == 0);
	expect(t, got == deadline);
	/* A later deadline does not replace an earlier one. */
	expect(t, sb_sync_file_set_deadline(fence, deadline + 1000000) == 0);
	expect(t, sb_sw_fence_get_deadline(timeline, sb_sync_file_get_fd(fence), &got) == 0);
	expect(t, got == deadline);
	expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
out:
	sb_sync_file_destroy(fence);
	close(timeline);
}

static void dup_fd_is_owned_by_the_caller(struct sb_test_ctx *t)
{
	int timeline = sb_sw_timeline_create();
	struct sb_sync_file *fence = sb_sync_file_import(sb_sw_fence_create(timeline, 1));
	struct sb_sync_file *again = NULL;
	int fd;

	if (!expect(t, fence != NULL))
		goto out;
	fd = sb_sync_file_dup_fd(fence);
	expect(t, fd >= 0 && fd != sb_sync_file_get_fd(fence));
	sb_sync_file_destroy(fence);
	fence = NULL;
	/* The duplicate outlives the object and is still the same fence. */
	again = sb_sync_file_import(fd);
	if (expect(t, again != NULL)) {
		expect(t, sb_sync_file_is_signaled(again) == 0);
		expect(t, sb_sw_timeline_inc(timeline, 1) == 0);
		expect(t, sb_sync_file_is_signaled(again) == 1);
	}
out:
	sb_sync_file_destroy(again);
	sb_sync_file_destroy(fence);
	close(timeline);
}

int main(void)
{
	static const struct sb_test tests[] = {
		SB_TEST(is_signaled_follows_the_fence),
		SB_TEST(merge_signals_when_both_have),
		SB_TEST(a_timeline_fd_is_not_a_sync_file),
		SB_TEST(info_names_driver_timeline_and_time),
		SB_TEST(set_deadline_reaches_the_fence),
		SB_TEST(dup_fd_is_owned_by_the_caller),
	};

	return sb_test_main(tests, sizeof(tests) / sizeof(tests[0]));
}
