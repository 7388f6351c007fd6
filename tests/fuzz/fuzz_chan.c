/*
 * Fuzz target: gort_chan and gort_select, single-threaded, against a model of Go's
 * channels.
 *
 * Model. Each of four channel slots is a FIFO queue of model values with a capacity
 * (0, 1, 2, 3, 5 or 8) and a closed flag. Elements are int64, GORT_KIND_STR (model value v
 * is the string fuzz_str_encode(v)) or a zero-size custom type (Go's struct{}, a counting
 * semaphore whose values are all 0). Every value sent is a fresh serial number, so a
 * receive that does not return exactly the queue's head — a lost, duplicated or reordered
 * message — is caught at once. With one thread there is never a waiting partner: a send is
 * ready when the channel is closed (GORT_ECLOSED) or has room, a receive when it holds a
 * value or is closed (then the zero value with ok 0, forever), and an unbuffered channel is
 * never ready until closed, even for a select holding both a send and a receive on it.
 *
 * Input: bytes 0-3 configure the channels (bits 0-1 kind, bits 2-4 capacity), then
 * operations, each an opcode byte and its arguments (see the op_* functions): try_send,
 * try_recv, the *_timeout calls with 0, tiny or (when the model says ready) long timeouts,
 * blocking send/recv when ready, close, selects of 1-8 cases over the four channels and
 * the NULL channel (duplicates, send and receive on one channel, discarding receives,
 * zero-value sends, malformed cases), pollable-fd readiness, type checks, and renewing a
 * channel (its buffered values dropped). At most FUZZ_MAX_OPS operations run.
 *
 * Checked: every status; received values and ok flags; that a failed receive leaves *out
 * and *ok untouched and a select's unchosen receive buffers untouched; that the chosen
 * select case was ready in the model and that a select with a ready case never reports
 * GORT_EAGAIN/GORT_ETIMEDOUT; len, cap and is_closed of every channel after every
 * operation; the fds' level (poll) against the model's readiness; message accounting
 * (sent = received + buffered + dropped); send buffers scrubbed after each call, received
 * strings dropped by the receiver; and at the end, no block left in either heap.
 */
#include <poll.h>

#include "fuzz.h"

#define CHANS 4 /* channel slots; in a select case, slot CHANS is the NULL channel */
#define MAX_CASES 8
#define QUEUE_MAX 8
#define LONG_TIMEOUT_NS 1000000000 /* for calls the model says complete at once */
#define MAX_TIMED_WAITS 16

enum elem_kind { KIND_I64, KIND_STR, KIND_UNIT };

typedef struct chan_model {
    gort_chan *handle;
    int kind;
    size_t cap;
    uint64_t queue[QUEUE_MAX]; /* a ring: count values from head */
    size_t head, count;
    bool closed;
    uint64_t sent, received, dropped; /* messages, for the accounting check */
} chan_model;

/* One value in the library's representation, with room for a string's bytes. */
typedef struct cell {
    union {
        int64_t i64;
        gort_str str;
    } as;
    char bytes[FUZZ_STR_MAX];
} cell;

typedef struct chan_run {
    fuzz_input in;
    fuzz_ctx ctx;
    gort_heap *heap;
    gort_type *unit_type;
    chan_model chans[CHANS];
    uint64_t next_serial;
    int timed_waits;                       /* calls that waited for their timeout to expire */
    size_t selects, selects_ready, closes; /* verbose summary */
} chan_run;

static const size_t capacities[8] = {0, 1, 2, 3, 5, 8, 1, 2};

/* ---- values ----------------------------------------------------------------------------- */

static gort_type *kind_type(const chan_run *r, int kind)
{
    if (kind == KIND_UNIT)
        return r->unit_type;
    return gort_type_builtin(kind == KIND_I64 ? GORT_KIND_I64 : GORT_KIND_STR);
}

