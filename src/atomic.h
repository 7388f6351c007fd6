/*
 * The one place libgort touches atomics: thin, typed wrappers over libatomic_ops.
 *
 * Every atomic in the library is a gort__atomic (an AO_t, one machine word). Callers
 * name the ordering they need; the wrappers keep that choice visible at the call site.
 * On x86-64 with GCC or Clang, libatomic_ops lowers these to __atomic builtins, which
 * ThreadSanitizer understands.
 */
#ifndef GORT_ATOMIC_H
#define GORT_ATOMIC_H

#include <atomic_ops.h>
#include <stddef.h>

typedef volatile AO_t gort__atomic;

static inline size_t gort__atomic_load_relaxed(const gort__atomic *a)
{
    return AO_load((const volatile AO_t *)a);
}

static inline size_t gort__atomic_load_acquire(const gort__atomic *a)
{
    return AO_load_acquire((const volatile AO_t *)a);
}

static inline void gort__atomic_store_relaxed(gort__atomic *a, size_t v)
{
    AO_store(a, v);
}

/* Returns the value before the addition. Full barrier. */
static inline size_t gort__atomic_fetch_add(gort__atomic *a, size_t v)
{
    return AO_fetch_and_add_full(a, v);
}

/* Returns the value before the subtraction. Full barrier: the last reference's
 * decrement orders every earlier access to the object before its destruction. */
static inline size_t gort__atomic_fetch_sub(gort__atomic *a, size_t v)
{
    return AO_fetch_and_add_full(a, (AO_t)0 - v);
}

/* Stores desired if *a == expected; returns whether it did. Full barrier. */
static inline int gort__atomic_cas(gort__atomic *a, size_t expected, size_t desired)
{
    return AO_compare_and_swap_full(a, expected, desired);
}

/* Stores v and returns the previous value. Full barrier. */
static inline size_t gort__atomic_exchange(gort__atomic *a, size_t v)
{
    size_t old;
    do
        old = gort__atomic_load_relaxed(a);
    while (!gort__atomic_cas(a, old, v));
    return old;
}

/* Release store: every earlier access happens-before an acquire load that reads it. */
static inline void gort__atomic_store_release(gort__atomic *a, size_t v)
{
    AO_store_release(a, v);
}

/*
 * 32-bit atomics, for futex words (the kernel compares 32 bits). Same conventions as
 * the word-sized ones above.
 */
typedef volatile unsigned gort__atomic32;

static inline unsigned gort__atomic32_load_relaxed(const gort__atomic32 *a)
{
    return AO_int_load((const volatile unsigned *)a);
}

static inline unsigned gort__atomic32_load_acquire(const gort__atomic32 *a)
{
    return AO_int_load_acquire((const volatile unsigned *)a);
}

static inline void gort__atomic32_store_release(gort__atomic32 *a, unsigned v)
{
    AO_int_store_release(a, v);
}

/* Returns the value before the addition. Full barrier. */
static inline unsigned gort__atomic32_fetch_add(gort__atomic32 *a, unsigned v)
{
    return AO_int_fetch_and_add_full(a, v);
}

/* Stores desired if *a == expected; returns whether it did. Full barrier. */
static inline int gort__atomic32_cas(gort__atomic32 *a, unsigned expected, unsigned desired)
{
    return AO_int_compare_and_swap_full(a, expected, desired);
}

/* Stores v and returns the previous value. Full barrier. */
static inline unsigned gort__atomic32_exchange(gort__atomic32 *a, unsigned v)
{
    unsigned old;
    do
        old = gort__atomic32_load_relaxed(a);
    while (!gort__atomic32_cas(a, old, v));
    return old;
}

#endif /* GORT_ATOMIC_H */
