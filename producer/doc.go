// Package producer writes user records to a Kinesis data stream the way
// the Kinesis Producer Library (KPL) does: it aggregates many small user
// records into one Kinesis record (package aggregation, the KPL's format),
// collects Kinesis records into PutRecords calls, retries what fails,
// stays under each shard's write limits, and bounds what it buffers. It
// talks to any Kinesis endpoint, AWS's or runnel's, through the two
// operations of Client, which aws-sdk-go-v2's *kinesis.Client has.
//
// # Life of a record
//
// Put validates a record, waits for room in the buffer (WithMaxBuffered),
// and predicts its shard from the shard map: the open shards that
// ListShards (ShardFilter AT_LATEST) lists, and the MD5 of the partition
// key, or the explicit hash key. Each shard fills one aggregate at a time,
// up to WithAggregationMaxSize; a full aggregate, or one whose first
// record has waited WithLinger, becomes a queued Kinesis record. A lone
// user record goes as it is, not aggregated, as the KPL sends it.
//
// One loop goroutine collects the shards' queued Kinesis records into
// PutRecords calls of at most WithCollectionMaxCount entries and
// WithCollectionMaxSize bytes. A call goes when it is full or holds a
// record whose linger has ended (Flush and Close end every linger), and
// only with records the shard's token buckets allow (WithShardRateLimit;
// 1 MiB/s and 1,000 records/s by default, AWS's limits). Up to
// WithMaxInFlight calls run at once, each in a goroutine of its own.
//
// Entries of a call that fail are retried alone, after a backoff with
// jitter (WithRetryBackoff); the entries that succeeded are not sent
// again. Throttling and internal failures are retried; errors that cannot
// heal (a KMS key that is disabled, access denied, a request Kinesis calls
// invalid) fail the record with an *EntryError at once. A user record
// whose TTL (WithRecordTTL) passes before it is delivered fails with
// ErrRecordExpired, wrapping the last error.
//
// When a record lands on a shard other than the one predicted (the shard
// was split or merged), the producer lets the calls in flight finish,
// lists the shards again, and routes every record of a shard that is no
// longer open to its successors, in order. An aggregate that landed on a
// shard whose range does not hold all of its user records is one the KCL
// drops whole, so its user records are sent again, first.
//
// # Results
//
// Put returns a *Handle whose Result says where the user record went
// (shard, sequence number, subsequence number within its aggregate), how
// many PutRecords calls carried it, and its error. PutSync waits for it.
// A record is delivered at least once: a call that fails in transport
// (a timeout, a lost connection) is retried, and Kinesis may have stored
// it the first time too. Without such failures a consumer that splits
// aggregates as the KCL does (aggregation.Deaggregate with the shard's
// hash range) reads every record exactly once, resharding included; one
// that splits without the range also reads the copies the KCL drops.
//
// # Ordering
//
// Without WithOrdering, records are sent as soon as limits allow, several
// calls per shard at once; a retried record lands after records Put later.
//
// With WithOrdering(true), a shard has at most one Kinesis record in
// flight, and a record that fails is retried before any later record of
// its shard is sent. So, for two user records A and B with the same
// partition key (the same explicit hash key, or more generally the same
// predicted shard) where Put(A) returned before Put(B) was called, and
// both delivered:
//
//   - A's sequence number is below B's, or they share a Kinesis record
//     and A's subsequence number is below B's. If the shard was split or
//     merged between them, A is in a parent shard and B in a child, which
//     the KCL reads after the parent.
//   - A failed record (TTL passed, or refused) leaves a gap; the records
//     after it are still sent.
//   - A retry after a transport failure may store a duplicate of A; the
//     first copy of A is still before B.
//
// Records with different partition keys have no order between them.
//
// # Shutdown
//
// Flush sends everything buffered and waits for the results. Close stops
// Put, delivers what is buffered, and stops the producer's goroutines; if
// its context ends first, it cancels the calls in flight and fails the
// rest with ErrClosed. Every goroutine the producer starts has ended when
// Close returns.
//
// # Metrics
//
// Producer.Metrics returns counters and gauges as a plain struct;
// package producer/producerprom exports them to Prometheus.
package producer
