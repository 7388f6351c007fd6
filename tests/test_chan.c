/*
 * Channel conformance tests: Go's channel behaviours (research note §5, items 45-60) with
 * Go's numbers, and libgort's additions (timeouts, ownership of hooked and str values,
 * scan, pollable fds, reference-counted handles, bad input). Select has its own file
 * (test_select.c); the long many-thread run is test_chan_stress.c; allocation failure of
 * gort_chan_create is in test_oom.c.
 *
 * Threads: checks made on a worker thread touch the harness only when they fail, so most
 * workers record what happened and the main thread checks it after pthread_join. Where a
 * test needs another thread to be parked before it acts, it sleeps (settle()); such a
 * test cannot fail because a thread was slow to park, it only exercises the non-blocking
 * path instead — except the two FIFO-of-waiters tests, which say so.
 *
 * Environment: GORT_TEST_SCALE=x multiplies the iteration counts of the racing tests.
 * Without it, sanitizer builds and runs under Valgrind (LD_PRELOAD naming vgpreload, or
 * GORT_TEST_VALGRIND=1) scale them down.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define SCALE_TSAN 0.25
#define SCALE_ASAN 0.5
#define SCALE_VALGRIND 0.05
#include "chan_fixtures.h"

/* ---- atomics ------------------------------------------------------------------------ */

static int load_acquire(const int *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(int *p, int v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* ---- channels of builtin types ------------------------------------------------------- */

static gort_type *ptr_type(void)
{
    return gort_type_builtin(GORT_KIND_PTR);
}

/* A zero-size element type (Go's struct{}). */
static gort_type *empty_type(void)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 0, .align = 1, .name = "empty"};
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

static bool str_is(gort_str s, const char *want)
{
    return CHECK_EQ_SIZE(s.len, strlen(want)) && CHECK_EQ_MEM(s.ptr, want, s.len);
}

/* ---- one blocking operation on another thread ---------------------------------------- */

enum { OP_SEND = 1, OP_RECV, OP_SEND_TIMEOUT, OP_RECV_TIMEOUT };

#define OP_VALUE_BYTES 32
#define UNSET_STATUS 12345

typedef struct op_thread {
    pthread_t thread;
    gort_chan *chan;
    int op;
    int64_t timeout_ns;                               /* the *_TIMEOUT ops */
    long delay_ms;                                    /* sleep before the call */
    bool discard;                                     /* RECV into NULL */
    _Alignas(16) unsigned char value[OP_VALUE_BYTES]; /* SEND: the value; RECV: the result */
    int status, ok;
    int64_t elapsed_ns; /* of the call alone */
    int done;           /* atomic: set once the call has returned */
} op_thread;

static void *op_thread_main(void *arg)
{
    op_thread *t = arg;
    if (t->delay_ms)
        sleep_ms(t->delay_ms);
    void *out = t->discard ? NULL : t->value;
    int64_t start = now_ns();
    switch (t->op) {
    case OP_SEND:
        t->status = gort_chan_send(t->chan, t->value);
        break;
    case OP_SEND_TIMEOUT:
        t->status = gort_chan_send_timeout(t->chan, t->value, t->timeout_ns);
        break;
    case OP_RECV:
        t->status = gort_chan_recv(t->chan, out, &t->ok);
        break;
    default:
        t->status = gort_chan_recv_timeout(t->chan, out, &t->ok, t->timeout_ns);
        break;
    }
    t->elapsed_ns = now_ns() - start;
    store_release(&t->done, 1);
    return NULL;
}

/* Starts `op` on c. value (size bytes) is what a send sends; a receive's buffer starts
 * filled with 0xAB so a zero value written by close shows. */
static void op_start_full(op_thread *t, gort_chan *c, int op, const void *value, size_t size,
                          int64_t timeout_ns, long delay_ms)
{
    memset(t, 0, sizeof *t);
    t->chan = c;
    t->op = op;
    t->timeout_ns = timeout_ns;
    t->delay_ms = delay_ms;
    t->status = UNSET_STATUS;
    t->ok = -1;
    if (value)
        memcpy(t->value, value, size);
    else
        memset(t->value, 0xAB, sizeof t->value);
    CHECK_EQ_INT(pthread_create(&t->thread, NULL, op_thread_main, t), 0);
}

static void op_start(op_thread *t, gort_chan *c, int op, const void *value, size_t size)
{
    op_start_full(t, c, op, value, size, -1, 0);
}

/* A blocking receive into NULL (the value is discarded). */
static void op_recv_discard(op_thread *t, gort_chan *c)
{
    memset(t, 0, sizeof *t);
    t->chan = c;
    t->op = OP_RECV;
    t->discard = true;
    t->status = UNSET_STATUS;
    t->ok = -1;
    CHECK_EQ_INT(pthread_create(&t->thread, NULL, op_thread_main, t), 0);
}

static void op_send_i64(op_thread *t, gort_chan *c, int64_t v)
{
    op_start(t, c, OP_SEND, &v, sizeof v);
}

static void op_recv(op_thread *t, gort_chan *c)
{
    op_start(t, c, OP_RECV, NULL, 0);
}

static bool op_done(op_thread *t)
{
    return load_acquire(&t->done) != 0;
}

static void op_join(op_thread *t)
{
    pthread_join(t->thread, NULL);
}

static int64_t op_i64(const op_thread *t)
{
    int64_t v;
    memcpy(&v, t->value, sizeof v);
    return v;
}

/* ---- blocking and non-blocking (item 45) --------------------------------------------- */

/* TestChan, for caps 0..199: a receive on an empty channel blocks and a non-blocking one
 * returns EAGAIN; a send on a full channel blocks and a non-blocking one returns EAGAIN. */
TEST(recv_on_empty_and_send_on_full_block_for_caps_0_to_199)
{
    for (int64_t cap = 0; cap < 200; cap++) {
        gort_chan *c = new_i64_chan(cap);
        int64_t v = -1;
        int ok = -1;
        CHECK_STATUS(gort_chan_try_recv(c, &v, &ok), GORT_EAGAIN);
        CHECK_EQ_INT(v, -1); /* untouched */
        CHECK_EQ_INT(ok, -1);

        op_thread receiver;
        op_recv(&receiver, c);
        sleep_ms(2);
        CHECK_TRUE(!op_done(&receiver));
        CHECK_STATUS(gort_chan_try_recv(c, &v, &ok), GORT_EAGAIN);
        send_i64(c, 42);
        op_join(&receiver);
        CHECK_OK(receiver.status);
        CHECK_EQ_INT(receiver.ok, 1);
        CHECK_EQ_INT(op_i64(&receiver), 42);

        for (int64_t i = 0; i < cap; i++)
            CHECK_OK(gort_chan_try_send(c, &i));
        int64_t extra = cap;
        CHECK_STATUS(gort_chan_try_send(c, &extra), GORT_EAGAIN);
        CHECK_EQ_SIZE(gort_chan_len(c), cap);

        op_thread sender;
        op_send_i64(&sender, c, 1000);
        sleep_ms(2);
        CHECK_TRUE(!op_done(&sender));
        CHECK_EQ_SIZE(gort_chan_len(c), cap);
        /* the buffer first, then the parked sender's value (Go's rotation keeps FIFO) */
        for (int64_t i = 0; i < cap; i++)
            CHECK_EQ_INT(recv_i64(c), i);
        CHECK_EQ_INT(recv_i64(c), 1000);
        op_join(&sender);
        CHECK_OK(sender.status);
        CHECK_STATUS(gort_chan_try_recv(c, &v, &ok), GORT_EAGAIN);
        CHECK_EQ_SIZE(gort_chan_len(c), 0);
        gort_chan_release(c);
    }
}

/* A non-blocking send on an unbuffered channel succeeds only when a receiver is parked;
 * a non-blocking receive only when a sender is parked (research note §3.6). */
TEST(unbuffered_try_ops_succeed_only_with_a_parked_partner)
{
    gort_chan *c = new_i64_chan(0);
    int64_t v = 7;
    int ok = -1;
    CHECK_STATUS(gort_chan_try_send(c, &v), GORT_EAGAIN);
    op_thread receiver;
    op_recv(&receiver, c);
    int64_t deadline = now_ns() + 10 * SECONDS;
    int status;
    while ((status = gort_chan_try_send(c, &v)) == GORT_EAGAIN && now_ns() < deadline)
        sleep_ms(1);
    CHECK_OK(status);
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 7);
    CHECK_STATUS(gort_chan_try_send(c, &v), GORT_EAGAIN); /* the receiver is gone */

    op_thread sender;
    op_send_i64(&sender, c, 8);
    v = -1;
    deadline = now_ns() + 10 * SECONDS;
    while ((status = gort_chan_try_recv(c, &v, &ok)) == GORT_EAGAIN && now_ns() < deadline)
        sleep_ms(1);
    CHECK_OK(status);
    CHECK_EQ_INT(v, 8);
    CHECK_EQ_INT(ok, 1);
    op_join(&sender);
    CHECK_OK(sender.status);
    CHECK_STATUS(gort_chan_try_recv(c, &v, &ok), GORT_EAGAIN);
    gort_chan_release(c);
}

/* An unbuffered send completes only once a receiver has taken the value. */
TEST(unbuffered_send_waits_for_the_receiver)
{
    gort_chan *c = new_i64_chan(0);
    op_thread sender;
    op_send_i64(&sender, c, 5);
    settle();
    CHECK_TRUE(!op_done(&sender));
    CHECK_EQ_SIZE(gort_chan_len(c), 0); /* a parked sender is not buffered */
    CHECK_EQ_INT(recv_i64(c), 5);
    op_join(&sender);
    CHECK_OK(sender.status);
    gort_chan_release(c);
}

/* Parked receivers are served strictly FIFO (§3.7). Timing-dependent: each receiver is
 * given settle() to park before the next starts. */
TEST(parked_receivers_are_served_in_arrival_order)
{
    gort_chan *c = new_i64_chan(0);
    op_thread receivers[3];
    for (int i = 0; i < 3; i++) {
        op_recv(&receivers[i], c);
        settle();
    }
    for (int64_t i = 0; i < 3; i++)
        send_i64(c, 100 + i);
    for (int i = 0; i < 3; i++) {
        op_join(&receivers[i]);
        CHECK_EQ_INT(op_i64(&receivers[i]), 100 + i);
    }
    gort_chan_release(c);
}

/* Parked senders on a full buffer are served FIFO after the buffered values (Go's rotation
 * of the full ring). Timing-dependent like the test above. */
TEST(parked_senders_follow_the_buffer_in_arrival_order)
{
    gort_chan *c = new_i64_chan(2);
    send_i64(c, 1);
    send_i64(c, 2);
    op_thread senders[3];
    for (int i = 0; i < 3; i++) {
        op_send_i64(&senders[i], c, 10 + i);
        settle();
    }
    for (int64_t want = 1; want <= 2; want++)
        CHECK_EQ_INT(recv_i64(c), want);
    for (int64_t want = 10; want < 13; want++)
        CHECK_EQ_INT(recv_i64(c), want);
    for (int i = 0; i < 3; i++) {
        op_join(&senders[i]);
        CHECK_OK(senders[i].status);
    }
    CHECK_EQ_SIZE(gort_chan_len(c), 0);
    gort_chan_release(c);
}

/* ---- close (items 46-49) ------------------------------------------------------------- */

/* Receives from a closed, drained channel by every route: zero value, ok 0, at once. */
static void check_closed_and_drained(gort_chan *c)
{
    for (int round = 0; round < 20; round++) {
        int64_t v = -1;
        int ok = -1;
        int64_t start = now_ns();
        switch (round % 5) {
        case 0:
            CHECK_OK(gort_chan_recv(c, &v, &ok));
            break;
        case 1:
            CHECK_OK(gort_chan_try_recv(c, &v, &ok));
            break;
        case 2:
            CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, 0));
            break;
        case 3:
            CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, 10 * SECONDS));
            break;
        default:
            CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, -1));
            break;
        }
        CHECK_TRUE(now_ns() - start < 5 * SECONDS);
        CHECK_EQ_INT(v, 0);
        CHECK_EQ_INT(ok, 0);
    }
    CHECK_OK(gort_chan_recv(c, NULL, NULL));
}

