/*
 * Blocking on OS threads: a spin-then-sleep mutex for channel locks, and a one-shot
 * parker a blocked thread sleeps on until another thread wakes it. Both sleep on Linux
 * futexes; both spin first, because waking a sleeping thread costs tens of microseconds
 * on a VM while the thing waited for often arrives within a few hundred nanoseconds.
 */
#ifndef GORT_PARK_H
#define GORT_PARK_H

#include <stdbool.h>
#include <stdint.h>

#include "atomic.h"

/* A mutex: 0 free, 1 held, 2 held with (possibly) sleeping waiters. Zero-initialised
 * means free. */
typedef struct gort__lock {
    gort__atomic32 state;
} gort__lock;

void gort__lock_slow(gort__lock *lock);
void gort__unlock_slow(gort__lock *lock);

static inline void gort__lock_acquire(gort__lock *lock)
{
    if (!gort__atomic32_cas(&lock->state, 0, 1))
        gort__lock_slow(lock);
}

static inline void gort__lock_release(gort__lock *lock)
{
    /* 1 -> 0 is the uncontended case; anything else means someone may sleep. */
    if (gort__atomic32_fetch_add(&lock->state, (unsigned)-1) != 1)
        gort__unlock_slow(lock);
}

/*
 * A parker: one blocked operation's sleeping place, on the blocked thread's stack.
 * States: WAITING (the owner spins or is about to sleep), SLEEPING (the owner is in, or
 * entering, futex_wait), WOKEN (final). gort__unpark moves it to WOKEN and makes a
 * syscall only if the owner announced it sleeps.
 */
typedef struct gort__parker {
    gort__atomic32 state;
} gort__parker;

enum { GORT__PARK_WAITING = 0, GORT__PARK_SLEEPING = 1, GORT__PARK_WOKEN = 2 };

static inline void gort__parker_init(gort__parker *p)
{
    p->state = GORT__PARK_WAITING;
}

/*
 * Waits until the parker is woken or the monotonic clock passes deadline_ns (negative:
 * no deadline). Returns true if woken; every write the waker made before gort__unpark
 * is then visible (acquire). Returns false on timeout: the caller must then settle the
 * race with its waker under the channel lock, and if a waker already committed, call
 * gort__park_until_woken before its parker goes out of scope.
 */
bool gort__park(gort__parker *p, int64_t deadline_ns);
void gort__park_until_woken(gort__parker *p);

/*
 * Wakes p's owner (release). The caller must not touch p afterwards: the owner may
 * return and its stack frame be reused the moment the state becomes WOKEN. (The
 * futex_wake that may follow only uses p's address; waking a futex address nobody
 * waits on is harmless.)
 */
void gort__unpark(gort__parker *p);

/* The monotonic clock in nanoseconds, and now + timeout (saturating). */
int64_t gort__now_ns(void);
int64_t gort__deadline_after(int64_t timeout_ns);

/* Sleeps until deadline_ns (negative: forever), for a select with no channel. */
void gort__sleep_until(int64_t deadline_ns);

#endif /* GORT_PARK_H */
