/*
 * Soak: a bounded-time stress program that runs libgort's channels, select and maps under
 * far more threads than CPUs, round after round until a deadline, and checks every
 * message and every map entry it touches. The unit tests prove one behaviour at a time;
 * this program hunts for the rare interleaving (a lost wake-up, a value handed to two
 * receivers, a reader that sees a half-moved table) that only shows after millions of
 * operations with preemption at every point.
 *
 *   soak [--seconds S] [--threads T] [--seed N] [--phase chan|select|map|all]
 *
 * S (default: GORT_SOAK_SECONDS, else 10) is split evenly between the phases; each phase
 * runs rounds of a quarter second until its share is used up, so a longer run just does
 * more rounds, each one fully checked. When a flag is given twice the last one counts,
 * so `meson test soak --test-args '--seconds 600' -t 10` soaks for ten minutes. T
 * (default 16) is the most threads per role; sanitizer builds and Valgrind runs scale it
 * down (chan_fixtures.h's scale()), never the checks. The seed fixes each round's
 * configuration and the threads' random choices (not the interleavings); a failing round
 * prints the flags that rerun its configuration.
 *
 * Phases, and what each round checks:
 *   chan    1-4 channels (cap 0, 1, 7 or 64) of int64, str or tracked (pointers with
 *           counting retain/release hooks) elements; P producers x C consumers (up to T
 *           each) mixing blocking, try_ and _timeout calls and retrying on EAGAIN and
 *           ETIMEDOUT; the last producer to finish closes every channel. Every message
 *           sent is received exactly once, none is invented or corrupted, each consumer
 *           sees each producer's messages in increasing order (a channel is FIFO), a
 *           failed receive leaves its destination alone, and every retain has its release.
 *   select  selector threads storm gort_select with 1-8 cases over 2-6 channels: sends
 *           and receives mixed, the same channel twice, a send and a receive on one
 *           channel, NULL channels, blocking and with timeouts of 0, 1 us, 50 us and 1 ms.
 *           Plain senders and receivers share the channels, with bounded waits and a new
 *           channel after each (so a round cannot stall for good on a channel nobody
 *           serves). Then every channel is closed and drained. Each select commits
 *           exactly one case, consistent with its status: other destinations untouched,
 *           recv_ok 0 only on a closed channel with the zero value, ECLOSED only for a
 *           send on a closed channel, EAGAIN only with timeout 0. Every committed send is
 *           received exactly once and nothing else is received.
 *   map     one map (u64 or str keys, u64 values) guarded by a pthread rwlock: readers
 *           get, get_ptr, len, iterate and clone under the read lock (concurrent readers
 *           are safe, docs/threading.md); one writer inserts, updates, deletes, clears,
 *           shrinks and edits during iteration under the write lock, growing to thousands
 *           of keys (table splits) and back. Every read is checked against the writer's
 *           model (present or absent; value == f(key, version)), and the whole map against
 *           the model at the end of the round.
 * Every round's objects live in one private heap, which must be empty after the round
 * (and destroy cleanly at the end); string copies, which live in the default heap, must
 * be freed too. A watchdog aborts with the phase, round and counters if nothing
 * progresses for 60 s, so a deadlock gives a diagnosis rather than a test timeout.
 */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SCALE_TSAN 0.5
#define SCALE_ASAN 1.0
#define SCALE_VALGRIND 0.25
#include "chan_fixtures.h"

#define US ((int64_t)1000)

#define DEFAULT_SECONDS 10.0
#define DEFAULT_THREADS 16
#define ROUND_NS (250 * MS)
#define WATCHDOG_SECONDS 60

/* ---- options ------------------------------------------------------------------------- */

enum { PHASE_CHAN = 1, PHASE_SELECT = 2, PHASE_MAP = 4, PHASE_ALL = 7 };

typedef struct options {
    double seconds;
    int threads; /* the most threads per role, after scaling */
    uint64_t seed;
    unsigned phases;
} options;

static void usage(void)
{
    fprintf(stderr, "usage: soak [--seconds S] [--threads T] [--seed N] "
                    "[--phase chan|select|map|all]\n");
}

static bool parse_phase(const char *name, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned phases;
    } names[] = {
        {"chan", PHASE_CHAN}, {"select", PHASE_SELECT}, {"map", PHASE_MAP}, {"all", PHASE_ALL}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].phases;
            return true;
        }
    return false;
}

static bool parse_number(const char *text, double *out)
{
    char *end;
    *out = strtod(text, &end);
    return end != text && *end == '\0';
}

static bool parse_flag(options *opt, const char *flag, const char *value)
{
    double number;
    if (strcmp(flag, "--phase") == 0)
        return parse_phase(value, &opt->phases);
    if (strcmp(flag, "--seed") == 0) {
        char *end;
        opt->seed = strtoull(value, &end, 0);
        return end != value && *end == '\0';
    }
    if (!parse_number(value, &number))
        return false;
    if (strcmp(flag, "--seconds") == 0 && number > 0) {
        opt->seconds = number;
        return true;
    }
    if (strcmp(flag, "--threads") == 0 && number >= 1 && number <= 256) {
        opt->threads = (int)number;
        return true;
    }
    return false;
}

static uint64_t clock_seed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return mix64((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec);
}

static bool parse_options(int argc, char **argv, options *opt)
{
    const char *env = getenv("GORT_SOAK_SECONDS");
    *opt = (options){DEFAULT_SECONDS, DEFAULT_THREADS, clock_seed(), PHASE_ALL};
    if (env && *env && (!parse_number(env, &opt->seconds) || opt->seconds <= 0)) {
        fprintf(stderr, "soak: GORT_SOAK_SECONDS=%s is not a positive number\n", env);
        return false;
    }
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc || !parse_flag(opt, argv[i], argv[i + 1])) {
            usage();
            return false;
        }
    }
    opt->threads = (int)scaled(opt->threads, opt->threads < 2 ? opt->threads : 2);
    return true;
}

/* ---- totals and output ----------------------------------------------------------------- */

/* What the rounds of a phase add up to. */
typedef struct totals {
    long rounds;
    uint64_t messages, lost, duplicated, phantom, out_of_order, retries;
    uint64_t selects, select_commits;
    uint64_t map_reads, map_writes;
} totals;

static void add_totals(totals *sum, const totals *t)
{
    sum->rounds += t->rounds;
    sum->messages += t->messages;
    sum->lost += t->lost;
    sum->duplicated += t->duplicated;
    sum->phantom += t->phantom;
    sum->out_of_order += t->out_of_order;
    sum->retries += t->retries;
    sum->selects += t->selects;
    sum->select_commits += t->select_commits;
    sum->map_reads += t->map_reads;
    sum->map_writes += t->map_writes;
}

/* n with thousands separators, in one of a few rotating buffers (main thread only). */
static const char *commas(uint64_t n)
{
    static char pool[12][32];
    static int next;
    char *out = pool[next++ % 12], digits[24];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, n), at = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[at++] = ',';
        out[at++] = digits[i];
    }
    out[at] = '\0';
    return out;
}

static double seconds_since(int64_t start)
{
    return (double)(now_ns() - start) / 1e9;
}

/* ---- progress and the watchdog ----------------------------------------------------------- */

static long progress; /* atomic: completed operations of every thread, in batches */

/* Counts one completed operation. Batched per thread: a locked add on one shared line
 * after every call would put a full fence between the library's operations (x86) and
 * serialise the threads on that line, hiding the very interleavings the soak is after. */
static void bump(void)
{
    static __thread unsigned unreported;
    if (++unreported == 64) {
        __atomic_fetch_add(&progress, (long)unreported, __ATOMIC_RELAXED);
        unreported = 0;
    }
}

/* Prints a round's live counters for the watchdog (the round is still running). */
typedef void (*describe_fn)(const void *round);