/* TestChan, closedchan.go: after close, the buffered values come first, in order, with ok
 * 1 (by every kind of receive), then the zero value with ok 0, forever, never blocking. */
TEST(close_drains_the_buffer_in_order_then_zero_forever)
{
    static const int64_t caps[] = {0, 1, 2, 5, 100};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        int64_t cap = caps[k];
        gort_chan *c = new_i64_chan(cap);
        for (int64_t i = 0; i < cap; i++)
            send_i64(c, 10 * i + 1);
        CHECK_EQ_INT(gort_chan_is_closed(c), 0);
        CHECK_OK(gort_chan_close(c));
        CHECK_TRUE(gort_chan_is_closed(c) != 0);
        CHECK_EQ_SIZE(gort_chan_len(c), cap);
        CHECK_EQ_SIZE(gort_chan_cap(c), cap);
        for (int64_t i = 0; i < cap; i++) {
            int64_t v = -1;
            int ok = -1;
            if (i % 3 == 0)
                CHECK_OK(gort_chan_recv(c, &v, &ok));
            else if (i % 3 == 1)
                CHECK_OK(gort_chan_try_recv(c, &v, &ok));
            else
                CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, 0));
            CHECK_EQ_INT(v, 10 * i + 1);
            CHECK_EQ_INT(ok, 1);
            CHECK_EQ_SIZE(gort_chan_len(c), cap - i - 1);
        }
        check_closed_and_drained(c);
        gort_chan_release(c);
    }
}

/* The zero value written on a closed channel is the element type's zero, whatever the
 * buffer held before: str gives {NULL, 0}, a struct all zero bytes. */
TEST(closed_receive_writes_the_zero_value_of_every_type)
{
    gort_chan *s = new_chan(str_type(), 1);
    CHECK_OK(gort_chan_close(s));
    gort_str got = {"junk", 4};
    int ok = -1;
    CHECK_OK(gort_chan_recv(s, &got, &ok));
    CHECK_EQ_PTR(got.ptr, NULL);
    CHECK_EQ_SIZE(got.len, 0);
    CHECK_EQ_INT(ok, 0);
    gort_chan_release(s);

    gort_type *type = tracked_type();
    gort_chan *t = new_chan(type, 0);
    CHECK_OK(gort_chan_close(t));
    tracked v = track(1, 99, 2);
    CHECK_OK(gort_chan_try_recv(t, &v, &ok));
    CHECK_TRUE(all_zero(&v, sizeof v));
    CHECK_EQ_INT(ok, 0);
    gort_chan_release(t);
    CHECK_TRUE(tracked_balanced());
    CHECK_EQ_INT(tracked_state.releases, 0); /* the caller's junk was not "dropped" */
    gort_type_release(type);
}

/* TestChan "close unblocks receive", select3.go: close wakes every blocked receiver, by
 * every kind of blocking receive, with the zero value and ok 0. */
TEST(close_wakes_every_blocked_receiver)
{
    for (int64_t cap = 0; cap <= 3; cap += 3) {
        gort_chan *c = new_i64_chan(cap);
        op_thread receivers[4];
        op_start_full(&receivers[0], c, OP_RECV, NULL, 0, -1, 0);
        op_start_full(&receivers[1], c, OP_RECV_TIMEOUT, NULL, 0, -1, 0);
        op_start_full(&receivers[2], c, OP_RECV_TIMEOUT, NULL, 0, 60 * SECONDS, 0);
        op_recv_discard(&receivers[3], c);
        settle();
        for (int i = 0; i < 4; i++)
            CHECK_TRUE(!op_done(&receivers[i]));
        CHECK_OK(gort_chan_close(c));
        for (int i = 0; i < 4; i++) {
            op_join(&receivers[i]);
            CHECK_OK(receivers[i].status);
            CHECK_EQ_INT(receivers[i].ok, 0);
            if (!receivers[i].discard)
                CHECK_EQ_INT(op_i64(&receivers[i]), 0);
            CHECK_TRUE(receivers[i].elapsed_ns < 30 * SECONDS);
        }
        gort_chan_release(c);
    }
}

/* closedchan.go, select3.go: senders blocked when the channel closes fail with ECLOSED,
 * and their values stay theirs: nothing retained. The buffered value stays receivable. */
TEST(close_fails_blocked_senders_and_retains_nothing_of_theirs)
{
    for (int64_t cap = 0; cap <= 1; cap++) {
        gort_type *type = shared_tracked_type();
        gort_chan *c = new_chan(type, cap);
        if (cap) {
            tracked first = track(0, 1, 1);
            CHECK_OK(gort_chan_send(c, &first));
        }
        long held_before = shared_net();
        op_thread senders[3];
        for (int i = 0; i < 3; i++) {
            tracked v = track(2 + i, 100 + (uint64_t)i, 5 + i);
            int op = i == 0 ? OP_SEND : OP_SEND_TIMEOUT;
            op_start_full(&senders[i], c, op, &v, sizeof v, i == 1 ? -1 : 60 * SECONDS, 0);
        }
        settle();
        for (int i = 0; i < 3; i++)
            CHECK_TRUE(!op_done(&senders[i]));
        CHECK_OK(gort_chan_close(c));
        for (int i = 0; i < 3; i++) {
            op_join(&senders[i]);
            CHECK_STATUS(senders[i].status, GORT_ECLOSED);
            CHECK_EQ_INT(shared_state.refs[2 + i], 0);
            CHECK_EQ_INT(shared_state.refs[5 + i], 0);
        }
        CHECK_EQ_INT(shared_net(), held_before); /* net: nothing of theirs kept */
        if (cap) {
            tracked got;
            int ok = -1;
            CHECK_OK(gort_chan_recv(c, &got, &ok));
            CHECK_EQ_INT(ok, 1);
            CHECK_EQ_U64(got.tag, 1);
            CHECK_EQ_INT(shared_state.refs[0], 1); /* moved to us */
            gort_value_drop(type, &got);
        }
        int ok = -1;
        tracked zero;
        CHECK_OK(gort_chan_recv(c, &zero, &ok));
        CHECK_EQ_INT(ok, 0);
        gort_chan_release(c);
        CHECK_TRUE(shared_balanced());
        gort_type_release(type);
    }
}

/* closedchan.go Nbsend: a send on a closed channel fails in every form, whether or not
 * there would be room, and retains nothing. */
TEST(send_on_a_closed_channel_fails_in_every_form)
{
    static const int64_t caps[] = {0, 1, 4};
    for (size_t k = 0; k < 3; k++) {
        gort_type *type = tracked_type();
        gort_chan *c = new_chan(type, caps[k]);
        if (caps[k] == 1) { /* full */
            tracked v = track(0, 0, -1);
            CHECK_OK(gort_chan_send(c, &v));
        }
        long held = tracked_net();
        size_t len = gort_chan_len(c);
        CHECK_OK(gort_chan_close(c));
        tracked v = track(3, 3, 4);
        CHECK_STATUS(gort_chan_send(c, &v), GORT_ECLOSED);
        CHECK_STATUS(gort_chan_send(c, NULL), GORT_ECLOSED);
        CHECK_STATUS(gort_chan_try_send(c, &v), GORT_ECLOSED);
        CHECK_STATUS(gort_chan_send_timeout(c, &v, 0), GORT_ECLOSED);
        CHECK_STATUS(gort_chan_send_timeout(c, &v, MS), GORT_ECLOSED);
        CHECK_STATUS(gort_chan_send_timeout(c, &v, -1), GORT_ECLOSED);
        CHECK_EQ_INT(tracked_net(), held);
        CHECK_EQ_INT(refs(3), 0);
        CHECK_EQ_SIZE(gort_chan_len(c), len);
        gort_chan_release(c);
        CHECK_TRUE(tracked_balanced());
        gort_type_release(type);
    }
}

/* closedchan.go main: close of a closed channel fails (and of NULL); the channel stays
 * closed and still drains its buffer. */
TEST(closing_twice_fails_and_changes_nothing)
{
    gort_chan *c = new_i64_chan(2);
    send_i64(c, 9);
    CHECK_OK(gort_chan_close(c));
    CHECK_STATUS(gort_chan_close(c), GORT_ECLOSED);
    CHECK_STATUS(gort_chan_close(c), GORT_ECLOSED);
    CHECK_STATUS(gort_chan_close(NULL), GORT_EINVAL);
    CHECK_TRUE(gort_chan_is_closed(c) != 0);
    CHECK_EQ_INT(recv_i64(c), 9);
    check_closed_and_drained(c);
    gort_chan_release(c);
}

/* ---- FIFO and exactly-once (item 50) ------------------------------------------------- */

struct producer_args {
    gort_chan *chan;
    int64_t first, count;
    int failures;
};

static void *produce_range(void *arg)
{
    struct producer_args *p = arg;
    for (int64_t i = 0; i < p->count; i++)
        if (gort_chan_send(p->chan, &(int64_t){p->first + i}) != GORT_OK)
            p->failures++;
    return NULL;
}

/* TestChan "Test FIFO", fifo.go: one producer's 100 values arrive in order, every cap. */
TEST(one_producer_is_received_in_order_for_every_cap)
{
    for (int64_t cap = 0; cap < 200; cap++) {
        gort_chan *c = new_i64_chan(cap);
        struct producer_args args = {c, 0, 100, 0};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, produce_range, &args), 0);
        int64_t mismatches = 0;
        for (int64_t i = 0; i < 100; i++)
            mismatches += recv_i64(c) != i;
        pthread_join(thread, NULL);
        CHECK_EQ_INT(mismatches, 0);
        CHECK_EQ_INT(args.failures, 0);
        gort_chan_release(c);
    }
}

#define PRODUCERS 4
#define CONSUMERS 4
#define PER_PRODUCER 1000

struct consumer_args {
    gort_chan *chan;
    int64_t count;
    unsigned char *seen; /* PRODUCERS * PER_PRODUCER counters, atomically incremented */
    int64_t out_of_order, out_of_range, not_ok;
};

