/*
 * Scaffolding shared by the C and C++ benchmark programs (bench_gort.c, probes.c,
 * peers/cxx, peers/glib): the monotonic clock, splitmix64, the checksum, and
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
