/*
 * gort_pyecho — a C thread that echoes values between two channels, for the Python
 * tests of the `object` element type (test support, built beside the tests, never
 * installed). bindings/testlib/cthreads.c moves only int64 values and words; this one
 * moves values of any element type, so Python objects travel through a thread Python did
 * not create: the retain hook runs there (a send stages the value) and so does the
 * release hook (the thread drops its received copy once it has been sent on).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <gort.h>

#define EXPORT __attribute__((visibility("default")))

enum { MAX_ELEM = 64 }; /* bytes of one value: enough for every builtin and object */

typedef struct gort_pyecho {
    pthread_t thread;
    gort_chan *in, *out; /* one reference each, held by the thread */
    int status;          /* the last channel call's, read after join */
    int64_t count;
} gort_pyecho;

EXPORT int gort_pyecho_start(gort_chan *in, gort_chan *out, gort_pyecho **thread);
EXPORT int gort_pyecho_join(gort_pyecho *t, int64_t *count);

/* Receives from `in` until it is closed and drained, sending each value on `out`; then
 * closes `out`. The received value is the thread's own: it is dropped once sent. */
static void *echo(void *arg)
{
    gort_pyecho *t = arg;
    gort_type *type = gort_chan_elem_type(t->in);
    _Alignas(16) unsigned char value[MAX_ELEM];
    int ok;
    while ((t->status = gort_chan_recv(t->in, value, &ok)) == GORT_OK && ok) {
        t->status = gort_chan_send(t->out, value);
        gort_value_drop(type, value);
        if (t->status != GORT_OK)
            return NULL;
        t->count++;
    }
    if (t->status == GORT_OK)
        t->status = gort_chan_close(t->out);
    return NULL;
}

/* Starts the echo thread from `in` to `out` (same element type, at most MAX_ELEM
 * bytes). GORT_EINVAL for bad arguments, GORT_ENOMEM if the thread cannot start. */
EXPORT int gort_pyecho_start(gort_chan *in, gort_chan *out, gort_pyecho **thread)
{
    if (!in || !out || !thread || gort_type_size(gort_chan_elem_type(in)) > MAX_ELEM ||
        gort_chan_expect_type(out, gort_chan_elem_type(in)) != GORT_OK)
        return GORT_EINVAL;
    gort_pyecho *t = calloc(1, sizeof *t);
    if (!t)
        return GORT_ENOMEM;
    t->in = gort_chan_retain(in);
    t->out = gort_chan_retain(out);
    if (pthread_create(&t->thread, NULL, echo, t) != 0) {
        gort_chan_release(t->in);
        gort_chan_release(t->out);
        free(t);
        return GORT_ENOMEM;
    }
    *thread = t;
    return GORT_OK;
}

/* Waits for the thread, stores how many values it echoed, frees it, and returns the
 * status of its last channel call. */
EXPORT int gort_pyecho_join(gort_pyecho *t, int64_t *count)
{
    if (!t)
        return GORT_EINVAL;
    pthread_join(t->thread, NULL);
    int status = t->status;
    if (count)
        *count = t->count;
    gort_chan_release(t->in);
    gort_chan_release(t->out);
    free(t);
    return status;
}
