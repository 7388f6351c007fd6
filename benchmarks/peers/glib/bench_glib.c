/*
 * GLib peer: GArray (g_array_new(FALSE, FALSE, size) + g_array_append_val) and
 * GHashTable, built with gcc -O2 -DNDEBUG and pkg-config glib-2.0. One function per
 * workload, mirroring bench_gort.c; see run.py for the protocol. GArray grows to the next
 * power of two.
 *
 * GHashTable stores pointers. The uint64 tables use g_int64_hash/g_int64_equal, whose
 * keys are pointers to the 64-bit keys: the keys themselves stay in the caller's array
 * (bench_map_input's, which outlives every table), so the table neither copies nor owns
 * them. Values are stored in the value pointer (GSIZE_TO_POINTER(i)), and since value 0
 * is NULL, lookups use g_hash_table_lookup_extended to learn whether a key is present.
 * There is no presize API. The string table uses g_str_hash/g_str_equal and, like
 * libgort, owns a copy of each key (g_strdup in, g_free on removal).
 *
 * The channel rows use GAsyncQueue (g_async_queue_push/pop/try_pop), on pthreads started
 * by bench_team_run (bench_chan.h). A GAsyncQueue is unbounded (push never blocks, so the
 * capacities of WORKLOADS.md do not apply), has no rendezvous mode, no close and no
 * select: the ping-pong row uses two queues, the end of a stream is one sentinel message
 * per consumer, and chan_select2 does not apply (run.py prints "n/a: no select over
 * several queues" rather than time a polling loop that is not a select). A queue holds
 * pointers and refuses NULL, so message v travels as GSIZE_TO_POINTER(v + 1).
 */
#define _POSIX_C_SOURCE 200809L

#include "../../bench_chan.h"

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

/* ---- Map rows: keys[i] -> i on the inputs of bench_common.h ---- */

static GHashTable *u64_table_new(void)
{
    return g_hash_table_new(g_int64_hash, g_int64_equal);
}

/* t[keys[i]] = i for i in [0, n); the table points at keys[i]. */
static void u64_table_fill(GHashTable *t, const uint64_t *keys, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        g_hash_table_insert(t, (gpointer)&keys[i], GSIZE_TO_POINTER((gsize)i));
}

static GHashTable *u64_table_filled(const uint64_t *keys, uint64_t n)
{
    GHashTable *t = u64_table_new();
    u64_table_fill(t, keys, n);
    return t;
}

/* Untimed read-back of the u64 insert and memory rows: len + sum of (key + value). */
static uint64_t u64_table_checksum(GHashTable *t)
{
    GHashTableIter it;
    gpointer key, value;
    uint64_t sum = g_hash_table_size(t);
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &key, &value))
        sum += *(const uint64_t *)key + (uint64_t)GPOINTER_TO_SIZE(value);
    return sum;
}

/* Looks up keys[0..n): adds the number found to *found and their values to *sum. */
static void u64_table_lookup_all(GHashTable *t, const uint64_t *keys, uint64_t n,
                                 uint64_t *found, uint64_t *sum)
{
    uint64_t hits = 0, total = 0;
    for (uint64_t j = 0; j < n; j++) {
        gpointer value;
        if (g_hash_table_lookup_extended(t, &keys[j], NULL, &value)) {
            hits++;
            total += (uint64_t)GPOINTER_TO_SIZE(value);
        }
    }
    *found += hits;
    *sum += total;
}

/* map_insert_1m, and map_insert_presized_1m too: GHashTable has no size hint. */
static int map_insert(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    GHashTable *t = u64_table_new();
    uint64_t t0 = bench_now_ns();
    u64_table_fill(t, in->keys, n);
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = u64_table_checksum(t);
    g_hash_table_destroy(t);
    return 0;
}

/* map_hit_1m (present) / map_miss_1m: as in bench_gort.c. */
static int map_lookup_row(uint64_t n, int present, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    GHashTable *t = u64_table_filled(in->keys, n);
    uint64_t found = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    u64_table_lookup_all(t, present ? in->shuffled : in->misses, n, &found, &sum);
    uint64_t t1 = bench_now_ns();
    uint64_t readback = 0;
    if (!present)
        u64_table_lookup_all(t, in->keys, n, &readback, &sum);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (present ? found : n - found + readback) + sum;
    g_hash_table_destroy(t);
    return 0;
}

