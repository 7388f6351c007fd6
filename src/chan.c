/*
 * Channels: Go's hchan on OS threads. A ring buffer of cap slots (in the channel's own
 * allocation) plus FIFO queues of parked senders and receivers, all under one lock.
 *
 * Invariants, whenever c->lock is not held:
 *   - at most one of sendq and recvq holds live waiters (a select parked on both a
 *     send and a receive case of one unbuffered channel is the one exception);
 *   - count > 0 implies recvq is empty; count < cap implies sendq is empty;
 *   - once closed, sendq and recvq are empty and stay so; closed never returns to 0.
 * A sender that finds a parked receiver copies its value straight into the receiver's
 * destination; a receiver that finds a parked sender on a full buffer takes the head
 * and puts the sender's value in the freed slot (Go's rotation), so FIFO order holds
 * across buffer and queue. Parked threads are woken only after the lock is released.
 *
 * Lock-free fast paths (non-blocking operations that would fail). Fields read without
 * the lock: count, closed, and the queues' first pointers; all are written only under
 * the lock, and read here with acquire loads.
 *   - try_send: "not closed" then "full". A closed channel never becomes open again, so
 *     if both observations held at their moments, both held at the moment of the later
 *     read, and the failed send linearises there. No order between the reads is needed.
 *   - try_recv: "empty" then "closed", in that order (acquire loads keep it). If open:
 *     the channel was empty and open at the empty-read (closed is monotonic), fail
 *     there. If closed: the empty-read may predate a send that came before the close,
 *     so read "empty" again; empty after closed stays empty (no sends after close), so
 *     the receive linearises as "closed and drained". Without the ordering, a reader
 *     could combine "empty" from after a drain with "open" from before the close and
 *     report EAGAIN for a channel that had been closed and drained (Go issue 18652).
 * Forward progress: every unlock is a release, so a state change made under the lock
 * is eventually seen by these loads.
 */
#include "chan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "heap.h"
#include "internal.h"
#include "type.h"

enum {
    DISCARD_INLINE = 1024,  /* discarded reference-owning values up to this size go
                               through a stack buffer */
};

static char *slot_at(const gort_chan *c, size_t index)
{
    return c->buf + index * c->elem_size;
}

/* The ring position after index. */
static size_t ring_next(const gort_chan *c, size_t index)
{
    return index + 1 == c->cap ? 0 : index + 1;
}

static gort__waiter *waiter_of(size_t word)
{
    return (gort__waiter *)(uintptr_t)word;
}

/* ---- wait queues ---- */

void gort__waitq_push(gort__waitq *q, gort__waiter *w)
{
    w->next = NULL;
    w->prev = q->last;
    if (q->last)
        q->last->next = w;
    else
        gort__atomic_store_release(&q->first, (size_t)(uintptr_t)w);
    q->last = w;
    w->queued = true;
}

