/*
 * C++ peer: std::vector (libstdc++), and for the map rows both absl::flat_hash_map
 * (Debian's libabsl-dev, hashed with absl::Hash) and std::unordered_map (libstdc++,
 * std::hash: the identity for integers, a prime bucket count), built with g++ -O2
 * -DNDEBUG -std=c++17. One function per workload, mirroring bench_gort.c; the map
 * functions are templates instantiated once per container, registered as
 * "<row>.absl" and "<row>.std". See run.py for the protocol.
 */
#include "../../bench_common.h"

#include <absl/container/flat_hash_map.h>
#include <absl/strings/string_view.h>
#include <string>
#include <type_traits>
#include <unordered_map>
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

/* ---- Map rows: keys[i] -> i on the inputs of bench_common.h ---- */

using AbslU64 = absl::flat_hash_map<uint64_t, uint64_t>;
using StdU64 = std::unordered_map<uint64_t, uint64_t>;
using AbslStr = absl::flat_hash_map<std::string, uint64_t>;
using StdStr = std::unordered_map<std::string, uint64_t>;

/* m[keys[i]] = i for i in [0, n) (Go's assignment: insert or overwrite). */
template <class Map, class Key> static void map_fill(Map &m, const Key *keys, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        m.insert_or_assign(keys[i], i);
}

/* Untimed read-back of the u64 insert and memory rows: len + sum of (key + value). */
template <class Map> static uint64_t map_checksum_entries(const Map &m)
{
    uint64_t sum = m.size();
    for (const auto &kv : m)
        sum += kv.first + kv.second;
    return sum;
}

/* map_insert_1m (hint 0) / map_insert_presized_1m (hint n: reserve(n)). */
template <class Map> static int map_insert_hinted(uint64_t n, bool presize, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    Map m;
    if (presize)
        m.reserve(n);
    uint64_t t0 = bench_now_ns();
    map_fill(m, in->keys, n);
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = map_checksum_entries(m);
    return 0;
}

template <class Map> static int map_insert(uint64_t n, bench_sample *out)
{
    return map_insert_hinted<Map>(n, false, out);
}

template <class Map> static int map_insert_presized(uint64_t n, bench_sample *out)
{
    return map_insert_hinted<Map>(n, true, out);
}

/* Looks up keys[0..n): adds the number found to *found and their values to *sum. */
template <class Map, class Key>
static void map_lookup_all(const Map &m, const Key *keys, uint64_t n, uint64_t *found,
                           uint64_t *sum)
{
    uint64_t hits = 0, total = 0;
    for (uint64_t j = 0; j < n; j++) {
        auto it = m.find(keys[j]);
        if (it != m.end()) {
            hits++;
            total += it->second;
        }
    }
    *found += hits;
    *sum += total;
}

/* map_hit_1m (present) / map_miss_1m: as in bench_gort.c. */
template <class Map> static int map_lookup_row(uint64_t n, bool present, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    Map m;
    map_fill(m, in->keys, n);
    uint64_t found = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    map_lookup_all(m, present ? in->shuffled : in->misses, n, &found, &sum);
    uint64_t t1 = bench_now_ns();
    uint64_t readback = 0;
    if (!present)
        map_lookup_all(m, in->keys, n, &readback, &sum);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (present ? found : n - found + readback) + sum;
    return 0;
}

template <class Map> static int map_hit(uint64_t n, bench_sample *out)
{
    return map_lookup_row<Map>(n, true, out);
}

template <class Map> static int map_miss(uint64_t n, bench_sample *out)
{
    return map_lookup_row<Map>(n, false, out);
}

/* map_delete_1m: m.erase(k) for every key in shuffled order; len before - len after +
 * keys not found (and values read) by an untimed read-back. */
template <class Map> static int map_delete(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    Map m;
    map_fill(m, in->keys, n);
    size_t len_before = m.size();
    uint64_t t0 = bench_now_ns();
    for (uint64_t j = 0; j < n; j++)
        m.erase(in->shuffled[j]);
    uint64_t t1 = bench_now_ns();
    uint64_t left = 0, sum = 0;
    map_lookup_all(m, in->keys, n, &left, &sum);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (uint64_t)(len_before - m.size()) + (n - left) + sum;
    return 0;
}

