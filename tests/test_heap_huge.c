/*
 * Huge blocks (src/heap_huge.c): blocks of GORT_HUGE_MIN bytes or more that the jemalloc
 * backend maps itself and grows with mremap. Checked through the allocation shim and
 * through slices: contents survive every resize (across the threshold both ways),
 * grown bytes read as zero, sizes never change path between allocation and free,
 * statistics count the blocks, and forced heap destruction unmaps them.
 * With the libc allocator there is no huge path; the same checks hold for malloc.
 */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "fixtures.h"
#include "heap.h"
#include "heap_huge.h"

#define MIB ((size_t)1 << 20)

static void fill(unsigned char *bytes, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 4093)
        bytes[i] = (unsigned char)(seed + i / 4093);
}

static bool filled(const unsigned char *bytes, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i += 4093)
        if (bytes[i] != (unsigned char)(seed + i / 4093))
            return false;
    return true;
}

/* all_zero, sampled every 512 bytes and at the end: blocks here are megabytes */
static bool all_zero_sampled(const unsigned char *bytes, size_t n)
{
    for (size_t i = 0; i < n; i += 512)
        if (bytes[i])
            return false;
    return n == 0 || bytes[n - 1] == 0;
}

/* True when [ptr, ptr + n) is no longer mapped (mincore fails with ENOMEM). */
static bool unmapped(const void *ptr, size_t n)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)ptr & ~(uintptr_t)(page - 1);
    unsigned char vec[4];
    return mincore((void *)start, n < 4 * (size_t)page ? n : 4 * (size_t)page, vec) != 0;
}

TEST(usable_size_never_crosses_the_huge_threshold)
{
    /* A request below the threshold must free through the same path it came from. */
    for (size_t size = GORT_HUGE_MIN - 300000; size < GORT_HUGE_MIN; size += 4099)
        if (!CHECK_TRUE(gort__usable_size(size, 8) < GORT_HUGE_MIN))
            return;
    size_t usable = gort__usable_size(GORT_HUGE_MIN, 8);
    CHECK_TRUE(usable >= GORT_HUGE_MIN);
    CHECK_EQ_SIZE(gort__usable_size(usable, 8), usable); /* stable: a fixed point */
}

TEST(huge_block_is_zeroed_counted_and_freed)
{
    gort_heap *heap;
    if (!CHECK_OK(gort_heap_create(&heap)))
        return;
    size_t size = gort__usable_size(3 * MIB, 64);
    unsigned char *block = gort__alloc_zeroed(heap, size, 64);
    if (!CHECK_TRUE(block != NULL))
        return;
    CHECK_EQ_U64((uintptr_t)block % 64, 0);
    CHECK_TRUE(all_zero_sampled(block, size));
    fill(block, size, 7);
    CHECK_TRUE(heap_stats(heap).allocated >= size);
    CHECK_EQ_U64(live_blocks(heap), 1);
    gort__free(heap, block, size, 64);
    CHECK_EQ_U64(live_blocks(heap), 0);
    CHECK_TRUE(heap_stats(heap).allocated < MIB);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

TEST(resize_across_the_threshold_keeps_bytes_and_zeroes_growth)
{
    size_t sizes[] = {MIB, 5 * MIB, 9 * MIB, 40 * MIB, 512 * 1024, 3 * MIB};
    size_t old = sizes[0];
    unsigned char *block = gort__alloc_zeroed(NULL, old, 16);
    if (!CHECK_TRUE(block != NULL))
        return;
    fill(block, old, 1);
    for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t size = gort__usable_size(sizes[i], 16);
        unsigned char *moved = gort__realloc(NULL, block, old, size, 16, true);
        if (!CHECK_TRUE(moved != NULL))
            return;
        size_t kept = old < size ? old : size;
        CHECK_TRUE(filled(moved, kept, (unsigned)i));
        if (size > old)
            CHECK_TRUE(all_zero_sampled(moved + old, size - old));
        fill(moved, size, (unsigned)i + 1);
        block = moved, old = size;
    }
    gort__free(NULL, block, old, 16);
}

TEST(expand_in_place_grows_or_reports_the_old_size)
{
    size_t size = gort__usable_size(4 * MIB, 8);
    unsigned char *block = gort__alloc(NULL, size, 8);
    if (!CHECK_TRUE(block != NULL))
        return;
    fill(block, size, 3);
    size_t got = gort__expand_in_place(NULL, block, size, 2 * size, 8);
    CHECK_TRUE(got == size || got >= 2 * size);
    CHECK_TRUE(filled(block, size, 3));
    if (got > size)
        CHECK_TRUE(all_zero_sampled(block + size, got - size));
    gort__free(NULL, block, got, 8);
}