static size_t kind_size(int kind)
{
    return kind == KIND_I64 ? sizeof(int64_t) : kind == KIND_STR ? sizeof(gort_str) : 0;
}

/* A fresh message: a serial number nobody sent before (the unit type carries nothing). */
static uint64_t new_message(chan_run *r, int kind)
{
    return kind == KIND_UNIT ? 0 : ++r->next_serial;
}

static void cell_encode(int kind, uint64_t v, cell *out)
{
    if (kind == KIND_STR)
        out->as.str = (gort_str){out->bytes, fuzz_str_encode(v, out->bytes)};
    else
        out->as.i64 = (int64_t)v;
}

static bool cell_is(int kind, const cell *got, uint64_t want)
{
    if (kind == KIND_STR)
        return fuzz_str_is(&got->as.str, want);
    return kind == KIND_UNIT || (uint64_t)got->as.i64 == want;
}

/* Receive buffers start as 0xEE bytes, so "untouched" is checkable. */
static void cell_poison(cell *c)
{
    memset(c, 0xEE, sizeof *c);
}

static bool cell_untouched(int kind, const cell *c)
{
    const unsigned char *p = (const unsigned char *)&c->as;
    for (size_t i = 0; i < kind_size(kind); i++)
        if (p[i] != 0xEE)
            return false;
    return true;
}

static bool cell_zero(int kind, const cell *c)
{
    const unsigned char *p = (const unsigned char *)&c->as;
    for (size_t i = 0; i < kind_size(kind); i++)
        if (p[i] != 0)
            return false;
    return true;
}

/* ---- the model -------------------------------------------------------------------------- */

static bool recv_ready(const chan_model *c)
{
    return c->count > 0 || c->closed;
}

static bool send_ready(const chan_model *c)
{
    return c->closed || c->count < c->cap;
}

/* The status a non-waiting send predicts: ECLOSED, OK (room) or `would_block`. */
static int send_status(const chan_model *c, int would_block)
{
    return c->closed ? GORT_ECLOSED : c->count < c->cap ? GORT_OK : would_block;
}

static void model_push(chan_model *c, uint64_t v)
{
    c->queue[(c->head + c->count++) % QUEUE_MAX] = v;
    c->sent++;
}

static uint64_t model_pop(chan_model *c)
{
    uint64_t v = c->queue[c->head];
    c->head = (c->head + 1) % QUEUE_MAX;
    c->count--;
    c->received++;
    return v;
}

/* A receive returned: check the value against the model's head (or the closed channel's
 * zero value), then drop what the caller now owns. */
static void check_received(chan_run *r, int slot, cell *out, bool discard, int ok)
{
    chan_model *c = &r->chans[slot];
    if (c->count == 0) {
        FUZZ_EXPECT(&r->ctx, ok == 0, "chan %d: closed and drained, but ok %d", slot, ok);
        FUZZ_EXPECT(&r->ctx, discard || cell_zero(c->kind, out),
                    "chan %d: closed receive did not store the zero value", slot);
        return;
    }
    uint64_t want = model_pop(c);
    FUZZ_EXPECT(&r->ctx, ok == 1, "chan %d: received with ok %d, model has message %#llx", slot,
                ok, (unsigned long long)want);
    FUZZ_EXPECT(&r->ctx, discard || cell_is(c->kind, out, want),
                "chan %d: received a message other than the head %#llx (lost, duplicated or "
                "reordered)",
                slot, (unsigned long long)want);
    if (!discard)
        gort_value_drop(kind_type(r, c->kind), &out->as);
}

/* ---- checks ----------------------------------------------------------------------------- */

