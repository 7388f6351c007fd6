-- The committed declarations (gort/cdef.lua) must be exactly what gen_cdef.sh makes from
-- today's header, and they must cover the exported ABI: every symbol of src/libgort.map
-- is declared and resolves through ffi.load, and every declared function is exported.
--
-- Usage: luajit test_cdef.lua [compiler command...]  (meson passes its C compiler; the
-- default is $CC or cc).
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local gort = require "gort"

local root = tap.binding_dir .. "/../.."

local function read(path)
    local file = assert(io.open(path, "rb"))
    local text = file:read("*a")
    file:close()
    return text
end

local function shell_quote(word)
    return "'" .. word:gsub("'", "'\\''") .. "'"
end

local function regenerate()
    local command = "sh " .. shell_quote(tap.binding_dir .. "/gen_cdef.sh") .. " -"
    if #arg > 0 then
        local compiler = {}
        for i = 1, #arg do
            compiler[i] = arg[i]
        end
        command = "CC=" .. shell_quote(table.concat(compiler, " ")) .. " " .. command
    end
    local pipe = assert(io.popen(command, "r"))
    local output = pipe:read("*a")
    local ok = pipe:close()
    return output, ok
end

local function exported_symbols()
    local symbols = {}
    -- every version node's global: section (GORT_1.0, GORT_1.1, ...)
    for global in read(root .. "/src/libgort.map"):gmatch("global:(.-)}") do
        for name in global:gmatch("(gort_[%w_]+);") do
            symbols[#symbols + 1] = name
        end
    end
    return symbols
end

-- Function names declared in the cdef: a name directly followed by "(". Function-pointer
-- typedefs, `(*gort_hash_fn)(...)`, have a ")" in between and are not counted.
local function declared_functions(cdef)
    local names = {}
    for name in cdef:gmatch("(gort_[%w_]+)%s*%(") do
        names[name] = true
    end
    return names
end

local committed = read(tap.binding_dir .. "/gort/cdef.lua")
local generated = regenerate()
tap.ok(#generated > 1000, "gen_cdef.sh produced the declarations")
tap.ok(generated == committed,
       "gort/cdef.lua is up to date with include/ (run bindings/lua/gen_cdef.sh if not)")

local cdef = require "gort.cdef"
local declared = declared_functions(cdef)
local symbols = exported_symbols()
tap.ok(#symbols >= 80, "src/libgort.map lists the ABI (" .. #symbols .. " symbols)")

local missing, unresolved = {}, {}
local exported = {}
for _, name in ipairs(symbols) do
    exported[name] = true
    if not declared[name] then
        missing[#missing + 1] = name
    end
    if not pcall(function() return gort.lib[name] end) then
        unresolved[#unresolved + 1] = name
    end
end
tap.is(table.concat(missing, " "), "", "every exported symbol is declared in gort/cdef.lua")
tap.is(table.concat(unresolved, " "), "", "every exported symbol resolves through ffi.load")

local extra = {}
for name in pairs(declared) do
    if not exported[name] then
        extra[#extra + 1] = name
    end
end
table.sort(extra)
tap.is(table.concat(extra, " "), "", "every declared function is exported")
tap.done()
