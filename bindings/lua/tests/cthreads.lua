-- The test-support C threads (bindings/testlib/cthreads.c, path in $GORT_CTHREADS): real
-- pthreads that send to or receive from a gort channel, since LuaJIT cannot start threads.
local ffi = require "ffi"
require "gort"

ffi.cdef [[
typedef struct gort_cthread gort_cthread;
int gort_cthread_produce(gort_chan *c, int64_t first, int64_t n, int close_after,
                         gort_cthread **out);
int gort_cthread_produce_words(gort_chan *c, const char *text, size_t len, int close_after,
                               gort_cthread **out);
int gort_cthread_consume(gort_chan *c, gort_cthread **out);
int gort_cthread_join(gort_cthread *t, int64_t *count, int64_t *sum);
]]

local path = os.getenv("GORT_CTHREADS")
if not path then
    print("1..0 # SKIP GORT_CTHREADS is not set (meson test sets it)")
    os.exit(0)
end
local lib = ffi.load(path)

local cthreads = {}

local function started(rc, out)
    assert(rc == 0, "starting a C thread failed: " .. rc)
    return out[0]
end

-- A thread sending first, ..., first + n - 1 into the int64 channel ch, then closing it
-- if close_after.
function cthreads.produce(ch, first, n, close_after)
    local out = ffi.new("gort_cthread *[1]")
    return started(lib.gort_cthread_produce(ch:handle(), first, n, close_after and 1 or 0, out), out)
end

-- A thread sending every whitespace-separated word of text into the str channel ch.
function cthreads.produce_words(ch, text, close_after)
    local out = ffi.new("gort_cthread *[1]")
    return started(lib.gort_cthread_produce_words(ch:handle(), text, #text,
                                                  close_after and 1 or 0, out), out)
end

-- A thread receiving from the int64 channel ch until it is closed and drained.
function cthreads.consume(ch)
    local out = ffi.new("gort_cthread *[1]")
    return started(lib.gort_cthread_consume(ch:handle(), out), out)
end

-- Waits for the thread: returns the status of its last channel call, and how many values
-- it moved and their sum (for words, the total of their lengths), as Lua numbers.
function cthreads.join(thread)
    local count, sum = ffi.new("int64_t[1]"), ffi.new("int64_t[1]")
    local status = lib.gort_cthread_join(thread, count, sum)
    return status, tonumber(count[0]), tonumber(sum[0])
end

return cthreads
