/*
 * The allocator backends behind the heap shim: heap_jemalloc.c (bundled or system
 * jemalloc) and heap_libc.c (malloc, for ASan and Valgrind, which cannot see inside
 * jemalloc). Exactly one is compiled in, chosen by the meson option `allocator`.
 */
#ifndef GORT_HEAP_BACKEND_H
#define GORT_HEAP_BACKEND_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "atomic.h"
#include "gort.h"

#if GORT_ALLOC_LIBC
struct gort__libc_block;
/* A libc heap threads its blocks on a list so that destroy can free them all. */
struct gort__backend_heap {
    pthread_mutex_t lock; /* protects blocks and allocated */
    struct gort__libc_block *blocks;
    size_t allocated;
};
#define GORT__BACKEND_DEFAULT_INIT {PTHREAD_MUTEX_INITIALIZER, NULL, 0}
#else
#include "heap_huge.h"
/* A jemalloc heap is an arena index plus the mallocx flags that select it, and the
 * huge blocks it mapped itself (heap_huge.c). */
struct gort__backend_heap {
    unsigned arena;
    int flags;
    struct gort__huge_list huge;
};
#define GORT__BACKEND_DEFAULT_INIT {0, 0, GORT__HUGE_LIST_INIT}
#endif

struct gort_heap {
    gort__atomic live_blocks;
    gort__atomic live_objects;
    bool is_default;
    struct gort__backend_heap backend;
};

int gort__backend_create(gort_heap *heap);
void gort__backend_destroy(gort_heap *heap);
void *gort__backend_alloc(gort_heap *heap, size_t size, size_t align, bool zero);
void *gort__backend_realloc(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align, bool zero_tail);
size_t gort__backend_expand(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align);
size_t gort__backend_usable(size_t size, size_t align);
void gort__backend_free(gort_heap *heap, void *ptr, size_t size, size_t align);
void gort__backend_stats(gort_heap *heap, gort_heap_stats *out);
extern const char gort__backend_name[];

#endif /* GORT_HEAP_BACKEND_H */