static void *consume_counting(void *arg)
{
    struct consumer_args *a = arg;
    int64_t last[PRODUCERS] = {-1, -1, -1, -1};
    for (int64_t n = 0; n < a->count; n++) {
        int64_t v = -1;
        int ok = 0;
        if (gort_chan_recv(a->chan, &v, &ok) != GORT_OK || !ok) {
            a->not_ok++;
            continue;
        }
        if (v < 0 || v >= PRODUCERS * PER_PRODUCER) {
            a->out_of_range++;
            continue;
        }
        int64_t producer = v / PER_PRODUCER, seq = v % PER_PRODUCER;
        if (seq <= last[producer])
            a->out_of_order++;
        last[producer] = seq;
        __atomic_fetch_add(&a->seen[v], 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* TestChan "Test multiple producers/consumers", fifo.go: 4 producers x 1000 values and 4
 * consumers x 1000 receives: every value exactly once, and each consumer sees each
 * producer's values in order. */
TEST(four_producers_and_four_consumers_pass_each_value_once)
{
    static const int64_t caps[] = {0, 1, 2, 7, 64, 199};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        gort_chan *c = new_i64_chan(caps[k]);
        static unsigned char seen[PRODUCERS * PER_PRODUCER];
        memset(seen, 0, sizeof seen);
        pthread_t threads[PRODUCERS + CONSUMERS];
        struct producer_args producers[PRODUCERS];
        struct consumer_args consumers[CONSUMERS];
        for (int i = 0; i < PRODUCERS; i++) {
            producers[i] = (struct producer_args){c, i * PER_PRODUCER, PER_PRODUCER, 0};
            CHECK_EQ_INT(pthread_create(&threads[i], NULL, produce_range, &producers[i]), 0);
        }
        for (int i = 0; i < CONSUMERS; i++) {
            consumers[i] = (struct consumer_args){c, PER_PRODUCER, seen, 0, 0, 0};
            CHECK_EQ_INT(
                pthread_create(&threads[PRODUCERS + i], NULL, consume_counting, &consumers[i]),
                0);
        }
        for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
            pthread_join(threads[i], NULL);
        for (int i = 0; i < PRODUCERS; i++)
            CHECK_EQ_INT(producers[i].failures, 0);
        for (int i = 0; i < CONSUMERS; i++) {
            CHECK_EQ_INT(consumers[i].out_of_order, 0);
            CHECK_EQ_INT(consumers[i].out_of_range, 0);
            CHECK_EQ_INT(consumers[i].not_ok, 0);
        }
        int64_t wrong = 0;
        for (int64_t v = 0; v < PRODUCERS * PER_PRODUCER; v++)
            wrong += seen[v] != 1;
        CHECK_EQ_INT(wrong, 0);
        CHECK_EQ_SIZE(gort_chan_len(c), 0);
        gort_chan_release(c);
    }
}

/* ---- len, cap, make (items 51, 52) --------------------------------------------------- */

/* TestChan "Test len/cap", chancap.go: len counts buffered values only (not parked
 * senders), cap is the buffer size, both 0 for NULL. */
TEST(len_counts_buffered_values_and_cap_is_the_buffer_size)
{
    for (int64_t cap = 0; cap < 20; cap++) {
        gort_chan *c = new_i64_chan(cap);
        CHECK_EQ_SIZE(gort_chan_cap(c), cap);
        CHECK_EQ_SIZE(gort_chan_len(c), 0);
        for (int64_t i = 0; i < cap; i++) {
            send_i64(c, i);
            CHECK_EQ_SIZE(gort_chan_len(c), i + 1);
        }
        CHECK_EQ_SIZE(gort_chan_cap(c), cap);
        for (int64_t i = cap; i > 0; i--) {
            recv_i64(c);
            CHECK_EQ_SIZE(gort_chan_len(c), i - 1);
        }
        gort_chan_release(c);
    }
    gort_chan *c = new_i64_chan(0);
    op_thread sender;
    op_send_i64(&sender, c, 1);
    settle();
    CHECK_EQ_SIZE(gort_chan_len(c), 0);
    CHECK_EQ_SIZE(gort_chan_cap(c), 0);
    recv_i64(c);
    op_join(&sender);
    gort_chan_release(c);
    CHECK_EQ_SIZE(gort_chan_len(NULL), 0);
    CHECK_EQ_SIZE(gort_chan_cap(NULL), 0);
    CHECK_EQ_INT(gort_chan_is_closed(NULL), 0);
}

/* chancap.go: negative capacities (ERANGE) and sizes whose byte count overflows or passes
 * GORT_MAX_ALLOC (EOVERFLOW) are refused, *out untouched, nothing allocated. */
TEST(absurd_capacities_are_refused)
{
    static const struct {
        int kind;
        int64_t cap;
        int status;
    } cases[] = {
        {GORT_KIND_I64, -1, GORT_ERANGE},
        {GORT_KIND_I64, INT64_MIN, GORT_ERANGE},
        {GORT_KIND_I64, (int64_t)1 << 59, GORT_EOVERFLOW},
        {GORT_KIND_I64, INT64_MAX, GORT_EOVERFLOW},
        {GORT_KIND_I64, ((int64_t)1 << 45) + 1, GORT_EOVERFLOW}, /* 2^48 + 8 bytes */
        {GORT_KIND_U8, ((int64_t)1 << 48) + 1, GORT_EOVERFLOW},
        {GORT_KIND_STR, (int64_t)1 << 60, GORT_EOVERFLOW},
        {GORT_KIND_STR, -5, GORT_ERANGE},
    };
    uint64_t blocks = live_blocks(NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gort_chan *sentinel = (gort_chan *)&sentinel, *c = sentinel;
        CHECK_STATUS(gort_chan_create(gort_type_builtin(cases[i].kind), cases[i].cap, NULL, &c),
                     cases[i].status);
        CHECK_EQ_PTR(c, sentinel);
    }
    gort_type *type = tracked_type();
    gort_chan *sentinel = (gort_chan *)&sentinel, *c = sentinel;
    CHECK_STATUS(gort_chan_create(type, ((int64_t)1 << 48) / 24 + 1, NULL, &c), GORT_EOVERFLOW);
    CHECK_STATUS(gort_chan_create(type, -1, NULL, &c), GORT_ERANGE);
    CHECK_EQ_PTR(c, sentinel);
    gort_type_release(type);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- zero-size elements (item 54) ---------------------------------------------------- */

struct semaphore_args {
    gort_chan *sem;
    long rounds;
    int *holders, *max_holders;
    int64_t *shared; /* guarded by the semaphore when its cap is 1 */
    int failures;
};

static void *use_semaphore(void *arg)
{
    struct semaphore_args *a = arg;
    for (long i = 0; i < a->rounds; i++) {
        if (gort_chan_send(a->sem, NULL) != GORT_OK) /* acquire */
            a->failures++;
        int now = __atomic_add_fetch(a->holders, 1, __ATOMIC_RELAXED);
        int max = __atomic_load_n(a->max_holders, __ATOMIC_RELAXED);
        while (now > max && !__atomic_compare_exchange_n(a->max_holders, &max, now, false,
                                                         __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
        if (a->shared)
            ++*a->shared; /* plain: a race here is a missing happens-before */
        __atomic_sub_fetch(a->holders, 1, __ATOMIC_RELAXED);
        if (gort_chan_recv(a->sem, NULL, NULL) != GORT_OK) /* release */
            a->failures++;
    }
    return NULL;
}

/* zerosize.go, and the memory model's "k-th receive happens before the (k+C)-th send
 * completes": a buffered channel of a zero-size type counts like a semaphore of C slots;
 * with C = 1 it is a mutex (TSan checks the guarded counter). */
TEST(zero_size_buffered_channel_is_a_counting_semaphore)
{
    gort_type *empty = empty_type();
    gort_chan *c = new_chan(empty, 3);
    unsigned char guard = 0x5A;
    CHECK_OK(gort_chan_try_send(c, NULL));
    CHECK_OK(gort_chan_try_send(c, &guard));
    CHECK_OK(gort_chan_send(c, NULL));
    CHECK_STATUS(gort_chan_try_send(c, NULL), GORT_EAGAIN);
    CHECK_EQ_SIZE(gort_chan_len(c), 3);
    CHECK_EQ_SIZE(gort_chan_cap(c), 3);
    int ok = -1;
    CHECK_OK(gort_chan_recv(c, &guard, &ok));
    CHECK_EQ_INT(ok, 1);
    CHECK_EQ_INT(guard, 0x5A); /* nothing written for a zero-size value */
    CHECK_OK(gort_chan_try_recv(c, NULL, &ok));
    CHECK_OK(gort_chan_recv_timeout(c, NULL, &ok, 0));
    CHECK_STATUS(gort_chan_try_recv(c, NULL, &ok), GORT_EAGAIN);
    CHECK_EQ_SIZE(gort_chan_len(c), 0);
    gort_chan_release(c);

    for (int64_t slots = 1; slots <= 2; slots++) {
        gort_chan *sem = new_chan(empty, slots);
        int holders = 0, max_holders = 0;
        int64_t shared = 0;
        long rounds = scaled(2000, 50);
        struct semaphore_args args[4];
        pthread_t threads[4];
        for (int i = 0; i < 4; i++) {
            args[i] = (struct semaphore_args){
                sem, rounds, &holders, &max_holders, slots == 1 ? &shared : NULL, 0};
            CHECK_EQ_INT(pthread_create(&threads[i], NULL, use_semaphore, &args[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(threads[i], NULL);
            CHECK_EQ_INT(args[i].failures, 0);
        }
        CHECK_TRUE(max_holders >= 1 && max_holders <= slots);
        if (slots == 1)
            CHECK_EQ_INT(shared, 4 * rounds);
        CHECK_EQ_SIZE(gort_chan_len(sem), 0);
        gort_chan_release(sem);
    }
    gort_type_release(empty);
}

/* zerosize.go: an unbuffered channel of a zero-size type hands off tokens and closes. */
TEST(zero_size_unbuffered_channel_hands_off_tokens)
{
    gort_type *empty = empty_type();
    gort_chan *c = new_chan(empty, 0);
    CHECK_EQ_SIZE(gort_chan_cap(c), 0);
    long tokens = scaled(1000, 20);
    op_thread sender;
    for (long i = 0; i < tokens; i++) {
        op_start(&sender, c, OP_SEND, NULL, 0);
        int ok = -1;
        CHECK_OK(gort_chan_recv(c, NULL, &ok));
        CHECK_EQ_INT(ok, 1);
        op_join(&sender);
        CHECK_OK(sender.status);
        if (harness_failed_checks)
            break;
    }
    CHECK_OK(gort_chan_close(c));
    int ok = -1;
    CHECK_OK(gort_chan_recv(c, NULL, &ok));
    CHECK_EQ_INT(ok, 0);
    gort_chan_release(c);
    gort_type_release(empty);
}

/* A zero-size element makes cap * size 0, so a huge cap is not an overflow (chan.h:
 * EOVERFLOW only "if cap * size exceeds GORT_MAX_ALLOC"; Go's makechan accepts
 * make(chan struct{}, 1<<59) likewise) and allocates no buffer. */
TEST(zero_size_channel_accepts_a_huge_capacity)
{
    gort_type *empty = empty_type();
    uint64_t blocks = live_blocks(NULL);
    static const int64_t caps[] = {(int64_t)1 << 40, (int64_t)1 << 59, INT64_MAX};
    for (size_t k = 0; k < 3; k++) {
        gort_chan *c = new_chan(empty, caps[k]);
        if (!c)
            continue;
        CHECK_EQ_SIZE(gort_chan_cap(c), (size_t)caps[k]);
        for (int i = 0; i < 1000; i++)
            CHECK_OK(gort_chan_try_send(c, NULL));
        CHECK_EQ_SIZE(gort_chan_len(c), 1000);
        CHECK_TRUE(live_blocks(NULL) - blocks <= 1);
        gort_chan_release(c);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    gort_type_release(empty);
}

/* ---- races of non-blocking operations (items 55, 57) --------------------------------- */

struct race_args {
    pthread_barrier_t *start, *finish;
    gort_chan **chan; /* set by the main thread before `start` */
    long rounds;
    long not_ready;
};

static void *nonblocking_receiver(void *arg)
{
    struct race_args *a = arg;
    for (long i = 0; i < a->rounds; i++) {
        pthread_barrier_wait(a->start);
        int ok = -1;
        if (gort_chan_try_recv(*a->chan, NULL, &ok) == GORT_EAGAIN)
            a->not_ready++;
        pthread_barrier_wait(a->finish);
    }
    return NULL;
}

/* TestNonblockRecvRace: a channel holding one value, closed while another thread does a
 * non-blocking receive, is always ready for it: either the value or closed. */
TEST(nonblocking_recv_racing_close_is_always_ready)
{
    pthread_barrier_t start, finish;
    pthread_barrier_init(&start, NULL, 2);
    pthread_barrier_init(&finish, NULL, 2);
    gort_chan *c = NULL;
    struct race_args args = {&start, &finish, &c, scaled(10000, 200), 0};
    pthread_t thread;
    CHECK_EQ_INT(pthread_create(&thread, NULL, nonblocking_receiver, &args), 0);
    for (long i = 0; i < args.rounds; i++) {
        c = new_i64_chan(1);
        send_i64(c, 1);
        pthread_barrier_wait(&start);
        CHECK_OK(gort_chan_close(c));
        CHECK_OK(gort_chan_recv(c, NULL, NULL));
        pthread_barrier_wait(&finish);
        gort_chan_release(c);
    }
    pthread_join(thread, NULL);
    CHECK_EQ_INT(args.not_ready, 0);
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&finish);
}

/* nonblock.go polls with `select { case c <- v: default: }`; alternate that (a 1-case
 * select with timeout 0) with try_send, and likewise for receives. */
static int poll_send(gort_chan *c, const void *value, long attempt)
{
    if (attempt % 2 == 0)
        return gort_chan_try_send(c, value);
    gort_select_case one = {c, GORT_SELECT_SEND, 0, (void *)value};
    size_t chosen;
    return gort_select(&one, 1, 0, &chosen, NULL);
}

static int poll_recv(gort_chan *c, void *out, int *ok, long attempt)
{
    if (attempt % 2 == 0)
        return gort_chan_try_recv(c, out, ok);
    gort_select_case one = {c, GORT_SELECT_RECV, 0, out};
    size_t chosen;
    return gort_select(&one, 1, 0, &chosen, ok);
}

/* One nonblock.go partner: a blocking send or receive of one value on another thread. */
static void check_polling_partner(gort_type *type, int64_t cap, const void *to_send,
                                  const void *from_partner, size_t size)
{
    gort_chan *c = new_chan(type, cap);
    op_thread partner;
    op_start(&partner, c, OP_RECV, NULL, 0);
    int64_t deadline = now_ns() + 20 * SECONDS;
    int status;
    long tries = 0;
    while ((status = poll_send(c, to_send, tries)) == GORT_EAGAIN && now_ns() < deadline) {
        tries++;
        sched_yield();
        if (tries % 16 == 0)
            sleep_ms(1);
    }
    CHECK_OK(status);
    op_join(&partner);
    CHECK_OK(partner.status);
    CHECK_EQ_INT(partner.ok, 1);
    if (type == str_type()) {
        gort_str got;
        memcpy(&got, partner.value, sizeof got);
        str_is(got, ((const gort_str *)to_send)->ptr);
        gort_value_drop(type, &got);
    } else {
        CHECK_EQ_MEM(partner.value, to_send, size);
    }

    op_start(&partner, c, OP_SEND, from_partner, size);
    if (cap > 0)
        op_join(&partner); /* buffered: the send completes on its own */
    _Alignas(16) unsigned char got[OP_VALUE_BYTES];
    int ok = -1;
    deadline = now_ns() + 20 * SECONDS;
    while ((status = poll_recv(c, got, &ok, tries)) == GORT_EAGAIN && now_ns() < deadline) {
        sched_yield();
        if (++tries % 16 == 0)
            sleep_ms(1);
    }
    CHECK_OK(status);
    CHECK_EQ_INT(ok, 1);
    if (cap == 0)
        op_join(&partner);
    CHECK_OK(partner.status);
    if (type == str_type()) {
        gort_str s;
        memcpy(&s, got, sizeof s);
        str_is(s, ((const gort_str *)from_partner)->ptr);
        gort_value_drop(type, &s);
    } else {
        CHECK_EQ_MEM(got, from_partner, size);
    }
    gort_chan_release(c);
}

/* nonblock.go: polling with non-blocking operations against a partner that blocks later
 * eventually succeeds, for i32, i64, bool and string, unbuffered and buffered (1). */
TEST(polling_nonblocking_ops_meet_a_blocking_partner)
{
    uint64_t blocks = live_blocks(NULL);
    for (int64_t cap = 0; cap <= 1; cap++) {
        int32_t a32 = 123, b32 = 234;
        check_polling_partner(gort_type_builtin(GORT_KIND_I32), cap, &a32, &b32, 4);
        int64_t a64 = 123456789012345, b64 = -234567890123456;
        check_polling_partner(i64_type(), cap, &a64, &b64, 8);
        unsigned char yes = 1;
        check_polling_partner(gort_type_builtin(GORT_KIND_BOOL), cap, &yes, &yes, 1);
        gort_str hello = str_of("hello"), world = str_of("hello again, world");
        check_polling_partner(str_type(), cap, &hello, &world, sizeof(gort_str));
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* TestShrinkStackDuringBlockedSend's analogue: a sender parked with its value in its own
 * stack frame, while the receiver sleeps and churns memory between receives, delivers
 * every value intact. */
struct stack_sender_args {
    gort_chan *chan;
    int count;
    int failures;
};

static void *send_from_stack(void *arg)
{
    struct stack_sender_args *a = arg;
    for (int i = 0; i < a->count; i++) {
        volatile char pad[4096]; /* put the value deep in this frame */
        pad[0] = (char)i;
        int64_t value = (int64_t)i * 1000003 + pad[0] - (char)i;
        if (gort_chan_send(a->chan, &value) != GORT_OK)
            a->failures++;
    }
    return NULL;
}

TEST(a_parked_sender_delivers_its_stack_value_intact)
{
    gort_chan *c = new_i64_chan(0);
    struct stack_sender_args args = {c, 50, 0};
    pthread_t thread;
    CHECK_EQ_INT(pthread_create(&thread, NULL, send_from_stack, &args), 0);
    for (int i = 0; i < args.count; i++) {
        sleep_ms(1);
        void *churn[16];
        for (int j = 0; j < 16; j++)
            churn[j] = malloc(64 << j);
        for (int j = 0; j < 16; j++)
            free(churn[j]);
        gort_chan *scratch = new_i64_chan(i);
        gort_chan_release(scratch);
        CHECK_EQ_INT(recv_i64(c), (int64_t)i * 1000003);
    }
    pthread_join(thread, NULL);
    CHECK_EQ_INT(args.failures, 0);
    gort_chan_release(c);
}

/* ---- memory ordering (item 59) ------------------------------------------------------- */

typedef struct payload {
    int64_t words[8];
} payload;

struct barrier_sender_args {
    gort_chan *chan;
    long count;
    int failures;
};

/* Fills fresh payloads with plain stores and sends their addresses. */
static void *send_payloads(void *arg)
{
    struct barrier_sender_args *a = arg;
    for (long i = 0; i < a->count; i++) {
        payload *p = malloc(sizeof *p);
        for (int w = 0; w < 8; w++)
            p->words[w] = i * 8 + w;
        if (gort_chan_send(a->chan, &p) != GORT_OK) {
            a->failures++;
            free(p);
        }
    }
    return NULL;
}

/* TestChanSendBarrier, go_mem: a send happens before the matching receive completes, so
 * plain writes made before the send are visible after the receive (TSan reports a race
 * if the library's handoff lacks the release/acquire pair), buffered and unbuffered. */
TEST(writes_before_a_send_are_visible_after_the_receive)
{
    static const int64_t caps[] = {0, 1, 16};
    for (size_t k = 0; k < 3; k++) {
        gort_chan *c = new_chan(ptr_type(), caps[k]);
        struct barrier_sender_args args = {c, scaled(20000, 300), 0};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, send_payloads, &args), 0);
        long wrong = 0;
        for (long i = 0; i < args.count; i++) {
            payload *p = NULL;
            int ok = 0;
            CHECK_OK(gort_chan_recv(c, &p, &ok));
            if (!p)
                break;
            for (int w = 0; w < 8; w++)
                wrong += p->words[w] != i * 8 + w;
            free(p);
        }
        pthread_join(thread, NULL);
        CHECK_EQ_INT(wrong, 0);
        CHECK_EQ_INT(args.failures, 0);
        gort_chan_release(c);
    }
}

struct mark_args {
    gort_chan *chan;
    int64_t *marks; /* plain: written before each receive */
    long count;
    int failures;
};

static void *mark_then_receive(void *arg)
{
    struct mark_args *a = arg;
    for (long k = 0; k < a->count; k++) {
        a->marks[k] = k + 1;
        if (gort_chan_recv(a->chan, NULL, NULL) != GORT_OK)
            a->failures++;
    }
    return NULL;
}

/* go_mem: a receive from an unbuffered channel happens before the matching send
 * completes, and the k-th receive on a channel of capacity C happens before the (k+C)-th
 * send completes. The receiver writes marks[k] before its k-th receive; the sender reads
 * marks[k] after its (k+C)-th send returns. */
TEST(receives_happen_before_the_sends_they_make_room_for)
{
    static const int64_t caps[] = {0, 1, 3};
    for (size_t j = 0; j < 3; j++) {
        int64_t cap = caps[j];
        long count = scaled(20000, 300);
        gort_chan *c = new_i64_chan(cap);
        int64_t *marks = calloc((size_t)count, sizeof *marks);
        struct mark_args args = {c, marks, count, 0};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, mark_then_receive, &args), 0);
        long wrong = 0;
        for (long n = 0; n < count; n++) {
            send_i64(c, n);
            long k = n - cap; /* the receive this send needed */
            if (k >= 0)
                wrong += marks[k] != k + 1;
        }
        pthread_join(thread, NULL);
        CHECK_EQ_INT(wrong, 0);
        CHECK_EQ_INT(args.failures, 0);
        free(marks);
        gort_chan_release(c);
    }
}

struct closed_reader_args {
    gort_chan *chan;
    const int64_t *data;
    int64_t seen;
    int ok, status;
};

static void *read_after_closed(void *arg)
{
    struct closed_reader_args *a = arg;
    a->status = gort_chan_recv(a->chan, NULL, &a->ok);
    a->seen = *a->data;
    return NULL;
}

/* go_mem: a close happens before a receive that returns because the channel is closed. */
TEST(close_happens_before_the_receive_it_wakes)
{
    for (int round = 0; round < 20; round++) {
        gort_chan *c = new_i64_chan(round % 2);
        int64_t data = 0;
        struct closed_reader_args args = {c, &data, -1, -1, -1};
        pthread_t thread;
        CHECK_EQ_INT(pthread_create(&thread, NULL, read_after_closed, &args), 0);
        if (round % 4 < 2)
            sleep_ms(1);
        data = 4242 + round;
        CHECK_OK(gort_chan_close(c));
        pthread_join(thread, NULL);
        CHECK_OK(args.status);
        CHECK_EQ_INT(args.ok, 0);
        CHECK_EQ_INT(args.seen, 4242 + round);
        gort_chan_release(c);
    }
}

/* ---- pipelines (item 60) ------------------------------------------------------------- */

struct stage_args {
    gort_chan *in, *out;
    int64_t prime; /* 0: the generator */
};

/* sieve1.go: the generator sends 2, 3, 4, ...; each filter passes on what its prime does
 * not divide. Both stop when a channel they use is closed. */
static void *sieve_stage(void *arg)
{
    struct stage_args *a = arg;
    for (int64_t i = 2;; i++) {
        int64_t v = i;
        if (a->prime) {
            int ok = 0;
            if (gort_chan_recv(a->in, &v, &ok) != GORT_OK || !ok)
                break;
            if (v % a->prime == 0)
                continue;
        }
        if (gort_chan_send(a->out, &v) != GORT_OK)
            break;
    }
    return NULL;
}

/* sieve1.go: a pipeline of one thread per prime finds the first 100 primes, then tears
 * down by closing every channel (each stage sees ECLOSED or a drained close and exits). */
TEST(prime_sieve_pipeline_finds_the_first_100_primes)
{
    enum { N_PRIMES = 100 };
    gort_chan *chans[N_PRIMES + 1];
    struct stage_args stages[N_PRIMES + 1];
    pthread_t threads[N_PRIMES + 1];
    chans[0] = new_i64_chan(0);
    stages[0] = (struct stage_args){NULL, chans[0], 0};
    CHECK_EQ_INT(pthread_create(&threads[0], NULL, sieve_stage, &stages[0]), 0);
    int64_t primes[N_PRIMES];
    for (int n = 0; n < N_PRIMES; n++) {
        primes[n] = recv_i64(chans[n]);
        chans[n + 1] = new_i64_chan(n % 3); /* unbuffered and small buffers */
        stages[n + 1] = (struct stage_args){chans[n], chans[n + 1], primes[n]};
        CHECK_EQ_INT(pthread_create(&threads[n + 1], NULL, sieve_stage, &stages[n + 1]), 0);
    }
    for (int n = 0; n <= N_PRIMES; n++) {
        int status = gort_chan_close(chans[n]);
        CHECK_TRUE(status == GORT_OK || status == GORT_ECLOSED);
    }
    for (int n = 0; n <= N_PRIMES; n++)
        pthread_join(threads[n], NULL);
    for (int n = 0; n <= N_PRIMES; n++)
        gort_chan_release(chans[n]);
    int wrong = 0, found = 0;
    for (int64_t v = 2; found < N_PRIMES; v++) {
        bool prime = true;
        for (int64_t d = 2; d * d <= v; d++)
            prime = prime && v % d != 0;
        if (prime)
            wrong += primes[found++] != v;
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(primes[N_PRIMES - 1], 541);
}

/* fifo.go's and goroutines.go's daisy chain: each link adds 1 and passes on; close
 * propagates down the chain. */
static void *chain_link(void *arg)
{
    struct stage_args *a = arg;
    for (;;) {
        int64_t v = 0;
        int ok = 0;
        if (gort_chan_recv(a->in, &v, &ok) != GORT_OK || !ok)
            break;
        v++;
        if (gort_chan_send(a->out, &v) != GORT_OK)
            break;
    }
    gort_chan_close(a->out);
    return NULL;
}

TEST(daisy_chain_of_100_threads_passes_values_and_close)
{
    enum { LINKS = 100 };
    gort_chan *chans[LINKS + 1];
    struct stage_args links[LINKS];
    pthread_t threads[LINKS];
    for (int i = 0; i <= LINKS; i++)
        chans[i] = new_i64_chan(i % 4 == 3 ? 1 : 0);
    for (int i = 0; i < LINKS; i++) {
        links[i] = (struct stage_args){chans[i], chans[i + 1], 0};
        CHECK_EQ_INT(pthread_create(&threads[i], NULL, chain_link, &links[i]), 0);
    }
    for (int64_t round = 0; round < 20; round++) {
        send_i64(chans[0], round * 1000);
        CHECK_EQ_INT(recv_i64(chans[LINKS]), round * 1000 + LINKS);
    }
    /* several values in flight at once come out in order */
    for (int64_t v = 0; v < 10; v++)
        send_i64(chans[0], v);
    for (int64_t v = 0; v < 10; v++)
        CHECK_EQ_INT(recv_i64(chans[LINKS]), v + LINKS);
    CHECK_OK(gort_chan_close(chans[0]));
    int ok = -1;
    CHECK_OK(gort_chan_recv(chans[LINKS], NULL, &ok));
    CHECK_EQ_INT(ok, 0);
    for (int i = 0; i < LINKS; i++)
        pthread_join(threads[i], NULL);
    for (int i = 0; i <= LINKS; i++) {
        CHECK_TRUE(gort_chan_is_closed(chans[i]) != 0);
        gort_chan_release(chans[i]);
    }
}

/* ---- timeouts ------------------------------------------------------------------------ */

/* Generous bounds: at least the timeout, and less than 5 s more on a loaded machine. */
static void check_waited(int64_t elapsed_ns, int64_t timeout_ns)
{
    CHECK_TRUE(elapsed_ns >= timeout_ns);
    CHECK_TRUE(elapsed_ns < timeout_ns + 5 * SECONDS);
}

/* send_timeout and recv_timeout give up with ETIMEDOUT after at least the timeout, leave
 * *out and *ok untouched, and send retains nothing. */
TEST(timed_ops_expire_after_at_least_the_timeout)
{
    gort_type *type = tracked_type();
    for (int64_t cap = 0; cap <= 1; cap++) {
        gort_chan *c = new_chan(type, cap);
        tracked out = track(9, 9, 9);
        int ok = -1;
        int64_t start = now_ns();
        CHECK_STATUS(gort_chan_recv_timeout(c, &out, &ok, 30 * MS), GORT_ETIMEDOUT);
        check_waited(now_ns() - start, 30 * MS);
        CHECK_EQ_U64(out.tag, 9);
        CHECK_EQ_PTR(out.first, obj(9));
        CHECK_EQ_INT(ok, -1);

        if (cap) {
            tracked fill = track(1, 1, -1);
            CHECK_OK(gort_chan_send(c, &fill));
        }
        long held = tracked_net();
        tracked v = track(2, 2, 3);
        start = now_ns();
        CHECK_STATUS(gort_chan_send_timeout(c, &v, 30 * MS), GORT_ETIMEDOUT);
        check_waited(now_ns() - start, 30 * MS);
        CHECK_EQ_INT(tracked_net(), held);
        CHECK_EQ_INT(refs(2), 0);
        CHECK_EQ_SIZE(gort_chan_len(c), cap);
        gort_chan_release(c);
        CHECK_TRUE(tracked_balanced());
    }
    gort_type_release(type);
}

/* Timeout 0 is "do not wait": EAGAIN (not ETIMEDOUT), at once, out untouched. */
TEST(zero_timeout_is_eagain_without_waiting)
{
    for (int64_t cap = 0; cap <= 1; cap++) {
        gort_chan *c = new_i64_chan(cap);
        int64_t v = 77;
        int ok = -1;
        CHECK_STATUS(gort_chan_recv_timeout(c, &v, &ok, 0), GORT_EAGAIN);
        CHECK_EQ_INT(v, 77);
        CHECK_EQ_INT(ok, -1);
        if (cap)
            send_i64(c, 1);
        CHECK_STATUS(gort_chan_send_timeout(c, &v, 0), GORT_EAGAIN);
        CHECK_EQ_SIZE(gort_chan_len(c), cap);
        gort_chan_release(c);
    }
}

/* A negative timeout waits as long as it takes; a long positive one returns as soon as
 * the partner arrives. */
TEST(timed_ops_complete_when_the_partner_arrives)
{
    gort_chan *c = new_i64_chan(0);
    op_thread sender;
    op_start_full(&sender, c, OP_SEND, &(int64_t){31}, 8, -1, 50);
    int64_t v = 0;
    int ok = 0;
    CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, -1));
    CHECK_EQ_INT(v, 31);
    CHECK_EQ_INT(ok, 1);
    op_join(&sender);

    op_start_full(&sender, c, OP_SEND, &(int64_t){32}, 8, -1, 20);
    int64_t start = now_ns();
    CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, 60 * SECONDS));
    CHECK_TRUE(now_ns() - start < 30 * SECONDS);
    CHECK_EQ_INT(v, 32);
    op_join(&sender);

    op_thread receiver;
    op_start_full(&receiver, c, OP_RECV, NULL, 0, -1, 20);
    start = now_ns();
    CHECK_OK(gort_chan_send_timeout(c, &(int64_t){33}, 60 * SECONDS));
    CHECK_TRUE(now_ns() - start < 30 * SECONDS);
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 33);

    op_start_full(&receiver, c, OP_RECV, NULL, 0, -1, 20);
    CHECK_OK(gort_chan_send_timeout(c, &(int64_t){34}, -1));
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 34);

    /* the largest timeout (the deadline saturates) */
    op_start_full(&sender, c, OP_SEND, &(int64_t){35}, 8, -1, 20);
    CHECK_OK(gort_chan_recv_timeout(c, &v, &ok, INT64_MAX));
    CHECK_EQ_INT(v, 35);
    op_join(&sender);
    op_start_full(&receiver, c, OP_RECV, NULL, 0, -1, 20);
    CHECK_OK(gort_chan_send_timeout(c, &(int64_t){36}, INT64_MAX));
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 36);
    gort_chan_release(c);
}

