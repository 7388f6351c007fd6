/*
 * libgort showcase: Go slices and maps from C.
 *
 * A log of 100,000 lines is read into a slice of strings; the ten lines after the first
 * FATAL are kept. Slicing keeps the whole log alive (the seeds' memory-pinning story);
 * cloning severs the tie. Along the way: Go's growth sequence, in-place append aliasing,
 * and heap statistics from a private jemalloc arena. Then a map counts the log's words
 * (string keys the map owns), is pruned while being iterated, and is shrunk. Finally a
 * pipeline across threads: producers send lines into a buffered channel, workers parse
 * them, and the main thread selects over an error channel and a done channel until
 * close has drained everything.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gort.h>

#define CHECK(call)                                                                    \
    do {                                                                               \
        int status_ = (call);                                                          \
        if (status_ != GORT_OK) {                                                      \
            fprintf(stderr, "%s failed: %s\n", #call, gort_strerror(status_));         \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

static void print_heap(const char *when, gort_heap *heap)
{
    gort_heap_stats stats = {.struct_size = sizeof stats};
    if (gort_heap_stats_get(heap, &stats) == GORT_OK)
        printf("  heap %-22s allocated %9" PRIu64 " B, %3" PRIu64 " live objects\n", when,
               stats.allocated, stats.live_objects);
}

static int growth_demo(void)
{
    gort_slice *ints;
    CHECK(gort_slice_nil(gort_type_builtin(GORT_KIND_I64), NULL, &ints));
    printf("append int64 one at a time, capacities (%s):\n ", gort_heap_allocator());
    size_t last_cap = 0;
    for (int64_t i = 0; i < 5000; i++) {
        CHECK(gort_slice_append(ints, &i));
        if (gort_slice_cap(ints) != last_cap)
            printf(" %zu", last_cap = gort_slice_cap(ints));
    }
    printf("\n");
    gort_slice_free(ints);
    return 0;
}

static int aliasing_demo(void)
{
    gort_slice *a, *b;
    int64_t values[] = {1, 2, 3, 4};
    CHECK(gort_slice_make(gort_type_builtin(GORT_KIND_I64), 0, 4, NULL, &a));
    CHECK(gort_slice_append_n(a, values, 3));
    CHECK(gort_slice_sub(a, 0, 2, &b)); /* b := a[:2] */
    int64_t ninety_nine = 99, third;
    CHECK(gort_slice_append(b, &ninety_nine)); /* fits in cap: writes a[2] in place */
    CHECK(gort_slice_get(a, 2, &third));
    printf("b := a[:2]; b = append(b, 99)  =>  a[2] == %" PRId64 " (shared array)\n", third);
    gort_slice_free(a);
    gort_slice_free(b);
    return 0;
}

static int pinning_demo(gort_heap *heap)
{
    gort_slice *log, *tail, *kept;
    char line[64];
    CHECK(gort_slice_nil(gort_type_builtin(GORT_KIND_STR), heap, &log));
    for (int i = 0; i < 100000; i++) {
        int len = snprintf(line, sizeof line, "%s line %d", i == 70000 ? "FATAL" : "info", i);
        gort_str s = {line, (size_t)len};
        CHECK(gort_slice_append(log, &s));
    }
    size_t fatal = 0;
    for (gort_str s; fatal < gort_slice_len(log); fatal++)
        if (gort_slice_get(log, fatal, &s) == GORT_OK && memcmp(s.ptr, "FATAL", 5) == 0)
            break;
    CHECK(gort_slice_sub(log, fatal, fatal + 10, &tail));
    CHECK(gort_slice_clone(tail, &kept));
    printf("10 lines from a 100,000-line log: the view pins %zu bytes, its clone %zu\n",
           gort_slice_backing_bytes(tail), gort_slice_backing_bytes(kept));
    print_heap("with the whole log:", heap);
    gort_slice_free(log);
    gort_slice_free(tail);
    print_heap("after dropping it:", heap);
    gort_str first;
    CHECK(gort_slice_get(kept, 0, &first));
    printf("  kept[0] = \"%.*s\"\n", (int)first.len, first.ptr);
    gort_slice_free(kept);
    return 0;
}

/* Counts the first word of every line: map[string]int64, then deletes the rare words
 * while iterating (Go allows it) and gives the memory back with shrink. */
static int word_count_demo(gort_heap *heap)
{
    static const char *words[] = {"info", "warn", "debug", "trace", "error"};
    gort_map *counts;
    CHECK(gort_map_create(gort_type_builtin(GORT_KIND_STR), gort_type_builtin(GORT_KIND_I64),
                          0, heap, &counts));
    char word[32];
    for (int i = 0; i < 100000; i++) {
        int len = i % 1000 == 0 ? snprintf(word, sizeof word, "rare%d", i)
                                : snprintf(word, sizeof word, "%s", words[i % 5]);
        gort_str key = {word, (size_t)len};
        int64_t *count;
        CHECK(gort_map_get_ptr(counts, &key, (void **)&count));
        int64_t one = 1;
        if (count)
            ++*count; /* a borrowed pointer into the entry: m[key]++ */
        else
            CHECK(gort_map_set(counts, &key, &one)); /* the map copies the key's bytes */
    }
    gort_map_stats stats = {.struct_size = sizeof stats};
    CHECK(gort_map_stats_get(counts, &stats));
    printf("map[string]int64 of first words: %zu entries, %zu bytes\n", gort_map_len(counts),
           stats.bytes);
    gort_map_iter it;
    const void *key;
    void *value;
    CHECK(gort_map_iter_init(counts, &it));
    while (gort_map_iter_next(&it, &key, &value) == 1) {
        const gort_str *k = key;
        if (*(int64_t *)value == 1)
            CHECK(gort_map_iter_delete(&it)); /* delete inside range */
        else
            printf("  %.*s: %" PRId64 "\n", (int)k->len, k->ptr, *(int64_t *)value);
    }
    CHECK(gort_map_shrink(counts));
    CHECK(gort_map_stats_get(counts, &stats));
    printf("  rare words deleted during iteration; after shrink: %zu entries, %zu bytes\n",
           gort_map_len(counts), stats.bytes);
    gort_map_release(counts);
    return 0;
}

