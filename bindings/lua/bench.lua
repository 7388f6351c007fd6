-- Benchmark: the gort binding against the idiomatic Lua alternative, as ns per operation
-- and the ratio gort / Lua (> 1: gort is slower).
--
--   luajit bindings/lua/bench.lua [--quick] [--reps N]
--
-- Needs GORT_LIBRARY (or an installed libgort.so.1) and, for the C-thread row,
-- GORT_CTHREADS (build/bindings/libgort_cthreads.so). Each row is the best of --reps runs
-- (3 by default, 1 with --quick), timed with CLOCK_MONOTONIC.
local here = arg[0]:match("^(.-)[^/]*$")
package.path = here .. "?.lua;" .. here .. "?/init.lua;" .. package.path

local ffi = require "ffi"
local gort = require "gort"
local Map = gort.Map

local quick, reps = false, nil
for i = 1, #arg do
    if arg[i] == "--quick" then
        quick = true
    elseif arg[i] == "--reps" then
        reps = tonumber(arg[i + 1])
    end
end
reps = reps or (quick and 1 or 3)
local N = quick and 100000 or 1000000

ffi.cdef [[
struct gortbench_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock_id, struct gortbench_timespec *ts);
]]
local timespec = ffi.new("struct gortbench_timespec")
local function now()
    ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
    return tonumber(timespec.tv_sec) * 1e9 + tonumber(timespec.tv_nsec)
end

-- Best time of `reps` runs of run(), in ns per operation (ops operations per run).
-- setup() builds fresh inputs outside the timed part; its result is passed to run.
local function measure(ops, run, setup, teardown)
    local best = math.huge
    for _ = 1, reps do
        local input = setup and setup()
        collectgarbage()
        local t0 = now()
        run(input)
        local elapsed = now() - t0
        if teardown then teardown(input) end
        best = math.min(best, elapsed)
    end
    return best / ops
end