static struct watch {
    pthread_mutex_t lock; /* protects what, describe and round */
    char what[256];
    describe_fn describe;
    const void *round;
    pthread_t thread;
    int stop; /* atomic */
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void watch_round(const char *what, describe_fn describe, const void *round)
{
    pthread_mutex_lock(&watch.lock);
    snprintf(watch.what, sizeof watch.what, "%s", what);
    watch.describe = describe;
    watch.round = round;
    pthread_mutex_unlock(&watch.lock);
}

/* Called before the round's objects go away. */
static void watch_round_end(void)
{
    watch_round("between rounds", NULL, NULL);
}

static void watchdog_fire(long done)
{
    pthread_mutex_lock(&watch.lock);
    printf("not ok - watchdog: no progress for %d s in %s\n", WATCHDOG_SECONDS, watch.what);
    printf("# %ld operations completed in all; the round's state:\n", done);
    if (watch.describe)
        watch.describe(watch.round);
    printf("Bail out! deadlock or lost wake-up\n");
    fflush(stdout);
    abort();
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    long last = -1;
    int64_t last_change = now_ns();
    while (!__atomic_load_n(&watch.stop, __ATOMIC_ACQUIRE)) {
        sleep_ms(100);
        long done = __atomic_load_n(&progress, __ATOMIC_RELAXED);
        if (done != last) {
            last = done;
            last_change = now_ns();
        } else if (now_ns() - last_change > WATCHDOG_SECONDS * SECONDS) {
            watchdog_fire(done);
        }
    }
    return NULL;
}

static void start_thread(pthread_t *thread, void *(*main_fn)(void *), void *arg)
{
    int status = pthread_create(thread, NULL, main_fn, arg);
    if (status != 0) {
        printf("Bail out! pthread_create: %s\n", strerror(status));
        exit(1);
    }
}

/* ---- heaps --------------------------------------------------------------------------- */

static gort_heap *soak_heap; /* every channel and map of every round */

/* After a round: its objects are gone from the private heap, and the string copies it
 * made in the default heap are freed. */
static void check_heaps(uint64_t default_blocks_before)
{
    gort_heap_stats stats = heap_stats(soak_heap);
    CHECK_EQ_U64(stats.live_blocks, 0);
    CHECK_EQ_U64(stats.live_objects, 0);
    CHECK_EQ_U64(live_blocks(NULL), default_blocks_before);
}

/* ---- per-thread findings ------------------------------------------------------------- */

/* What a worker saw go wrong (or merely retry); summed and checked after the join. */
typedef struct tally {
    long retries;          /* EAGAIN / ETIMEDOUT before an outcome */
    long corrupt;          /* a received value that no sender could have sent */
    long inconsistent;     /* an outcome that contradicts the API's contract */
    long errors;           /* an unexpected status */
    int last_error;        /* its code */
    const char *first_bad; /* what the first inconsistency was */
} tally;

static void note_error(tally *t, int status)
{
    t->errors++;
    t->last_error = status;
}

static void note_inconsistent(tally *t, const char *what)
{
    if (t->inconsistent++ == 0)
        t->first_bad = what;
}

static void add_tally(tally *sum, const tally *t)
{
    sum->retries += t->retries;
    sum->corrupt += t->corrupt;
    sum->errors += t->errors;
    if (t->errors)
        sum->last_error = t->last_error;
    if (t->inconsistent && !sum->inconsistent)
        sum->first_bad = t->first_bad;
    sum->inconsistent += t->inconsistent;
}

static void check_tally(const tally *t)
{
    if (!CHECK_EQ_INT(t->errors, 0))
        printf("#     last unexpected status: %d (%s)\n", t->last_error,
               gort_strerror(t->last_error));
    CHECK_EQ_INT(t->corrupt, 0);
    if (!CHECK_EQ_INT(t->inconsistent, 0))
        printf("#     first: %s\n", t->first_bad);
}

/* ---- messages: ids, and their encoding as int64, str or tracked elements ------------- */

/* A message id: the sending thread in the top bits, its sequence number below. */
#define SEQ_BITS 40
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

static uint64_t message_id(int sender, uint64_t seq)
{
    return (uint64_t)sender << SEQ_BITS | seq;
}

static int id_sender(uint64_t id)
{
    return (int)(id >> SEQ_BITS);
}

static uint64_t id_seq(uint64_t id)
{
    return id & SEQ_MASK;
}

typedef enum elem_kind { ELEM_I64, ELEM_STR, ELEM_TRACKED } elem_kind;
static const char *const elem_names[] = {"int64", "str", "tracked"};

/* Room for one element of any kind. */
typedef union elem {
    int64_t i64;
    gort_str str;
    tracked tracked;
} elem;

#define STR_BYTES 64

/* An encoded message, and the bytes its str points to. Never copied while in use. */
typedef struct elem_buf {
    elem value;
    char bytes[STR_BYTES];
} elem_buf;

/* A receive destination is preset to this byte; a failed receive must leave it. */
#define SENTINEL 0xa5

static elem_kind pick_kind(rng *random)
{
    static const elem_kind kinds[] = {ELEM_I64, ELEM_I64, ELEM_STR, ELEM_TRACKED};
    return kinds[rng_below(random, 4)];
}

/* The kind's descriptor: builtins, or a fresh shared_tracked (counters reset). */
static gort_type *elem_type(elem_kind kind)
{
    if (kind == ELEM_TRACKED)
        return shared_tracked_type();
    return gort_type_builtin(kind == ELEM_STR ? GORT_KIND_STR : GORT_KIND_I64);
}

/* "<id in hex>/" then 0-39 letters that depend on the id: lengths vary, every byte is
 * checked. */
static void encode_str(uint64_t id, elem_buf *out)
{
    int len = snprintf(out->bytes, sizeof out->bytes, "%" PRIx64 "/", id);
    size_t fill = (size_t)(mix64(id) % 40);
    for (size_t i = 0; i < fill; i++)
        out->bytes[(size_t)len + i] = (char)('a' + (id + i) % 26);
    out->value.str = (gort_str){out->bytes, (size_t)len + fill};
}

static void encode(elem_kind kind, uint64_t id, elem_buf *out)
{
    memset(&out->value, 0, sizeof out->value);
    if (kind == ELEM_I64)
        out->value.i64 = (int64_t)id;
    else if (kind == ELEM_STR)
        encode_str(id, out);
    else
        out->value.tracked = track(id_sender(id) % TRACKED_OBJECTS, id,
                                   id & 1 ? (int)(id % TRACKED_OBJECTS) : -1);
}

static bool decode_str(const gort_str *s, uint64_t *id)
{
    char text[STR_BYTES + 1], *end;
    if (!s->ptr || s->len == 0 || s->len > STR_BYTES)
        return false;
    memcpy(text, s->ptr, s->len);
    text[s->len] = '\0';
    *id = strtoull(text, &end, 16);
    if (*end != '/')
        return false;
    elem_buf want;
    encode_str(*id, &want);
    return want.value.str.len == s->len && memcmp(want.bytes, s->ptr, s->len) == 0;
}

/* The id a received element carries; false if no sender encodes it that way. */
static bool decode(elem_kind kind, const elem *value, uint64_t *id)
{
    if (kind == ELEM_I64) {
        *id = (uint64_t)value->i64;
        return true;
    }
    if (kind == ELEM_STR)
        return decode_str(&value->str, id);
    *id = value->tracked.tag;
    elem_buf want;
    encode(kind, *id, &want);
    return memcmp(&want.value.tracked, &value->tracked, sizeof(tracked)) == 0;
}

static bool is_zero(const gort_type *type, const elem *value)
{
    const unsigned char *bytes = (const unsigned char *)value;
    for (size_t i = 0; i < gort_type_size(type); i++)
        if (bytes[i])
            return false;
    return true;
}

static void preset(elem *value)
{
    memset(value, SENTINEL, sizeof *value);
}

static bool untouched(const elem *value)
{
    const unsigned char *bytes = (const unsigned char *)value;
    for (size_t i = 0; i < sizeof *value; i++)
        if (bytes[i] != SENTINEL)
            return false;
    return true;
}

/* Every message of every sender, per round: was it sent, how often was it received. */
typedef struct deliveries {
    long lost, duplicated, phantom;
    const char *first_problem;
    uint64_t first_id;
} deliveries;

static void tally_delivery(deliveries *d, uint64_t id, bool was_sent, unsigned received)
{
    const char *problem = NULL;
    if (was_sent && received == 0) {
        d->lost++;
        problem = "was sent but never received";
    } else if (received > 1) {
        d->duplicated++;
        problem = "was received more than once";
    } else if (!was_sent && received) {
        d->phantom++;
        problem = "was received although its send did not succeed";
    }
    if (problem && !d->first_problem) {
        d->first_problem = problem;
        d->first_id = id;
    }
}

static void check_deliveries(const deliveries *d)
{
    CHECK_EQ_INT(d->lost, 0);
    CHECK_EQ_INT(d->duplicated, 0);
    CHECK_EQ_INT(d->phantom, 0);
    if (d->first_problem)
        printf("#     first: message %" PRIu64 " of sender %d %s\n", id_seq(d->first_id),
               id_sender(d->first_id), d->first_problem);
}

/* Every channel of a round ends closed, empty, and receiving the zero value with ok 0. */
static void check_closed_and_drained(gort_chan *const *chans, int n_chans)
{
    for (int k = 0; k < n_chans; k++) {
        int ok = -1;
        CHECK_TRUE(gort_chan_is_closed(chans[k]));
        CHECK_EQ_SIZE(gort_chan_len(chans[k]), 0);
        CHECK_OK(gort_chan_try_recv(chans[k], NULL, &ok));
        CHECK_EQ_INT(ok, 0);
    }
}

static void release_chans(gort_chan **chans, int n_chans)
{
    for (int k = 0; k < n_chans; k++)
        gort_chan_release(chans[k]);
}

/* Whatever the hooks counted balances: the channels held references only while they
 * held the values. Each delivered message holds at least one pointer, so there were at
 * least as many retains as messages. */
static void check_and_release_type(elem_kind kind, gort_type *type, long messages)
{
    if (kind != ELEM_TRACKED)
        return;
    CHECK_TRUE(shared_state.retains >= messages);
    if (!CHECK_TRUE(shared_balanced()))
        printf("#     tracked hooks: %ld retains, %ld releases, %ld errors\n",
               shared_state.retains, shared_state.releases, shared_state.errors);
    gort_type_release(type);
}

/* ---- channel operations with every flavour of waiting ---------------------------------- */

static const int64_t chan_caps[] = {0, 1, 7, 64};

static int64_t pick_cap(rng *random)
{
    return chan_caps[rng_below(random, sizeof chan_caps / sizeof chan_caps[0])];
}

static int64_t pick_timeout(rng *random)
{
    static const int64_t timeouts[] = {0, 1 * US, 20 * US, 200 * US, 2 * MS};
    return timeouts[rng_below(random, sizeof timeouts / sizeof timeouts[0])];
}

static bool gave_up(int status)
{
    return status == GORT_EAGAIN || status == GORT_ETIMEDOUT;
}

/* One send: blocking, try_send or send_timeout, at random. A bounded one never waits
 * for longer than pick_timeout's longest. */
static int send_attempt(gort_chan *c, const elem *value, rng *random, bool bounded)
{
    uint64_t how = rng_below(random, 4);
    int status;
    if (how < 2 && !bounded)
        status = gort_chan_send(c, value);
    else if (how == 2)
        status = gort_chan_try_send(c, value);
    else
        status = gort_chan_send_timeout(c, value, pick_timeout(random));
    bump();
    return status;
}

/* One receive likewise. One that gives up must leave *out and *ok alone. */
static int recv_attempt(gort_chan *c, elem *out, int *ok, rng *random, bool bounded, tally *t)
{
    uint64_t how = rng_below(random, 4);
    int status;
    preset(out);
    *ok = -1;
    if (how < 2 && !bounded)
        status = gort_chan_recv(c, out, ok);
    else if (how == 2)
        status = gort_chan_try_recv(c, out, ok);
    else
        status = gort_chan_recv_timeout(c, out, ok, pick_timeout(random));
    bump();
    if (gave_up(status)) {
        if (!untouched(out) || *ok != -1)
            note_inconsistent(t, "a receive that gave up wrote to *out or *ok");
        t->retries++;
        sched_yield();
    }
    return status;
}

/* Sends one value, retrying after EAGAIN and ETIMEDOUT (a fresh choice each time), and
 * returns the final status. */
static int send_retrying(gort_chan *c, const elem *value, rng *random, tally *t)
{
    int status;
    while (gave_up(status = send_attempt(c, value, random, false))) {
        t->retries++;
        sched_yield();
    }
    return status;
}

static int recv_retrying(gort_chan *c, elem *out, int *ok, rng *random, tally *t)
{
    int status;
    while (gave_up(status = recv_attempt(c, out, ok, random, false, t)))
        ;
    return status;
}

/* ---- phase 1: channels, many threads ------------------------------------------------- */

#define MAX_CHANS 4
#define CHAN_MESSAGES_PER_ROUND (1L << 20) /* at most; rounds end on time */

typedef struct chan_round {
    elem_kind kind;
    gort_type *type;
    int n_chans, n_producers, n_consumers;
    gort_chan *chans[MAX_CHANS];
    int64_t caps[MAX_CHANS];
    long quota;          /* messages per producer, at most */
    int64_t deadline;    /* producers stop sending then */
    unsigned char *seen; /* [producer * quota + seq]: receive counts (atomic adds) */
    int producers_left;  /* atomic: the last producer to finish closes every channel */
    int close_status;    /* the closer's worst status, read after the joins */
    long received;       /* atomic, for the watchdog */
} chan_round;

typedef struct chan_worker {
    pthread_t thread;
    chan_round *round;
    int index;
    rng random;
    long sent;      /* producer: messages 0 .. sent-1 were sent */
    long received;  /* consumer */
    long *last_seq; /* consumer: the last sequence number seen, per producer */
    long out_of_order;
    tally tally;
} chan_worker;

static void close_every_chan(chan_round *r)
{
    for (int k = 0; k < r->n_chans; k++) {
        int status = gort_chan_close(r->chans[k]);
        if (status != GORT_OK)
            r->close_status = status;
    }
}

static void *chan_producer_main(void *arg)
{
    chan_worker *w = arg;
    chan_round *r = w->round;
    for (long seq = 0; seq < r->quota; seq++) {
        if (seq % 64 == 0 && now_ns() > r->deadline)
            break;
        elem_buf message;
        encode(r->kind, message_id(w->index, (uint64_t)seq), &message);
        gort_chan *c = r->chans[rng_below(&w->random, (uint64_t)r->n_chans)];
        int status = send_retrying(c, &message.value, &w->random, &w->tally);
        if (status != GORT_OK) {
            note_error(&w->tally, status);
            break;
        }
        w->sent = seq + 1;
    }
    if (__atomic_sub_fetch(&r->producers_left, 1, __ATOMIC_ACQ_REL) == 0)
        close_every_chan(r);
    return NULL;
}

/* Checks and counts one received message, then drops it (the receiver owns it). */
static void chan_record(chan_worker *w, elem *value)
{
    chan_round *r = w->round;
    uint64_t id;
    bool well_formed = decode(r->kind, value, &id);
    gort_value_drop(r->type, value);
    int producer = id_sender(id);
    long seq = (long)id_seq(id);
    if (!well_formed || producer >= r->n_producers || seq >= r->quota) {
        w->tally.corrupt++;
        return;
    }
    if (seq <= w->last_seq[producer])
        w->out_of_order++;
    w->last_seq[producer] = seq;
    __atomic_fetch_add(&r->seen[(size_t)producer * (size_t)r->quota + (size_t)seq], 1,
                       __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->received, 1, __ATOMIC_RELAXED);
    w->received++;
}

/* Receives from one channel until it is closed and drained. */
static void *chan_consumer_main(void *arg)
{
    chan_worker *w = arg;
    chan_round *r = w->round;
    gort_chan *c = r->chans[w->index % r->n_chans];
    for (;;) {
        elem value;
        int ok;
        int status = recv_retrying(c, &value, &ok, &w->random, &w->tally);
        if (status != GORT_OK) {
            note_error(&w->tally, status);
            return NULL;
        }
        if (ok != 1) {
            if (ok != 0 || !is_zero(r->type, &value))
                note_inconsistent(&w->tally, "a receive from a closed channel did not give "
                                             "ok 0 and the zero value");
            return NULL;
        }
        chan_record(w, &value);
    }
}

static void chan_describe(const void *arg)
{
    const chan_round *r = arg;
    printf("# %ld messages received, %d of %d producers still sending\n",
           __atomic_load_n(&r->received, __ATOMIC_RELAXED),
           __atomic_load_n(&r->producers_left, __ATOMIC_RELAXED), r->n_producers);
    for (int k = 0; k < r->n_chans; k++)
        printf("# channel %d: cap %" PRId64 ", len %zu, %s\n", k, r->caps[k],
               gort_chan_len(r->chans[k]),
               gort_chan_is_closed(r->chans[k]) ? "closed" : "open");
}

static void chan_round_setup(chan_round *r, const options *opt, rng *config, int64_t deadline)
{
    r->kind = pick_kind(config);
    r->type = elem_type(r->kind);
    r->n_producers = 1 + (int)rng_below(config, (uint64_t)opt->threads);
    r->n_consumers = 1 + (int)rng_below(config, (uint64_t)opt->threads);
    /* every channel needs a consumer of its own to be drained */
    int most = r->n_consumers < MAX_CHANS ? r->n_consumers : MAX_CHANS;
    r->n_chans = 1 + (int)rng_below(config, (uint64_t)most);
    for (int k = 0; k < r->n_chans; k++) {
        r->caps[k] = pick_cap(config);
        CHECK_OK(gort_chan_create(r->type, r->caps[k], soak_heap, &r->chans[k]));
    }
    r->quota = CHAN_MESSAGES_PER_ROUND / r->n_producers;
    r->seen = calloc((size_t)r->n_producers * (size_t)r->quota, 1);
    r->producers_left = r->n_producers;
    r->deadline = deadline;
}

static void chan_round_name(const chan_round *r, long round_no, char *out, size_t size)
{
    int len = snprintf(out, size, "chan round %ld: %d x %d threads, %s, cap", round_no,
                       r->n_producers, r->n_consumers, elem_names[r->kind]);
    for (int k = 0; k < r->n_chans; k++)
        len += snprintf(out + len, size - (size_t)len, "%s%" PRId64, k ? "/" : " ", r->caps[k]);
}

static chan_worker *start_chan_workers(chan_round *r, int n, rng *config, bool producers)
{
    chan_worker *workers = calloc((size_t)n, sizeof *workers);
    for (int i = 0; i < n; i++) {
        chan_worker *w = &workers[i];
        *w = (chan_worker){.round = r, .index = i, .random = {rng_next(config)}};
        if (!producers) {
            w->last_seq = malloc((size_t)r->n_producers * sizeof *w->last_seq);
            for (int p = 0; p < r->n_producers; p++)
                w->last_seq[p] = -1;
        }
        start_thread(&w->thread, producers ? chan_producer_main : chan_consumer_main, w);
    }
    return workers;
}

static void join_chan_workers(chan_worker *workers, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(workers[i].thread, NULL);
}

/* Every message accounted for; returns how many were received. */
static long chan_round_check(const chan_round *r, const chan_worker *producers,
                             const chan_worker *consumers, totals *t)
{
    deliveries d = {0};
    tally all = {0};
    long received = 0, out_of_order = 0;
    for (int p = 0; p < r->n_producers; p++) {
        for (long seq = 0; seq < r->quota; seq++)
            tally_delivery(&d, message_id(p, (uint64_t)seq), seq < producers[p].sent,
                           r->seen[(size_t)p * (size_t)r->quota + (size_t)seq]);
        add_tally(&all, &producers[p].tally);
    }
    for (int c = 0; c < r->n_consumers; c++) {
        received += consumers[c].received;
        out_of_order += consumers[c].out_of_order;
        add_tally(&all, &consumers[c].tally);
    }
    check_deliveries(&d);
    CHECK_EQ_INT(out_of_order, 0);
    check_tally(&all);
    CHECK_OK(r->close_status);
    check_closed_and_drained(r->chans, r->n_chans);
    t->messages += (uint64_t)received;
    t->lost += (uint64_t)d.lost;
    t->duplicated += (uint64_t)d.duplicated;
    t->phantom += (uint64_t)d.phantom;
    t->out_of_order += (uint64_t)out_of_order;
    t->retries += (uint64_t)all.retries;
    return received;
}

static void free_chan_workers(chan_worker *workers, int n)
{
    for (int i = 0; i < n; i++)
        free(workers[i].last_seq);
    free(workers);
}

static bool chan_round_run(const options *opt, long round_no, uint64_t seed, int64_t deadline,
                           totals *t, char *what, size_t what_size)
{
    uint64_t default_blocks = live_blocks(NULL);
    rng config = {seed};
    chan_round r = {0};
    chan_round_setup(&r, opt, &config, deadline);
    chan_round_name(&r, round_no, what, what_size);
    watch_round(what, chan_describe, &r);
    chan_worker *consumers = start_chan_workers(&r, r.n_consumers, &config, false);
    chan_worker *producers = start_chan_workers(&r, r.n_producers, &config, true);
    join_chan_workers(producers, r.n_producers);
    join_chan_workers(consumers, r.n_consumers);
    watch_round_end();

    int failed_before = harness_failed_checks;
    long received = chan_round_check(&r, producers, consumers, t);
    release_chans(r.chans, r.n_chans);
    check_and_release_type(r.kind, r.type, received);
    free_chan_workers(producers, r.n_producers);
    free_chan_workers(consumers, r.n_consumers);
    free(r.seen);
    check_heaps(default_blocks);
    printf("# %s: %s messages\n", what, commas((uint64_t)received));
    return harness_failed_checks == failed_before;
}

/* ---- phase 2: select storms ---------------------------------------------------------- */

#define MAX_SELECT_CHANS 6
#define MAX_CASES 8
#define SELECT_IDS (1L << 17) /* message ids per sending thread per round */

typedef struct select_round {
    elem_kind kind;
    gort_type *type;
    int n_chans, n_selectors, n_senders, n_receivers;
    gort_chan *chans[MAX_SELECT_CHANS];
    int64_t caps[MAX_SELECT_CHANS];
    /* [sender * SELECT_IDS + seq]; senders are the selectors, then the plain senders */
    unsigned char *sent;     /* written by the sender only */
    unsigned char *received; /* atomic adds by every receiver */
    int stop;                /* atomic: set just before the channels are closed */
    long received_total;     /* atomic, for the watchdog */
} select_round;

typedef struct select_worker {
    pthread_t thread;
    select_round *round;
    int index; /* a sender's id space; unused by plain receivers */
    rng random;
    uint64_t next_seq;
    bool drained[MAX_SELECT_CHANS]; /* seen closed and empty */
    int n_drained;
    long selects, commits;
    tally tally;
} select_worker;

/* One select's cases and their values: a send's encoded message, or a receive's
 * destination preset to SENTINEL. */
typedef struct select_frame {
    gort_select_case cases[MAX_CASES];
    elem_buf slots[MAX_CASES];
    uint64_t ids[MAX_CASES];
    size_t n_cases;
    int64_t timeout;
} select_frame;

static bool stopped(const select_round *r)
{
    return __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
}

static size_t id_slot(uint64_t id)
{
    return (size_t)id_sender(id) * SELECT_IDS + (size_t)id_seq(id);
}

static int chan_index(const select_round *r, const gort_chan *c)
{
    for (int k = 0; k < r->n_chans; k++)
        if (r->chans[k] == c)
            return k;
    return -1;
}

static void mark_drained(select_worker *w, int k)
{
    if (k >= 0 && !w->drained[k]) {
        w->drained[k] = true;
        w->n_drained++;
    }
}

/* Checks and counts one received message, then drops it. */
static void select_record(select_worker *w, elem *value)
{
    select_round *r = w->round;
    uint64_t id;
    bool well_formed = decode(r->kind, value, &id);
    gort_value_drop(r->type, value);
    if (!well_formed || id_sender(id) >= r->n_selectors + r->n_senders ||
        id_seq(id) >= SELECT_IDS) {
        w->tally.corrupt++;
        return;
    }
    __atomic_fetch_add(&r->received[id_slot(id)], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->received_total, 1, __ATOMIC_RELAXED);
}

/* Adds a send case with a fresh id; false when this thread's ids are used up. */
static bool add_send_case(select_worker *w, select_frame *f, gort_chan *c)
{
    if (w->next_seq >= SELECT_IDS)
        return false;
    uint64_t id = message_id(w->index, w->next_seq++);
    elem_buf *slot = &f->slots[f->n_cases];
    encode(w->round->kind, id, slot);
    f->ids[f->n_cases] = id;
    f->cases[f->n_cases++] = (gort_select_case){c, GORT_SELECT_SEND, 0, &slot->value};
    return true;
}

static void add_recv_case(select_frame *f, gort_chan *c)
{
    elem_buf *slot = &f->slots[f->n_cases];
    preset(&slot->value);
    f->cases[f->n_cases++] = (gort_select_case){c, GORT_SELECT_RECV, 0, &slot->value};
}

/* 1-8 random cases: any channel (repeats likely), 1 in 8 NULL, send or receive. */
static bool build_storm_frame(select_worker *w, select_frame *f)
{
    static const int64_t timeouts[] = {-1, -1, 0, 0, 1 * US, 50 * US, 1 * MS};
    select_round *r = w->round;
    size_t want = 1 + (size_t)rng_below(&w->random, MAX_CASES);
    bool any_chan = false;
    f->n_cases = 0;
    while (f->n_cases < want) {
        gort_chan *c = rng_one_in(&w->random, 8)
                           ? NULL
                           : r->chans[rng_below(&w->random, (uint64_t)r->n_chans)];
        if (rng_below(&w->random, 2) == 0)
            add_recv_case(f, c);
        else if (!add_send_case(w, f, c))
            return false;
        any_chan |= c != NULL;
    }
    if (!any_chan) /* all NULL: a blocking select would wait forever */
        f->cases[0].chan = r->chans[0];
    f->timeout = timeouts[rng_below(&w->random, sizeof timeouts / sizeof timeouts[0])];
    return true;
}

/* A receive case on every channel not yet seen drained, sometimes a send and a NULL. */
static void build_drain_frame(select_worker *w, select_frame *f)
{
    static const int64_t timeouts[] = {-1, -1, 0, 50 * US};
    select_round *r = w->round;
    f->n_cases = 0;
    for (int k = 0; k < r->n_chans; k++)
        if (!w->drained[k])
            add_recv_case(f, r->chans[k]);
    if (rng_one_in(&w->random, 4))
        add_send_case(w, f, r->chans[rng_below(&w->random, (uint64_t)r->n_chans)]);
    if (rng_one_in(&w->random, 4))
        add_recv_case(f, NULL);
    f->timeout = timeouts[rng_below(&w->random, sizeof timeouts / sizeof timeouts[0])];
}

/* Receive destinations other than `chosen` were not written. */
static void check_other_slots(select_worker *w, const select_frame *f, size_t chosen)
{
    for (size_t i = 0; i < f->n_cases; i++)
        if (i != chosen && f->cases[i].op == GORT_SELECT_RECV && !untouched(&f->slots[i].value))
            note_inconsistent(&w->tally, "a select wrote to a receive case it did not commit");
}

static void commit_send(select_worker *w, uint64_t id, int recv_ok)
{
    if (recv_ok != 1)
        note_inconsistent(&w->tally, "a committed send case reported recv_ok != 1");
    w->round->sent[id_slot(id)] = 1;
}

static void commit_recv(select_worker *w, select_frame *f, size_t chosen, int recv_ok)
{
    gort_chan *c = f->cases[chosen].chan;
    elem *value = &f->slots[chosen].value;
    if (recv_ok == 1) {
        select_record(w, value);
    } else if (recv_ok == 0 && gort_chan_is_closed(c) && is_zero(w->round->type, value)) {
        mark_drained(w, chan_index(w->round, c));
    } else {
        note_inconsistent(&w->tally, "a committed receive case reported recv_ok 0 on an "
                                     "open channel, or without the zero value");
    }
}

static void check_gave_up(select_worker *w, const select_frame *f, int status)
{
    bool allowed = status == GORT_EAGAIN ? f->timeout == 0 : f->timeout > 0;
    if (!allowed)
        note_inconsistent(&w->tally, "EAGAIN from a select that may wait, or ETIMEDOUT from "
                                     "one that may not");
    check_other_slots(w, f, SIZE_MAX);
    w->tally.retries++;
}

/* Exactly one case committed, and the outcome is the one the status promises. */
static void check_select(select_worker *w, select_frame *f, int status, size_t chosen,
                         int recv_ok)
{
    if (status == GORT_EAGAIN || status == GORT_ETIMEDOUT) {
        check_gave_up(w, f, status);
        return;
    }
    if (status != GORT_OK && status != GORT_ECLOSED) {
        note_error(&w->tally, status);
        return;
    }
    if (chosen >= f->n_cases || !f->cases[chosen].chan) {
        note_inconsistent(&w->tally, "a select chose a case that is not there or is NULL");
        return;
    }
    w->commits++;
    check_other_slots(w, f, chosen);
    const gort_select_case *c = &f->cases[chosen];
    if (status == GORT_ECLOSED) {
        if (c->op != GORT_SELECT_SEND || !gort_chan_is_closed(c->chan))
            note_inconsistent(&w->tally, "ECLOSED for a receive case or an open channel");
    } else if (c->op == GORT_SELECT_SEND) {
        commit_send(w, f->ids[chosen], recv_ok);
    } else {
        commit_recv(w, f, chosen, recv_ok);
    }
}

static void run_select(select_worker *w, select_frame *f)
{
    size_t chosen = SIZE_MAX;
    int recv_ok = -1;
    int status = gort_select(f->cases, f->n_cases, f->timeout, &chosen, &recv_ok);
    bump();
    w->selects++;
    check_select(w, f, status, chosen, recv_ok);
}

/* Storms until told to stop (or out of ids), then drains every channel by select. */
static void *selector_main(void *arg)
{
    select_worker *w = arg;
    select_frame frame;
    while (!stopped(w->round) && build_storm_frame(w, &frame))
        run_select(w, &frame);
    while (w->n_drained < w->round->n_chans && w->tally.errors == 0) {
        build_drain_frame(w, &frame);
        run_select(w, &frame);
    }
    return NULL;
}

/* Sends one message to random channels until one takes it. During the storm no wait is
 * unbounded, so a plain sender never parks for good on a channel nobody serves (that
 * would let a round stall legitimately and hide a real lost wake-up). */
static int plain_send(select_worker *w, const elem *value)
{
    select_round *r = w->round;
    for (;;) {
        gort_chan *c = r->chans[rng_below(&w->random, (uint64_t)r->n_chans)];
        int status = send_attempt(c, value, &w->random, true);
        if (!gave_up(status))
            return status;
        w->tally.retries++;
        sched_yield();
    }
}

static void *plain_sender_main(void *arg)
{
    select_worker *w = arg;
    select_round *r = w->round;
    while (!stopped(r) && w->next_seq < SELECT_IDS) {
        elem_buf message;
        uint64_t id = message_id(w->index, w->next_seq++);
        encode(r->kind, id, &message);
        int status = plain_send(w, &message.value);
        if (status == GORT_ECLOSED)
            break;
        if (status != GORT_OK) {
            note_error(&w->tally, status);
            break;
        }
        r->sent[id_slot(id)] = 1;
    }
    return NULL;
}

static int pick_undrained(select_worker *w)
{
    int n = w->round->n_chans;
    int k = (int)rng_below(&w->random, (uint64_t)n);
    while (w->drained[k])
        k = (k + 1) % n;
    return k;
}

/* Receives from random channels until every one is closed and drained; waits are
 * bounded until the stop (then the channels are closed, or about to be). */
static void *plain_receiver_main(void *arg)
{
    select_worker *w = arg;
    select_round *r = w->round;
    while (w->n_drained < r->n_chans) {
        int k = pick_undrained(w), ok;
        elem value;
        int status = recv_attempt(r->chans[k], &value, &ok, &w->random, !stopped(r), &w->tally);
        if (gave_up(status))
            continue;
        if (status != GORT_OK) {
            note_error(&w->tally, status);
            return NULL;
        }
        if (ok == 1) {
            select_record(w, &value);
        } else if (ok == 0 && is_zero(r->type, &value) && gort_chan_is_closed(r->chans[k])) {
            mark_drained(w, k);
        } else {
            note_inconsistent(&w->tally, "a receive from a closed channel did not give ok 0 "
                                         "and the zero value");
            return NULL;
        }
    }
    return NULL;
}

static void select_describe(const void *arg)
{
    const select_round *r = arg;
    printf("# %ld messages received, stop %s\n",
           __atomic_load_n(&r->received_total, __ATOMIC_RELAXED),
           stopped(r) ? "set, channels closed" : "not yet set");
    for (int k = 0; k < r->n_chans; k++)
        printf("# channel %d: cap %" PRId64 ", len %zu, %s\n", k, r->caps[k],
               gort_chan_len(r->chans[k]),
               gort_chan_is_closed(r->chans[k]) ? "closed" : "open");
}

static void select_round_setup(select_round *r, const options *opt, rng *config)
{
    r->kind = pick_kind(config);
    r->type = elem_type(r->kind);
    r->n_chans = 2 + (int)rng_below(config, MAX_SELECT_CHANS - 1);
    r->n_selectors = 1 + (int)rng_below(config, (uint64_t)opt->threads);
    r->n_senders = 1 + (int)rng_below(config, (uint64_t)(opt->threads + 1) / 2);
    r->n_receivers = 1 + (int)rng_below(config, (uint64_t)(opt->threads + 1) / 2);
    for (int k = 0; k < r->n_chans; k++) {
        r->caps[k] = pick_cap(config);
        CHECK_OK(gort_chan_create(r->type, r->caps[k], soak_heap, &r->chans[k]));
    }
    size_t slots = (size_t)(r->n_selectors + r->n_senders) * SELECT_IDS;
    r->sent = calloc(slots, 1);
    r->received = calloc(slots, 1);
}

static void select_round_name(const select_round *r, long round_no, char *out, size_t size)
{
    int len = snprintf(
        out, size, "select round %ld: %d selectors + %d senders + %d receivers, %s, cap",
        round_no, r->n_selectors, r->n_senders, r->n_receivers, elem_names[r->kind]);
    for (int k = 0; k < r->n_chans; k++)
        len += snprintf(out + len, size - (size_t)len, "%s%" PRId64, k ? "/" : " ", r->caps[k]);
}

/* Selectors first, then plain senders (both own ids), then plain receivers. */
static select_worker *start_select_workers(select_round *r, rng *config, int *n_out)
{
    int n = r->n_selectors + r->n_senders + r->n_receivers;
    select_worker *workers = calloc((size_t)n, sizeof *workers);
    for (int i = 0; i < n; i++) {
        select_worker *w = &workers[i];
        *w = (select_worker){.round = r, .index = i, .random = {rng_next(config)}};
        void *(*main_fn)(void *) = i < r->n_selectors                  ? selector_main
                                   : i < r->n_selectors + r->n_senders ? plain_sender_main
                                                                       : plain_receiver_main;
        start_thread(&w->thread, main_fn, w);
    }
    *n_out = n;
    return workers;
}

static void stop_and_close(select_round *r, int64_t deadline)
{
    while (now_ns() < deadline)
        sleep_ms(5);
    __atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
    for (int k = 0; k < r->n_chans; k++)
        CHECK_OK(gort_chan_close(r->chans[k]));
}

/* Every committed send received exactly once, nothing else received. Returns how many
 * messages were received. */
static long select_round_check(const select_round *r, const select_worker *workers,
                               int n_workers, totals *t)
{
    deliveries d = {0};
    tally all = {0};
    long received = 0;
    for (int s = 0; s < r->n_selectors + r->n_senders; s++)
        for (long seq = 0; seq < SELECT_IDS; seq++) {
            uint64_t id = message_id(s, (uint64_t)seq);
            received += r->received[id_slot(id)];
            tally_delivery(&d, id, r->sent[id_slot(id)], r->received[id_slot(id)]);
        }
    for (int i = 0; i < n_workers; i++) {
        add_tally(&all, &workers[i].tally);
        t->selects += (uint64_t)workers[i].selects;
        t->select_commits += (uint64_t)workers[i].commits;
    }
    check_deliveries(&d);
    check_tally(&all);
    check_closed_and_drained(r->chans, r->n_chans);
    t->messages += (uint64_t)received;
    t->lost += (uint64_t)d.lost;
    t->duplicated += (uint64_t)d.duplicated;
    t->phantom += (uint64_t)d.phantom;
    t->retries += (uint64_t)all.retries;
    return received;
}

static bool select_round_run(const options *opt, long round_no, uint64_t seed, int64_t deadline,
                             totals *t, char *what, size_t what_size)
{
    uint64_t default_blocks = live_blocks(NULL);
    rng config = {seed};
    select_round r = {0};
    select_round_setup(&r, opt, &config);
    select_round_name(&r, round_no, what, what_size);
    watch_round(what, select_describe, &r);
    int n_workers;
    select_worker *workers = start_select_workers(&r, &config, &n_workers);
    stop_and_close(&r, deadline);
    for (int i = 0; i < n_workers; i++)
        pthread_join(workers[i].thread, NULL);
    watch_round_end();

    int failed_before = harness_failed_checks;
    uint64_t commits_before = t->select_commits;
    long received = select_round_check(&r, workers, n_workers, t);
    release_chans(r.chans, r.n_chans);
    check_and_release_type(r.kind, r.type, received);
    free(workers);
    free(r.sent);
    free(r.received);
    check_heaps(default_blocks);
    printf("# %s: %s messages, %s select commits\n", what, commas((uint64_t)received),
           commas(t->select_commits - commits_before));
    return harness_failed_checks == failed_before;
}

/* ---- phase 3: maps under an external lock ----------------------------------------------- */

static const size_t map_key_counts[] = {1500, 5000, 12000};
#define MAP_READ_BATCH 16

typedef struct map_round {
    bool str_keys;
    gort_map *map;
    pthread_rwlock_t lock; /* readers share it; the writer takes it alone */
    size_t n_keys;         /* keys are drawn from 0 .. n_keys-1 */
    uint64_t salt;
    /* The writer's model, written only under the write lock. */
    unsigned char *present;
    uint32_t *version; /* the entry's value is value_of(key, version) */
    size_t count;
    bool growing;       /* the writer inserts more than it deletes */
    size_t peak_len;    /* the most entries the map held */
    size_t peak_tables; /* and the most tables (splits happened if > 1) */
    int writer_done;    /* atomic */
    long operations;    /* atomic, for the watchdog */
    int64_t deadline;
} map_round;

typedef struct map_worker {
    pthread_t thread;
    map_round *round;
    rng random;
    unsigned char *produced; /* iteration check: how often each key was produced */
    long reads, writes;
    tally tally;
    char first_mismatch[200];
} map_worker;

/* A key in the map's representation: u64 (the number in the high bits, hash-like noise
 * below) or str ("key-<n>-" and a tail of 0-23 letters). */
typedef struct key_buf {
    union {
        uint64_t u64;
        gort_str str;
    } key;
    char bytes[48];
} key_buf;

static void make_key(const map_round *r, size_t k, key_buf *out)
{
    uint64_t noise = mix64(k ^ r->salt);
    if (!r->str_keys) {
        out->key.u64 = (uint64_t)k << 20 | (noise & 0xfffff);
        return;
    }
    int len = snprintf(out->bytes, sizeof out->bytes, "key-%zu-", k);
    size_t fill = (size_t)(noise % 24);
    for (size_t i = 0; i < fill; i++)
        out->bytes[(size_t)len + i] = (char)('A' + (k + i) % 26);
    out->key.str = (gort_str){out->bytes, (size_t)len + fill};
}

/* The key number of a key produced by iteration; false if it is not one of ours. */
static bool parse_key(const map_round *r, const void *key, size_t *k)
{
    key_buf want;
    if (!r->str_keys) {
        *k = (size_t)(*(const uint64_t *)key >> 20);
        if (*k >= r->n_keys)
            return false;
        make_key(r, *k, &want);
        return want.key.u64 == *(const uint64_t *)key;
    }
    const gort_str *s = key;
    if (!s->ptr || s->len < 5 || s->len >= sizeof want.bytes || memcmp(s->ptr, "key-", 4))
        return false;
    *k = 0; /* the digits after "key-", read within the key's length (no NUL there) */
    for (size_t j = 4; j < s->len && s->ptr[j] >= '0' && s->ptr[j] <= '9'; j++)
        *k = *k * 10 + (size_t)(s->ptr[j] - '0');
    if (*k >= r->n_keys)
        return false;
    make_key(r, *k, &want);
    return want.key.str.len == s->len && memcmp(want.bytes, s->ptr, s->len) == 0;
}

/* Distinct for distinct (key, version). */
static uint64_t value_of(const map_round *r, size_t k, uint32_t version)
{
    return mix64(((uint64_t)k << 32 | version) ^ r->salt);
}

static void map_mismatch(map_worker *w, const char *format, ...)
{
    if (w->tally.inconsistent++ == 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(w->first_mismatch, sizeof w->first_mismatch, format, args);
        va_end(args);
        w->tally.first_bad = w->first_mismatch;
    }
}

/* One read of key k against the model (the caller holds the lock). */
static void check_read(map_worker *w, size_t k, int found, uint64_t value, const char *how)
{
    const map_round *r = w->round;
    bool want_found = r->present[k];
    uint64_t want_value = want_found ? value_of(r, k, r->version[k]) : 0;
    w->reads++;
    if (found != (int)want_found || value != want_value)
        map_mismatch(w,
                     "%s of key %zu: found %d, value %#" PRIx64 "; the model: found %d, "
                     "value %#" PRIx64,
                     how, k, found, value, (int)want_found, want_value);
}

static void read_gets(map_worker *w, const gort_map *m, bool by_pointer)
{
    const map_round *r = w->round;
    for (int i = 0; i < MAP_READ_BATCH; i++) {
        size_t k = (size_t)rng_below(&w->random, r->n_keys);
        key_buf key;
        make_key(r, k, &key);
        uint64_t value = 0;
        int found = -1, status;
        if (by_pointer) {
            void *ptr = NULL;
            status = gort_map_get_ptr(m, &key.key, &ptr);
            found = ptr != NULL;
            value = ptr ? *(uint64_t *)ptr : 0;
        } else {
            status = gort_map_get(m, &key.key, &value, &found);
        }
        if (status != GORT_OK)
            note_error(&w->tally, status);
        check_read(w, k, found, value, by_pointer ? "get_ptr" : "get");
    }
}

/* One entry produced by an iteration: ours, current, and produced only once. Returns
 * the key number, or SIZE_MAX. */
static size_t check_produced(map_worker *w, const void *key, const void *value)
{
    size_t k;
    if (!parse_key(w->round, key, &k)) {
        map_mismatch(w, "an iteration produced a key that was never inserted");
        return SIZE_MAX;
    }
    if (w->produced[k]++)
        map_mismatch(w, "an iteration produced key %zu twice", k);
    check_read(w, k, 1, *(const uint64_t *)value, "iteration");
    return k;
}

/* A whole iteration, one entry per call or in batches; every entry is checked and the
 * count must be the model's (so every present key was produced exactly once). */
static void read_iteration(map_worker *w, gort_map *m, bool batched)
{
    const map_round *r = w->round;
    gort_map_iter it;
    const void *keys[MAP_READ_BATCH];
    void *values[MAP_READ_BATCH];
    size_t produced = 0;
    int64_t got;
    memset(w->produced, 0, r->n_keys);
    CHECK_OK(gort_map_iter_init(m, &it));
    do {
        got = batched ? gort_map_iter_next_n(&it, keys, values, MAP_READ_BATCH)
                      : gort_map_iter_next(&it, &keys[0], &values[0]);
        for (int64_t i = 0; i < got; i++)
            check_produced(w, keys[i], values[i]);
        produced += got > 0 ? (size_t)got : 0;
    } while (got > 0);
    if (got < 0)
        note_error(&w->tally, (int)got);
    if (produced != r->count)
        map_mismatch(w, "an iteration produced %zu entries; the model has %zu", produced,
                     r->count);
}

static void read_len(map_worker *w, const gort_map *m)
{
    size_t len = gort_map_len(m);
    w->reads++;
    if (len != w->round->count)
        map_mismatch(w, "len is %zu; the model has %zu", len, w->round->count);
}

/* A clone under the read lock is an independent copy of the same entries. */
static void read_clone(map_worker *w, const gort_map *m)
{
    gort_map *copy = NULL;
    int status = gort_map_clone(m, &copy);
    if (status != GORT_OK) {
        note_error(&w->tally, status);
        return;
    }
    read_len(w, copy);
    read_gets(w, copy, false);
    gort_map_release(copy);
}

static void read_some(map_worker *w)
{
    gort_map *m = w->round->map;
    uint64_t pick = rng_below(&w->random, 200);
    if (pick < 110)
        read_gets(w, m, false);
    else if (pick < 180)
        read_gets(w, m, true);
    else if (pick < 194)
        read_len(w, m);
    else if (pick < 197)
        read_iteration(w, m, pick & 1);
    else if (pick < 198)
        read_clone(w, m);
    else
        read_len(w, m);
}

static void *map_reader_main(void *arg)
{
    map_worker *w = arg;
    map_round *r = w->round;
    while (!__atomic_load_n(&r->writer_done, __ATOMIC_ACQUIRE)) {
        pthread_rwlock_rdlock(&r->lock);
        read_some(w);
        pthread_rwlock_unlock(&r->lock);
        bump();
        __atomic_fetch_add(&r->operations, 1, __ATOMIC_RELAXED);
        if (rng_one_in(&w->random, 2))
            sched_yield(); /* more than two readers are always runnable: let the writer in */
    }
    return NULL;
}

static void write_set(map_worker *w, size_t k)
{
    map_round *r = w->round;
    key_buf key;
    make_key(r, k, &key);
    uint32_t version = r->version[k] + 1;
    uint64_t value = value_of(r, k, version);
    int status = gort_map_set(r->map, &key.key, &value);
    w->writes++;
    if (status != GORT_OK) {
        note_error(&w->tally, status);
        return;
    }
    r->version[k] = version;
    if (!r->present[k]) {
        r->present[k] = 1;
        r->count++;
    }
}

static void forget(map_round *r, size_t k)
{
    if (r->present[k]) {
        r->present[k] = 0;
        r->count--;
    }
}

static void write_delete(map_worker *w, size_t k)
{
    map_round *r = w->round;
    key_buf key;
    make_key(r, k, &key);
    int status = gort_map_delete(r->map, &key.key);
    w->writes++;
    if (status != GORT_OK)
        note_error(&w->tally, status);
    else
        forget(r, k);
}

static void write_clear(map_worker *w)
{
    map_round *r = w->round;
    int status = gort_map_clear(r->map);
    w->writes++;
    if (status != GORT_OK) {
        note_error(&w->tally, status);
        return;
    }
    memset(r->present, 0, r->n_keys);
    r->count = 0;
}

static void write_shrink(map_worker *w)
{
    int status = gort_map_shrink(w->round->map);
    w->writes++;
    if (status != GORT_OK)
        note_error(&w->tally, status);
}

/* Go's range loop that deletes and updates as it goes: every entry present at the start
 * is produced once (only the entry just produced is ever deleted). */
static void write_during_iteration(map_worker *w)
{
    map_round *r = w->round;
    gort_map_iter it;
    const void *key;
    void *value;
    size_t expected = r->count, produced = 0;
    int got;
    memset(w->produced, 0, r->n_keys);
    CHECK_OK(gort_map_iter_init(r->map, &it));
    while ((got = gort_map_iter_next(&it, &key, &value)) == 1) {
        size_t k = check_produced(w, key, value);
        produced++;
        uint64_t pick = rng_below(&w->random, 3);
        if (k == SIZE_MAX || pick == 0)
            continue;
        w->writes++;
        if (pick == 1) {
            int status = gort_map_iter_delete(&it);
            if (status != GORT_OK)
                note_error(&w->tally, status);
            else
                forget(r, k);
        } else { /* in place, through the borrowed pointer */
            *(uint64_t *)value = value_of(r, k, ++r->version[k]);
        }
    }
    if (got != 0)
        note_error(&w->tally, got);
    if (produced != expected)
        map_mismatch(w, "the writer's iteration produced %zu of %zu entries", produced,
                     expected);
}

static void note_peak(map_round *r)
{
    gort_map_stats stats = {.struct_size = sizeof stats};
    CHECK_OK(gort_map_stats_get(r->map, &stats));
    if (stats.entries > r->peak_len)
        r->peak_len = stats.entries;
    if (stats.tables > r->peak_tables)
        r->peak_tables = stats.tables;
}

/* Grows towards 85% of the key space, then deletes down to 5% and shrinks. */
static void write_some(map_worker *w, int n)
{
    map_round *r = w->round;
    for (int i = 0; i < n; i++) {
        size_t k = (size_t)rng_below(&w->random, r->n_keys);
        bool set = (rng_below(&w->random, 4) == 0) != r->growing;
        if (set)
            write_set(w, k);
        else
            write_delete(w, k);
    }
    if (r->growing && r->count >= r->n_keys * 85 / 100) {
        r->growing = false;
        note_peak(r);
    } else if (!r->growing && r->count <= r->n_keys / 20) {
        r->growing = true;
        write_shrink(w);
    }
}

static void write_batch(map_worker *w)
{
    uint64_t pick = rng_below(&w->random, 1000);
    if (pick == 0)
        write_clear(w);
    else if (pick < 4)
        write_shrink(w);
    else if (pick < 7)
        write_during_iteration(w);
    else
        write_some(w, 1 + (int)rng_below(&w->random, 512));
    read_len(w, w->round->map);
}

static void *map_writer_main(void *arg)
{
    map_worker *w = arg;
    map_round *r = w->round;
    while (now_ns() < r->deadline) {
        pthread_rwlock_wrlock(&r->lock);
        write_batch(w);
        pthread_rwlock_unlock(&r->lock);
        bump();
        __atomic_fetch_add(&r->operations, 1, __ATOMIC_RELAXED);
        if (rng_one_in(&w->random, 4))
            sched_yield();
    }
    __atomic_store_n(&r->writer_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Race reports from the map's best-effort detector (there must be none: the rwlock
 * excludes the writer). Counted instead of aborting, so the round reports it. */
static long map_abort_calls;          /* atomic */
static const char *map_abort_message; /* atomic: the first report */

static void count_map_abort(const char *message, void *ctx)
{
    (void)ctx;
    if (__atomic_fetch_add(&map_abort_calls, 1, __ATOMIC_RELAXED) == 0)
        __atomic_store_n(&map_abort_message, message, __ATOMIC_RELEASE);
}

static void map_describe(const void *arg)
{
    const map_round *r = arg;
    printf("# %ld lock sections done, writer %s\n",
           __atomic_load_n(&r->operations, __ATOMIC_RELAXED),
           __atomic_load_n(&r->writer_done, __ATOMIC_RELAXED) ? "done" : "still writing");
}

static pthread_rwlock_t writer_preferring_rwlock(void)
{
    pthread_rwlock_t lock;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* glibc prefers readers by default: a steady stream of readers would starve the
     * writer and the model would never change */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    return lock;
}

static void map_round_setup(map_round *r, rng *config, int64_t deadline)
{
    r->str_keys = rng_one_in(config, 3);
    r->n_keys = map_key_counts[rng_below(config, 3)];
    r->salt = rng_next(config);
    size_t hint = rng_one_in(config, 2) ? 0 : r->n_keys;
    gort_type *key_type = gort_type_builtin(r->str_keys ? GORT_KIND_STR : GORT_KIND_U64);
    CHECK_OK(
        gort_map_create(key_type, gort_type_builtin(GORT_KIND_U64), hint, soak_heap, &r->map));
    r->lock = writer_preferring_rwlock();
    r->present = calloc(r->n_keys, 1);
    r->version = calloc(r->n_keys, sizeof *r->version);
    r->growing = true;
    r->deadline = deadline;
}

static map_worker *start_map_workers(map_round *r, int n_readers, rng *config)
{
    map_worker *workers = calloc((size_t)n_readers + 1, sizeof *workers);
    for (int i = 0; i <= n_readers; i++) {
        map_worker *w = &workers[i];
        *w = (map_worker){.round = r, .random = {rng_next(config)}};
        w->produced = calloc(r->n_keys, 1);
        start_thread(&w->thread, i == 0 ? map_writer_main : map_reader_main, w);
    }
    return workers;
}

/* After the round: the whole map equals the model, key by key and by iteration. */
static void audit_map(map_worker *auditor)
{
    map_round *r = auditor->round;
    for (size_t k = 0; k < r->n_keys; k++) {
        key_buf key;
        make_key(r, k, &key);
        uint64_t value = 0;
        int found = -1;
        CHECK_OK(gort_map_get(r->map, &key.key, &value, &found));
        check_read(auditor, k, found, value, "the final get");
    }
    read_iteration(auditor, r->map, false);
    read_iteration(auditor, r->map, true);
    gort_map_stats stats = {.struct_size = sizeof stats};
    CHECK_OK(gort_map_stats_get(r->map, &stats));
    CHECK_EQ_SIZE(stats.entries, r->count);
    note_peak(r);
}

static void map_round_check(map_round *r, map_worker *workers, int n_workers, totals *t)
{
    map_worker auditor = {.round = r, .produced = calloc(r->n_keys, 1)};
    audit_map(&auditor);
    tally all = auditor.tally;
    t->map_reads += (uint64_t)auditor.reads;
    for (int i = 0; i < n_workers; i++) {
        add_tally(&all, &workers[i].tally);
        t->map_reads += (uint64_t)workers[i].reads;
        t->map_writes += (uint64_t)workers[i].writes;
    }
    check_tally(&all);
    if (!CHECK_EQ_INT(__atomic_load_n(&map_abort_calls, __ATOMIC_ACQUIRE), 0))
        printf("#     first report: %s\n", map_abort_message);
    free(auditor.produced);
}

static void map_round_name(const map_round *r, long round_no, int n_readers, char *out,
                           size_t size)
{
    snprintf(out, size, "map round %ld: 1 writer + %d readers, %s keys, %zu-key space",
             round_no, n_readers, r->str_keys ? "str" : "u64", r->n_keys);
}

static bool map_round_run(const options *opt, long round_no, uint64_t seed, int64_t deadline,
                          totals *t, char *what, size_t what_size)
{
    uint64_t default_blocks = live_blocks(NULL);
    rng config = {seed};
    map_round r = {0};
    map_round_setup(&r, &config, deadline);
    int n_readers = 1 + (int)rng_below(&config, (uint64_t)opt->threads);
    map_round_name(&r, round_no, n_readers, what, what_size);
    __atomic_store_n(&map_abort_calls, 0, __ATOMIC_RELAXED);
    gort_map_set_abort_hook(count_map_abort, NULL);
    watch_round(what, map_describe, &r);
    map_worker *workers = start_map_workers(&r, n_readers, &config);
    for (int i = 0; i <= n_readers; i++)
        pthread_join(workers[i].thread, NULL);
    watch_round_end();
    gort_map_set_abort_hook(NULL, NULL);

    int failed_before = harness_failed_checks;
    uint64_t reads_before = t->map_reads, writes_before = t->map_writes;
    map_round_check(&r, workers, n_readers + 1, t);
    for (int i = 0; i <= n_readers; i++)
        free(workers[i].produced);
    free(workers);
    gort_map_release(r.map);
    pthread_rwlock_destroy(&r.lock);
    free(r.present);
    free(r.version);
    check_heaps(default_blocks);
    printf("# %s: %s reads checked, %s writes, peak %s entries in %zu tables\n", what,
           commas(t->map_reads - reads_before), commas(t->map_writes - writes_before),
           commas(r.peak_len), r.peak_tables);
    return harness_failed_checks == failed_before;
}

/* ---- phases and rounds ----------------------------------------------------------------- */

typedef bool (*round_fn)(const options *opt, long round_no, uint64_t seed, int64_t deadline,
                         totals *t, char *what, size_t what_size);

typedef struct phase {
    unsigned id;
    const char *flag; /* its --phase name */
    const char *title;
    round_fn run_round;
} phase;

static const phase phases[] = {
    {PHASE_CHAN, "chan", "channels, many threads", chan_round_run},
    {PHASE_SELECT, "select", "select storms", select_round_run},
    {PHASE_MAP, "map", "maps under an external lock", map_round_run},
};

/* A round's configuration depends only on the seed, the phase and the round number. */
static uint64_t round_seed(const options *opt, unsigned phase_id, long round_no)
{
    return mix64(opt->seed ^ (uint64_t)phase_id << 56 ^
                 (uint64_t)round_no * 0x9e3779b97f4a7c15u);
}

static void print_phase_result(int number, const phase *p, const totals *t, bool ok)
{
    printf("%s %d - %s: %ld rounds", ok ? "ok" : "not ok", number, p->title, t->rounds);
    if (p->id == PHASE_MAP) {
        printf(", %s reads checked, %s writes\n", commas(t->map_reads), commas(t->map_writes));
        return;
    }
    printf(", %s messages checked (%s lost, %s duplicated, %s never sent", commas(t->messages),
           commas(t->lost), commas(t->duplicated), commas(t->phantom));
    if (p->id == PHASE_CHAN)
        printf(", %s out of order)", commas(t->out_of_order));
    else
        printf("), %s selects, %s committed a case", commas(t->selects),
               commas(t->select_commits));
    printf(", %s waits gave up and were retried\n", commas(t->retries));
}

/* Rounds until the phase's share of the time is used up, or one fails. */
static bool run_phase(const options *opt, const phase *p, int number, int64_t phase_deadline,
                      totals *sum)
{
    totals t = {0};
    bool ok = true;
    int failed_before = harness_failed_checks;
    do {
        int64_t round_deadline = now_ns() + ROUND_NS;
        if (round_deadline > phase_deadline)
            round_deadline = phase_deadline;
        char what[256];
        ok = p->run_round(opt, t.rounds, round_seed(opt, p->id, t.rounds), round_deadline, &t,
                          what, sizeof what);
        if (!ok)
            printf("#   in %s\n#   rerun its configuration: soak --phase %s --seed %" PRIu64
                   " --seconds %.1f\n",
                   what, p->flag, opt->seed, (double)(t.rounds + 2) * ROUND_NS / 1e9);
        t.rounds++;
    } while (ok && now_ns() + ROUND_NS / 4 < phase_deadline);
    if (p->id != PHASE_MAP)
        CHECK_TRUE(t.messages > 0); /* not vacuous */
    ok = harness_failed_checks == failed_before;
    print_phase_result(number, p, &t, ok);
    add_totals(sum, &t);
    return ok;
}

static int count_phases(unsigned selected)
{
    int n = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        n += (selected & phases[i].id) != 0;
    return n;
}

static void print_summary(double seconds, const totals *t)
{
    printf("# soak: %.1f s, %ld rounds, %s messages checked (%s lost, %s duplicated, %s out "
           "of order), %s select commits, %s map reads checked, %s map writes\n",
           seconds, t->rounds, commas(t->messages), commas(t->lost), commas(t->duplicated),
           commas(t->out_of_order), commas(t->select_commits), commas(t->map_reads),
           commas(t->map_writes));
}

/* Every round's objects are gone, so the private heap destroys without FORCE. */
static bool destroy_heap(int number)
{
    int failed_before = harness_failed_checks;
    CHECK_OK(gort_heap_destroy(soak_heap, 0));
    bool ok = harness_failed_checks == failed_before;
    printf("%s %d - the private heap is empty and destroys cleanly\n", ok ? "ok" : "not ok",
           number);
    return ok;
}

int main(int argc, char **argv)
{
    options opt;
    if (!parse_options(argc, argv, &opt))
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    int n_phases = count_phases(opt.phases);
    printf("1..%d\n", n_phases + 1);
    printf("# soak: seed %" PRIu64 ", %.1f s, up to %d threads per role, allocator %s%s\n",
           opt.seed, opt.seconds, opt.threads, gort_heap_allocator(),
           under_valgrind() ? ", under Valgrind" : "");
    if (gort_heap_create(&soak_heap) != GORT_OK) {
        printf("Bail out! gort_heap_create failed\n");
        return 1;
    }
    start_thread(&watch.thread, watchdog_main, NULL);

    int64_t start = now_ns(), share = (int64_t)(opt.seconds * 1e9) / n_phases;
    totals sum = {0};
    bool ok = true;
    int number = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        if (opt.phases & phases[i].id) {
            number++;
            ok &= run_phase(&opt, &phases[i], number, start + share * number, &sum);
        }
    }
    __atomic_store_n(&watch.stop, 1, __ATOMIC_RELEASE);
    pthread_join(watch.thread, NULL);
    ok &= destroy_heap(number + 1);
    print_summary(seconds_since(start), &sum);
    return ok ? 0 : 1;
}
