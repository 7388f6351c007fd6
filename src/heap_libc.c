/*
 * libc backend of the heap shim, for ASan, UBSan, TSan and Valgrind builds: tools that
 * see every malloc but nothing inside jemalloc.
 *
 * Each block carries a header just before the payload and sits on its heap's doubly
 * linked list, so that gort_heap_destroy(GORT_HEAP_FORCE) can free every block and the
 * stats can report exact bytes. Layout of one block:
 *
 *   start                          start + offset = payload
 *   | padding ... | libc_block hdr | payload (size bytes) |
 *
 * offset is a multiple of the payload's alignment, so the header never moves it.
 * Invariant: heap->backend.allocated is the sum of `size` over the list, under `lock`.
 */
#include <stdlib.h>
#include <string.h>

#include "heap_backend.h"
#include "internal.h"

const char gort__backend_name[] = "libc";

struct gort__libc_block {
    struct gort__libc_block *prev, *next;
    size_t size;   /* payload bytes */
    size_t offset; /* from the start of the malloc'd region to the payload */
};

#define HEADER_SIZE sizeof(struct gort__libc_block)

static struct gort__libc_block *header_of(void *payload)
{
    return (struct gort__libc_block *)((char *)payload - HEADER_SIZE);
}

static void link_block(gort_heap *heap, struct gort__libc_block *block)
{
    pthread_mutex_lock(&heap->backend.lock);
    block->prev = NULL;
    block->next = heap->backend.blocks;
    if (block->next)
        block->next->prev = block;
    heap->backend.blocks = block;
    heap->backend.allocated += block->size;
    pthread_mutex_unlock(&heap->backend.lock);
}

static void unlink_block(gort_heap *heap, struct gort__libc_block *block)
{
    pthread_mutex_lock(&heap->backend.lock);
    if (block->prev)
        block->prev->next = block->next;
    else
        heap->backend.blocks = block->next;
    if (block->next)
        block->next->prev = block->prev;
    heap->backend.allocated -= block->size;
    pthread_mutex_unlock(&heap->backend.lock);
}

int gort__backend_create(gort_heap *heap)
{
    return pthread_mutex_init(&heap->backend.lock, NULL) == 0 ? GORT_OK : GORT_ENOMEM;
}

void gort__backend_destroy(gort_heap *heap)
{
    struct gort__libc_block *block = heap->backend.blocks;
    while (block) {
        struct gort__libc_block *next = block->next;
        free((char *)block + HEADER_SIZE - block->offset);
        block = next;
    }
    pthread_mutex_destroy(&heap->backend.lock);
}

void *gort__backend_alloc(gort_heap *heap, size_t size, size_t align, bool zero)
{
    if (align < 16)
        align = 16;
    size_t offset = gort__align_up(HEADER_SIZE, align);
    void *start;
    if (posix_memalign(&start, align, offset + size) != 0)
        return NULL;
    char *payload = (char *)start + offset;
    struct gort__libc_block *block = header_of(payload);
    block->size = size;
    block->offset = offset;
    if (zero)
        memset(payload, 0, size);
    link_block(heap, block);
    return payload;
}

void *gort__backend_realloc(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align, bool zero_tail)
{
    void *moved = gort__backend_alloc(heap, new_size, align, false);
    if (!moved)
        return NULL;
    size_t kept = old_size < new_size ? old_size : new_size;
    memcpy(moved, ptr, kept);
    if (zero_tail)
        memset((char *)moved + kept, 0, new_size - kept);
    gort__backend_free(heap, ptr, old_size, align);
    return moved;
}

size_t gort__backend_expand(gort_heap *heap, void *ptr, size_t old_size, size_t new_size,
                            size_t align)
{
    (void)heap, (void)ptr, (void)new_size, (void)align;
    return old_size; /* malloc cannot promise to grow in place */
}

size_t gort__backend_usable(size_t size, size_t align)
{
    (void)align;
    return size; /* no size classes: capacities are exactly Go's nextslicecap */
}

void gort__backend_free(gort_heap *heap, void *ptr, size_t size, size_t align)
{
    (void)size, (void)align;
    struct gort__libc_block *block = header_of(ptr);
    GORT_ASSERT(block->size == size);
    unlink_block(heap, block);
    free((char *)ptr - block->offset);
}

void gort__backend_stats(gort_heap *heap, gort_heap_stats *out)
{
    pthread_mutex_lock(&heap->backend.lock);
    out->allocated = heap->backend.allocated;
    pthread_mutex_unlock(&heap->backend.lock);
    out->active = out->resident = out->mapped = out->allocated;
}
