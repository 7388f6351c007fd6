/*
 * select: Go's selectgo on OS threads.
 *
 *   1. Poll order: the cases with a channel, shuffled uniformly (inside-out
 *      Fisher-Yates); the first ready case in this order wins, so every ready case is
 *      equally likely. Cases with a NULL channel are left out: never ready.
 *   2. Lock order: the same cases sorted by channel address; channels are locked in
 *      that order (a duplicate is locked once), so concurrent selects cannot deadlock.
 *   3. Pass 1: commit the first ready case, unlock, wake its partner. It first visits
 *      the cases holding one lock at a time (pass 1a), which is all a ready select
 *      needs, and only if none was ready looks again with every lock held (pass 1b):
 *      that view is consistent, so a select takes `default` or waits only if at one
 *      instant no case was ready, as in Go.
 *   4. Otherwise (and if the caller will wait) pass 2: one waiter per case, all on this
 *      thread's stack, enqueued on every channel; unlock; park.
 *   5. Whoever claims the wait's done flag (a partner, a closer, or this thread on
 *      timeout) decides the outcome; pass 3 relocks everything and unlinks the waiters
 *      still queued, so nothing of this select stays behind after it returns.
 * A select never communicates with itself: pass 1 runs before its own waiters exist,
 * and once parked it polls nothing. Scratch space (orders, waiters, staged values) is on
 * the stack for up to SMALL_CASES cases; larger selects make one heap allocation.
 */
#include <string.h>

#include "chan.h"
#include "heap.h"
#include "internal.h"
#include "type.h"

enum { SMALL_CASES = 32, SMALL_STAGE_BYTES = 512, STAGE_ALIGN = 16 };

/* Scratch bytes per case before the stage: two order entries, a waiter, an elem. */
#define CASE_SCRATCH_BYTES (2 * sizeof(uint32_t) + sizeof(gort__waiter) + sizeof(void *))

typedef struct select_state {
    const gort_select_case *cases;
    uint32_t *poll_order;     /* n_order indices into cases, shuffled */
    uint32_t *lock_order;     /* the same, sorted by channel address */
    size_t n_order;
    gort__waiter *waiters;    /* one per entry of lock_order */
    void **elems;             /* per case: a send's staged value, a receive's destination */
    char *stage;              /* str copies to send, temporaries for discarding receives */
    bool owned;               /* some case's channel holds reference-owning values */
    gort__wait wait;
} select_state;

/* What pass 1 or a wake-up decided. */
typedef struct outcome {
    int status;      /* GORT_OK or GORT_ECLOSED */
    size_t index;    /* the case */
    bool recv_ok;
} outcome;

static gort_chan *chan_of(const select_state *s, uint32_t index)
{
    return s->cases[index].chan;
}

static bool is_send(const select_state *s, uint32_t index)
{
    return s->cases[index].op == GORT_SELECT_SEND;
}

/* ---- validation and scratch space ---- */

static int validate(const gort_select_case *cases, size_t n_cases, size_t *chosen)
{
    if (!chosen || (n_cases > 0 && !cases))
        return GORT_EINVAL;
    if (n_cases > GORT_SELECT_MAX_CASES)
        return GORT_ERANGE;
    for (size_t i = 0; i < n_cases; i++) {
        if ((cases[i].op != GORT_SELECT_SEND && cases[i].op != GORT_SELECT_RECV) ||
            cases[i].reserved != 0)
            return GORT_EINVAL;
    }
    return GORT_OK;
}

/* Stage bytes case i needs: a str copy for a send of a string, a temporary for a
 * receive that discards a reference-owning value (dropped after the locks are gone). */
static size_t stage_bytes_of(const gort_select_case *sc)
{
    const gort_chan *c = sc->chan;
    if (!c || !c->owns_refs)
        return 0;
    if (sc->op == GORT_SELECT_SEND)
        return sc->value && c->type->kind == GORT_KIND_STR
                   ? gort__align_up(sizeof(gort_str), STAGE_ALIGN) : 0;
    return sc->value ? 0 : gort__align_up(c->elem_size, STAGE_ALIGN);
}

/* The stage bytes of all cases; *owned: whether any case's channel owns references
 * (if none does, staging and unstaging have nothing to do). */
static size_t stage_bytes(const gort_select_case *cases, size_t n_cases, bool *owned)
{
    size_t bytes = 0;
    *owned = false;
    for (size_t i = 0; i < n_cases; i++) {
        *owned |= cases[i].chan && cases[i].chan->owns_refs;
        bytes += stage_bytes_of(&cases[i]);
    }
    return bytes;
}

static bool discards_owned(const select_state *s, size_t i)
{
    return !is_send(s, (uint32_t)i) && !s->cases[i].value && chan_of(s, (uint32_t)i)->owns_refs;
}