void gort__waitq_unlink(gort__waitq *q, gort__waiter *w)
{
    if (!w->queued)
        return;
    if (w->prev)
        w->prev->next = w->next;
    else
        gort__atomic_store_release(&q->first, (size_t)(uintptr_t)w->next);
    if (w->next)
        w->next->prev = w->prev;
    else
        q->last = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

gort__waiter *gort__waitq_claim_first(gort_chan *c, gort__waitq *q)
{
    bool dropped = false;
    for (;;) {
        gort__waiter *w = waiter_of(gort__atomic_load_relaxed(&q->first));
        if (!w)
            break;
        gort__waitq_unlink(q, w);
        if (gort__atomic_cas(&w->wait->done, 0, 1))
            return w;
        /* Lost: that select already committed through another case (its owner will
         * find this waiter unlinked when it cleans up). The queue changed, so the
         * pollable fds may have to go quiet. */
        dropped = true;
    }
    if (dropped)
        gort__chan_changed(c);
    return NULL;
}

/* ---- value movement ---- */

/* memcpy with the common element sizes as constants, so they compile to moves. */
static inline void copy_bytes(void *dst, const void *src, size_t size)
{
    switch (size) {
    case 8: memcpy(dst, src, 8); break;
    case 4: memcpy(dst, src, 4); break;
    case 16: memcpy(dst, src, 16); break;
    default: memcpy(dst, src, size);
    }
}

static inline void copy_value(const gort_chan *c, void *dst, const void *src)
{
    if (src)
        copy_bytes(dst, src, c->elem_size);
    else
        memset(dst, 0, c->elem_size);
}

/* Moves the value at src (owned by the channel) to dst; a NULL dst discards it. Only
 * pointer-free values are ever discarded here: a discarding receive of a
 * reference-owning type receives into a temporary and drops it after the lock is
 * released (recv_discarding, select's scratch), so hooks never run under a lock. */
static inline void move_out(const gort_chan *c, void *dst, const void *src)
{
    GORT_ASSERT(dst || !c->owns_refs);
    if (dst)
        copy_bytes(dst, src, c->elem_size);
}

void gort__zero_out(const gort_chan *c, void *out)
{
    if (out)
        memset(out, 0, c->elem_size);
}

int gort__stage_value(const gort_chan *c, const void *value, gort_str *stage,
                      const void **out)
{
    *out = value;
    if (!c->owns_refs || !value)
        return GORT_OK;
    if (c->type->kind != GORT_KIND_STR) {
        gort__values_retain(c->type, value, 1); /* the caller's bytes, now with a ref */
        return GORT_OK;
    }
    int status = gort__values_clone(c->type, stage, value, 1);
    if (status == GORT_OK)
        *out = stage;
    return status;
}

void gort__unstage_value(const gort_chan *c, const void *staged)
{
    if (c->owns_refs && staged)
        gort__values_drop(c->type, (void *)staged, 1);
}

void gort__send_to_receiver(gort_chan *c, gort__waiter *receiver, const void *value)
{
    GORT_ASSERT(receiver->elem || !c->owns_refs);
    if (receiver->elem)
        copy_value(c, receiver->elem, value);
}

void gort__recv_from_sender(gort_chan *c, gort__waiter *sender, void *out)
{
    GORT_ASSERT(out || !c->owns_refs);
    if (c->cap == 0) {
        if (out)
            copy_value(c, out, sender->elem);
        return;
    }
    /* Full buffer: take the head, put the sender's value in its place; the ring stays
     * full and the sender's value becomes the newest. */
    char *slot = slot_at(c, c->recv_index);
    move_out(c, out, slot);
    copy_value(c, slot, sender->elem);
    c->recv_index = ring_next(c, c->recv_index);
    c->send_index = c->recv_index;
}

/* Inline here, called through gort__buffer_put/take by select.c. */
static inline void buffer_put(gort_chan *c, const void *value)
{
    copy_value(c, slot_at(c, c->send_index), value);
    c->send_index = ring_next(c, c->send_index);
    gort__atomic_store_release(&c->count, gort__atomic_load_relaxed(&c->count) + 1);
}

static inline void buffer_take(gort_chan *c, void *out)
{
    move_out(c, out, slot_at(c, c->recv_index));
    c->recv_index = ring_next(c, c->recv_index);
    gort__atomic_store_release(&c->count, gort__atomic_load_relaxed(&c->count) - 1);
}

void gort__buffer_put(gort_chan *c, const void *value)
{
    buffer_put(c, value);
}

void gort__buffer_take(gort_chan *c, void *out)
{
    buffer_take(c, out);
}

/* ---- pollable fds ---- */

static void fd_signal(gort_chan *c, int which, bool ready)
{
    if (c->fds[which] < 0 || c->fd_ready[which] == ready)
        return;
    uint64_t one = 1, drained;
    ssize_t done = ready ? write(c->fds[which], &one, sizeof one)
                         : read(c->fds[which], &drained, sizeof drained);
    (void)done; /* an eventfd counter of 0 or 1 neither overflows nor blocks */
    c->fd_ready[which] = ready;
}

void gort__chan_changed(gort_chan *c)
{
    if (GORT_LIKELY(!c->fds_active))
        return;
    bool closed = gort__atomic_load_relaxed(&c->closed) != 0;
    size_t count = gort__atomic_load_relaxed(&c->count);
    fd_signal(c, 0, closed || count > 0 || !gort__waitq_empty(&c->sendq));
    fd_signal(c, 1, closed || count < c->cap || !gort__waitq_empty(&c->recvq));
}

int gort_chan_fd(gort_chan *c, int dir, int *out)
{
    if (!c || !out || (dir != GORT_CHAN_RECV_READY && dir != GORT_CHAN_SEND_READY))
        return GORT_EINVAL;
    int which = dir == GORT_CHAN_RECV_READY ? 0 : 1, status = GORT_OK;
    gort__lock_acquire(&c->lock);
    if (c->fds[which] < 0) {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) {
            status = errno == ENOMEM ? GORT_ENOMEM : GORT_EAGAIN;
        } else {
            c->fds[which] = fd;
            c->fd_ready[which] = false;
            c->fds_active = true;
            gort__chan_changed(c);
        }
    }
    if (status == GORT_OK)
        *out = c->fds[which];
    gort__lock_release(&c->lock);
    return status;
}

