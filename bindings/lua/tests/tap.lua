-- A small TAP producer for the binding's tests (meson runs them with protocol: 'tap').
-- Checks print both operands on failure and never stop the script; tap.done() prints the
-- plan and exits non-zero if anything failed.
--
-- Each test script starts with
--   local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
-- which also puts bindings/lua on package.path, so require "gort" finds the module from
-- the source tree.
local ffi = require "ffi"

local tests_dir = debug.getinfo(1, "S").source:match("^@(.-)[^/]*$")
local binding_dir = tests_dir .. ".."
package.path = binding_dir .. "/?.lua;" .. binding_dir .. "/?/init.lua;" .. package.path

local tap = { binding_dir = binding_dir }
local count, failures = 0, 0

local function report(passed, name, diagnostics)
    count = count + 1
    -- Names may quote test data; control characters would corrupt the TAP stream.
    name = (name or ""):gsub("%c", function(c) return string.format("\\%03d", c:byte()) end)
    print((passed and "ok " or "not ok ") .. count .. " - " .. name)
    if not passed then
        failures = failures + 1
        for _, line in ipairs(diagnostics or {}) do
            print("#   " .. line)
        end
        local caller = debug.getinfo(3, "Sl") -- report <- tap.is <- the test
        print("#   at " .. caller.short_src .. ":" .. caller.currentline)
    end
    return passed
end

local function show(value)
    if type(value) == "string" then
        return string.format("%q", value)
    end
    return tostring(value)
end

function tap.ok(condition, name)
    return report(not not condition, name)
end

-- got == want (primitive equality; cdata integers compare by value).
function tap.is(got, want, name)
    return report(got == want, name, { "got:  " .. show(got), "want: " .. show(want) })
end

function tap.isnt(got, unwanted, name)
    return report(got ~= unwanted, name, { "got:  " .. show(got), "want anything else" })
end

-- Two tables with the same keys and values (one level deep).
function tap.same(got, want, name)
    local problems = {}
    for k, v in pairs(want) do
        if got[k] ~= v then
            problems[#problems + 1] = "[" .. show(k) .. "] got " .. show(got[k]) .. ", want " .. show(v)
        end
    end
    for k, v in pairs(got) do
        if want[k] == nil then
            problems[#problems + 1] = "[" .. show(k) .. "] got " .. show(v) .. ", want nothing"
        end
    end
    if #problems > 5 then
        problems = { problems[1], problems[2], problems[3], "... " .. #problems .. " differences" }
    end
    return report(#problems == 0, name, problems)
end

-- fn(...) raises a gort.Error with status `code` (a number such as gort.ECLOSED) whose
-- message contains `pattern` (plain text, optional). Returns the error.
function tap.raises(code, pattern, name, fn, ...)
    local succeeded, err = pcall(fn, ...)
    if succeeded then
        report(false, name, { "no error raised" })
        return nil
    end
    if type(err) ~= "table" or err.code ~= code then
        report(false, name, { "error: " .. tostring(err), "want code " .. tostring(code) })
        return err
    end
    if pattern and not err.message:find(pattern, 1, true) then
        report(false, name, { "message: " .. err.message, "want it to contain: " .. pattern })
        return err
    end
    report(true, name)
    return err
end

function tap.diag(text)
    print("# " .. text)
end

-- Monotonic wall-clock seconds (os.clock is CPU time, which sleeping does not advance).
ffi.cdef [[
struct gortlua_timespec { long tv_sec; long tv_nsec; };
int clock_gettime(int clock_id, struct gortlua_timespec *ts);
]]
local timespec = ffi.new("struct gortlua_timespec")
function tap.now()
    ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
    return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

function tap.done()
    print("1.." .. count)
    os.exit(failures == 0 and 0 or 1)
end

return tap
