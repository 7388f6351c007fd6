/*
 * libgort — Go channels and select, on OS threads.
 *
 * A gort_chan is Go's hchan: one lock, a ring buffer of `cap` slots, and FIFO queues of
 * parked senders and receivers. A sender that finds a parked receiver copies its value
 * straight into the receiver's buffer; a blocked thread spins briefly, then sleeps on a
 * futex. gort_select waits on any number of send and receive cases at once, choosing
 * uniformly at random among the ready ones. See docs/channels.md.
 *
 * Timeouts: every *_timeout function and gort_select take `timeout_ns`, a relative
 * timeout in nanoseconds on the monotonic clock. Negative: wait forever. Zero: do not
 * wait; GORT_EAGAIN if the operation would block. Positive: wait at most that long;
 * GORT_ETIMEDOUT if it expires. (EAGAIN always means "did not wait", ETIMEDOUT "waited
 * and gave up".)
 *
 * Ownership: a successful send *retains* the value (pointer hooks; a private copy of a
 * GORT_KIND_STR's bytes) — the channel now holds its own reference, and the caller keeps
 * its own. A receive *moves* that reference to the receiver, who drops it when done
 * (gort_value_drop). A receive into a NULL buffer discards the value (drops it). Values
 * still buffered when the last reference to the channel goes are dropped. A send that
 * fails (any error) retains nothing: the value stays with the caller.
 *
 * Memory model (Go's): a send happens-before the completion of the matching receive; a
 * close happens-before a receive that returns because the channel is closed; a receive
 * from an unbuffered channel happens-before the completion of the matching send; the
 * k-th receive on a channel of capacity C happens-before the (k+C)-th send completes.
 *
 * Thread-safety: every function may be called from any thread at any time, as in Go.
 * Using a handle after its last release is undefined behaviour.
 */
#ifndef GORT_CHAN_H
#define GORT_CHAN_H

#include "base.h"
#include "heap.h"
#include "type.h"

GORT_BEGIN_DECLS

/* A channel handle (reference counted). @since 1.0 */
typedef struct gort_chan gort_chan;

/*
 * make(chan T, cap): a new, open channel of `elem_type` values with a buffer of `cap`
 * slots (0: unbuffered), in `heap` (NULL: the default heap), holding one reference. The
 * descriptor is retained. The buffer is part of the channel's own allocation; zero-size
 * types need no buffer bytes (a counting semaphore).
 * Returns GORT_OK; GORT_EINVAL for NULL elem_type/out; GORT_ERANGE if cap < 0;
 * GORT_EOVERFLOW if cap * size exceeds GORT_MAX_ALLOC; GORT_ENOMEM. On error *out is
 * untouched. Thread-safe. @since 1.0
 */
GORT_API int gort_chan_create(gort_type *elem_type, int64_t cap, gort_heap *heap,
                              gort_chan **out);

/* Adds a reference; returns c. NULL-safe. Thread-safe. @since 1.0 */
GORT_API gort_chan *gort_chan_retain(gort_chan *c);

/*
 * Drops a reference. The last one drops every buffered value, closes the pollable fds
 * and frees the channel. A thread still blocked on the channel holds no reference of
 * its own: release the last reference only when no thread can be using the channel.
 * NULL-safe. Thread-safe. @since 1.0
 */
GORT_API void gort_chan_release(gort_chan *c);

/* The element descriptor (borrowed), or NULL for NULL. @since 1.0 */
GORT_API gort_type *gort_chan_elem_type(const gort_chan *c);

/*
 * Checks that values of `type` may be passed to c: GORT_OK if c's element descriptor is
 * `type` or has the same size, alignment, pointer bitmap, hooks and equality;
 * GORT_ETYPE otherwise; GORT_EINVAL for NULL. For hosts that adopt a raw handle from
 * elsewhere and must not pass values of the wrong type. @since 1.0
 */
GORT_API int gort_chan_expect_type(const gort_chan *c, const gort_type *type);

/*
 * c <- *value. Blocks until a receiver takes the value or it fits in the buffer. value
 * may be NULL to send the zero value. Returns GORT_OK; GORT_ECLOSED if c is closed
 * (also when it is closed while this call waits): nothing was sent and the value's
 * references are the caller's again; GORT_EINVAL for NULL c; GORT_ENOMEM or
 * GORT_EOVERFLOW if copying a string's bytes fails. Retain hooks run before any lock is
 * taken (and release hooks if the send then fails), never under the lock. @since 1.0
 */
GORT_API int gort_chan_send(gort_chan *c, const void *value);

/* gort_chan_send without waiting: GORT_EAGAIN if no receiver is waiting and the buffer
 * is full. @since 1.0 */
GORT_API int gort_chan_try_send(gort_chan *c, const void *value);

/* gort_chan_send waiting at most timeout_ns (see the top of this header).
 * @since 1.0 */
GORT_API int gort_chan_send_timeout(gort_chan *c, const void *value, int64_t timeout_ns);

/*
 * v, ok := <-c. Blocks until a value is available or c is closed and drained. On a
 * value: copies it to *out (the caller now owns it; out NULL drops it) and sets *ok to
 * 1. Closed and drained: writes the zero value to *out and sets *ok to 0. ok may be
 * NULL. Returns GORT_OK, GORT_EINVAL for NULL c, or GORT_ENOMEM (nothing received) when
 * out is NULL and a reference-owning value over 1 KiB needs a temporary to be dropped
 * in once the lock is released. @since 1.0
 */
GORT_API int gort_chan_recv(gort_chan *c, void *out, int *ok);