static void check_chan(chan_run *r, int slot)
{
    const chan_model *c = &r->chans[slot];
    size_t len = gort_chan_len(c->handle), cap = gort_chan_cap(c->handle);
    FUZZ_EXPECT(&r->ctx, len == c->count && cap == c->cap,
                "chan %d: len %zu cap %zu, model %zu %zu", slot, len, cap, c->count, c->cap);
    FUZZ_EXPECT(&r->ctx, (gort_chan_is_closed(c->handle) != 0) == c->closed,
                "chan %d: is_closed %d, model %d", slot, gort_chan_is_closed(c->handle),
                (int)c->closed);
    FUZZ_EXPECT(&r->ctx, c->sent == c->received + c->count,
                "chan %d: model accounting broke: %llu sent, %llu received, %zu buffered", slot,
                (unsigned long long)c->sent, (unsigned long long)c->received, c->count);
}

/* ---- channel slots ---------------------------------------------------------------------- */

static void chan_open(chan_run *r, int slot, uint8_t config)
{
    chan_model *c = &r->chans[slot];
    *c = (chan_model){.kind = (config & 3) % 3, .cap = capacities[(config >> 2) & 7]};
    fuzz_expect_status(
        &r->ctx, gort_chan_create(kind_type(r, c->kind), (int64_t)c->cap, r->heap, &c->handle),
        GORT_OK, "gort_chan_create");
}

/* Releases the slot's channel; buffered messages are dropped by the library. */
static void chan_close_slot(chan_run *r, int slot)
{
    chan_model *c = &r->chans[slot];
    c->dropped += c->count;
    gort_chan_release(c->handle);
    c->handle = NULL;
}

static int take_chan(chan_run *r)
{
    return fuzz_u8(&r->in) % CHANS;
}

/*
 * A timeout from a timing byte. Bit 4, when the model says the call completes at once: a
 * long (1 s) or, with bit 5, an infinite one. Bits 0-2 all set: a tiny positive one (1 ns,
 * or 1 us with bit 3) that expires with GORT_ETIMEDOUT; an expiry costs ~100 us, so at
 * most MAX_TIMED_WAITS per run. Otherwise 0.
 */
static int64_t choose_timeout(chan_run *r, uint8_t timing, bool ready)
{
    if ((timing & 16) && ready)
        return timing & 32 ? -1 : LONG_TIMEOUT_NS;
    if ((timing & 7) != 7 || r->timed_waits >= MAX_TIMED_WAITS)
        return 0;
    r->timed_waits += !ready;
    return timing & 8 ? 1000 : 1;
}

/* ---- send and receive ------------------------------------------------------------------- */

/* Sends a fresh message (flags bit 0: the zero value, NULL) with `send`, which returns
 * status; the model predicts it from `would_block` (EAGAIN or ETIMEDOUT). */
typedef int (*send_fn)(gort_chan *c, const void *value, int64_t timeout_ns);

static int send_try(gort_chan *c, const void *value, int64_t timeout_ns)
{
    (void)timeout_ns;
    return gort_chan_try_send(c, value);
}

static int send_blocking(gort_chan *c, const void *value, int64_t timeout_ns)
{
    (void)timeout_ns;
    return gort_chan_send(c, value);
}

static void do_send(chan_run *r, int slot, send_fn send, int64_t timeout_ns, int would_block,
                    const char *what)
{
    chan_model *c = &r->chans[slot];
    bool zero = fuzz_u8(&r->in) & 1;
    uint64_t v = zero ? 0 : new_message(r, c->kind);
    cell value;
    cell_encode(c->kind, v, &value);
    int want = send_status(c, would_block);
    fuzz_expect_status(&r->ctx, send(c->handle, zero ? NULL : &value.as, timeout_ns), want,
                       what);
    fuzz_scrub(&value, sizeof value);
    if (want == GORT_OK)
        model_push(c, v);
}

/* try_send: chan, flags. */
static void op_try_send(chan_run *r)
{
    do_send(r, take_chan(r), send_try, 0, GORT_EAGAIN, "gort_chan_try_send");
}

