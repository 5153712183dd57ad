package consumer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// Checkpointer records how far a processor has got in its shard, so that
// the shard's next owner resumes after that point. A Checkpointer is
// valid for one processor; its methods are safe for concurrent use.
type Checkpointer struct {
	shardID string
	lease   *heldLease
	now     func() time.Time

	mu      sync.Mutex
	last    leases.Checkpoint // guarded by mu
	largest position          // guarded by mu; the last record delivered
	seen    bool              // guarded by mu; whether largest is set
}

func newCheckpointer(shardID string, lease *heldLease, start leases.Checkpoint, now func() time.Time) *Checkpointer {
	return &Checkpointer{shardID: shardID, lease: lease, last: start, now: now}
}

// delivered notes that records up to p have been handed to the processor.
func (c *Checkpointer) delivered(p position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.largest, c.seen = p, true
}

// Checkpoint records r as the last record processed.
func (c *Checkpointer) Checkpoint(ctx context.Context, r Record) error {
	return c.CheckpointAt(ctx, r.SequenceNumber, r.SubSequenceNumber)
}

// CheckpointAt records the record with this sequence and subsequence
// number as the last processed. The position must be a record delivered
// to this processor, not before the last checkpoint. It returns an error
// wrapping ErrInvalidCheckpoint for a position out of that range and
// ErrLeaseLost if the lease is no longer this worker's.
func (c *Checkpointer) CheckpointAt(ctx context.Context, sequenceNumber string, subSequenceNumber uint64) error {
	p, ok := parsePosition(sequenceNumber, subSequenceNumber)
	if !ok {
		return fmt.Errorf("%w: sequence number %q", ErrInvalidCheckpoint, sequenceNumber)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seen || p.compare(c.largest) > 0 {
		return fmt.Errorf("%w: %s/%d is after the last record delivered", ErrInvalidCheckpoint, sequenceNumber, subSequenceNumber)
	}
	if last, ok := parsePosition(c.last.SequenceNumber, c.last.SubSequenceNumber); ok && p.compare(last) < 0 {
		return fmt.Errorf("%w: %s/%d is before the last checkpoint %s/%d", ErrInvalidCheckpoint,
			sequenceNumber, subSequenceNumber, c.last.SequenceNumber, c.last.SubSequenceNumber)
	}
	cp := leases.Checkpoint{SequenceNumber: sequenceNumber, SubSequenceNumber: subSequenceNumber}
	if err := c.lease.checkpoint(ctx, cp, nil, c.now()); err != nil {
		return fmt.Errorf("consumer: checkpoint %s: %w", c.shardID, err)
	}
	c.last = cp
	return nil
}

// Last returns the last checkpoint written (or, before any, the one
// processing started from).
func (c *Checkpointer) Last() leases.Checkpoint {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// shardEnd checkpoints the shard at SHARD_END, naming its children.
func (c *Checkpointer) shardEnd(ctx context.Context, children []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := leases.Checkpoint{SequenceNumber: leases.ShardEnd}
	if err := c.lease.checkpoint(ctx, cp, children, c.now()); err != nil {
		return fmt.Errorf("consumer: checkpoint %s at shard end: %w", c.shardID, err)
	}
	c.last = cp
	return nil
}