local rows = {}
local function row(name, gort_ns, lua_ns, alternative)
    rows[#rows + 1] = { name, gort_ns, lua_ns, alternative }
    io.write(string.format("%-44s %9.1f %9.1f %7.2f   %s\n", name, gort_ns, lua_ns,
                           gort_ns / lua_ns, alternative))
    io.flush()
end

-- Distinct, scattered int64 keys (a bijection of [0, 2^32)), so Lua tables use their hash
-- part as they would for real keys, not the array part that 1..N gets.
local keys = {}
for i = 1, N do
    keys[i] = (i * 2654435761) % 4294967296
end

local function map_int_rows()
    local function fresh_map() return gort.map("int64", "int64") end
    local insert_gort = measure(N, function(m)
        for i = 1, N do m[keys[i]] = i end
    end, fresh_map, Map.free)
    local insert_lua = measure(N, function(t)
        for i = 1, N do t[keys[i]] = i end
    end, function() return {} end)
    row("map int64->int64: insert " .. N, insert_gort, insert_lua, "Lua table")

    local m, t = gort.map("int64", "int64"), {}
    for i = 1, N do
        m[keys[i]] = i
        t[keys[i]] = i
    end
    local lookup_gort = measure(N, function()
        local sum = 0
        for i = 1, N do sum = sum + m[keys[i]] end
        assert(sum == N * (N + 1) / 2)
    end)
    local lookup_lua = measure(N, function()
        local sum = 0
        for i = 1, N do sum = sum + t[keys[i]] end
        assert(sum == N * (N + 1) / 2)
    end)
    row("map int64->int64: lookup (hit) " .. N, lookup_gort, lookup_lua, "Lua table")

    local iterate_gort = measure(N, function()
        local count = 0
        for _ in Map.pairs(m) do count = count + 1 end
        assert(count == N)
    end)
    local iterate_lua = measure(N, function()
        local count = 0
        for _ in pairs(t) do count = count + 1 end
        assert(count == N)
    end)
    row("map int64->int64: iterate " .. N, iterate_gort, iterate_lua, "pairs() over a table")
    Map.free(m)
end

-- Word counting: N words drawn (skewed) from a 10,000-word vocabulary.
local function map_str_rows()
    local vocabulary = {}
    for i = 1, 10000 do
        vocabulary[i] = "word" .. i
    end
    local words, state = {}, 1
    for i = 1, N do
        state = (state * 1103515245 + 12345) % 2147483648
        words[i] = vocabulary[math.floor((state / 2147483648) ^ 2 * 10000) + 1]
    end
    local count_gort = measure(N, function(m)
        for i = 1, N do
            local w = words[i]
            m[w] = (m[w] or 0) + 1
        end
    end, function() return gort.map("str", "int64") end, Map.free)
    local count_lua = measure(N, function(t)
        for i = 1, N do
            local w = words[i]
            t[w] = (t[w] or 0) + 1
        end
    end, function() return {} end)
    row("map str->int64: count " .. N .. " words", count_gort, count_lua, "Lua table")
end

-- One thread: send a batch of 1024 into a cap-1024 channel, receive it back; ns per
-- send+recv pair. The Lua alternative is a table used as a FIFO (head/tail indices).
local function chan_single_thread_row()
    local batch, rounds = 1024, math.floor(N / 1024)
    local ch = gort.chan("int64", batch)
    local pair_gort = measure(batch * rounds, function()
        for _ = 1, rounds do
            for i = 1, batch do ch:send(i) end
            for _ = 1, batch do ch:recv() end
        end
    end)
    local pair_lua = measure(batch * rounds, function()
        local queue, head, tail = {}, 1, 0
        for _ = 1, rounds do
            for i = 1, batch do
                tail = tail + 1
                queue[tail] = i
            end
            for _ = 1, batch do
                local v = queue[head]
                queue[head] = nil
                head = head + 1
                assert(v)
            end
        end
    end)
    row("chan int64 cap 1024: send+recv, 1 thread", pair_gort, pair_lua, "table FIFO queue")
    ch:free()
end

-- A C thread produces N int64 into a cap-1024 channel and Lua receives them. Lua has no
-- threads, so its idiomatic producer/consumer is a coroutine yielding each value: the
-- same program shape, but with no parallelism (and no thread handoff to pay for).
local function chan_c_thread_row()
    local path = os.getenv("GORT_CTHREADS")
    if not path then
        print("(skipped the C producer row: GORT_CTHREADS is not set)")
        return
    end
    local cthreads = dofile(here .. "tests/cthreads.lua")
    local gort_ns = measure(N, function()
        local ch = gort.chan("int64", 1024)
        local thread = cthreads.produce(ch, 1, N, true)
        local sum = 0
        for v in ch:iter() do sum = sum + v end
        assert(cthreads.join(thread) == 0 and sum == N * (N + 1) / 2)
        ch:free()
    end)
    local lua_ns = measure(N, function()
        local producer = coroutine.wrap(function()
            for i = 1, N do coroutine.yield(i) end
        end)
        local sum = 0
        for _ = 1, N do sum = sum + producer() end
        assert(sum == N * (N + 1) / 2)
    end)
    row("chan: C producer thread -> Lua, " .. N, gort_ns, lua_ns, "coroutine producer")
end

-- Per-call overhead of the FFI: the same trivial call (len) made raw through the FFI
-- namespace and through the binding's wrapper, against an empty loop and Lua's #t; once
-- compiled by the JIT and once in the interpreter (code the JIT does not compile, e.g.
-- loops that call functions it cannot trace, runs there).
local function ffi_overhead_rows(interpreted)
    local calls = interpreted and N or N * 10
    local m, ch, t = gort.map("int64", "int64"), gort.chan("int64", 4), { 1, 2, 3 }
    local raw_map, raw_chan, lib = Map.handle(m), ch:handle(), gort.lib
    local maps, raw_maps = {}, {}
    for i = 1, 16 do
        maps[i] = gort.map("int64", "int64")
        raw_maps[i] = Map.handle(maps[i])
    end
    local function timed(body)
        if interpreted then
            jit.off(body)
        end
        return measure(calls, body)
    end
    local empty = timed(function()
        local sum = 0
        for i = 1, calls do sum = sum + i end
        assert(sum > 0)
    end)
    local function per_call(body)
        return timed(body) - empty
    end
    local results = {
        { "Lua #t on a table", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + #t + i end
            assert(sum > 0)
        end) },
        { "gort.lib.gort_map_len(raw) (bare FFI call)", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + tonumber(lib.gort_map_len(raw_map)) + i end
            assert(sum > 0)
        end) },
        { "#m (the binding: registry, checks, call)", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + #m + i end
            assert(sum > 0)
        end) },
        { "gort.lib.gort_chan_len(raw) (bare FFI call)", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + tonumber(lib.gort_chan_len(raw_chan)) + i end
            assert(sum > 0)
        end) },
        { "ch:len() (the binding)", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + ch:len() + i end
            assert(sum > 0)
        end) },
        -- With one object the JIT hoists the registry lookup out of the loop; cycling
        -- through 16 objects makes every call pay for it.
        { "gort_map_len over 16 raw handles", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + tonumber(lib.gort_map_len(raw_maps[i % 16 + 1])) + i end
            assert(sum > 0)
        end) },
        { "#m over 16 maps", per_call(function()
            local sum = 0
            for i = 1, calls do sum = sum + #maps[i % 16 + 1] + i end
            assert(sum > 0)
        end) },
    }
    print()
    print("FFI per-call overhead, " .. (interpreted and "interpreter (jit.off)" or "JIT-compiled")
          .. ": ns per call, the empty loop's cost subtracted")
    for _, result in ipairs(results) do
        print(string.format("  %-44s %7.2f", result[1], result[2]))
    end
    Map.free(m)
    ch:free()
end

local _, version = gort.version()
print(string.format("libgort %s (%s), %s, N = %d, best of %d", version, gort.allocator(),
                    jit.version, N, reps))
print(string.format("%-44s %9s %9s %7s   %s", "workload", "gort ns", "Lua ns", "ratio", "Lua alternative"))
map_int_rows()
map_str_rows()
chan_single_thread_row()
chan_c_thread_row()
ffi_overhead_rows(false)
ffi_overhead_rows(true)
