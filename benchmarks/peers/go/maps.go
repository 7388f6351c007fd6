// Map workloads of the Go peer: Go's built-in map (this toolchain's runtime: Go 1.19's
// bucket map, eight slots per bucket plus overflow buckets, not the swiss tables of Go
// 1.24 that libgort follows), on the same inputs as bench_common.h, mirrored exactly
// here: keys[i] is the i-th splitmix64 output seeded with 42 and maps to i; misses are
// the next n outputs; the shuffled order is Fisher-Yates over [0, n) driven by
// splitmix64 seeded with 7; string keys are the 16-digit lowercase hex of the keys.
package main

import (
	"fmt"
	"runtime"
	"strconv"
	"time"
)

const (
	keySeed     = 42
	shuffleSeed = 7
	hit1kKeys   = 1000 // map_hit_1k: map size; n is the number of lookups
	churnPool   = 4096 // map_small_churn: map i uses keys[(8 i) % 4096 ...+8)
	churnKeys   = 8
)

func splitmix64(state *uint64) uint64 {
	*state += 0x9e3779b97f4a7c15
	z := *state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// mapInput mirrors bench_map_input (bench_common.h).
type mapInput struct {
	n        uint64
	keys     []uint64
	misses   []uint64
	perm     []uint64
	shuffled []uint64
	hex      []string // made on first use by hexKeys
}

var cachedInput *mapInput

// getInput returns the inputs for n keys, generated once per process (a process runs one
// workload, so one n).
func getInput(n uint64) *mapInput {
	if cachedInput != nil && cachedInput.n == n {
		return cachedInput
	}
	in := &mapInput{n: n, keys: make([]uint64, n), misses: make([]uint64, n),
		perm: make([]uint64, n), shuffled: make([]uint64, n)}
	state := uint64(keySeed)
	for i := range in.keys {
		in.keys[i] = splitmix64(&state)
	}
	for i := range in.misses {
		in.misses[i] = splitmix64(&state)
	}
	for i := range in.perm {
		in.perm[i] = uint64(i)
	}
	state = shuffleSeed
	for i := n - 1; n > 0 && i > 0; i-- {
		j := splitmix64(&state) % (i + 1)
		in.perm[i], in.perm[j] = in.perm[j], in.perm[i]
	}
	for j, p := range in.perm {
		in.shuffled[j] = in.keys[p]
	}
	cachedInput = in
	return in
}

func (in *mapInput) hexKeys() []string {
	if in.hex == nil {
		in.hex = make([]string, in.n)
		for i, k := range in.keys {
			in.hex[i] = fmt.Sprintf("%016x", k)
		}
	}
	return in.hex
}

// fill sets m[keys[i]] = i for i in [0, len(keys)).
func fill(m map[uint64]uint64, keys []uint64) {
	for i, k := range keys {
		m[k] = uint64(i)
	}
}

func filled(keys []uint64) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	fill(m, keys)
	return m
}

// checksumEntries is the untimed read-back of the u64 insert and memory rows:
// len + sum of (key + value).
func checksumEntries(m map[uint64]uint64) uint64 {
	sum := uint64(len(m))
	for k, v := range m {
		sum += k + v
	}
	return sum
}

// mapInsertHinted: map_insert_1m (hint 0) / map_insert_presized_1m (make(map, n)).
func mapInsertHinted(n uint64, hint int) (sample, error) {
	in := getInput(n)
	runtime.GC() // the inputs are fresh garbage-free data; start from a collected heap
	m := make(map[uint64]uint64, hint)
	t0 := time.Now()
	fill(m, in.keys)
	value := nsPerOp(t0, n)
	return sample{value, checksumEntries(m)}, nil
}

func mapInsert(n uint64) (sample, error)         { return mapInsertHinted(n, 0) }
func mapInsertPresized(n uint64) (sample, error) { return mapInsertHinted(n, int(n)) }

// lookupAll looks keys up in m: the number found and the sum of the values read (the
// zero value when absent).
func lookupAll(m map[uint64]uint64, keys []uint64) (found, sum uint64) {
	for _, k := range keys {
		v, ok := m[k]
		if ok {
			found++
		}
		sum += v
	}
	return found, sum
}

// mapLookupRow: map_hit_1m (present) / map_miss_1m, as in bench_gort.c.
func mapLookupRow(n uint64, present bool) (sample, error) {
	in := getInput(n)
	m := filled(in.keys)
	probe := in.misses
	if present {
		probe = in.shuffled
	}
	runtime.GC()
	t0 := time.Now()
	found, sum := lookupAll(m, probe)
	value := nsPerOp(t0, n)
	if !present {
		readback, keySum := lookupAll(m, in.keys) // untimed: the map still finds its keys
		found = n - found + readback
		sum += keySum
	}
	return sample{value, found + sum}, nil
}

