package consumer

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// table builds leases from owner names; "-" is unowned, a "!" suffix
// marks an expired lease and "$" a finished one.
func table(owners ...string) ([]leases.Lease, map[string]bool) {
	var all []leases.Lease
	expired := map[string]bool{}
	for i, o := range owners {
		l := leases.Lease{Key: fmt.Sprintf("shardId-%012d", i), Checkpoint: leases.Checkpoint{SequenceNumber: leases.TrimHorizon}}
		switch {
		case o == "-":
		case o[len(o)-1] == '!':
			l.Owner, expired[l.Key] = o[:len(o)-1], true
		case o[len(o)-1] == '$':
			l.Owner, l.Checkpoint.SequenceNumber = o[:len(o)-1], leases.ShardEnd
		default:
			l.Owner = o
		}
		all = append(all, l)
	}
	return all, expired
}

func TestToTake(t *testing.T) {
	tests := []struct {
		name     string
		owners   []string
		maxSteal int
		want     int    // leases to take
		from     string // owner they are taken from ("" for unowned or mixed)
	}{
		{"empty table", nil, 1, 0, ""},
		{"alone takes all", []string{"-", "-", "-", "-"}, 1, 4, ""},
		{"fair share of free leases", []string{"a", "a", "-", "-"}, 1, 2, ""},
		{"expired leases first", []string{"a", "b!", "b!", "a"}, 1, 2, "b"},
		{"balanced: nothing", []string{"a", "a", "me", "me"}, 1, 0, ""},
		{"steal one from the most loaded", []string{"a", "a", "a", "a", "b", "b"}, 1, 1, "a"},
		{"steal up to maxSteal", []string{"a", "a", "a", "a", "a", "a"}, 5, 3, "a"},
		{"no steal at target when one short", []string{"a", "a", "b", "b", "me"}, 1, 0, ""},
		{"steal one at target when two short", []string{"a", "a", "a", "b", "b", "b"}, 1, 1, ""},
		{"finished leases do not count", []string{"a$", "a$", "a$", "a", "-"}, 1, 1, ""},
		{"mine count toward my share", []string{"me", "me", "a", "-"}, 1, 0, ""},
		{"dead worker's leases do not make it live", []string{"a!", "a!", "me"}, 1, 2, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, expired := table(tt.owners...)
			held := map[string]bool{}
			for _, l := range all {
				if l.Owner == "me" {
					held[l.Key] = true
				}
			}
			a := assignment{me: "me", all: all, held: held, maxSteal: tt.maxSteal,
				expired: func(l leases.Lease) bool { return l.Owner == "" || expired[l.Key] }}
			got := a.toTake(rand.New(rand.NewPCG(1, 2)))
			if len(got) != tt.want {
				t.Fatalf("took %d leases %v, want %d", len(got), got, tt.want)
			}
			for _, l := range got {
				if held[l.Key] || l.Checkpoint.SequenceNumber == leases.ShardEnd {
					t.Errorf("took %s, held or finished", l.Key)
				}
				if tt.from != "" && l.Owner != tt.from {
					t.Errorf("took %s from %q, want from %q", l.Key, l.Owner, tt.from)
				}
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	e := newExpiry(time.Second)
	owned := leases.Lease{Key: "a", Owner: "w", Counter: 5}
	free := leases.Lease{Key: "b", Counter: 2}
	e.observe([]leases.Lease{owned, free}, t0)
	steps := []struct {
		at      time.Duration
		counter int64
		want    bool
	}{
		{0, 5, false},                       // first sight of an owned lease: alive
		{999 * time.Millisecond, 5, false},  // not yet a lease duration
		{1000 * time.Millisecond, 5, true},  // counter still for a duration
		{1100 * time.Millisecond, 6, false}, // renewed: alive again
		{2000 * time.Millisecond, 6, false},
		{2100 * time.Millisecond, 6, true},
	}
	for _, s := range steps {
		owned.Counter = s.counter
		now := t0.Add(s.at)
		e.observe([]leases.Lease{owned, free}, now)
		if got := e.expired(owned, now); got != s.want {
			t.Errorf("at %v counter %d: expired = %v, want %v", s.at, s.counter, got, s.want)
		}
		if !e.expired(free, now) {
			t.Errorf("at %v: an unowned lease is not free", s.at)
		}
	}
}

func TestPositionCompare(t *testing.T) {
	tests := []struct {
		a, b       string
		asub, bsub uint64
		want       int
	}{
		{"100", "100", 0, 0, 0},
		{"100", "100", 1, 0, 1},
		{"99", "100", 5, 0, -1},
		{"49646437577219980142909529521584382901372494361638469714", "49646437577219980142909529521584382901372494361638469715", 0, 0, -1},
	}
	for _, tt := range tests {
		a, _ := parsePosition(tt.a, tt.asub)
		b, _ := parsePosition(tt.b, tt.bsub)
		if got := a.compare(b); got != tt.want {
			t.Errorf("compare(%s/%d, %s/%d) = %d, want %d", tt.a, tt.asub, tt.b, tt.bsub, got, tt.want)
		}
	}
	for _, bad := range []string{"", "TRIM_HORIZON", "-1", "12a"} {
		if _, ok := parsePosition(bad, 0); ok {
			t.Errorf("parsePosition(%q) accepted", bad)
		}
	}
}
