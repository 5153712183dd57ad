package consumer

import (
	"context"
	"time"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// Record is a record delivered to a processor: a Kinesis record, or one
// user record of a KPL aggregate.
type Record struct {
	SequenceNumber string
	// SubSequenceNumber is the user record's index within its aggregate;
	// 0 for a record that is not aggregated.
	SubSequenceNumber           uint64
	PartitionKey                string
	ExplicitHashKey             string // set only on user records that carry one
	Data                        []byte
	ApproximateArrivalTimestamp time.Time
	// Aggregated reports whether the record came out of a KPL aggregate.
	Aggregated bool
}

// A Processor processes the records of one shard for as long as this
// worker holds the shard's lease.
//
// The consumer calls a processor's methods from one goroutine, never
// concurrently: Initialize once, then ProcessRecords for each batch in
// shard order, then at most one of ShardEnded, LeaseLost and
// ShutdownRequested. An error from Initialize, ProcessRecords or
// ShardEnded discards the processor: after a pause the consumer starts a
// new one from the shard's last checkpoint, so the records since then are
// delivered again.
//
// The context of a call is cancelled when the worker loses the lease or
// is stopped without a graceful shutdown (see WithShutdownTimeout); a
// graceful shutdown lets the current call finish.
type Processor interface {
	// Initialize is called before the first batch.
	Initialize(ctx context.Context, in InitializeInput) error
	// ProcessRecords processes one batch. Records are checkpointed only
	// through in.Checkpointer.
	ProcessRecords(ctx context.Context, in ProcessRecordsInput) error
	// ShardEnded is called when the shard is closed and every record of it
	// has been processed. When it returns nil, the consumer checkpoints the
	// shard at SHARD_END, which lets its child shards start.
	ShardEnded(ctx context.Context, in ShardEndedInput) error
	// LeaseLost is called when another worker has taken the lease. The
	// processor can no longer checkpoint.
	LeaseLost(ctx context.Context, in LeaseLostInput)
	// ShutdownRequested is called in a graceful shutdown, the last chance
	// to checkpoint before the lease is released.
	ShutdownRequested(ctx context.Context, in ShutdownRequestedInput) error
}

// ProcessorFactory returns a new processor for a shard.
type ProcessorFactory func(shardID string) Processor

// InitializeInput describes the shard a processor starts on.
type InitializeInput struct {
	ShardID string
	// Checkpoint is where processing resumes: the last record processed,
	// or a sentinel (leases.TrimHorizon, leases.Latest, leases.AtTimestamp).
	Checkpoint leases.Checkpoint
}

// ProcessRecordsInput is one batch of records.
type ProcessRecordsInput struct {
	ShardID string
	Records []Record
	// MillisBehindLatest is how far the batch is behind the shard's tip.
	MillisBehindLatest int64
	Checkpointer       *Checkpointer
}

// ShardEndedInput tells a processor its shard has been read to its end.
type ShardEndedInput struct {
	ShardID       string
	ChildShardIDs []string
	Checkpointer  *Checkpointer
}

// LeaseLostInput tells a processor another worker took its lease.
type LeaseLostInput struct {
	ShardID string
}

// ShutdownRequestedInput tells a processor the worker is shutting down.
type ShutdownRequestedInput struct {
	ShardID      string
	Checkpointer *Checkpointer
}

// BatchFunc is a Processor for applications that need only ProcessRecords;
// its other callbacks do nothing. Use it as
//
//	func(string) consumer.Processor { return consumer.BatchFunc(process) }
type BatchFunc func(ctx context.Context, in ProcessRecordsInput) error

var _ Processor = BatchFunc(nil)

// Initialize implements Processor; it does nothing.
func (f BatchFunc) Initialize(context.Context, InitializeInput) error { return nil }

// ProcessRecords implements Processor by calling f.
func (f BatchFunc) ProcessRecords(ctx context.Context, in ProcessRecordsInput) error {
	return f(ctx, in)
}

// ShardEnded implements Processor; it does nothing.
func (f BatchFunc) ShardEnded(context.Context, ShardEndedInput) error { return nil }

// LeaseLost implements Processor; it does nothing.
func (f BatchFunc) LeaseLost(context.Context, LeaseLostInput) {}

// ShutdownRequested implements Processor; it does nothing.
func (f BatchFunc) ShutdownRequested(context.Context, ShutdownRequestedInput) error { return nil }
