/*
 * Scaffolding of the channel rows shared by the C and C++ programs that implement them
 * (bench_gort.c, peers/glib, peers/tbb); Rust's chans.rs and Go's chans.go mirror it.
 *
 * Messages are uint64 values. Producer p of P (P = 1, 2 or 4) sends p, p + P, p + 2P, ...
 * below n, in increasing order, so the n messages are exactly 0 .. n-1 and the low bits
 * of a value name its producer. Every receiver keeps a bench_tally: how many messages it
 * got, their wrapping sum, and whether each producer's values reached it in increasing
 * order (a channel is FIFO, so they must). After the run the tallies are merged and
 * checked: count == n, sum == n (n - 1) / 2 (mod 2^64), no disorder; the checksum printed
 * is count + sum, which the driver checks too.
 *
 * bench_team_run runs the producer and consumer threads of one repetition: every thread
 * is created first (untimed) and waits at a gate; the clock starts when all are waiting
 * and the gate opens, and stops once every thread has been joined. Between joining the
 * producers and joining the consumers it calls `close_fn` (the channel's close, or the
 * sentinel messages of a queue that has none), so that is timed as well. Each worker
 * tallies into a bench_tally on its own thread's stack (no cache line shared with another
 * worker, as with Rust's and Go's locals); bench_team_run merges and checks them.
 *
 * A failed channel operation in a worker thread is fatal to the process (bench_chan_die):
 * the other threads could otherwise block forever on a partner that has gone.
 */
#ifndef BENCH_CHAN_H
#define BENCH_CHAN_H

#include "bench_common.h"

#include <pthread.h>

#define BENCH_CHAN_MAX_PRODUCERS 4u /* values' low 2 bits name the producer */
#define BENCH_CHAN_CAP 1024         /* chan_spsc_buf1024, chan_mpmc_4x4_buf1024, pairs */
#define BENCH_CHAN_SELECT_CAP 128   /* chan_select2: capacity of each of the 2 channels */

/* What one receiver got. mask = producers - 1 (producers a power of two, <= 4). */
typedef struct bench_tally {
    uint64_t count;
    uint64_t sum;
    uint64_t disorder;                        /* values that arrived out of order */
    uint64_t next[BENCH_CHAN_MAX_PRODUCERS]; /* least value still allowed, per producer */
} bench_tally;

static inline void bench_tally_add(bench_tally *t, uint64_t v, uint64_t mask)
{
    uint64_t p = v & mask & (BENCH_CHAN_MAX_PRODUCERS - 1);
    t->disorder += v < t->next[p];
    t->next[p] = v + 1;
    t->count++;
    t->sum += v;
}

/* Merges `k` tallies and checks them against the n messages 0 .. n-1; sets
 * out->checksum = count + sum. Returns 0, or 1 after saying what is wrong. */
static inline int bench_tally_check(const char *impl, const bench_tally *tallies, size_t k,
                                    uint64_t n, bench_sample *out)
{
    uint64_t count = 0, sum = 0, disorder = 0;
    for (size_t i = 0; i < k; i++) {
        count += tallies[i].count;
        sum += tallies[i].sum;
        disorder += tallies[i].disorder;
    }
    uint64_t want_sum = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    if (count != n || sum != want_sum || disorder != 0) {
        fprintf(stderr,
                "%s: received %" PRIu64 " messages summing to %" PRIu64 " (%" PRIu64
                " out of order); sent %" PRIu64 " summing to %" PRIu64 "\n",
                impl, count, sum, disorder, n, want_sum);
        return 1;
    }
    out->checksum = count + sum;
    return 0;
}

/* Prints "<impl>: <what>" and ends the process with status 1. */
static inline void bench_chan_die(const char *impl, const char *what)
{
    fprintf(stderr, "%s: %s\n", impl, what);
    fflush(stderr);
    exit(1);
}

/* One thread of a team: fn(arg, tally), where `tally` (zeroed, on the thread's own stack)
 * is where a receiving worker counts what it got; a worker that only sends ignores it.
 * A worker that fails calls bench_chan_die. */
typedef struct bench_worker {
    void (*fn)(void *arg, bench_tally *tally);
    void *arg;
} bench_worker;

/* The start gate: threads check in, then wait until the caller opens it. */
typedef struct bench_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t waiting;
    int open;
} bench_gate;

typedef struct bench_team_thread {
    pthread_t thread;
    bench_gate *gate;
    bench_worker worker;
    bench_tally *result; /* where the worker's tally goes once it is done */
} bench_team_thread;

static inline void *bench_team_thread_main(void *p)
{
    bench_team_thread *t = (bench_team_thread *)p;
    bench_tally tally;
    memset(&tally, 0, sizeof tally);
    pthread_mutex_lock(&t->gate->lock);
    t->gate->waiting++;
    pthread_cond_broadcast(&t->gate->cond);
    while (!t->gate->open)
        pthread_cond_wait(&t->gate->cond, &t->gate->lock);
    pthread_mutex_unlock(&t->gate->lock);
    t->worker.fn(t->worker.arg, &tally);
    *t->result = tally;
    return NULL;
}

/*
 * Runs producers[0..np) and consumers[0..nc), one thread each, started together; calls
 * close_fn(close_arg) (if not NULL) once the producers are joined. Then merges every
 * thread's tally and checks it against the n messages (bench_tally_check), and sets
 * out->value to the elapsed time from opening the gate to joining the last consumer,
 * per message. Returns 0, or 1 after saying what is wrong.
 */
static inline int bench_team_run(const char *impl, const bench_worker *producers, size_t np,
                                 const bench_worker *consumers, size_t nc,
                                 void (*close_fn)(void *), void *close_arg, uint64_t n,
                                 bench_sample *out)
{
    size_t total = np + nc;
    bench_gate gate;
    bench_team_thread *threads =
        (bench_team_thread *)calloc(total ? total : 1, sizeof(bench_team_thread));
    bench_tally *tallies = (bench_tally *)calloc(total ? total : 1, sizeof(bench_tally));
    if (!threads || !tallies)
        bench_chan_die(impl, "out of memory");
    pthread_mutex_init(&gate.lock, NULL);
    pthread_cond_init(&gate.cond, NULL);
    gate.waiting = 0;
    gate.open = 0;
    for (size_t i = 0; i < total; i++) {
        threads[i].gate = &gate;
        threads[i].result = &tallies[i];
        threads[i].worker = i < np ? producers[i] : consumers[i - np];
        if (pthread_create(&threads[i].thread, NULL, bench_team_thread_main, &threads[i]) != 0)
            bench_chan_die(impl, "pthread_create failed");
    }

    pthread_mutex_lock(&gate.lock);
    while (gate.waiting < total)
        pthread_cond_wait(&gate.cond, &gate.lock);
    uint64_t t0 = bench_now_ns();
    gate.open = 1;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);

    for (size_t i = 0; i < np; i++)
        pthread_join(threads[i].thread, NULL);
    if (close_fn)
        close_fn(close_arg);
    for (size_t i = np; i < total; i++)
        pthread_join(threads[i].thread, NULL);
    uint64_t t1 = bench_now_ns();

    pthread_cond_destroy(&gate.cond);
    pthread_mutex_destroy(&gate.lock);
    free(threads);
    out->value = bench_ns_per_op(t0, t1, n);
    int status = bench_tally_check(impl, tallies, total, n, out);
    free(tallies);
    return status;
}

#endif /* BENCH_CHAN_H */
