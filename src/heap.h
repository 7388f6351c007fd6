/*
 * Internal interface of the heap module: the one allocation shim every other module
 * uses. Sizes passed to gort__free/gort__realloc are the sizes the caller asked for or
 * the usable size it was told (gort__usable_size), never anything else.
 */
#ifndef GORT_HEAP_INTERNAL_H
#define GORT_HEAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "gort.h"

/* NULL means the default heap; every shim function resolves it. */
gort_heap *gort__heap_resolve(gort_heap *heap);

/*
 * Every call names its call site ("src/map/map.c:251"), so that the out-of-memory tests
 * can prove each site's failure path has run (gort__alloc_failed_sites). The site is a
 * string literal: passing it costs one register per allocation.
 */
#define GORT__SITE_STR2(line) #line
#define GORT__SITE_STR(line) GORT__SITE_STR2(line)
#define GORT__SITE __FILE__ ":" GORT__SITE_STR(__LINE__)

/* size bytes aligned to align (a power of two); NULL when out of memory, when the
 * request exceeds GORT_MAX_ALLOC, or when failure injection fires. size may be 0. */
#define gort__alloc(heap, size, align) gort__alloc_at(heap, size, align, false, GORT__SITE)
#define gort__alloc_zeroed(heap, size, align) \
    gort__alloc_at(heap, size, align, true, GORT__SITE)
void *gort__alloc_at(gort_heap *heap, size_t size, size_t align, bool zero, const char *site);

/* Resizes a block, possibly moving it; the first min(old, new) bytes are kept and, when
 * zero_tail is set, bytes past old_size are zero. NULL on failure: the block is intact. */
#define gort__realloc(heap, ptr, old_size, new_size, align, zero_tail) \
    gort__realloc_at(heap, ptr, old_size, new_size, align, zero_tail, GORT__SITE)
void *gort__realloc_at(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                       size_t align, bool zero_tail, const char *site);

/* Tries to extend a block in place to at least new_size bytes (jemalloc's xallocx).
 * Returns the block's usable size afterwards: >= new_size on success. Never fails. */
size_t gort__expand_in_place(gort_heap *heap, void *ptr, size_t old_size,
                             size_t new_size, size_t align);

/* The usable size an allocation of size bytes gets (jemalloc's nallocx), so callers can
 * turn size-class slack into capacity. Returns size itself if size is 0 or too large. */
size_t gort__usable_size(size_t size, size_t align);

void gort__free(gort_heap *heap, void *ptr, size_t size, size_t align);

/* Live-object accounting for gort_heap_stats and gort_heap_destroy. */
void gort__heap_object_born(gort_heap *heap);
void gort__heap_object_died(gort_heap *heap);

/*
 * Test hook: make the (n + 1)-th allocation from now fail (n = 0: the next one), then
 * stop injecting. n < 0 disables injection. Returns how many allocations were attempted
 * since the previous call, so a test can loop N = 0, 1, 2, ... until an operation
 * succeeds. Process-wide; for single-threaded tests only.
 */
long gort__alloc_fail_after(long n);

/* Test hook: the distinct call sites (GORT__SITE strings) at which injection has made an
 * allocation fail since the process started, up to max of them into sites. Returns how
 * many there are in all. */
size_t gort__alloc_failed_sites(const char **sites, size_t max);

#endif /* GORT_HEAP_INTERNAL_H */