/* ---- a pipeline: producers -> lines (cap 64) -> workers -> errors / done -> main ---- */

enum { PRODUCERS = 2, WORKERS = 2, LINES_EACH = 50000 };

typedef struct pipeline {
    gort_chan *lines;  /* chan string, buffered: the channel owns each line's bytes */
    gort_chan *errors; /* chan int64, unbuffered: line numbers of ERROR lines */
    gort_chan *done;   /* chan int64, unbuffered: each worker's line count */
    int producer_id;
    pthread_t producers[PRODUCERS];
} pipeline;

static void *produce(void *arg)
{
    pipeline *p = arg;
    int id = __atomic_fetch_add(&p->producer_id, 1, __ATOMIC_RELAXED);
    char line[64];
    for (int i = 0; i < LINES_EACH; i++) {
        int number = id * LINES_EACH + i;
        int len = snprintf(line, sizeof line, "%s %d", number % 10000 == 7 ? "ERROR" : "info",
                           number);
        gort_str s = {line, (size_t)len};
        if (gort_chan_send(p->lines, &s) != GORT_OK) /* copies the bytes; line is reusable */
            break;
    }
    return NULL;
}

static void *work(void *arg)
{
    pipeline *p = arg;
    int64_t count = 0;
    gort_str line;
    int ok;
    /* for line := range lines: ok turns 0 once lines is closed and drained */
    while (gort_chan_recv(p->lines, &line, &ok) == GORT_OK && ok) {
        if (line.len > 5 && memcmp(line.ptr, "ERROR", 5) == 0) {
            int64_t number = 0;
            for (size_t i = 6; i < line.len; i++)
                number = number * 10 + (line.ptr[i] - '0');
            gort_chan_send(p->errors, &number);
        }
        count++;
        gort_value_drop(gort_type_builtin(GORT_KIND_STR), &line); /* we own it: free */
    }
    gort_chan_send(p->done, &count);
    return NULL;
}

/* Go's `go func() { wg.Wait(); close(lines) }()`: once every producer is done, close
 * the lines channel; workers drain what is buffered and then see ok == 0. */
static void *close_when_produced(void *arg)
{
    pipeline *p = arg;
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p->producers[i], NULL);
    gort_chan_close(p->lines);
    return NULL;
}

static int collect(pipeline *p)
{
    int64_t error_line, worker_count, total = 0;
    int workers_left = WORKERS, errors = 0;
    gort_select_case cases[] = {
        {p->errors, GORT_SELECT_RECV, 0, &error_line},
        {p->done, GORT_SELECT_RECV, 0, &worker_count},
    };
    while (workers_left > 0) {
        size_t chosen;
        int status = gort_select(cases, 2, 5000000000, &chosen, NULL); /* 5 s timeout */
        if (status != GORT_OK) {
            fprintf(stderr, "select: %s\n", gort_strerror(status));
            return 1;
        }
        if (chosen == 0) {
            errors++;
            printf("  ERROR at line %" PRId64 "\n", error_line);
        } else {
            workers_left--;
            total += worker_count;
        }
    }
    printf("  %" PRId64 " lines from %d producers through %d workers, %d errors\n", total,
           PRODUCERS, WORKERS, errors);
    return total == PRODUCERS * LINES_EACH ? 0 : 1;
}

static int pipeline_demo(gort_heap *heap)
{
    pipeline p = {0};
    CHECK(gort_chan_create(gort_type_builtin(GORT_KIND_STR), 64, heap, &p.lines));
    CHECK(gort_chan_create(gort_type_builtin(GORT_KIND_I64), 0, heap, &p.errors));
    CHECK(gort_chan_create(gort_type_builtin(GORT_KIND_I64), 0, heap, &p.done));
    printf("pipeline: producers -> chan string (cap 64) -> workers -> select {errors, done}\n");
    pthread_t workers[WORKERS], closer;
    for (int i = 0; i < PRODUCERS; i++)
        pthread_create(&p.producers[i], NULL, produce, &p);
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&workers[i], NULL, work, &p);
    pthread_create(&closer, NULL, close_when_produced, &p);
    int failed = collect(&p);
    pthread_join(closer, NULL);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(workers[i], NULL);
    gort_chan_release(p.lines);
    gort_chan_release(p.errors);
    gort_chan_release(p.done);
    return failed;
}

int main(void)
{
    printf("libgort %s\n\n", gort_version_string());
    gort_heap *heap;
    CHECK(gort_heap_create(&heap));
    if (growth_demo() || aliasing_demo() || pinning_demo(heap) || word_count_demo(heap) ||
        pipeline_demo(heap))
        return 1;
    print_heap("at the end:", heap);
    CHECK(gort_heap_destroy(heap, 0));
    return 0;
}
