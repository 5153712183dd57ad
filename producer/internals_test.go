package producer

import (
	"math/big"
	"testing"
	"time"
)

func TestBucket(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newBucket(100, t0)
	steps := []struct {
		at       time.Duration
		taken, n int
		allows   bool
		take     int
	}{
		{0, 0, 100, true, 100},                   // a full bucket gives its second's worth
		{0, 0, 1, false, 0},                      // then nothing
		{100 * time.Millisecond, 0, 10, true, 0}, // 10 tokens back after 0.1s
		{100 * time.Millisecond, 5, 6, false, 0}, // but not 11 in one call
		{100 * time.Millisecond, 0, 11, false, 10},
		{2 * time.Second, 0, 500, true, 500}, // a take larger than the bucket, from a full bucket
		{3 * time.Second, 0, 1, false, 0},    // leaves debt: 100-500+100 < 1
		{6 * time.Second, 0, 1, false, 0},    // -400 at 2s, 4s of refill: 0
		{7 * time.Second, 0, 100, true, 0},   // repaid and full again
		{7 * time.Second, 50, 51, false, 0},  // counted takes get no large-take pass
		{7 * time.Second, 50, 50, true, 0},
	}
	for i, s := range steps {
		now := t0.Add(s.at)
		if got := b.allows(s.taken, s.n, now); got != s.allows {
			t.Fatalf("step %d: allows(%d, %d) at %v = %v, want %v (tokens %.1f)", i, s.taken, s.n, s.at, got, s.allows, b.tokens)
		}
		if !s.allows && s.taken == 0 {
			later := b // the check at a later time must not move b's clock
			ready := later.readyAt(0, s.n, now)
			if !ready.After(now) || !later.allows(0, s.n, ready.Add(time.Millisecond)) {
				t.Fatalf("step %d: readyAt = %v, which does not allow the take", i, ready.Sub(t0))
			}
		}
		if s.take > 0 {
			b.take(s.take)
		}
	}
	unlimited := newBucket(0, t0)
	if !unlimited.allows(1<<30, 1<<30, t0) || !unlimited.readyAt(0, 1<<30, t0).Equal(t0) {
		t.Error("a rate of 0 must not limit")
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 2*time.Second
	for attempt, want := range map[int]time.Duration{1: lo, 2: 2 * lo, 3: 4 * lo, 5: 1600 * time.Millisecond, 6: hi, 100: hi} {
		for range 50 {
			if d := backoff(attempt, lo, hi); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
}

func TestDeque(t *testing.T) {
	var d deque[int]
	var model []int
	for i := range 100 {
		switch i % 5 {
		case 0, 1, 2:
			d.pushBack(i)
			model = append(model, i)
		case 3:
			d.pushFront(i)
			model = append([]int{i}, model...)
		case 4:
			if got := d.popFront(); got != model[0] {
				t.Fatalf("popFront = %d, want %d", got, model[0])
			}
			model = model[1:]
		}
		if d.len() != len(model) {
			t.Fatalf("len = %d, want %d", d.len(), len(model))
		}
		for j, v := range model {
			if d.at(j) != v {
				t.Fatalf("at(%d) = %d, want %d", j, d.at(j), v)
			}
		}
	}
}

func TestLookup(t *testing.T) {
	shards := evenShards(3, 0)
	key := func(s string) hashKey {
		n, _ := new(big.Int).SetString(s, 10)
		var k hashKey
		n.FillBytes(k[:])
		return k
	}
	third := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(3))
	tests := []struct {
		key  string
		want int
	}{
		{"0", 0},
		{new(big.Int).Sub(third, big.NewInt(1)).String(), 0},
		{third.String(), 1},
		{new(big.Int).Add(third, big.NewInt(1)).String(), 1},
		{new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)).String(), 2},
	}
	for _, tt := range tests {
		if got := lookup(shards, key(tt.key)); got != tt.want {
			t.Errorf("lookup(%s) = %d, want %d", tt.key, got, tt.want)
		}
	}
}
