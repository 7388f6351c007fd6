-- gort.Map: a gort_map (Go's map) that reads and writes like a Lua table.
--
--   m[k]          the value, or nil when k is absent        (gort_map_get)
--   m[k] = v      insert or overwrite                       (gort_map_set)
--   m[k] = nil    delete                                    (gort_map_delete)
--   #m            the number of entries                     (gort_map_len)
--
-- Every other operation is a function of this module, called as gort.Map.len(m), never
-- as m:len(): indexing a map always means a key, so a string-keyed map can hold the key
-- "len" (or "free", or any string) like a Lua table can. Keys and values are copied in;
-- what is read out is copied into Lua values at once, so nothing borrowed escapes.
local ffi = require "ffi"
local core = require "gort.core"
local types = require "gort.types"
local Heap = require "gort.heap"

local lib, raise, check, state_of = core.lib, core.raise, core.check, core.state
local ETYPE = core.status.ETYPE

local Map = {}
local class -- set below, once the metatable's functions exist

local found = ffi.new("int[1]")

-- A string index into a map whose keys are not strings is most likely m:method(); say how
-- methods are called instead of only that the key has the wrong type.
local function check_method_call(state, key, op)
    if type(key) == "string" and state.key.name ~= "str" and Map[key] ~= nil then
        raise(ETYPE, op, "map keys are " .. state.key.name .. "; to call " .. key
              .. ", write gort.Map." .. key .. "(m) (maps have no methods, see README)")
    end
end

local function encode_key(state, key, op)
    if key == nil then
        raise(core.status.EINVAL, op, "map key is nil")
    end
    check_method_call(state, key, op)
    local codec = state.key
    codec.encode(codec.kbuf, 0, key, op, "key")
    return codec.kbuf
end

-- m[k]: the value, or nil when k is absent.
function Map.get(m, key)
    local state = state_of(class, m, "Map.get")
    local kbuf = encode_key(state, key, "Map.get")
    local vc = state.value
    check(lib.gort_map_get(state.handle, kbuf, vc.vbuf, found), "Map.get")
    if found[0] == 0 then
        return nil
    end
    return vc.decode(vc.vbuf, 0)
end

-- m[k] = v. A nil value is refused here (m[k] = nil deletes).
function Map.set(m, key, value)
    local state = state_of(class, m, "Map.set")
    local kbuf = encode_key(state, key, "Map.set")
    local vc = state.value
    vc.encode(vc.vbuf, 0, value, "Map.set", "value")
    check(lib.gort_map_set(state.handle, kbuf, vc.vbuf), "Map.set")
end

-- delete(m, k); deleting an absent key does nothing.
function Map.delete(m, key)
    local state = state_of(class, m, "Map.delete")
    check(lib.gort_map_delete(state.handle, encode_key(state, key, "Map.delete")), "Map.delete")
end

function Map.len(m)
    return tonumber(lib.gort_map_len(state_of(class, m, "Map.len").handle))
end

-- clear(m): removes every entry (NaN keys too).
function Map.clear(m)
    check(lib.gort_map_clear(state_of(class, m, "Map.clear").handle), "Map.clear")
end

-- Returns memory after mass deletion (gort_map_shrink).
function Map.shrink(m)
    check(lib.gort_map_shrink(state_of(class, m, "Map.shrink").handle), "Map.shrink")
end

local function wrap(handle, key, value, heap)
    return core.wrap(class, { handle = handle, key = key, value = value, heap = heap },
                     lib.gort_map_release)
end

-- maps.Clone(m): an independent copy, in the same heap.
function Map.clone(m)
    local state = state_of(class, m, "Map.clone")
    local out = ffi.new("gort_map *[1]")
    check(lib.gort_map_clone(state.handle, out), "Map.clone")
    return wrap(out[0], state.key, state.value, state.heap)
end

-- make(map[key]value, hint) in heap (nil: the default heap). key and value are element
-- type names ("str", "int64", ...; see gort.types).
function Map.new(key, value, hint, heap)
    local kc, vc = types.get(key, "Map.new"), types.get(value, "Map.new")
    hint = core.size_arg(hint or 0, "Map.new", "hint")
    local out = ffi.new("gort_map *[1]")
    local heap_handle = Heap.handle_of(heap, "Map.new")
    check(lib.gort_map_create(kc.type, vc.type, hint, heap_handle, out), "Map.new")
    return wrap(out[0], kc, vc, heap)
end

-- Wraps a gort_map * made by C code: takes a reference of its own (gort_map_retain), so
-- the C side keeps and later releases its own. Only builtin element types can be mapped.
function Map.adopt(handle)
    if not ffi.istype("gort_map *", handle) or handle == nil then
        raise(ETYPE, "Map.adopt", "expected a non-NULL gort_map *, got " .. core.describe(handle))
    end
    local kc = types.of_descriptor(lib.gort_map_key_type(handle), "Map.adopt")
    local vc = types.of_descriptor(lib.gort_map_value_type(handle), "Map.adopt")
    return wrap(lib.gort_map_retain(handle), kc, vc, nil)
end

-- The raw gort_map *, borrowed: valid while m is alive and not freed. C code that keeps
-- it must take its own reference with gort_map_retain.
function Map.handle(m)
    return state_of(class, m, "Map.handle").handle
end

function Map.key_type(m)
    return state_of(class, m, "Map.key_type").key.name
end

function Map.value_type(m)
    return state_of(class, m, "Map.value_type").value.name
end

local stats_fields = { "entries", "tables", "directory_len", "global_depth", "capacity",
                       "growth_left", "tombstones", "avg_probe", "max_probe", "bytes" }

-- gort_map_stats as a table of numbers.
function Map.stats(m)
    return core.stats("gort_map_stats", lib.gort_map_stats_get,
                      state_of(class, m, "Map.stats").handle, stats_fields, "Map.stats")
end

---------------------------------------------------------------------------------------
-- Iteration
---------------------------------------------------------------------------------------

-- An iteration holds its own reference to the map, so whatever order the collector
-- finalizes an abandoned iteration and its map in, gort_map_iter_finish never runs on a
-- released map; finishing releases the retired tables an unfinished iterator pins.
ffi.cdef [[
struct gortlua_map_iteration { gort_map_iter it; gort_map *map; };
]]
local Iteration = ffi.typeof("struct gortlua_map_iteration")

local function finish(iteration)
    if iteration.map ~= nil then
        lib.gort_map_iter_finish(iteration.it)
        lib.gort_map_release(iteration.map)
        iteration.map = nil
    end
end

-- for k, v in gort.Map.pairs(m) do ... end, with Go's range semantics: a random order;
-- the loop may set and delete entries (an entry deleted before it is reached is not
-- produced, an entry added may or may not be). Entries are fetched one call at a time,
-- not in batches, because a batch could produce an entry the loop body has just deleted.
function Map.pairs(m)
    local state = state_of(class, m, "Map.pairs")
    local kc, vc = state.key, state.value
    local iteration = ffi.gc(Iteration(), finish)
    iteration.map = lib.gort_map_retain(state.handle)
    local rc = lib.gort_map_iter_init(iteration.map, iteration.it)
    if rc ~= 0 then
        finish(iteration)
        raise(rc, "Map.pairs")
    end
    local entry = ffi.new("void *[2]")
    local key_out, value_out = ffi.cast("const void **", entry), entry + 1
    return function()
        if iteration.map == nil then
            return nil -- over (a loop that calls the iterator again after the end)
        end
        if state.handle == nil then
            finish(iteration)
            raise(core.status.EINVAL, "Map.pairs", "gort.Map used after free")
        end
        local produced = lib.gort_map_iter_next(iteration.it, key_out, value_out)
        if produced == 1 then
            return kc.decode(ffi.cast(kc.ptr, entry[0]), 0), vc.decode(ffi.cast(vc.ptr, entry[1]), 0)
        end
        finish(iteration)
        if produced ~= 0 then
            raise(produced, "Map.pairs")
        end
        return nil
    end
end

-- A plain Lua table with the same entries (int64 keys past 2^53 stay cdata keys).
function Map.totable(m)
    local result = {}
    for k, v in Map.pairs(m) do
        result[k] = v
    end
    return result
end

-- Releases the map now; idempotent. Later use raises an error.
function Map.free(m)
    core.free(class, m, "Map.free")
end

function Map.is(value)
    return core.peek(class, value) ~= nil
end

local function describe_map(m)
    local state = core.peek(class, m)
    local kind = "gort.Map<" .. state.key.name .. "," .. state.value.name .. ">"
    if state.handle == nil then
        return kind .. " (freed)"
    end
    return kind .. " len " .. Map.len(m)
end

class = core.new_class("Map", {
    __index = Map.get,
    __newindex = function(m, key, value)
        if value == nil then
            Map.delete(m, key)
        else
            Map.set(m, key, value)
        end
    end,
    __len = Map.len,
    __tostring = describe_map,
})
Map.class = class

return Map
