/*
 * Select conformance tests: Go's select behaviours (research note §5, items 56 and 61-70)
 * with Go's numbers — fairness, self-select, duplicate channels, no double commit, the
 * ready/closed/default rules, discarding receives, no leaks, nil cases — plus libgort's
 * additions: timeouts, ECLOSED for a send case on a closed channel, bad input, no heap
 * memory for up to 32 cases, ownership of the values of sends that do not win.
 *
 * Threads: workers record what happened and the main thread checks after pthread_join.
 * Hooks run on the thread doing the operation, so tests whose hooked values cross threads
 * use shared_tracked (atomic counters) rather than the fixture's tracked.
 *
 * Environment: GORT_TEST_SCALE=x multiplies the iteration counts. Without it, sanitizer
 * builds and runs under Valgrind (LD_PRELOAD naming vgpreload, or GORT_TEST_VALGRIND=1)
 * scale them down.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SCALE_TSAN 0.5
#define SCALE_ASAN 0.5
#define SCALE_VALGRIND 0.02
#include "chan_fixtures.h"

/* ---- channels and cases -------------------------------------------------------------- */

static gort_select_case send_case(gort_chan *c, void *value)
{
    return (gort_select_case){c, GORT_SELECT_SEND, 0, value};
}

static gort_select_case recv_case(gort_chan *c, void *out)
{
    return (gort_select_case){c, GORT_SELECT_RECV, 0, out};
}

#define NO_CHOICE ((size_t)0xC0FFEE)

/* ---- shared_tracked: tracked with atomic counters (hooks on several threads) --------- */

/* ---- a select on another thread ------------------------------------------------------ */

#define MAX_THREAD_CASES 8

typedef struct select_thread {
    pthread_t thread;
    gort_select_case cases[MAX_THREAD_CASES];
    size_t n_cases;
    int64_t timeout_ns;
    long delay_ms;
    int64_t values[MAX_THREAD_CASES]; /* case i's value buffer, if it points here */
    size_t chosen;
    int status, recv_ok;
    int64_t elapsed_ns;
    int done;
} select_thread;

static void *select_thread_main(void *arg)
{
    select_thread *t = arg;
    if (t->delay_ms)
        sleep_ms(t->delay_ms);
    int64_t start = now_ns();
    t->status = gort_select(t->cases, t->n_cases, t->timeout_ns, &t->chosen, &t->recv_ok);
    t->elapsed_ns = now_ns() - start;
    __atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Fills t for a select over `cases` (a case whose value is OWN_BUFFER(t) uses values[i]);
 * the caller may then set values[] before select_launch starts the thread. */
static void select_prepare(select_thread *t, const gort_select_case *cases, size_t n,
                           int64_t timeout_ns, long delay_ms)
{
    memset(t, 0, sizeof *t);
    memcpy(t->cases, cases, n * sizeof *cases);
    t->n_cases = n;
    t->timeout_ns = timeout_ns;
    t->delay_ms = delay_ms;
    t->chosen = NO_CHOICE;
    t->status = 12345;
    t->recv_ok = -1;
    for (size_t i = 0; i < n; i++)
        if (t->cases[i].value == (void *)&t->values) /* OWN_BUFFER: "my buffer i" */
            t->cases[i].value = &t->values[i];
}

static void select_launch(select_thread *t)
{
    CHECK_EQ_INT(pthread_create(&t->thread, NULL, select_thread_main, t), 0);
}

static void select_start(select_thread *t, const gort_select_case *cases, size_t n,
                         int64_t timeout_ns, long delay_ms)
{
    select_prepare(t, cases, n, timeout_ns, delay_ms);
    select_launch(t);
}

/* Marks a case's value as "the thread's own buffer for this case". */
#define OWN_BUFFER(t) ((void *)&(t)->values)

static bool select_done(select_thread *t)
{
    return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE) != 0;
}

/* ---- fairness and randomness (items 61, 62) ------------------------------------------ */

/* TestSelectFairness: two always-ready buffered channels and two never-ready ones; over
 * 10000 selects each ready one wins about half the time (10 sigma: |c1 - 5000| <= 500),
 * and a never-ready case never wins. */
TEST(select_chooses_fairly_between_ready_channels)
{
    enum { TRIALS = 10000 };
    gort_type *u8 = gort_type_builtin(GORT_KIND_U8);
    gort_chan *c1 = new_chan(u8, TRIALS + 1), *c2 = new_chan(u8, TRIALS + 1);
    gort_chan *c3 = new_chan(u8, 0), *c4 = new_chan(u8, 0);
    for (int i = 0; i < TRIALS + 1; i++) {
        CHECK_OK(gort_chan_send(c1, &(uint8_t){1}));
        CHECK_OK(gort_chan_send(c2, &(uint8_t){2}));
    }
    uint8_t b = 0;
    gort_select_case cases[4] = {recv_case(c3, &b), recv_case(c4, &b), recv_case(c1, &b),
                                 recv_case(c2, &b)};
    long counts[4] = {0}, wrong_value = 0, failures = 0;
    for (int i = 0; i < TRIALS; i++) {
        size_t chosen = NO_CHOICE;
        int ok = -1;
        if (gort_select(cases, 4, -1, &chosen, &ok) != GORT_OK || chosen >= 4 || ok != 1) {
            failures++;
            continue;
        }
        counts[chosen]++;
        wrong_value += b != (chosen == 2 ? 1 : 2);
    }
    CHECK_EQ_INT(failures, 0);
    CHECK_EQ_INT(wrong_value, 0);
    CHECK_EQ_INT(counts[0] + counts[1], 0);
    CHECK_EQ_INT(counts[2] + counts[3], TRIALS);
    printf("# c1 %ld, c2 %ld\n", counts[2], counts[3]);
    CHECK_TRUE(labs(counts[2] - TRIALS / 2) <= 500);
    CHECK_EQ_SIZE(gort_chan_len(c1) + gort_chan_len(c2), TRIALS + 2);
    gort_chan_release(c1);
    gort_chan_release(c2);
    gort_chan_release(c3);
    gort_chan_release(c4);
}

/* Uniform among k ready cases for k = 3 and 7 (each within 10 sigma of n/k). */
TEST(select_is_uniform_among_many_ready_cases)
{
    static const size_t ks[] = {3, 7};
    for (size_t j = 0; j < 2; j++) {
        size_t k = ks[j];
        long n = 7000;
        gort_chan *chans[7];
        gort_select_case cases[7];
        for (size_t i = 0; i < k; i++) {
            chans[i] = new_i64_chan(1);
            send_i64(chans[i], (int64_t)i);
            cases[i] = recv_case(chans[i], NULL);
        }
        long counts[7] = {0}, failures = 0;
        for (long t = 0; t < n; t++) {
            size_t chosen = NO_CHOICE;
            if (gort_select(cases, k, 0, &chosen, NULL) != GORT_OK || chosen >= k) {
                failures++;
                continue;
            }
            counts[chosen]++;
            send_i64(chans[chosen], 0); /* ready again */
        }
        CHECK_EQ_INT(failures, 0);
        double p = 1.0 / (double)k, variance = (double)n * p * (1 - p);
        for (size_t i = 0; i < k; i++) {
            double off = (double)counts[i] - (double)n * p;
            if (!CHECK_TRUE(off * off <= 100 * variance)) /* within 10 sigma */
                printf("#   k=%zu case %zu won %ld of %ld\n", k, i, counts[i], n);
            gort_chan_release(chans[i]);
        }
    }
}

struct collector_args {
    gort_chan *chan;
    int n;
    int64_t values[100];
    int failures;
};

static void *collect_values(void *arg)
{
    struct collector_args *a = arg;
    for (int i = 0; i < a->n; i++) {
        int ok = 0;
        if (gort_chan_recv(a->chan, &a->values[i], &ok) != GORT_OK || !ok)
            a->failures++;
    }
    return NULL;
}

/* TestPseudoRandomSend: a select of two sends of different values on one channel picks
 * pseudo-randomly: each value more than n/10 times of n = 100, unbuffered and buffered. */
