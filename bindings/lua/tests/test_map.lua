-- gort.Map: table-like access, every Map function, Go's map semantics through Lua.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local ffi = require "ffi"
local gort = require "gort"
local Map = gort.Map

-- Values of every element type that must survive a round trip unchanged, including each
-- type's extremes.
local samples = {
    bool = { true, false },
    int8 = { -128, 127, 0 },
    int16 = { -32768, 32767 },
    int32 = { -2 ^ 31, 2 ^ 31 - 1 },
    int64 = { -2 ^ 63, 2 ^ 53, -2 ^ 53, 0x7fffffffffffffffLL, -0x7fffffffffffffffLL },
    uint8 = { 0, 255 },
    uint16 = { 65535 },
    uint32 = { 2 ^ 32 - 1 },
    uint64 = { 0, 2 ^ 53, 0xffffffffffffffffULL, 2 ^ 63 },
    float32 = { 0.5, -1.25, 1 / 0 },
    float64 = { 0.1, 1e300, -1 / 0 },
    str = { "", "a", "with\0nul", string.rep("long ", 300) },
}

local function roundtrip_values()
    for name, values in pairs(samples) do
        local m = gort.map("int64", name)
        for i, v in ipairs(values) do
            m[i] = v
        end
        for i, v in ipairs(values) do
            tap.is(m[i], v, name .. " value " .. tostring(v) .. " round-trips")
        end
        tap.is(#m, #values, name .. ": #m counts the entries")
    end
end

local function roundtrip_keys()
    for name, keys in pairs(samples) do
        local m = gort.map(name, "int32")
        for i, k in ipairs(keys) do
            m[k] = i
        end
        for i, k in ipairs(keys) do
            tap.is(m[k], i, name .. " key " .. tostring(k) .. " finds its value")
        end
    end
end

-- Values past 2^53 come back as 64-bit cdata so nothing is rounded; below, as numbers.
local function exact_64bit()
    local m = gort.map("int64", "uint64")
    m[1] = 2 ^ 53
    m[2] = 0xfffffffffffffff1ULL
    tap.is(type(m[1]), "number", "a uint64 value <= 2^53 reads as a Lua number")
    tap.ok(ffi.istype("uint64_t", m[2]), "a uint64 value > 2^53 reads as uint64_t cdata")
    tap.is(m[2], 0xfffffffffffffff1ULL, "and keeps every bit")
    local k = 0x7ffffffffffffff0LL
    m[k] = 5
    tap.is(m[k], 5, "an int64 cdata key past 2^53 finds its entry")
    tap.is(m[k + 1], nil, "its neighbour, which a double could not tell apart, is absent")
end

local function float32_rounding()
    local m = gort.map("int64", "float32")
    m[1] = 0.1
    tap.is(m[1], tonumber(ffi.new("float", 0.1)), "a float32 value is rounded to float32")
    tap.isnt(m[1], 0.1, "so it is no longer the double 0.1")
end

local function table_like()
    local m = gort.map("str", "int64")
    tap.is(m.missing, nil, "an absent key reads as nil")
    m.a = 1
    m.a = m.a + 41
    tap.is(m.a, 42, "m[k] = v overwrites")
    m.b = 7
    tap.is(#m, 2, "#m is the number of entries")
    m.a = nil
    tap.is(m.a, nil, "m[k] = nil deletes")
    tap.is(#m, 1, "and #m drops")
    m.absent = nil
    tap.is(#m, 1, "deleting an absent key does nothing")
    -- Indexing always means a key: names of Map functions are ordinary keys here.
    for _, name in ipairs { "len", "free", "pairs", "get", "set", "handle", "clear" } do
        m[name] = #name
    end
    tap.is(m.len, 3, 'the key "len" is a key like any other')
    tap.is(m.free, 4, 'so is "free"')
    tap.is(Map.len(m), 8, "gort.Map.len(m) counts them")
    tap.is(tostring(m), "gort.Map<str,int64> len 8", "tostring names the types and length")
end

local function explicit_functions()
    local m = Map.new("int64", "str", 100)
    Map.set(m, 1, "one")
    tap.is(Map.get(m, 1), "one", "Map.set then Map.get")
    Map.delete(m, 1)
    tap.is(Map.get(m, 1), nil, "Map.delete removes the entry")
    tap.is(Map.key_type(m), "int64", "Map.key_type")
    tap.is(Map.value_type(m), "str", "Map.value_type")
    tap.ok(Map.is(m) and not Map.is({}) and not Map.is(gort.slice("int64")), "Map.is")
    tap.is(Map.key_type(gort.map("string", "double")), "str", 'the alias "string" is str')
    tap.is(Map.value_type(gort.map("float", "double")), "float64", 'the alias "double" is float64')
end

local function iteration()
    local m = gort.map("int64", "int64")
    local want = {}
    for i = 1, 1000 do
        m[i] = i * i
        want[i] = i * i
    end
    local seen = {}
    local duplicates = 0
    for k, v in Map.pairs(m) do
        if seen[k] then
            duplicates = duplicates + 1
        end
        seen[k] = v
    end
    tap.same(seen, want, "Map.pairs produces every entry with its value")
    tap.is(duplicates, 0, "each exactly once")
    tap.same(Map.totable(m), want, "Map.totable copies the entries into a Lua table")
    local via_generic = 0
    for _ in gort.pairs(m) do
        via_generic = via_generic + 1
    end
    tap.is(via_generic, 1000, "gort.pairs(m) iterates a map")
    local plain = 0
    for _ in gort.pairs({ 1, 2, x = 3 }) do
        plain = plain + 1
    end
    tap.is(plain, 3, "gort.pairs(t) iterates a plain table")
end

-- Go's range semantics: deleting during the loop is allowed, and an entry deleted
-- before it is reached is never produced.
local function iteration_with_deletes()
    local m = gort.map("int64", "int64")
    for i = 1, 500 do
        m[i] = i
    end
    local produced, deleted_then_produced = 0, 0
    local deleted = {}
    for k in Map.pairs(m) do
        produced = produced + 1
        if deleted[k] then
            deleted_then_produced = deleted_then_produced + 1
        end
        m[k] = nil
        local other = (k * 7) % 500 + 1 -- delete a second entry, maybe not yet reached
        deleted[other] = true
        m[other] = nil
    end
    tap.is(#m, 0, "every entry was deleted inside the loop")
    tap.is(deleted_then_produced, 0, "no entry deleted before it was reached was produced")
    tap.ok(produced < 500, "entries deleted ahead were skipped (" .. produced .. " produced)")
end

local function iteration_with_inserts()
    local m = gort.map("int64", "int64")
    for i = 1, 100 do
        m[i] = i
    end
    local originals = 0
    for k in Map.pairs(m) do
        if k <= 100 then
            originals = originals + 1
        end
        m[k + 1000] = 0 -- grows the map mid-iteration
    end
    tap.is(originals, 100, "inserting during the loop still produces every original once")
    tap.ok(#m >= 200, "and the inserts landed")
end

local function iteration_edges()
    local m = gort.map("str", "bool")
    m.x, m.y = true, false
    local it = Map.pairs(m)
    it() -- abandoned after one entry: the collector finishes it
    it = nil
    collectgarbage()
    collectgarbage()
    tap.is(#m, 2, "an abandoned iteration is finished by the collector; the map is intact")
    local ended = Map.pairs(m)
    ended()
    ended()
    tap.is(ended(), nil, "an iteration returns nil at the end")
    tap.is(ended(), nil, "and keeps returning nil after it")
    local values = {}
    for k, v in Map.pairs(m) do
        values[k] = v
    end
    tap.same(values, { x = true, y = false }, "false values are produced (the loop stops only at nil keys)")
    local early = Map.pairs(m)
    Map.free(m)
    tap.raises(gort.EINVAL, "used after free", "an iteration of a freed map raises", early)
end

-- Go's float keys: +0 == -0, NaN != NaN (each NaN insert is a new entry; only clear
-- removes them).
local function float_keys()
    local m = gort.map("float64", "int64")
    m[0.0] = 1
    m[-0.0] = 2
    tap.is(#m, 1, "+0 and -0 are one key")
    tap.is(m[0.0], 2, "the later write wins")
    local nan = 0 / 0
    m[nan] = 3
    m[nan] = 4
    tap.is(#m, 3, "each NaN insert adds an entry")
    tap.is(m[nan], nil, "a NaN key is never found")
    m[nan] = nil
    tap.is(#m, 3, "nor deleted")
    local nans = 0
    for k in Map.pairs(m) do
        if k ~= k then
            nans = nans + 1
        end
    end
    tap.is(nans, 2, "iteration produces the NaN entries")
    Map.clear(m)
    tap.is(#m, 0, "clear removes NaN entries too")
end

local function clear_clone_shrink_stats()
    local m = gort.map("int64", "str")
    for i = 1, 5000 do
        m[i] = tostring(i)
    end
    local copy = Map.clone(m)
    copy[1] = "changed"
    copy[6000] = "new"
    tap.is(m[1], "1", "a clone is independent: writing it leaves the original")
    tap.is(m[6000], nil, "and inserting into it too")
    tap.is(#copy, 5001, "the clone has its own entries")
    local stats = Map.stats(m)
    tap.is(stats.entries, 5000, "Map.stats: entries")
    tap.ok(stats.tables >= 1 and stats.capacity >= 5000 and stats.bytes > 0,
           "Map.stats: tables, capacity and bytes are filled in")
    tap.ok(stats.avg_probe >= 1 and stats.max_probe >= 1, "Map.stats: probe lengths")
    for i = 11, 5000 do
        m[i] = nil
    end
    local before = Map.stats(m).bytes
    Map.shrink(m)
    local after = Map.stats(m)
    tap.ok(after.bytes < before / 10, "Map.shrink returns memory (" .. before .. " -> " .. after.bytes .. " bytes)")
    tap.is(m[10], "10", "and keeps the entries")
    Map.clear(m)
    tap.is(#m, 0, "Map.clear empties the map")
    tap.is(m[10], nil, "and the entries are gone")
    tap.is(#copy, 5001, "while the clone keeps its own")
end

local function handles_and_adoption()
    local m = gort.map("str", "int64")
    m.shared = 1
    local raw = Map.handle(m)
    tap.ok(ffi.istype("gort_map *", raw), "Map.handle is the raw gort_map *")
    local other = gort.adopt(raw)
    tap.is(other.shared, 1, "gort.adopt wraps the same C map")
    other.added = 2
    tap.is(m.added, 2, "writes through one object are seen through the other")
    Map.free(m)
    tap.is(other.added, 2, "the adopted object holds its own reference")
    tap.raises(gort.ETYPE, "expected a non-NULL gort_map", "Map.adopt refuses other values",
               Map.adopt, "not a handle")
end

local function free_is_idempotent()
    local m = gort.map("int64", "int64")
    Map.free(m)
    Map.free(m)
    gort.free(m)
    tap.is(tostring(m), "gort.Map<int64,int64> (freed)", "freeing twice is harmless")
end

roundtrip_values()
roundtrip_keys()
exact_64bit()
float32_rounding()
table_like()
explicit_functions()
iteration()
iteration_with_deletes()
iteration_with_inserts()
iteration_edges()
float_keys()
clear_clone_shrink_stats()
handles_and_adoption()
free_is_idempotent()
tap.done()
