/*
 * Tests of src/heap.c and the allocator backends: heap lifetime, statistics, the
 * destroy rules (EBUSY, FORCE, the default heap) and a multi-threaded smoke test.
 */
#include <pthread.h>

#include "fixtures.h"

static gort_heap *new_heap(void)
{
    gort_heap *heap = NULL;
    CHECK_OK(gort_heap_create(&heap));
    return heap;
}

static gort_slice *make_i64_in(gort_heap *heap, size_t len, size_t cap)
{
    gort_slice *s = NULL;
    CHECK_OK(gort_slice_make(gort_type_builtin(GORT_KIND_I64), len, cap, heap, &s));
    return s;
}

TEST(create_and_destroy_empty_heap)
{
    uint64_t blocks = live_blocks(NULL);
    gort_heap *heap = new_heap();
    if (!CHECK_TRUE(heap != NULL))
        return;
    CHECK_TRUE(heap != gort_heap_default());
    gort_heap_stats stats = heap_stats(heap);
    CHECK_EQ_U64(stats.live_blocks, 0);
    CHECK_EQ_U64(stats.live_objects, 0);
    CHECK_OK(gort_heap_destroy(heap, 0));
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

TEST(create_rejects_null_out)
{
    CHECK_STATUS(gort_heap_create(NULL), GORT_EINVAL);
}

TEST(default_heap_is_what_null_stands_for)
{
    gort_heap *heap = gort_heap_default();
    CHECK_TRUE(heap != NULL);
    CHECK_EQ_PTR(gort_heap_default(), heap);
    uint64_t blocks = live_blocks(heap), objects = live_objects(heap);
    gort_slice *s = make_i64_in(NULL, 4, 4);
    CHECK_EQ_U64(live_blocks(heap), blocks + 3); /* handle, store header, array */
    CHECK_EQ_U64(live_objects(heap), objects + 1);
    CHECK_EQ_U64(live_blocks(NULL), live_blocks(heap));
    gort_slice_free(s);
    CHECK_EQ_U64(live_blocks(heap), blocks);
    CHECK_EQ_U64(live_objects(heap), objects);
}

TEST(stats_track_a_big_slice_in_a_created_heap)
{
    gort_heap *heap = new_heap();
    uint64_t default_blocks = live_blocks(NULL);
    gort_heap_stats before = heap_stats(heap);
    gort_slice *s = make_i64_in(heap, 1 << 17, 1 << 17); /* 1 MiB */
    gort_heap_stats during = heap_stats(heap);
    CHECK_TRUE(during.allocated >= before.allocated + (8u << 17));
    CHECK_TRUE(during.active >= during.allocated);
    CHECK_TRUE(during.mapped >= during.active);
    CHECK_EQ_U64(during.live_blocks, 3);
    CHECK_EQ_U64(during.live_objects, 1);
    CHECK_EQ_U64(live_blocks(NULL), default_blocks); /* nothing went to the default heap */

    gort_slice *view = NULL; /* a second handle is a second object, not a second array */
    CHECK_OK(gort_slice_sub(s, 10, 20, &view));
    CHECK_EQ_U64(heap_stats(heap).live_objects, 2);
    CHECK_EQ_U64(heap_stats(heap).live_blocks, 4);
    gort_slice_free(view);

    gort_slice_free(s);
    gort_heap_stats after = heap_stats(heap);
    CHECK_EQ_U64(after.allocated, before.allocated);
    CHECK_EQ_U64(after.live_blocks, 0);
    CHECK_EQ_U64(after.live_objects, 0);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

TEST(destroy_with_live_objects_is_busy_and_heap_stays_usable)
{
    gort_heap *heap = new_heap();
    gort_slice *s = make_i64_in(heap, 2, 2);
    CHECK_STATUS(gort_heap_destroy(heap, 0), GORT_EBUSY);
    int64_t v = 7, got = 0;
    CHECK_OK(gort_slice_append(s, &v)); /* still usable: grows inside the heap */
    CHECK_OK(gort_slice_get(s, 2, &got));
    CHECK_EQ_INT(got, 7);
    gort_slice *t = make_i64_in(heap, 1, 1);
    CHECK_EQ_U64(heap_stats(heap).live_objects, 2);
    gort_slice_free(s);
    CHECK_STATUS(gort_heap_destroy(heap, 0), GORT_EBUSY);
    gort_slice_free(t);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

TEST(destroy_force_discards_live_objects)
{
    uint64_t default_blocks = live_blocks(NULL);
    gort_heap *heap = new_heap();
    for (int i = 0; i < 10; i++)
        make_i64_in(heap, 100, 1000); /* deliberately never freed */
    CHECK_EQ_U64(heap_stats(heap).live_objects, 10);
    CHECK_OK(gort_heap_destroy(heap, GORT_HEAP_FORCE));
    CHECK_EQ_U64(live_blocks(NULL), default_blocks);
}

TEST(destroy_of_default_heap_is_invalid)
{
    CHECK_STATUS(gort_heap_destroy(gort_heap_default(), 0), GORT_EINVAL);
    CHECK_STATUS(gort_heap_destroy(gort_heap_default(), GORT_HEAP_FORCE), GORT_EINVAL);
    gort_slice *s = make_i64_in(NULL, 1, 1); /* and the default heap still works */
    CHECK_EQ_SIZE(gort_slice_len(s), 1);
    gort_slice_free(s);
}

TEST(destroy_with_unknown_flags_is_invalid_and_keeps_heap)
{
    gort_heap *heap = new_heap();
    CHECK_STATUS(gort_heap_destroy(heap, 2), GORT_EINVAL);
    CHECK_STATUS(gort_heap_destroy(heap, GORT_HEAP_FORCE | 4), GORT_EINVAL);
    gort_slice *s = make_i64_in(heap, 1, 1);
    gort_slice_free(s);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

TEST(destroy_of_null_does_nothing)
{
    CHECK_OK(gort_heap_destroy(NULL, 0));
    CHECK_OK(gort_heap_destroy(NULL, GORT_HEAP_FORCE));
}

TEST(stats_reject_null_or_short_struct)
{
    gort_heap_stats stats = {.struct_size = sizeof stats - 1};
    CHECK_STATUS(gort_heap_stats_get(NULL, &stats), GORT_EINVAL);
    stats.struct_size = 0;
    CHECK_STATUS(gort_heap_stats_get(NULL, &stats), GORT_EINVAL);
    CHECK_STATUS(gort_heap_stats_get(NULL, NULL), GORT_EINVAL);
}

TEST(stats_accept_larger_struct_and_keep_struct_size)
{
    struct {
        gort_heap_stats stats;
        uint64_t future_field;
    } newer;
    memset(&newer, 0xff, sizeof newer);
    newer.stats.struct_size = sizeof newer;
    CHECK_OK(gort_heap_stats_get(NULL, &newer.stats));
    CHECK_EQ_SIZE(newer.stats.struct_size, sizeof newer);
    CHECK_TRUE(newer.stats.live_blocks != UINT64_MAX);
}

TEST(allocator_name_is_one_of_three)
{
    const char *name = gort_heap_allocator();
    CHECK_TRUE(name != NULL);
    CHECK_TRUE(strcmp(name, "jemalloc-bundled") == 0 || strcmp(name, "jemalloc-system") == 0 ||
               strcmp(name, "libc") == 0);
}

/* ---- threads ----------------------------------------------------------------------- */

#define THREADS 4
#define ROUNDS 500

struct worker {
    gort_heap *heap;
    int seed;
    int errors;
};

/* Makes, grows, views and frees slices of assorted sizes; counts any wrong answer. */
static void *churn(void *arg)
{
    struct worker *w = arg;
    gort_type *i64 = gort_type_builtin(GORT_KIND_I64);
    for (int round = 0; round < ROUNDS; round++) {
        size_t cap = (size_t)((round * 37 + w->seed * 11) % 300);
        gort_slice *s = NULL, *view = NULL;
        if (gort_slice_make(i64, 0, cap, w->heap, &s) != GORT_OK) {
            w->errors++;
            continue;
        }
        for (int64_t v = 0; v < (int64_t)cap + 20; v++)
            w->errors += gort_slice_append(s, &v) != GORT_OK;
        w->errors += gort_slice_sub(s, 1, 5, &view) != GORT_OK;
        int64_t got = -1;
        w->errors += gort_slice_get(view, 3, &got) != GORT_OK || got != 4;
        gort_slice_free(s); /* the view outlives the original */
        w->errors += gort_slice_get(view, 0, &got) != GORT_OK || got != 1;
        gort_slice_free(view);
    }
    return NULL;
}

TEST(threads_share_one_heap_and_counts_return_to_zero)
{
    gort_heap *heap = new_heap();
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){heap, i, 0};
        CHECK_EQ_INT(pthread_create(&threads[i], NULL, churn, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ_INT(workers[i].errors, 0);
    }
    gort_heap_stats stats = heap_stats(heap);
    CHECK_EQ_U64(stats.live_blocks, 0);
    CHECK_EQ_U64(stats.live_objects, 0);
    CHECK_EQ_U64(stats.allocated, 0);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(create_and_destroy_empty_heap),
        TEST_ENTRY(create_rejects_null_out),
        TEST_ENTRY(default_heap_is_what_null_stands_for),
        TEST_ENTRY(stats_track_a_big_slice_in_a_created_heap),
        TEST_ENTRY(destroy_with_live_objects_is_busy_and_heap_stays_usable),
        TEST_ENTRY(destroy_force_discards_live_objects),
        TEST_ENTRY(destroy_of_default_heap_is_invalid),
        TEST_ENTRY(destroy_with_unknown_flags_is_invalid_and_keeps_heap),
        TEST_ENTRY(destroy_of_null_does_nothing),
        TEST_ENTRY(stats_reject_null_or_short_struct),
        TEST_ENTRY(stats_accept_larger_struct_and_keep_struct_size),
        TEST_ENTRY(allocator_name_is_one_of_three),
        TEST_ENTRY(threads_share_one_heap_and_counts_return_to_zero),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