func mapHit(n uint64) (sample, error)  { return mapLookupRow(n, true) }
func mapMiss(n uint64) (sample, error) { return mapLookupRow(n, false) }

// mapDelete: delete every key in shuffled order; checksum = len before - len after +
// keys not found (and values read) by an untimed read-back.
func mapDelete(n uint64) (sample, error) {
	in := getInput(n)
	m := filled(in.keys)
	lenBefore := len(m)
	runtime.GC()
	t0 := time.Now()
	for _, k := range in.shuffled {
		delete(m, k)
	}
	value := nsPerOp(t0, n)
	left, sum := lookupAll(m, in.keys)
	return sample{value, uint64(lenBefore-len(m)) + (n - left) + sum}, nil
}

// mapIter: for _, v := range m { sum += v }; checksum = entries + sum.
func mapIter(n uint64) (sample, error) {
	in := getInput(n)
	m := filled(in.keys)
	runtime.GC()
	var count, sum uint64
	t0 := time.Now()
	for _, v := range m {
		sum += v
		count++
	}
	value := nsPerOp(t0, count)
	return sample{value, count + sum}, nil
}

// mapHit1k: a 1,000-key map; n lookups cycling through its keys in shuffled order.
func mapHit1k(n uint64) (sample, error) {
	in := getInput(hit1kKeys)
	m := filled(in.keys)
	runtime.GC()
	var found, sum uint64
	next := 0
	t0 := time.Now()
	for j := uint64(0); j < n; j++ {
		v, ok := m[in.shuffled[next]]
		if ok {
			found++
		}
		sum += v
		if next++; next == hit1kKeys {
			next = 0
		}
	}
	value := nsPerOp(t0, n)
	return sample{value, found + sum}, nil
}

// churnOne is one map of map_small_churn: make, insert pool[base+t] -> base+t (t < 8),
// look the 8 keys up, drop. The map does not escape, so the compiler may place its
// header and first bucket on the stack (Go's own optimisation, kept).
func churnOne(pool []uint64, base uint64) (found, sum uint64) {
	m := make(map[uint64]uint64)
	for idx := base; idx < base+churnKeys; idx++ {
		m[pool[idx]] = idx
	}
	return lookupAll(m, pool[base:base+churnKeys])
}

// mapSmallChurn: n x (create map, insert 8 keys, look up 8, destroy).
func mapSmallChurn(n uint64) (sample, error) {
	pool := getInput(churnPool).keys
	var found, sum uint64
	t0 := time.Now()
	for i := uint64(0); i < n; i++ {
		f, s := churnOne(pool, (i*churnKeys)%churnPool)
		found += f
		sum += s
	}
	value := nsPerOp(t0, n)
	return sample{value, found + sum}, nil
}

// strChecksum is the untimed read-back of the str insert row: len + sum of (key parsed
// as hex + value).
func strChecksum(m map[string]uint64) (uint64, error) {
	sum := uint64(len(m))
	for k, v := range m {
		parsed, err := strconv.ParseUint(k, 16, 64)
		if err != nil {
			return 0, err
		}
		sum += parsed + v
	}
	return sum, nil
}

// mapStrRow: map_str_insert_1m (lookup false): m[hex[i]] = i into an empty map (Go stores
// the string header; its immutable bytes are shared, not copied); map_str_lookup_1m
// (lookup true): then look every key up in shuffled order.
func mapStrRow(n uint64, lookup bool) (sample, error) {
	in := getInput(n)
	hex := in.hexKeys()
	shuffled := make([]string, n)
	for j, p := range in.perm {
		shuffled[j] = hex[p]
	}
	m := make(map[string]uint64)
	runtime.GC()
	t0 := time.Now()
	for i, k := range hex {
		m[k] = uint64(i)
	}
	value := nsPerOp(t0, n)
	if !lookup {
		checksum, err := strChecksum(m)
		return sample{value, checksum}, err
	}
	runtime.GC()
	var found, sum uint64
	t0 = time.Now()
	for _, k := range shuffled {
		v, ok := m[k]
		if ok {
			found++
		}
		sum += v
	}
	value = nsPerOp(t0, n)
	return sample{value, found + sum}, nil
}

func mapStrInsert(n uint64) (sample, error) { return mapStrRow(n, false) }
func mapStrLookup(n uint64) (sample, error) { return mapStrRow(n, true) }

func heapAllocAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// mapMem: bytes per entry of a map of n entries inserted with no hint: the growth of
// HeapAlloc (live heap bytes after a full collection) across building it.
func mapMem(n uint64) (sample, error) {
	in := getInput(n)
	before := heapAllocAfterGC()
	m := filled(in.keys)
	after := heapAllocAfterGC()
	value := 0.0
	if n > 0 {
		value = float64(int64(after-before)) / float64(n)
	}
	checksum := checksumEntries(m) // also keeps m alive across the second reading
	runtime.KeepAlive(m)
	return sample{value, checksum}, nil
}