/* ---- lifetime ---- */

int gort_chan_create(gort_type *elem_type, int64_t cap, gort_heap *heap, gort_chan **out)
{
    if (!elem_type || !out)
        return GORT_EINVAL;
    if (cap < 0)
        return GORT_ERANGE;
    size_t align = elem_type->align > _Alignof(gort_chan) ? elem_type->align
                                                          : _Alignof(gort_chan);
    size_t header = gort__align_up(sizeof(gort_chan), align), buf_bytes, total;
    if (!gort__size_mul(elem_type->size, (size_t)cap, &buf_bytes) ||
        !gort__size_add(header, buf_bytes, &total))
        return GORT_EOVERFLOW;
    heap = gort__heap_resolve(heap);
    gort_chan *c = gort__alloc_zeroed(heap, total, align);
    if (!c)
        return GORT_ENOMEM;
    c->cap = (size_t)cap;
    c->elem_size = elem_type->size;
    c->owns_refs = elem_type->owns_refs;
    c->fds[0] = c->fds[1] = -1;
    c->type = gort_type_retain(elem_type);
    c->heap = heap;
    c->alloc_size = total;
    c->alloc_align = align;
    c->buf = (char *)c + header;
    gort__atomic_store_relaxed(&c->refs, 1);
    gort__heap_object_born(heap);
    *out = c;
    return GORT_OK;
}

gort_chan *gort_chan_retain(gort_chan *c)
{
    if (c)
        gort__atomic_fetch_add(&c->refs, 1);
    return c;
}

