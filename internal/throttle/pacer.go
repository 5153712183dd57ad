package throttle

import (
	"context"
	"time"
)

// Pacer spaces out sends so that their bytes average at most a rate per
// second, as the per-consumer fan-out limit (2 MiB/s per shard) requires.
// A send is never split: one larger than the rate goes out, and the next
// waits until the average is back under the rate. A Pacer is used by one
// goroutine.
type Pacer struct {
	rate float64   // bytes per second
	next time.Time // earliest time of the next send
}

// NewPacer returns a pacer for bytesPerSecond.
func NewPacer(bytesPerSecond int) *Pacer { return &Pacer{rate: float64(bytesPerSecond)} }

// Wait blocks until a send of n bytes is allowed, then accounts for it.
func (p *Pacer) Wait(ctx context.Context, n int) error {
	now := time.Now()
	if d := p.next.Sub(now); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		now = p.next
	}
	p.next = now.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	return nil
}
