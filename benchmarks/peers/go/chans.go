// Channel workloads of the Go peer: Go's own channels and select, on goroutines (the
// runtime's M:N scheduler, GOMAXPROCS = the CPU count), not on OS threads — the driver
// prints that beside every Go channel figure.
//
// The scheme mirrors bench_chan.h exactly: messages are uint64; producer p of P sends p,
// p + P, p + 2P, ... below n in increasing order; every receiver keeps a tally (count,
// wrapping sum, values out of per-producer order), and the merged tallies must give count
// n, sum n (n - 1) / 2 and no disorder; the checksum is count + sum. The goroutines are
// started before the clock starts and released together (close of a start channel); the
// clock stops once all of them are done. The main goroutine closes the channel once the
// producers are done; the consumers range over it.
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const (
	chanMaxProducers = 4    // values' low 2 bits name the producer
	chanCap          = 1024 // chan_spsc_buf1024, chan_mpmc_4x4_buf1024, chan_uncontended_pair
	chanSelectCap    = 128  // chan_select2: each of the 2 channels
)

// tally is what one receiver got (bench_chan.h's bench_tally). mask = producers - 1.
type tally struct {
	count, sum, disorder uint64
	next                 [chanMaxProducers]uint64 // least value still allowed, per producer
}

func (t *tally) add(v, mask uint64) {
	p := v & mask & (chanMaxProducers - 1)
	if v < t.next[p] {
		t.disorder++
	}
	t.next[p] = v + 1
	t.count++
	t.sum += v
}

// chanCheck merges the tallies, checks them against the n messages 0..n-1 and makes the
// sample.
func chanCheck(tallies []tally, n uint64, elapsed time.Duration) (sample, error) {
	var count, sum, disorder uint64
	for i := range tallies {
		count += tallies[i].count
		sum += tallies[i].sum
		disorder += tallies[i].disorder
	}
	var wantSum uint64
	if n%2 == 0 {
		wantSum = (n / 2) * (n - 1)
	} else {
		wantSum = n * ((n - 1) / 2)
	}
	if count != n || sum != wantSum || disorder != 0 {
		return sample{}, fmt.Errorf("received %d messages summing to %d (%d out of order); "+
			"sent %d summing to %d", count, sum, disorder, n, wantSum)
	}
	value := 0.0
	if n > 0 {
		value = float64(elapsed.Nanoseconds()) / float64(n)
	}
	return sample{value, count + sum}, nil
}

func chanDie(what string) {
	fmt.Fprintf(os.Stderr, "go: %s\n", what)
	os.Exit(1)
}

// runTeam is bench_team_run: every producer and consumer on its own goroutine, released
// together; closeFn runs once the producers are done. Each worker fills its own tally
// (producers that only send leave theirs empty), a variable of its goroutine's that
// shares no cache line with another worker's (as in the C and Rust programs), copied into
// the result when it is done. Returns the tallies and the time from the release to the
// last consumer's end.
func runTeam(producers, consumers []func(*tally), closeFn func()) ([]tally, time.Duration) {
	tallies := make([]tally, len(producers)+len(consumers))
	var ready, pDone, cDone sync.WaitGroup
	start := make(chan struct{})
	spawn := func(w func(*tally), result *tally, done *sync.WaitGroup) {
		ready.Add(1)
		done.Add(1)
		go func() {
			ready.Done()
			<-start
			var t tally // escapes to its own 64-byte heap object: w is not known here
			w(&t)
			*result = t
			done.Done()
		}()
	}
	for i, w := range producers {
		spawn(w, &tallies[i], &pDone)
	}
	for i, w := range consumers {
		spawn(w, &tallies[len(producers)+i], &cDone)
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	pDone.Wait()
	if closeFn != nil {
		closeFn()
	}
	cDone.Wait()
	return tallies, time.Since(t0)
}

// produce is producer `first` of `step`: c <- first, first + step, ... below n.
func produce(c chan<- uint64, first, step, n uint64) func(*tally) {
	return func(*tally) {
		for v := first; v < n; v += step {
			c <- v
		}
	}
}

// chanTeam: np producers and nc consumers on one channel of capacity chanCap.
func chanTeam(n, np uint64, nc int) (sample, error) {
	c := make(chan uint64, chanCap)
	var producers, consumers []func(*tally)
	for p := uint64(0); p < np; p++ {
		producers = append(producers, produce(c, p, np, n))
	}
	for i := 0; i < nc; i++ {
		consumers = append(consumers, func(t *tally) {
			for v := range c {
				t.add(v, np-1)
			}
		})
	}
	tallies, elapsed := runTeam(producers, consumers, func() { close(c) })
	return chanCheck(tallies, n, elapsed)
}

func chanSPSC(n uint64) (sample, error) {
	return chanTeam(n, 1, 1)
}

func chanMPMC(n uint64) (sample, error) {
	return chanTeam(n, 4, 4)
}

// chanPingPong: two unbuffered channels; the pinger sends i and waits for it back, the
// ponger echoes n values.
func chanPingPong(n uint64) (sample, error) {
	ping, pong := make(chan uint64), make(chan uint64)
	pinger := func(t *tally) {
		for i := uint64(0); i < n; i++ {
			ping <- i
			v := <-pong
			if v != i {
				chanDie("ping-pong: wrong value back")
			}
			t.add(v, 0)
		}
	}
	ponger := func(*tally) {
		for i := uint64(0); i < n; i++ {
			pong <- <-ping
		}
	}
	tallies, elapsed := runTeam([]func(*tally){pinger}, []func(*tally){ponger}, nil)
	return chanCheck(tallies, n, elapsed)
}

// chanSelect2: producers 0 and 1 feed two channels of capacity 128; one consumer selects
// over both receives until both are closed and drained, setting a closed one to nil.
func chanSelect2(n uint64) (sample, error) {
	c0, c1 := make(chan uint64, chanSelectCap), make(chan uint64, chanSelectCap)
	consumer := func(t *tally) {
		r0, r1 := c0, c1
		for r0 != nil || r1 != nil {
			select {
			case v, ok := <-r0:
				if !ok {
					r0 = nil
					continue
				}
				t.add(v, 1)
			case v, ok := <-r1:
				if !ok {
					r1 = nil
					continue
				}
				t.add(v, 1)
			}
		}
	}
	tallies, elapsed := runTeam([]func(*tally){produce(c0, 0, 2, n), produce(c1, 1, 2, n)},
		[]func(*tally){consumer}, func() { close(c0); close(c1) })
	return chanCheck(tallies, n, elapsed)
}

// chanUncontendedPair: one goroutine, capacity 1024, n x (non-blocking send i;
// non-blocking receive), i.e. select with a default case; each must succeed and give i
// back.
func chanUncontendedPair(n uint64) (sample, error) {
	c := make(chan uint64, chanCap)
	var t tally
	t0 := time.Now()
	for i := uint64(0); i < n; i++ {
		select {
		case c <- i:
		default:
			return sample{}, fmt.Errorf("non-blocking send failed at message %d", i)
		}
		select {
		case v := <-c:
			if v != i {
				return sample{}, fmt.Errorf("got %d back for message %d", v, i)
			}
			t.add(v, 0)
		default:
			return sample{}, fmt.Errorf("non-blocking receive failed at message %d", i)
		}
	}
	elapsed := time.Since(t0)
	return chanCheck([]tally{t}, n, elapsed)
}
