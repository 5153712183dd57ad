// Package consumer reads a Kinesis data stream with a group of workers, as
// the Kinesis Client Library (KCL) does: each shard is processed by one
// worker at a time, in order, with progress checkpointed in a lease table
// so that work moves between workers and survives restarts. It works
// against AWS Kinesis and runnel alike, through a KinesisClient that
// aws-sdk-go-v2's *kinesis.Client satisfies.
//
// # Workers, leases and processors
//
// A Consumer is one worker. Every shard has a lease (package leases) that
// names its owner; a worker renews the leases it holds every third of the
// lease duration, takes over leases whose counters have stood still for a
// lease duration (their owner died), and, when the live workers hold
// uneven shares, takes leases from the most loaded one. For each lease it
// holds, the worker runs a Processor made by the application's
// ProcessorFactory: Initialize, then ProcessRecords for each batch in
// order, then one of ShardEnded, LeaseLost or ShutdownRequested. The
// processor checkpoints with the Checkpointer it is handed; a checkpoint
// names a record by sequence number and, inside a KPL aggregate,
// subsequence number.
//
// Delivery is at least once. Records after the last checkpoint are
// delivered again when the shard's next owner resumes: after a worker
// dies, after a lease is taken to balance load, or after a processor
// fails. Without such events every record is delivered exactly once.
//
// # Resharding
//
// A shard's children start only after the shard is finished: when a
// closed shard has been read to its end, the worker creates its children's
// leases, calls ShardEnded and checkpoints SHARD_END. A child waits until
// all its parents (two, after a merge) are at SHARD_END.
//
// # Retrieval
//
// By default each shard is polled with GetRecords (WithPollInterval),
// never more than 5 times a second, backing off when throttled and
// renewing expired iterators. WithEnhancedFanOut reads with
// SubscribeToShard instead: the consumer registers the stream consumer or
// reuses it, waits until it is ACTIVE, and renews each shard's
// subscription whenever it ends (every 5 minutes), resuming after the last
// continuation sequence number.
//
// Shards without a checkpoint start at the initial position
// (WithInitialPosition). A checkpoint the stream no longer holds (older
// than its trim horizon) falls back to TRIM_HORIZON with a logged warning.
// KPL-aggregated records are split into user records; as in the KCL, an
// aggregate with a user record outside the shard's hash key range is
// dropped from that record on, with a warning.
//
// # Shutdown
//
// Run returns when its context ends and every goroutine has stopped.
// Ending the context starts a graceful shutdown: reading stops, each
// processor finishes its batch and gets ShutdownRequested to checkpoint,
// and the leases are released for other workers to take at once. With a
// zero WithShutdownTimeout the worker stops as if it had crashed.
//
// # Metrics
//
// Consumer.Metrics returns the per-shard MillisBehindLatest, records and
// bytes processed, and the number of leases held; package consumerprom
// exports them to Prometheus.
package consumer
