-- A realistic program: worker C threads split a text into words and send them through
-- str channels; Lua fans them in with gort.select and counts them in a gort Map<str,int64>.
-- The result must equal a plain Lua-table count of the same text.
local tap = dofile(arg[0]:match("^(.-)[^/]*$") .. "tap.lua")
local gort = require "gort"
local cthreads = dofile(tap.binding_dir .. "/tests/cthreads.lua")

-- The vocabulary includes the names of Map functions: in a map they are keys like any other.
local vocabulary = { "len", "free", "pairs", "get", "set", "handle", "clear", "the", "a",
                     "gopher", "channel", "select", "map", "slice", "Lua", "C", "naïve",
                     "x\1y", "--", "3.14", "nil", "true" }
for i = 1, 2000 do
    vocabulary[#vocabulary + 1] = "word" .. i
end

-- A deterministic text with a skewed word distribution (a few words very common, as in
-- prose) and varied whitespace between words.
local function make_text(words)
    local state = 12345
    local function random() -- a 31-bit LCG, exact in doubles
        state = (state * 1103515245 + 12345) % 2147483648
        return state / 2147483648
    end
    local separators = { " ", " ", " ", "\n", "\t", "  ", "\r\n" }
    local parts = {}
    for i = 1, words do
        parts[#parts + 1] = vocabulary[math.floor(random() ^ 3 * #vocabulary) + 1]
        parts[#parts + 1] = separators[i % #separators + 1]
    end
    return table.concat(parts)
end

-- Cuts text into n pieces at whitespace, so no word is split between workers.
local function split(text, n)
    local pieces, start = {}, 1
    for i = 1, n - 1 do
        local cut = text:find("%s", math.floor(#text * i / n)) or #text
        pieces[i] = text:sub(start, cut)
        start = cut + 1
    end
    pieces[n] = text:sub(start)
    return pieces
end

local function count_with_gort(pieces)
    local counts = gort.map("str", "int64")
    local cases, threads = {}, {}
    for i, piece in ipairs(pieces) do
        local ch = gort.chan("str", 256)
        cases[i] = { "recv", ch }
        threads[i] = cthreads.produce_words(ch, piece, true)
    end
    local open = #cases
    while open > 0 do
        local i, word, ok = gort.select(cases)
        if ok then
            counts[word] = (counts[word] or 0) + 1
        else
            cases[i][2] = nil -- this worker is done
            open = open - 1
        end
    end
    local sent, letters = 0, 0
    for _, thread in ipairs(threads) do
        local status, count, sum = cthreads.join(thread)
        tap.is(status, gort.OK, "a word worker finished cleanly")
        sent, letters = sent + count, letters + sum
    end
    return counts, sent, letters
end

local function count_with_lua(text)
    local counts, words, letters = {}, 0, 0
    for word in text:gmatch("%S+") do
        counts[word] = (counts[word] or 0) + 1
        words, letters = words + 1, letters + #word
    end
    return counts, words, letters
end

local text = make_text(200000)
local expected, words, letters = count_with_lua(text)
local start_blocks = gort.heap_stats().live_blocks
local counts, sent, sent_letters = count_with_gort(split(text, 4))

tap.is(sent, words, "the workers sent every word of the text (" .. words .. ")")
tap.is(sent_letters, letters, "and the same letters")
local total = 0
for _, n in gort.pairs(counts) do
    total = total + n
end
tap.is(total, words, "the gort map counted every word")
local distinct = 0
for _ in pairs(expected) do
    distinct = distinct + 1
end
tap.is(#counts, distinct, "it has one entry per distinct word (" .. distinct .. ")")
tap.same(gort.Map.totable(counts), expected, "every count equals the Lua table's")
tap.is(counts.len, expected.len, 'the word "len" was counted like any other')
tap.ok(counts.len > 1000, "and it is a common word here (" .. counts.len .. ")")
gort.Map.free(counts)
collectgarbage()
collectgarbage()
tap.is(gort.heap_stats().live_blocks, start_blocks, "everything is freed afterwards")
tap.done()