/* A waiter that timed out has left the queue: no later operation pairs with it (a stale
 * receiver would swallow a try_send's value; a stale sender would hand out a value whose
 * send already failed). */
TEST(a_timed_out_waiter_leaves_no_trace)
{
    gort_chan *c = new_i64_chan(0);
    for (int i = 0; i < 5; i++) {
        CHECK_STATUS(gort_chan_recv_timeout(c, NULL, NULL, MS), GORT_ETIMEDOUT);
        CHECK_STATUS(gort_chan_try_send(c, &(int64_t){1}), GORT_EAGAIN);
        CHECK_STATUS(gort_chan_send_timeout(c, &(int64_t){2}, MS), GORT_ETIMEDOUT);
        CHECK_STATUS(gort_chan_try_recv(c, NULL, NULL), GORT_EAGAIN);
    }
    int fd = -1;
    CHECK_OK(gort_chan_fd(c, GORT_CHAN_RECV_READY, &fd));
    struct pollfd pfd = {fd, POLLIN, 0};
    CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
    CHECK_OK(gort_chan_fd(c, GORT_CHAN_SEND_READY, &fd));
    pfd.fd = fd;
    CHECK_EQ_INT(poll(&pfd, 1, 0), 0);
    /* and the channel still works */
    op_thread receiver;
    op_recv(&receiver, c);
    send_i64(c, 3);
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 3);
    gort_chan_release(c);
}

