/*
 * libgort — heaps.
 *
 * Every libgort object lives in a heap. A heap made with gort_heap_create is one
 * private jemalloc arena: its memory is reported separately and can be released at once.
 * The default heap (pass NULL wherever a heap is asked for) uses jemalloc's automatic
 * arenas with thread caches, the fastest path. See docs/heaps.md.
 */
#ifndef GORT_HEAP_H
#define GORT_HEAP_H

#include "base.h"

GORT_BEGIN_DECLS

/* A memory arena. Thread-safe: any thread may allocate from or free into it. @since 1.0 */
typedef struct gort_heap gort_heap;

/*
 * Creates a heap (a new jemalloc arena; with the libc allocator build, a tracked region
 * of malloc). Returns GORT_OK, GORT_EINVAL if out is NULL, GORT_ENOMEM.
 * @since 1.0
 */
GORT_API int gort_heap_create(gort_heap **out);

/* Returns the process-wide default heap (the one NULL stands for). @since 1.0 */
GORT_API gort_heap *gort_heap_default(void);

/* Flags of gort_heap_destroy. @since 1.0 */
typedef enum gort_heap_destroy_flags {
    GORT_HEAP_FORCE = 1 /* destroy even with live objects; they become invalid */
} gort_heap_destroy_flags;

/*
 * Destroys a heap and releases all its memory at once.
 * Returns GORT_OK; GORT_EBUSY if anything is still allocated in it (live_blocks > 0)
 * and GORT_HEAP_FORCE is not given (the heap is then unchanged); GORT_EINVAL for the default heap or unknown
 * flags. NULL is accepted and does nothing. With GORT_HEAP_FORCE every object still in
 * the heap is discarded without running release hooks; using one afterwards is
 * undefined. No other thread may use the heap or its objects during or after the call.
 * @since 1.0
 */
GORT_API int gort_heap_destroy(gort_heap *heap, uint32_t flags);

/*
 * Heap statistics. Set struct_size to sizeof(gort_heap_stats) before the call; fields
 * are only ever added at the end.
 *   allocated     bytes in live allocations (jemalloc stats.arenas.<i>.{small,large}
 *                 .allocated; for the default heap, jemalloc's automatic arenas)
 *   active        bytes in active pages (pactive * page size)
 *   resident      bytes physically resident, including allocator metadata
 *   mapped        bytes mapped by the arena
 *   live_blocks   allocations libgort made in this heap and has not freed
 *   live_objects  libgort handles alive in this heap (slice handles in 1.0)
 * With the libc allocator build, allocated counts requested bytes and active, resident
 * and mapped equal allocated. @since 1.0
 */
typedef struct gort_heap_stats {
    size_t struct_size;
    uint64_t allocated;
    uint64_t active;
    uint64_t resident;
    uint64_t mapped;
    uint64_t live_blocks;
    uint64_t live_objects;
} gort_heap_stats;

/*
 * Fills *out for `heap` (NULL: the default heap). Returns GORT_OK, GORT_EINVAL if out
 * is NULL or out->struct_size is smaller than the 1.0 struct. Thread-safe; figures are
 * a snapshot. @since 1.0
 */
GORT_API int gort_heap_stats_get(gort_heap *heap, gort_heap_stats *out);

/*
 * Returns the name of the allocator this library was built with: "jemalloc-bundled",
 * "jemalloc-system" or "libc". @since 1.0
 */
GORT_API const char *gort_heap_allocator(void);

GORT_END_DECLS

#endif /* GORT_HEAP_H */