/* gort_chan_recv without waiting: GORT_EAGAIN if no value is buffered, no sender is
 * waiting and c is open (*out and *ok untouched). @since 1.0 */
GORT_API int gort_chan_try_recv(gort_chan *c, void *out, int *ok);

/* gort_chan_recv waiting at most timeout_ns. On GORT_EAGAIN or GORT_ETIMEDOUT *out and
 * *ok are untouched. @since 1.0 */
GORT_API int gort_chan_recv_timeout(gort_chan *c, void *out, int *ok, int64_t timeout_ns);

/*
 * close(c). Buffered values stay receivable; receivers waiting now, and every receive
 * after the buffer drains, get the zero value with ok 0; senders waiting now fail with
 * GORT_ECLOSED (their values stay with them). Returns GORT_OK; GORT_ECLOSED if c was
 * already closed; GORT_EINVAL for NULL. @since 1.0
 */
GORT_API int gort_chan_close(gort_chan *c);

/* len(c): values in the buffer, a snapshot taken without the lock. 0 for NULL.
 * @since 1.0 */
GORT_API size_t gort_chan_len(const gort_chan *c);

/* cap(c): the buffer's capacity. 0 for NULL. @since 1.0 */
GORT_API size_t gort_chan_cap(const gort_chan *c);

/* Non-zero once c has been closed (a snapshot). 0 for NULL. @since 1.0 */
GORT_API int gort_chan_is_closed(const gort_chan *c);

/*
 * Calls visit(slot, ctx) for every non-NULL pointer word of every value buffered in c,
 * under the channel's lock (visit must not call into c). Values held by blocked senders
 * live in their callers' memory and are not visited. Returns GORT_OK or GORT_EINVAL.
 * @since 1.0
 */
GORT_API int gort_chan_scan(gort_chan *c, gort_visit_fn visit, void *ctx);

/*
 * Directions for gort_chan_fd. @since 1.0
 */
typedef enum gort_chan_dir {
    GORT_CHAN_RECV_READY = 1, /* a receive would not block */
    GORT_CHAN_SEND_READY = 2  /* a send would not block */
} gort_chan_dir;

/*
 * A pollable file descriptor (an eventfd) that is readable (POLLIN) exactly while the
 * operation named by `dir` would not block: for GORT_CHAN_RECV_READY, a value is
 * buffered, a sender is waiting or c is closed; for GORT_CHAN_SEND_READY, the buffer has
 * room, a receiver is waiting or c is closed. Level-triggered: it stays readable while
 * the condition holds; never read from it. Readiness is a hint — another thread may take
 * the value first — so follow it with try_recv/try_send and poll again on GORT_EAGAIN.
 * The fd belongs to the channel (do not close it) and is closed with the last release;
 * the same fd is returned on every call. Returns GORT_OK; GORT_EINVAL for NULL c/out or
 * a bad dir; GORT_ENOMEM or GORT_EAGAIN if the kernel cannot create an eventfd.
 * @since 1.0
 */
GORT_API int gort_chan_fd(gort_chan *c, int dir, int *out);

/* Case kinds of gort_select. @since 1.0 */
typedef enum gort_select_op {
    GORT_SELECT_SEND = 1,
    GORT_SELECT_RECV = 2
} gort_select_op;

/*
 * One case of a select. Frozen: this layout never changes.
 *   chan   the channel; NULL makes a case that is never ready (Go's nil channel).
 *   op     GORT_SELECT_SEND or GORT_SELECT_RECV.
 *   value  SEND: the value to send (NULL: the zero value); RECV: where to store the
 *          received value (NULL: discard it).
 * @since 1.0
 */
typedef struct gort_select_case {
    gort_chan *chan;
    uint32_t op;
    uint32_t reserved; /* must be 0 */
    void *value;
} gort_select_case;

/* Most cases one select may have (Go's limit). @since 1.0 */
#define GORT_SELECT_MAX_CASES 65536

/*
 * select { cases... }: waits until one case can proceed and commits exactly that one;
 * when several are ready, each is chosen with equal probability. A channel may appear
 * in several cases, and in both a send and a receive case (a select never communicates
 * with itself). timeout_ns 0 is Go's `default` case. Returns:
 *   GORT_OK        case *chosen committed; for a receive, *recv_ok is 1 for a value and
 *                  0 for a closed, drained channel (zero value stored); 1 for a send.
 *   GORT_ECLOSED   case *chosen is a send on a closed channel (as in Go, where that case
 *                  panics); nothing was sent, the value stays with the caller.
 *   GORT_EAGAIN    timeout_ns == 0 and no case was ready; GORT_ETIMEDOUT on expiry.
 *   GORT_EINVAL    cases NULL with n_cases > 0, chosen NULL, an unknown op or a
 *                  non-zero reserved field; GORT_ERANGE if n_cases >
 *                  GORT_SELECT_MAX_CASES; GORT_ENOMEM (copying a string to send, or
 *                  scratch space, see below).
 * recv_ok may be NULL. On every error except GORT_ECLOSED, no case has committed. With
 * no non-NULL case and a negative timeout, blocks forever, as Go's `select {}`.
 * Send values are staged (retained, strings copied) before any lock is taken, and
 * those of the cases not chosen given back (released) afterwards. Uses no heap memory
 * for up to 32 cases, unless receive cases that discard (value NULL) reference-owning
 * values need more than 512 bytes of temporaries in total. @since 1.0
 */
GORT_API int gort_select(const gort_select_case *cases, size_t n_cases, int64_t timeout_ns,
                         size_t *chosen, int *recv_ok);

GORT_END_DECLS

#endif /* GORT_CHAN_H */
