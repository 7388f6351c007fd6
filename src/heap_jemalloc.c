/*
 * jemalloc backend of the heap shim (bundled private build, or the system library).
 *
 * The default heap uses jemalloc's automatic arenas and thread caches: the fast path.
 * A created heap is an arena of its own (arenas.create) used with MALLOCX_TCACHE_NONE.
 * Why no tcache there: jemalloc's automatic tcache is shared by all arenas, so a block
 * freed through it could later be handed to another heap, and arena.<i>.destroy would
 * then pull memory out from under that heap. Bypassing the tcache keeps each arena's
 * memory its own, which is what makes gort_heap_destroy sound.
 *
 * Blocks of GORT_HUGE_MIN bytes or more bypass jemalloc and are mapped by heap_huge.c
 * so they can grow with mremap. Routing is by size: callers free with the size they
 * allocated or were told is usable, and gort__backend_usable never reports a size that
 * would cross the threshold, so a block always returns to the path it came from.
 */
#include <stdio.h>
#include <string.h>

#define JEMALLOC_MANGLE /* plain mallocx etc. name the (possibly prefixed) build */
#include <jemalloc/jemalloc.h>

#include "heap_backend.h"
#include "heap_huge.h"
#include "internal.h"

#if GORT_ALLOC_SYSTEM
const char gort__backend_name[] = "jemalloc-system";
#else
const char gort__backend_name[] = "jemalloc-bundled";
#endif

/* jemalloc aligns every block to at least this; larger alignments must be asked for. */
#define NATURAL_ALIGN 16

static bool is_huge(size_t size)
{
    return size >= GORT_HUGE_MIN;
}

static int flags_for(const gort_heap *heap, size_t align)
{
    int flags = heap->backend.flags;
    if (align > NATURAL_ALIGN)
        flags |= MALLOCX_ALIGN(align);
    return flags;
}

int gort__backend_create(gort_heap *heap)
{
    unsigned arena;
    size_t len = sizeof arena;
    if (pthread_mutex_init(&heap->backend.huge.lock, NULL) != 0)
        return GORT_ENOMEM;
    if (mallctl("arenas.create", &arena, &len, NULL, 0) != 0) {
        pthread_mutex_destroy(&heap->backend.huge.lock);
        return GORT_ENOMEM;
    }
    heap->backend.arena = arena;
    heap->backend.flags = (int)MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
    return GORT_OK;
}

void gort__backend_destroy(gort_heap *heap)
{
    char name[64];
    gort__huge_free_all(&heap->backend.huge);
    pthread_mutex_destroy(&heap->backend.huge.lock);
    snprintf(name, sizeof name, "arena.%u.destroy", heap->backend.arena);
    int err = mallctl(name, NULL, NULL, NULL, 0);
    GORT_ASSERT(err == 0);
    (void)err;
}

void *gort__backend_alloc(gort_heap *heap, size_t size, size_t align, bool zero)
{
    if (is_huge(size))
        return gort__huge_alloc(&heap->backend.huge, size, align); /* always zero */
    int flags = flags_for(heap, align) | (zero ? MALLOCX_ZERO : 0);
    return mallocx(size ? size : 1, flags);
}

/* A resize that crosses the huge threshold: a new block, a copy, the old one freed. */
static void *resize_across(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                           size_t align, bool zero_tail)
{
    void *moved = gort__backend_alloc(heap, new_size, align, zero_tail);
    if (!moved)
        return NULL;
    memcpy(moved, ptr, old_size < new_size ? old_size : new_size);
    gort__backend_free(heap, ptr, old_size, align);
    return moved;
}

void *gort__backend_realloc(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align, bool zero_tail)
{
    if (is_huge(old_size) && is_huge(new_size))
        return gort__huge_resize(&heap->backend.huge, ptr, new_size, false);
    if (is_huge(old_size) || is_huge(new_size))
        return resize_across(heap, ptr, old_size, new_size, align, zero_tail);
    /* MALLOCX_ZERO zeroes what lies past the old usable size. */
    int flags = flags_for(heap, align) | (zero_tail ? MALLOCX_ZERO : 0);
    return rallocx(ptr, new_size ? new_size : 1, flags);
}

size_t gort__backend_expand(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align)
{
    if (is_huge(old_size)) {
        if (new_size <= old_size)
            return old_size;
        return gort__huge_resize(&heap->backend.huge, ptr, new_size, true)
                   ? gort__huge_usable(new_size)
                   : old_size;
    }
    if (is_huge(new_size))
        return old_size;
    return xallocx(ptr, new_size, 0, flags_for(heap, align) | MALLOCX_ZERO);
}

size_t gort__backend_usable(size_t size, size_t align)
{
    if (is_huge(size))
        return gort__huge_usable(size);
    size_t usable = nallocx(size, align > NATURAL_ALIGN ? MALLOCX_ALIGN(align) : 0);
    return usable && !is_huge(usable) ? usable : size;
}

void gort__backend_free(gort_heap *heap, void *ptr, size_t size, size_t align)
{
    if (is_huge(size))
        gort__huge_free(&heap->backend.huge, ptr);
    else
        sdallocx(ptr, size ? size : 1, flags_for(heap, align));
}

/* Every statistic read here is a size_t in jemalloc 5; a missing one reads as 0 (an
 * automatic arena that was never initialised has no stats). */
static uint64_t read_size(const char *name)
{
    size_t value = 0, len = sizeof value;
    return mallctl(name, &value, &len, NULL, 0) == 0 ? value : 0;
}

static uint64_t arena_stat(unsigned arena, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "stats.arenas.%u.%s", arena, what);
    return read_size(name);
}

static void add_arena_stats(unsigned arena, gort_heap_stats *out)
{
    out->allocated += arena_stat(arena, "small.allocated") + arena_stat(arena, "large.allocated");
    out->active += arena_stat(arena, "pactive") * read_size("arenas.page");
    out->resident += arena_stat(arena, "resident");
    out->mapped += arena_stat(arena, "mapped");
}

void gort__backend_stats(gort_heap *heap, gort_heap_stats *out)
{
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    mallctl("epoch", &epoch, &len, &epoch, len); /* refresh jemalloc's stats snapshot */
    if (!heap->is_default) {
        add_arena_stats(heap->backend.arena, out);
    } else {
        unsigned automatic = 0;
        len = sizeof automatic;
        mallctl("opt.narenas", &automatic, &len, NULL, 0);
        for (unsigned arena = 0; arena < automatic; arena++)
            add_arena_stats(arena, out);
    }
    /* Huge blocks count as allocated, active and mapped; resident is an upper bound
     * (their untouched pages are not resident). */
    uint64_t huge = gort__huge_bytes(&heap->backend.huge);
    out->allocated += huge;
    out->active += huge;
    out->resident += huge;
    out->mapped += huge;
}
