-- gort.Chan and gort.select: Go's channels, shared between Lua and C threads.
--
-- LuaJIT runs one thread per Lua state, so a blocking call (send, recv, select without a
-- timeout) blocks the whole state until a C thread is its partner; nothing else in that
-- state runs meanwhile (no coroutine, no finalizer). Without such a partner a blocking
-- call never returns: use try_send/try_recv or a timeout there.
--
-- Results, in one place:
--   ch:send(v [, timeout])   true: sent; false: timed out; raises GORT_ECLOSED if closed
--   ch:try_send(v)           true: sent; false: would block; raises GORT_ECLOSED
--   ch:recv([timeout])       v, true: a value; nil, false: closed and drained;
--                            nil, nil: timed out
--   ch:try_recv()            as recv, nil, nil meaning "would block"
--   ch:close()               raises GORT_ECLOSED when already closed (Go panics)
-- Timeouts are seconds (a Lua number); nil waits forever, 0 does not wait.
local ffi = require "ffi"
local core = require "gort.core"
local types = require "gort.types"
local Heap = require "gort.heap"

local lib, raise, check, state_of = core.lib, core.raise, core.check, core.state
local status = core.status
local EAGAIN, ETIMEDOUT, ETYPE = status.EAGAIN, status.ETIMEDOUT, status.ETYPE
local take = types.take

local Chan = {}    -- the module: constructors, select and helpers
local methods = {} -- what ch:method() finds
local class        -- set below

local recv_ok = ffi.new("int[1]")

-- Returns when rc means "nothing happened within the time allowed" (EAGAIN: did not
-- wait; ETIMEDOUT: waited and gave up); raises for any other failure.
local function nothing_happened(rc, op)
    if rc ~= EAGAIN and rc ~= ETIMEDOUT then
        raise(rc, op)
    end
end

-- A send's result: true when sent, false when it would block or timed out.
local function sent(rc, op)
    if rc == 0 then
        return true
    end
    nothing_happened(rc, op)
    return false
end

local function wrap(handle, elem, heap)
    return core.wrap(class, { handle = handle, elem = elem, heap = heap }, lib.gort_chan_release)
end

-- make(chan elem, cap) in heap (nil: the default heap); cap defaults to 0 (unbuffered).
function Chan.new(elem, cap, heap)
    local codec = types.get(elem, "Chan.new")
    cap = core.size_arg(cap or 0, "Chan.new", "cap")
    local out = ffi.new("gort_chan *[1]")
    check(lib.gort_chan_create(codec.type, cap, Heap.handle_of(heap, "Chan.new"), out), "Chan.new")
    return wrap(out[0], codec, heap)
end

-- Wraps a gort_chan * made by C code, taking a reference of its own (gort_chan_retain).
-- elem, if given, must match the channel's element type (gort_chan_expect_type).
function Chan.adopt(handle, elem)
    if not ffi.istype("gort_chan *", handle) or handle == nil then
        raise(ETYPE, "Chan.adopt", "expected a non-NULL gort_chan *, got " .. core.describe(handle))
    end
    local codec = types.of_descriptor(lib.gort_chan_elem_type(handle), "Chan.adopt")
    if elem ~= nil then
        local rc = lib.gort_chan_expect_type(handle, types.get(elem, "Chan.adopt").type)
        if rc ~= 0 then
            raise(rc, "Chan.adopt", "the channel's elements are " .. codec.name .. ", not " .. elem)
        end
    end
    return wrap(lib.gort_chan_retain(handle), codec, nil)
end

-- c <- v. See the table at the top for the results.
function methods.send(ch, value, timeout)
    local state = state_of(class, ch, "Chan.send")
    local codec = state.elem
    codec.encode(codec.vbuf, 0, value, "Chan.send", "value")
    local rc
    if timeout == nil then
        rc = lib.gort_chan_send(state.handle, codec.vbuf)
    else
        rc = lib.gort_chan_send_timeout(state.handle, codec.vbuf,
                                        core.timeout_ns(timeout, "Chan.send"))
    end
    return sent(rc, "Chan.send")
