/*
 * Heaps: the public gort_heap API and the allocation shim every module goes through.
 *
 * The shim adds three things to the backend (heap_jemalloc.c or heap_libc.c):
 *   - NULL means the default heap;
 *   - live-block and live-object counts, which gort_heap_destroy checks;
 *   - test-only failure injection (fail the Nth allocation), so every error path
 *     can be exercised.
 * Invariant: live_blocks equals the number of shim allocations not yet freed, so a heap
 * with live_blocks == 0 owns no memory and can be destroyed without loss.
 */
#include "heap.h"

#include <string.h>

#include "atomic.h"
#include "heap_backend.h"
#include "internal.h"

static gort_heap default_heap = {0, 0, true, GORT__BACKEND_DEFAULT_INIT};

/* Failure injection state. `fail_countdown` > 0 arms it: the allocation that brings it
 * to zero fails. Relaxed atomics: only single-threaded tests arm it. */
static gort__atomic fail_countdown;
static gort__atomic fail_attempts;

long gort__alloc_fail_after(long n)
{
    long attempts = (long)gort__atomic_load_relaxed(&fail_attempts);
    gort__atomic_store_relaxed(&fail_attempts, 0);
    gort__atomic_store_relaxed(&fail_countdown, n < 0 ? 0 : (size_t)n + 1);
    return attempts;
}

/* The sites injection has failed, each once; written only by single-threaded tests. */
#define MAX_FAILED_SITES 128
static const char *failed_sites[MAX_FAILED_SITES];
static size_t failed_site_count;

static void record_failed_site(const char *site)
{
    for (size_t i = 0; i < failed_site_count && i < MAX_FAILED_SITES; i++)
        if (failed_sites[i] == site || strcmp(failed_sites[i], site) == 0)
            return;
    if (failed_site_count < MAX_FAILED_SITES)
        failed_sites[failed_site_count] = site;
    failed_site_count++;
}

size_t gort__alloc_failed_sites(const char **sites, size_t max)
{
    for (size_t i = 0; i < max && i < failed_site_count && i < MAX_FAILED_SITES; i++)
        sites[i] = failed_sites[i];
    return failed_site_count;
}

static bool injected_failure(const char *site)
{
    size_t left = gort__atomic_load_relaxed(&fail_countdown);
    if (GORT_LIKELY(left == 0))
        return false;
    gort__atomic_store_relaxed(&fail_attempts, gort__atomic_load_relaxed(&fail_attempts) + 1);
    gort__atomic_store_relaxed(&fail_countdown, left - 1);
    if (left != 1)
        return false;
    record_failed_site(site);
    return true;
}

gort_heap *gort__heap_resolve(gort_heap *heap)
{
    return heap ? heap : &default_heap;
}

void *gort__alloc_at(gort_heap *heap, size_t size, size_t align, bool zero, const char *site)
{
    heap = gort__heap_resolve(heap);
    if (size > GORT_MAX_ALLOC || injected_failure(site))
        return NULL;
    void *ptr = gort__backend_alloc(heap, size, align, zero);
    if (ptr)
        gort__atomic_fetch_add(&heap->live_blocks, 1);
    return ptr;
}

void *gort__realloc_at(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                       size_t align, bool zero_tail, const char *site)
{
    if (new_size > GORT_MAX_ALLOC || injected_failure(site))
        return NULL;
    return gort__backend_realloc(gort__heap_resolve(heap), ptr, old_size, new_size, align,
                                 zero_tail);
}

size_t gort__expand_in_place(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                             size_t align)
{
    if (new_size > GORT_MAX_ALLOC)
        return old_size;
    return gort__backend_expand(gort__heap_resolve(heap), ptr, old_size, new_size, align);
}

size_t gort__usable_size(size_t size, size_t align)
{
    if (size == 0 || size > GORT_MAX_ALLOC)
        return size;
    return gort__backend_usable(size, align);
}

void gort__free(gort_heap *heap, void *ptr, size_t size, size_t align)
{
    if (!ptr)
        return;
    heap = gort__heap_resolve(heap);
    gort__backend_free(heap, ptr, size, align);
    gort__atomic_fetch_sub(&heap->live_blocks, 1);
}

void gort__heap_object_born(gort_heap *heap)
{
    gort__atomic_fetch_add(&gort__heap_resolve(heap)->live_objects, 1);
}

void gort__heap_object_died(gort_heap *heap)
{
    gort__atomic_fetch_sub(&gort__heap_resolve(heap)->live_objects, 1);
}

/* ---- public API ---------------------------------------------------------------- */

int gort_heap_create(gort_heap **out)
{
    if (!out)
        return GORT_EINVAL;
    gort_heap *heap = gort__alloc_zeroed(NULL, sizeof *heap, _Alignof(gort_heap));
    if (!heap)
        return GORT_ENOMEM;
    if (gort__backend_create(heap) != GORT_OK) {
        gort__free(NULL, heap, sizeof *heap, _Alignof(gort_heap));
        return GORT_ENOMEM;
    }
    *out = heap;
    return GORT_OK;
}

gort_heap *gort_heap_default(void)
{
    return &default_heap;
}

int gort_heap_destroy(gort_heap *heap, uint32_t flags)
{
    if (!heap)
        return GORT_OK;
    if (heap->is_default || (flags & ~(uint32_t)GORT_HEAP_FORCE))
        return GORT_EINVAL;
    if (gort__atomic_load_acquire(&heap->live_blocks) != 0 && !(flags & GORT_HEAP_FORCE))
        return GORT_EBUSY;
    gort__backend_destroy(heap);
    gort__free(NULL, heap, sizeof *heap, _Alignof(gort_heap));
    return GORT_OK;
}

int gort_heap_stats_get(gort_heap *heap, gort_heap_stats *out)
{
    if (!out || out->struct_size < sizeof(gort_heap_stats))
        return GORT_EINVAL;
    heap = gort__heap_resolve(heap);
    size_t struct_size = out->struct_size;
    memset(out, 0, sizeof *out);
    out->struct_size = struct_size;
    gort__backend_stats(heap, out);
    out->live_blocks = gort__atomic_load_acquire(&heap->live_blocks);
    out->live_objects = gort__atomic_load_acquire(&heap->live_objects);
    return GORT_OK;
}

const char *gort_heap_allocator(void)
{
    return gort__backend_name;
}
