-- gort.Slice: a gort_slice handle (Go's slice header plus a shared backing store).
--
-- Indices are 0-based, as in Go, in the C API and in LuaJIT's own FFI arrays: s[0] is the
-- first element and s:sub(lo, hi) is Go's s[lo:hi] (hi excluded). #s is len(s).
-- Methods are called with a colon (s:append(v)); integer indices are elements. Go's
-- `s = append(s, v)` mutates the handle here (the C API's shape), and returns it.
local ffi = require "ffi"
local core = require "gort.core"
local types = require "gort.types"
local Heap = require "gort.heap"

local lib, raise, check, state_of = core.lib, core.raise, core.check, core.state
local ETYPE, ERANGE = core.status.ETYPE, core.status.ERANGE
local floor = math.floor

local Slice = {}   -- the module: constructors and helpers
local methods = {} -- what s:method() finds
local class        -- set below

local function index_arg(i, op)
    if type(i) ~= "number" or floor(i) ~= i then
        raise(ETYPE, op, "slice index must be an integer, got " .. core.describe(i))
    end
    if i < 0 then
        raise(ERANGE, op, "slice index " .. i .. " is negative (indices are 0-based)")
    end
    return i
end

local function wrap(handle, elem, heap)
    return core.wrap(class, { handle = handle, elem = elem, heap = heap }, lib.gort_slice_free)
end

local function new_handle(op, create)
    local out = ffi.new("gort_slice *[1]")
    check(create(out), op)
    return out[0]
end

-- make([]elem, len, cap) in heap (nil: the default heap). len defaults to 0, cap to len.
function Slice.new(elem, len, cap, heap)
    local codec = types.get(elem, "Slice.new")
    len = core.size_arg(len or 0, "Slice.new", "len")
    cap = core.size_arg(cap or len, "Slice.new", "cap")
    local heap_handle = Heap.handle_of(heap, "Slice.new")
    local handle = new_handle("Slice.new", function(out)
        return lib.gort_slice_make(codec.type, len, cap, heap_handle, out)
    end)
    return wrap(handle, codec, heap)
end

-- A nil slice (Go's `var s []elem`): len 0, cap 0, is_nil() true.
function Slice.new_nil(elem, heap)
    local codec = types.get(elem, "Slice.new_nil")
    local heap_handle = Heap.handle_of(heap, "Slice.new_nil")
    local handle = new_handle("Slice.new_nil", function(out)
        return lib.gort_slice_nil(codec.type, heap_handle, out)
    end)
    return wrap(handle, codec, heap)
end

-- A slice holding the values of the Lua array t (t[1] becomes s[0]).
function Slice.of(elem, t, heap)
    if type(t) ~= "table" then
        raise(ETYPE, "Slice.of", "expected a table of values, got " .. core.describe(t))
    end
    return Slice.new(elem, 0, #t, heap):extend(t)
end

function methods.get(s, i)
    local state = state_of(class, s, "Slice.get")
    local codec = state.elem
    check(lib.gort_slice_get(state.handle, index_arg(i, "Slice.get"), codec.vbuf), "Slice.get")
    return codec.decode(codec.vbuf, 0)
end

function methods.set(s, i, value)
    local state = state_of(class, s, "Slice.set")
    local codec = state.elem
    i = index_arg(i, "Slice.set")
    codec.encode(codec.vbuf, 0, value, "Slice.set", "element")
    check(lib.gort_slice_set(state.handle, i, codec.vbuf), "Slice.set")
end

function methods.len(s)
    return tonumber(lib.gort_slice_len(state_of(class, s, "Slice.len").handle))
end

function methods.cap(s)
    return tonumber(lib.gort_slice_cap(state_of(class, s, "Slice.cap").handle))
end

function methods.is_nil(s)
    return lib.gort_slice_is_nil(state_of(class, s, "Slice.is_nil").handle) ~= 0
end

-- Appends n values from Lua (the array t, or the varargs) with one gort_slice_append_n.
local function append_values(s, op, n, value_at)
    local state = state_of(class, s, op)
    local codec = state.elem
    if n == 0 then
        return s
    end
    local values = codec.array(n)
    for k = 1, n do
        codec.encode(values, k - 1, value_at(k), op, "element")
    end
    check(lib.gort_slice_append_n(state.handle, values, n), op)
    return s
end

-- s = append(s, v): the common case, without a table or closure per call.
local function append_one(s, value)
    local state = state_of(class, s, "Slice.append")
    local codec = state.elem
    codec.encode(codec.vbuf, 0, value, "Slice.append", "element")
    check(lib.gort_slice_append(state.handle, codec.vbuf), "Slice.append")
    return s
end

-- s = append(s, v1, v2, ...); returns s. Either all values are appended or none (a value
-- of the wrong type raises before anything is appended).
function methods.append(s, ...)
    local n = select("#", ...)
    if n == 1 then
        return append_one(s, ...)
    end
    local args = { ... }
    return append_values(s, "Slice.append", n, function(k) return args[k] end)
end

-- s = append(s, t[1], ..., t[#t]); returns s.
function methods.extend(s, t)
    if type(t) ~= "table" then
        raise(ETYPE, "Slice.extend", "expected a table of values, got " .. core.describe(t))
    end
    return append_values(s, "Slice.extend", #t, function(k) return t[k] end)
end

-- s = append(s, other...); other may be s itself or share its store. Returns s.
function methods.append_slice(s, other)
    local handle = state_of(class, s, "Slice.append_slice").handle
    local other_handle = state_of(class, other, "Slice.append_slice").handle
    check(lib.gort_slice_append_slice(handle, other_handle), "Slice.append_slice")
    return s
end

-- s[lo:hi] (or s[lo:hi:max] when max is given): a new handle sharing s's store. lo
-- defaults to 0 and hi to len(s), as in Go.
function methods.sub(s, lo, hi, max)
    local state = state_of(class, s, "Slice.sub")
    lo = core.size_arg(lo or 0, "Slice.sub", "lo")
    hi = core.size_arg(hi or methods.len(s), "Slice.sub", "hi")
    local handle = new_handle("Slice.sub", function(out)
        if max == nil then
            return lib.gort_slice_sub(state.handle, lo, hi, out)
        end
        return lib.gort_slice_sub3(state.handle, lo, hi, core.size_arg(max, "Slice.sub", "max"), out)
    end)
    return wrap(handle, state.elem, state.heap)
end

-- s = s[lo:hi:max] in place; lo defaults to 0, hi to len(s), max to cap(s). Returns s.
function methods.reslice(s, lo, hi, max)
    local handle = state_of(class, s, "Slice.reslice").handle
    lo = core.size_arg(lo or 0, "Slice.reslice", "lo")
    hi = core.size_arg(hi or methods.len(s), "Slice.reslice", "hi")
    max = core.size_arg(max or methods.cap(s), "Slice.reslice", "max")
    check(lib.gort_slice_reslice(handle, lo, hi, max), "Slice.reslice")
    return s
end

-- copy(s, src): copies min(len(s), len(src)) elements, overlap allowed; returns the count.
function methods.copy(s, src)
    local handle = state_of(class, s, "Slice.copy").handle
    local src_handle = state_of(class, src, "Slice.copy").handle
    local n = ffi.new("size_t[1]")
    check(lib.gort_slice_copy(handle, src_handle, n), "Slice.copy")
    return tonumber(n[0])
end

-- slices.Clone(s): a new slice with its own store.
function methods.clone(s)
    local state = state_of(class, s, "Slice.clone")
    local handle = new_handle("Slice.clone", function(out)
        return lib.gort_slice_clone(state.handle, out)
    end)
    return wrap(handle, state.elem, state.heap)
end

-- slices.Grow(s, n): cap(s) - len(s) >= n afterwards. Returns s.
function methods.grow(s, n)
    local handle = state_of(class, s, "Slice.grow").handle
    check(lib.gort_slice_grow(handle, core.size_arg(n, "Slice.grow", "n")), "Slice.grow")
    return s
end

-- slices.Clip(s): s = s[:len:len]. Returns s.
function methods.clip(s)
    check(lib.gort_slice_clip(state_of(class, s, "Slice.clip").handle), "Slice.clip")
    return s
end

-- clear(s): every element in [0, len) becomes the zero value. Returns s.
function methods.clear(s)
    check(lib.gort_slice_clear(state_of(class, s, "Slice.clear").handle), "Slice.clear")
    return s
end

-- Bytes of backing store this view keeps alive (see docs/slices.md).
function methods.backing_bytes(s)
    return tonumber(lib.gort_slice_backing_bytes(state_of(class, s, "Slice.backing_bytes").handle))
end

function methods.elem_type(s)
    return state_of(class, s, "Slice.elem_type").elem.name
end

-- One step of ipairs: one lookup of the state and one C call, whose bounds check (ERANGE
-- once i reaches len) ends the loop; len is read afresh each step, so the body may append.
local function next_element(s, i)
    i = i + 1
    local state = state_of(class, s, "Slice.ipairs")
    local codec = state.elem
    local rc = lib.gort_slice_get(state.handle, i, codec.vbuf)
    if rc == 0 then
        return i, codec.decode(codec.vbuf, 0)
    end
    if rc ~= ERANGE then
        raise(rc, "Slice.ipairs")
    end
end

-- for i, v in s:ipairs() do ... end, with i from 0 to len - 1 (0-based, like s[i]).
function methods.ipairs(s)
    state_of(class, s, "Slice.ipairs")
    return next_element, s, -1
end

-- A Lua array of the elements: t[1] = s[0], ..., t[#s] = s[#s - 1].
function methods.totable(s)
    local result = {}
    for i, v in methods.ipairs(s) do
        result[i + 1] = v
    end
    return result
end

-- A typed pointer to element 0 (int64_t *, double *, const gort_str *, ...), or nil for a
-- nil slice: bulk access at C speed. It is borrowed and unchecked, like any FFI pointer:
-- valid only until s grows or is freed, indices are not bounds-checked, and writing
-- through it bypasses the library (strings are therefore given as const).
function methods.data(s)
    local state = state_of(class, s, "Slice.data")
    local data = lib.gort_slice_data(state.handle)
    if data == nil then
        return nil
    end
    if state.elem.owned then
        return ffi.cast("const gort_str *", data)
    end
    return ffi.cast(state.elem.ptr, data)
end

-- The raw gort_slice *, borrowed: valid while s is alive and not freed. A slice handle is
-- used by one thread at a time (docs/threading.md).
function methods.handle(s)
    return state_of(class, s, "Slice.handle").handle
end

-- Frees this handle now (the store lives on while other handles share it); idempotent.
function methods.free(s)
    core.free(class, s, "Slice.free")
end

function Slice.is(value)
    return core.peek(class, value) ~= nil
end

local function index(s, key)
    if type(key) == "number" then
        return methods.get(s, key)
    end
    return methods[key]
end

local function newindex(s, key, value)
    if type(key) ~= "number" then
        raise(ETYPE, "Slice.set", "slice index must be an integer, got " .. core.describe(key))
    end
    methods.set(s, key, value)
end

local function describe_slice(s)
    local state = core.peek(class, s)
    local kind = "gort.Slice<" .. state.elem.name .. ">"
    if state.handle == nil then
        return kind .. " (freed)"
    end
    return kind .. " len " .. methods.len(s) .. " cap " .. methods.cap(s)
end

class = core.new_class("Slice", {
    __index = index,
    __newindex = newindex,
    __len = methods.len,
    __tostring = describe_slice,
})
Slice.class = class

-- Every method is also a function of the module: gort.Slice.len(s).
for name, method in pairs(methods) do
    Slice[name] = method
end

return Slice
