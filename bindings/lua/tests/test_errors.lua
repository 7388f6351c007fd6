-- Error mapping and bad input: every problem is a Lua error (a gort.Error), never a crash
-- of the interpreter. Wrong types, out-of-range integers, nil keys, objects of the wrong
-- class and use after free are caught in Lua before anything reaches C.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local gort = require "gort"

local function error_objects()
    local ch = gort.chan("int64", 1)
    ch:close()
    local ok, err = pcall(ch.send, ch, 1)
    tap.ok(not ok and gort.is_error(err), "a failure raises a gort.Error")
    tap.is(err.code, gort.ECLOSED, ".code is the status")
    tap.is(err.name, "GORT_ECLOSED", ".name is its name")
    tap.is(err.op, "Chan.send", ".op names the operation")
    tap.is(err.message, "gort: Chan.send: GORT_ECLOSED: channel closed", ".message says all three")
    tap.is(tostring(err), err.message, "tostring(err) is the message")
    tap.ok(not gort.is_error("a string"), "is_error of anything else is false")
end

local function status_codes()
    local want = { OK = 0, ENOMEM = -1, EINVAL = -2, ERANGE = -3, ECLOSED = -4, EAGAIN = -5,
                   ETIMEDOUT = -6, EOVERFLOW = -7, EBUSY = -8, ETYPE = -9 }
    for name, code in pairs(want) do
        tap.is(gort[name], code, "gort." .. name .. " is " .. code)
        if code ~= 0 then
            tap.is(gort.strerror(code):match("^[%w_]+"), "GORT_" .. name, "strerror names " .. name)
        end
    end
    tap.is(gort.strerror(-100), "unknown libgort status", "strerror of an unknown code")
end

-- Each integer type takes its extremes and refuses one past them (ERANGE), fractions
-- and NaN (ETYPE).
local limits = {
    int8 = { -128, 127 }, int16 = { -32768, 32767 }, int32 = { -2 ^ 31, 2 ^ 31 - 1 },
    uint8 = { 0, 255 }, uint16 = { 0, 65535 }, uint32 = { 0, 2 ^ 32 - 1 },
}

local function integer_ranges()
    for name, range in pairs(limits) do
        local s = gort.slice(name, 1)
        s[0] = range[1]
        tap.is(s[0], range[1], name .. " takes its minimum")
        s[0] = range[2]
        tap.is(s[0], range[2], name .. " takes its maximum")
        tap.raises(gort.ERANGE, "does not fit in " .. name, name .. " refuses min - 1",
                   s.set, s, 0, range[1] - 1)
        tap.raises(gort.ERANGE, nil, name .. " refuses max + 1", s.set, s, 0, range[2] + 1)
        tap.raises(gort.ETYPE, "an integer", name .. " refuses 0.5", s.set, s, 0, 0.5)
        tap.raises(gort.ETYPE, nil, name .. " refuses NaN", s.set, s, 0, 0 / 0)
        tap.is(s[0], range[2], name .. ": refused writes left the element unchanged")
    end
    local i64 = gort.slice("int64", 1)
    tap.raises(gort.ERANGE, nil, "int64 refuses 2^63", i64.set, i64, 0, 2 ^ 63)
    tap.raises(gort.ERANGE, nil, "int64 refuses 2^64 - 1 as uint64_t cdata", i64.set, i64, 0,
               0xffffffffffffffffULL)
    i64[0] = 0x7fffffffffffffffULL
    tap.is(i64[0], 0x7fffffffffffffffLL, "int64 takes 2^63 - 1 given as uint64_t cdata")
    local u64 = gort.slice("uint64", 1)
    tap.raises(gort.ERANGE, nil, "uint64 refuses -1", u64.set, u64, 0, -1)
    tap.raises(gort.ERANGE, nil, "uint64 refuses -1LL", u64.set, u64, 0, -1LL)
    tap.raises(gort.ERANGE, nil, "uint64 refuses 2^64", u64.set, u64, 0, 2 ^ 64)
    tap.raises(gort.ERANGE, nil, "int8 refuses 128LL", gort.slice("int8", 1).set,
               gort.slice("int8", 1), 0, 128LL)
    tap.raises(gort.ETYPE, nil, "integers refuse other cdata", i64.set, i64, 0,
               require("ffi").new("int[1]"))
end

-- A value of the wrong Lua type, for each element type: a string where a number is
-- wanted, a number where a string is, nil, a table.
local wrong = {
    int64 = { "1", true, {} }, uint8 = { "1" }, float64 = { "1.5", false },
    float32 = { {} }, bool = { 1, "true", 0 }, str = { 1, true, {} },
}

