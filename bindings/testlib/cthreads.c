/*
 * gort_cthreads — foreign C threads for the bindings' tests.
 *
 * Python's and LuaJIT's tests must show their channels working with threads the host
 * language did not create (LuaJIT cannot create threads at all). This module starts such
 * threads: a producer of int64 values, a producer of words (gort_str) cut from a text,
 * and a consumer of int64 values. It is test support, built beside the library and never
 * installed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gort.h>

#define EXPORT __attribute__((visibility("default")))

typedef enum job { PRODUCE_INTS, PRODUCE_WORDS, CONSUME_INTS } job;

typedef struct gort_cthread {
    pthread_t thread;
    job job;
    gort_chan *chan; /* one reference, held by the thread's job */
    int64_t first, n;
    char *text;
    size_t text_len;
    int close_after;
    /* results, read after join */
    int status;
    int64_t count, sum;
} gort_cthread;

/* The entry points the Python and LuaJIT tests call (declared for -Wmissing-prototypes). */
EXPORT int gort_cthread_produce(gort_chan *c, int64_t first, int64_t n, int close_after,
                                gort_cthread **out);
EXPORT int gort_cthread_produce_words(gort_chan *c, const char *text, size_t len,
                                      int close_after, gort_cthread **out);
EXPORT int gort_cthread_consume(gort_chan *c, gort_cthread **out);
EXPORT int gort_cthread_join(gort_cthread *t, int64_t *count, int64_t *sum);

static void produce_ints(gort_cthread *t)
{
    for (int64_t i = 0; i < t->n && t->status == GORT_OK; i++) {
        int64_t value = t->first + i;
        t->status = gort_chan_send(t->chan, &value);
        if (t->status == GORT_OK) {
            t->count++;
            t->sum += value;
        }
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Sends each whitespace-separated word of the text; sum is the total of word lengths. */
static void produce_words(gort_cthread *t)
{
    size_t i = 0;
    while (i < t->text_len && t->status == GORT_OK) {
        while (i < t->text_len && is_space(t->text[i]))
            i++;
        size_t start = i;
        while (i < t->text_len && !is_space(t->text[i]))
            i++;
        if (i == start)
            break;
        gort_str word = {t->text + start, i - start};
        t->status = gort_chan_send(t->chan, &word); /* the channel copies the bytes */
        if (t->status == GORT_OK) {
            t->count++;
            t->sum += (int64_t)word.len;
        }
    }
}

static void consume_ints(gort_cthread *t)
{
    int64_t value;
    int ok;
    while ((t->status = gort_chan_recv(t->chan, &value, &ok)) == GORT_OK && ok) {
        t->count++;
        t->sum += value;
    }
}

static void *run(void *arg)
{
    gort_cthread *t = arg;
    if (t->job == PRODUCE_INTS)
        produce_ints(t);
    else if (t->job == PRODUCE_WORDS)
        produce_words(t);
    else
        consume_ints(t);
    if (t->close_after && t->status == GORT_OK)
        t->status = gort_chan_close(t->chan);
    return NULL;
}

static int start(gort_cthread *t, gort_chan *c, gort_cthread **out)
{
    t->chan = gort_chan_retain(c);
    if (pthread_create(&t->thread, NULL, run, t) != 0) {
        gort_chan_release(t->chan);
        free(t->text);
        free(t);
        return GORT_ENOMEM;
    }
    *out = t;
    return GORT_OK;
}

/* Starts a thread that sends first, first + 1, ..., first + n - 1 into the int64 channel c,
 * then closes c if close_after. */
EXPORT int gort_cthread_produce(gort_chan *c, int64_t first, int64_t n, int close_after,
                                gort_cthread **out)
{
    if (!c || !out || n < 0 || gort_chan_expect_type(c, gort_type_builtin(GORT_KIND_I64)))
        return GORT_EINVAL;
    gort_cthread *t = calloc(1, sizeof *t);
    if (!t)
        return GORT_ENOMEM;
    *t = (gort_cthread){.job = PRODUCE_INTS, .first = first, .n = n, .close_after = close_after};
    return start(t, c, out);
}

/* Starts a thread that sends each whitespace-separated word of text (copied) into the str
 * channel c, then closes c if close_after. */
EXPORT int gort_cthread_produce_words(gort_chan *c, const char *text, size_t len, int close_after,
                                      gort_cthread **out)
{
    if (!c || (!text && len) || !out ||
        gort_chan_expect_type(c, gort_type_builtin(GORT_KIND_STR)))
        return GORT_EINVAL;
    gort_cthread *t = calloc(1, sizeof *t);
    char *copy = malloc(len ? len : 1);
    if (!t || !copy) {
        free(t);
        free(copy);
        return GORT_ENOMEM;
    }
    if (len)
        memcpy(copy, text, len);
    *t = (gort_cthread){.job = PRODUCE_WORDS, .text = copy, .text_len = len,
                        .close_after = close_after};
    return start(t, c, out);
}

/* Starts a thread that receives int64 values from c until it is closed and drained. */
EXPORT int gort_cthread_consume(gort_chan *c, gort_cthread **out)
{
    if (!c || !out || gort_chan_expect_type(c, gort_type_builtin(GORT_KIND_I64)))
        return GORT_EINVAL;
    gort_cthread *t = calloc(1, sizeof *t);
    if (!t)
        return GORT_ENOMEM;
    *t = (gort_cthread){.job = CONSUME_INTS};
    return start(t, c, out);
}

/* Waits for the thread and frees it. *count and *sum (each may be NULL) receive how many
 * values it sent or received and their sum (for words: the total of their lengths).
 * Returns the status of the thread's last channel call (GORT_OK when all went well). */
EXPORT int gort_cthread_join(gort_cthread *t, int64_t *count, int64_t *sum)
{
    if (!t)
        return GORT_EINVAL;
    pthread_join(t->thread, NULL);
    int status = t->status;
    if (count)
        *count = t->count;
    if (sum)
        *sum = t->sum;
    gort_chan_release(t->chan);
    free(t->text);
    free(t);
    return status;
}
