/*
 * libgort's side of the benchmarks (WORKLOADS.md), measured only through the public C
 * API in <gort.h>, the way a user calls it: one function per workload, registered in
 * `workloads` below; the peers in peers/ implement the same workloads the same way.
 * Each function is one repetition: set-up, then the timed loop, then an untimed
 * read-back that yields the checksum, then tear-down.
 */
#define _POSIX_C_SOURCE 200809L

#include "bench_common.h"

#include <gort.h>

static int gort_failed(const char *what, int status)
{
    fprintf(stderr, "bench_gort: %s: %s\n", what, gort_strerror(status));
    return 1;
}

/* Read-back shared by the slice rows: len + sum of every 64-bit word of s[0:len]. */
static uint64_t slice_checksum(const gort_slice *s, size_t words_per_elem)
{
    size_t len = gort_slice_len(s);
    const uint64_t *words = (const uint64_t *)gort_slice_data(s);
    return len ? bench_checksum_words(words, len * words_per_elem, len) : 0;
}

/* slice_append_int_10m: s = append(s, int64(i)) for i in [0, n), from a nil slice. */
static int slice_append_int(uint64_t n, bench_sample *out)
{
    gort_slice *s = NULL;
    int status = gort_slice_nil(gort_type_builtin(GORT_KIND_I64), NULL, &s);
    if (status != GORT_OK)
        return gort_failed("gort_slice_nil", status);

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n && status == GORT_OK; i++) {
        int64_t v = (int64_t)i;
        status = gort_slice_append(s, &v);
    }
    uint64_t t1 = bench_now_ns();

    if (status != GORT_OK) {
        gort_slice_free(s);
        return gort_failed("gort_slice_append", status);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = slice_checksum(s, 1);
    gort_slice_free(s);
    return 0;
}

/* The 64-byte element of slice_append_struct64_1m; element i holds {i, i+1, ..., i+7}. */
typedef struct struct64 {
    uint64_t f[8];
} struct64;

static int struct64_type(gort_type **out)
{
    gort_type_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.struct_size = sizeof(gort_type_desc);
    desc.size = sizeof(struct64);
    desc.align = 8;
    desc.name = "bench.struct64";
    return gort_type_create(&desc, out); /* no hash/equal, no pointer words, no hooks */
}

/* slice_append_struct64_1m: s = append(s, struct64{i, ..., i+7}) for i in [0, n). */
static int slice_append_struct64(uint64_t n, bench_sample *out)
{
    gort_type *type = NULL;
    gort_slice *s = NULL;
    int status = struct64_type(&type);
    if (status != GORT_OK)
        return gort_failed("gort_type_create", status);
    status = gort_slice_nil(type, NULL, &s);
    if (status != GORT_OK) {
        gort_type_release(type);
        return gort_failed("gort_slice_nil", status);
    }

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n && status == GORT_OK; i++) {
        struct64 v;
        for (uint64_t k = 0; k < 8; k++)
            v.f[k] = i + k;
        status = gort_slice_append(s, &v);
    }
    uint64_t t1 = bench_now_ns();

    if (status == GORT_OK) {
        out->value = bench_ns_per_op(t0, t1, n);
        out->checksum = slice_checksum(s, 8);
    }
    gort_slice_free(s);
    gort_type_release(type);
    return status == GORT_OK ? 0 : gort_failed("gort_slice_append", status);
}

static void print_info(void)
{
    printf("INFO version %s\n", gort_version_string());
    printf("INFO allocator %s\n", gort_heap_allocator());
#ifdef __VERSION__
    printf("INFO compiler %s\n", __VERSION__);
#endif
}

static const bench_workload workloads[] = {
    {"slice_append_int_10m", slice_append_int},
    {"slice_append_struct64_1m", slice_append_struct64},
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "libgort", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
