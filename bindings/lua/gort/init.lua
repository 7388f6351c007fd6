-- gort: libgort for LuaJIT. Go's maps, slices and channels (with select), shared with C
-- threads through LuaJIT's FFI. See bindings/lua/README.md.
--
--   local gort = require "gort"
--   local counts = gort.map("str", "int64")
--   counts.go = (counts.go or 0) + 1
--   local ch = gort.chan("int64", 16)
--   ch:send(42); print(ch:recv())        --> 42  true
local core = require "gort.core"
local types = require "gort.types"
local Heap = require "gort.heap"
local Map = require "gort.map"
local Slice = require "gort.slice"
local Chan = require "gort.chan"

local ffi = require "ffi"
local lib = core.lib

local gort = {
    Map = Map,
    Slice = Slice,
    Chan = Chan,
    Heap = Heap,
    Error = core.Error,

    map = Map.new,
    slice = Slice.new,
    nil_slice = Slice.new_nil,
    slice_of = Slice.of,
    chan = Chan.new,
    heap = Heap.new,
    select = Chan.select,
    heap_stats = Heap.default_stats,
    is_error = core.is_error,

    -- The element type names gort.map/slice/chan accept.
    types = types.names,
    -- The raw FFI namespace of libgort, for C interop (every gort_* function).
    lib = lib,
}

-- Status codes: gort.OK, gort.ENOMEM, ..., gort.ETYPE (the values of err.code).
for name, code in pairs(core.status) do
    gort[name] = code
end

-- for k, v in gort.pairs(x): a Map's entries, a Slice's (0-based) elements, or a table's.
function gort.pairs(x)
    if Map.is(x) then
        return Map.pairs(x)
    elseif Slice.is(x) then
        return Slice.ipairs(x)
    end
    return pairs(x)
end

-- Frees a Map, Slice, Chan or Heap now, whichever it is.
function gort.free(x)
    for _, module in ipairs { Map, Slice, Chan } do
        if module.is(x) then
            return module.free(x)
        end
    end
    if core.peek(Heap.class, x) then
        return Heap.free(x)
    end
    core.raise(core.status.ETYPE, "free", "expected a gort object, got " .. core.describe(x))
end

-- Wraps a raw gort_map * or gort_chan * from C code (see Map.adopt, Chan.adopt).
function gort.adopt(handle, elem)
    if ffi.istype("gort_map *", handle) then
        return Map.adopt(handle)
    elseif ffi.istype("gort_chan *", handle) then
        return Chan.adopt(handle, elem)
    end
    core.raise(core.status.ETYPE, "adopt", "expected a gort_map * or gort_chan *, got "
               .. core.describe(handle))
end

function gort.strerror(code)
    return ffi.string(lib.gort_strerror(code))
end

-- The library version as a number ((major << 16) | (minor << 8) | patch) and a string.
function gort.version()
    return tonumber(lib.gort_version()), ffi.string(lib.gort_version_string())
end

-- "jemalloc-bundled", "jemalloc-system" or "libc".
function gort.allocator()
    return ffi.string(lib.gort_heap_allocator())
end

return gort