TEST(select_sends_two_values_on_one_channel_pseudo_randomly)
{
    enum { N = 100 };
    for (int64_t cap = 0; cap <= N; cap += N) {
        gort_chan *c = new_i64_chan(cap);
        struct collector_args args = {c, N, {0}, 0};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, collect_values, &args), 0);
        int64_t zero = 0, one = 1;
        gort_select_case cases[2] = {send_case(c, &one), send_case(c, &zero)};
        for (int i = 0; i < N; i++) {
            size_t chosen = NO_CHOICE;
            int ok = -1;
            CHECK_OK(gort_select(cases, 2, -1, &chosen, &ok));
            CHECK_EQ_INT(ok, 1); /* 1 for a send */
        }
        pthread_join(thread, NULL);
        CHECK_EQ_INT(args.failures, 0);
        int n0 = 0, n1 = 0;
        for (int i = 0; i < N; i++) {
            n0 += args.values[i] == 0;
            n1 += args.values[i] == 1;
        }
        CHECK_EQ_INT(n0 + n1, N);
        if (!CHECK_TRUE(n0 > N / 10 && n1 > N / 10))
            printf("#   cap %lld: %d zeros, %d ones\n", (long long)cap, n0, n1);
        gort_chan_release(c);
    }
}

/* Two cases on one channel (duplicates) are each chosen, as Go's lock order randomises
 * them: over 200 selects on a channel with a value ready, both indices win. */
TEST(duplicate_cases_on_one_channel_are_each_chosen)
{
    gort_chan *c = new_i64_chan(1);
    int64_t a = -1, b = -1;
    gort_select_case cases[2] = {recv_case(c, &a), recv_case(c, &b)};
    int wins[2] = {0, 0};
    for (int i = 0; i < 200; i++) {
        send_i64(c, i);
        size_t chosen = NO_CHOICE;
        CHECK_OK(gort_select(cases, 2, 0, &chosen, NULL));
        if (chosen < 2) {
            wins[chosen]++;
            CHECK_EQ_INT(chosen == 0 ? a : b, i);
        }
    }
    CHECK_TRUE(wins[0] > 20 && wins[1] > 20);
    CHECK_EQ_INT(wins[0] + wins[1], 200);
    gort_chan_release(c);
}

/* ---- self-select and duplicates (items 63, 64) --------------------------------------- */

struct self_select_args {
    gort_chan *chan;
    int64_t me, cap;
    int rounds;
    int self_receives, failures;
};

static void *self_selector(void *arg)
{
    struct self_select_args *a = arg;
    for (int i = 0; i < a->rounds; i++) {
        int64_t out = -1, mine = a->me;
        gort_select_case cases[2];
        bool send_first = a->me == 0 || i % 2 == 0;
        cases[send_first ? 0 : 1] = send_case(a->chan, &mine);
        cases[send_first ? 1 : 0] = recv_case(a->chan, &out);
        size_t chosen = NO_CHOICE;
        int ok = -1;
        if (gort_select(cases, 2, 30 * SECONDS, &chosen, &ok) != GORT_OK || chosen > 1) {
            a->failures++;
            break;
        }
        bool received = (chosen == 1) == send_first;
        if (received && a->cap == 0 && out == a->me)
            a->self_receives++;
    }
    return NULL;
}

/* TestSelfSelect: two threads each select on a send and a receive of the same channel
 * (cap 0 and 10), 1000 times: no deadlock, and on an unbuffered channel a select never
 * receives its own value. */
TEST(self_select_never_receives_its_own_value)
{
    for (int64_t cap = 0; cap <= 10; cap += 10) {
        gort_chan *c = new_i64_chan(cap);
        struct self_select_args args[2];
        pthread_t threads[2];
        for (int p = 0; p < 2; p++) {
            args[p] = (struct self_select_args){c, p, cap, (int)scaled(1000, 100), 0, 0};
            CHECK_EQ_INT(pthread_create(&threads[p], NULL, self_selector, &args[p]), 0);
        }
        for (int p = 0; p < 2; p++) {
            pthread_join(threads[p], NULL);
            CHECK_EQ_INT(args[p].failures, 0);
            CHECK_EQ_INT(args[p].self_receives, 0);
        }
        gort_chan_release(c);
    }
}

/* select3.go's last case: a lone select { case c <- 1: case <-c: } on an unbuffered
 * channel can never proceed: it times out (and with timeout 0, EAGAIN), and leaves no
 * waiter behind. On a buffered channel the send is ready. */
TEST(lone_self_select_on_an_unbuffered_channel_times_out)
{
    gort_chan *c = new_i64_chan(0);
    int64_t v = 1, out = -1;
    gort_select_case cases[2] = {send_case(c, &v), recv_case(c, &out)};
    size_t chosen = NO_CHOICE;
    int ok = -1;
    CHECK_STATUS(gort_select(cases, 2, 0, &chosen, &ok), GORT_EAGAIN);
    int64_t start = now_ns();
    CHECK_STATUS(gort_select(cases, 2, 20 * MS, &chosen, &ok), GORT_ETIMEDOUT);
    int64_t elapsed = now_ns() - start;
    CHECK_TRUE(elapsed >= 20 * MS && elapsed < 20 * MS + 5 * SECONDS);
    CHECK_EQ_INT(out, -1);
    CHECK_STATUS(gort_chan_try_send(c, &v), GORT_EAGAIN);
    CHECK_STATUS(gort_chan_try_recv(c, &out, &ok), GORT_EAGAIN);
    gort_chan_release(c);

    gort_chan *b = new_i64_chan(10);
    cases[0].chan = cases[1].chan = b;
    CHECK_OK(gort_select(cases, 2, 0, &chosen, &ok));
    CHECK_EQ_SIZE(chosen, 0); /* empty buffer: only the send was ready */
    CHECK_EQ_SIZE(gort_chan_len(b), 1);
    gort_chan_release(b);
}

/* TestSelectDuplicateChannel, select6.go: a select with the same channel twice is woken
 * through a third channel; the queue of the duplicated channel must stay intact, so a
 * later send reaches the other receiver parked on it. */
TEST(duplicate_channel_wakeup_leaves_the_queue_intact)
{
    for (int round = 0; round < 3; round++) {
        gort_chan *c = new_i64_chan(0), *d = new_i64_chan(0);
        select_thread a;
        gort_select_case cases[3] = {recv_case(c, NULL), recv_case(c, NULL),
                                     recv_case(d, NULL)};
        select_start(&a, cases, 3, -1, 0);
        settle();
        select_thread b; /* a plain receive on c, as a 1-case select */
        gort_select_case only_c = recv_case(c, OWN_BUFFER(&b));
        select_start(&b, &only_c, 1, -1, 0);
        settle();
        send_i64(d, 7); /* wakes a */
        pthread_join(a.thread, NULL);
        CHECK_OK(a.status);
        CHECK_EQ_SIZE(a.chosen, 2);
        CHECK_TRUE(!select_done(&b));
        CHECK_OK(gort_chan_send_timeout(c, &(int64_t){8}, 30 * SECONDS)); /* must wake b */
        pthread_join(b.thread, NULL);
        CHECK_OK(b.status);
        CHECK_EQ_SIZE(b.chosen, 0);
        CHECK_EQ_INT(b.values[0], 8);
        CHECK_STATUS(gort_chan_try_send(c, &(int64_t){9}), GORT_EAGAIN); /* nobody left */
        gort_chan_release(c);
        gort_chan_release(d);
    }
}

/* ---- no double commit, stress (items 65, 66) ----------------------------------------- */

struct dsel_sender_args {
    gort_chan *outs[4];
    int64_t n;
    int failures;
};

static void *dsel_sender(void *arg)
{
    struct dsel_sender_args *a = arg;
    for (int64_t i = 0; i < a->n; i++) {
        int64_t v = i;
        gort_select_case cases[4];
        for (int k = 0; k < 4; k++)
            cases[k] = send_case(a->outs[k], &v);
        size_t chosen;
        if (gort_select(cases, 4, -1, &chosen, NULL) != GORT_OK)
            a->failures++;
    }
    for (int k = 0; k < 4; k++)
        gort_chan_close(a->outs[k]);
    return NULL;
}

struct mux_args {
    gort_chan *in, *out;
    int failures;
};

