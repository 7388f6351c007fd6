/*
 * Spin-then-sleep blocking on Linux futexes: the channel mutex and the parker.
 *
 * Spinning. A parked thread first spins on its state word, because the partner that
 * will wake it is often already running on the other CPU, and a futex round trip costs
 * ~20 µs on this class of VM against ~160 ns for a spun handoff. The spin adapts per
 * thread (spin_until_woken), so a thread whose partners are slow (a consumer doing real
 * work) mostly stops burning its CPU. With one CPU online nobody spins: the partner
 * cannot run meanwhile.
 *
 * Memory ordering. The waker copies the value while holding the channel lock, writes
 * the outcome (winner, success) after releasing it, then gort__unpark exchanges the
 * state to WOKEN with a full barrier. The owner reads WOKEN with an acquire load (or a
 * full-barrier CAS), so every write before the unpark is visible to it — the
 * release/acquire pair Go's memory model asks of a direct handoff. The futex itself
 * compares the state word, so a wake that comes before the owner sleeps is never lost:
 * the owner's FUTEX_WAIT sees WOKEN != SLEEPING and returns at once.
 */
#include "park.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Spin lengths count PAUSE instructions: ~25 ns each on this project's reference EPYC
 * VM (measured), ~10-40 ns on other current x86 cores. */
enum {
    LOCK_SPIN_PAUSES = 1024, /* ~25 µs: a longer wait means a preempted holder */
    LOCK_BACKOFF_MAX = 64,
    PAUSE_MIN = 64,    /* ~1.5 µs: covers a partner already running on another CPU */
    PAUSE_MAX = 2048,  /* ~50 µs: outlasts waking a sleeping thread here (~25 µs) */
    PAUSE_START = 512,
    YIELD_EVERY = 64,  /* one sched_yield per ~1.5 µs of spinning */
    PROBE_AFTER = 8,   /* sleeps in a row before one maximal spin */
};

/* One spin-loop pause (PAUSE on x86). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* 0: unknown yet, 1: one CPU (never spin), 2: several. A benign race computes it twice. */
static gort__atomic32 cpu_kind;

/* False with a single CPU online, where spinning only delays the thread waited for. */
static bool spinning_helps(void)
{
    unsigned kind = gort__atomic32_load_relaxed(&cpu_kind);
    if (GORT_UNLIKELY(kind == 0)) {
        kind = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
        gort__atomic32_store_release(&cpu_kind, kind);
    }
    return kind == 2;
}

