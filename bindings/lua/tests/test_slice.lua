-- gort.Slice: 0-based indexing, every method, and Go's slice semantics (aliasing
-- included) through Lua.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local ffi = require "ffi"
local gort = require "gort"

local function values(s)
    return table.concat(s:totable(), ",")
end

local function make_and_zero_values()
    local zero = { int64 = 0, str = "", bool = false, float64 = 0, uint8 = 0 }
    for name, z in pairs(zero) do
        local s = gort.slice(name, 3, 5)
        tap.is(#s, 3, name .. ": make(len 3, cap 5) has len 3")
        tap.is(s:cap(), 5, name .. ": and cap 5")
        tap.is(s[2], z, name .. ": elements start as the zero value")
        tap.is(s:elem_type(), name, name .. ": elem_type")
    end
    local defaulted = gort.slice("int32", 4)
    tap.is(defaulted:cap(), 4, "cap defaults to len")
    tap.is(#gort.slice("int32"), 0, "len defaults to 0")
    tap.raises(gort.ERANGE, nil, "len > cap is GORT_ERANGE from the library",
               gort.slice, "int64", 5, 4)
    tap.raises(gort.ERANGE, "out of range", "a negative len is refused", gort.slice, "int64", -1)
end

local function nil_and_empty()
    local n = gort.nil_slice("int64")
    tap.ok(n:is_nil(), "nil_slice is nil")
    tap.is(#n, 0, "with len 0")
    tap.is(n:data(), nil, "and no data")
    local e = gort.slice("int64", 0, 0)
    tap.ok(not e:is_nil(), "make(0, 0) is empty but not nil")
    tap.ok(e:data() ~= nil, "and has a data pointer")
    n:append(1)
    tap.ok(not n:is_nil() and n[0] == 1, "appending to a nil slice allocates")
    tap.ok(gort.nil_slice("str"):clone():is_nil(), "a clone of nil is nil")
end

local function get_set_0_based()
    local s = gort.slice_of("int64", { 10, 20, 30 })
    tap.is(s[0], 10, "s[0] is the first element (0-based)")
    tap.is(s[2], 30, "s[len - 1] the last")
    s[1] = 21
    tap.is(s:get(1), 21, "s[i] = v and s:get(i)")
    s:set(0, 11)
    tap.is(s[0], 11, "s:set(i, v)")
    tap.raises(gort.ERANGE, nil, "s[len] is GORT_ERANGE", function() return s[3] end)
    tap.raises(gort.ERANGE, "negative", "s[-1] is refused before C", function() return s[-1] end)
    tap.raises(gort.ETYPE, "integer", "s[1.5] is refused", function() return s[1.5] end)
    tap.raises(gort.ERANGE, nil, "s[len] = v is GORT_ERANGE", function() s[3] = 1 end)
    tap.raises(gort.ETYPE, "integer", 's["x"] = v is refused', function() s.x = 1 end)
    tap.raises(gort.ETYPE, "must be an integer", "a string element into int64 is refused",
               function() s[0] = "5" end)
    tap.is(s.nosuchmethod, nil, "an unknown method name reads as nil")
end

local function append_forms()
    local s = gort.slice("str", 0, 0)
    tap.is(s:append("a"), s, "append returns the slice itself")
    s:append("b", "c")
    s:extend({ "d", "e" })
    tap.is(values(s), "a,b,c,d,e", "append one, several, and extend from a table")
    local before = #s
    tap.raises(gort.ETYPE, nil, "a wrong value among several raises", s.append, s, "f", 6, "g")
    tap.is(#s, before, "and appends none of them")
    local many = {}
    for i = 1, 10000 do
        many[i] = i
    end
    local big = gort.slice_of("int32", many)
    tap.is(#big, 10000, "slice_of a 10000-element table")
    tap.is(big[9999], 10000, "keeps the order")
end

-- Go: x = append(x[1:], x...) on "1234" gives "2341234".
local function append_slice_overlapping()
    local x = gort.slice_of("uint8", { 1, 2, 3, 4 })
    local tail = x:sub(1)
    tail:append_slice(x)
    tap.is(values(tail), "2,3,4,1,2,3,4", "append(x[1:], x...) as in Go")
    local self = gort.slice_of("int64", { 1, 2 })
    self:append_slice(self)
    tap.is(values(self), "1,2,1,2", "a slice appended to itself")
    tap.raises(gort.ETYPE, nil, "append_slice of another element type is GORT_ETYPE",
               self.append_slice, self, gort.slice_of("int32", { 1 }))
end

-- The aliasing pitfall: an append that fits in cap writes into the shared array.
local function aliasing()
    local a = gort.slice("int64", 0, 4)
    a:append(1, 2, 3)
    local b = a:sub(0, 2)
    tap.is(b:cap(), 4, "b := a[:2] keeps cap 4")
    b:append(99)
    tap.is(a[2], 99, "append within cap overwrote a[2], as in Go")
    b:append(100, 101, 102) -- past cap: b moves to a new array
    b[0] = -1
    tap.is(a[0], 1, "after growing past cap, b no longer shares a's array")
    tap.is(values(b), "-1,2,99,100,101,102", "b kept its elements through the growth")
end

local function sub_reslice_clip_grow()
    local s = gort.slice_of("int64", { 0, 1, 2, 3, 4, 5 })
    local t = s:sub(2, 4)
    tap.is(values(t), "2,3", "s:sub(2, 4) is s[2:4]")
    tap.is(t:cap(), 4, "with cap = cap(s) - 2")
    local u = s:sub(2, 4, 5)
    tap.is(u:cap(), 3, "s:sub(2, 4, 5) is s[2:4:5], cap 3")
    tap.is(values(s:sub(4)), "4,5", "s:sub(4) is s[4:]")
    tap.raises(gort.ERANGE, nil, "s:sub(3, 2) is GORT_ERANGE", s.sub, s, 3, 2)
    tap.raises(gort.ERANGE, nil, "hi past cap is GORT_ERANGE", s.sub, s, 0, 7)
    t:reslice(0, 4)
    tap.is(values(t), "2,3,4,5", "reslice extends t over the store up to its cap")
    tap.is(t:reslice(1, 2, 2), t, "reslice returns the slice")
    tap.is(values(t) .. " cap " .. t:cap(), "3 cap 1", "reslice(1, 2, 2) is t[1:2:2]")
    local c = gort.slice("int64", 2, 10):clip()
    tap.is(c:cap(), 2, "clip sets cap to len")
    c:grow(100)
    tap.ok(c:cap() - #c >= 100, "grow(100) leaves room for 100 more")
    tap.is(#c, 2, "without changing len")
end

local function copy_clone_clear()
    local dst = gort.slice("int64", 3)
    local src = gort.slice_of("int64", { 7, 8, 9, 10 })
    tap.is(dst:copy(src), 3, "copy returns min(len(dst), len(src))")
    tap.is(values(dst), "7,8,9", "and copies that many")
    local overlap = gort.slice_of("int64", { 1, 2, 3, 4 })
    overlap:sub(1):copy(overlap)
    tap.is(values(overlap), "1,1,2,3", "copy with overlap moves like memmove")
    local clone = src:clone()
    clone[0] = 0
    tap.is(src[0], 7, "a clone has its own store")
    src:clear()
    tap.is(values(src), "0,0,0,0", "clear zeroes the elements")
    tap.is(src:cap(), 4, "and keeps cap")
    tap.raises(gort.ETYPE, nil, "copy between element types is GORT_ETYPE",
               dst.copy, dst, gort.slice("uint64", 1))
end

-- A small view pins the whole store; its clone does not (the seeds' story).
local function backing_bytes()
    local big = gort.slice("int64", 100000)
    local view = big:sub(0, 10)
    tap.ok(view:backing_bytes() >= 800000, "a 10-element view pins the 800 KB store")
    tap.ok(view:clone():backing_bytes() < 1000, "its clone pins only its own elements")
    tap.is(gort.nil_slice("int64"):backing_bytes(), 0, "nil pins nothing")
end

local function iteration_and_data()
    local s = gort.slice_of("float64", { 0.5, 1.5, 2.5 })
    local seen = {}
    for i, v in s:ipairs() do
        seen[#seen + 1] = i .. "=" .. v
    end
    tap.is(table.concat(seen, " "), "0=0.5 1=1.5 2=2.5", "ipairs yields 0-based indices")
    local via_generic = 0
    for _ in gort.pairs(s) do
        via_generic = via_generic + 1
    end
    tap.is(via_generic, 3, "gort.pairs(s) iterates a slice")
    local data = s:data()
    tap.ok(ffi.istype("double *", data), "data() is a typed pointer")
    tap.is(data[2], 2.5, "reading through it")
    local strs = gort.slice_of("str", { "abc" })
    tap.ok(ffi.istype("const gort_str *", strs:data()), "a str slice's data() is const gort_str *")
    tap.is(tonumber(strs:data()[0].len), 3, "pointing at the stored string")
    tap.is(tostring(s), "gort.Slice<float64> len 3 cap 3", "tostring")
end

local function handles_survive_each_other()
    local s = gort.slice_of("str", { "x", "y", "z" })
    local view = s:sub(1)
    s:free()
    tap.is(values(view), "y,z", "a view keeps the shared store after the parent is freed")
    tap.ok(ffi.istype("gort_slice *", view:handle()), "handle() is the raw gort_slice *")
    view:free()
    view:free()
    tap.raises(gort.EINVAL, "used after free", "a freed slice raises", function() return view[0] end)
    tap.raises(gort.EINVAL, "used after free", "#s on a freed slice raises", function() return #view end)
    tap.is(tostring(view), "gort.Slice<str> (freed)", "tostring of a freed slice")
end

make_and_zero_values()
nil_and_empty()
get_set_0_based()
append_forms()
append_slice_overlapping()
aliasing()
sub_reslice_clip_grow()
copy_clone_clear()
backing_bytes()
iteration_and_data()
handles_survive_each_other()
tap.done()