static void *dsel_mux(void *arg)
{
    struct mux_args *a = arg;
    for (;;) {
        int64_t v;
        int ok = 0;
        if (gort_chan_recv(a->in, &v, &ok) != GORT_OK) {
            a->failures++;
            break;
        }
        if (!ok)
            break;
        if (gort_chan_send(a->out, &v) != GORT_OK)
            a->failures++;
    }
    return NULL;
}

struct dsel_receiver_args {
    gort_chan *in;
    unsigned char *seen;
    int64_t n, duplicates, out_of_range, received;
};

static void *dsel_receiver(void *arg)
{
    struct dsel_receiver_args *a = arg;
    for (;;) {
        int64_t v;
        int ok = 0;
        if (gort_chan_recv(a->in, &v, &ok) != GORT_OK || !ok)
            break;
        a->received++;
        if (v < 0 || v >= a->n)
            a->out_of_range++;
        else if (a->seen[v]++)
            a->duplicates++;
    }
    return NULL;
}

/* doubleselect.go: one sender selects over sends of i on 4 unbuffered channels; 4 muxes
 * forward into one channel; the receiver must see every value exactly once (a select
 * that committed twice would duplicate a value, one that committed nowhere lose it). */
TEST(double_select_commits_each_value_exactly_once)
{
    int64_t n = scaled(100000, 2000);
    gort_chan *outs[4], *cmux = new_i64_chan(0);
    struct dsel_sender_args sender = {{NULL}, n, 0};
    struct mux_args muxes[4];
    pthread_t threads[6];
    for (int k = 0; k < 4; k++)
        sender.outs[k] = outs[k] = new_i64_chan(0);
    unsigned char *seen = calloc((size_t)n, 1);
    struct dsel_receiver_args receiver = {cmux, seen, n, 0, 0, 0};
    CHECK_EQ_INT(pthread_create(&threads[0], NULL, dsel_sender, &sender), 0);
    for (int k = 0; k < 4; k++) {
        muxes[k] = (struct mux_args){outs[k], cmux, 0};
        CHECK_EQ_INT(pthread_create(&threads[1 + k], NULL, dsel_mux, &muxes[k]), 0);
    }
    CHECK_EQ_INT(pthread_create(&threads[5], NULL, dsel_receiver, &receiver), 0);
    for (int t = 0; t < 5; t++)
        pthread_join(threads[t], NULL);
    CHECK_OK(gort_chan_close(cmux));
    pthread_join(threads[5], NULL);
    CHECK_EQ_INT(sender.failures, 0);
    for (int k = 0; k < 4; k++)
        CHECK_EQ_INT(muxes[k].failures, 0);
    CHECK_EQ_INT(receiver.duplicates, 0);
    CHECK_EQ_INT(receiver.out_of_range, 0);
    CHECK_EQ_INT(receiver.received, n);
    int64_t missing = 0;
    for (int64_t i = 0; i < n; i++)
        missing += seen[i] == 0;
    CHECK_EQ_INT(missing, 0);
    free(seen);
    for (int k = 0; k < 4; k++)
        gort_chan_release(outs[k]);
    gort_chan_release(cmux);
}

struct stress_args {
    gort_chan **chans;
    int k; /* plain: the channel; -1 for the select threads */
    bool send;
    long n;
    long done[4];
    int failures;
};

static void *plain_stress(void *arg)
{
    struct stress_args *a = arg;
    for (long i = 0; i < a->n; i++) {
        int status = a->send ? gort_chan_send(a->chans[a->k], &(int64_t){0})
                             : gort_chan_recv(a->chans[a->k], NULL, NULL);
        if (status != GORT_OK)
            a->failures++;
    }
    return NULL;
}

/* Selects over all four channels until it has done n operations on each, setting a
 * channel's case to NULL (never ready) once it is finished with it. */
static void *select_stress(void *arg)
{
    struct stress_args *a = arg;
    gort_select_case cases[4];
    int64_t zero = 0;
    for (int k = 0; k < 4; k++)
        cases[3 - k] = a->send ? send_case(a->chans[k], &zero) : recv_case(a->chans[k], NULL);
    for (long i = 0; i < 4 * a->n; i++) {
        size_t chosen = NO_CHOICE;
        if (gort_select(cases, 4, 60 * SECONDS, &chosen, NULL) != GORT_OK || chosen > 3) {
            a->failures++;
            break;
        }
        int k = 3 - (int)chosen;
        if (++a->done[k] == a->n)
            cases[chosen].chan = NULL;
    }
    return NULL;
}

/* TestSelectStress: channels of cap 0, 0, 2, 3; per channel a plain sender and a plain
 * receiver of n values, plus one select-sender and one select-receiver of n values on each
 * channel, which NULL out channels they are done with. Everything completes. */
TEST(select_stress_with_nil_cases_completes)
{
    long n = scaled(10000, 300);
    gort_chan *chans[4] = {new_i64_chan(0), new_i64_chan(0), new_i64_chan(2), new_i64_chan(3)};
    struct stress_args args[10];
    pthread_t threads[10];
    for (int k = 0; k < 4; k++) {
        args[2 * k] = (struct stress_args){chans, k, true, n, {0}, 0};
        args[2 * k + 1] = (struct stress_args){chans, k, false, n, {0}, 0};
    }
    args[8] = (struct stress_args){chans, -1, true, n, {0}, 0};
    args[9] = (struct stress_args){chans, -1, false, n, {0}, 0};
    for (int t = 0; t < 10; t++)
        CHECK_EQ_INT(
            pthread_create(&threads[t], NULL, t < 8 ? plain_stress : select_stress, &args[t]),
            0);
    for (int t = 0; t < 10; t++) {
        pthread_join(threads[t], NULL);
        CHECK_EQ_INT(args[t].failures, 0);
    }
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_INT(args[8].done[k], n);
        CHECK_EQ_INT(args[9].done[k], n);
        CHECK_EQ_SIZE(gort_chan_len(chans[k]), 0);
        CHECK_STATUS(gort_chan_try_recv(chans[k], NULL, NULL), GORT_EAGAIN);
        gort_chan_release(chans[k]);
    }
}

/* ---- ready, closed and default (items 53, 56, 67) ------------------------------------ */

/* select3.go, select4.go: a ready case proceeds (and only it); timeout 0 is `default`,
 * taken only when nothing is ready; a buffered channel with room makes the send ready;
 * for a send, *recv_ok is 1. */
TEST(ready_cases_proceed_and_default_only_when_none_is)
{
    gort_chan *c = new_i64_chan(1), *d = new_i64_chan(0), *e = new_i64_chan(1);
    int64_t v = -1, w = 5;
    size_t chosen = NO_CHOICE;
    int ok = -1;
    gort_select_case cases[3] = {recv_case(d, &v), recv_case(c, &v), send_case(d, &w)};
    CHECK_STATUS(gort_select(cases, 3, 0, &chosen, &ok), GORT_EAGAIN);
    CHECK_EQ_INT(v, -1);
    send_i64(c, 42);
    for (int i = 0; i < 20; i++) {
        if (i)
            send_i64(c, 42);
        chosen = NO_CHOICE;
        CHECK_OK(gort_select(cases, 3, i % 2 ? 0 : -1, &chosen, &ok));
        CHECK_EQ_SIZE(chosen, 1);
        CHECK_EQ_INT(v, 42);
        CHECK_EQ_INT(ok, 1);
    }
    CHECK_STATUS(gort_select(cases, 3, 0, &chosen, &ok), GORT_EAGAIN);

    /* room in e's buffer: the send is ready, the receive on empty d is not */
    gort_select_case send_or_recv[2] = {recv_case(d, &v), send_case(e, &w)};
    ok = -1;
    CHECK_OK(gort_select(send_or_recv, 2, -1, &chosen, &ok));
    CHECK_EQ_SIZE(chosen, 1);
    CHECK_EQ_INT(ok, 1);
    CHECK_EQ_INT(recv_i64(e), 5);
    /* a 1-case select is a plain operation; a NULL recv_ok is fine */
    gort_select_case one = send_case(e, &w);
    CHECK_OK(gort_select(&one, 1, 0, &chosen, NULL));
    CHECK_EQ_SIZE(chosen, 0);
    CHECK_STATUS(gort_select(&one, 1, 0, &chosen, NULL), GORT_EAGAIN); /* full now */
    gort_chan_release(c);
    gort_chan_release(d);
    gort_chan_release(e);
}