/* map_iter_1m: for (auto &kv : m) sum += kv.second; checksum = entries + sum. */
template <class Map> static int map_iter(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    Map m;
    map_fill(m, in->keys, n);
    uint64_t count = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    for (const auto &kv : m) {
        sum += kv.second;
        count++;
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, count);
    out->checksum = count + sum;
    return 0;
}

/* map_hit_1k: a 1,000-key map; n lookups cycling through its keys in shuffled order. */
template <class Map> static int map_hit_1k(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(BENCH_HIT_1K_KEYS);
    if (!in)
        return 1;
    Map m;
    map_fill(m, in->keys, BENCH_HIT_1K_KEYS);
    uint64_t found = 0, sum = 0;
    size_t next = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t j = 0; j < n; j++) {
        auto it = m.find(in->shuffled[next]);
        if (it != m.end()) {
            found++;
            sum += it->second;
        }
        if (++next == BENCH_HIT_1K_KEYS)
            next = 0;
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = found + sum;
    return 0;
}

/* map_small_churn: n x (a fresh map, insert 8, look up 8, destroy), map i using the 8
 * keys at (8 i) % 4096 of a 4,096-key pool, key pool[idx] -> idx. */
template <class Map> static int map_small_churn(uint64_t n, bench_sample *out)
{
    const bench_map_input *pool = bench_map_input_get(BENCH_CHURN_POOL);
    if (!pool)
        return 1;
    uint64_t found = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t base = (i * BENCH_CHURN_KEYS) % BENCH_CHURN_POOL;
        Map m;
        for (uint64_t idx = base; idx < base + BENCH_CHURN_KEYS; idx++)
            m.insert_or_assign(pool->keys[idx], idx);
        map_lookup_all(m, pool->keys + base, BENCH_CHURN_KEYS, &found, &sum);
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = found + sum;
    return 0;
}

/* The str rows' keys: strs[i] is key i's 16 hex digits (16 bytes: longer than
 * libstdc++'s 15-byte small-string buffer, so every std::string owns a heap block). */
static const std::vector<std::string> *str_keys(const bench_map_input *in)
{
    static std::vector<std::string> strs;
    const char *hex = bench_map_input_hex(in);
    if (!hex)
        return nullptr;
    if (strs.size() != in->n) {
        strs.clear();
        strs.reserve(in->n);
        for (uint64_t i = 0; i < in->n; i++)
            strs.emplace_back(hex + i * BENCH_HEX_STRIDE, 16);
    }
    return &strs;
}

/* Untimed read-back of the str insert row: len + sum of (key parsed as hex + value). */
template <class Map> static uint64_t str_map_checksum(const Map &m)
{
    uint64_t sum = m.size();
    for (const auto &kv : m)
        sum += (kv.first.size() == 16 ? bench_parse_hex16(kv.first.data()) : 0) + kv.second;
    return sum;
}

/* The keys of the str lookup row, in shuffled order. Abseil looks a std::string key up
 * by absl::string_view, with no copy: an array of views, like Rust's &str and libgort's
 * gort_str, so each lookup reads its key's bytes at a random place and nothing else.
 * std::unordered_map has no heterogeneous lookup in C++17: it gets the std::string
 * itself, one more random read (the string object) per lookup than the others. */
template <class Map> struct StrProbes {
    static constexpr bool by_view = std::is_same_v<Map, AbslStr>;
    using Probe = std::conditional_t<by_view, absl::string_view, const std::string *>;
    std::vector<Probe> probes;

    StrProbes(const std::vector<std::string> &strs, const bench_map_input *in, uint64_t n)
        : probes(n)
    {
        for (uint64_t j = 0; j < n; j++) {
            const std::string &key = strs[in->perm[j]];
            if constexpr (by_view)
                probes[j] = key;
            else
                probes[j] = &key;
        }
    }

    auto find(const Map &m, uint64_t j) const
    {
        if constexpr (by_view)
            return m.find(probes[j]);
        else
            return m.find(*probes[j]);
    }
};