static int map_hit(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, 1, out);
}

static int map_miss(uint64_t n, bench_sample *out)
{
    return map_lookup_row(n, 0, out);
}

/* map_delete_1m: g_hash_table_remove every key in shuffled order; checksum as in
 * bench_gort.c. */
static int map_delete(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    GHashTable *t = u64_table_filled(in->keys, n);
    guint len_before = g_hash_table_size(t);
    uint64_t t0 = bench_now_ns();
    for (uint64_t j = 0; j < n; j++)
        g_hash_table_remove(t, &in->shuffled[j]);
    uint64_t t1 = bench_now_ns();
    uint64_t left = 0, sum = 0;
    u64_table_lookup_all(t, in->keys, n, &left, &sum);
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = (uint64_t)(len_before - g_hash_table_size(t)) + (n - left) + sum;
    g_hash_table_destroy(t);
    return 0;
}

/* map_iter_1m: GHashTableIter over every entry, summing values. */
static int map_iter(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    GHashTable *t = u64_table_filled(in->keys, n);
    GHashTableIter it;
    gpointer value;
    uint64_t count = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        sum += (uint64_t)GPOINTER_TO_SIZE(value);
        count++;
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, count);
    out->checksum = count + sum;
    g_hash_table_destroy(t);
    return 0;
}

/* map_hit_1k: a 1,000-key table; n lookups cycling through its keys in shuffled order. */
static int map_hit_1k(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(BENCH_HIT_1K_KEYS);
    if (!in)
        return 1;
    GHashTable *t = u64_table_filled(in->keys, BENCH_HIT_1K_KEYS);
    uint64_t found = 0, sum = 0;
    size_t next = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t j = 0; j < n; j++) {
        gpointer value;
        if (g_hash_table_lookup_extended(t, &in->shuffled[next], NULL, &value)) {
            found++;
            sum += (uint64_t)GPOINTER_TO_SIZE(value);
        }
        if (++next == BENCH_HIT_1K_KEYS)
            next = 0;
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = found + sum;
    g_hash_table_destroy(t);
    return 0;
}

/* map_small_churn: n x (g_hash_table_new, insert 8, look up 8, g_hash_table_destroy),
 * table i using the 8 keys at (8 i) % 4096 of a 4,096-key pool. */
static int map_small_churn(uint64_t n, bench_sample *out)
{
    const bench_map_input *pool = bench_map_input_get(BENCH_CHURN_POOL);
    if (!pool)
        return 1;
    uint64_t found = 0, sum = 0;
    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t base = (i * BENCH_CHURN_KEYS) % BENCH_CHURN_POOL;
        GHashTable *t = u64_table_new();
        for (uint64_t idx = base; idx < base + BENCH_CHURN_KEYS; idx++)
            g_hash_table_insert(t, (gpointer)&pool->keys[idx], GSIZE_TO_POINTER((gsize)idx));
        u64_table_lookup_all(t, pool->keys + base, BENCH_CHURN_KEYS, &found, &sum);
        g_hash_table_destroy(t);
    }
    uint64_t t1 = bench_now_ns();
    out->value = bench_ns_per_op(t0, t1, n);
    out->checksum = found + sum;
    return 0;
}

/* Untimed read-back of the str insert row: len + sum of (key parsed as hex + value). */
static uint64_t str_table_checksum(GHashTable *t)
{
    GHashTableIter it;
    gpointer key, value;
    uint64_t sum = g_hash_table_size(t);
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &key, &value))
        sum += (strlen((const char *)key) == 16 ? bench_parse_hex16((const char *)key) : 0) +
               (uint64_t)GPOINTER_TO_SIZE(value);
    return sum;
}

/* map_str_insert_1m (lookup 0): insert g_strdup(key i) -> i into an empty table;
 * map_str_lookup_1m (lookup 1): then look every key up in shuffled order. */