/* Bytes of the heap scratch block for a large select: the arrays, then the stage. */
static size_t scratch_bytes(size_t n_cases, size_t stage)
{
    size_t arrays = n_cases * CASE_SCRATCH_BYTES;
    return gort__align_up(arrays, STAGE_ALIGN) + stage;
}

static void carve_scratch(select_state *s, char *block, size_t n_cases)
{
    s->waiters = (gort__waiter *)block;
    s->elems = (void **)(s->waiters + n_cases);
    s->poll_order = (uint32_t *)(s->elems + n_cases);
    s->lock_order = s->poll_order + n_cases;
    s->stage = block + gort__align_up((size_t)((char *)(s->lock_order + n_cases) - block),
                                      STAGE_ALIGN);
}

/* ---- orders ---- */

/* 32 random bits at a time from one 64-bit draw: gort__random64 reaches its
 * thread-local state through __tls_get_addr (libgort may be dlopen()ed), which cost more
 * than the rest of a two-case shuffle. */
typedef struct random_bits {
    uint64_t bits;
    bool half_left;
} random_bits;

/* Uniform in [0, n), by Lemire's multiply-shift reduction of 32 random bits. */
static uint32_t random_below(random_bits *r, uint32_t n)
{
    if (n == 1)
        return 0;
    if (!r->half_left)
        r->bits = gort__random64();
    else
        r->bits >>= 32;
    r->half_left = !r->half_left;
    return (uint32_t)(((r->bits & UINT32_MAX) * n) >> 32);
}

static void shuffle_cases(select_state *s, size_t n_cases)
{
    random_bits r = {0, false};
    s->n_order = 0;
    for (uint32_t i = 0; i < n_cases; i++) {
        if (!s->cases[i].chan)
            continue;
        uint32_t j = random_below(&r, (uint32_t)s->n_order + 1);
        s->poll_order[s->n_order] = s->poll_order[j];
        s->poll_order[j] = i;
        s->n_order++;
    }
}

static bool chan_before(const select_state *s, uint32_t a, uint32_t b)
{
    return (uintptr_t)chan_of(s, a) < (uintptr_t)chan_of(s, b);
}

/* Heap sort's sift-down on lock_order[0..n). */
static void sift_down(select_state *s, size_t root, size_t n)
{
    uint32_t *order = s->lock_order;
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && chan_before(s, order[child], order[child + 1]))
            child++;
        if (!chan_before(s, order[root], order[child]))
            return;
        uint32_t tmp = order[root];
        order[root] = order[child];
        order[child] = tmp;
    }
}

/* lock_order = poll_order sorted by channel address: insertion sort for the usual few
 * cases, heap sort (O(n log n), no recursion) for many. */