end

function methods.try_send(ch, value)
    local state = state_of(class, ch, "Chan.try_send")
    local codec = state.elem
    codec.encode(codec.vbuf, 0, value, "Chan.try_send", "value")
    local rc = lib.gort_chan_try_send(state.handle, codec.vbuf)
    return sent(rc, "Chan.try_send")
end

-- The results of a receive that returned GORT_OK: the value moved to us is copied into a
-- Lua value and dropped (for str, its bytes are freed).
local function received(codec)
    if recv_ok[0] == 0 then
        return nil, false
    end
    return take(codec, codec.vbuf), true
end

-- v, ok := <-c. See the table at the top for the results.
function methods.recv(ch, timeout)
    local state = state_of(class, ch, "Chan.recv")
    local codec = state.elem
    local rc
    if timeout == nil then
        rc = lib.gort_chan_recv(state.handle, codec.vbuf, recv_ok)
    else
        rc = lib.gort_chan_recv_timeout(state.handle, codec.vbuf, recv_ok,
                                        core.timeout_ns(timeout, "Chan.recv"))
    end
    if rc == 0 then
        return received(codec)
    end
    nothing_happened(rc, "Chan.recv")
    return nil, nil
end

function methods.try_recv(ch)
    local state = state_of(class, ch, "Chan.try_recv")
    local codec = state.elem
    local rc = lib.gort_chan_try_recv(state.handle, codec.vbuf, recv_ok)
    if rc == 0 then
        return received(codec)
    end
    nothing_happened(rc, "Chan.try_recv")
    return nil, nil
end

-- close(c): buffered values stay receivable. Closing twice raises GORT_ECLOSED.
function methods.close(ch)
    check(lib.gort_chan_close(state_of(class, ch, "Chan.close").handle), "Chan.close")
end

function methods.len(ch)
    return tonumber(lib.gort_chan_len(state_of(class, ch, "Chan.len").handle))
end

function methods.cap(ch)
    return tonumber(lib.gort_chan_cap(state_of(class, ch, "Chan.cap").handle))
end

function methods.is_closed(ch)
    return lib.gort_chan_is_closed(state_of(class, ch, "Chan.is_closed").handle) ~= 0
end

function methods.elem_type(ch)
    return state_of(class, ch, "Chan.elem_type").elem.name
end

-- for v in ch:iter() do ... end: receives until the channel is closed and drained.
function methods.iter(ch)
    state_of(class, ch, "Chan.iter")
    return function()
        local value, ok = methods.recv(ch)
        if ok then
            return value
        end
        return nil
    end
end

local fd_directions = { recv = lib.GORT_CHAN_RECV_READY, send = lib.GORT_CHAN_SEND_READY }

-- The pollable eventfd for "recv" or "send" readiness (gort_chan_fd): readable while that
-- operation would not block, for an event loop. Owned by the channel: never read or close it.
function methods.fd(ch, direction)
    local handle = state_of(class, ch, "Chan.fd").handle
    local dir = fd_directions[direction]
    if dir == nil then
        raise(ETYPE, "Chan.fd", 'direction must be "recv" or "send", got ' .. core.describe(direction))
    end
    local out = ffi.new("int[1]")
    check(lib.gort_chan_fd(handle, dir, out), "Chan.fd")
    return out[0]
end

-- The raw gort_chan *, borrowed: valid while ch is alive and not freed. C code (a thread)
-- that keeps it must take its own reference with gort_chan_retain.
function methods.handle(ch)
    return state_of(class, ch, "Chan.handle").handle
end

-- Drops this object's reference now (this is not close); idempotent.
function methods.free(ch)
    core.free(class, ch, "Chan.free")
end

