/*
 * Channel stress: N producers and M consumers on 1-3 channels (unbuffered, cap 1 and cap
 * 64), where every message is accounted for. Producers send with plain sends, with
 * send_timeout (short timeouts, retrying the same message after ETIMEDOUT) or with a
 * select over every channel; consumers receive with plain receives, with recv_timeout or
 * with a select over every channel (setting a case's channel to NULL once it is closed
 * and drained). Shutdown is by close: either after every producer has finished
 * ("graceful": every message must arrive) or in the middle of the traffic ("abrupt":
 * producers stop at their first ECLOSED).
 *
 * A message is (producer << 40 | sequence number). What is checked, per round:
 *   - every message whose send returned GORT_OK is received exactly once, and no message
 *     whose send failed (ECLOSED, or ETIMEDOUT before a retry) is received at all — a
 *     timed-out send that was in fact delivered would show up twice or without an OK;
 *   - each consumer sees the messages of each single-channel producer in increasing order
 *     (a channel is FIFO; select producers spread over channels and are not ordered);
 *   - counts and sums agree, every channel ends closed and empty, the heap's live blocks
 *     return to where they were.
 * A watchdog aborts with a message if a round makes no progress for 60 s (a lost wakeup).
 *
 * Environment: GORT_TEST_SCALE=x multiplies the message counts (default 1: about 12
 * million messages). Without it, sanitizer builds and runs under Valgrind (LD_PRELOAD
 * naming vgpreload, or GORT_TEST_VALGRIND=1) scale down to stay within 30 s (TSan) and
 * 60 s (Valgrind) on two cores. GORT_TEST_SEED=n fixes the threads' random choices.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SCALE_TSAN 0.3
#define SCALE_ASAN 0.5
#define SCALE_VALGRIND 0.03
#include "chan_fixtures.h"

/* ---- time ------------------------------------------------------------------------------ */

#define US ((int64_t)1000)

static uint64_t base_seed;

/* ---- configuration ------------------------------------------------------------------- */

enum { PLAIN, TIMED, SELECTING, KINDS };
static const char *const kind_names[KINDS] = {"plain", "timed", "select"};

#define MAX_CHANS 3
#define MAX_THREADS 8

typedef struct config {
    const char *name;
    int64_t cap;
    int n_chans;
    int producers[KINDS]; /* how many of each kind */
    int consumers[KINDS];
    long messages; /* per producer, before scaling */
} config;

static const config configs[] = {
    {"unbuffered, 1 channel, plain", 0, 1, {4, 0, 0}, {4, 0, 0}, 100000},
    {"unbuffered, 3 channels, mixed", 0, 3, {2, 1, 1}, {2, 1, 2}, 40000},
    {"cap 1, 2 channels, mixed", 1, 2, {2, 2, 1}, {1, 1, 2}, 60000},
    {"cap 64, 1 channel, plain", 64, 1, {4, 0, 0}, {3, 0, 0}, 400000},
    {"cap 64, 3 channels, mixed", 64, 3, {3, 1, 2}, {3, 1, 1}, 150000},
};

#define ROUNDS 3

/* ---- shared state of a round --------------------------------------------------------- */

typedef struct round_state {
    const config *cfg;
    gort_chan *chans[MAX_CHANS];
    long messages; /* per producer */
    int n_producers;
    unsigned char *seen;       /* n_producers * messages counters (atomic adds) */
    bool ordered[MAX_THREADS]; /* producer uses one channel: FIFO applies */
    long received_total;       /* atomic */
    long progress;             /* atomic: bumped by every completed operation */
} round_state;

typedef struct worker {
    pthread_t thread;
    round_state *round;
    int kind, index; /* index: producer number, or consumer number */
    rng random;
    /* producer results */
    long sent;       /* messages whose send returned OK (a prefix: 0..sent-1) */
    long retries;    /* ETIMEDOUT / EAGAIN before an outcome */
    int stop_status; /* GORT_OK when all were sent, else the status that stopped it */
    /* consumer results */
    long received, out_of_order, bogus, errors;
    uint64_t sum;
} worker;

static uint64_t message_of(int producer, long seq)
{
    return (uint64_t)producer << 40 | (uint64_t)seq;
}

/* ---- producers ----------------------------------------------------------------------- */

