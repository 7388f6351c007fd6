// Go peer: the runtime's own slices, maps and channels (on goroutines). One function per
// workload, registered in `workloads`, mirroring bench_gort.c; the map workloads are in
// maps.go, the channel workloads in chans.go. The driver protocol is documented at the top of run.py:
//
//	bench_go info                    INFO lines, then "WORKLOADS <name>..."
//	bench_go <workload> <n> <reps>   "RESULT <workload> go <v1,...,vreps> <checksum>"
//
// Built with Go's defaults (go build, no flags). Before each repetition, outside the
// timed loop, runtime.GC() collects the previous repetition's garbage, as the other
// implementations free theirs; collections the loop itself triggers are timed.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// sample is one repetition: the figure in the row's unit and a checksum of what was read.
type sample struct {
	value    float64
	checksum uint64
}

type workload struct {
	name string
	run  func(n uint64) (sample, error)
}

var workloads = []workload{
	{"slice_append_int_10m", sliceAppendInt},
	{"slice_append_struct64_1m", sliceAppendStruct64},
	{"map_insert_1m", mapInsert},
	{"map_insert_presized_1m", mapInsertPresized},
	{"map_hit_1m", mapHit},
	{"map_miss_1m", mapMiss},
	{"map_delete_1m", mapDelete},
	{"map_iter_1m", mapIter},
	{"map_hit_1k", mapHit1k},
	{"map_small_churn", mapSmallChurn},
	{"map_str_insert_1m", mapStrInsert},
	{"map_str_lookup_1m", mapStrLookup},
	{"map_mem_1m", mapMem},
	{"chan_spsc_buf1024", chanSPSC},
	{"chan_mpmc_4x4_buf1024", chanMPMC},
	{"chan_unbuf_pingpong", chanPingPong},
	{"chan_select2", chanSelect2},
	{"chan_uncontended_pair", chanUncontendedPair},
}

func nsPerOp(t0 time.Time, ops uint64) float64 {
	if ops == 0 {
		return 0
	}
	return float64(time.Since(t0).Nanoseconds()) / float64(ops) // monotonic reading
}

// sliceAppendInt: s = append(s, int64(i)) for i in [0, n), from a nil slice.
func sliceAppendInt(n uint64) (sample, error) {
	var s []int64
	t0 := time.Now()
	for i := uint64(0); i < n; i++ {
		s = append(s, int64(i))
	}
	value := nsPerOp(t0, n)
	sum := uint64(len(s))
	for _, v := range s {
		sum += uint64(v)
	}
	return sample{value, sum}, nil
}

// struct64 is the 64-byte element; element i holds {i, i+1, ..., i+7}.
type struct64 struct {
	f [8]uint64
}

// sliceAppendStruct64: s = append(s, struct64{i, ..., i+7}) for i in [0, n).
func sliceAppendStruct64(n uint64) (sample, error) {
	var s []struct64
	t0 := time.Now()
	for i := uint64(0); i < n; i++ {
		var e struct64
		for k := range e.f {
			e.f[k] = i + uint64(k)
		}
		s = append(s, e)
	}
	value := nsPerOp(t0, n)
	sum := uint64(len(s))
	for i := range s {
		for _, w := range s[i].f {
			sum += w
		}
	}
	return sample{value, sum}, nil
}

func run(w workload, n, reps uint64) error {
	values := make([]string, 0, reps)
	var checksum uint64
	for r := uint64(1); r <= reps; r++ {
		runtime.GC()
		s, err := w.run(n)
		if err != nil {
			return fmt.Errorf("%s failed in repetition %d: %v", w.name, r, err)
		}
		if r > 1 && s.checksum != checksum {
			return fmt.Errorf("%s: checksum changed between repetitions (%d then %d)",
				w.name, checksum, s.checksum)
		}
		checksum = s.checksum
		values = append(values, strconv.FormatFloat(s.value, 'g', 6, 64))
	}
	fmt.Printf("RESULT %s go %s %d\n", w.name, strings.Join(values, ","), checksum)
	return nil
}

func main() {
	args := os.Args
	if len(args) == 2 && args[1] == "info" {
		fmt.Println("INFO impl go")
		fmt.Printf("INFO runtime %s GOMAXPROCS=%d\n", runtime.Version(), runtime.GOMAXPROCS(0))
		names := make([]string, len(workloads))
		for i, w := range workloads {
			names[i] = w.name
		}
		fmt.Printf("WORKLOADS %s\n", strings.Join(names, " "))
		return
	}
	var n, reps uint64
	var err1, err2 error
	if len(args) == 4 {
		n, err1 = strconv.ParseUint(args[2], 10, 64)
		reps, err2 = strconv.ParseUint(args[3], 10, 64)
	}
	if len(args) != 4 || err1 != nil || err2 != nil || reps < 1 || reps > 1000 {
		fmt.Fprintln(os.Stderr, "usage: bench_go info | bench_go <workload> <n> <reps 1..1000>")
		os.Exit(2)
	}
	for _, w := range workloads {
		if w.name == args[1] {
			if err := run(w, n, reps); err != nil {
				fmt.Fprintf(os.Stderr, "go: %v\n", err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "go: unknown workload '%s'\n", args[1])
	os.Exit(2)
}
