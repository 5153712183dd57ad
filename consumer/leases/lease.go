package leases

import (
	"context"
	"errors"
	"slices"
)

// Errors returned by Stores.
var (
	// ErrConflict means the lease changed since the version the caller
	// holds: another worker took it, or it was renewed or released.
	ErrConflict = errors.New("leases: lease changed by another writer")
	// ErrNotFound means no lease has the key.
	ErrNotFound = errors.New("leases: lease not found")
)

// Checkpoint sentinels: a checkpoint's SequenceNumber is a sequence number
// of the shard or one of these.
const (
	// TrimHorizon, Latest and AtTimestamp mark a shard with no progress yet,
	// to be read from that position.
	TrimHorizon = "TRIM_HORIZON"
	Latest      = "LATEST"
	AtTimestamp = "AT_TIMESTAMP"
	// ShardEnd marks a closed shard read and processed to its end.
	ShardEnd = "SHARD_END"
)

// Checkpoint is a position in a shard: the last record processed, named by
// its sequence number and, for a record of a KPL aggregate, the index of
// the user record within it.
type Checkpoint struct {
	SequenceNumber    string
	SubSequenceNumber uint64
}

// IsSentinel reports whether the checkpoint is one of the sentinels rather
// than a record's position.
func (c Checkpoint) IsSentinel() bool {
	switch c.SequenceNumber {
	case TrimHorizon, Latest, AtTimestamp, ShardEnd:
		return true
	}
	return false
}

// Lease is one shard's entry in the lease table.
type Lease struct {
	// Key is the shard ID.
	Key string
	// Owner is the worker holding the lease; empty when no one does.
	Owner string
	// Counter increases with every write to the lease.
	Counter int64
	// OwnerSwitchesSinceCheckpoint counts takes since the last checkpoint.
	OwnerSwitchesSinceCheckpoint int64
	Checkpoint                   Checkpoint
	// ParentShardIDs are the shards that must be processed to their end
	// before this one starts (two for a merge, one for a split).
	ParentShardIDs []string
	// ChildShardIDs are set when the shard has been processed to its end.
	ChildShardIDs []string
	// StartingHashKey and EndingHashKey are the shard's hash key range, as
	// decimal strings.
	StartingHashKey, EndingHashKey string
}

// Clone returns a copy of l that shares no memory with it.
func (l Lease) Clone() Lease {
	l.ParentShardIDs = slices.Clone(l.ParentShardIDs)
	l.ChildShardIDs = slices.Clone(l.ChildShardIDs)
	return l
}

// A Store is a lease table. Its methods are safe for concurrent use.
//
// The methods that change a lease take the version the caller read or last
// wrote and succeed only if the stored lease still has that version's
// Counter (and, for Renew, Checkpoint and Release, its Owner); otherwise
// they return an error wrapping ErrConflict and change nothing. On success
// they return the new version, whose Counter is one more.
type Store interface {
	// Create stores l if no lease has its key, and reports whether it did.
	Create(ctx context.Context, l Lease) (bool, error)
	// Get returns the lease with the key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) (Lease, error)
	// List returns every lease, read consistently with earlier writes.
	List(ctx context.Context) ([]Lease, error)
	// Take makes owner the owner of l, whoever owned it before, and
	// increments OwnerSwitchesSinceCheckpoint.
	Take(ctx context.Context, l Lease, owner string) (Lease, error)
	// Renew bumps the counter of a lease its owner holds.
	Renew(ctx context.Context, l Lease) (Lease, error)
	// Checkpoint writes l.Checkpoint and l.ChildShardIDs and resets
	// OwnerSwitchesSinceCheckpoint.
	Checkpoint(ctx context.Context, l Lease) (Lease, error)
	// Release gives the lease up: its owner becomes empty, so that any
	// worker may take it at once.
	Release(ctx context.Context, l Lease) (Lease, error)
	// Delete removes the lease.
	Delete(ctx context.Context, l Lease) error
}
