-- Channels between LuaJIT and real C threads: every message is counted and summed on
-- both sides. A blocking Lua call blocks the whole Lua state while a C thread is its
-- partner, which is the only way LuaJIT can share a channel with a thread.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local gort = require "gort"
local cthreads = dofile(tap.binding_dir .. "/tests/cthreads.lua")

local function triangle(first, n) -- first + (first + 1) + ... + (first + n - 1)
    return n * first + n * (n - 1) / 2
end

local function c_producer_to_lua(cap, n)
    local ch = gort.chan("int64", cap)
    local thread = cthreads.produce(ch, 1, n, true)
    local count, sum = 0, 0
    for v in ch:iter() do
        count, sum = count + 1, sum + v
    end
    local status, sent, sent_sum = cthreads.join(thread)
    local label = "cap " .. cap .. ": "
    tap.is(status, gort.OK, label .. "the C producer's sends all succeeded")
    tap.is(sent, n, label .. "it sent " .. n .. " values")
    tap.is(count, n, label .. "Lua received every one")
    tap.is(sum, triangle(1, n), label .. "with the right sum")
    tap.is(sent_sum, sum, label .. "the same sum on both sides")
end

-- Four producers, one channel, no close: Lua stops after the known total, then checks
-- nothing more arrives and each value came exactly once.
local function many_producers()
    local ch = gort.chan("int64", 128)
    local per, threads = 25000, {}
    for t = 0, 3 do
        threads[#threads + 1] = cthreads.produce(ch, t * per, per, false)
    end
    local seen, duplicates = {}, 0
    for _ = 1, 4 * per do
        local v = ch:recv()
        if seen[v] then
            duplicates = duplicates + 1
        end
        seen[v] = true
    end
    local total_count = 0
    for _, thread in ipairs(threads) do
        local status, count = cthreads.join(thread)
        tap.is(status, gort.OK, "a producer finished cleanly")
        total_count = total_count + count
    end
    tap.is(total_count, 4 * per, "the producers sent 100000 values")
    tap.is(duplicates, 0, "Lua received each value exactly once")
    local missing = 0
    for v = 0, 4 * per - 1 do
        if not seen[v] then missing = missing + 1 end
    end
    tap.is(missing, 0, "and none is missing")
    tap.is(select(2, ch:try_recv()), nil, "and nothing extra is left")
end

local function lua_to_c_consumers(cap, consumers, n)
    local ch = gort.chan("int64", cap)
    local threads = {}
    for i = 1, consumers do
        threads[i] = cthreads.consume(ch)
    end
    for v = 1, n do
        ch:send(v)
    end
    ch:close()
    local count, sum = 0, 0
    for _, thread in ipairs(threads) do
        local status, c, s = cthreads.join(thread)
        tap.is(status, gort.OK, "a C consumer ended at the close")
        count, sum = count + c, sum + s
    end
    local label = consumers .. " C consumer(s), cap " .. cap .. ": "
    tap.is(count, n, label .. "received all " .. n .. " values")
    tap.is(sum, triangle(1, n), label .. "with the right sum")
end

-- Go's fan-in: select over the producers' channels; a closed one is replaced by nil
-- (a never-ready case) until every channel is closed.
local function select_fan_in()
    local a, b = gort.chan("int64", 16), gort.chan("int64", 0)
    local ta = cthreads.produce(a, 0, 30000, true)
    local tb = cthreads.produce(b, 1000000, 20000, true)
    local cases = { { "recv", a }, { "recv", b } }
    local counts, sums, open = { 0, 0 }, { 0, 0 }, 2
    while open > 0 do
        local i, v, ok = gort.select(cases)
        if ok then
            counts[i], sums[i] = counts[i] + 1, sums[i] + v
        else
            cases[i][2] = nil -- a closed channel: never select it again
            open = open - 1
        end
    end
    tap.is(counts[1], 30000, "select received every value of the buffered channel")
    tap.is(counts[2], 20000, "and of the unbuffered one")
    tap.is(sums[1], triangle(0, 30000), "sum from a")
    tap.is(sums[2], triangle(1000000, 20000), "sum from b")
    tap.is(cthreads.join(ta), gort.OK, "producer a finished")
    tap.is(cthreads.join(tb), gort.OK, "producer b finished")
end

-- Closing a channel fails a C sender blocked on it with GORT_ECLOSED; every value it sent
-- successfully was received or is still buffered.
local function close_under_a_blocked_sender()
    local ch = gort.chan("int64", 1)
    local thread = cthreads.produce(ch, 0, 1000000, false)
    for _ = 1, 10 do
        ch:recv()
    end
    ch:close()
    local status, sent = cthreads.join(thread)
    tap.is(status, gort.ECLOSED, "the blocked C sender saw GORT_ECLOSED")
    tap.is(sent, 10 + #ch, "every successful send was received or is still buffered")
end

-- A C thread keeps its own reference: Lua may free its object while the thread works.
local function lua_frees_first()
    local ch = gort.chan("int64", 1024)
    local thread = cthreads.produce(ch, 1, 500, true)
    local raw = ch:handle()
    local kept = gort.adopt(raw, "int64")
    ch:free()
    local sum = 0
    for v in kept:iter() do
        sum = sum + v
    end
    tap.is(sum, triangle(1, 500), "values arrive through another reference after the first is freed")
    tap.is(cthreads.join(thread), gort.OK, "and the C thread finished cleanly")
end

-- A receive with a timeout returns a value sent by a C thread while it waits.
local function timeout_with_partner()
    local ch = gort.chan("int64")
    local thread = cthreads.produce(ch, 7, 1, false)
    local v, ok = ch:recv(10)
    tap.ok(v == 7 and ok, "recv with a timeout got the C thread's value")
    tap.is(cthreads.join(thread), gort.OK, "the unbuffered send completed")
end

c_producer_to_lua(64, 100000)
c_producer_to_lua(0, 20000)
many_producers()
lua_to_c_consumers(16, 1, 50000)
lua_to_c_consumers(0, 3, 20000)
select_fan_in()
close_under_a_blocked_sender()
lua_frees_first()
timeout_with_partner()
tap.done()
