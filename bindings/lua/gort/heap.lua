-- gort.Heap: a private arena (gort_heap_create) whose statistics prove that objects were
-- freed, and which can be destroyed at once.
--
-- Containers made in a heap keep a reference to its Lua object, so the collector cannot
-- finalize a heap before the containers in it. An explicit free of a heap that still
-- holds objects raises GORT_EBUSY and leaves it usable; the finalizer, which cannot
-- raise, leaves such a heap alone (its memory stays mapped). GORT_HEAP_FORCE is not
-- offered: it would leave live Lua objects pointing into freed memory.
local ffi = require "ffi"
local core = require "gort.core"

local lib, check = core.lib, core.check

local Heap = {}   -- the module: constructors and helpers
local methods = {} -- what heap:method() finds

local class = core.new_class("Heap", {
    __index = methods,
    __tostring = function(heap)
        local state = core.peek(Heap.class, heap)
        return state.handle == nil and "gort.Heap (freed)" or "gort.Heap"
    end,
})
Heap.class = class

local function destroy_quietly(handle)
    lib.gort_heap_destroy(handle, 0)
end

-- A new heap (one jemalloc arena).
function Heap.new()
    local out = ffi.new("gort_heap *[1]")
    check(lib.gort_heap_create(out), "Heap.new")
    return core.wrap(class, { handle = out[0] }, destroy_quietly)
end

local stats_fields = { "allocated", "active", "resident", "mapped", "live_blocks",
                       "live_objects" }

local function stats_of(handle, op)
    return core.stats("gort_heap_stats", lib.gort_heap_stats_get, handle, stats_fields, op)
end

-- {allocated, active, resident, mapped, live_blocks, live_objects} as numbers.
function methods.stats(heap)
    return stats_of(core.state(class, heap, "Heap.stats").handle, "Heap.stats")
end

-- The statistics of the default heap (the one used when no heap is given).
function Heap.default_stats()
    return stats_of(nil, "heap_stats")
end

-- Destroys the heap now. Raises GORT_EBUSY (and keeps the heap) while anything is still
-- allocated in it; idempotent once it succeeded.
function methods.free(heap)
    local state = core.peek(class, heap)
    if state == nil then
        core.state(class, heap, "Heap.free") -- raises the "expected a gort.Heap" error
    end
    if state.handle == nil then
        return
    end
    check(lib.gort_heap_destroy(state.handle, 0), "Heap.free")
    state.handle = nil
    ffi.gc(heap, nil)
end

-- The raw gort_heap * for a heap argument of a constructor: nil (the default heap) for nil.
function Heap.handle_of(heap, op)
    if heap == nil then
        return nil
    end
    return core.state(class, heap, op).handle
end

-- Every method is also a function of the module: gort.Heap.stats(heap).
for name, method in pairs(methods) do
    Heap[name] = method
end

return Heap
