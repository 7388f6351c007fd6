/*
 * C++ peer: std::vector (libstdc++), built with g++ -O2 -DNDEBUG -std=c++17.
 * One function per workload, mirroring bench_gort.c; see run.py for the protocol.
 */
#include "../../bench_common.h"

#include <vector>

/* slice_append_int_10m: v.push_back(int64(i)) for i in [0, n), from an empty vector. */
static int slice_append_int(uint64_t n, bench_sample *out)
{
    std::vector<int64_t> v;
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++)
        v.push_back((int64_t)i);
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = bench_checksum_words(reinterpret_cast<const uint64_t *>(v.data()), v.size(),
                                         v.size());
    return 0;
}

struct struct64 {
    uint64_t f[8];
};
static_assert(sizeof(struct64) == 64, "struct64 is 64 bytes");

/* slice_append_struct64_1m: v.push_back(struct64{i, ..., i+7}) for i in [0, n). */
static int slice_append_struct64(uint64_t n, bench_sample *out)
{
    std::vector<struct64> v;
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        struct64 e;
        for (uint64_t k = 0; k < 8; k++)
            e.f[k] = i + k;
        v.push_back(e);
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = bench_checksum_words(reinterpret_cast<const uint64_t *>(v.data()),
                                         v.size() * 8, v.size());
    return 0;
}

static void print_info(void)
{
    printf("INFO compiler g++ %s\n", __VERSION__);
#ifdef __GLIBCXX__
    printf("INFO libstdc++ %d\n", (int)__GLIBCXX__);
#endif
}

static const bench_workload workloads[] = {
    {"slice_append_int_10m", slice_append_int},
    {"slice_append_struct64_1m", slice_append_struct64},
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "cxx", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
