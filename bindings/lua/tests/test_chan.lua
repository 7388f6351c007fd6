-- gort.Chan and gort.select within one Lua thread (tests/test_threads.lua has the C
-- threads): every method, every result of the result table in gort/chan.lua, and Go's
-- channel states.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local ffi = require "ffi"
local gort = require "gort"

ffi.cdef [[
struct gortlua_pollfd { int fd; short events; short revents; };
int poll(struct gortlua_pollfd *fds, unsigned long nfds, int timeout);
]]

local function buffered_fifo()
    local ch = gort.chan("int64", 3)
    tap.is(ch:cap(), 3, "cap")
    tap.is(ch:send(1), true, "send into room returns true")
    ch:send(2)
    tap.is(ch:try_send(3), true, "try_send into room returns true")
    tap.is(ch:len(), 3, "len counts buffered values")
    tap.is(#ch, 3, "#ch is len")
    tap.is(ch:try_send(4), false, "try_send on a full channel returns false")
    local t0 = tap.now()
    tap.is(ch:send(4, 0.05), false, "send with a timeout on a full channel returns false")
    tap.ok(tap.now() - t0 >= 0.045, "after waiting about the timeout")
    tap.is(ch:send(4, 0), false, "send with timeout 0 does not wait")
    local a, ok = ch:recv()
    tap.is(a, 1, "recv returns the oldest value (FIFO)")
    tap.is(ok, true, "with ok = true")
    tap.is(ch:try_recv(), 2, "try_recv takes the next one")
    tap.is(ch:recv(1), 3, "recv with a timeout takes one when there is one")
    local v, ok2 = ch:try_recv()
    tap.ok(v == nil and ok2 == nil, "try_recv on an empty channel returns nil, nil")
    t0 = tap.now()
    v, ok2 = ch:recv(0.05)
    tap.ok(v == nil and ok2 == nil, "recv with a timeout on an empty channel returns nil, nil")
    tap.ok(tap.now() - t0 >= 0.045, "after waiting about the timeout")
    tap.is(tostring(ch), "gort.Chan<int64> len 0 cap 3", "tostring")
end

-- Go: buffered values stay receivable after close; then zero value + !ok forever.
local function close_semantics()
    local ch = gort.chan("str", 4)
    ch:send("a")
    ch:send("b")
    tap.is(ch:is_closed(), false, "an open channel is not closed")
    ch:close()
    tap.is(ch:is_closed(), true, "is_closed after close")
    tap.raises(gort.ECLOSED, "GORT_ECLOSED", "send on a closed channel raises", ch.send, ch, "c")
    tap.raises(gort.ECLOSED, nil, "try_send on a closed channel raises", ch.try_send, ch, "c")
    tap.raises(gort.ECLOSED, nil, "send with a timeout on a closed channel raises", ch.send, ch, "c", 1)
    tap.raises(gort.ECLOSED, "Chan.close", "closing twice raises", ch.close, ch)
    tap.is(ch:recv(), "a", "buffered values are still received after close")
    local drained = {}
    for v in ch:iter() do
        drained[#drained + 1] = v
    end
    tap.is(table.concat(drained), "b", "iter drains the rest and stops")
    local v, ok = ch:recv()
    tap.ok(v == nil and ok == false, "recv on a closed, drained channel returns nil, false")
    v, ok = ch:try_recv()
    tap.ok(v == nil and ok == false, "so does try_recv")
    v, ok = ch:recv(0.5)
    tap.ok(v == nil and ok == false, "and recv with a timeout, at once")
    tap.is(tostring(ch), "gort.Chan<str> len 0 cap 4 closed", "tostring says closed")
end

local function unbuffered_without_partner()
    local ch = gort.chan("int64")
    tap.is(ch:cap(), 0, "gort.chan(elem) is unbuffered")
    tap.is(ch:try_send(1), false, "try_send with no receiver waiting returns false")
    tap.is(ch:send(1, 0.01), false, "send with a timeout gives up")
    local v, ok = ch:try_recv()
    tap.ok(v == nil and ok == nil, "try_recv with no sender waiting returns nil, nil")
end

local samples = {
    bool = { false, true, false }, int8 = { -128, 127 }, uint16 = { 65535 },
    int64 = { 0x7fffffffffffffffLL, -2 ^ 53 }, uint64 = { 0xffffffffffffffffULL },
    float32 = { 0.25 }, float64 = { 1e-300 }, str = { "", "x\0y", string.rep("z", 5000) },
}

local function every_element_type()
    for name, values in pairs(samples) do
        local ch = gort.chan(name, #values)
        for _, v in ipairs(values) do
            ch:send(v)
        end
        ch:close()
        local got = {}
        for v in ch:iter() do
            got[#got + 1] = v
        end
        local same = #got == #values
        for i = 1, #values do
            same = same and got[i] == values[i]
        end
        tap.ok(same, name .. " values cross a channel unchanged (false does not end iter)")
    end
end

local function pollable_fd()
    local ch = gort.chan("int64", 1)
    local fd = ch:fd("recv")
    tap.ok(fd >= 0, "fd(\"recv\") is a descriptor")
    tap.is(ch:fd("recv"), fd, "the same one on every call")
    local pfd = ffi.new("struct gortlua_pollfd", { fd = fd, events = 1 }) -- POLLIN
    tap.is(ffi.C.poll(pfd, 1, 0), 0, "not readable while a receive would block")
    ch:send(5)
    tap.is(ffi.C.poll(pfd, 1, 0), 1, "readable once a value is buffered")
    local send_fd = ffi.new("struct gortlua_pollfd", { fd = ch:fd("send"), events = 1 })
    tap.is(ffi.C.poll(send_fd, 1, 0), 0, "the send fd is not readable while the buffer is full")
    ch:recv()
    tap.is(ffi.C.poll(send_fd, 1, 0), 1, "and readable once there is room")
    tap.raises(gort.ETYPE, "direction", "an unknown direction is refused", ch.fd, ch, "both")
end

local function select_cases()
    local a, b = gort.chan("int64", 1), gort.chan("str", 1)
    b:send("hello")
    local i, v, ok = gort.select { { "recv", a }, { "recv", b } }
    tap.ok(i == 2 and v == "hello" and ok == true, "select receives from the ready case")
    i, v, ok = gort.select { { "send", a, 7 }, { "recv", b } }
    tap.ok(i == 1 and v == nil and ok == true, "a send case fires when there is room")
    tap.is(a:recv(), 7, "and the value was sent")
    i = gort.select { { "recv", a }, { "recv", b }, default = true }
    tap.is(i, nil, "default: nothing ready returns nil at once")
    local t0 = tap.now()
    i = gort.select { { "recv", a }, timeout = 0.05 }
    tap.is(i, nil, "timeout: nothing ready returns nil")
    tap.ok(tap.now() - t0 >= 0.045, "after the timeout")
    i = gort.select { { "recv", nil }, { "send", nil, 1 }, timeout = 0.01 }
    tap.is(i, nil, "nil-channel cases are never ready")
    a:close()
    i, v, ok = gort.select { { "recv", nil }, { "recv", a } }
    tap.ok(i == 2 and v == nil and ok == false, "a closed channel's recv case fires with ok = false")
    local err = tap.raises(gort.ECLOSED, "select", "a send case chosen on a closed channel raises",
                           gort.select, { { "send", a, 1 } })
    tap.is(err and err.case, 1, "and the error names the case")
    tap.is(gort.select { timeout = 0 }, nil, "a select with no cases and timeout 0 returns nil")
end

-- Go picks uniformly among ready cases: over 200 selects both must be chosen (a fixed
-- choice would fail; the chance that a fair one does is 2^-199).
local function select_is_random()
    local a, b = gort.chan("int64", 1), gort.chan("int64", 1)
    local counts = { 0, 0 }
    for _ = 1, 200 do
        a:try_send(1)
        b:try_send(2)
        local i = gort.select { { "recv", a }, { "recv", b } }
        counts[i] = counts[i] + 1
    end
    tap.ok(counts[1] > 0 and counts[2] > 0, "both ready cases get chosen (" .. counts[1] .. "/" .. counts[2] .. ")")
end

local function select_bad_input()
    local a = gort.chan("int64", 1)
    tap.raises(gort.ETYPE, "table of cases", "select needs a table", gort.select, "x")
    tap.raises(gort.ETYPE, '"send" or "recv"', "an unknown op is refused",
               gort.select, { { "peek", a } })
    tap.raises(gort.ETYPE, "value of case 1", "a wrongly typed send value is refused",
               gort.select, { { "send", a, "str" } })
    tap.raises(gort.ETYPE, "expected a gort.Chan", "a case needs a channel",
               gort.select, { { "recv", {} } })
    tap.raises(gort.ETYPE, "either default or timeout", "default and timeout together are refused",
               gort.select, { { "recv", a }, default = true, timeout = 1 })
    tap.raises(gort.ERANGE, "negative", "a negative timeout is refused",
               gort.select, { { "recv", a }, timeout = -1 })
    a:free()
    tap.raises(gort.EINVAL, "used after free", "a freed channel in a case raises",
               gort.select, { { "recv", a } })
end

local function creation_and_adoption()
    tap.raises(gort.ERANGE, nil, "a negative cap is GORT_ERANGE", gort.chan, "int64", -1)
    tap.raises(gort.ETYPE, "unknown element type", "an unknown element type is refused", gort.chan, "int")
    tap.raises(gort.ETYPE, "cap must be an integer", "a fractional cap is refused", gort.chan, "int64", 1.5)
    tap.raises(gort.ERANGE, "out of range", "a cap past 2^53 is refused before C", gort.chan, "int64", 2 ^ 60)
    tap.raises(gort.EOVERFLOW, nil, "a cap whose buffer exceeds 2^48 bytes is GORT_EOVERFLOW",
               gort.chan, "int64", 2 ^ 50)
    tap.raises(gort.ETYPE, "gort_map * or gort_chan *", "gort.adopt refuses other values",
               gort.adopt, {})
    local ch = gort.chan("str", 2)
    tap.is(ch:elem_type(), "str", "elem_type")
    local raw = ch:handle()
    tap.ok(ffi.istype("gort_chan *", raw), "handle() is the raw gort_chan *")
    local other = gort.adopt(raw, "str")
    other:send("via the adopted object")
    tap.is(ch:recv(), "via the adopted object", "an adopted channel is the same channel")
    tap.raises(gort.ETYPE, "not int64", "adopting with the wrong element type is GORT_ETYPE",
               gort.Chan.adopt, raw, "int64")
    ch:free()
    tap.is(other:try_send("still alive"), true, "the adopted object holds its own reference")
end

buffered_fifo()
close_semantics()
unbuffered_without_partner()
every_element_type()
pollable_fd()
select_cases()
select_is_random()
select_bad_input()
creation_and_adoption()
tap.done()
