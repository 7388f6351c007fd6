/*
 * Scaffolding shared by the C and C++ benchmark programs (bench_gort.c, probes.c,
 * peers/cxx, peers/glib): the monotonic clock, splitmix64, the checksum, the map rows'
 * inputs (keys, misses, shuffled order, hex strings), glibc's in-use byte count, and
 * bench_main(), which implements the program side of the driver protocol documented at
 * the top of run.py:
 *
 *   prog info                    INFO lines, then "WORKLOADS <name>..."
 *   prog <workload> <n> <reps>   "RESULT <workload> <impl> <v1,...,vreps> <checksum>"
 *
 * A program is a table of bench_workload entries, one function per workload; each call
 * of a function is one repetition that times only its measured loop. Header-only so
 * that meson's `executable('bench_gort', 'bench_gort.c', ...)` needs no extra sources;
 * plain C99 that also compiles as C++17.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One repetition: `value` in the row's unit (ns per operation for timed rows) and a
 * checksum of what was read back after the measured loop. */
typedef struct bench_sample {
    double value;
    uint64_t checksum;
} bench_sample;

/* Runs one repetition on input size n. Returns 0, or non-zero after printing the reason
 * on stderr. */
typedef int (*bench_run_fn)(uint64_t n, bench_sample *out);

typedef struct bench_workload {
    const char *name;
    bench_run_fn run;
} bench_workload;

/* Nanoseconds on CLOCK_MONOTONIC (the clock Rust's Instant, Go's monotonic reading and
 * libstdc++'s steady_clock use too). */
static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline double bench_ns_per_op(uint64_t t0, uint64_t t1, uint64_t ops)
{
    return ops ? (double)(t1 - t0) / (double)ops : 0.0;
}

/* splitmix64: the input generator every implementation uses (WORKLOADS.md). */
static inline uint64_t bench_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The slice rows' checksum: len plus the wrapping sum of every 64-bit word read back. */
static inline uint64_t bench_checksum_words(const uint64_t *words, size_t n_words, uint64_t len)
{
    uint64_t sum = len;
    for (size_t i = 0; i < n_words; i++)
        sum += words[i];
    return sum;
}

/*
 * The map rows' inputs (WORKLOADS.md), identical in every implementation (Rust and Go
 * mirror this code exactly):
 *   keys[i]      the i-th output of splitmix64 seeded with 42, i in [0, n); the value
 *                stored for keys[i] is i. splitmix64 is a bijection of its counter, so
 *                the outputs are distinct.
 *   misses[i]    outputs n .. 2n-1 of the same generator: distinct from every key.
 *   perm         Fisher-Yates over the identity permutation of [0, n), i from n-1 down
 *                to 1, swapping i with splitmix64(seed 7) % (i + 1);
 *   shuffled[j]  keys[perm[j]], the "shuffled order" the lookup rows use.
 *   hex          key i as 16 lowercase hex digits (zero-padded) + NUL, at hex + 17 i.
 */
#define BENCH_KEY_SEED 42u
#define BENCH_SHUFFLE_SEED 7u
#define BENCH_HEX_STRIDE 17u    /* 16 hex digits and a NUL */
#define BENCH_HIT_1K_KEYS 1000u /* map_hit_1k: map size; n is the number of lookups */
#define BENCH_CHURN_POOL 4096u  /* map_small_churn: map m uses keys[(8 m) % 4096 ...+8) */
#define BENCH_CHURN_KEYS 8u

typedef struct bench_map_input {
    uint64_t n;
    uint64_t *keys;
    uint64_t *misses;
    size_t *perm;
    uint64_t *shuffled;
    char *hex; /* made on first use by bench_map_input_hex */
} bench_map_input;

static inline void bench_map_input_free(bench_map_input *in)
{
    if (in) {
        free(in->keys);
        free(in->misses);
        free(in->perm);
        free(in->shuffled);
        free(in->hex);
        free(in);
    }
}

static inline bench_map_input *bench_map_input_make(uint64_t n)
{
    bench_map_input *in = (bench_map_input *)calloc(1, sizeof *in);
    size_t count = n ? (size_t)n : 1;
    if (!in)
        return NULL;
    in->n = n;
    in->keys = (uint64_t *)malloc(count * sizeof(uint64_t));
    in->misses = (uint64_t *)malloc(count * sizeof(uint64_t));
    in->perm = (size_t *)malloc(count * sizeof(size_t));
    in->shuffled = (uint64_t *)malloc(count * sizeof(uint64_t));
    if (!in->keys || !in->misses || !in->perm || !in->shuffled) {
        bench_map_input_free(in);
        return NULL;
    }
    uint64_t state = BENCH_KEY_SEED;
    for (uint64_t i = 0; i < n; i++)
        in->keys[i] = bench_splitmix64(&state);
    for (uint64_t i = 0; i < n; i++)
        in->misses[i] = bench_splitmix64(&state);
    for (uint64_t i = 0; i < n; i++)
        in->perm[i] = (size_t)i;
    state = BENCH_SHUFFLE_SEED;
    for (uint64_t i = n ? n - 1 : 0; i > 0; i--) {
        size_t j = (size_t)(bench_splitmix64(&state) % (i + 1));
        size_t tmp = in->perm[i];
        in->perm[i] = in->perm[j];
        in->perm[j] = tmp;
    }
    for (uint64_t j = 0; j < n; j++)
        in->shuffled[j] = in->keys[in->perm[j]];
    return in;
}

