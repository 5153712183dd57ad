package consumer

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
)

// batch is what one read of a shard returned.
type batch struct {
	records            []types.Record
	millisBehindLatest int64
	// end is set when the shard has been read to its end; children then
	// lists its child shards.
	end      bool
	children []types.ChildShard
}

// A fetcher reads one shard, batch after batch, from a start position.
// It retries what can be retried (throttling, expired iterators, dropped
// subscriptions) and returns an error only when ctx ends or the shard
// cannot be read.
type fetcher interface {
	next(ctx context.Context) (batch, error)
	close()
}

// backoff is a capped exponential delay with jitter.
type backoff struct {
	base, max, cur time.Duration
}

// next returns the delay to wait before the next attempt.
func (b *backoff) next() time.Duration {
	b.cur = min(max(b.cur*2, b.base), b.max)
	return b.cur/2 + rand.N(b.cur/2+1)
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits for d or until ctx ends, and reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