void gort_chan_release(gort_chan *c)
{
    if (!c || gort__atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    size_t count = gort__atomic_load_relaxed(&c->count);
    for (size_t i = 0, index = c->recv_index; i < count; i++, index = ring_next(c, index))
        gort__values_drop(c->type, slot_at(c, index), 1);
    for (int which = 0; which < 2; which++)
        if (c->fds[which] >= 0)
            close(c->fds[which]);
    gort_heap *heap = c->heap;
    gort_type_release(c->type);
    gort__free(heap, c, c->alloc_size, c->alloc_align);
    gort__heap_object_died(heap);
}

gort_type *gort_chan_elem_type(const gort_chan *c)
{
    return c ? c->type : NULL;
}

int gort_chan_expect_type(const gort_chan *c, const gort_type *type)
{
    if (!c || !type)
        return GORT_EINVAL;
    return gort__type_same(c->type, type) ? GORT_OK : GORT_ETYPE;
}

size_t gort_chan_len(const gort_chan *c)
{
    return c ? gort__atomic_load_relaxed(&c->count) : 0;
}

size_t gort_chan_cap(const gort_chan *c)
{
    return c ? c->cap : 0;
}

int gort_chan_is_closed(const gort_chan *c)
{
    return c ? gort__atomic_load_acquire(&c->closed) != 0 : 0;
}

int gort_chan_scan(gort_chan *c, gort_visit_fn visit, void *ctx)
{
    if (!c || !visit)
        return GORT_EINVAL;
    gort__lock_acquire(&c->lock);
    size_t count = gort__atomic_load_relaxed(&c->count);
    for (size_t i = 0, index = c->recv_index; i < count; i++, index = ring_next(c, index))
        gort__values_scan(c->type, slot_at(c, index), 1, visit, ctx);
    gort__lock_release(&c->lock);
    return GORT_OK;
}

/* ---- blocking: park on c until claimed, or until the deadline ---- */

/* Parks the current thread in q with the waiter w (lock held on entry, released here).
 * Returns true if a partner or a closer claimed the operation (wait->success says
 * which), false if it timed out and was withdrawn. */
static bool park_on(gort_chan *c, gort__waitq *q, gort__waiter *w, int64_t deadline_ns)
{
    gort__waitq_push(q, w);
    gort__chan_changed(c);
    gort__lock_release(&c->lock);
    if (gort__park(&w->wait->parker, deadline_ns))
        return true;
    gort__lock_acquire(&c->lock);
    bool withdrawn = gort__atomic_cas(&w->wait->done, 0, 1);
    if (withdrawn) {
        gort__waitq_unlink(q, w);
        gort__chan_changed(c);
    }
    gort__lock_release(&c->lock);
    if (withdrawn)
        return false;
    gort__park_until_woken(&w->wait->parker); /* claimed just before the deadline */
    return true;
}

static void wait_init(gort__wait *wait, gort__waiter *w, gort_chan *c, void *elem,
                      bool is_send)
{
    gort__wait_init(wait);
    *w = (gort__waiter){.wait = wait, .chan = c, .elem = elem, .is_send = is_send};
}

/* ---- send ---- */

/* One attempt, c->lock held. GORT_OK or GORT_ECLOSED with the lock released, or
 * GORT_EAGAIN (would block) with the lock still held. */
static int send_locked(gort_chan *c, const void *value)
{
    if (gort__atomic_load_relaxed(&c->closed)) {
        gort__lock_release(&c->lock);
        return GORT_ECLOSED;
    }
    gort__waiter *receiver = gort__waitq_claim(c, &c->recvq);
    if (receiver) {
        gort__send_to_receiver(c, receiver, value);
        gort__chan_changed(c);
        gort__lock_release(&c->lock);
        gort__wake(receiver, true);
        return GORT_OK;
    }
    if (gort__atomic_load_relaxed(&c->count) < c->cap) {
        buffer_put(c, value);
        gort__chan_changed(c);
        gort__lock_release(&c->lock);
        return GORT_OK;
    }
    return GORT_EAGAIN;
}

/* The blocking part of a send (c->lock held, released here): park in sendq. Kept out
 * of line so the common paths stay small. */
static __attribute__((noinline)) int send_waiting(gort_chan *c, const void *value,
                                                  int64_t timeout_ns)
{
    gort__wait wait;
    gort__waiter me;
    wait_init(&wait, &me, c, (void *)value, true);
    if (!park_on(c, &c->sendq, &me, gort__deadline_after(timeout_ns)))
        return GORT_ETIMEDOUT;
    return wait.success ? GORT_OK : GORT_ECLOSED;
}

/* The send proper, with the value already staged. Returns GORT_OK, GORT_ECLOSED,
 * GORT_EAGAIN or GORT_ETIMEDOUT; on OK the staged value belongs to the channel or a
 * receiver, otherwise it is still the caller's. */
static int send_staged(gort_chan *c, const void *value, int64_t timeout_ns)
{
    gort__lock_acquire(&c->lock);
    int status = send_locked(c, value);
    if (GORT_LIKELY(status != GORT_EAGAIN))
        return status;
    if (timeout_ns == 0) {
        gort__lock_release(&c->lock);
        return GORT_EAGAIN;
    }
    return send_waiting(c, value, timeout_ns);
}

/* A send of a reference-owning value: clone it first (outside the lock), and drop the
 * clone if the send fails. */
static __attribute__((noinline)) int send_owned(gort_chan *c, const void *value,
                                                int64_t timeout_ns)
{
    gort_str stage;
    const void *staged;
    int status = gort__stage_value(c, value, &stage, &staged);
    if (status != GORT_OK)
        return status;
    status = send_staged(c, staged, timeout_ns);
    if (status != GORT_OK)
        gort__unstage_value(c, staged);
    return status;
}

static int chan_send(gort_chan *c, const void *value, int64_t timeout_ns)
{
    if (!c)
        return GORT_EINVAL;
    if (timeout_ns == 0 && !gort__atomic_load_acquire(&c->closed) && gort__chan_full(c))
        return GORT_EAGAIN;
    if (c->owns_refs && value)
        return send_owned(c, value, timeout_ns);
    return send_staged(c, value, timeout_ns);
}

int gort_chan_send(gort_chan *c, const void *value)
{
    return chan_send(c, value, -1);
}

int gort_chan_try_send(gort_chan *c, const void *value)
{
    return chan_send(c, value, 0);
}

int gort_chan_send_timeout(gort_chan *c, const void *value, int64_t timeout_ns)
{
    return chan_send(c, value, timeout_ns);
}

/* ---- receive ---- */

/* One attempt, c->lock held: GORT_OK (lock released, *received set), or GORT_EAGAIN
 * with the lock still held. */
static int recv_locked(gort_chan *c, void *out, bool *received)
{
    bool closed = gort__atomic_load_relaxed(&c->closed) != 0;
    if (closed && gort__atomic_load_relaxed(&c->count) == 0) {
        gort__lock_release(&c->lock);
        gort__zero_out(c, out);
        *received = false;
        return GORT_OK;
    }
    gort__waiter *sender = closed ? NULL : gort__waitq_claim(c, &c->sendq);
    if (sender) {
        gort__recv_from_sender(c, sender, out);
        gort__chan_changed(c);
        gort__lock_release(&c->lock);
        gort__wake(sender, true);
        *received = true;
        return GORT_OK;
    }
    if (gort__atomic_load_relaxed(&c->count) > 0) {
        buffer_take(c, out);
        gort__chan_changed(c);
        gort__lock_release(&c->lock);
        *received = true;
        return GORT_OK;
    }
    return GORT_EAGAIN;
}

/* The blocking part of a receive (c->lock held, released here). */
static __attribute__((noinline)) int recv_waiting(gort_chan *c, void *out, bool *received,
                                                  int64_t timeout_ns)
{
    gort__wait wait;
    gort__waiter me;
    wait_init(&wait, &me, c, out, false);
    if (!park_on(c, &c->recvq, &me, gort__deadline_after(timeout_ns)))
        return GORT_ETIMEDOUT;
    *received = wait.success; /* a closer zeroed *out */
    return GORT_OK;
}

/* Returns GORT_OK (with *received set), GORT_EAGAIN or GORT_ETIMEDOUT. */
static int recv_blocking(gort_chan *c, void *out, bool *received, int64_t timeout_ns)
{
    gort__lock_acquire(&c->lock);
    int status = recv_locked(c, out, received);
    if (GORT_LIKELY(status != GORT_EAGAIN))
        return status;
    if (timeout_ns == 0) {
        gort__lock_release(&c->lock);
        return GORT_EAGAIN;
    }
    return recv_waiting(c, out, received, timeout_ns);
}

/* A receive into NULL of a reference-owning type: receive into a temporary, then drop
 * the value once no lock is held (its release hook may call into this channel). */
static __attribute__((noinline)) int recv_discarding(gort_chan *c, bool *received,
                                                     int64_t timeout_ns)
{
    _Alignas(16) char inline_buffer[DISCARD_INLINE];
    void *buffer = inline_buffer;
    if (c->elem_size > DISCARD_INLINE &&
        !(buffer = gort__alloc(c->heap, c->elem_size, c->type->align)))
        return GORT_ENOMEM;
    int status = recv_blocking(c, buffer, received, timeout_ns);
    if (status == GORT_OK && *received)
        gort__values_drop(c->type, buffer, 1);
    if (buffer != inline_buffer)
        gort__free(c->heap, buffer, c->elem_size, c->type->align);
    return status;
}

static int chan_recv(gort_chan *c, void *out, int *ok, int64_t timeout_ns)
{
    if (!c)
        return GORT_EINVAL;
    if (timeout_ns == 0 && gort__chan_empty(c)) {
        if (!gort__atomic_load_acquire(&c->closed))
            return GORT_EAGAIN;
        if (gort__chan_empty(c)) {
            gort__zero_out(c, out);
            if (ok)
                *ok = 0;
            return GORT_OK;
        }
    }
    bool received = false;
    int status = !out && c->owns_refs ? recv_discarding(c, &received, timeout_ns)
                                      : recv_blocking(c, out, &received, timeout_ns);
    if (status == GORT_OK && ok)
        *ok = received;
    return status;
}

int gort_chan_recv(gort_chan *c, void *out, int *ok)
{
    return chan_recv(c, out, ok, -1);
}

int gort_chan_try_recv(gort_chan *c, void *out, int *ok)
{
    return chan_recv(c, out, ok, 0);
}

int gort_chan_recv_timeout(gort_chan *c, void *out, int *ok, int64_t timeout_ns)
{
    return chan_recv(c, out, ok, timeout_ns);
}

/* ---- close ---- */

/* Claims every waiter of q, pushing them on *woken (linked through next). */
static void claim_all(gort_chan *c, gort__waitq *q, gort__waiter **woken)
{
    gort__waiter *w;
    while ((w = gort__waitq_claim(c, q))) {
        if (!w->is_send)
            gort__zero_out(c, w->elem);
        w->next = *woken;
        *woken = w;
    }
}

int gort_chan_close(gort_chan *c)
{
    if (!c)
        return GORT_EINVAL;
    gort__lock_acquire(&c->lock);
    if (gort__atomic_load_relaxed(&c->closed)) {
        gort__lock_release(&c->lock);
        return GORT_ECLOSED;
    }
    gort__atomic_store_release(&c->closed, 1);
    gort__waiter *woken = NULL;
    claim_all(c, &c->recvq, &woken);
    claim_all(c, &c->sendq, &woken);
    gort__chan_changed(c);
    gort__lock_release(&c->lock);
    while (woken) {
        gort__waiter *next = woken->next; /* read before the owner may return */
        gort__wake(woken, false);
        woken = next;
    }
    return GORT_OK;
}