local function wrong_types()
    for name, bad_values in pairs(wrong) do
        local m = gort.map("int64", name)
        local ch = gort.chan(name, 1)
        for _, bad in ipairs(bad_values) do
            local what = name .. " refuses " .. type(bad)
            tap.raises(gort.ETYPE, "value must be", what .. " as a map value", function() m[1] = bad end)
            tap.raises(gort.ETYPE, nil, what .. " as a channel value", ch.send, ch, bad)
        end
        tap.is(#m, 0, name .. ": nothing was stored")
        tap.is(#ch, 0, name .. ": nothing was sent")
    end
    local strs = gort.map("str", "int64")
    tap.raises(gort.ETYPE, "key must be a string", "a number key into a str map", function() strs[1] = 1 end)
    tap.raises(gort.ETYPE, "key must be an integer", "a string key into an int64 map",
               function() local m = gort.map("int64", "int64"); m.x = 1 end)
    tap.raises(gort.ETYPE, "value must be an integer", "a string value into an int64 map",
               function() strs.a = "1" end)
end

local function nil_keys()
    local m = gort.map("str", "int64")
    tap.raises(gort.EINVAL, "key is nil", "reading m[nil] raises", function() return m[nil] end)
    tap.raises(gort.EINVAL, "key is nil", "writing m[nil] raises", function() m[nil] = 1 end)
    tap.raises(gort.EINVAL, "key is nil", "deleting m[nil] raises", gort.Map.delete, m, nil)
    tap.raises(gort.ETYPE, nil, "Map.set with a nil value raises", gort.Map.set, m, "k", nil)
end

local function wrong_objects()
    local m, s, ch = gort.map("int64", "int64"), gort.slice("int64"), gort.chan("int64")
    tap.raises(gort.ETYPE, "expected a gort.Map", "a Map function given a slice", gort.Map.len, s)
    tap.raises(gort.ETYPE, "expected a gort.Slice", "a Slice method given a map", gort.Slice.len, m)
    tap.raises(gort.ETYPE, "expected a gort.Chan", "a Chan method given a table", ch.recv, {})
    tap.raises(gort.ETYPE, "expected a gort.Slice", "append_slice of a non-slice", s.append_slice, s, ch)
    tap.raises(gort.ETYPE, "expected a gort.Heap", "a constructor given a bogus heap",
               gort.map, "int64", "int64", 0, {})
    tap.raises(gort.ETYPE, "expected a gort object", "gort.free of a table", gort.free, {})
    tap.raises(gort.ETYPE, "gort.Map.len(m)", "m:len() on an int-keyed map explains how to call it",
               function() return m:len() end)
end

-- After an explicit free, every use raises; none touches freed memory.
local function use_after_free()
    local m = gort.map("str", "str")
    gort.free(m)
    local map_uses = {
        get = function() return m.k end, set = function() m.k = "v" end,
        delete = function() m.k = nil end, len = function() return #m end,
    }
    for _, name in ipairs { "clear", "clone", "shrink", "stats", "pairs", "totable",
                            "key_type", "value_type", "handle" } do
        map_uses[name] = function() return gort.Map[name](m) end
    end
    for name, use in pairs(map_uses) do
        tap.raises(gort.EINVAL, "gort.Map used after free", "Map " .. name .. " after free", use)
    end

    local s = gort.slice_of("int64", { 1 })
    local other = gort.slice("int64", 1)
    s:free()
    local slice_calls = {
        get = { 0 }, set = { 0, 1 }, len = {}, cap = {}, is_nil = {}, append = { 1 },
        extend = { { 1 } }, append_slice = { other }, sub = { 0, 0 }, reslice = {},
        copy = { other }, clone = {}, grow = { 1 }, clip = {}, clear = {}, backing_bytes = {},
        elem_type = {}, ipairs = {}, totable = {}, data = {}, handle = {},
    }
    for name, args in pairs(slice_calls) do
        tap.raises(gort.EINVAL, "gort.Slice used after free", "Slice " .. name .. " after free",
                   s[name], s, unpack(args))
    end

    local ch = gort.chan("int64", 1)
    ch:free()
    local chan_calls = {
        send = { 1 }, try_send = { 1 }, recv = {}, try_recv = {}, close = {}, len = {},
        cap = {}, is_closed = {}, elem_type = {}, iter = {}, fd = { "recv" }, handle = {},
    }
    for name, args in pairs(chan_calls) do
        tap.raises(gort.EINVAL, "gort.Chan used after free", "Chan " .. name .. " after free",
                   ch[name], ch, unpack(args))
    end

    local heap = gort.heap()
    heap:free()
    heap:free()
    tap.raises(gort.EINVAL, "gort.Heap used after free", "Heap stats after free", heap.stats, heap)
    tap.raises(gort.EINVAL, "gort.Heap used after free", "creating in a freed heap",
               gort.chan, "int64", 1, heap)
end

-- Errors raised inside a protected call leave the object usable.
local function objects_survive_errors()
    local m = gort.map("int64", "str")
    m[1] = "kept"
    pcall(function() m[2] = 2 end)
    pcall(function() return m["x"] end)
    tap.is(m[1], "kept", "a map is intact after refused operations")
    tap.is(#m, 1, "and holds only what was accepted")
end

error_objects()
status_codes()
integer_ranges()
wrong_types()
nil_keys()
wrong_objects()
use_after_free()
objects_survive_errors()
tap.done()