/* select3.go, closedchan.go: a receive case on a closed channel is ready: it yields the
 * buffered values first, then the zero value with recv_ok 0, never blocking. */
TEST(recv_case_on_a_closed_channel_is_ready)
{
    gort_chan *c = new_i64_chan(2), *never = new_i64_chan(0);
    send_i64(c, 11);
    CHECK_OK(gort_chan_close(c));
    int64_t v = -1;
    gort_select_case cases[2] = {recv_case(never, &v), recv_case(c, &v)};
    size_t chosen = NO_CHOICE;
    int ok = -1;
    CHECK_OK(gort_select(cases, 2, -1, &chosen, &ok));
    CHECK_EQ_SIZE(chosen, 1);
    CHECK_EQ_INT(v, 11);
    CHECK_EQ_INT(ok, 1);
    for (int i = 0; i < 10; i++) {
        v = -1;
        ok = -1;
        CHECK_OK(gort_select(cases, 2, i % 2 ? 0 : -1, &chosen, &ok));
        CHECK_EQ_SIZE(chosen, 1);
        CHECK_EQ_INT(v, 0);
        CHECK_EQ_INT(ok, 0);
    }
    gort_chan_release(c);
    gort_chan_release(never);
}

/* closedchan.go, select3.go: a send case on a closed channel is "ready" and fails:
 * ECLOSED with *chosen naming it (Go panics there), even with timeout 0, and the value
 * stays with the caller (nothing retained). */