/* ---- ownership ----------------------------------------------------------------------- */

/* A send retains each non-NULL pointer word once; the receive moves that reference to the
 * receiver (no hook runs) and gort_value_drop releases it. The same through a direct
 * handoff to a parked receiver. */
TEST(send_retains_once_and_receive_moves)
{
    gort_type *type = tracked_type();
    gort_chan *c = new_chan(type, 4);
    tracked v = track(1, 7, 2);
    CHECK_OK(gort_chan_send(c, &v));
    CHECK_EQ_INT(tracked_state.retains, 2);
    CHECK_EQ_INT(refs(1), 1);
    CHECK_EQ_INT(refs(2), 1);
    tracked half = track(-1, (uint64_t)(uintptr_t)obj(5), 3); /* word 1 is data, not a ref */
    CHECK_OK(gort_chan_try_send(c, &half));
    CHECK_EQ_INT(tracked_state.retains, 3);
    CHECK_EQ_INT(refs(5), 0);
    CHECK_OK(gort_chan_send(c, NULL)); /* the zero value: nothing to retain */
    CHECK_EQ_INT(tracked_state.retains, 3);

    tracked got;
    int ok = 0;
    CHECK_OK(gort_chan_recv(c, &got, &ok));
    CHECK_EQ_MEM(&got, &v, sizeof v);
    CHECK_EQ_INT(tracked_state.retains, 3);
    CHECK_EQ_INT(tracked_state.releases, 0);
    CHECK_EQ_INT(refs(1), 1); /* now ours */
    gort_value_drop(type, &got);
    CHECK_EQ_INT(refs(1), 0);
    CHECK_OK(gort_chan_try_recv(c, &got, &ok));
    CHECK_EQ_MEM(&got, &half, sizeof half);
    gort_value_drop(type, &got);
    CHECK_OK(gort_chan_recv_timeout(c, &got, &ok, 0));
    CHECK_TRUE(all_zero(&got, sizeof got));
    CHECK_EQ_INT(ok, 1);
    CHECK_TRUE(tracked_balanced());

    /* direct handoff: receiver parked first */
    gort_chan *u = new_chan(type, 0);
    op_thread receiver;
    op_recv(&receiver, u);
    settle();
    tracked w = track(10, 11, 12);
    CHECK_OK(gort_chan_send(u, &w));
    op_join(&receiver);
    CHECK_EQ_MEM(receiver.value, &w, sizeof w);
    CHECK_EQ_INT(refs(10), 1);
    CHECK_EQ_INT(refs(12), 1);
    CHECK_EQ_INT(tracked_state.releases, 3);
    gort_value_drop(type, receiver.value);
    CHECK_TRUE(tracked_balanced());
    /* and sender parked first */
    op_start(&receiver, u, OP_SEND, &w, sizeof w);
    settle();
    CHECK_OK(gort_chan_recv(u, &got, &ok));
    op_join(&receiver);
    CHECK_OK(receiver.status);
    CHECK_EQ_INT(refs(10), 1);
    gort_value_drop(type, &got);
    CHECK_TRUE(tracked_balanced());
    gort_chan_release(u);
    gort_chan_release(c);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);
}

/* A receive into NULL discards the value: its reference is released (str: bytes freed),
 * by every kind of receive, buffered or handed off. */
