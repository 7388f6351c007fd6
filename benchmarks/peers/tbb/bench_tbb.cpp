/*
 * TBB peer of the channel rows: tbb::concurrent_bounded_queue<uint64_t> (Debian's
 * libtbb-dev, oneTBB), with its default allocator, built with g++ -O2 -DNDEBUG
 * -std=c++17 and pkg-config tbb. One function per workload, mirroring bench_gort.c; the
 * threads are pthreads started by bench_team_run (bench_chan.h). See run.py for the
 * protocol.
 *
 * Blocking push/pop where the channel blocks, try_push/try_pop for the non-blocking
 * pair. The queue has no close: the end of a stream is one sentinel message per
 * consumer, pushed once the producers are done (the moment the others close their
 * channel). It cannot have capacity 0 (a push would wait forever: there is no
 * rendezvous), so chan_unbuf_pingpong uses two queues of capacity 1. TBB has no select
 * over several queues, so chan_select2 does not apply: run.py reports it as "n/a" with
 * that reason rather than time a polling loop that is not a select.
 */
#include "../../bench_chan.h"

#include <oneapi/tbb/concurrent_queue.h>
#include <oneapi/tbb/version.h>

#define TBB_IMPL "bench_tbb"

using Queue = tbb::concurrent_bounded_queue<uint64_t>;

/* End of stream; never a message (messages are below n). */
static const uint64_t QUEUE_END = UINT64_MAX;

/* Producer `first` of `step`: push first, first + step, ... below n. */
struct QueueProducer {
    Queue *q;
    uint64_t first, step, n;
};

static void queue_produce(void *arg, bench_tally *)
{
    const QueueProducer *p = static_cast<const QueueProducer *>(arg);
    for (uint64_t v = p->first; v < p->n; v += p->step)
        p->q->push(v);
}

/* Consumer: pop until the end-of-stream sentinel. */
struct QueueConsumer {
    Queue *q;
    uint64_t mask;
};

static void queue_consume(void *arg, bench_tally *tally)
{
    const QueueConsumer *k = static_cast<const QueueConsumer *>(arg);
    for (;;) {
        uint64_t v;
        k->q->pop(v);
        if (v == QUEUE_END)
            break;
        bench_tally_add(tally, v, k->mask);
    }
}

/* The "close": one sentinel per consumer, pushed after the producers are done. */
struct QueueCloser {
    Queue *q;
    size_t consumers;
};

static void queue_close(void *arg)
{
    const QueueCloser *c = static_cast<const QueueCloser *>(arg);
    for (size_t i = 0; i < c->consumers; i++)
        c->q->push(QUEUE_END);
}

/* np producers and nc consumers on one queue of capacity BENCH_CHAN_CAP. */
static int queue_team_row(uint64_t n, size_t np, size_t nc, bench_sample *out)
{
    Queue q;
    q.set_capacity(BENCH_CHAN_CAP);
    QueueProducer producers[BENCH_CHAN_MAX_PRODUCERS];
    QueueConsumer consumers[BENCH_CHAN_MAX_PRODUCERS];
    bench_worker pw[BENCH_CHAN_MAX_PRODUCERS], cw[BENCH_CHAN_MAX_PRODUCERS];
    QueueCloser closer = {&q, nc};
    for (size_t i = 0; i < np; i++) {
        producers[i] = QueueProducer{&q, i, np, n};
        pw[i] = bench_worker{queue_produce, &producers[i]};
    }
    for (size_t i = 0; i < nc; i++) {
        consumers[i] = QueueConsumer{&q, np - 1};
        cw[i] = bench_worker{queue_consume, &consumers[i]};
    }
    return bench_team_run(TBB_IMPL, pw, np, cw, nc, queue_close, &closer, n, out);
}

static int chan_spsc(uint64_t n, bench_sample *out)
{
    return queue_team_row(n, 1, 1, out);
}

static int chan_mpmc(uint64_t n, bench_sample *out)
{
    return queue_team_row(n, 4, 4, out);
}

/* chan_unbuf_pingpong with two queues of capacity 1: the pinger pushes i on ping and
 * pops it back from pong; the ponger echoes n values. */
struct QueuePingPong {
    Queue ping, pong;
    uint64_t n = 0;
};

static void queue_pinger(void *arg, bench_tally *tally)
{
    QueuePingPong *pp = static_cast<QueuePingPong *>(arg);
    for (uint64_t i = 0; i < pp->n; i++) {
        uint64_t v;
        pp->ping.push(i);
        pp->pong.pop(v);
        if (v != i)
            bench_chan_die(TBB_IMPL, "ping-pong: wrong value back");
        bench_tally_add(tally, v, 0);
    }
}

static void queue_ponger(void *arg, bench_tally *)
{
    QueuePingPong *pp = static_cast<QueuePingPong *>(arg);
    for (uint64_t i = 0; i < pp->n; i++) {
        uint64_t v;
        pp->ping.pop(v);
        pp->pong.push(v);
    }
}

static int chan_pingpong(uint64_t n, bench_sample *out)
{
    QueuePingPong pp;
    pp.ping.set_capacity(1); /* capacity 0 is not possible: no rendezvous */
    pp.pong.set_capacity(1);
    pp.n = n;
    bench_worker pinger = {queue_pinger, &pp}, ponger = {queue_ponger, &pp};
    return bench_team_run(TBB_IMPL, &pinger, 1, &ponger, 1, nullptr, nullptr, n, out);
}

/* chan_uncontended_pair: one thread, capacity 1024, n x (try_push i; try_pop), each of
 * which must succeed and give i back. */
static int chan_uncontended_pair(uint64_t n, bench_sample *out)
{
    Queue q;
    q.set_capacity(BENCH_CHAN_CAP);
    bench_tally tally = bench_tally();
    uint64_t i;

    uint64_t t0 = bench_now_ns();
    for (i = 0; i < n; i++) {
        uint64_t v;
        if (!q.try_push(i) || !q.try_pop(v) || v != i)
            break;
        bench_tally_add(&tally, v, 0);
    }
    uint64_t t1 = bench_now_ns();

    if (i != n) {
        fprintf(stderr, TBB_IMPL ": try_push/try_pop failed at message %" PRIu64 "\n", i);
        return 1;
    }
    out->value = bench_ns_per_op(t0, t1, n);
    return bench_tally_check(TBB_IMPL, &tally, 1, n, out);
}

static void print_info(void)
{
    printf("INFO tbb %s (interface %d)\n", TBB_VERSION_STRING, TBB_INTERFACE_VERSION);
    printf("INFO compiler g++ %s\n", __VERSION__);
}

static const bench_workload workloads[] = {
    {"chan_spsc_buf1024", chan_spsc},
    {"chan_mpmc_4x4_buf1024", chan_mpmc},
    {"chan_unbuf_pingpong", chan_pingpong},
    {"chan_uncontended_pair", chan_uncontended_pair},
    /* chan_select2: concurrent_bounded_queue has no select */
};

int main(int argc, char **argv)
{
    return bench_main(argc, argv, "tbb", workloads, sizeof workloads / sizeof workloads[0],
                      print_info);
}
