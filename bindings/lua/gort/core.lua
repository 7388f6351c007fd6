-- gort.core: what every wrapper shares.
--
--   * the library, loaded with ffi.load from $GORT_LIBRARY or by its SONAME, and declared
--     with the generated gort.cdef;
--   * the error type: every failure is raised as a gort.Error table with .code (a GORT_*
--     status), .name, .op and .message;
--   * the object model. A Map, Slice, Chan or Heap object is a cdata of an *empty* C struct
--     with a metatype. It has no fields on purpose: a field named `handle` would shadow
--     the key "handle" of a string-keyed map, because LuaJIT resolves struct fields before
--     __index. Its C handle lives in a state table found through a weak-keyed registry,
--     one per class. ffi.gc gives every object a finalizer that releases the handle; an
--     explicit free releases it at once and sets state.handle to nil, so any later use
--     raises an error instead of touching freed memory.
local ffi = require "ffi"

local core = {}

-- A caller may have declared the header already (for its own C calls); declaring it
-- twice would fail with "attempt to redefine".
if not pcall(ffi.typeof, "struct gort_map_iter") then
    ffi.cdef(require "gort.cdef")
end

local function load_library()
    local name = os.getenv("GORT_LIBRARY") or "libgort.so.1"
    local ok, lib = pcall(ffi.load, name)
    if not ok then
        error("gort: cannot load " .. name .. " (set GORT_LIBRARY to its path): " .. lib, 0)
    end
    local major = math.floor(lib.gort_version() / 65536)
    if major ~= 1 then
        error("gort: " .. name .. " is version " .. ffi.string(lib.gort_version_string())
              .. ", this binding needs 1.x", 0)
    end
    return lib
end

local lib = load_library()
core.lib = lib

-- Status codes, read from the declared enum so they cannot disagree with the header.
core.status = {}
for _, name in ipairs { "OK", "ENOMEM", "EINVAL", "ERANGE", "ECLOSED", "EAGAIN",
                        "ETIMEDOUT", "EOVERFLOW", "EBUSY", "ETYPE" } do
    core.status[name] = tonumber(lib["GORT_" .. name])
end
local EINVAL, ETYPE = core.status.EINVAL, core.status.ETYPE

---------------------------------------------------------------------------------------
-- Errors
---------------------------------------------------------------------------------------

local Error = {}
Error.__index = Error
Error.__tostring = function(e) return e.message end
core.Error = Error

-- Builds the error for status `code` raised by operation `op` ("Map.set"). `detail`
-- replaces the library's description when the binding itself found the problem.
function core.new_error(code, op, detail)
    local text = ffi.string(lib.gort_strerror(code))
    local name, description = text:match("^([%w_]+): (.*)$")
    name = name or "GORT_UNKNOWN"
    return setmetatable({
        code = code,
        name = name,
        op = op,
        message = "gort: " .. op .. ": " .. name .. ": " .. (detail or description or text),
    }, Error)
end

function core.raise(code, op, detail)
    error(core.new_error(code, op, detail), 0)
end

-- Raises the error for a failed call's status rc (anything but GORT_OK) naming `op`.
function core.check(rc, op)
    if rc ~= 0 then
        core.raise(rc, op)
    end
end

function core.is_error(value)
    return getmetatable(value) == Error
end

-- A short, printable description of a Lua value for error messages.
function core.describe(value)
    local t = type(value)
    if t == "string" then
        return string.format("string %q", #value > 40 and value:sub(1, 37) .. "..." or value)
    elseif t == "number" or t == "boolean" or t == "cdata" then
        return t .. " " .. tostring(value)
    end
    return t
end

---------------------------------------------------------------------------------------
-- Numbers given to the library: sizes, indices, timeouts
---------------------------------------------------------------------------------------

local floor, ceil = math.floor, math.ceil

-- A non-negative integer argument (an index, length, capacity or hint), checked before it
-- is converted to size_t, where -1 would become 2^64 - 1.
function core.size_arg(value, op, what)
    if type(value) ~= "number" or floor(value) ~= value then
        core.raise(ETYPE, op, what .. " must be an integer, got " .. core.describe(value))
    end
    if value < 0 or value >= 2 ^ 53 then
        core.raise(core.status.ERANGE, op, what .. " " .. tostring(value) .. " out of range")
    end
    return value
end

-- A stats struct (C type `ctype`, with struct_size) filled by get(handle, struct), as a
-- table of numbers with the given fields; raises with `op` when get fails.
function core.stats(ctype, get, handle, fields, op)
    local stats = ffi.new(ctype)
    stats.struct_size = ffi.sizeof(stats)
    core.check(get(handle, stats), op)
    local result = {}
    for _, field in ipairs(fields) do
        result[field] = tonumber(stats[field])
    end
    return result
end

-- Seconds (a Lua number) to the library's timeout_ns: nil or math.huge wait forever (-1),
-- 0 does not wait, a positive number waits at least 1 ns. Negative numbers are refused:
-- in C they mean "forever", which is not what a Lua reader would guess.
function core.timeout_ns(seconds, op)
    if seconds == nil or seconds == math.huge then
        return -1
    end
    if type(seconds) ~= "number" or seconds ~= seconds then
        core.raise(ETYPE, op, "timeout must be a number of seconds, got " .. core.describe(seconds))
    end
    if seconds < 0 then
        core.raise(core.status.ERANGE, op, "timeout must not be negative, got " .. seconds)
    end
    if seconds >= 9e9 then -- beyond int64 nanoseconds: as good as forever
        return -1
    end
    return ceil(seconds * 1e9)
end

---------------------------------------------------------------------------------------
-- Objects
---------------------------------------------------------------------------------------

-- Declares the empty struct of a class and returns {ctype, registry, name}. `metatable`
-- becomes its metatype.
function core.new_class(name, metatable)
    local struct = "struct gortlua_" .. name:lower()
    if not pcall(ffi.typeof, struct) then
        ffi.cdef(struct .. " {};")
    end
    return {
        name = name,
        ctype = ffi.metatype(struct, metatable),
        registry = setmetatable({}, { __mode = "k" }),
    }
end

-- Returns a new object of `class` owning state.handle. `release(handle)` drops it; it
-- runs once, from whichever comes first of core.free and the garbage collector. The
-- finalizer closes over the state, not the object, which it must not keep alive.
function core.wrap(class, state, release)
    state.release = release
    local object = class.ctype()
    class.registry[object] = state
    return ffi.gc(object, function()
        local handle = state.handle
        if handle ~= nil then
            state.handle = nil
            release(handle)
        end
    end)
end

local function not_a(class, op, value)
    core.raise(ETYPE, op, "expected a gort." .. class.name .. ", got " .. core.describe(value))
end

-- The state of a live object of `class`, or an error naming `op`.
function core.state(class, object, op)
    local state = class.registry[object]
    if state == nil then
        not_a(class, op, object)
    end
    if state.handle == nil then
        core.raise(EINVAL, op, "gort." .. class.name .. " used after free")
    end
    return state
end

-- The state of an object of `class`, live or freed (nil if it is not one).
function core.peek(class, object)
    return class.registry[object]
end

-- Releases the object's handle now. Idempotent: a second call does nothing.
function core.free(class, object, op)
    local state = class.registry[object]
    if state == nil then
        not_a(class, op, object)
    end
    local handle = state.handle
    if handle ~= nil then
        state.handle = nil
        state.heap = nil
        state.release(handle)
        ffi.gc(object, nil)
    end
end

return core
