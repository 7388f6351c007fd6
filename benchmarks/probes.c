/*
 * Context probes printed in every benchmark run (WORKLOADS.md: on a VM, first-touch page
 * faults and waking a sleeping thread dominate some rows):
 *
 *   first_touch   ns per byte to touch a fresh 256 MiB anonymous mmap: one write per
 *                 page, so the figure is the kernel's fault + zero-fill cost spread over
 *                 the page's bytes (transparent huge pages as the system is configured).
 *   thread_wake   µs per round trip of a futex ping-pong between two threads that
 *                 sleep in FUTEX_WAIT (no spinning): one round trip = two wake-ups.
 *
 * Usage: probes <reps>. Prints "PROBE <name> <unit> <v1,...,vreps>" per probe.
 * Built by run.py with gcc -O2 -DNDEBUG -pthread.
 */
#define _GNU_SOURCE

#include "bench_common.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TOUCH_BYTES ((size_t)256 << 20)
#define WAKE_ROUND_TRIPS 2000

static int first_touch_ns_per_byte(double *out)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, TOUCH_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("probes: mmap");
        return 1;
    }
    uint64_t t0 = bench_now_ns();
    for (size_t off = 0; off < TOUCH_BYTES; off += page)
        ((volatile char *)p)[off] = 1;
    uint64_t t1 = bench_now_ns();
    munmap(p, TOUCH_BYTES);
    *out = (double)(t1 - t0) / (double)TOUCH_BYTES;
    return 0;
}

/* Whose turn it is: 0 the main thread's, 1 the partner's. Each side sleeps in
 * FUTEX_WAIT while the word holds the other side's value. */
static atomic_uint turn;

static void futex_wait(atomic_uint *word, unsigned expected)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg)
{
    (void)arg;
    for (int i = 0; i < WAKE_ROUND_TRIPS; i++) {
        while (atomic_load(&turn) != 1)
            futex_wait(&turn, 0);
        atomic_store(&turn, 0);
        futex_wake(&turn);
    }
    return NULL;
}

static int thread_wake_us_per_round_trip(double *out)
{
    pthread_t thread;
    atomic_store(&turn, 0);
    if (pthread_create(&thread, NULL, partner, NULL) != 0) {
        fprintf(stderr, "probes: pthread_create failed\n");
        return 1;
    }
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < WAKE_ROUND_TRIPS; i++) {
        atomic_store(&turn, 1);
        futex_wake(&turn);
        while (atomic_load(&turn) != 0)
            futex_wait(&turn, 1);
    }
    uint64_t t1 = bench_now_ns();
    pthread_join(thread, NULL);
    *out = (double)(t1 - t0) / WAKE_ROUND_TRIPS / 1000.0;
    return 0;
}

static int print_probe(const char *name, const char *unit, int (*probe)(double *), uint64_t reps)
{
    printf("PROBE %s %s ", name, unit);
    for (uint64_t r = 0; r < reps; r++) {
        double v = 0;
        if (probe(&v) != 0)
            return 1;
        printf("%s%.6g", r ? "," : "", v);
    }
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t reps = 0;
    if (argc != 2 || bench_parse_u64(argv[1], &reps) != 0 || reps < 1 || reps > 1000) {
        fprintf(stderr, "usage: %s <reps 1..1000>\n", argv[0]);
        return 2;
    }
    printf("INFO page_size %ld\n", sysconf(_SC_PAGESIZE));
    if (print_probe("first_touch", "ns/byte", first_touch_ns_per_byte, reps) != 0 ||
        print_probe("thread_wake", "us/roundtrip", thread_wake_us_per_round_trip, reps) != 0)
        return 1;
    return fflush(stdout) == 0 ? 0 : 1;
}
