/*
 * Helpers shared by the channel test files (test_chan.c, test_select.c,
 * test_chan_stress.c): run-size scaling under sanitizers and Valgrind, time, int64
 * channels, and shared_tracked — the fixture's tracked type with atomic counters, for
 * hooks that run on several threads at once, and big_value, a 4 KiB element type with
 * those hooks.
 *
 * Each file defines SCALE_TSAN, SCALE_ASAN and SCALE_VALGRIND (the factors its
 * iteration counts are multiplied by in those runs) before including this header.
 * GORT_TEST_SCALE=x overrides them; GORT_TEST_VALGRIND=1 (or LD_PRELOAD naming
 * vgpreload) selects the Valgrind factor.
 */
#ifndef GORT_TEST_CHAN_FIXTURES_H
#define GORT_TEST_CHAN_FIXTURES_H

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "fixtures.h"

/* ---- scale, time --------------------------------------------------------------------- */

static double scale(void)
{
    static double factor = -1;
    if (factor < 0)
        factor = test_scale(SCALE_ASAN, SCALE_TSAN, SCALE_VALGRIND);
    return factor;
}

/* n scaled, at least `floor`. */
static long scaled(long n, long floor)
{
    long v = (long)((double)n * scale());
    return v < floor ? floor : v;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

#define MS ((int64_t)1000000)
#define SECONDS ((int64_t)1000000000)

/* Time for another thread to reach its blocking call and park. */
static void settle(void)
{
    sleep_ms(under_valgrind() ? 150 : 30);
}

/* ---- int64 channels ------------------------------------------------------------------ */

static gort_chan *new_chan(gort_type *type, int64_t cap)
{
    gort_chan *c = NULL;
    CHECK_OK(gort_chan_create(type, cap, NULL, &c));
    return c;
}

static gort_chan *new_i64_chan(int64_t cap)
{
    return new_chan(i64_type(), cap);
}

static void send_i64(gort_chan *c, int64_t v)
{
    CHECK_OK(gort_chan_send(c, &v));
}

/* Receives one value that must be there (ok 1). */
static int64_t recv_i64(gort_chan *c)
{
    int64_t v = -1;
    int ok = -1;
    CHECK_OK(gort_chan_recv(c, &v, &ok));
    CHECK_EQ_INT(ok, 1);
    return v;
}

/* ---- shared_tracked: tracked with atomic counters ------------------------------------ */

/* The fixture's tracked type counts with plain ints, which is right when one thread runs
 * the hooks at a time. Hooks run on the thread doing the operation (a sender stages its
 * clone on its own thread), so tests with several concurrent senders use this twin. */
static struct shared_tracked_state {
    int refs[TRACKED_OBJECTS];
    long retains, releases, errors;
} shared_state;

static int shared_index(void *ptr, void *ctx)
{
    ptrdiff_t i = (char *)ptr - tracked_objects;
    if (ctx != &shared_state || i < 0 || i >= TRACKED_OBJECTS) {
        __atomic_fetch_add(&shared_state.errors, 1, __ATOMIC_RELAXED);
        return -1;
    }
    return (int)i;
}

static void shared_retain(void *ptr, void *ctx)
{
    int i = shared_index(ptr, ctx);
    __atomic_fetch_add(&shared_state.retains, 1, __ATOMIC_RELAXED);
    if (i >= 0)
        __atomic_fetch_add(&shared_state.refs[i], 1, __ATOMIC_RELAXED);
}

static void shared_release(void *ptr, void *ctx)
{
    int i = shared_index(ptr, ctx);
    __atomic_fetch_add(&shared_state.releases, 1, __ATOMIC_RELAXED);
    if (i >= 0 && __atomic_fetch_sub(&shared_state.refs[i], 1, __ATOMIC_RELAXED) == 0)
        __atomic_fetch_add(&shared_state.errors, 1, __ATOMIC_RELAXED);
}

static gort_type *shared_tracked_type(void)
{
    memset(&shared_state, 0, sizeof shared_state);
    gort_type_desc desc = tracked_desc(shared_retain, shared_release, &shared_state,
                                       "shared tracked");
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

/* References the channel (or a receiver that has not dropped) still holds. */
static long shared_net(void)
{
    return __atomic_load_n(&shared_state.retains, __ATOMIC_ACQUIRE) -
           __atomic_load_n(&shared_state.releases, __ATOMIC_ACQUIRE);
}

static bool shared_balanced(void)
{
    for (int i = 0; i < TRACKED_OBJECTS; i++)
        if (__atomic_load_n(&shared_state.refs[i], __ATOMIC_ACQUIRE) != 0)
            return false;
    return shared_state.errors == 0 && shared_net() == 0;
}

/* Net references held through the fixture's tracked type. */
static long tracked_net(void)
{
    return tracked_state.retains - tracked_state.releases;
}

/* ---- big_value: a 4 KiB element with shared_tracked hooks ---------------------------- */

#define BIG_WORDS 512 /* a 4 KiB value: pointer words 0 and 511 */

typedef struct big_value {
    void *first;
    uint64_t data[BIG_WORDS - 2];
    void *last;
} big_value;

static const uint64_t big_bitmap[BIG_WORDS / 64] = {[0] = 1, [BIG_WORDS / 64 - 1] = 1ull << 63};

/* A 4 KiB element type with two pointer words and the shared_tracked hooks. */
static gort_type *big_type(void)
{
    memset(&shared_state, 0, sizeof shared_state);
    gort_type_desc desc = {
        .struct_size = sizeof desc,
        .size = sizeof(big_value),
        .align = _Alignof(big_value),
        .ptr_bitmap = big_bitmap,
        .ptr_words = BIG_WORDS,
        .retain = shared_retain,
        .release = shared_release,
        .ctx = &shared_state,
        .name = "big",
    };
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

static void big_fill(big_value *v, int first, uint64_t tag, int last)
{
    v->first = first < 0 ? NULL : obj(first);
    for (int i = 0; i < BIG_WORDS - 2; i++)
        v->data[i] = tag * 1000 + (uint64_t)i;
    v->last = last < 0 ? NULL : obj(last);
}

static bool big_is(const big_value *v, int first, uint64_t tag, int last)
{
    big_value want;
    big_fill(&want, first, tag, last);
    return CHECK_EQ_MEM(v, &want, sizeof want);
}

/* ---- a type whose release hook calls into a channel ---------------------------------- */

/* The hook scans reentered_chan (when set) and stores the status in reentry_status:
 * retain/release hooks may call into a channel (chan.h forbids it only to scan's
 * visitor), so a drop under the channel's lock would deadlock here. */
static gort_chan *reentered_chan; /* atomic */
static int reentry_status;        /* atomic: the hook's gort_chan_scan result */

static void ignore_visit(void **slot, void *ctx)
{
    (void)slot;
    (void)ctx;
}

static void reentrant_release(void *ptr, void *ctx)
{
    (void)ptr;
    (void)ctx;
    gort_chan *c = __atomic_load_n(&reentered_chan, __ATOMIC_ACQUIRE);
    if (c)
        __atomic_store_n(&reentry_status, gort_chan_scan(c, ignore_visit, NULL),
                         __ATOMIC_RELEASE);
}

static void noop_retain(void *ptr, void *ctx)
{
    (void)ptr;
    (void)ctx;
}

/* One pointer word with those hooks. */
static gort_type *reentrant_type(void)
{
    static const uint64_t one_pointer[1] = {1};
    gort_type_desc desc = {.struct_size = sizeof desc,
                           .size = 8,
                           .align = 8,
                           .ptr_bitmap = one_pointer,
                           .ptr_words = 1,
                           .retain = noop_retain,
                           .release = reentrant_release,
                           .name = "reentrant"};
    gort_type *type = NULL;
    CHECK_OK(gort_type_create(&desc, &type));
    return type;
}

#endif /* GORT_TEST_CHAN_FIXTURES_H */