/* send_timeout: chan, timing (see choose_timeout), flags. */
static void op_send_timeout(chan_run *r)
{
    int slot = take_chan(r);
    int64_t timeout = choose_timeout(r, fuzz_u8(&r->in), send_ready(&r->chans[slot]));
    do_send(r, slot, gort_chan_send_timeout, timeout, timeout ? GORT_ETIMEDOUT : GORT_EAGAIN,
            "gort_chan_send_timeout");
}

/* send: chan, flags. Blocking, so only when the model says it completes at once (else the
 * flags byte is skipped). */
static void op_send(chan_run *r)
{
    int slot = take_chan(r);
    if (send_ready(&r->chans[slot]))
        do_send(r, slot, send_blocking, 0, GORT_EAGAIN, "gort_chan_send");
    else
        fuzz_u8(&r->in);
}

/* Receives with the call picked by `how` (0 try, 1 timeout, 2 blocking), flags bit 0
 * discarding the value (out NULL), bit 1 passing ok as NULL. */
static void do_recv(chan_run *r, int slot, int how, int64_t timeout_ns, int would_block)
{
    chan_model *c = &r->chans[slot];
    uint8_t flags = fuzz_u8(&r->in);
    bool discard = flags & 1, no_ok = flags & 2;
    cell out;
    int ok = 0x5A5A;
    cell_poison(&out);
    void *out_ptr = discard ? NULL : (void *)&out.as;
    int *ok_ptr = no_ok ? NULL : &ok;
    int status = how == 0   ? gort_chan_try_recv(c->handle, out_ptr, ok_ptr)
                 : how == 1 ? gort_chan_recv_timeout(c->handle, out_ptr, ok_ptr, timeout_ns)
                            : gort_chan_recv(c->handle, out_ptr, ok_ptr);
    const char *what = how == 0   ? "gort_chan_try_recv"
                       : how == 1 ? "gort_chan_recv_timeout"
                                  : "gort_chan_recv";
    fuzz_expect_status(&r->ctx, status, recv_ready(c) ? GORT_OK : would_block, what);
    if (status != GORT_OK) {
        FUZZ_EXPECT(&r->ctx, ok == 0x5A5A && cell_untouched(c->kind, &out),
                    "chan %d: a failed receive wrote *out or *ok", slot);
        return;
    }
    check_received(r, slot, &out, discard, no_ok ? c->count > 0 : ok);
}

/* try_recv: chan, flags. */
static void op_try_recv(chan_run *r)
{
    do_recv(r, take_chan(r), 0, 0, GORT_EAGAIN);
}

/* recv_timeout: chan, timing (see choose_timeout), flags. */
static void op_recv_timeout(chan_run *r)
{
    int slot = take_chan(r);
    int64_t timeout = choose_timeout(r, fuzz_u8(&r->in), recv_ready(&r->chans[slot]));
    do_recv(r, slot, 1, timeout, timeout ? GORT_ETIMEDOUT : GORT_EAGAIN);
}

/* recv: chan, flags. Blocking, so only when ready (else the flags byte is skipped). */
static void op_recv(chan_run *r)
{
    int slot = take_chan(r);
    if (recv_ready(&r->chans[slot]))
        do_recv(r, slot, 2, -1, GORT_EAGAIN);
    else
        fuzz_u8(&r->in);
}

/* close: chan. A second close is GORT_ECLOSED. */
static void op_close(chan_run *r)
{
    int slot = take_chan(r);
    chan_model *c = &r->chans[slot];
    fuzz_expect_status(&r->ctx, gort_chan_close(c->handle), c->closed ? GORT_ECLOSED : GORT_OK,
                       "gort_chan_close");
    c->closed = true;
    r->closes++;
}