static int str_table_row(uint64_t n, int lookup, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    const char *hex = in ? bench_map_input_hex(in) : NULL;
    const char **shuffled = (const char **)malloc((n ? n : 1) * sizeof(char *));
    if (!hex || !shuffled) {
        free(shuffled);
        return 1;
    }
    for (uint64_t j = 0; j < n; j++)
        shuffled[j] = hex + in->perm[j] * BENCH_HEX_STRIDE;
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    uint64_t t0 = bench_now_ns();
    for (uint64_t i = 0; i < n; i++)
        g_hash_table_insert(t, g_strdup(hex + i * BENCH_HEX_STRIDE),
                            GSIZE_TO_POINTER((gsize)i));
    uint64_t t1 = bench_now_ns();
    if (lookup) {
        uint64_t found = 0, sum = 0;
        t0 = bench_now_ns();
        for (uint64_t j = 0; j < n; j++) {
            gpointer value;
            if (g_hash_table_lookup_extended(t, shuffled[j], NULL, &value)) {
                found++;
                sum += (uint64_t)GPOINTER_TO_SIZE(value);
            }
        }
        t1 = bench_now_ns();
        out->checksum = found + sum;
    } else {
        out->checksum = str_table_checksum(t);
    }
    out->value = bench_ns_per_op(t0, t1, n);
    g_hash_table_destroy(t);
    free(shuffled);
    return 0;
}

static int map_str_insert(uint64_t n, bench_sample *out)
{
    return str_table_row(n, 0, out);
}

static int map_str_lookup(uint64_t n, bench_sample *out)
{
    return str_table_row(n, 1, out);
}

/* map_mem_1m: bytes per entry of a table of n entries: the growth of glibc's in-use
 * bytes (mallinfo2 uordblks + hblkhd) across building it. The 8-byte keys live in the
 * caller's array and are not counted (the table holds pointers to them). */
static int map_mem(uint64_t n, bench_sample *out)
{
    const bench_map_input *in = bench_map_input_get(n);
    if (!in)
        return 1;
    uint64_t before = bench_malloc_in_use();
    GHashTable *t = u64_table_filled(in->keys, n);
    uint64_t bytes = bench_malloc_in_use() - before;
    out->value = n ? (double)bytes / (double)n : 0.0;
    out->checksum = u64_table_checksum(t);
    g_hash_table_destroy(t);
    return 0;
}

/* ---- Channel rows: GAsyncQueue (see the top of this file and bench_chan.h) ---- */

#define GLIB_IMPL "bench_glib"
#define QUEUE_END GSIZE_TO_POINTER(G_MAXSIZE) /* end of stream: one per consumer */

static inline gpointer msg_encode(uint64_t v)
{
    return GSIZE_TO_POINTER((gsize)v + 1);
}

static inline uint64_t msg_decode(gpointer p)
{
    return (uint64_t)GPOINTER_TO_SIZE(p) - 1;
}

/* Producer `first` of `step`: push first, first + step, ... below n. */
typedef struct queue_producer {
    GAsyncQueue *q;
    uint64_t first, step, n;
} queue_producer;

static void queue_produce(void *arg, bench_tally *tally)
{
    (void)tally;
    const queue_producer *p = (const queue_producer *)arg;
    for (uint64_t v = p->first; v < p->n; v += p->step)
        g_async_queue_push(p->q, msg_encode(v));
}

/* Consumer: pop until the end-of-stream sentinel. */
typedef struct queue_consumer {
    GAsyncQueue *q;
    uint64_t mask;
} queue_consumer;

static void queue_consume(void *arg, bench_tally *tally)
{
    const queue_consumer *k = (const queue_consumer *)arg;
    for (;;) {
        gpointer p = g_async_queue_pop(k->q);
        if (p == QUEUE_END)
            break;
        bench_tally_add(tally, msg_decode(p), k->mask);
    }
}

/* The "close": one sentinel per consumer, pushed after the producers are done. */
typedef struct queue_closer {
    GAsyncQueue *q;
    size_t consumers;
} queue_closer;

static void queue_close(void *arg)
{
    const queue_closer *c = (const queue_closer *)arg;
    for (size_t i = 0; i < c->consumers; i++)
        g_async_queue_push(c->q, QUEUE_END);
}

/* np producers and nc consumers on one (unbounded) queue. */
static int queue_team_row(uint64_t n, size_t np, size_t nc, bench_sample *out)
{
    GAsyncQueue *q = g_async_queue_new();
    queue_producer producers[BENCH_CHAN_MAX_PRODUCERS];
    queue_consumer consumers[BENCH_CHAN_MAX_PRODUCERS];
    bench_worker pw[BENCH_CHAN_MAX_PRODUCERS], cw[BENCH_CHAN_MAX_PRODUCERS];
    queue_closer closer = {q, nc};
    for (size_t i = 0; i < np; i++) {
        producers[i] = (queue_producer){q, i, np, n};
        pw[i] = (bench_worker){queue_produce, &producers[i]};
    }
    for (size_t i = 0; i < nc; i++) {
        consumers[i] = (queue_consumer){q, np - 1};
        cw[i] = (bench_worker){queue_consume, &consumers[i]};
    }
    int status = bench_team_run(GLIB_IMPL, pw, np, cw, nc, queue_close, &closer, n, out);
    g_async_queue_unref(q);
    return status;
}