TEST(receive_into_null_discards_and_drops_the_value)
{
    gort_type *type = tracked_type();
    gort_chan *c = new_chan(type, 3);
    for (int i = 0; i < 3; i++) {
        tracked v = track(i, (uint64_t)i, 10 + i);
        CHECK_OK(gort_chan_send(c, &v));
    }
    int ok = -1;
    CHECK_OK(gort_chan_recv(c, NULL, &ok));
    CHECK_EQ_INT(ok, 1);
    CHECK_EQ_INT(refs(0), 0);
    CHECK_EQ_INT(refs(10), 0);
    CHECK_OK(gort_chan_try_recv(c, NULL, NULL));
    CHECK_OK(gort_chan_recv_timeout(c, NULL, &ok, SECONDS));
    CHECK_TRUE(tracked_balanced());
    gort_chan_release(c);

    gort_chan *u = new_chan(type, 0);
    op_thread sender;
    tracked v = track(20, 0, 21);
    op_start(&sender, u, OP_SEND, &v, sizeof v);
    CHECK_OK(gort_chan_recv(u, NULL, NULL));
    op_join(&sender);
    CHECK_OK(sender.status);
    CHECK_TRUE(tracked_balanced());
    op_thread receiver;
    op_recv_discard(&receiver, u); /* the receiver parks first: a direct handoff */
    settle();
    v = track(22, 0, 23);
    long retains = tracked_state.retains;
    CHECK_OK(gort_chan_send(u, &v));
    op_join(&receiver);
    CHECK_OK(receiver.status);
    CHECK_EQ_INT(receiver.ok, 1);
    CHECK_EQ_INT(tracked_state.retains, retains + 2);
    CHECK_TRUE(tracked_balanced());
    gort_chan_release(u);
    gort_type_release(type);

    uint64_t blocks = live_blocks(NULL);
    gort_chan *s = new_chan(str_type(), 2);
    gort_str text = str_of("discard me");
    CHECK_OK(gort_chan_send(s, &text));
    CHECK_OK(gort_chan_send(s, &text));
    CHECK_OK(gort_chan_recv(s, NULL, NULL));
    CHECK_OK(gort_chan_try_recv(s, NULL, NULL));
    gort_chan_release(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* Values still buffered when the last reference goes are dropped: hooks balanced, str
 * bytes freed, closed or not. */
TEST(buffered_values_are_dropped_by_the_last_release)
{
    for (int closed = 0; closed < 2; closed++) {
        gort_type *type = tracked_type();
        gort_chan *c = new_chan(type, 8);
        for (int i = 0; i < 5; i++) {
            tracked v = track(i, (uint64_t)i, i + 1);
            CHECK_OK(gort_chan_send(c, &v));
        }
        tracked got;
        CHECK_OK(gort_chan_recv(c, &got, NULL)); /* the ring does not start at slot 0 */
        gort_value_drop(type, &got);
        for (int i = 0; i < 4; i++) {
            tracked v = track(i + 20, 0, -1);
            CHECK_OK(gort_chan_send(c, &v)); /* wraps around */
        }
        CHECK_EQ_SIZE(gort_chan_len(c), 8);
        if (closed)
            CHECK_OK(gort_chan_close(c));
        CHECK_TRUE(!tracked_balanced());
        gort_chan_release(c);
        CHECK_TRUE(tracked_balanced());
        gort_type_release(type);
    }
    uint64_t blocks = live_blocks(NULL);
    gort_chan *s = new_chan(str_type(), 5);
    for (int i = 0; i < 5; i++) {
        char text[32];
        gort_str v = {text, (size_t)snprintf(text, sizeof text, "buffered string %d", i)};
        CHECK_OK(gort_chan_send(s, &v));
    }
    CHECK_TRUE(live_blocks(NULL) > blocks);
    gort_chan_release(s);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* A str channel owns a private copy of the bytes: the caller may scribble over or free
 * its buffer right after the send. Empty strings and embedded NULs survive. */
TEST(str_channel_owns_copies_of_the_bytes)
{
    uint64_t blocks = live_blocks(NULL);
    gort_chan *c = new_chan(str_type(), 4);
    char *heap_text = malloc(16);
    memcpy(heap_text, "on the heap", 12);
    gort_str a = {heap_text, 11};
    CHECK_OK(gort_chan_send(c, &a));
    memset(heap_text, 'X', 16);
    free(heap_text);
    char stack_text[8] = {'a', 0, 'b', 0, 'c'};
    gort_str b = {stack_text, 5};
    CHECK_OK(gort_chan_send(c, &b));
    memset(stack_text, 0, sizeof stack_text);
    gort_str empty = {"", 0}, none = {NULL, 0};
    CHECK_OK(gort_chan_send(c, &empty));
    CHECK_OK(gort_chan_send(c, &none));

    gort_str got;
    int ok = 0;
    CHECK_OK(gort_chan_recv(c, &got, &ok));
    str_is(got, "on the heap");
    gort_value_drop(str_type(), &got);
    CHECK_OK(gort_chan_recv(c, &got, &ok));
    CHECK_TRUE(got.ptr != stack_text);
    CHECK_EQ_SIZE(got.len, 5);
    CHECK_EQ_MEM(got.ptr, "a\0b\0c", 5);
    gort_value_drop(str_type(), &got);
    CHECK_OK(gort_chan_recv(c, &got, &ok));
    CHECK_EQ_SIZE(got.len, 0);
    gort_value_drop(str_type(), &got);
    CHECK_OK(gort_chan_recv(c, &got, &ok));
    CHECK_EQ_SIZE(got.len, 0);
    gort_value_drop(str_type(), &got);

    /* a handoff to a parked receiver copies too */
    gort_chan *u = new_chan(str_type(), 0);
    op_thread receiver;
    op_recv(&receiver, u);
    settle();
    char text[] = "handed off";
    gort_str h = {text, 10};
    CHECK_OK(gort_chan_send(u, &h));
    memset(text, '?', 10);
    op_join(&receiver);
    memcpy(&got, receiver.value, sizeof got);
    str_is(got, "handed off");
    gort_value_drop(str_type(), &got);
    gort_chan_release(u);
    gort_chan_release(c);
    CHECK_EQ_U64(live_blocks(NULL), blocks);
}

/* ---- scan ---------------------------------------------------------------------------- */

typedef struct scan_log {
    int visits;
    void *seen[16];
    void *replace_from, *replace_to;
} scan_log;

static void log_visit(void **slot, void *ctx)
{
    scan_log *log = ctx;
    if (log->visits < 16)
        log->seen[log->visits] = *slot;
    log->visits++;
    if (log->replace_from && *slot == log->replace_from)
        *slot = log->replace_to;
}

static bool log_saw(const scan_log *log, void *p)
{
    for (int i = 0; i < log->visits && i < 16; i++)
        if (log->seen[i] == p)
            return true;
    return false;
}

/* gort_chan_scan visits exactly the non-NULL pointer words of the buffered values (not
 * data words that look like pointers, not values held by parked senders), and a visitor
 * may update a slot. */
TEST(scan_visits_the_pointer_words_of_buffered_values)
{
    gort_type *type = tracked_type();
    gort_chan *c = new_chan(type, 4);
    scan_log log = {0};
    CHECK_OK(gort_chan_scan(c, log_visit, &log));
    CHECK_EQ_INT(log.visits, 0);
    tracked values[3] = {track(1, 5, 2), track(-1, (uint64_t)(uintptr_t)obj(9), 3),
                         track(4, 7, -1)};
    for (int i = 0; i < 3; i++)
        CHECK_OK(gort_chan_send(c, &values[i]));
    CHECK_OK(gort_chan_scan(c, log_visit, &log));
    CHECK_EQ_INT(log.visits, 4);
    CHECK_TRUE(log_saw(&log, obj(1)) && log_saw(&log, obj(2)) && log_saw(&log, obj(3)) &&
               log_saw(&log, obj(4)));
    CHECK_TRUE(!log_saw(&log, obj(9)));
    tracked got;
    CHECK_OK(gort_chan_recv(c, &got, NULL)); /* scan follows the ring, not slot 0.. */
    gort_value_drop(type, &got);
    log = (scan_log){0};
    CHECK_OK(gort_chan_scan(c, log_visit, &log));
    CHECK_EQ_INT(log.visits, 2);
    gort_chan_release(c);
    CHECK_TRUE(tracked_balanced());

    gort_chan *u = new_chan(type, 0);
    op_thread sender;
    op_start(&sender, u, OP_SEND, &values[0], sizeof values[0]);
    settle();
    log = (scan_log){0};
    CHECK_OK(gort_chan_scan(u, log_visit, &log));
    CHECK_EQ_INT(log.visits, 0);
    CHECK_OK(gort_chan_recv(u, NULL, NULL));
    op_join(&sender);
    gort_chan_release(u);
    CHECK_TRUE(tracked_balanced());
    gort_type_release(type);

    gort_chan *p = new_chan(ptr_type(), 3);
    void *words[3] = {obj(5), NULL, obj(6)};
    for (int i = 0; i < 3; i++)
        CHECK_OK(gort_chan_send(p, &words[i]));
    log = (scan_log){.replace_from = obj(5), .replace_to = obj(7)};
    CHECK_OK(gort_chan_scan(p, log_visit, &log));
    CHECK_EQ_INT(log.visits, 2);
    void *w = NULL;
    CHECK_OK(gort_chan_recv(p, &w, NULL));
    CHECK_EQ_PTR(w, obj(7)); /* the visitor moved it */
    gort_chan_release(p);

    gort_chan *plain = new_i64_chan(2);
    send_i64(plain, (int64_t)(intptr_t)obj(1));
    log = (scan_log){0};
    CHECK_OK(gort_chan_scan(plain, log_visit, &log));
    CHECK_EQ_INT(log.visits, 0);
    CHECK_STATUS(gort_chan_scan(NULL, log_visit, &log), GORT_EINVAL);
    CHECK_STATUS(gort_chan_scan(plain, NULL, &log), GORT_EINVAL);
    gort_chan_release(plain);
}

/* ---- pollable fds -------------------------------------------------------------------- */

static int readable(int fd, int timeout_ms)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    int n = poll(&pfd, 1, timeout_ms);
    return n == 1 && (pfd.revents & POLLIN);
}

static int chan_fd(gort_chan *c, int dir)
{
    int fd = -1;
    CHECK_OK(gort_chan_fd(c, dir, &fd));
    CHECK_TRUE(fd >= 0);
    int again = -2;
    CHECK_OK(gort_chan_fd(c, dir, &again));
    CHECK_EQ_INT(again, fd); /* the same fd every call */
    return fd;
}

/* The RECV fd is readable exactly while a receive would not block: not on an empty
 * channel, yes after a send, no again once it is received, and forever after close. */
TEST(recv_fd_is_readable_exactly_while_a_receive_would_not_block)
{
    gort_chan *c = new_i64_chan(2);
    int fd = chan_fd(c, GORT_CHAN_RECV_READY);
    CHECK_TRUE(!readable(fd, 0));
    send_i64(c, 1);
    CHECK_TRUE(readable(fd, 0));
    CHECK_TRUE(readable(fd, 0)); /* level-triggered: polling does not consume it */
    send_i64(c, 2);
    CHECK_TRUE(readable(fd, 0));
    recv_i64(c);
    CHECK_TRUE(readable(fd, 0));
    recv_i64(c);
    CHECK_TRUE(!readable(fd, 0));
    CHECK_STATUS(gort_chan_try_recv(c, NULL, NULL), GORT_EAGAIN);
    CHECK_TRUE(!readable(fd, 0));
    send_i64(c, 3);
    CHECK_OK(gort_chan_close(c));
    CHECK_TRUE(readable(fd, 0));
    recv_i64(c);
    for (int i = 0; i < 3; i++) {
        CHECK_TRUE(readable(fd, 0));
        int ok = -1;
        CHECK_OK(gort_chan_recv(c, NULL, &ok));
        CHECK_EQ_INT(ok, 0);
    }
    gort_chan_release(c);
}

/* The SEND fd is readable while the buffer has room, not when it is full, and after
 * close (a send would fail at once). */
TEST(send_fd_is_readable_exactly_while_a_send_would_not_block)
{
    gort_chan *c = new_i64_chan(2);
    int fd = chan_fd(c, GORT_CHAN_SEND_READY);
    CHECK_TRUE(readable(fd, 0));
    send_i64(c, 1);
    CHECK_TRUE(readable(fd, 0));
    send_i64(c, 2);
    CHECK_TRUE(!readable(fd, 0));
    CHECK_STATUS(gort_chan_try_send(c, &(int64_t){3}), GORT_EAGAIN);
    CHECK_TRUE(!readable(fd, 0));
    recv_i64(c);
    CHECK_TRUE(readable(fd, 0));
    send_i64(c, 4);
    CHECK_TRUE(!readable(fd, 0));
    CHECK_OK(gort_chan_close(c));
    CHECK_TRUE(readable(fd, 0));
    gort_chan_release(c);

    /* an fd created after the state was reached reports it too */
    c = new_i64_chan(1);
    send_i64(c, 1);
    CHECK_TRUE(!readable(chan_fd(c, GORT_CHAN_SEND_READY), 0));
    CHECK_TRUE(readable(chan_fd(c, GORT_CHAN_RECV_READY), 0));
    gort_chan_release(c);
}

/* On an unbuffered channel readiness means a parked partner: the RECV fd becomes
 * readable when a sender waits (waking a blocked poll), the SEND fd when a receiver
 * waits; both go quiet again once the partner is served. */
TEST(unbuffered_fds_report_parked_partners_and_wake_poll)
{
    gort_chan *c = new_i64_chan(0);
    int rfd = chan_fd(c, GORT_CHAN_RECV_READY), sfd = chan_fd(c, GORT_CHAN_SEND_READY);
    CHECK_TRUE(rfd != sfd);
    CHECK_TRUE(!readable(rfd, 0));
    CHECK_TRUE(!readable(sfd, 0));

    op_thread sender;
    op_start_full(&sender, c, OP_SEND, &(int64_t){5}, 8, -1, 30);
    int64_t start = now_ns();
    CHECK_TRUE(readable(rfd, 20000));
    CHECK_TRUE(now_ns() - start < 20 * SECONDS);
    CHECK_TRUE(!readable(sfd, 0));
    CHECK_EQ_INT(recv_i64(c), 5);
    op_join(&sender);
    CHECK_TRUE(!readable(rfd, 0));

    op_thread receiver;
    op_start_full(&receiver, c, OP_RECV, NULL, 0, -1, 30);
    CHECK_TRUE(readable(sfd, 20000));
    CHECK_TRUE(!readable(rfd, 0));
    CHECK_OK(gort_chan_try_send(c, &(int64_t){6}));
    op_join(&receiver);
    CHECK_EQ_INT(op_i64(&receiver), 6);
    CHECK_TRUE(!readable(sfd, 0));

    /* a buffered send wakes a poll on the RECV fd as well */
    gort_chan *b = new_i64_chan(1);
    int bfd = chan_fd(b, GORT_CHAN_RECV_READY);
    op_start_full(&sender, b, OP_SEND, &(int64_t){7}, 8, -1, 30);
    CHECK_TRUE(readable(bfd, 20000));
    op_join(&sender);
    CHECK_EQ_INT(recv_i64(b), 7);
    CHECK_TRUE(!readable(bfd, 0));
    gort_chan_release(b);

    CHECK_OK(gort_chan_close(c));
    CHECK_TRUE(readable(rfd, 0));
    CHECK_TRUE(readable(sfd, 0));
    gort_chan_release(c);
}

/* The fds belong to the channel and are closed with its last release; bad directions and
 * NULLs are refused. */
TEST(fds_are_closed_with_the_channel_and_bad_directions_refused)
{
    gort_chan *c = new_i64_chan(1);
    int rfd = chan_fd(c, GORT_CHAN_RECV_READY), sfd = chan_fd(c, GORT_CHAN_SEND_READY);
    CHECK_TRUE(fcntl(rfd, F_GETFD) != -1);
    int out = -7;
    CHECK_STATUS(gort_chan_fd(c, 0, &out), GORT_EINVAL);
    CHECK_STATUS(gort_chan_fd(c, 3, &out), GORT_EINVAL);
    CHECK_STATUS(gort_chan_fd(c, -1, &out), GORT_EINVAL);
    CHECK_STATUS(gort_chan_fd(c, GORT_CHAN_RECV_READY | GORT_CHAN_SEND_READY, &out),
                 GORT_EINVAL);
    CHECK_EQ_INT(out, -7);
    CHECK_STATUS(gort_chan_fd(c, GORT_CHAN_RECV_READY, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_chan_fd(NULL, GORT_CHAN_RECV_READY, &out), GORT_EINVAL);
    gort_chan *extra = gort_chan_retain(c);
    CHECK_EQ_PTR(extra, c);
    gort_chan_release(c);
    CHECK_TRUE(fcntl(rfd, F_GETFD) != -1); /* one reference left */
    gort_chan_release(extra);
    errno = 0;
    CHECK_EQ_INT(fcntl(rfd, F_GETFD), -1);
    CHECK_EQ_INT(errno, EBADF);
    errno = 0;
    CHECK_EQ_INT(fcntl(sfd, F_GETFD), -1);
    CHECK_EQ_INT(errno, EBADF);
}

/* ---- large values, allocation, hooks that use the channel ---------------------------- */

struct big_args {
    gort_chan *chan;
    big_value *value; /* SEND: what to send; RECV: where to receive */
    long delay_ms;
    int status, ok;
};

static void *send_big(void *arg)
{
    struct big_args *a = arg;
    sleep_ms(a->delay_ms);
    a->status = gort_chan_send(a->chan, a->value);
    return NULL;
}

static void *recv_big(void *arg)
{
    struct big_args *a = arg;
    sleep_ms(a->delay_ms);
    a->status = gort_chan_recv(a->chan, a->value, &a->ok);
    return NULL;
}

/* Values of 4 KiB with pointer words at both ends go through the buffer, direct
 * handoffs both ways, scan and release intact, hooks balanced. */
TEST(large_hooked_values_pass_through_intact)
{
    gort_type *type = big_type();
    gort_chan *c = new_chan(type, 3);
    static big_value v, got;
    for (int i = 0; i < 3; i++) {
        big_fill(&v, i, (uint64_t)i, 10 + i);
        CHECK_OK(gort_chan_send(c, &v));
    }
    CHECK_EQ_INT(shared_net(), 6);
    scan_log log = {0};
    CHECK_OK(gort_chan_scan(c, log_visit, &log));
    CHECK_EQ_INT(log.visits, 6);
    CHECK_TRUE(log_saw(&log, obj(0)) && log_saw(&log, obj(12)));
    CHECK_OK(gort_chan_recv(c, &got, NULL));
    big_is(&got, 0, 0, 10);
    gort_value_drop(type, &got);
    CHECK_OK(gort_chan_recv(c, NULL, NULL));
    CHECK_EQ_INT(shared_net(), 2);
    gort_chan_release(c); /* drops the third */
    CHECK_TRUE(shared_balanced());

    gort_chan *u = new_chan(type, 0);
    static big_value sent, received;
    big_fill(&sent, 20, 77, 21);
    /* a receiver parked first, then a sender parked first */
    for (int sender_first = 0; sender_first < 2; sender_first++) {
        memset(&received, 0xEE, sizeof received);
        struct big_args sender = {u, &sent, sender_first ? 0 : 30, 12345, -1};
        struct big_args receiver = {u, &received, sender_first ? 30 : 0, 12345, -1};
        pthread_t threads[2];
        CHECK_EQ_INT(pthread_create(&threads[0], NULL, send_big, &sender), 0);
        CHECK_EQ_INT(pthread_create(&threads[1], NULL, recv_big, &receiver), 0);
        pthread_join(threads[0], NULL);
        pthread_join(threads[1], NULL);
        CHECK_OK(sender.status);
        CHECK_OK(receiver.status);
        CHECK_EQ_INT(receiver.ok, 1);
        big_is(&received, 20, 77, 21);
        CHECK_EQ_INT(shared_state.refs[20], 1);
        gort_value_drop(type, &received);
        CHECK_TRUE(shared_balanced());
    }
    gort_chan_release(u);
    gort_type_release(type);
}

/* chan.h: a send fails with ENOMEM only "if copying a string's bytes fails", so sends and
 * receives of other values, hooked and large ones included, allocate nothing — except a
 * discarding receive of a reference-owning value over 1 KiB, which needs one temporary
 * (the value is dropped after the lock is released). */
TEST(sends_and_receives_of_non_string_values_allocate_nothing)
{
    gort_type *types[3] = {i64_type(), tracked_type(), NULL};
    gort_chan *chans[3];
    chans[0] = new_chan(types[0], 2);
    chans[1] = new_chan(types[1], 2);
    types[2] = big_type();
    chans[2] = new_chan(types[2], 2);
    static big_value value, out;
    const char *names[3] = {"i64", "tracked (24 bytes)", "big (4 KiB, hooked)"};
    for (int k = 0; k < 3; k++) {
        big_fill(&value, 1, 1, 2);
        if (k == 1) { /* its head is the value sent on the narrower channels */
            tracked t = track(1, 1, 2);
            memcpy(&value, &t, sizeof t);
        }
        int warm = gort_chan_send_timeout(chans[k], &value, MS); /* per-thread set-up */
        CHECK_OK(warm);
        CHECK_OK(gort_chan_recv(chans[k], &out, NULL));
        gort_value_drop(types[k], &out);
        alloc_count_begin();
        CHECK_OK(gort_chan_send(chans[k], &value));
        CHECK_OK(gort_chan_try_send(chans[k], &value));
        CHECK_STATUS(gort_chan_send_timeout(chans[k], &value, MS), GORT_ETIMEDOUT);
        CHECK_OK(gort_chan_recv(chans[k], &out, NULL));
        CHECK_OK(gort_chan_try_recv(chans[k], NULL, NULL));
        long allocations = alloc_count_end();
        if (!CHECK_EQ_INT(allocations, k == 2 ? 1 : 0))
            printf("#   element type %s\n", names[k]);
        gort_value_drop(types[k], &out);
        gort_chan_release(chans[k]);
    }
    CHECK_TRUE(tracked_balanced());
    CHECK_TRUE(shared_balanced());
    gort_type_release(types[1]);
    gort_type_release(types[2]);
}

/* Waits up to 5 s for t; a thread still stuck (deadlocked) is detached and reported. */
static bool op_finishes(op_thread *t)
{
    for (int i = 0; i < 500 && !op_done(t); i++)
        sleep_ms(10);
    if (op_done(t)) {
        op_join(t);
        return true;
    }
    pthread_detach(t->thread);
    return false;
}

/* chan.h restricts only scan's visitor from calling into the channel; the retain and
 * release hooks carry no such rule (a binding's Py_DecRef may run arbitrary code), so a
 * value dropped because its receiver discards it must be released outside the channel's
 * lock: a release hook that uses the same channel must not deadlock. Three drops: a
 * receive into NULL from the buffer, from a parked sender, and a send to a parked
 * discarding receiver. (A deadlock fails the test after 5 s and leaves a thread
 * stuck.) */
TEST(a_release_hook_may_call_into_the_channel_it_runs_for)
{
    gort_type *type = reentrant_type();
    static const char *const paths[3] = {"receive into NULL from the buffer",
                                         "receive into NULL from a parked sender",
                                         "send to a parked discarding receiver"};
    for (int path = 0; path < 3; path++) {
        gort_chan *c = new_chan(type, path == 0 ? 1 : 0);
        void *value = obj(1);
        __atomic_store_n(&reentry_status, 12345, __ATOMIC_RELAXED);
        __atomic_store_n(&reentered_chan, c, __ATOMIC_RELEASE);
        static op_thread threads[3], partners[3]; /* a stuck thread keeps using its record */
        op_thread *tp = &threads[path], *pp = &partners[path];
        bool finished;
        if (path == 0) {
            CHECK_OK(gort_chan_send(c, &value));
            op_recv_discard(tp, c);
            finished = op_finishes(tp);
        } else if (path == 1) {
            op_start(pp, c, OP_SEND, &value, sizeof value);
            settle();
            op_recv_discard(tp, c);
            finished = op_finishes(tp);
            if (finished)
                op_join(pp);
        } else {
            op_recv_discard(pp, c);
            settle();
            op_start(tp, c, OP_SEND, &value, sizeof value);
            finished = op_finishes(tp);
            if (finished)
                op_join(pp);
        }
        __atomic_store_n(&reentered_chan, NULL, __ATOMIC_RELEASE);
        if (!CHECK_TRUE(finished)) {
            printf("#   deadlocked: %s (the release hook ran under the channel lock)\n",
                   paths[path]);
            continue; /* c's lock is held by the stuck thread: leak it */
        }
        CHECK_OK(tp->status);
        CHECK_OK(__atomic_load_n(&reentry_status, __ATOMIC_ACQUIRE));
        gort_chan_release(c);
    }
    gort_type_release(type);
}

/* ---- handles, heaps, descriptors ----------------------------------------------------- */

struct holder_args {
    gort_chan *chan; /* a reference of the thread's own */
    int64_t count, sum;
    int failures;
};

static void *hold_and_send(void *arg)
{
    struct holder_args *a = arg;
    sleep_ms(10);
    for (int64_t i = 1; i <= a->count; i++)
        a->failures += gort_chan_send(a->chan, &i) != GORT_OK;
    a->failures += gort_chan_close(a->chan) != GORT_OK;
    gort_chan_release(a->chan);
    return NULL;
}

static void *hold_and_receive(void *arg)
{
    struct holder_args *a = arg;
    for (;;) {
        int64_t v = 0;
        int ok = 0;
        if (gort_chan_recv(a->chan, &v, &ok) != GORT_OK) {
            a->failures++;
            break;
        }
        if (!ok)
            break;
        a->sum += v;
        a->count++;
    }
    gort_chan_release(a->chan);
    return NULL;
}

/* Reference counting: the creator may release its reference while threads that retained
 * the channel still use it; the last release, on whichever thread, frees it. */
TEST(channel_outlives_its_creator_while_retained)
{
    uint64_t blocks = live_blocks(NULL);
    for (int round = 0; round < 10; round++) {
        gort_chan *c = new_i64_chan(round % 3);
        struct holder_args producer = {gort_chan_retain(c), 100, 0, 0};
        struct holder_args consumer = {gort_chan_retain(c), 0, 0, 0};
        gort_chan_release(c);
        pthread_t threads[2];
        CHECK_EQ_INT(pthread_create(&threads[0], NULL, hold_and_send, &producer), 0);
        CHECK_EQ_INT(pthread_create(&threads[1], NULL, hold_and_receive, &consumer), 0);
        pthread_join(threads[0], NULL);
        pthread_join(threads[1], NULL);
        CHECK_EQ_INT(producer.failures, 0);
        CHECK_EQ_INT(consumer.failures, 0);
        CHECK_EQ_INT(consumer.count, 100);
        CHECK_EQ_INT(consumer.sum, 5050);
    }
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    CHECK_EQ_PTR(gort_chan_retain(NULL), NULL);
    gort_chan_release(NULL);
}

/* A channel made in a private heap allocates there and returns everything on release. */
TEST(channel_lives_in_the_heap_it_was_made_in)
{
    gort_heap *heap = NULL;
    CHECK_OK(gort_heap_create(&heap));
    gort_type *type = tracked_type();
    gort_chan *a = NULL, *b = NULL;
    CHECK_OK(gort_chan_create(i64_type(), 100, heap, &a));
    CHECK_OK(gort_chan_create(type, 100, heap, &b));
    CHECK_TRUE(live_blocks(heap) >= 2);
    send_i64(a, 1);
    tracked v = track(1, 1, 1);
    CHECK_OK(gort_chan_send(b, &v));
    gort_chan_release(a);
    gort_chan_release(b);
    CHECK_EQ_U64(live_blocks(heap), 0);
    CHECK_TRUE(tracked_balanced());
    CHECK_OK(gort_heap_destroy(heap, 0));
    gort_type_release(type);
}

/* The channel retains its element descriptor: it works after the creator's release of the
 * descriptor, elem_type returns it, and the last channel release frees it. */
TEST(channel_retains_its_element_descriptor)
{
    uint64_t blocks = live_blocks(NULL);
    gort_type *type = tracked_type();
    gort_chan *c = new_chan(type, 2);
    gort_type_release(type);
    CHECK_EQ_PTR(gort_chan_elem_type(c), type);
    CHECK_EQ_STR(gort_type_name(gort_chan_elem_type(c)), "tracked");
    tracked v = track(1, 2, 3);
    CHECK_OK(gort_chan_send(c, &v));
    gort_chan_release(c); /* drops the buffered value with the descriptor's hooks */
    CHECK_TRUE(tracked_balanced());
    CHECK_EQ_U64(live_blocks(NULL), blocks);
    gort_chan *i = new_i64_chan(0);
    CHECK_EQ_PTR(gort_chan_elem_type(i), i64_type());
    gort_chan_release(i);
    CHECK_EQ_PTR(gort_chan_elem_type(NULL), NULL);
}

/* expect_type: the same descriptor, or one with the same size, alignment, bitmap, hooks
 * and equality, passes; anything else is ETYPE. */
TEST(expect_type_accepts_only_matching_descriptors)
{
    gort_chan *i = new_i64_chan(1);
    CHECK_OK(gort_chan_expect_type(i, i64_type()));
    CHECK_STATUS(gort_chan_expect_type(i, gort_type_builtin(GORT_KIND_I32)), GORT_ETYPE);
    CHECK_STATUS(gort_chan_expect_type(i, str_type()), GORT_ETYPE);
    CHECK_STATUS(gort_chan_expect_type(i, NULL), GORT_EINVAL);
    CHECK_STATUS(gort_chan_expect_type(NULL, i64_type()), GORT_EINVAL);
    gort_chan_release(i);

    gort_type *type = tracked_type();
    gort_chan *t = new_chan(type, 1);
    CHECK_OK(gort_chan_expect_type(t, type));
    gort_type_desc desc = tracked_desc(tracked_retain, tracked_release, &tracked_state,
                                       "tracked twin");
    gort_type *twin = NULL;
    CHECK_OK(gort_type_create(&desc, &twin));
    CHECK_OK(gort_chan_expect_type(t, twin));
    gort_type_release(twin);

    gort_type_desc no_hooks = desc;
    no_hooks.retain = no_hooks.release = NULL;
    static const uint64_t other_bitmap[1] = {0x1};
    gort_type_desc other_bits = desc;
    other_bits.ptr_bitmap = other_bitmap;
    gort_type_desc bigger = desc;
    bigger.size = 32;
    const gort_type_desc *wrong[] = {&no_hooks, &other_bits, &bigger};
    for (size_t k = 0; k < 3; k++) {
        gort_type *other = NULL;
        CHECK_OK(gort_type_create(wrong[k], &other));
        CHECK_STATUS(gort_chan_expect_type(t, other), GORT_ETYPE);
        gort_type_release(other);
    }
    CHECK_STATUS(gort_chan_expect_type(t, i64_type()), GORT_ETYPE);
    gort_chan_release(t);
    gort_type_release(type);
}

/* ---- bad input ----------------------------------------------------------------------- */

/* Every function refuses NULL handles and out-pointers with EINVAL (getters give 0/NULL,
 * release and retain accept NULL), and a NULL value sends the zero value. */
TEST(null_arguments_are_refused_everywhere)
{
    gort_chan *sentinel = (gort_chan *)&sentinel, *c = sentinel;
    CHECK_STATUS(gort_chan_create(NULL, 1, NULL, &c), GORT_EINVAL);
    CHECK_STATUS(gort_chan_create(i64_type(), 1, NULL, NULL), GORT_EINVAL);
    CHECK_EQ_PTR(c, sentinel);

    int64_t v = 5;
    int ok = -1;
    CHECK_STATUS(gort_chan_send(NULL, &v), GORT_EINVAL);
    CHECK_STATUS(gort_chan_try_send(NULL, &v), GORT_EINVAL);
    CHECK_STATUS(gort_chan_send_timeout(NULL, &v, 0), GORT_EINVAL);
    CHECK_STATUS(gort_chan_send_timeout(NULL, &v, MS), GORT_EINVAL);
    CHECK_STATUS(gort_chan_recv(NULL, &v, &ok), GORT_EINVAL);
    CHECK_STATUS(gort_chan_try_recv(NULL, &v, &ok), GORT_EINVAL);
    CHECK_STATUS(gort_chan_recv_timeout(NULL, &v, &ok, 0), GORT_EINVAL);
    CHECK_STATUS(gort_chan_recv_timeout(NULL, &v, &ok, MS), GORT_EINVAL);
    CHECK_STATUS(gort_chan_close(NULL), GORT_EINVAL);
    CHECK_EQ_INT(v, 5);
    CHECK_EQ_INT(ok, -1);
    CHECK_EQ_SIZE(gort_chan_len(NULL), 0);
    CHECK_EQ_SIZE(gort_chan_cap(NULL), 0);
    CHECK_EQ_INT(gort_chan_is_closed(NULL), 0);
    CHECK_EQ_PTR(gort_chan_elem_type(NULL), NULL);
    CHECK_EQ_PTR(gort_chan_retain(NULL), NULL);
    gort_chan_release(NULL);

    /* NULL value: the zero value; NULL out and ok: allowed */
    gort_chan *s = new_chan(str_type(), 3);
    CHECK_OK(gort_chan_send(s, NULL));
    CHECK_OK(gort_chan_try_send(s, NULL));
    CHECK_OK(gort_chan_send_timeout(s, NULL, 0));
    gort_str got = {"junk", 4};
    CHECK_OK(gort_chan_recv(s, &got, &ok));
    CHECK_EQ_SIZE(got.len, 0);
    CHECK_EQ_INT(ok, 1);
    CHECK_OK(gort_chan_recv(s, NULL, NULL));
    CHECK_OK(gort_chan_try_recv(s, &got, NULL));
    gort_chan_release(s);
}

int main(void)
{
    static const harness_test tests[] = {
        TEST_ENTRY(recv_on_empty_and_send_on_full_block_for_caps_0_to_199),
        TEST_ENTRY(unbuffered_try_ops_succeed_only_with_a_parked_partner),
        TEST_ENTRY(unbuffered_send_waits_for_the_receiver),
        TEST_ENTRY(parked_receivers_are_served_in_arrival_order),
        TEST_ENTRY(parked_senders_follow_the_buffer_in_arrival_order),
        TEST_ENTRY(close_drains_the_buffer_in_order_then_zero_forever),
        TEST_ENTRY(closed_receive_writes_the_zero_value_of_every_type),
        TEST_ENTRY(close_wakes_every_blocked_receiver),
        TEST_ENTRY(close_fails_blocked_senders_and_retains_nothing_of_theirs),
        TEST_ENTRY(send_on_a_closed_channel_fails_in_every_form),
        TEST_ENTRY(closing_twice_fails_and_changes_nothing),
        TEST_ENTRY(one_producer_is_received_in_order_for_every_cap),
        TEST_ENTRY(four_producers_and_four_consumers_pass_each_value_once),
        TEST_ENTRY(len_counts_buffered_values_and_cap_is_the_buffer_size),
        TEST_ENTRY(absurd_capacities_are_refused),
        TEST_ENTRY(zero_size_buffered_channel_is_a_counting_semaphore),
        TEST_ENTRY(zero_size_unbuffered_channel_hands_off_tokens),
        TEST_ENTRY(zero_size_channel_accepts_a_huge_capacity),
        TEST_ENTRY(nonblocking_recv_racing_close_is_always_ready),
        TEST_ENTRY(polling_nonblocking_ops_meet_a_blocking_partner),
        TEST_ENTRY(a_parked_sender_delivers_its_stack_value_intact),
        TEST_ENTRY(writes_before_a_send_are_visible_after_the_receive),
        TEST_ENTRY(receives_happen_before_the_sends_they_make_room_for),
        TEST_ENTRY(close_happens_before_the_receive_it_wakes),
        TEST_ENTRY(prime_sieve_pipeline_finds_the_first_100_primes),
        TEST_ENTRY(daisy_chain_of_100_threads_passes_values_and_close),
        TEST_ENTRY(timed_ops_expire_after_at_least_the_timeout),
        TEST_ENTRY(zero_timeout_is_eagain_without_waiting),
        TEST_ENTRY(timed_ops_complete_when_the_partner_arrives),
        TEST_ENTRY(a_timed_out_waiter_leaves_no_trace),
        TEST_ENTRY(send_retains_once_and_receive_moves),
        TEST_ENTRY(receive_into_null_discards_and_drops_the_value),
        TEST_ENTRY(buffered_values_are_dropped_by_the_last_release),
        TEST_ENTRY(str_channel_owns_copies_of_the_bytes),
        TEST_ENTRY(large_hooked_values_pass_through_intact),
        TEST_ENTRY(sends_and_receives_of_non_string_values_allocate_nothing),
        TEST_ENTRY(a_release_hook_may_call_into_the_channel_it_runs_for),
        TEST_ENTRY(scan_visits_the_pointer_words_of_buffered_values),
        TEST_ENTRY(recv_fd_is_readable_exactly_while_a_receive_would_not_block),
        TEST_ENTRY(send_fd_is_readable_exactly_while_a_send_would_not_block),
        TEST_ENTRY(unbuffered_fds_report_parked_partners_and_wake_poll),
        TEST_ENTRY(fds_are_closed_with_the_channel_and_bad_directions_refused),
        TEST_ENTRY(channel_outlives_its_creator_while_retained),
        TEST_ENTRY(channel_lives_in_the_heap_it_was_made_in),
        TEST_ENTRY(channel_retains_its_element_descriptor),
        TEST_ENTRY(expect_type_accepts_only_matching_descriptors),
        TEST_ENTRY(null_arguments_are_refused_everywhere),
    };
    return harness_run(tests, HARNESS_COUNT(tests));
}
