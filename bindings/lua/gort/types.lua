-- gort.types: element types by name, and how Lua values cross into C and back.
--
-- Each builtin descriptor gets a codec:
--   name, kind, type      the binding's name, GORT_KIND_*, the static gort_type *
--   ctype, ptr, array     the C type, a pointer to it, a variable-length array of it
--   encode(buf, i, v, op, role)
--                         checks the Lua value v and stores it in buf[i]; raises a
--                         gort.Error (ETYPE: wrong Lua type or not an integer; ERANGE: an
--                         integer the C type cannot hold) before anything reaches C
--   decode(buf, i)        the Lua value of buf[i] (strings are copied out)
--   owned                 true when a received value must be dropped (gort_value_drop)
--   kbuf, vbuf            one-element scratch buffers for keys and values. LuaJIT runs
--                         one thread per state and these calls never call back into Lua,
--                         so module-level scratch is safe and spares an allocation per call.
local ffi = require "ffi"
local core = require "gort.core"

local lib, raise, describe = core.lib, core.raise, core.describe
local ETYPE, ERANGE = core.status.ETYPE, core.status.ERANGE
local floor = math.floor
local istype = ffi.istype

local types = {}

local I64, U64 = ffi.typeof("int64_t"), ffi.typeof("uint64_t")

local function wrong_type(op, role, expected, value)
    raise(ETYPE, op, role .. " must be " .. expected .. ", got " .. describe(value))
end

local function out_of_range(op, role, name, value)
    raise(ERANGE, op, role .. " " .. tostring(value) .. " does not fit in " .. name)
end

-- Whether the 64-bit integer cdata x lies in [lo, hi]. For a signed element type lo and hi
-- are int64_t, for an unsigned one hi is uint64_t (lo is 0). The comparisons are written
-- so that no operand changes sign in a conversion.
local function cdata_in_range(x, signed, lo, hi)
    if istype(I64, x) then
        if signed then
            return x >= lo and x <= hi
        end
        return x >= 0 and ffi.cast(U64, x) <= hi
    end
    if signed then
        return x <= ffi.cast(U64, hi)
    end
    return x <= hi
end

-- An integer element type holding [lo, limit) as Lua numbers; lo64/hi64 are the same
-- bounds as 64-bit cdata, for int64_t/uint64_t cdata arguments.
local function integer_encoder(name, signed, lo, limit, lo64, hi64)
    return function(buf, i, v, op, role)
        if type(v) == "number" then
            if v >= lo and v < limit and floor(v) == v then
                buf[i] = v
                return
            end
            if floor(v) ~= v then
                wrong_type(op, role, "an integer (" .. name .. ")", v)
            end
            out_of_range(op, role, name, v)
        elseif type(v) == "cdata" and (istype(I64, v) or istype(U64, v)) then
            if not cdata_in_range(v, signed, lo64, hi64) then
                out_of_range(op, role, name, v)
            end
            buf[i] = v
        else
            wrong_type(op, role, "an integer (" .. name .. ")", v)
        end
    end
end

local function plain_decode(buf, i)
    return buf[i]
end

-- int64/uint64 come back as Lua numbers while exact (|v| <= 2^53), else as int64_t /
-- uint64_t cdata, so no value is ever rounded.
local function decode_int64(buf, i)
    local x = buf[i]
    if x >= -2 ^ 53 and x <= 2 ^ 53 then
        return tonumber(x)
    end
    return x
end

local function decode_uint64(buf, i)
    local x = buf[i]
    if x <= 2 ^ 53 then
        return tonumber(x)
    end
    return x
end

local function encode_float(buf, i, v, op, role)
    if type(v) ~= "number" then
        wrong_type(op, role, "a number", v)
    end
    buf[i] = v
end

local function encode_bool(buf, i, v, op, role)
    if type(v) ~= "boolean" then
        wrong_type(op, role, "a boolean", v)
    end
    buf[i] = v
end

-- A str value borrows the Lua string's bytes only for the duration of the call: every
-- container and channel copies them in (docs/types.md).
local function encode_str(buf, i, v, op, role)
    if type(v) ~= "string" then
        wrong_type(op, role, "a string", v)
    end
    buf[i].ptr = v
    buf[i].len = #v
