/*
 * Shared helpers of the fuzz targets (fuzz_slice.c, fuzz_map.c, fuzz_chan.c): reading the
 * input, failing loudly, deriving values, encoding model values as strings, and checking
 * that a run gave back every block it took.
 *
 * Everything here is `static inline` and holds no state: each input starts from nothing,
 * whichever engine runs it (libFuzzer, or replay.c over the committed corpus).
 *
 * A mismatch calls fuzz_fail: one line on stderr naming the target, the operation index
 * and name, and what differed, then abort(), which both libFuzzer (as a crash, saving the
 * input) and the replay driver (as a dead test program) report.
 */
#ifndef GORT_FUZZ_H
#define GORT_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gort.h"

/* The libFuzzer entry point every target defines (replay.c calls it too). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every target stops after this many operations, whatever the input's length. */
#define FUZZ_MAX_OPS 4096

/* ---- reading the input -------------------------------------------------------------- */

/* The input as a stream of bytes; reads past the end yield 0, so every input is valid. */
typedef struct fuzz_input {
    const uint8_t *data;
    size_t size, pos;
} fuzz_input;

static inline bool fuzz_more(const fuzz_input *in)
{
    return in->pos < in->size;
}

static inline uint8_t fuzz_u8(fuzz_input *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline uint16_t fuzz_u16(fuzz_input *in)
{
    uint16_t low = fuzz_u8(in);
    return (uint16_t)(low | (uint16_t)fuzz_u8(in) << 8);
}

/* ---- failing ------------------------------------------------------------------------ */

/* Where a run is, for the failure message. */
typedef struct fuzz_ctx {
    const char *target;  /* "fuzz_map" */
    size_t op;           /* index of the operation being checked */
    const char *op_name; /* its name */
} fuzz_ctx;

__attribute__((noreturn, format(printf, 2, 3))) static inline void
fuzz_fail(const fuzz_ctx *ctx, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "%s: op %zu (%s): ", ctx->target, ctx->op, ctx->op_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* FUZZ_EXPECT(ctx, cond, "format", args...): fails with the message unless cond holds. */
#define FUZZ_EXPECT(ctx, cond, ...)                                                            \
    do {                                                                                       \
        if (!(cond))                                                                           \
            fuzz_fail((ctx), __VA_ARGS__);                                                     \
    } while (0)

/* A status the model predicted, reported by name on mismatch. */
static inline void fuzz_expect_status(const fuzz_ctx *ctx, int got, int want, const char *what)
{
    if (got != want)
        fuzz_fail(ctx, "%s returned %d (%s), model expects %d (%s)", what, got,
                  gort_strerror(got), want, gort_strerror(want));
}

/* ---- values --------------------------------------------------------------------------- */

/* splitmix64's finaliser: values derived from the input and the operation index. */
static inline uint64_t fuzz_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A non-zero value for byte b of operation op (b == 0 gives 0, the zero value). */
static inline uint64_t fuzz_value(size_t op, unsigned sub, uint8_t b)
{
    if (b == 0)
        return 0;
    uint64_t v = fuzz_mix64((uint64_t)op << 24 ^ (uint64_t)sub << 8 ^ b);
    return v ? v : 1;
}

/*
 * Model values as GORT_KIND_STR contents. 0 is the zero value (length 0); any other value
 * gives 8..47 bytes (one value in seven: 0..7) that start with the value's own bytes, NULs
 * included, so values that differ give strings that differ (short ones in their prefix).
 */
#define FUZZ_STR_MAX 48

static inline size_t fuzz_str_encode(uint64_t v, char *buf)
{
    if (v == 0)
        return 0;
    uint64_t h = fuzz_mix64(v);
    size_t len = h % 7 == 0 ? (size_t)(h >> 8) % 8 : 8 + (size_t)(h >> 8) % 40;
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(i < 8 ? v >> (8 * i) : h >> (8 * (i % 8)));
    return len;
}

/* Whether a gort_str holds the encoding of v. */
static inline bool fuzz_str_is(const gort_str *s, uint64_t v)
{
    char want[FUZZ_STR_MAX];
    size_t len = fuzz_str_encode(v, want);
    return s->len == len && (len == 0 || memcmp(s->ptr, want, len) == 0);
}

/* Fills a caller buffer with junk after the library has been given it, so the library
 * must have kept copies, not pointers. */
static inline void fuzz_scrub(void *buf, size_t size)
{
    memset(buf, 0xA5, size);
}

/* ---- leak accounting ------------------------------------------------------------------ */

/* A run's private heap (its containers) and the default heap's block count at the start
 * (string bytes live there). */
typedef struct fuzz_heaps {
    gort_heap *heap;
    uint64_t default_blocks;
} fuzz_heaps;

static inline gort_heap_stats fuzz_heap_stats(gort_heap *heap)
{
    gort_heap_stats stats = {.struct_size = sizeof stats};
    if (gort_heap_stats_get(heap, &stats) != GORT_OK)
        abort();
    return stats;
}

static inline void fuzz_heaps_open(fuzz_heaps *heaps, const fuzz_ctx *ctx)
{
    heaps->default_blocks = fuzz_heap_stats(NULL).live_blocks;
    int status = gort_heap_create(&heaps->heap);
    if (status != GORT_OK)
        fuzz_fail(ctx, "gort_heap_create: %s", gort_strerror(status));
}

/* After everything is released: nothing left in the private heap, which destroys
 * cleanly, and the default heap back to its starting block count. */
static inline void fuzz_heaps_close(fuzz_heaps *heaps, const fuzz_ctx *ctx)
{
    gort_heap_stats stats = fuzz_heap_stats(heaps->heap);
    FUZZ_EXPECT(ctx, stats.live_blocks == 0 && stats.live_objects == 0,
                "private heap leaks %llu blocks, %llu objects",
                (unsigned long long)stats.live_blocks, (unsigned long long)stats.live_objects);
    fuzz_expect_status(ctx, gort_heap_destroy(heaps->heap, 0), GORT_OK, "gort_heap_destroy");
    uint64_t now = fuzz_heap_stats(NULL).live_blocks;
    FUZZ_EXPECT(ctx, now == heaps->default_blocks,
                "default heap holds %llu blocks, %llu at the start (string bytes leaked?)",
                (unsigned long long)now, (unsigned long long)heaps->default_blocks);
}

/* GORT_FUZZ_VERBOSE in the environment: 1, each run prints a summary line to stderr; 2,
 * also every operation's index and name as it starts (for reading a failure). */
static inline int fuzz_verbose(void)
{
    const char *v = getenv("GORT_FUZZ_VERBOSE");
    return v ? atoi(v) : 0;
}

static inline void fuzz_trace(const fuzz_ctx *ctx, int verbose)
{
    if (verbose >= 2)
        fprintf(stderr, "%s: op %zu: %s\n", ctx->target, ctx->op, ctx->op_name);
}

#endif /* GORT_FUZZ_H */