/* FUTEX_WAIT until *word != expected, a wake, or the absolute monotonic deadline. */
static void futex_wait(gort__atomic32 *word, unsigned expected, int64_t deadline_ns)
{
    struct timespec ts, *timeout = NULL;
    if (deadline_ns >= 0) {
        ts.tv_sec = deadline_ns / 1000000000;
        ts.tv_nsec = deadline_ns % 1000000000;
        timeout = &ts;
    }
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, so spurious
     * returns need no recomputation. EINTR/EAGAIN/ETIMEDOUT: the callers re-check. */
    (void)syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected,
                  timeout, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake_one(gort__atomic32 *word)
{
    (void)syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
}

int64_t gort__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t gort__deadline_after(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -1;
    int64_t deadline;
    if (__builtin_add_overflow(gort__now_ns(), timeout_ns, &deadline))
        return INT64_MAX;
    return deadline;
}

static bool deadline_passed(int64_t deadline_ns)
{
    return deadline_ns >= 0 && gort__now_ns() >= deadline_ns;
}

/* ---- the mutex (Drepper, "Futexes are tricky", mutex #3, with a spin) ---- */

/*
 * Spins with exponential backoff (1, 2, 4 ... LOCK_BACKOFF_MAX pauses between looks),
 * for LOCK_SPIN_PAUSES pauses in all, before sleeping. The backoff is what makes a
 * contended channel fast: a producer and a consumer that both retry at once keep
 * stealing the lock's cache line from each other mid-critical-section; backing off lets
 * the holder finish, and lets one side run several operations while it owns the line.
 * Measured on the 2-core VM (SPSC through a cap-1024 channel): 73-80 ns/message with one
 * pause between looks, 34 ns with backoff to 64.
 */
static bool spin_for_lock(gort__lock *lock)
{
    unsigned backoff = 1;
    for (unsigned spent = 0; spent < LOCK_SPIN_PAUSES; spent += backoff) {
        for (unsigned j = 0; j < backoff; j++)
            cpu_relax();
        if (gort__atomic32_load_relaxed(&lock->state) == 0 &&
            gort__atomic32_cas(&lock->state, 0, 1))
            return true;
        if (backoff < LOCK_BACKOFF_MAX)
            backoff *= 2;
    }
    return false;
}

void gort__lock_slow(gort__lock *lock)
{
    if (spinning_helps() && spin_for_lock(lock))
        return;
    /* Announce a sleeper (state 2) and sleep until the lock is seen free; whoever takes
     * it this way keeps state 2, so its unlock wakes the next sleeper, if any. */
    while (gort__atomic32_exchange(&lock->state, 2) != 0)
        futex_wait(&lock->state, 2, -1);
}

void gort__unlock_slow(gort__lock *lock)
{
    gort__atomic32_store_release(&lock->state, 0);
    futex_wake_one(&lock->state);
}

/* ---- the parker ---- */

/* This thread's adaptive spin budget (PAUSE iterations) and its run of sleeps. */
static _Thread_local unsigned pause_budget = PAUSE_START, sleeps_in_a_row;

static bool woken(const gort__parker *p)
{
    return gort__atomic32_load_acquire(&p->state) == GORT__PARK_WOKEN;
}

/*
 * Spins until p is woken or the budget runs out. Every YIELD_EVERY pauses it yields
 * the CPU once: the kernel often puts a woken thread on its waker's CPU, where a pure
 * PAUSE loop would only delay the partner it waits for.
 *
 * The budget adapts: a wait that ended while spinning raises it to twice what that
 * wait took; a wait that had to sleep halves it. Halving alone is a trap: once one side
 * of a conversation sleeps, the other waits ~25 µs for it to wake (a halted vCPU),
 * fails its own spin and sleeps too, forever. So after PROBE_AFTER sleeps in a row the
 * next wait spins the maximum, which outlasts a wake-up and restores spinning if the
 * partner answers promptly once awake.
 */
static bool spin_until_woken(gort__parker *p)
{
    if (!spinning_helps())
        return false;
    unsigned budget = sleeps_in_a_row >= PROBE_AFTER ? PAUSE_MAX : pause_budget;
    for (unsigned i = 0; i < budget; i++) {
        if (woken(p)) {
            unsigned wanted = 2 * i + PAUSE_MIN;
            if (wanted > pause_budget)
                pause_budget = wanted > PAUSE_MAX ? PAUSE_MAX : wanted;
            sleeps_in_a_row = 0;
            return true;
        }
        cpu_relax();
        if (i % YIELD_EVERY == YIELD_EVERY - 1)
            sched_yield();
    }
    pause_budget = pause_budget / 2 < PAUSE_MIN ? PAUSE_MIN : pause_budget / 2;
    sleeps_in_a_row = budget == PAUSE_MAX ? 0 : sleeps_in_a_row + 1;
    return false;
}

bool gort__park(gort__parker *p, int64_t deadline_ns)
{
    if (spin_until_woken(p))
        return true;
    /* Announce the sleep. A failed CAS means the state is WOKEN, or SLEEPING still from
     * an earlier call that timed out (gort__park_until_woken). */
    if (!gort__atomic32_cas(&p->state, GORT__PARK_WAITING, GORT__PARK_SLEEPING) && woken(p))
        return true;
    for (;;) {
        futex_wait(&p->state, GORT__PARK_SLEEPING, deadline_ns);
        if (woken(p))
            return true;
        if (deadline_passed(deadline_ns))
            return false;
    }
}

void gort__park_until_woken(gort__parker *p)
{
    while (!gort__park(p, -1))
        ;
}

void gort__unpark(gort__parker *p)
{
    if (gort__atomic32_exchange(&p->state, GORT__PARK_WOKEN) == GORT__PARK_SLEEPING)
        futex_wake_one(&p->state);
}

void gort__sleep_until(int64_t deadline_ns)
{
    /* Nobody wakes this word, so there is nothing to spin for (and the thread's adaptive
     * spin budget is left alone): sleep until the deadline, or forever. */
    gort__atomic32 never = 0;
    do
        futex_wait(&never, 0, deadline_ns);
    while (!deadline_passed(deadline_ns));
}
