package producer

import "time"

// bucket is a token bucket refilled continuously at rate tokens per second
// and holding at most one second of them. Time is passed in.
type bucket struct {
	rate   float64 // tokens per second; 0 means unlimited
	tokens float64
	last   time.Time
}

func newBucket(rate int, now time.Time) bucket {
	return bucket{rate: float64(rate), tokens: float64(rate), last: now}
}

func (b *bucket) refill(now time.Time) {
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(b.rate, b.tokens+dt*b.rate)
		b.last = now
	}
}

// allows reports whether n more tokens may be taken at now, after taken
// tokens already counted but not yet taken. A single take larger than the
// bucket waits for a full bucket and leaves it in debt, so that one large
// record is never refused forever.
func (b *bucket) allows(taken, n int, now time.Time) bool {
	if b.rate == 0 {
		return true
	}
	b.refill(now)
	return b.tokens >= b.need(taken, n)
}

func (b *bucket) need(taken, n int) float64 {
	if taken == 0 {
		return min(float64(n), b.rate)
	}
	return float64(taken + n)
}

// take removes n tokens; the caller checked allows.
func (b *bucket) take(n int) {
	if b.rate != 0 {
		b.tokens -= float64(n)
	}
}

// readyAt is when allows(taken, n) will first hold, given no other takes;
// the zero Time if never (taken+n is more than the bucket holds).
func (b *bucket) readyAt(taken, n int, now time.Time) time.Time {
	if b.rate == 0 {
		return now
	}
	b.refill(now)
	need := b.need(taken, n)
	if need > b.rate {
		return time.Time{}
	}
	if need <= b.tokens {
		return now
	}
	return now.Add(time.Duration((need - b.tokens) / b.rate * float64(time.Second)))
}
