package consumer

import (
	"math/rand/v2"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// expiry judges which leases have expired from how long this worker has
// seen each lease's counter stand still, so that workers need no common
// clock. It is used by one goroutine.
type expiry struct {
	duration time.Duration
	seen     map[string]sighting
}

// sighting is when a lease's counter was first seen at its value.
type sighting struct {
	counter int64
	since   time.Time
}

func newExpiry(d time.Duration) *expiry {
	return &expiry{duration: d, seen: map[string]sighting{}}
}

// observe records a scan of the table made at now. A lease seen for the
// first time counts as renewed at now if it has an owner: its owner may be
// alive.
func (e *expiry) observe(all []leases.Lease, now time.Time) {
	keep := make(map[string]sighting, len(all))
	for _, l := range all {
		s, ok := e.seen[l.Key]
		if !ok || s.counter != l.Counter {
			s = sighting{counter: l.Counter, since: now}
		}
		keep[l.Key] = s
	}
	e.seen = keep
}

// expired reports whether l is free to take at now: unowned, or its
// counter unchanged for the lease duration.
func (e *expiry) expired(l leases.Lease, now time.Time) bool {
	if l.Owner == "" {
		return true
	}
	s, ok := e.seen[l.Key]
	return !ok || s.counter != l.Counter || now.Sub(s.since) >= e.duration
}

// assignment is the state of the lease table as one worker sees it.
type assignment struct {
	me       string
	all      []leases.Lease
	held     map[string]bool // leases this worker holds
	expired  func(leases.Lease) bool
	maxSteal int
}

// toTake chooses the leases this worker should take, as the KCL does: aim
// for an even share of the unfinished leases among the live workers; fill
// it with expired leases, or, if there are none, steal from the most
// loaded worker when it holds more than its share.
func (a assignment) toTake(rng *rand.Rand) []leases.Lease {
	var free []leases.Lease
	load := map[string]int{a.me: 0}
	active := 0
	for _, l := range a.all {
		if l.Checkpoint.SequenceNumber == leases.ShardEnd {
			continue // finished: nothing left to process
		}
		active++
		switch {
		case a.held[l.Key]:
			load[a.me]++
		case a.expired(l):
			free = append(free, l)
		case l.Owner != a.me:
			load[l.Owner]++
		}
	}
	if active == 0 {
		return nil
	}
	target := (active + len(load) - 1) / len(load)
	need := target - load[a.me]
	if need <= 0 {
		return nil
	}
	if len(free) > 0 {
		rng.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
		return free[:min(need, len(free))]
	}
	return a.steal(rng, load, target, need)
}

// steal picks leases of the most loaded worker: as many as it holds above
// the target, or one if it holds exactly the target and this worker needs
// more than one; at most maxSteal.
func (a assignment) steal(rng *rand.Rand, load map[string]int, target, need int) []leases.Lease {
	victim, most := "", 0
	for w, n := range load {
		if w != a.me && (n > most || n == most && w < victim) {
			victim, most = w, n
		}
	}
	if victim == "" || most < target {
		return nil
	}
	n := min(need, most-target)
	if n == 0 && need > 1 {
		n = 1
	}
	n = min(n, a.maxSteal)
	if n == 0 {
		return nil
	}
	var theirs []leases.Lease
	for _, l := range a.all {
		if l.Owner == victim && l.Checkpoint.SequenceNumber != leases.ShardEnd && !a.expired(l) {
			theirs = append(theirs, l)
		}
	}
	rng.Shuffle(len(theirs), func(i, j int) { theirs[i], theirs[j] = theirs[j], theirs[i] })
	return theirs[:min(n, len(theirs))]
}