static void sort_lock_order(select_state *s)
{
    size_t n = s->n_order;
    uint32_t *order = s->lock_order;
    memcpy(order, s->poll_order, n * sizeof *order);
    if (n <= SMALL_CASES) {
        for (size_t i = 1; i < n; i++) {
            uint32_t key = order[i];
            size_t j = i;
            for (; j > 0 && chan_before(s, key, order[j - 1]); j--)
                order[j] = order[j - 1];
            order[j] = key;
        }
        return;
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(s, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        uint32_t tmp = order[0];
        order[0] = order[end];
        order[end] = tmp;
        sift_down(s, 0, end);
    }
}

static void lock_all(const select_state *s)
{
    gort_chan *previous = NULL;
    for (size_t k = 0; k < s->n_order; k++) {
        gort_chan *c = chan_of(s, s->lock_order[k]);
        if (c != previous)
            gort__lock_acquire(&c->lock);
        previous = c;
    }
}

static void unlock_all(const select_state *s)
{
    for (size_t k = s->n_order; k-- > 0;) {
        gort_chan *c = chan_of(s, s->lock_order[k]);
        if (k == 0 || chan_of(s, s->lock_order[k - 1]) != c)
            gort__lock_release(&c->lock);
    }
}

/* ---- staging: send values and receive destinations ---- */

/* Gives back the references staged for the send cases among the first n of the poll
 * order, except case keep (the committed one, whose references moved on). */
static void unstage_sends(select_state *s, size_t n, size_t keep)
{
    if (!s->owned)
        return;
    for (size_t k = 0; k < n; k++) {
        uint32_t i = s->poll_order[k];
        if (i != keep && is_send(s, i))
            gort__unstage_value(chan_of(s, i), s->elems[i]);
    }
}

static void unstage_all_but(select_state *s, size_t keep)
{
    unstage_sends(s, s->n_order, keep);
}

/* Fills elems: each send's staged value (references taken now, outside any lock) and
 * each receive's destination (a stage temporary when it discards an owned value). */
static int prepare_elems(select_state *s)
{
    if (!s->owned) { /* nothing to stage: every case uses the caller's buffer */
        for (size_t k = 0; k < s->n_order; k++) {
            uint32_t i = s->poll_order[k];
            s->elems[i] = (void *)s->cases[i].value;
        }
        return GORT_OK;
    }
    char *next = s->stage;
    for (size_t k = 0; k < s->n_order; k++) {
        uint32_t i = s->poll_order[k];
        size_t bytes = stage_bytes_of(&s->cases[i]);
        if (!is_send(s, i)) {
            s->elems[i] = bytes ? next : s->cases[i].value;
        } else {
            const void *staged;
            int status = gort__stage_value(chan_of(s, i), s->cases[i].value,
                                           (gort_str *)(void *)next, &staged);
            if (status != GORT_OK) {
                unstage_sends(s, k, SIZE_MAX);
                return status;
            }
            s->elems[i] = (void *)staged;
        }
        next += bytes;
    }
    return GORT_OK;
}

/* ---- pass 1: commit the first ready case ---- */

static bool try_recv_case(select_state *s, uint32_t i, outcome *out, gort__waiter **wake)
{
    gort_chan *c = chan_of(s, i);
    void *dst = s->elems[i];
    gort__waiter *sender = gort__waitq_claim(c, &c->sendq);
    if (sender) {
        gort__recv_from_sender(c, sender, dst);
        *wake = sender;
    } else if (gort__atomic_load_relaxed(&c->count) > 0) {
        gort__buffer_take(c, dst);
    } else if (gort__atomic_load_relaxed(&c->closed)) {
        gort__zero_out(c, dst);
        *out = (outcome){GORT_OK, i, false};
        return true;
    } else {
        return false;
    }
    *out = (outcome){GORT_OK, i, true};
    return true;
}

static bool try_send_case(select_state *s, uint32_t i, outcome *out, gort__waiter **wake)
{
    gort_chan *c = chan_of(s, i);
    if (gort__atomic_load_relaxed(&c->closed)) {
        *out = (outcome){GORT_ECLOSED, i, false};
        return true;
    }
    gort__waiter *receiver = gort__waitq_claim(c, &c->recvq);
    if (receiver) {
        gort__send_to_receiver(c, receiver, s->elems[i]);
        *wake = receiver;
    } else if (gort__atomic_load_relaxed(&c->count) < c->cap) {
        gort__buffer_put(c, s->elems[i]);
    } else {
        return false;
    }
    *out = (outcome){GORT_OK, i, true};
    return true;
}

/* Pass 1a: the cases in poll order, each under its own channel's lock alone. A case
 * found ready is committed exactly as pass 1b would (the first ready case of a uniform
 * shuffle is a uniform choice among the ready ones), without taking the other locks,
 * which the producers of the other channels are contending for. A select that will wait
 * pays n lock pairs more; reading each channel's state before locking it (to skip the
 * ones not ready) measured 6% slower on chan_select2, whose cases are mostly ready: the
 * read fetches the contended line shared, and the lock must then fetch it again. */
static bool poll_each(select_state *s, outcome *out)
{
    for (size_t k = 0; k < s->n_order; k++) {
        uint32_t i = s->poll_order[k];
        gort_chan *c = chan_of(s, i);
        gort__waiter *wake = NULL;
        gort__lock_acquire(&c->lock);
        bool ready = is_send(s, i) ? try_send_case(s, i, out, &wake)
                                   : try_recv_case(s, i, out, &wake);
        if (ready)
            gort__chan_changed(c);
        gort__lock_release(&c->lock);
        if (ready) {
            if (wake)
                gort__wake(wake, true);
            return true;
        }
    }
    return false;
}

/* Pass 1b with every lock held. On success the locks are released and the partner
 * woken; on failure the locks are still held. */
static bool poll_cases(select_state *s, outcome *out)
{
    gort__waiter *wake = NULL;
    for (size_t k = 0; k < s->n_order; k++) {
        uint32_t i = s->poll_order[k];
        bool ready = is_send(s, i) ? try_send_case(s, i, out, &wake)
                                   : try_recv_case(s, i, out, &wake);
        if (ready) {
            gort__chan_changed(chan_of(s, i));
            unlock_all(s);
            if (wake)
                gort__wake(wake, true);
            return true;
        }
    }
    return false;
}

/* ---- passes 2 and 3: wait on every channel ---- */

static gort__waitq *queue_for(select_state *s, uint32_t i)
{
    gort_chan *c = chan_of(s, i);
    return is_send(s, i) ? &c->sendq : &c->recvq;
}

static void enqueue_all(select_state *s)
{
    gort__wait_init(&s->wait);
    for (size_t k = 0; k < s->n_order; k++) {
        uint32_t i = s->lock_order[k];
        gort__waiter *w = &s->waiters[k];
        *w = (gort__waiter){.wait = &s->wait, .chan = chan_of(s, i), .elem = s->elems[i],
                            .case_index = i, .is_send = is_send(s, i)};
        gort__waitq_push(queue_for(s, i), w);
        gort__chan_changed(w->chan);
    }
}

/* Unlinks every waiter still queued (all locks held). Every channel's fds are brought
 * up to date, queued or not: a partner may have unlinked one of ours without a
 * transfer on that channel. */
static void dequeue_all(select_state *s)
{
    for (size_t k = 0; k < s->n_order; k++) {
        gort__waiter *w = &s->waiters[k];
        gort__waitq_unlink(queue_for(s, (uint32_t)w->case_index), w);
        gort__chan_changed(w->chan);
    }
}

/* Parks until a partner or closer claims the select, or the deadline passes. Returns
 * false if it timed out and withdrew every waiter. Locks held on entry, not on exit. */
static bool wait_for_partner(select_state *s, int64_t deadline_ns)
{
    enqueue_all(s);
    unlock_all(s);
    bool woken = gort__park(&s->wait.parker, deadline_ns);
    lock_all(s);
    if (!woken && !gort__atomic_cas(&s->wait.done, 0, 1)) {
        /* Claimed just before the deadline: wait for the claimer's wake-up, which is
         * when its writes are complete. */
        unlock_all(s);
        gort__park_until_woken(&s->wait.parker);
        lock_all(s);
        woken = true;
    }
    dequeue_all(s);
    unlock_all(s);
    return woken;
}

static outcome outcome_of_wakeup(const select_state *s)
{
    const gort__waiter *winner = s->wait.winner;
    size_t i = winner->case_index;
    if (winner->is_send)
        return (outcome){s->wait.success ? GORT_OK : GORT_ECLOSED, i, s->wait.success};
    return (outcome){GORT_OK, i, s->wait.success};
}

/* ---- the entry point ---- */

static int run_select(select_state *s, size_t n_cases, int64_t timeout_ns, outcome *out)
{
    shuffle_cases(s, n_cases);
    if (s->n_order == 0) {
        if (timeout_ns == 0)
            return GORT_EAGAIN;
        gort__sleep_until(gort__deadline_after(timeout_ns)); /* never returns if < 0 */
        return GORT_ETIMEDOUT;
    }
    int status = prepare_elems(s);
    if (status != GORT_OK)
        return status;
    if (s->n_order > 1 && poll_each(s, out))
        return GORT_OK;
    sort_lock_order(s);
    lock_all(s);
    if (poll_cases(s, out))
        return GORT_OK;
    if (timeout_ns == 0) {
        unlock_all(s);
        unstage_all_but(s, SIZE_MAX);
        return GORT_EAGAIN;
    }
    if (!wait_for_partner(s, gort__deadline_after(timeout_ns))) {
        unstage_all_but(s, SIZE_MAX);
        return GORT_ETIMEDOUT;
    }
    *out = outcome_of_wakeup(s);
    return GORT_OK;
}

int gort_select(const gort_select_case *cases, size_t n_cases, int64_t timeout_ns,
                size_t *chosen, int *recv_ok)
{
    int status = validate(cases, n_cases, chosen);
    if (status != GORT_OK)
        return status;
    select_state s = {.cases = cases};
    size_t stage = stage_bytes(cases, n_cases, &s.owned);
    _Alignas(STAGE_ALIGN) char small[SMALL_CASES * CASE_SCRATCH_BYTES + STAGE_ALIGN +
                                     SMALL_STAGE_BYTES];
    _Static_assert(SMALL_CASES * 16 <= SMALL_STAGE_BYTES, "room to stage 32 strings");
    char *block = small;
    size_t block_bytes = scratch_bytes(n_cases, stage);
    if (n_cases > SMALL_CASES || stage > SMALL_STAGE_BYTES) {
        block = gort__alloc(NULL, block_bytes, STAGE_ALIGN);
        if (!block)
            return GORT_ENOMEM;
    }
    carve_scratch(&s, block, n_cases);
    outcome result = {GORT_OK, 0, false};
    status = run_select(&s, n_cases, timeout_ns, &result);
    if (status == GORT_OK) {
        /* The committed send's value now belongs to the channel or its receiver. */
        unstage_all_but(&s, result.status == GORT_OK ? result.index : SIZE_MAX);
        if (result.recv_ok && discards_owned(&s, result.index))
            gort__values_drop(chan_of(&s, (uint32_t)result.index)->type,
                              s.elems[result.index], 1);
        status = result.status;
        *chosen = result.index;
        if (recv_ok)
            *recv_ok = result.recv_ok;
    }
    if (block != small)
        gort__free(NULL, block, block_bytes, STAGE_ALIGN);
    return status;
}
