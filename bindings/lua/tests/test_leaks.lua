-- No leaks: after objects are freed (explicitly or by the collector), heap statistics are
-- back where they started. A private gort.Heap holds the containers; string bytes live in
-- the default heap (docs/types.md), which is checked too.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local gort = require "gort"

local function collect()
    -- Two cycles: a finalizer can make an object's last reference go (an iteration
    -- releasing its map) only after the first.
    collectgarbage()
    collectgarbage()
end

-- Fills a heap with every kind of object, some freed explicitly, the rest dropped.
local function populate(heap)
    local keep = {}
    for i = 1, 50 do
        local m = gort.map("str", "str", 0, heap)
        for k = 1, 40 do
            m["key" .. k] = string.rep("v", k)
        end
        local clone = gort.Map.clone(m)
        local it = gort.Map.pairs(clone)
        it() -- an abandoned iteration pins the clone
        local s = gort.slice_of("str", { "a", "b", "c" }, heap)
        local view = s:sub(1)
        view:append("grown past cap", "so view gets its own store")
        local ch = gort.chan("str", 8, heap)
        ch:send("left in the buffer")
        if i % 2 == 0 then
            gort.Map.free(m)
            s:free()
            ch:close()
            ch:free()
        end
        keep[i] = { m, clone, it, s, view, ch }
    end
    return keep
end

local function private_heap()
    local heap = gort.heap()
    local start = heap:stats()
    tap.is(start.live_blocks, 0, "a new heap has no live blocks")
    local objects = populate(heap)
    local busy = heap:stats()
    tap.ok(busy.live_blocks > 0 and busy.live_objects > 0,
           "objects live in the heap (" .. busy.live_blocks .. " blocks, " .. busy.live_objects .. " handles)")
    tap.raises(gort.EBUSY, "Heap.free", "freeing a heap with live objects raises GORT_EBUSY", heap.free, heap)
    objects = nil
    collect()
    local after = heap:stats()
    tap.is(after.live_blocks, start.live_blocks, "live blocks are back to the start")
    tap.is(after.live_objects, start.live_objects, "live handles are back to the start")
    tap.is(after.allocated, start.allocated, "allocated bytes are back to the start")
    heap:free()
    tap.is(tostring(heap), "gort.Heap (freed)", "the empty heap is destroyed")
end

local function default_heap()
    local start = gort.heap_stats()
    local objects = populate(nil)
    tap.ok(gort.heap_stats().live_blocks > start.live_blocks, "the default heap is in use")
    objects = nil
    collect()
    local after = gort.heap_stats()
    tap.is(after.live_blocks, start.live_blocks, "default heap: live blocks back to the start")
    tap.is(after.live_objects, start.live_objects, "default heap: live handles back to the start")
end

-- A received str is owned by the receiver: the binding copies it into a Lua string and
-- frees the C copy (gort_value_drop), on every receive path.
local function received_strings_are_dropped()
    local ch = gort.chan("str", 100)
    local other = gort.chan("str", 1)
    local start = gort.heap_stats().live_blocks
    for round = 1, 3 do
        for i = 1, 100 do
            ch:send("message number " .. i)
        end
        local got = 0
        if round == 1 then
            while ch:try_recv() do got = got + 1 end
        elseif round == 2 then
            while ch:recv(0) do got = got + 1 end
        else
            while gort.select { { "recv", ch }, { "recv", other }, default = true } do got = got + 1 end
        end
        tap.is(got, 100, "round " .. round .. ": every message received")
        tap.is(gort.heap_stats().live_blocks, start,
               ({ "try_recv", "recv with timeout", "select" })[round] .. " frees every received string")
    end
    ch:send("still buffered")
    ch:close()
    for _ in ch:iter() do end
    tap.is(gort.heap_stats().live_blocks, start, "iter frees them too")
end

-- A heap outlives the containers in it even when both become garbage together: the
-- containers hold a reference to it, so its finalizer finds it empty.
local function heap_and_contents_collected_together()
    local heap_stats_after
    local weak = setmetatable({}, { __mode = "v" })
    do
        local heap = gort.heap()
        weak[1] = heap
        local m = gort.map("int64", "int64", 0, heap)
        for i = 1, 1000 do m[i] = i end
        local watch = heap -- read the stats through the Lua object until it goes
        heap, m = nil, nil
        collectgarbage()
        heap_stats_after = watch:stats()
    end
    tap.is(heap_stats_after.live_blocks, 0, "the map in the heap was finalized while the heap lived on")
    collect() -- now the heap goes; its finalizer must find it empty (no crash, no leak)
    tap.ok(weak[1] == nil, "the heap itself is collected afterwards")
end

private_heap()
default_heap()
received_strings_are_dropped()
heap_and_contents_collected_together()
tap.done()