end

local function decode_str(buf, i)
    local len = buf[i].len
    if len == 0 then
        return ""
    end
    return ffi.string(buf[i].ptr, len)
end

local function int_codec(name, kind, ctype, signed, bits)
    local lo, limit = 0, 2 ^ bits
    if signed then
        lo, limit = -2 ^ (bits - 1), 2 ^ (bits - 1)
    end
    local lo64, hi64
    if signed then
        lo64 = ffi.new(I64, lo)
        hi64 = bits == 64 and ffi.new(I64, 0x7fffffffffffffffLL) or ffi.new(I64, limit - 1)
    else
        lo64 = ffi.new(U64, 0)
        hi64 = bits == 64 and ffi.new(U64, 0xffffffffffffffffULL) or ffi.new(U64, limit - 1)
    end
    local decode = plain_decode
    if bits == 64 then
        decode = signed and decode_int64 or decode_uint64
    end
    return { name = name, kind = kind, ctype = ctype, decode = decode,
             encode = integer_encoder(name, signed, lo, limit, lo64, hi64) }
end

local codecs = {
    int_codec("int8", lib.GORT_KIND_I8, "int8_t", true, 8),
    int_codec("int16", lib.GORT_KIND_I16, "int16_t", true, 16),
    int_codec("int32", lib.GORT_KIND_I32, "int32_t", true, 32),
    int_codec("int64", lib.GORT_KIND_I64, "int64_t", true, 64),
    int_codec("uint8", lib.GORT_KIND_U8, "uint8_t", false, 8),
    int_codec("uint16", lib.GORT_KIND_U16, "uint16_t", false, 16),
    int_codec("uint32", lib.GORT_KIND_U32, "uint32_t", false, 32),
    int_codec("uint64", lib.GORT_KIND_U64, "uint64_t", false, 64),
    { name = "bool", kind = lib.GORT_KIND_BOOL, ctype = "bool", encode = encode_bool,
      decode = plain_decode },
    { name = "float32", kind = lib.GORT_KIND_F32, ctype = "float", encode = encode_float,
      decode = plain_decode },
    { name = "float64", kind = lib.GORT_KIND_F64, ctype = "double", encode = encode_float,
      decode = plain_decode },
    { name = "str", kind = lib.GORT_KIND_STR, ctype = "gort_str", encode = encode_str,
      decode = decode_str, owned = true },
}

local by_name, by_kind = {}, {}
for _, codec in ipairs(codecs) do
    codec.type = lib.gort_type_builtin(codec.kind)
    codec.ctype = ffi.typeof(codec.ctype)
    codec.ptr = ffi.typeof("$ *", codec.ctype)
    codec.array = ffi.typeof("$[?]", codec.ctype)
    codec.kbuf = codec.array(1)
    codec.vbuf = codec.array(1)
    by_name[codec.name] = codec
    by_kind[codec.kind] = codec
end
by_name.float, by_name.double, by_name.string = by_name.float32, by_name.float64, by_name.str

-- The names accepted, canonical ones first, then aliases.
types.names = { "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float32", "float64", "str", "float", "double", "string" }

-- The codec of an element type name, or an error naming op.
function types.get(name, op)
    local codec = by_name[name]
    if codec == nil then
        raise(ETYPE, op, "unknown element type " .. describe(name) .. " (expected one of "
              .. table.concat(types.names, ", ") .. ")")
    end
    return codec
end

-- The codec of a descriptor from C (a handle adopted from C code), or an error.
function types.of_descriptor(descriptor, op)
    local codec = by_kind[tonumber(lib.gort_type_kind(descriptor))]
    if codec == nil or codec.type ~= descriptor then
        raise(ETYPE, op, "element type " .. ffi.string(lib.gort_type_name(descriptor))
              .. " has no Lua mapping (only the builtin descriptors do)")
    end
    return codec
end

-- Decodes a value the caller owns (a channel receive): copies it out, then drops it.
function types.take(codec, buf)
    local value = codec.decode(buf, 0)
    if codec.owned then
        lib.gort_value_drop(codec.type, buf)
    end
    return value
end

return types
