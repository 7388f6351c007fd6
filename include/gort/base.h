/*
 * libgort — base definitions: export macro, status codes, version.
 *
 * This header is part of the stable C ABI (see docs/abi.md). It compiles alone as
 * C99 -pedantic and as C++, and `cc -E -P -DGORT_CDEF include/gort.h` emits plain
 * declarations that cffi and LuaJIT's ffi.cdef accept (no system headers, no macros).
 */
#ifndef GORT_BASE_H
#define GORT_BASE_H

#ifndef GORT_CDEF
#include <stddef.h>
#include <stdint.h>
#endif

#if defined(GORT_CDEF)
#define GORT_API
#elif defined(__GNUC__)
#define GORT_API __attribute__((visibility("default")))
#else
#define GORT_API
#endif

#if defined(__cplusplus) && !defined(GORT_CDEF)
#define GORT_BEGIN_DECLS extern "C" {
#define GORT_END_DECLS }
#else
#define GORT_BEGIN_DECLS
#define GORT_END_DECLS
#endif

GORT_BEGIN_DECLS

/*
 * Status codes. Every fallible function returns GORT_OK (0) or one of these negative
 * values. Values are fixed forever: a code is never renumbered or reused.
 * @since 1.0
 */
typedef enum gort_status {
    GORT_OK = 0,
    GORT_ENOMEM = -1,    /* the allocator could not satisfy a request */
    GORT_EINVAL = -2,    /* an argument is NULL or invalid */
    GORT_ERANGE = -3,    /* an index, length or bound is out of range */
    GORT_ECLOSED = -4,   /* the channel is closed */
    GORT_EAGAIN = -5,    /* the operation would block */
    GORT_ETIMEDOUT = -6, /* the deadline passed */
    GORT_EOVERFLOW = -7, /* a size computation overflows or exceeds GORT_MAX_ALLOC */
    GORT_EBUSY = -8,     /* the object is in use (e.g. a heap with live objects) */
    GORT_ETYPE = -9      /* the type descriptor does not fit the operation */
} gort_status;

/*
 * Largest number of bytes any single libgort object may request (2^48, as Go's
 * maxAlloc on 64-bit Linux). Larger requests fail with GORT_EOVERFLOW.
 * @since 1.0
 */
#define GORT_MAX_ALLOC ((uint64_t)1 << 48)

/*
 * Returns a static, human-readable name and description of a status code, for
 * example "GORT_ERANGE: index or size out of range". Unknown codes yield
 * "unknown libgort status". Never returns NULL. Thread-safe.
 * @since 1.0
 */
GORT_API const char *gort_strerror(int status);

/*
 * Returns the library version as (major << 16) | (minor << 8) | patch.
 * Compare with GORT_VERSION_MAJOR etc. to detect a header/library mismatch.
 * @since 1.0
 */
GORT_API uint32_t gort_version(void);

/* Returns the library version as a static string such as "1.2.0". @since 1.0 */
GORT_API const char *gort_version_string(void);

#define GORT_VERSION_MAJOR 1
#define GORT_VERSION_MINOR 2
#define GORT_VERSION_PATCH 0

GORT_END_DECLS

#endif /* GORT_BASE_H */
