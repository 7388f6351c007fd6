/*
 * Huge blocks: the one place the jemalloc backend maps memory itself.
 *
 * Why: growing a big slice (or, later, a map directory) must not pay for its pages twice.
 * jemalloc can extend a block in place only when the address space after it happens to
 * be free; otherwise rallocx copies into a fresh block whose every page faults again.
 * With Go's 1.25x growth that was ~5x the final size in first-touch faults (measured:
 * 340k faults and 19.8 ns per append for 10M int64, against 3.8 ns for Rust's Vec, whose
 * glibc realloc uses mremap). mremap moves page-table entries instead of bytes, so a
 * block of any size grows in O(pages) kernel work and its pages are touched once.
 *
 * Layout of one mapping: it starts and ends on 2 MiB (huge page) boundaries, so where
 * transparent huge pages are enabled every fault maps 2 MiB at once and mremap moves
 * whole page-table directories. The header sits at the end of the first 4 KiB page
 * (which also satisfies the largest descriptor alignment, 4096):
 *
 *   start (2 MiB aligned)     start + HEADER_SPACE = payload       start + length
 *   | pad | gort__huge_block  | payload (size bytes)               | (2 MiB aligned)
 *
 * Invariants: every live block is on exactly one heap's list; list->bytes is the sum of
 * its blocks' sizes; the mapping is HEADER_SPACE + size bytes, a multiple of 2 MiB.
 */
#define _GNU_SOURCE /* mremap */
#include "heap_huge.h"

#include <string.h>
#include <sys/mman.h>

#include "internal.h"

struct gort__huge_block {
    struct gort__huge_block *prev, *next;
    size_t size; /* payload bytes */
};

#define HUGE_PAGE ((size_t)2 << 20)
#define HEADER_SPACE ((size_t)4096)

size_t gort__huge_usable(size_t size)
{
    return gort__align_up(size + HEADER_SPACE, HUGE_PAGE) - HEADER_SPACE;
}

static struct gort__huge_block *block_of(void *payload)
{
    return (struct gort__huge_block *)payload - 1;
}

static void *payload_of(struct gort__huge_block *block)
{
    return block + 1;
}

static char *mapping_of(struct gort__huge_block *block)
{
    return (char *)payload_of(block) - HEADER_SPACE;
}

static size_t length_of(const struct gort__huge_block *block)
{
    return HEADER_SPACE + block->size;
}

static void link_block(struct gort__huge_list *list, struct gort__huge_block *block)
{
    block->prev = NULL;
    block->next = list->head;
    if (block->next)
        block->next->prev = block;
    list->head = block;
    list->bytes += block->size;
}

static void unlink_block(struct gort__huge_list *list, struct gort__huge_block *block)
{
    if (block->prev)
        block->prev->next = block->next;
    else
        list->head = block->next;
    if (block->next)
        block->next->prev = block->prev;
    list->bytes -= block->size;
}

static void hint_huge_pages(char *mapping, size_t length)
{
    madvise(mapping, length, MADV_HUGEPAGE); /* advice only: harmless where THP is off */
}

/* Reserves length bytes of address space starting on a huge-page boundary: maps
 * length + HUGE_PAGE and returns the unused ends. */
static char *reserve_aligned(size_t length, int prot)
{
    size_t padded = length + HUGE_PAGE;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (prot == PROT_NONE ? MAP_NORESERVE : 0);
    char *raw = mmap(NULL, padded, prot, flags, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    char *aligned = (char *)gort__align_up((uintptr_t)raw, HUGE_PAGE);
    if (aligned > raw)
        munmap(raw, (size_t)(aligned - raw));
    size_t tail = (size_t)(raw + padded - (aligned + length));
    if (tail)
        munmap(aligned + length, tail);
    return aligned;
}

/* Grows or moves a mapping: in place when the address space after it is free, else to
 * a fresh aligned reservation (MREMAP_FIXED replaces the reservation atomically). */
static char *remap(char *mapping, size_t old_length, size_t new_length, bool in_place)
{
    char *grown = mremap(mapping, old_length, new_length, 0);
    if (grown != MAP_FAILED || in_place)
        return grown == MAP_FAILED ? NULL : grown;
    char *target = reserve_aligned(new_length, PROT_NONE);
    if (!target)
        return NULL;
    char *moved = mremap(mapping, old_length, new_length, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    if (moved == MAP_FAILED) {
        munmap(target, new_length);
        return NULL;
    }
    return moved;
}

void *gort__huge_alloc(struct gort__huge_list *list, size_t size, size_t align)
{
    GORT_ASSERT(align <= HEADER_SPACE);
    (void)align;
    size = gort__huge_usable(size);
    char *mapping = reserve_aligned(HEADER_SPACE + size, PROT_READ | PROT_WRITE);
    if (!mapping)
        return NULL;
    hint_huge_pages(mapping, HEADER_SPACE + size);
    struct gort__huge_block *block = (struct gort__huge_block *)(mapping + HEADER_SPACE) - 1;
    block->size = size;
    pthread_mutex_lock(&list->lock);
    link_block(list, block);
    pthread_mutex_unlock(&list->lock);
    return payload_of(block);
}

void *gort__huge_resize(struct gort__huge_list *list, void *ptr, size_t new_size,
                        bool in_place)
{
    new_size = gort__huge_usable(new_size);
    struct gort__huge_block *block = block_of(ptr);
    /* The list is locked across mremap: the header moves with the mapping, and its
     * neighbours' links must be rewritten before anyone follows them. */
    pthread_mutex_lock(&list->lock);
    unlink_block(list, block);
    char *mapping = remap(mapping_of(block), length_of(block), HEADER_SPACE + new_size, in_place);
    if (!mapping) {
        link_block(list, block);
        pthread_mutex_unlock(&list->lock);
        return NULL;
    }
    block = (struct gort__huge_block *)(mapping + HEADER_SPACE) - 1;
    block->size = new_size;
    link_block(list, block);
    pthread_mutex_unlock(&list->lock);
    hint_huge_pages(mapping, HEADER_SPACE + new_size);
    return payload_of(block);
}

void gort__huge_free(struct gort__huge_list *list, void *ptr)
{
    struct gort__huge_block *block = block_of(ptr);
    pthread_mutex_lock(&list->lock);
    unlink_block(list, block);
    pthread_mutex_unlock(&list->lock);
    munmap(mapping_of(block), length_of(block));
}

void gort__huge_free_all(struct gort__huge_list *list)
{
    pthread_mutex_lock(&list->lock);
    while (list->head) {
        struct gort__huge_block *block = list->head;
        unlink_block(list, block);
        munmap(mapping_of(block), length_of(block));
    }
    pthread_mutex_unlock(&list->lock);
}

size_t gort__huge_bytes(struct gort__huge_list *list)
{
    pthread_mutex_lock(&list->lock);
    size_t bytes = list->bytes;
    pthread_mutex_unlock(&list->lock);
    return bytes;
}