TEST(send_case_on_a_closed_channel_returns_eclosed_with_its_index)
{
    gort_type *type = tracked_type();
    gort_chan *closed = new_chan(type, 1), *never = new_chan(type, 0);
    CHECK_OK(gort_chan_close(closed));
    tracked v = track(1, 1, 2), out;
    gort_select_case cases[3] = {recv_case(never, &out), send_case(never, &v),
                                 send_case(closed, &v)};
    for (int i = 0; i < 10; i++) {
        size_t chosen = NO_CHOICE;
        CHECK_STATUS(gort_select(cases, 3, i % 2 ? 0 : -1, &chosen, NULL), GORT_ECLOSED);
        CHECK_EQ_SIZE(chosen, 2);
    }
    CHECK_EQ_INT(tracked_net(), 0);
    CHECK_EQ_INT(refs(1), 0);
    CHECK_EQ_SIZE(gort_chan_len(closed), 0);
    gort_chan_release(closed);
    gort_chan_release(never);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* A closed channel's send case competes with other ready cases like any ready case:
 * over 400 selects, both the ECLOSED outcome and the ready receive occur. */
TEST(send_case_on_a_closed_channel_competes_with_ready_cases)
{
    gort_chan *closed = new_i64_chan(0), *ready = new_i64_chan(1);
    CHECK_OK(gort_chan_close(closed));
    int64_t v = 3, out = -1;
    gort_select_case cases[2] = {send_case(closed, &v), recv_case(ready, &out)};
    int eclosed = 0, received = 0;
    for (int i = 0; i < 400; i++) {
        if (gort_chan_len(ready) == 0)
            send_i64(ready, i);
        size_t chosen = NO_CHOICE;
        int status = gort_select(cases, 2, 0, &chosen, NULL);
        if (status == GORT_ECLOSED && chosen == 0)
            eclosed++;
        else if (status == GORT_OK && chosen == 1)
            received++;
    }
    CHECK_EQ_INT(eclosed + received, 400);
    CHECK_TRUE(eclosed > 40 && received > 40);
    gort_chan_release(closed);
    gort_chan_release(ready);
}

/* A select parked on a channel is woken by its close: a receive case with recv_ok 0 and
 * the zero value, a send case with ECLOSED and its index. */
TEST(close_wakes_a_parked_select)
{
    gort_chan *c = new_i64_chan(0), *other = new_i64_chan(0);
    select_thread t;
    gort_select_case cases[2] = {recv_case(other, OWN_BUFFER(&t)),
                                 recv_case(c, OWN_BUFFER(&t))};
    select_prepare(&t, cases, 2, -1, 0);
    t.values[1] = -1;
    select_launch(&t);
    settle();
    CHECK_TRUE(!select_done(&t));
    CHECK_OK(gort_chan_close(c));
    pthread_join(t.thread, NULL);
    CHECK_OK(t.status);
    CHECK_EQ_SIZE(t.chosen, 1);
    CHECK_EQ_INT(t.recv_ok, 0);
    CHECK_EQ_INT(t.values[1], 0);
    gort_chan_release(c);

    gort_type *type = shared_tracked_type();
    gort_chan *s = new_chan(type, 0), *r = new_chan(type, 0);
    static tracked value;
    value = track(3, 3, 4);
    gort_select_case send_cases[2] = {recv_case(r, NULL), send_case(s, &value)};
    select_start(&t, send_cases, 2, 30 * SECONDS, 0);
    settle();
    CHECK_TRUE(!select_done(&t));
    CHECK_OK(gort_chan_close(s));
    pthread_join(t.thread, NULL);
    CHECK_STATUS(t.status, GORT_ECLOSED);
    CHECK_EQ_SIZE(t.chosen, 1);
    CHECK_TRUE(t.elapsed_ns < 20 * SECONDS);
    CHECK_TRUE(shared_balanced());
    gort_chan_release(s);
    gort_chan_release(r);
    gort_type_release(type);
    gort_chan_release(other);
}

/* A parked select is completed by a partner on any of its channels: a sender on the
 * second receive case, a receiver on a send case. */
TEST(a_partner_completes_a_parked_select)
{
    gort_chan *a = new_i64_chan(0), *b = new_i64_chan(0), *s = new_i64_chan(0);
    select_thread t;
    gort_select_case cases[3] = {recv_case(a, OWN_BUFFER(&t)), recv_case(b, OWN_BUFFER(&t)),
                                 send_case(s, OWN_BUFFER(&t))};
    select_start(&t, cases, 3, -1, 0);
    settle();
    send_i64(b, 99);
    pthread_join(t.thread, NULL);
    CHECK_OK(t.status);
    CHECK_EQ_SIZE(t.chosen, 1);
    CHECK_EQ_INT(t.recv_ok, 1);
    CHECK_EQ_INT(t.values[1], 99);
    CHECK_STATUS(gort_chan_try_send(a, &(int64_t){1}), GORT_EAGAIN); /* it left a's queue */
    CHECK_STATUS(gort_chan_try_recv(s, NULL, NULL), GORT_EAGAIN);    /* and s's */

    select_prepare(&t, cases, 3, -1, 0);
    t.values[2] = 1234; /* the send case's value */
    select_launch(&t);
    settle();
    CHECK_EQ_INT(recv_i64(s), 1234);
    pthread_join(t.thread, NULL);
    CHECK_OK(t.status);
    CHECK_EQ_SIZE(t.chosen, 2);
    CHECK_EQ_INT(t.recv_ok, 1);
    CHECK_STATUS(gort_chan_try_send(a, &(int64_t){1}), GORT_EAGAIN);
    CHECK_STATUS(gort_chan_try_send(b, &(int64_t){1}), GORT_EAGAIN);
    gort_chan_release(a);
    gort_chan_release(b);
    gort_chan_release(s);
}

static bool readable(int fd)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* The fds stay exact around selects: a parked select makes its channels' fds readable
 * (it is a waiting partner), and once it has committed elsewhere they go quiet again —
 * also when another operation on the channel finds the select's leftover waiter, which
 * is no partner any more, and fails (chan.h: readable "exactly while" a receive or send
 * would not block; a stale readable fd makes an event loop spin on EAGAIN forever). */
TEST(fds_go_quiet_when_a_parked_select_commits_elsewhere)
{
    int stale_send_fd = 0, stale_recv_fd = 0;
    for (int round = 0; round < 10; round++) {
        gort_chan *c = new_i64_chan(0), *d = new_i64_chan(0);
        int send_fd = -1, recv_fd = -1;
        CHECK_OK(gort_chan_fd(c, GORT_CHAN_SEND_READY, &send_fd));
        CHECK_OK(gort_chan_fd(c, GORT_CHAN_RECV_READY, &recv_fd));
        bool select_sends = round % 2; /* the select's case on c: send or receive */
        select_thread t;
        gort_select_case cases[2] = {select_sends ? send_case(c, OWN_BUFFER(&t))
                                                  : recv_case(c, OWN_BUFFER(&t)),
                                     recv_case(d, OWN_BUFFER(&t))};
        select_start(&t, cases, 2, -1, 0);
        settle(); /* parked, past its spin */
        CHECK_TRUE(readable(select_sends ? recv_fd : send_fd));
        send_i64(d, 1); /* the select commits through d... */
        /* ...and before it cleans up, an operation on c meets its leftover waiter */
        if (select_sends)
            CHECK_STATUS(gort_chan_try_recv(c, NULL, NULL), GORT_EAGAIN);
        else
            CHECK_STATUS(gort_chan_try_send(c, &(int64_t){2}), GORT_EAGAIN);
        pthread_join(t.thread, NULL);
        CHECK_OK(t.status);
        CHECK_EQ_SIZE(t.chosen, 1);
        /* nobody waits on c now: neither fd may be readable */
        stale_send_fd += readable(send_fd);
        stale_recv_fd += readable(recv_fd);
        CHECK_STATUS(gort_chan_try_send(c, &(int64_t){3}), GORT_EAGAIN);
        CHECK_STATUS(gort_chan_try_recv(c, NULL, NULL), GORT_EAGAIN);
        gort_chan_release(c);
        gort_chan_release(d);
    }
    CHECK_EQ_INT(stale_send_fd, 0);
    CHECK_EQ_INT(stale_recv_fd, 0);
}

/* ---- discards, ownership (item 68) --------------------------------------------------- */

enum { SHAPE_PLAIN, SHAPE_ONE_CASE, SHAPE_TWO_CASES, SHAPES };

struct shaped_args {
    gort_chan *chan, *dummy;
    int shape, count;
    int failures;
};

static void *shaped_sender(void *arg)
{
    struct shaped_args *a = arg;
    for (int i = 0; i < a->count; i++) {
        tracked v = track(i % 8, (uint64_t)i, 8 + i % 8);
        gort_select_case cases[2] = {send_case(a->dummy, &v), send_case(a->chan, &v)};
        size_t chosen;
        int status = a->shape == SHAPE_PLAIN      ? gort_chan_send(a->chan, &v)
                     : a->shape == SHAPE_ONE_CASE ? gort_select(&cases[1], 1, -1, &chosen, NULL)
                                                  : gort_select(cases, 2, -1, &chosen, NULL);
        if (status != GORT_OK)
            a->failures++;
    }
    return NULL;
}

/* select7.go: a receive that discards its value (value NULL) works with every pairing of
 * sender shape (plain send, 1-case select, 2-case select) and receiver shape (plain
 * receive into NULL, 1-case and 2-case selects with NULL values); each discarded value is
 * dropped (hooks balanced). */
TEST(discarding_receives_work_in_every_select_shape)
{
    gort_type *type = shared_tracked_type();
    for (int send_shape = 0; send_shape < SHAPES; send_shape++) {
        for (int recv_shape = 0; recv_shape < SHAPES; recv_shape++) {
            gort_chan *c = new_chan(type, 0), *dummy = new_chan(type, 0);
            gort_chan *send_dummy = new_chan(type, 0); /* never paired with `dummy` */
            struct shaped_args args = {c, send_dummy, send_shape, 50, 0};
            pthread_t thread;
            CHECK_EQ_INT(pthread_create(&thread, NULL, shaped_sender, &args), 0);
            int failures = 0;
            for (int i = 0; i < args.count; i++) {
                gort_select_case cases[2] = {recv_case(dummy, NULL), recv_case(c, NULL)};
                size_t chosen = NO_CHOICE;
                int ok = -1, status;
                if (recv_shape == SHAPE_PLAIN)
                    status = gort_chan_recv(c, NULL, &ok);
                else if (recv_shape == SHAPE_ONE_CASE)
                    status = gort_select(&cases[1], 1, -1, &chosen, &ok);
                else
                    status = gort_select(cases, 2, -1, &chosen, &ok);
                if (status != GORT_OK || ok != 1 ||
                    (recv_shape != SHAPE_PLAIN && chosen != (size_t)(recv_shape - 1))) {
                    if (!failures++)
                        printf("#   shapes %d/%d: status %d, ok %d, chosen %zu\n", send_shape,
                               recv_shape, status, ok, chosen);
                }
            }
            pthread_join(thread, NULL);
            CHECK_EQ_INT(failures, 0);
            CHECK_EQ_INT(args.failures, 0);
            if (!CHECK_TRUE(shared_balanced()))
                printf("#   send shape %d, receive shape %d\n", send_shape, recv_shape);
            gort_chan_release(c);
            gort_chan_release(dummy);
            gort_chan_release(send_dummy);
        }
    }
    gort_type_release(type);
}

/* A select's winning send retains its value once; sends that did not win retain nothing
 * (net); a winning receive moves the value (no hook). */
TEST(only_the_winning_send_of_a_select_keeps_a_reference)
{
    gort_type *type = tracked_type();
    gort_chan *c = new_chan(type, 1), *d = new_chan(type, 0), *e = new_chan(type, 1);
    tracked a = track(1, 1, 2), b = track(3, 3, 4), got;
    gort_select_case cases[2] = {send_case(d, &a), send_case(c, &b)};
    size_t chosen = NO_CHOICE;
    CHECK_OK(gort_select(cases, 2, -1, &chosen, NULL));
    CHECK_EQ_SIZE(chosen, 1);
    CHECK_EQ_INT(refs(1), 0);
    CHECK_EQ_INT(refs(3), 1);
    CHECK_EQ_INT(refs(4), 1);
    CHECK_EQ_INT(tracked_net(), 2);
    /* nothing ready: nothing kept */
    CHECK_STATUS(gort_select(cases, 2, 0, &chosen, NULL), GORT_EAGAIN);
    CHECK_STATUS(gort_select(cases, 2, MS, &chosen, NULL), GORT_ETIMEDOUT);
    CHECK_EQ_INT(tracked_net(), 2);
    long releases = tracked_state.releases, retains = tracked_state.retains;
    gort_select_case recv_cases[2] = {recv_case(e, &got), recv_case(c, &got)};
    CHECK_OK(gort_select(recv_cases, 2, -1, &chosen, NULL));
    CHECK_EQ_SIZE(chosen, 1);
    CHECK_EQ_MEM(&got, &b, sizeof b);
    CHECK_EQ_INT(tracked_state.releases, releases); /* moved: no hook ran */
    CHECK_EQ_INT(tracked_state.retains, retains);
    gort_value_drop(type, &got);
    /* a NULL send value sends the zero value */
    gort_select_case zero = send_case(e, NULL);
    CHECK_OK(gort_select(&zero, 1, 0, &chosen, NULL));
    got = track(5, 5, 5);
    CHECK_OK(gort_chan_recv(e, &got, NULL));
    CHECK_TRUE(got.first == NULL && got.tag == 0 && got.second == NULL);
    gort_chan_release(c);
    gort_chan_release(d);
    gort_chan_release(e);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* A str send through a select copies the bytes: the caller's buffer may change at once. */
TEST(select_send_of_a_string_copies_the_bytes)
{
    uint64_t blocks = live_blocks(NULL);
    gort_type *str = gort_type_builtin(GORT_KIND_STR);
    gort_chan *c = new_chan(str, 2), *never = new_chan(str, 0);
    char text[16] = "selected";
    gort_str v = {text, 8}, got;
    gort_select_case cases[2] = {send_case(never, &v), send_case(c, &v)};
    size_t chosen;
    CHECK_OK(gort_select(cases, 2, -1, &chosen, NULL));
    memset(text, '!', sizeof text);
    CHECK_OK(gort_chan_recv(c, &got, NULL));
    CHECK_EQ_SIZE(got.len, 8);
    CHECK_EQ_MEM(got.ptr, "selected", 8);
    gort_value_drop(str, &got);
    CHECK_STATUS(gort_select(cases, 1, 0, &chosen, NULL), GORT_EAGAIN);
    gort_chan_release(c);
    gort_chan_release(never);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- leaks, heap use (item 69) ------------------------------------------------------- */

struct counted_sender_args {
    gort_chan *chan;
    long n;
    int failures;
};

static void *send_n(void *arg)
{
    struct counted_sender_args *a = arg;
    for (long i = 0; i < a->n; i++)
        a->failures += gort_chan_send(a->chan, &(int64_t){(int64_t)i}) != GORT_OK;
    return NULL;
}

static void blocking_selects(gort_chan *c, gort_chan *dummy, long n, size_t n_cases)
{
    gort_select_case cases[40];
    int64_t v;
    for (size_t i = 0; i < n_cases; i++)
        cases[i] = recv_case(i == n_cases / 2 ? c : dummy, &v);
    struct counted_sender_args args = {c, n, 0};
    pthread_t thread;
    CHECK_EQ_INT(pthread_create(&thread, NULL, send_n, &args), 0);
    long wrong = 0;
    for (long i = 0; i < n; i++) {
        size_t chosen = NO_CHOICE;
        if (gort_select(cases, n_cases, -1, &chosen, NULL) != GORT_OK ||
            chosen != n_cases / 2 || v != i)
            wrong++;
    }
    pthread_join(thread, NULL);
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(args.failures, 0);
}

/* select2.go: 100000 blocking selects (against a sender on an unbuffered channel) leave
 * the heap's live blocks where they were; so do selects of 40 cases (scratch space on the
 * heap) and timed-out selects. */
TEST(repeated_blocking_selects_do_not_leak)
{
    gort_chan *c = new_i64_chan(0), *dummy = new_i64_chan(0);
    blocking_selects(c, dummy, 100, 2); /* warm up whatever is per thread */
    blocking_selects(c, dummy, 100, 40);
    uint64_t blocks = live_blocks(NULL);
    blocking_selects(c, dummy, scaled(100000, 2000), 2);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    blocking_selects(c, dummy, scaled(5000, 200), 40);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    gort_select_case cases[40];
    for (int i = 0; i < 40; i++)
        cases[i] = recv_case(i % 2 ? c : dummy, NULL);
    size_t chosen;
    for (int i = 0; i < 100; i++) {
        CHECK_STATUS(gort_select(cases, i % 2 ? 40 : 2, 10000, &chosen, NULL), GORT_ETIMEDOUT);
        CHECK_STATUS(gort_select(cases, i % 2 ? 40 : 2, 0, &chosen, NULL), GORT_EAGAIN);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    CHECK_STATUS(gort_chan_try_send(c, &(int64_t){1}), GORT_EAGAIN); /* no stale waiter */
    CHECK_STATUS(gort_chan_try_send(dummy, &(int64_t){1}), GORT_EAGAIN);
    gort_chan_release(c);
    gort_chan_release(dummy);
}

/* chan.h: "Uses no heap memory for up to 32 cases" — polling, timing out and parking
 * selects of 32 cases make no allocation at all. */
TEST(selects_of_up_to_32_cases_allocate_nothing)
{
    gort_chan *chans[32];
    gort_select_case cases[32];
    int64_t v;
    for (int i = 0; i < 32; i++) {
        chans[i] = new_i64_chan(i % 2);
        cases[i] = i % 3 ? recv_case(chans[i], &v) : send_case(chans[i], &v);
    }
    gort_select_case recvs[32];
    for (int i = 0; i < 32; i++)
        recvs[i] = recv_case(chans[i], &v);
    size_t chosen;
    /* warm up: the first park of a thread may set up per-thread state */
    CHECK_STATUS(gort_select(recvs, 32, 1000, &chosen, NULL), GORT_ETIMEDOUT);
    alloc_count_begin();
    CHECK_STATUS(gort_select(recvs, 32, 0, &chosen, NULL), GORT_EAGAIN);
    CHECK_STATUS(gort_select(recvs, 32, 2 * MS, &chosen, NULL), GORT_ETIMEDOUT);
    CHECK_OK(gort_select(cases, 32, -1, &chosen, NULL)); /* a send to a buffered chan */
    CHECK_OK(gort_select(recvs, 32, -1, &chosen, NULL)); /* receives it back */
    long allocations = alloc_count_end();
    CHECK_EQ_INT(allocations, 0);
    for (int i = 0; i < 32; i++)
        gort_chan_release(chans[i]);
}

/* chan.h: "Uses no heap memory for up to 32 cases", and ENOMEM only for copying a string
 * or for scratch space beyond 32 cases: so sends of large hooked values (staged clones
 * of 4 KiB each) in a small select allocate nothing either. */
TEST(select_sends_of_large_hooked_values_allocate_nothing)
{
    gort_type *type = big_type();
    gort_chan *a = new_chan(type, 1), *b = new_chan(type, 1), *never = new_chan(type, 0);
    static big_value v, out;
    big_fill(&v, 1, 11, 2);
    gort_select_case cases[3] = {send_case(never, &v), send_case(a, &v), send_case(b, &v)};
    size_t chosen = NO_CHOICE;
    CHECK_STATUS(gort_select(cases, 1, 1000, &chosen, NULL), GORT_ETIMEDOUT); /* warm up */
    alloc_count_begin();
    CHECK_OK(gort_select(cases, 3, -1, &chosen, NULL));
    CHECK_OK(gort_select(cases, 3, -1, &chosen, NULL));
    CHECK_STATUS(gort_select(cases, 3, 0, &chosen, NULL), GORT_EAGAIN);
    long allocations = alloc_count_end();
    CHECK_EQ_INT(allocations, 0);
    CHECK_OK(gort_chan_recv(a, &out, NULL));
    big_is(&out, 1, 11, 2);
    gort_value_drop(type, &out);
    gort_chan_release(a);
    gort_chan_release(b); /* drops its buffered value */
    gort_chan_release(never);
    CHECK_TRUE(shared_balanced());
    gort_type_release(type);
}

/* The select counterpart of test_chan's a_release_hook_may_call_into_the_channel_it_runs_for:
 * a select receive that discards (value NULL) drops the value; its release hook may use
 * the channel (chan.h restricts only scan's visitor). A deadlock fails after 5 s. */
TEST(a_release_hook_may_call_into_the_channel_a_select_discards_from)
{
    gort_type *type = reentrant_type();
    gort_chan *c = new_chan(type, 1), *other = new_chan(type, 0);
    void *value = obj(1);
    CHECK_OK(gort_chan_send(c, &value));
    __atomic_store_n(&reentry_status, 12345, __ATOMIC_RELAXED);
    __atomic_store_n(&reentered_chan, c, __ATOMIC_RELEASE);
    static select_thread t; /* a stuck thread keeps using its record */
    gort_select_case cases[2] = {recv_case(other, NULL), recv_case(c, NULL)};
    select_start(&t, cases, 2, -1, 0);
    for (int i = 0; i < 500 && !select_done(&t); i++)
        sleep_ms(10);
    bool finished = select_done(&t);
    __atomic_store_n(&reentered_chan, NULL, __ATOMIC_RELEASE);
    if (CHECK_TRUE(finished)) {
        pthread_join(t.thread, NULL);
        CHECK_OK(t.status);
        CHECK_EQ_SIZE(t.chosen, 1);
        CHECK_OK(__atomic_load_n(&reentry_status, __ATOMIC_ACQUIRE));
        gort_chan_release(c);
        gort_chan_release(other);
    } else {
        printf("#   deadlocked: the release hook ran under the select's channel locks\n");
        pthread_detach(t.thread); /* stuck holding c's lock: leak c */
    }
    gort_type_release(type);
}

/* ---- nil cases, index, bad input (items 53, 70) -------------------------------------- */

/* The chosen index is the case's position in the caller's array, with NULL-channel cases
 * (never ready) interleaved anywhere. */
TEST(chosen_index_is_right_with_nil_cases_interleaved)
{
    rng random = {0x243F6A8885A308D3u};
    gort_chan *chans[3] = {new_i64_chan(1), new_i64_chan(1), new_i64_chan(1)};
    long wrong = 0;
    for (int trial = 0; trial < 500; trial++) {
        gort_select_case cases[12];
        int64_t out = -1, value = trial;
        size_t n = 3 + (size_t)(trial % 10), positions[3];
        for (size_t i = 0; i < n; i++)
            cases[i] =
                (gort_select_case){NULL, i % 2 ? GORT_SELECT_SEND : GORT_SELECT_RECV, 0, &out};
        for (int k = 0; k < 3; k++) {
            size_t p;
            bool taken;
            do {
                p = (size_t)rng_below(&random, n);
                taken = cases[p].chan != NULL;
            } while (taken);
            positions[k] = p;
            cases[p] = k == 0 ? recv_case(chans[0], &out) : send_case(chans[k], &value);
        }
        int ready = trial % 3;  /* which of the three is ready alone */
        send_i64(chans[1], -1); /* full: its send case is not ready */
        send_i64(chans[2], -1);
        if (ready == 0)
            send_i64(chans[0], trial);
        else
            recv_i64(chans[ready]); /* room: ready */
        size_t chosen = NO_CHOICE;
        int status = gort_select(cases, n, 0, &chosen, NULL);
        wrong += status != GORT_OK || chosen != positions[ready];
        if (ready == 0)
            wrong += out != trial;
        for (int k = 0; k < 3; k++) /* drain */
            while (gort_chan_try_recv(chans[k], NULL, NULL) == GORT_OK)
                ;
    }
    CHECK_EQ_INT(wrong, 0);
    for (int k = 0; k < 3; k++)
        gort_chan_release(chans[k]);
}

/* select3.go: cases on NULL channels only (or none) never proceed: timeout 0 gives
 * EAGAIN, a timeout ETIMEDOUT after at least that long. */
TEST(select_with_only_nil_cases_times_out)
{
    int64_t v = 0;
    gort_select_case cases[5];
    for (int i = 0; i < 5; i++)
        cases[i] = (gort_select_case){NULL, i % 2 ? GORT_SELECT_RECV : GORT_SELECT_SEND, 0, &v};
    size_t chosen = NO_CHOICE;
    CHECK_STATUS(gort_select(cases, 5, 0, &chosen, NULL), GORT_EAGAIN);
    int64_t start = now_ns();
    CHECK_STATUS(gort_select(cases, 5, 20 * MS, &chosen, NULL), GORT_ETIMEDOUT);
    int64_t elapsed = now_ns() - start;
    CHECK_TRUE(elapsed >= 20 * MS && elapsed < 20 * MS + 5 * SECONDS);
    CHECK_STATUS(gort_select(NULL, 0, 0, &chosen, NULL), GORT_EAGAIN);
    start = now_ns();
    CHECK_STATUS(gort_select(NULL, 0, 20 * MS, &chosen, NULL), GORT_ETIMEDOUT);
    CHECK_TRUE(now_ns() - start >= 20 * MS);
    CHECK_STATUS(gort_select(cases, 0, 0, &chosen, NULL), GORT_EAGAIN);
}

/* Timeouts: a select on channels that never become ready gives ETIMEDOUT after at least
 * the timeout (generous upper bound), leaving its receive buffers untouched; one that
 * becomes ready before then returns at once. */
TEST(select_timeout_expires_or_is_beaten_by_a_partner)
{
    gort_chan *a = new_i64_chan(0), *b = new_i64_chan(1);
    send_i64(b, 0); /* full: its send case is not ready */
    int64_t out = -7, v = 1;
    gort_select_case cases[2] = {recv_case(a, &out), send_case(b, &v)};
    size_t chosen = NO_CHOICE;
    int ok = -7;
    int64_t start = now_ns();
    CHECK_STATUS(gort_select(cases, 2, 30 * MS, &chosen, &ok), GORT_ETIMEDOUT);
    int64_t elapsed = now_ns() - start;
    CHECK_TRUE(elapsed >= 30 * MS && elapsed < 30 * MS + 5 * SECONDS);
    CHECK_EQ_INT(out, -7);
    CHECK_EQ_SIZE(gort_chan_len(b), 1);

    select_thread partner; /* a one-case select that sends on a after 20 ms */
    int64_t sent = 77;
    gort_select_case send_a = send_case(a, &sent);
    select_start(&partner, &send_a, 1, -1, 20);
    start = now_ns();
    CHECK_OK(gort_select(cases, 2, 60 * SECONDS, &chosen, &ok));
    CHECK_TRUE(now_ns() - start < 30 * SECONDS);
    CHECK_EQ_SIZE(chosen, 0);
    CHECK_EQ_INT(out, 77);
    pthread_join(partner.thread, NULL);
    CHECK_OK(partner.status);
    gort_chan_release(a);
    gort_chan_release(b);
}

/* Bad input is refused and commits nothing: NULL cases with n > 0, NULL chosen, an
 * unknown op or a non-zero reserved field (even when another case is ready), and more
 * than GORT_SELECT_MAX_CASES cases (ERANGE). */
TEST(bad_input_is_refused_and_commits_nothing)
{
    gort_chan *c = new_i64_chan(1);
    send_i64(c, 5);
    int64_t out = -1;
    size_t chosen = NO_CHOICE;
    gort_select_case good = recv_case(c, &out);
    CHECK_STATUS(gort_select(NULL, 1, 0, &chosen, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_select(&good, 1, 0, NULL, NULL), GORT_EINVAL);
    static const struct {
        uint32_t op, reserved;
    } bad[] = {
        {0, 0}, {3, 0}, {0xFFFFFFFF, 0}, {GORT_SELECT_RECV, 1}, {GORT_SELECT_SEND, 0x80000000}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gort_select_case cases[2] = {good, {c, bad[i].op, bad[i].reserved, &out}};
        for (int order = 0; order < 2; order++) {
            if (order)
                cases[1] = cases[0],
                cases[0] = (gort_select_case){c, bad[i].op, bad[i].reserved, &out};
            CHECK_STATUS(gort_select(cases, 2, 0, &chosen, NULL), GORT_EINVAL);
            CHECK_STATUS(gort_select(cases, 2, -1, &chosen, NULL), GORT_EINVAL);
            CHECK_EQ_INT(out, -1);
            CHECK_EQ_SIZE(gort_chan_len(c), 1);
        }
    }
    size_t too_many = (size_t)GORT_SELECT_MAX_CASES + 1;
    gort_select_case *many = calloc(too_many, sizeof *many);
    for (size_t i = 0; i < too_many; i++)
        many[i] = recv_case(NULL, NULL);
    many[0] = good;
    CHECK_STATUS(gort_select(many, too_many, 0, &chosen, NULL), GORT_ERANGE);
    CHECK_STATUS(gort_select(many, SIZE_MAX, 0, &chosen, NULL), GORT_ERANGE);
    CHECK_EQ_SIZE(gort_chan_len(c), 1);
    /* exactly the maximum works: the one live case is the last */
    many[0] = recv_case(NULL, NULL);
    many[GORT_SELECT_MAX_CASES - 1] = good;
    CHECK_OK(gort_select(many, GORT_SELECT_MAX_CASES, -1, &chosen, NULL));
    CHECK_EQ_SIZE(chosen, GORT_SELECT_MAX_CASES - 1);
    CHECK_EQ_INT(out, 5);
    free(many);
    gort_chan_release(c);
}

/* Go's select has no small limit: 1000 cases on 1000 channels, polled and parked. */
TEST(a_select_of_1000_cases_works)
{
    enum { N = 1000 };
    gort_chan **chans = calloc(N, sizeof *chans);
    gort_select_case *cases = calloc(N, sizeof *cases);
    static int64_t outs[N];
    for (int i = 0; i < N; i++) {
        chans[i] = new_i64_chan(1);
        cases[i] = recv_case(chans[i], &outs[i]);
    }
    size_t chosen = NO_CHOICE;
    CHECK_STATUS(gort_select(cases, N, 0, &chosen, NULL), GORT_EAGAIN);
    for (int k = 0; k < 20; k++) {
        int target = (k * 379) % N;
        send_i64(chans[target], 1000 + target);
        CHECK_OK(gort_select(cases, N, 0, &chosen, NULL));
        CHECK_EQ_SIZE(chosen, target);
        CHECK_EQ_INT(outs[target], 1000 + target);
    }
    /* parked on all 1000, woken by a send to case 777 from another thread */
    select_thread sender;
    int64_t v = 4242;
    gort_select_case send_777 = send_case(chans[777], &v);
    select_start(&sender, &send_777, 1, -1, 30);
    CHECK_OK(gort_select(cases, N, -1, &chosen, NULL));
    CHECK_EQ_SIZE(chosen, 777);
    CHECK_EQ_INT(outs[777], 4242);
    pthread_join(sender.thread, NULL);
    CHECK_STATUS(gort_select(cases, N, 0, &chosen, NULL), GORT_EAGAIN);
    for (int i = 0; i < N; i++)
        gort_chan_release(chans[i]);
    free(chans);
    free(cases);
}

/* ---- races and memory ordering (items 56, 59) ---------------------------------------- */

struct nbsel_args {
    pthread_barrier_t *start, *finish;
    gort_chan **c1, **c2;
    long rounds, defaults;
};

static void *nonblocking_selector(void *arg)
{
    struct nbsel_args *a = arg;
    for (long i = 0; i < a->rounds; i++) {
        pthread_barrier_wait(a->start);
        gort_select_case cases[2] = {recv_case(*a->c1, NULL), recv_case(*a->c2, NULL)};
        size_t chosen;
        if (gort_select(cases, 2, 0, &chosen, NULL) == GORT_EAGAIN)
            a->defaults++;
        pthread_barrier_wait(a->finish);
    }
    return NULL;
}

/* TestNonblockSelectRace (close_c2 false) and TestNonblockSelectRace2 (true): c1 holds a
 * value; the main thread sends on (or closes) c2 and then takes one value from c1 or c2
 * while another thread does a non-blocking select on both. At every instant one of them
 * is ready, so the select must never take the default. */
static void check_nonblock_select_race(bool close_c2)
{
    pthread_barrier_t start, finish;
    pthread_barrier_init(&start, NULL, 2);
    pthread_barrier_init(&finish, NULL, 2);
    gort_chan *c1 = NULL, *c2 = NULL;
    struct nbsel_args args = {&start, &finish, &c1, &c2, scaled(10000, 200), 0};
    pthread_t thread;
    CHECK_EQ_INT(pthread_create(&thread, NULL, nonblocking_selector, &args), 0);
    for (long i = 0; i < args.rounds; i++) {
        c1 = new_i64_chan(1);
        c2 = new_i64_chan(1);
        send_i64(c1, 1);
        pthread_barrier_wait(&start);
        if (close_c2)
            CHECK_OK(gort_chan_close(c2));
        else
            send_i64(c2, 1);
        gort_select_case cases[2] = {recv_case(c1, NULL), recv_case(c2, NULL)};
        size_t chosen;
        CHECK_OK(gort_select(cases, 2, -1, &chosen, NULL));
        pthread_barrier_wait(&finish);
        gort_chan_release(c1);
        gort_chan_release(c2);
    }
    pthread_join(thread, NULL);
    CHECK_EQ_INT(args.defaults, 0);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&finish);
}

TEST(nonblocking_select_sees_a_consistent_snapshot)
{
    check_nonblock_select_race(false);
}

TEST(nonblocking_select_sees_a_consistent_snapshot_with_close)
{
    check_nonblock_select_race(true);
}

typedef struct payload {
    int64_t words[8];
} payload;

struct select_barrier_args {
    gort_chan *chans[2];
    long count;
    int failures;
};

static void *select_send_payloads(void *arg)
{
    struct select_barrier_args *a = arg;
    for (long i = 0; i < a->count; i++) {
        payload *p = malloc(sizeof *p);
        for (int w = 0; w < 8; w++)
            p->words[w] = i * 8 + w;
        gort_select_case cases[2] = {send_case(a->chans[0], &p), send_case(a->chans[1], &p)};
        size_t chosen;
        if (gort_select(cases, 2, -1, &chosen, NULL) != GORT_OK) {
            a->failures++;
            free(p);
        }
    }
    return NULL;
}

/* TestChanSendSelectBarrier: writes made before a select's send are visible after the
 * select that receives it (TSan reports a race otherwise), buffered and unbuffered. */
TEST(writes_before_a_select_send_are_visible_after_the_select_receive)
{
    gort_type *ptr = gort_type_builtin(GORT_KIND_PTR);
    for (int64_t cap = 0; cap <= 4; cap += 4) {
        struct select_barrier_args args = {
            {new_chan(ptr, cap), new_chan(ptr, cap)}, scaled(20000, 300), 0};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, select_send_payloads, &args), 0);
        long wrong = 0;
        int64_t seen_sum = 0;
        for (long i = 0; i < args.count; i++) {
            payload *p = NULL;
            gort_select_case cases[2] = {recv_case(args.chans[0], &p),
                                         recv_case(args.chans[1], &p)};
            size_t chosen;
            if (gort_select(cases, 2, -1, &chosen, NULL) != GORT_OK || !p) {
                wrong++;
                continue;
            }
            for (int w = 1; w < 8; w++)
                wrong += p->words[w] != p->words[0] + w;
            seen_sum += p->words[0] / 8;
            free(p);
        }
        pthread_join(thread, NULL);
        CHECK_EQ_INT(wrong, 0);
        CHECK_EQ_INT(seen_sum, args.count * (args.count - 1) / 2);
        CHECK_EQ_INT(args.failures, 0);
        gort_chan_release(args.chans[0]);
        gort_chan_release(args.chans[1]);
    }
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(select_chooses_fairly_between_ready_channels),
        TEST_ENTRY(select_is_uniform_among_many_ready_cases),
        TEST_ENTRY(select_sends_two_values_on_one_channel_pseudo_randomly),
        TEST_ENTRY(duplicate_cases_on_one_channel_are_each_chosen),
        TEST_ENTRY(self_select_never_receives_its_own_value),
        TEST_ENTRY(lone_self_select_on_an_unbuffered_channel_times_out),
        TEST_ENTRY(duplicate_channel_wakeup_leaves_the_queue_intact),
        TEST_ENTRY(double_select_commits_each_value_exactly_once),
        TEST_ENTRY(select_stress_with_nil_cases_completes),
        TEST_ENTRY(ready_cases_proceed_and_default_only_when_none_is),
        TEST_ENTRY(recv_case_on_a_closed_channel_is_ready),
        TEST_ENTRY(send_case_on_a_closed_channel_returns_eclosed_with_its_index),
        TEST_ENTRY(send_case_on_a_closed_channel_competes_with_ready_cases),
        TEST_ENTRY(close_wakes_a_parked_select),
        TEST_ENTRY(a_partner_completes_a_parked_select),
        TEST_ENTRY(fds_go_quiet_when_a_parked_select_commits_elsewhere),
        TEST_ENTRY(discarding_receives_work_in_every_select_shape),
        TEST_ENTRY(only_the_winning_send_of_a_select_keeps_a_reference),
        TEST_ENTRY(select_send_of_a_string_copies_the_bytes),
        TEST_ENTRY(repeated_blocking_selects_do_not_leak),
        TEST_ENTRY(selects_of_up_to_32_cases_allocate_nothing),
        TEST_ENTRY(select_sends_of_large_hooked_values_allocate_nothing),
        TEST_ENTRY(a_release_hook_may_call_into_the_channel_a_select_discards_from),
        TEST_ENTRY(chosen_index_is_right_with_nil_cases_interleaved),
        TEST_ENTRY(select_with_only_nil_cases_times_out),
        TEST_ENTRY(select_timeout_expires_or_is_beaten_by_a_partner),
        TEST_ENTRY(bad_input_is_refused_and_commits_nothing),
        TEST_ENTRY(a_select_of_1000_cases_works),
        TEST_ENTRY(nonblocking_select_sees_a_consistent_snapshot),
        TEST_ENTRY(nonblocking_select_sees_a_consistent_snapshot_with_close),
        TEST_ENTRY(writes_before_a_select_send_are_visible_after_the_select_receive),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