/* renew: chan, config. The old channel goes with its buffered messages. */
static void op_renew(chan_run *r)
{
    int slot = take_chan(r);
    uint8_t config = fuzz_u8(&r->in);
    uint64_t sent = r->chans[slot].sent, received = r->chans[slot].received;
    chan_close_slot(r, slot);
    uint64_t dropped = r->chans[slot].dropped;
    FUZZ_EXPECT(&r->ctx, sent == received + dropped,
                "chan %d: %llu sent != %llu received + %llu dropped", slot,
                (unsigned long long)sent, (unsigned long long)received,
                (unsigned long long)dropped);
    chan_open(r, slot, config);
}

/* retain: chan. An extra reference, released at once: the channel must survive it. */
static void op_retain(chan_run *r)
{
    gort_chan *c = r->chans[take_chan(r)].handle;
    FUZZ_EXPECT(&r->ctx, gort_chan_retain(c) == c, "gort_chan_retain returned another handle");
    gort_chan_release(c);
}

/* expect_type: chan, kind. Only the channel's own element type fits. */
static void op_expect_type(chan_run *r)
{
    int slot = take_chan(r), kind = fuzz_u8(&r->in) % 3;
    const chan_model *c = &r->chans[slot];
    fuzz_expect_status(&r->ctx, gort_chan_expect_type(c->handle, kind_type(r, kind)),
                       kind == c->kind ? GORT_OK : GORT_ETYPE, "gort_chan_expect_type");
    FUZZ_EXPECT(&r->ctx, gort_chan_elem_type(c->handle) == kind_type(r, c->kind),
                "chan %d: elem_type is not the creation type", slot);
}

/* fd: chan, direction. The eventfd must be readable exactly while the model says ready. */
static void op_fd(chan_run *r)
{
    int slot = take_chan(r),
        dir = fuzz_u8(&r->in) & 1 ? GORT_CHAN_SEND_READY : GORT_CHAN_RECV_READY;
    const chan_model *c = &r->chans[slot];
    int fd = -1, again = -1;
    fuzz_expect_status(&r->ctx, gort_chan_fd(c->handle, dir, &fd), GORT_OK, "gort_chan_fd");
    fuzz_expect_status(&r->ctx, gort_chan_fd(c->handle, dir, &again), GORT_OK, "gort_chan_fd");
    FUZZ_EXPECT(&r->ctx, fd >= 0 && fd == again, "chan %d: fd %d, then %d", slot, fd, again);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n = poll(&p, 1, 0);
    bool readable = n == 1 && (p.revents & POLLIN);
    bool ready = dir == GORT_CHAN_RECV_READY ? recv_ready(c) : send_ready(c);
    FUZZ_EXPECT(&r->ctx, readable == ready, "chan %d: %s fd readable %d, model ready %d", slot,
                dir == GORT_CHAN_RECV_READY ? "recv" : "send", (int)readable, (int)ready);
}

/* ---- select ----------------------------------------------------------------------------- */

typedef struct select_plan {
    gort_select_case cases[MAX_CASES];
    cell cells[MAX_CASES];
    uint64_t message[MAX_CASES]; /* a send case's model value */
    int chan[MAX_CASES];         /* slot, or -1 for the NULL channel */
    size_t n;
    bool malformed;
} select_plan;

/* One case from two bytes: channel (slot CHANS: NULL) and op; flags: bit 0 discarding
 * receive / zero-value send, 0xFF as the flags byte a malformed case. */
static void plan_case(chan_run *r, select_plan *plan, size_t i)
{
    uint8_t which = fuzz_u8(&r->in), flags = fuzz_u8(&r->in);
    int slot = which % (CHANS + 1) == CHANS ? -1 : which % (CHANS + 1);
    bool send = which & 0x80, bare = flags & 1;
    int kind = slot >= 0 ? r->chans[slot].kind : KIND_I64;
    gort_select_case *sc = &plan->cases[i];
    plan->chan[i] = slot;
    sc->chan = slot >= 0 ? r->chans[slot].handle : NULL;
    sc->op = send ? GORT_SELECT_SEND : GORT_SELECT_RECV;
    sc->value = bare ? NULL : &plan->cells[i].as;
    cell_poison(&plan->cells[i]);
    if (send) {
        plan->message[i] = bare ? 0 : new_message(r, kind);
        cell_encode(kind, plan->message[i], &plan->cells[i]);
    }
    if (flags == 0xFF) {
        plan->malformed = true;
        if (which & 0x40)
            sc->reserved = 1;
        else
            sc->op = 3;
    }
}

