/*
 * Huge blocks of the jemalloc backend: blocks of GORT_HUGE_MIN bytes or more are mapped
 * directly and resized with mremap. See heap_huge.c for why.
 */
#ifndef GORT_HEAP_HUGE_H
#define GORT_HEAP_HUGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Requests of at least this many bytes take the huge path: 2 MiB, one huge page. */
#define GORT_HUGE_MIN ((size_t)2 << 20)

struct gort__huge_block;

/* One heap's huge blocks. */
struct gort__huge_list {
    pthread_mutex_t lock; /* protects head and bytes */
    struct gort__huge_block *head;
    size_t bytes;         /* payload bytes of every block on the list */
};
#define GORT__HUGE_LIST_INIT {PTHREAD_MUTEX_INITIALIZER, NULL, 0}

/* The usable size of a huge request: rounded up to whole pages. */
size_t gort__huge_usable(size_t size);

/* A zeroed huge block (fresh pages are zero), aligned to align <= 4096; NULL if the
 * mapping fails. */
void *gort__huge_alloc(struct gort__huge_list *list, size_t size, size_t align);

/* Resizes a huge block to new_size >= GORT_HUGE_MIN, moving pages, not bytes; bytes
 * past old_size read as zero. in_place forbids moving. NULL on failure: block intact. */
void *gort__huge_resize(struct gort__huge_list *list, void *ptr, size_t new_size,
                        bool in_place);

void gort__huge_free(struct gort__huge_list *list, void *ptr);

/* Unmaps every block on the list (heap destruction). */
void gort__huge_free_all(struct gort__huge_list *list);

size_t gort__huge_bytes(struct gort__huge_list *list);

#endif /* GORT_HEAP_HUGE_H */
