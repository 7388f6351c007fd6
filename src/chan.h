/*
 * Internal view of channels, shared by chan.c (send, receive, close) and select.c.
 *
 * A blocked operation is a gort__wait on its thread's stack; it owns one gort__waiter
 * per channel queue it sits in (one for send/recv, one per case for select). Whoever
 * completes the operation — a partner thread, a closer, or the blocked thread itself on
 * timeout — first wins the wait's `done` flag (CAS 0 -> 1), so exactly one outcome is
 * committed even when a select sits on many queues (Go's selectDone).
 */
#ifndef GORT_CHAN_INTERNAL_H
#define GORT_CHAN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "atomic.h"
#include "gort.h"
#include "park.h"

typedef struct gort__waiter gort__waiter;

/* One blocked operation (Go's g, for channel purposes). */
typedef struct gort__wait {
    gort__parker parker;
    gort__atomic done;     /* 0 until one outcome is claimed */
    gort__waiter *winner;  /* the waiter that completed it (set by the claimer) */
    bool success;          /* true: communicated; false: woken by close */
} gort__wait;

static inline void gort__wait_init(gort__wait *wait)
{
    gort__parker_init(&wait->parker);
    wait->done = 0;
    wait->winner = NULL;
    wait->success = false;
}

/* One entry in one channel's queue (Go's sudog). Fields other than wait and
 * case_index are protected by chan's lock. */
struct gort__waiter {
    gort__waiter *next, *prev;
    gort__wait *wait;
    gort_chan *chan;
    void *elem;          /* send: the value (owned copy if staged); recv: destination */
    size_t case_index;   /* select's case, 0 otherwise */
    bool queued;         /* linked into chan's sendq or recvq */
    bool is_send;
};

/* A FIFO of waiters. `first` is read without the lock by the fast paths, so it is an
 * atomic word (holding a gort__waiter *), written only under the lock. */
typedef struct gort__waitq {
    gort__atomic first;
    gort__waiter *last;
} gort__waitq;

struct gort_chan {
    gort__lock lock;        /* protects every field below but refs */
    gort__atomic count;     /* values buffered; read lock-free by len and fast paths */
    gort__atomic closed;    /* 0 or 1; read lock-free by the fast paths */
    gort__waitq recvq, sendq;
    size_t cap;
    size_t recv_index, send_index; /* ring positions, < cap */
    size_t elem_size;
    bool owns_refs;         /* values must be cloned on send and dropped when discarded */
    bool fds_active;        /* a pollable fd exists: keep it in step */
    int fds[2];             /* eventfds for RECV_READY and SEND_READY, -1 if none */
    bool fd_ready[2];       /* what each fd currently signals */
    gort_type *type;
    gort_heap *heap;
    size_t alloc_size, alloc_align;
    gort__atomic refs;
    char *buf;              /* cap slots, in the same allocation */
};

/* ---- queues (lock held) ---- */
void gort__waitq_push(gort__waitq *q, gort__waiter *w);
void gort__waitq_unlink(gort__waitq *q, gort__waiter *w);
static inline bool gort__waitq_empty(const gort__waitq *q)
{
    return gort__atomic_load_acquire(&q->first) == 0;
}

gort__waiter *gort__waitq_claim_first(gort_chan *c, gort__waitq *q);

/* Pops the first waiter whose operation this caller claims (CAS on wait->done),
 * dropping any whose operation is already claimed elsewhere. NULL if none. Inline:
 * an empty queue, the common case on a busy channel, costs one load. */
static inline gort__waiter *gort__waitq_claim(gort_chan *c, gort__waitq *q)
{
    return gort__waitq_empty(q) ? NULL : gort__waitq_claim_first(c, q);
}

/* ---- the steps of Go's chansend/chanrecv, each with c's lock held ---- */

/* A parked partner was claimed: the transfer is done (lock still held); the caller
 * unlocks, then calls gort__wake(w). */
void gort__send_to_receiver(gort_chan *c, gort__waiter *receiver, const void *value);
void gort__recv_from_sender(gort_chan *c, gort__waiter *sender, void *out);
/* Buffer operations; the caller has checked count < cap / count > 0. */
void gort__buffer_put(gort_chan *c, const void *value);
void gort__buffer_take(gort_chan *c, void *out);
/* Zero value for a receive from a closed, drained channel. */
void gort__zero_out(const gort_chan *c, void *out);
/* Re-signal the pollable fds after any state change (cheap when there are none). */
void gort__chan_changed(gort_chan *c);

static inline bool gort__chan_full(const gort_chan *c)
{
    return c->cap == 0 ? gort__waitq_empty(&c->recvq)
                       : gort__atomic_load_acquire(&c->count) == c->cap;
}

static inline bool gort__chan_empty(const gort_chan *c)
{
    return c->cap == 0 ? gort__waitq_empty(&c->sendq)
                       : gort__atomic_load_acquire(&c->count) == 0;
}

/* Wakes the owner of a claimed waiter, after the channel lock is released. */
static inline void gort__wake(gort__waiter *w, bool success)
{
    gort__wait *wait = w->wait;
    wait->winner = w;
    wait->success = success;
    gort__unpark(&wait->parker);
}

/* ---- staging: a send takes its references before any lock ---- */

/* Takes the reference a send hands over and sets *out to the bytes to send: `value`
 * itself (NULL means the zero value) for plain types, and for hooked types after
 * retaining its pointer words in place; for str a private copy in *stage. Hooks thus
 * never run under a channel lock, and only a str copy can fail (GORT_ENOMEM). */
int gort__stage_value(const gort_chan *c, const void *value, gort_str *stage,
                      const void **out);
/* Gives back what gort__stage_value took, for a send that did not happen. */
void gort__unstage_value(const gort_chan *c, const void *staged);

#endif /* GORT_CHAN_INTERNAL_H */