static bool case_ready(const chan_run *r, const select_plan *plan, size_t i)
{
    int slot = plan->chan[i];
    if (slot < 0)
        return false;
    const chan_model *c = &r->chans[slot];
    return plan->cases[i].op == GORT_SELECT_SEND ? send_ready(c) : recv_ready(c);
}

static bool any_ready(const chan_run *r, const select_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++)
        if (case_ready(r, plan, i))
            return true;
    return false;
}

/* Receive buffers of the cases not committed must be as they were. */
static void check_unchosen(chan_run *r, const select_plan *plan, size_t chosen)
{
    for (size_t i = 0; i < plan->n; i++) {
        int kind = plan->chan[i] >= 0 ? r->chans[plan->chan[i]].kind : KIND_I64;
        if (i != chosen && plan->cases[i].op == GORT_SELECT_RECV && plan->cases[i].value)
            FUZZ_EXPECT(&r->ctx, cell_untouched(kind, &plan->cells[i]),
                        "select: case %zu was not chosen but its buffer was written", i);
    }
}

/* The select committed case `chosen` with `status`: it must have been ready, and its
 * effect must be the model's. ok < 0: recv_ok was NULL. */
static void check_commit(chan_run *r, select_plan *plan, int status, size_t chosen, int ok)
{
    FUZZ_EXPECT(&r->ctx, status == GORT_OK || status == GORT_ECLOSED,
                "select returned %d (%s) although the model has a ready case", status,
                gort_strerror(status));
    FUZZ_EXPECT(&r->ctx, chosen < plan->n && case_ready(r, plan, chosen),
                "select chose case %zu of %zu, which the model says was not ready", chosen,
                plan->n);
    int slot = plan->chan[chosen];
    chan_model *c = &r->chans[slot];
    gort_select_case *sc = &plan->cases[chosen];
    if (sc->op == GORT_SELECT_SEND) {
        fuzz_expect_status(&r->ctx, status, c->closed ? GORT_ECLOSED : GORT_OK,
                           "gort_select (send)");
        if (!c->closed) {
            FUZZ_EXPECT(&r->ctx, ok < 0 || ok == 1, "select send: recv_ok %d", ok);
            model_push(c, plan->message[chosen]);
        }
        return;
    }
    fuzz_expect_status(&r->ctx, status, GORT_OK, "gort_select (recv)");
    if (ok < 0)
        ok = c->count > 0; /* what the model expects, for lack of the real flag */
    check_received(r, slot, &plan->cells[chosen], sc->value == NULL, ok);
}

/* select: n cases, timing (choose_timeout; bit 6: recv_ok NULL), then two bytes per case
 * (see plan_case). */
static void op_select(chan_run *r)
{
    select_plan plan = {.n = fuzz_u8(&r->in) % MAX_CASES + 1};
    uint8_t timing = fuzz_u8(&r->in);
    for (size_t i = 0; i < plan.n; i++)
        plan_case(r, &plan, i);
    bool ready = any_ready(r, &plan), no_ok = timing & 64;
    int64_t timeout = choose_timeout(r, timing, ready && !plan.malformed);
    size_t chosen = SIZE_MAX;
    int ok = 0x5A5A;
    int status = gort_select(plan.cases, plan.n, timeout, &chosen, no_ok ? NULL : &ok);
    for (size_t i = 0; i < plan.n; i++)
        if (plan.cases[i].op == GORT_SELECT_SEND)
            fuzz_scrub(&plan.cells[i], sizeof plan.cells[i]);
    r->selects++;
    if (plan.malformed || !ready) {
        int want = plan.malformed ? GORT_EINVAL : timeout ? GORT_ETIMEDOUT : GORT_EAGAIN;
        fuzz_expect_status(&r->ctx, status, want, "gort_select (nothing to commit)");
        check_unchosen(r, &plan, SIZE_MAX);
        return;
    }
    r->selects_ready++;
    check_commit(r, &plan, status, chosen, no_ok ? -1 : ok);
    check_unchosen(r, &plan, chosen);
}