/* map_str_insert_1m (lookup false): m[strs[i]] = i into an empty map (the map copies
 * each key); map_str_lookup_1m (lookup true): then find every key in shuffled order. */
template <class Map> static int str_map_row(uint64_t n, bool lookup, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    const std::vector<std::string> *strs = in ? str_keys(in) : nullptr;
    if (!strs)
        return 1;
    const StrProbes<Map> shuffled(*strs, in, n);
    Map m;
    uint64_t t0 = bench_now_ns();
    map_fill(m, strs->data(), n);
    uint64_t t1 = bench_now_ns();
    if (lookup) {
        uint64_t found = 0, sum = 0;
        t0 = bench_now_ns();
        for (uint64_t j = 0; j < n; j++) {
            auto it = shuffled.find(m, j);
            if (it != m.end()) {
                found++;
                sum += it->second;
            }
        }
        t1 = bench_now_ns();
        out->checksum = found + sum;
    } else {
        out->checksum = str_map_checksum(m);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    return 0;
}

template <class Map> static int map_str_insert(uint64_t n, bench_sample *out)
{
    return str_map_row<Map>(n, false, out);
}

template <class Map> static int map_str_lookup(uint64_t n, bench_sample *out)
{
    return str_map_row<Map>(n, true, out);
}

/* map_mem_1m: bytes per entry of a map of n entries inserted with no hint: the growth of
 * glibc's in-use bytes (mallinfo2 uordblks + hblkhd, chunk headers included) across
 * building it. The map object itself is on the stack (not counted; a few dozen bytes). */
template <class Map> static int map_mem(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    uint64_t before = bench_malloc_in_use();
    Map m;
    map_fill(m, in->keys, n);
    uint64_t bytes = bench_malloc_in_use() - before;
    out->value = n ? (double)bytes / (double)n : 0.0;
    out->checksum = map_checksum_entries(m);
    return 0;
}

static void print_info(void)
{
    printf("INFO compiler g++ %s\n", __VERSION__);
#ifdef __GLIBCXX__
    printf("INFO libstdc++ %d\n", (int)__GLIBCXX__);
#endif
    printf("INFO abseil %d\n", (int)ABSL_LTS_RELEASE_VERSION);
}

/* Each map row twice: "<row>.absl" and "<row>.std". */
static const bench_workload workloads[] = {
    {"slice_append_int_10m", slice_append_int},
    {"slice_append_struct64_1m", slice_append_struct64},
    {"map_insert_1m.absl", map_insert<AbslU64>},
    {"map_insert_1m.std", map_insert<StdU64>},
    {"map_insert_presized_1m.absl", map_insert_presized<AbslU64>},
    {"map_insert_presized_1m.std", map_insert_presized<StdU64>},
    {"map_hit_1m.absl", map_hit<AbslU64>},
    {"map_hit_1m.std", map_hit<StdU64>},
    {"map_miss_1m.absl", map_miss<AbslU64>},
    {"map_miss_1m.std", map_miss<StdU64>},
    {"map_delete_1m.absl", map_delete<AbslU64>},
    {"map_delete_1m.std", map_delete<StdU64>},
    {"map_iter_1m.absl", map_iter<AbslU64>},
    {"map_iter_1m.std", map_iter<StdU64>},
    {"map_hit_1k.absl", map_hit_1k<AbslU64>},
    {"map_hit_1k.std", map_hit_1k<StdU64>},
    {"map_small_churn.absl", map_small_churn<AbslU64>},
    {"map_small_churn.std", map_small_churn<StdU64>},
    {"map_str_insert_1m.absl", map_str_insert<AbslStr>},
    {"map_str_insert_1m.std", map_str_insert<StdStr>},
    {"map_str_lookup_1m.absl", map_str_lookup<AbslStr>},
    {"map_str_lookup_1m.std", map_str_lookup<StdStr>},
    {"map_mem_1m.absl", map_mem<AbslU64>},
    {"map_mem_1m.std", map_mem<StdU64>},
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "cxx", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
