/*
 * GLib peer: GArray (g_array_new(FALSE, FALSE, size) + g_array_append_val), built with
 * gcc -O2 -DNDEBUG and pkg-config glib-2.0. One function per workload, mirroring
 * bench_gort.c; see run.py for the protocol. GArray grows to the next power of two.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../bench_common.h"

#include <glib.h>

/* slice_append_int_10m: g_array_append_val(a, int64(i)) for i in [0, n). */
static int slice_append_int(uint64_t n, bench_sample *out)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int64_t));
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        int64_t v = (int64_t)i;
        g_array_append_val(a, v);
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = bench_checksum_words((const uint64_t *)(void *)a->data, a->len, a->len);
    g_array_free(a, TRUE);
    return 0;
}

typedef struct struct64 {
    uint64_t f[8];
} struct64;

/* slice_append_struct64_1m: g_array_append_val(a, struct64{i, ..., i+7}) for i in [0, n). */
static int slice_append_struct64(uint64_t n, bench_sample *out)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct64));
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        struct64 v;
        for (uint64_t k = 0; k < 8; k++)
            v.f[k] = i + k;
        g_array_append_val(a, v);
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = bench_checksum_words((const uint64_t *)(void *)a->data, (size_t)a->len * 8,
                                         a->len);
    g_array_free(a, TRUE);
    return 0;
}

static void print_info(void)
{
    printf("INFO glib %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
#ifdef __VERSION__
    printf("INFO compiler gcc %s\n", __VERSION__);
#endif
}

static const bench_workload workloads[] = {
    {"slice_append_int_10m", slice_append_int},
    {"slice_append_struct64_1m", slice_append_struct64},
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "glib", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