TEST(slice_grows_through_huge_blocks_with_contents_intact)
{
    gort_slice *s;
    if (!CHECK_OK(gort_slice_nil(gort_type_builtin(GORT_KIND_I64), NULL, &s)))
        return;
    const int64_t n = 3000000; /* 24 MB: several mremaps */
    for (int64_t i = 0; i < n; i++)
        if (gort_slice_append(s, &i) != GORT_OK)
            break;
    CHECK_EQ_SIZE(gort_slice_len(s), (size_t)n);
    const int64_t *data = gort_slice_data(s);
    int64_t wrong = 0;
    for (int64_t i = 0; i < n; i++)
        wrong += data[i] != i;
    CHECK_EQ_INT(wrong, 0);
    /* A shared huge store is copied on growth; the other view must not change. */
    gort_slice *view;
    if (!CHECK_OK(gort_slice_sub(s, 0, (size_t)n, &view)))
        return;
    CHECK_OK(gort_slice_reslice(view, 0, (size_t)n, (size_t)n));
    int64_t minus = -1;
    CHECK_OK(gort_slice_append(view, &minus));
    CHECK_TRUE(gort_slice_data(view) != gort_slice_data(s));
    CHECK_EQ_SIZE(gort_slice_len(s), (size_t)n);
    int64_t last;
    CHECK_OK(gort_slice_get(view, (size_t)n, &last));
    CHECK_EQ_INT(last, -1);
    CHECK_OK(gort_slice_get(view, (size_t)n - 1, &last));
    CHECK_EQ_INT(last, n - 1);
    gort_slice_free(view);
    gort_slice_free(s);
}

TEST(forced_destroy_unmaps_huge_blocks)
{
    gort_heap *heap;
    gort_slice *s;
    if (!CHECK_OK(gort_heap_create(&heap)))
        return;
    if (!CHECK_OK(gort_slice_make(gort_type_builtin(GORT_KIND_U8), 8 * MIB, 8 * MIB, heap, &s)))
        return;
    unsigned char *data = gort_slice_data(s);
    data[0] = data[8 * MIB - 1] = 1;
    CHECK_TRUE(heap_stats(heap).mapped >= 8 * MIB);
    CHECK_STATUS(gort_heap_destroy(heap, 0), GORT_EBUSY);
    CHECK_OK(gort_heap_destroy(heap, GORT_HEAP_FORCE));
    if (!allocator_is_libc())
        CHECK_TRUE(unmapped(data, 8 * MIB)); /* the slice is gone with its heap */
}

static void *huge_churn(void *arg)
{
    gort_heap *heap = arg;
    for (int round = 0; round < 20; round++) {
        size_t size = gort__usable_size((size_t)(2 + round % 5) * MIB, 8);
        unsigned char *block = gort__alloc(heap, size, 8);
        if (!block)
            return (void *)1;
        fill(block, size, (unsigned)round);
        size_t bigger = gort__usable_size(size + 3 * MIB, 8);
        unsigned char *moved = gort__realloc(heap, block, size, bigger, 8, true);
        if (!moved || !filled(moved, size, (unsigned)round)) {
            gort__free(heap, moved ? moved : block, moved ? bigger : size, 8);
            return (void *)1;
        }
        gort__free(heap, moved, bigger, 8);
    }
    return NULL;
}

TEST(concurrent_huge_blocks_keep_the_heap_list_consistent)
{
    gort_heap *heap;
    if (!CHECK_OK(gort_heap_create(&heap)))
        return;
    pthread_t threads[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&threads[i], NULL, huge_churn, heap);
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        void *result;
        pthread_join(threads[i], &result);
        failures += result != NULL;
    }
    CHECK_EQ_INT(failures, 0);
    CHECK_EQ_U64(live_blocks(heap), 0);
    CHECK_TRUE(heap_stats(heap).allocated < MIB);
    CHECK_OK(gort_heap_destroy(heap, 0));
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(usable_size_never_crosses_the_huge_threshold),
        TEST_ENTRY(huge_block_is_zeroed_counted_and_freed),
        TEST_ENTRY(resize_across_the_threshold_keeps_bytes_and_zeroes_growth),
        TEST_ENTRY(expand_in_place_grows_or_reports_the_old_size),
        TEST_ENTRY(slice_grows_through_huge_blocks_with_contents_intact),
        TEST_ENTRY(forced_destroy_unmaps_huge_blocks),
        TEST_ENTRY(concurrent_huge_blocks_keep_the_heap_list_consistent),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