static int produce_one(worker *w, uint64_t message)
{
    round_state *r = w->round;
    gort_chan *mine = r->chans[w->index % r->cfg->n_chans];
    for (;;) {
        int status;
        if (w->kind == PLAIN) {
            status = gort_chan_send(mine, &message);
        } else if (w->kind == TIMED) {
            static const int64_t timeouts[] = {0, 1 * US, 20 * US, 200 * US, -1};
            status = gort_chan_send_timeout(mine, &message, timeouts[rng_below(&w->random, 5)]);
        } else {
            gort_select_case cases[MAX_CHANS];
            for (int k = 0; k < r->cfg->n_chans; k++)
                cases[k] = (gort_select_case){r->chans[k], GORT_SELECT_SEND, 0, &message};
            static const int64_t timeouts[] = {0, 50 * US, -1, -1};
            size_t chosen;
            status = gort_select(cases, (size_t)r->cfg->n_chans,
                                 timeouts[rng_below(&w->random, 4)], &chosen, NULL);
        }
        if (status != GORT_ETIMEDOUT && status != GORT_EAGAIN)
            return status;
        w->retries++;
    }
}

static void *producer_main(void *arg)
{
    worker *w = arg;
    w->stop_status = GORT_OK;
    for (long seq = 0; seq < w->round->messages; seq++) {
        int status = produce_one(w, message_of(w->index, seq));
        if (status != GORT_OK) {
            w->stop_status = status;
            break;
        }
        w->sent++;
        __atomic_fetch_add(&w->round->progress, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* ---- consumers ----------------------------------------------------------------------- */

static void record(worker *w, uint64_t message, long *last_seq)
{
    round_state *r = w->round;
    int producer = (int)(message >> 40);
    long seq = (long)(message & (((uint64_t)1 << 40) - 1));
    if (producer >= r->n_producers || seq >= r->messages) {
        w->bogus++;
        return;
    }
    if (r->ordered[producer]) {
        if (seq <= last_seq[producer])
            w->out_of_order++;
        last_seq[producer] = seq;
    }
    __atomic_fetch_add(&r->seen[(size_t)producer * (size_t)r->messages + (size_t)seq], 1,
                       __ATOMIC_RELAXED);
    w->received++;
    w->sum += message;
    __atomic_fetch_add(&r->received_total, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->progress, 1, __ATOMIC_RELAXED);
}

/* Receives from one channel until it is closed and drained. */
static void consume_one_channel(worker *w, long *last_seq)
{
    round_state *r = w->round;
    gort_chan *mine = r->chans[w->index % r->cfg->n_chans];
    for (;;) {
        uint64_t message = 0;
        int ok = -1, status;
        if (w->kind == PLAIN) {
            status = gort_chan_recv(mine, &message, &ok);
        } else {
            static const int64_t timeouts[] = {0, 1 * US, 20 * US, 200 * US, -1};
            status =
                gort_chan_recv_timeout(mine, &message, &ok, timeouts[rng_below(&w->random, 5)]);
        }
        if (status == GORT_ETIMEDOUT || status == GORT_EAGAIN) {
            w->retries++;
            continue;
        }
        if (status != GORT_OK) {
            w->errors++;
            return;
        }
        if (!ok)
            return;
        record(w, message, last_seq);
    }
}

/* Selects over every channel, dropping each from the cases once it is closed and drained. */
static void consume_by_select(worker *w, long *last_seq)
{
    round_state *r = w->round;
    uint64_t message = 0;
    gort_select_case cases[MAX_CHANS];
    int open = r->cfg->n_chans;
    for (int k = 0; k < open; k++)
        cases[k] = (gort_select_case){r->chans[k], GORT_SELECT_RECV, 0, &message};
    while (open > 0) {
        static const int64_t timeouts[] = {0, 30 * US, -1, -1, -1};
        size_t chosen = 99;
        int ok = -1;
        int status = gort_select(cases, (size_t)r->cfg->n_chans,
                                 timeouts[rng_below(&w->random, 5)], &chosen, &ok);
        if (status == GORT_ETIMEDOUT || status == GORT_EAGAIN) {
            w->retries++;
            continue;
        }
        if (status != GORT_OK || chosen >= (size_t)r->cfg->n_chans || !cases[chosen].chan) {
            w->errors++;
            return;
        }
        if (!ok) {
            cases[chosen].chan = NULL;
            open--;
            continue;
        }
        record(w, message, last_seq);
    }
}

static void *consumer_main(void *arg)
{
    worker *w = arg;
    long last_seq[MAX_THREADS];
    for (int p = 0; p < MAX_THREADS; p++)
        last_seq[p] = -1;
    if (w->kind == SELECTING)
        consume_by_select(w, last_seq);
    else
        consume_one_channel(w, last_seq);
    return NULL;
}

/* ---- watchdog ------------------------------------------------------------------------ */

typedef struct watchdog {
    pthread_t thread;
    round_state *round;
    const char *what;
    int stop; /* atomic */
} watchdog;

static void *watchdog_main(void *arg)
{
    watchdog *d = arg;
    long last = -1;
    int64_t last_change = now_ns();
    while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
        sleep_ms(10);
        long progress = __atomic_load_n(&d->round->progress, __ATOMIC_RELAXED);
        if (progress != last) {
            last = progress;
            last_change = now_ns();
        } else if (now_ns() - last_change > 60 * SECONDS) {
            printf("# watchdog: no progress for 60 s in %s (%ld operations done, %ld "
                   "received); channels len %zu/%zu/%zu; aborting\n",
                   d->what, progress,
                   __atomic_load_n(&d->round->received_total, __ATOMIC_RELAXED),
                   gort_chan_len(d->round->chans[0]), gort_chan_len(d->round->chans[1]),
                   gort_chan_len(d->round->chans[2]));
            fflush(stdout);
            abort();
        }
    }
    return NULL;
}

/* ---- one round ----------------------------------------------------------------------- */

static int start_workers(worker *workers, const int *counts, round_state *r, bool producers,
                         uint64_t seed)
{
    int n = 0;
    for (int kind = 0; kind < KINDS; kind++) {
        for (int i = 0; i < counts[kind]; i++, n++) {
            worker *w = &workers[n];
            memset(w, 0, sizeof *w);
            w->round = r;
            w->kind = kind;
            w->index = n;
            w->random.state = mix64(seed + (uint64_t)n * 7919 + (producers ? 0 : 104729));
            if (producers)
                r->ordered[n] = kind != SELECTING;
            CHECK_EQ_INT(
                pthread_create(&w->thread, NULL, producers ? producer_main : consumer_main, w),
                0);
        }
    }
    return n;
}

static void close_all(round_state *r)
{
    for (int k = 0; k < r->cfg->n_chans; k++)
        CHECK_OK(gort_chan_close(r->chans[k]));
}

/* Checks every message of every producer against what it was told. */
static void check_accounting(const round_state *r, const worker *producers,
                             const worker *consumers, int n_consumers, const char *what)
{
    long sent_total = 0, received_total = 0;
    uint64_t sent_sum = 0, received_sum = 0;
    long missing = 0, duplicated = 0, phantom = 0;
    for (int p = 0; p < r->n_producers; p++) {
        const worker *w = &producers[p];
        sent_total += w->sent;
        for (long seq = 0; seq < r->messages; seq++) {
            unsigned char n = r->seen[(size_t)p * (size_t)r->messages + (size_t)seq];
            if (seq < w->sent) {
                sent_sum += message_of(p, seq);
                missing += n == 0;
                duplicated += n > 1;
            } else {
                phantom += n != 0; /* its send failed, yet it arrived */
            }
        }
    }
    long out_of_order = 0, bogus = 0, errors = 0;
    for (int c = 0; c < n_consumers; c++) {
        received_total += consumers[c].received;
        received_sum += consumers[c].sum;
        out_of_order += consumers[c].out_of_order;
        bogus += consumers[c].bogus;
        errors += consumers[c].errors;
    }
    /* every check runs (no short circuit), so a failure reports all that differ */
    bool good = CHECK_EQ_INT(missing, 0);
    good &= CHECK_EQ_INT(duplicated, 0);
    good &= CHECK_EQ_INT(phantom, 0);
    good &= CHECK_EQ_INT(out_of_order, 0);
    good &= CHECK_EQ_INT(bogus, 0);
    good &= CHECK_EQ_INT(errors, 0);
    good &= CHECK_EQ_INT(received_total, sent_total);
    good &= CHECK_EQ_U64(received_sum, sent_sum);
    if (!good)
        printf("#   in %s\n", what);
}

static void run_round(const config *cfg, bool abrupt, int round_number)
{
    uint64_t blocks = live_blocks(NULL);
    round_state r = {.cfg = cfg};
    r.messages = scaled(cfg->messages, 50);
    r.n_producers = cfg->producers[PLAIN] + cfg->producers[TIMED] + cfg->producers[SELECTING];
    int n_consumers = cfg->consumers[PLAIN] + cfg->consumers[TIMED] + cfg->consumers[SELECTING];
    /* every channel must have a consumer that drains it */
    if (!CHECK_TRUE(cfg->consumers[SELECTING] > 0 ||
                    cfg->consumers[PLAIN] + cfg->consumers[TIMED] >= cfg->n_chans))
        return;
    for (int k = 0; k < MAX_CHANS; k++)
        r.chans[k] = NULL;
    for (int k = 0; k < cfg->n_chans; k++)
        CHECK_OK(
            gort_chan_create(gort_type_builtin(GORT_KIND_U64), cfg->cap, NULL, &r.chans[k]));
    r.seen = calloc((size_t)r.n_producers * (size_t)r.messages, 1);

    char what[160];
    snprintf(what, sizeof what,
             "%s, %s shutdown, round %d, %ld messages per producer (GORT_TEST_SEED=%llu)",
             cfg->name, abrupt ? "abrupt" : "graceful", round_number, r.messages,
             (unsigned long long)base_seed);
    watchdog dog = {.round = &r, .what = what};
    CHECK_EQ_INT(pthread_create(&dog.thread, NULL, watchdog_main, &dog), 0);

    uint64_t seed = mix64(base_seed + (uint64_t)round_number * 1000003 + (abrupt ? 17 : 0) +
                          (uint64_t)(cfg - configs) * 65537);
    worker producers[MAX_THREADS], consumers[MAX_THREADS];
    int64_t start = now_ns();
    start_workers(consumers, cfg->consumers, &r, false, seed);
    start_workers(producers, cfg->producers, &r, true, seed);

    if (abrupt) {
        /* close once about a third of the traffic has gone through */
        long target = (long)r.n_producers * r.messages / 3;
        while (__atomic_load_n(&r.received_total, __ATOMIC_RELAXED) < target)
            sleep_ms(1);
        close_all(&r);
    }
    for (int p = 0; p < r.n_producers; p++)
        pthread_join(producers[p].thread, NULL);
    if (!abrupt)
        close_all(&r);
    for (int c = 0; c < n_consumers; c++)
        pthread_join(consumers[c].thread, NULL);
    double seconds = (double)(now_ns() - start) / 1e9;
    __atomic_store_n(&dog.stop, 1, __ATOMIC_RELEASE);
    pthread_join(dog.thread, NULL);

    long stopped_by_close = 0, retries = 0, sent = 0;
    for (int p = 0; p < r.n_producers; p++) {
        int status = producers[p].stop_status;
        if (!abrupt && !CHECK_OK(status))
            printf("#   producer %d (%s)\n", p, kind_names[producers[p].kind]);
        if (abrupt && !CHECK_TRUE(status == GORT_OK || status == GORT_ECLOSED))
            printf("#   producer %d (%s) stopped with %d\n", p, kind_names[producers[p].kind],
                   status);
        stopped_by_close += status == GORT_ECLOSED;
        retries += producers[p].retries;
        sent += producers[p].sent;
    }
    for (int c = 0; c < n_consumers; c++)
        retries += consumers[c].retries;
    check_accounting(&r, producers, consumers, n_consumers, what);
    if (abrupt)
        CHECK_TRUE(stopped_by_close > 0); /* the close came mid-traffic */
    printf("# %s: %ld messages in %.2f s, %ld timeouts/retries, %ld producers stopped by "
           "close\n",
           what, sent, seconds, retries, stopped_by_close);

    for (int k = 0; k < cfg->n_chans; k++) {
        CHECK_EQ_SIZE(gort_chan_len(r.chans[k]), 0);
        int ok = -1;
        CHECK_OK(gort_chan_try_recv(r.chans[k], NULL, &ok));
        CHECK_EQ_INT(ok, 0);
        gort_chan_release(r.chans[k]);
    }
    free(r.seen);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

static void run_config(size_t index, bool abrupt)
{
    for (int round = 0; round < ROUNDS; round++) {
        int failed_before = harness_failed_checks;
        run_round(&configs[index], abrupt, round);
        if (harness_failed_checks != failed_before)
            break; /* one failing round is enough to read */
    }
}

TEST(unbuffered_plain_traffic_every_message_once)
{
    run_config(0, false);
    run_config(0, true);
}

TEST(unbuffered_mixed_traffic_over_three_channels_every_message_once)
{
    run_config(1, false);
    run_config(1, true);
}

TEST(cap_1_mixed_traffic_over_two_channels_every_message_once)
{
    run_config(2, false);
    run_config(2, true);
}

TEST(cap_64_plain_traffic_every_message_once)
{
    run_config(3, false);
    run_config(3, true);
}

TEST(cap_64_mixed_traffic_over_three_channels_every_message_once)
{
    run_config(4, false);
    run_config(4, true);
}

int main(void)
{
    const char *seed = getenv("GORT_TEST_SEED");
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    base_seed = seed && *seed
                    ? strtoull(seed, NULL, 0)
                    : mix64((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
    static const harness_test tests[] = {
        TEST_ENTRY(unbuffered_plain_traffic_every_message_once),
        TEST_ENTRY(unbuffered_mixed_traffic_over_three_channels_every_message_once),
        TEST_ENTRY(cap_1_mixed_traffic_over_two_channels_every_message_once),
        TEST_ENTRY(cap_64_plain_traffic_every_message_once),
        TEST_ENTRY(cap_64_mixed_traffic_over_three_channels_every_message_once),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