function Chan.is(value)
    return core.peek(class, value) ~= nil
end

---------------------------------------------------------------------------------------
-- select
---------------------------------------------------------------------------------------

local SEND, RECV = lib.GORT_SELECT_SEND, lib.GORT_SELECT_RECV
local operations = { send = SEND, recv = RECV }

-- Fills cases[i - 1] from the Lua case {"recv", ch} or {"send", ch, value}. A nil channel
-- makes a case that is never ready (Go's nil channel). Returns the codec and the buffer,
-- which the caller keeps referenced: the C array holds only raw pointers.
local function fill_case(case, spec, i)
    if type(spec) ~= "table" then
        raise(ETYPE, "select", "case " .. i .. " must be a table, got " .. core.describe(spec))
    end
    local op = operations[spec[1]]
    if op == nil then
        raise(ETYPE, "select", 'case ' .. i .. ' must start with "send" or "recv", got '
              .. core.describe(spec[1]))
    end
    case.op = op
    if spec[2] == nil then
        return nil, nil
    end
    local state = state_of(class, spec[2], "select")
    local codec = state.elem
    local buffer = codec.array(1)
    if op == SEND then
        codec.encode(buffer, 0, spec[3], "select", "value of case " .. i)
    end
    case.chan = state.handle
    case.value = buffer
    return codec, buffer
end

-- The timeout of gort.select's spec: spec.timeout seconds, or spec.default (Go's default
-- case, "do not wait"); neither: wait forever.
local function select_timeout(spec)
    if spec.default then
        if spec.timeout ~= nil then
            raise(ETYPE, "select", "give either default or timeout, not both")
        end
        return 0
    end
    return core.timeout_ns(spec.timeout, "select")
end

local chosen_out = ffi.new("size_t[1]")

-- i, value, ok = gort.select{ {"recv", ch1}, {"send", ch2, v}, timeout = 0.5 }
--   i       the 1-based index of the case that fired; nil if none did before the timeout
--           (or at once, with default = true)
--   value   for a receive: the value, or nil when the channel is closed and drained
--   ok      true for a value or a completed send, false for a closed, drained channel
-- A send case chosen on a closed channel raises GORT_ECLOSED (error field .case = i).
function Chan.select(spec)
    if type(spec) ~= "table" then
        raise(ETYPE, "select", "expected a table of cases, got " .. core.describe(spec))
    end
    local timeout = select_timeout(spec)
    local n = #spec
    local cases = ffi.new("gort_select_case[?]", n)
    local codecs, buffers = {}, {}
    for i = 1, n do
        codecs[i], buffers[i] = fill_case(cases[i - 1], spec[i], i)
    end
    local rc = lib.gort_select(cases, n, timeout, chosen_out, recv_ok)
    if rc ~= 0 then
        if rc == status.ECLOSED then
            local err = core.new_error(rc, "select")
            err.case = tonumber(chosen_out[0]) + 1
            error(err, 0)
        end
        nothing_happened(rc, "select")
        return nil
    end
    local i = tonumber(chosen_out[0]) + 1
    if cases[i - 1].op == SEND then
        return i, nil, true
    end
    if recv_ok[0] == 0 then
        return i, nil, false
    end
    return i, take(codecs[i], buffers[i]), true
end

local function describe_chan(ch)
    local state = core.peek(class, ch)
    local kind = "gort.Chan<" .. state.elem.name .. ">"
    if state.handle == nil then
        return kind .. " (freed)"
    end
    return kind .. " len " .. methods.len(ch) .. " cap " .. methods.cap(ch)
        .. (methods.is_closed(ch) and " closed" or "")
end

class = core.new_class("Chan", {
    __index = methods,
    __len = methods.len,
    __tostring = describe_chan,
})
Chan.class = class

-- Every method is also a function of the module: gort.Chan.send(ch, v).
for name, method in pairs(methods) do
    Chan[name] = method
end

return Chan
