package consumer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// Errors returned by Checkpointer and Run.
var (
	// ErrLeaseLost means another worker has taken the shard's lease (or
	// this worker could not renew it in time): the write was not made.
	ErrLeaseLost = errors.New("consumer: lease lost")
	// ErrInvalidCheckpoint means a checkpoint names a position before the
	// last checkpoint or after the last record delivered.
	ErrInvalidCheckpoint = errors.New("consumer: invalid checkpoint")
	// ErrRunning means Run was called on a consumer already running.
	ErrRunning = errors.New("consumer: already running")
)

// heldLease is this worker's copy of a lease it owns. Renewals and
// checkpoints go through it one at a time, so that each write carries the
// counter of the one before.
type heldLease struct {
	store  leases.Store
	onLost func() // called once, when the lease is found lost; must not block

	mu      sync.Mutex
	lease   leases.Lease // guarded by mu
	renewed time.Time    // guarded by mu; time of the last successful write
	lost    bool         // guarded by mu
}

func newHeldLease(store leases.Store, l leases.Lease, now time.Time, onLost func()) *heldLease {
	return &heldLease{store: store, lease: l, renewed: now, onLost: onLost}
}

func (h *heldLease) snapshot() leases.Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease.Clone()
}

// renew bumps the lease's counter. A lease it cannot renew within
// duration of the last success is given up as lost: by then another
// worker may have taken it.
func (h *heldLease) renew(ctx context.Context, now time.Time, duration time.Duration) error {
	return h.write(ctx, func(l leases.Lease) (leases.Lease, error) {
		nl, err := h.store.Renew(ctx, l)
		if err != nil && !errors.Is(err, leases.ErrConflict) && now.Sub(h.renewed) >= duration {
			return nl, fmt.Errorf("%w: not renewed for %v: %w", leases.ErrConflict, now.Sub(h.renewed), err)
		}
		return nl, err
	}, now)
}

// checkpoint records cp (and, at a shard's end, its children).
func (h *heldLease) checkpoint(ctx context.Context, cp leases.Checkpoint, children []string, now time.Time) error {
	return h.write(ctx, func(l leases.Lease) (leases.Lease, error) {
		l.Checkpoint = cp
		l.ChildShardIDs = children
		return h.store.Checkpoint(ctx, l)
	}, now)
}

// release gives the lease up. After it the lease is no longer held.
func (h *heldLease) release(ctx context.Context, now time.Time) error {
	err := h.write(ctx, func(l leases.Lease) (leases.Lease, error) { return h.store.Release(ctx, l) }, now)
	h.mu.Lock()
	h.lost = true // released: no further writes
	h.mu.Unlock()
	return err
}

// write applies one conditional write to the lease. A conflict marks the
// lease lost and reports it.
func (h *heldLease) write(ctx context.Context, do func(leases.Lease) (leases.Lease, error), now time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost {
		return ErrLeaseLost
	}
	nl, err := do(h.lease.Clone())
	switch {
	case errors.Is(err, leases.ErrConflict):
		h.lost = true
		h.onLost() // it only cancels a context: safe under h.mu
		return fmt.Errorf("%w: %s: %w", ErrLeaseLost, h.lease.Key, err)
	case err != nil:
		return err
	}
	h.lease, h.renewed = nl, now
	return nil
}