/* The inputs for n keys, generated once per process and kept (a program runs one
 * workload, so one n, per process). NULL when out of memory. */
static inline const bench_map_input *bench_map_input_get(uint64_t n)
{
    static bench_map_input *cached;
    if (!cached || cached->n != n) {
        bench_map_input_free(cached);
        cached = bench_map_input_make(n);
        if (!cached)
            fprintf(stderr, "bench: out of memory generating %" PRIu64 " map keys\n", n);
    }
    return cached;
}

/* Writes v as 16 lowercase hex digits (no NUL). */
static inline void bench_hex16(uint64_t v, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
}

/* Parses 16 hex digits (lowercase; no NUL needed): the str rows' read-back. */
static inline uint64_t bench_parse_hex16(const char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 16; i++)
        v = (v << 4) | (uint64_t)(p[i] <= '9' ? p[i] - '0' : p[i] - 'a' + 10);
    return v;
}

/* in->hex, made on first use; NULL when out of memory. */
static inline const char *bench_map_input_hex(const bench_map_input *in_const)
{
    bench_map_input *in = (bench_map_input *)in_const; /* the cache owns it */
    if (!in->hex) {
        in->hex = (char *)malloc((in->n ? (size_t)in->n : 1) * BENCH_HEX_STRIDE);
        if (!in->hex) {
            fprintf(stderr, "bench: out of memory formatting map keys\n");
            return NULL;
        }
        for (uint64_t i = 0; i < in->n; i++) {
            bench_hex16(in->keys[i], in->hex + i * BENCH_HEX_STRIDE);
            in->hex[i * BENCH_HEX_STRIDE + 16] = '\0';
        }
    }
    return in->hex;
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define BENCH_HAVE_MALLINFO2 1

/* Bytes glibc malloc reports in use, over all arenas: mallinfo2's uordblks (chunks in
 * use, their headers included) plus hblkhd (chunks served by mmap). The memory row of
 * the peers that use malloc (C++, GLib) reads it before and after building the map. */
static inline uint64_t bench_malloc_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}
#endif

static inline int bench_parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0')
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static inline const bench_workload *bench_find(const bench_workload *table, size_t n_table,
                                               const char *name)
{
    for (size_t i = 0; i < n_table; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static inline void bench_print_info(const char *impl, const bench_workload *table,
                                    size_t n_table, void (*print_info)(void))
{
    printf("INFO impl %s\n", impl);
    if (print_info)
        print_info();
    printf("WORKLOADS");
    for (size_t i = 0; i < n_table; i++)
        printf(" %s", table[i].name);
    printf("\n");
}

/* Runs `reps` repetitions and prints the RESULT line; the checksum must not vary. */
static inline int bench_run_reps(const char *impl, const bench_workload *w, uint64_t n,
                                 uint64_t reps)
{
    double *values = (double *)calloc((size_t)reps, sizeof(double));
    uint64_t checksum = 0;
    if (!values) {
        fprintf(stderr, "%s: out of memory\n", impl);
        return 1;
    }
    for (uint64_t r = 0; r < reps; r++) {
        bench_sample sample = {0.0, 0};
        if (w->run(n, &sample) != 0) {
            fprintf(stderr, "%s: %s failed in repetition %" PRIu64 "\n", impl, w->name, r + 1);
            free(values);
            return 1;
        }
        if (r > 0 && sample.checksum != checksum) {
            fprintf(stderr, "%s: %s: checksum changed between repetitions (%" PRIu64
                            " then %" PRIu64 ")\n", impl, w->name, checksum, sample.checksum);
            free(values);
            return 1;
        }
        values[r] = sample.value;
        checksum = sample.checksum;
    }
    printf("RESULT %s %s ", w->name, impl);
    for (uint64_t r = 0; r < reps; r++)
        printf("%s%.6g", r ? "," : "", values[r]);
    printf(" %" PRIu64 "\n", checksum);
    free(values);
    return fflush(stdout) == 0 ? 0 : 1;
}

static inline int bench_main(int argc, char **argv, const char *impl,
                             const bench_workload *table, size_t n_table,
                             void (*print_info)(void))
{
    uint64_t n = 0, reps = 0;
    if (argc == 2 && strcmp(argv[1], "info") == 0) {
        bench_print_info(impl, table, n_table, print_info);
        return 0;
    }
    if (argc != 4 || bench_parse_u64(argv[2], &n) != 0 || bench_parse_u64(argv[3], &reps) != 0 ||
        reps < 1 || reps > 1000) {
        fprintf(stderr, "usage: %s info | %s <workload> <n> <reps 1..1000>\n", argv[0], argv[0]);
        return 2;
    }
    const bench_workload *w = bench_find(table, n_table, argv[1]);
    if (!w) {
        fprintf(stderr, "%s: unknown workload '%s'\n", impl, argv[1]);
        return 2;
    }
    return bench_run_reps(impl, w, n, reps);
}

#endif /* BENCH_COMMON_H */