static int chan_spsc(uint64_t n, bench_sample *out)
{
    return queue_team_row(n, 1, 1, out);
}

static int chan_mpmc(uint64_t n, bench_sample *out)
{
    return queue_team_row(n, 4, 4, out);
}

/* chan_unbuf_pingpong with two queues: the pinger pushes i on ping and pops it back from
 * pong; the ponger echoes n values. (No rendezvous: a push returns at once.) */
typedef struct queue_pingpong {
    GAsyncQueue *ping, *pong;
    uint64_t n;
} queue_pingpong;

static void queue_pinger(void *arg, bench_tally *tally)
{
    const queue_pingpong *pp = (const queue_pingpong *)arg;
    for (uint64_t i = 0; i < pp->n; i++) {
        g_async_queue_push(pp->ping, msg_encode(i));
        uint64_t v = msg_decode(g_async_queue_pop(pp->pong));
        if (v != i)
            bench_chan_die(GLIB_IMPL, "ping-pong: wrong value back");
        bench_tally_add(tally, v, 0);
    }
}

static void queue_ponger(void *arg, bench_tally *tally)
{
    const queue_pingpong *pp = (const queue_pingpong *)arg;
    (void)tally;
    for (uint64_t i = 0; i < pp->n; i++)
        g_async_queue_push(pp->pong, g_async_queue_pop(pp->ping));
}

static int chan_pingpong(uint64_t n, bench_sample *out)
{
    queue_pingpong pp = {g_async_queue_new(), g_async_queue_new(), n};
    bench_worker pinger = {queue_pinger, &pp}, ponger = {queue_ponger, &pp};
    int status = bench_team_run(GLIB_IMPL, &pinger, 1, &ponger, 1, NULL, NULL, n, out);
    g_async_queue_unref(pp.ping);
    g_async_queue_unref(pp.pong);
    return status;
}

/* chan_uncontended_pair: one thread, n x (push i; try_pop), the pop must give i back.
 * (The push cannot fail: the queue is unbounded.) */
static int chan_uncontended_pair(uint64_t n, bench_sample *out)
{
    GAsyncQueue *q = g_async_queue_new();
    bench_tally tally;
    uint64_t i;
    memset(&tally, 0, sizeof tally);

    uint64_t t0 = bench_now_ns();
    for (i = 0; i < n; i++) {
        g_async_queue_push(q, msg_encode(i));
        gpointer p = g_async_queue_try_pop(q);
        if (p == NULL || msg_decode(p) != i)
            break;
        bench_tally_add(&tally, i, 0);
    }
    uint64_t t1 = bench_now_ns();

    g_async_queue_unref(q);
    if (i != n) {
        fprintf(stderr, GLIB_IMPL ": try_pop did not give back %" PRIu64 "\n", i);
        return 1;
    }
    out->value = bench_ns_per_op(t0, t1, n);
    return bench_tally_check(GLIB_IMPL, &tally, 1, n, out);
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
    {"map_insert_1m", map_insert},
    {"map_insert_presized_1m", map_insert}, /* no presize API: same as map_insert_1m */
    {"map_hit_1m", map_hit},
    {"map_miss_1m", map_miss},
    {"map_delete_1m", map_delete},
    {"map_iter_1m", map_iter},
    {"map_hit_1k", map_hit_1k},
    {"map_small_churn", map_small_churn},
    {"map_str_insert_1m", map_str_insert},
    {"map_str_lookup_1m", map_str_lookup},
    {"map_mem_1m", map_mem},
    {"chan_spsc_buf1024", chan_spsc},
    {"chan_mpmc_4x4_buf1024", chan_mpmc},
    {"chan_unbuf_pingpong", chan_pingpong},
    {"chan_uncontended_pair", chan_uncontended_pair},
    /* chan_select2: GAsyncQueue has no select */
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "glib", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
