// Package storage defines the seam between the Kinesis API layer and the
// engines that keep records and stream metadata.
//
// The API layer owns everything Kinesis-specific (streams, hash ranges,
// sequence-number layout, iterators, retention policy). An engine only
// keeps, per shard, an append-only log of records addressed by a dense
// 64-bit index, plus one opaque metadata document. That keeps the
// interface narrow enough for a second, scale-out engine (object storage
// plus a database) to implement it without touching the API layer.
//
// Engines in this repository:
//   - memstore: everything in memory (runnel serve --in-memory, fast tests).
//   - logstore: durable segment files on local disk (the default).
package storage

import (
	"context"
	"errors"
)

// Sentinel errors. Engines wrap them with %w; callers match with errors.Is.
var (
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("storage: engine closed")
	// ErrShardNotFound is returned when a shard has no log (never
	// created, or deleted).
	ErrShardNotFound = errors.New("storage: shard not found")
	// ErrShardExists is returned by CreateShard for a shard that has a log.
	ErrShardExists = errors.New("storage: shard already exists")
)

// ShardID names one shard's log. Stream is an internal stream identifier
// that is never reused (a stream deleted and re-created under the same name
// gets a new one); Index is the shard's index within the stream, the N of
// "shardId-%012d".
type ShardID struct {
	Stream uint64
	Index  uint32
}

// Record flag bits, stored with each record.
const (
	// FlagEncrypted marks a record written while stream encryption was on;
	// it is served with EncryptionType KMS.
	FlagEncrypted uint8 = 1 << 0
)

// Record is one stored Kinesis record.
type Record struct {
	// Index is the record's position in its shard's log, assigned by the
	// engine on Append: dense, starting at 0, strictly increasing, never
	// reused, not even after a crash.
	Index uint64
	// Arrival is the approximate arrival time in Unix milliseconds. Within
	// a shard it never decreases: Append raises it to the previous record's
	// arrival if the caller's clock went backwards.
	Arrival int64
	// Flags holds the Flag* bits.
	Flags        uint8
	PartitionKey string
	Data         []byte
}

// Size returns the bytes the record counts against Kinesis size limits:
// data plus partition key.
func (r *Record) Size() int { return len(r.Data) + len(r.PartitionKey) }

// ReadOptions bound one Read.
type ReadOptions struct {
	// MaxRecords caps the number of records returned; zero or less means
	// no cap.
	MaxRecords int
	// MaxBytes caps the sum of Record.Size of the returned records, except
	// that the first record is always returned whatever its size; zero or
	// less means no cap.
	MaxBytes int
}

// ShardInfo describes a shard's log.
type ShardInfo struct {
	// First is the index of the oldest record still stored (the trim
	// horizon). Next is the index the next appended record will get. The
	// log holds records [First, Next); it is empty when First == Next.
	First, Next uint64
	// LastArrival is the arrival time of record Next-1 (0 if none was ever
	// appended).
	LastArrival int64
}

// Engine keeps shard logs and the metadata document.
//
// All methods are safe for concurrent use. Appends to one shard are
// serialised by the engine in call order; the caller that needs a
// particular order across calls must serialise its calls.
type Engine interface {
	// CreateShard creates an empty log whose first record will get index 0.
	CreateShard(ctx context.Context, id ShardID) error

	// Append adds recs to the end of the shard's log, setting each record's
	// Index (and raising Arrival where needed, see Record). It returns only
	// once the records are as durable as the engine promises (on stable
	// storage for logstore, under its fsync policy), and only then are they
	// visible to Read. On error, none of recs is acknowledged; some may
	// still become visible after a restart, but never with an index that is
	// later given to another record.
	//
	// The engine takes ownership of each record's Data: the caller must not
	// modify a Data buffer after passing it to Append, whether Append
	// succeeds or fails. (memstore keeps the buffers; a durable engine may
	// copy them, but callers must not rely on that.)
	Append(ctx context.Context, id ShardID, recs []Record) error

	// Read returns records with Index >= from, oldest first, within opts.
	// Records below the trim horizon are skipped. An empty result means the
	// reader is at the end of the log.
	//
	// The returned Data buffers may be shared with the engine and with
	// other readers: callers must treat them as read-only.
	Read(ctx context.Context, id ShardID, from uint64, opts ReadOptions) ([]Record, error)

	// SeekArrival returns the index of the first record whose Arrival is >=
	// ms, or Info.Next if there is none.
	SeekArrival(ctx context.Context, id ShardID, ms int64) (uint64, error)

	// Info reports the shard's bounds.
	Info(ctx context.Context, id ShardID) (ShardInfo, error)

	// Trim discards the records whose Arrival is < ms. Engines may discard
	// lazily, in whole segments; Read never returns a record below the
	// reported trim horizon, and callers filter by arrival as well.
	Trim(ctx context.Context, id ShardID, ms int64) error

	// DeleteShard removes the shard's log and reclaims its space.
	DeleteShard(ctx context.Context, id ShardID) error

	// Shards lists every shard that has a log, so that the caller can
	// delete logs that its metadata no longer references (after a crash
	// between a metadata update and a log deletion).
	Shards(ctx context.Context) ([]ShardID, error)

	// LoadMeta returns the last metadata document saved, or nil if none.
	LoadMeta(ctx context.Context) ([]byte, error)
	// SaveMeta atomically replaces the metadata document; it is durable
	// when SaveMeta returns.
	SaveMeta(ctx context.Context, doc []byte) error

	// Close releases the engine's resources. It waits for its background
	// goroutines to stop.
	Close() error
}
