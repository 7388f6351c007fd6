/*
 * Internal helpers shared by every module: the export macro for definitions, invariant
 * assertions that compile out in release builds, and overflow-checked size arithmetic.
 */
#ifndef GORT_INTERNAL_H
#define GORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gort.h"

/* Internal invariant checks: on in debug builds, gone with NDEBUG. API misuse is never
 * checked with these; it gets an error code. */
#ifdef NDEBUG
#define GORT_ASSERT(cond) ((void)0)
#else
#include <stdio.h>
#include <stdlib.h>
#define GORT_ASSERT(cond)                                                              \
    ((cond) ? (void)0                                                                  \
            : (fprintf(stderr, "libgort: %s:%d: assertion failed: %s\n", __FILE__,     \
                       __LINE__, #cond),                                               \
               abort()))
#endif

#define GORT_LIKELY(x) __builtin_expect(!!(x), 1)
#define GORT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* a * b, or false if the product overflows or exceeds GORT_MAX_ALLOC. */
static inline bool gort__size_mul(size_t a, size_t b, size_t *out)
{
    size_t product;
    if (__builtin_mul_overflow(a, b, &product) || product > GORT_MAX_ALLOC)
        return false;
    *out = product;
    return true;
}

/* a + b, or false if the sum overflows or exceeds GORT_MAX_ALLOC. */
static inline bool gort__size_add(size_t a, size_t b, size_t *out)
{
    size_t sum;
    if (__builtin_add_overflow(a, b, &sum) || sum > GORT_MAX_ALLOC)
        return false;
    *out = sum;
    return true;
}

static inline size_t gort__align_up(size_t n, size_t align)
{
    return (n + align - 1) & ~(align - 1);
}

#endif /* GORT_INTERNAL_H */