typedef struct chan_op {
    const char *name;
    void (*run)(chan_run *r);
} chan_op;

static const chan_op chan_ops[] = {
    {"try_send", op_try_send},
    {"try_send", op_try_send},
    {"try_recv", op_try_recv},
    {"try_recv", op_try_recv},
    {"send_timeout", op_send_timeout},
    {"recv_timeout", op_recv_timeout},
    {"send", op_send},
    {"recv", op_recv},
    {"close", op_close},
    {"select", op_select},
    {"select", op_select},
    {"select", op_select},
    {"renew", op_renew},
    {"retain", op_retain},
    {"expect_type", op_expect_type},
    {"fd", op_fd},
};

#define N_CHAN_OPS (sizeof chan_ops / sizeof chan_ops[0])

/* ---- the run ---------------------------------------------------------------------------- */

/* The zero-size element type (Go's struct{}), one per run. */
static gort_type *unit_type_create(chan_run *r)
{
    gort_type_desc desc = {.struct_size = sizeof desc, .size = 0, .align = 1, .name = "unit"};
    gort_type *type = NULL;
    fuzz_expect_status(&r->ctx, gort_type_create(&desc, &type), GORT_OK, "gort_type_create");
    return type;
}

/* Drains even slots through try_recv (checking every message left), then releases every
 * channel, odd ones with whatever they still buffer. */
static void run_teardown(chan_run *r)
{
    for (int slot = 0; slot < CHANS; slot++) {
        chan_model *c = &r->chans[slot];
        while (slot % 2 == 0 && c->count > 0) {
            cell out;
            int ok = -1;
            cell_poison(&out);
            fuzz_expect_status(&r->ctx, gort_chan_try_recv(c->handle, &out.as, &ok), GORT_OK,
                               "gort_chan_try_recv (drain)");
            check_received(r, slot, &out, false, ok);
        }
        check_chan(r, slot);
        chan_close_slot(r, slot);
    }
    gort_type_release(r->unit_type);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    chan_run *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    r->in = (fuzz_input){data, size, 0};
    r->ctx = (fuzz_ctx){"fuzz_chan", 0, "setup"};
    fuzz_heaps heaps;
    fuzz_heaps_open(&heaps, &r->ctx);
    r->heap = heaps.heap;
    int verbose = fuzz_verbose();
    r->unit_type = unit_type_create(r);
    for (int slot = 0; slot < CHANS; slot++)
        chan_open(r, slot, fuzz_u8(&r->in));
    for (; fuzz_more(&r->in) && r->ctx.op < FUZZ_MAX_OPS; r->ctx.op++) {
        const chan_op *op = &chan_ops[fuzz_u8(&r->in) % N_CHAN_OPS];
        r->ctx.op_name = op->name;
        fuzz_trace(&r->ctx, verbose);
        op->run(r);
        for (int slot = 0; slot < CHANS; slot++)
            check_chan(r, slot);
    }
    r->ctx.op_name = "teardown";
    run_teardown(r);
    fuzz_heaps_close(&heaps, &r->ctx);
    if (verbose)
        fprintf(stderr,
                "fuzz_chan: %zu ops, %llu messages, %zu selects (%zu ready), %zu closes\n",
                r->ctx.op, (unsigned long long)r->next_serial, r->selects, r->selects_ready,
                r->closes);
    free(r);
    return 0;
}
