// Package bench is runnel's load tool ("runnel bench"): it drives any
// Kinesis Data Streams endpoint through aws-sdk-go-v2 and reports what the
// server sustained.
//
// # Modes
//
//   - put-record: Concurrency clients call PutRecord in a loop for Duration.
//   - put-records: Concurrency clients call PutRecords with BatchSize entries.
//   - get-records: fills the stream with Records records (PutRecords), unless
//     SkipFill is set, then reads Records records with one reader per shard
//     (GetShardIterator TRIM_HORIZON, then GetRecords until the shard is
//     caught up or Records records have been read in total).
//   - mixed: producers (PutRecords, or PutRecord when BatchSize is 1) and one
//     polling reader per shard; each record carries its put time, and readers
//     measure end-to-end latency from put to read.
//   - fanout: Consumers enhanced fan-out consumers, each subscribed to every
//     open shard, and producers as in mixed mode; each consumer measures
//     end-to-end latency from put to delivery. See below.
//
// # Accounting
//
// The SDK's retryer is disabled, so every failed call is counted, never
// hidden behind a retry. A record counts only once the server acknowledged
// it: PutRecords entries that came back with an ErrorCode are counted under
// that code, not as records. Failed calls are counted by their AWS error code
// (smithy.APIError); failures without one get a code of this package, listed
// in errorCode. Latency is per successful call, recorded in an HDR histogram
// (three significant digits); the maximum is exact.
//
// The tool tries not to measure itself: payloads and partition keys are
// generated before the clock starts, requests reuse their input structs, and
// all clients share one http.Client whose idle pool holds a connection per
// client and reader.
//
// # Fan-out
//
// The consumers are registered as runnel-bench-0 .. runnel-bench-<n-1>
// (RegisterStreamConsumer; a left-over consumer of that name is reused),
// awaited until ACTIVE, and deregistered when the run ends. Each subscribes
// to every open shard at LATEST, and producers start only once every
// subscription is confirmed (its initial response arrived), so each
// consumer is owed every record the producers got acknowledged.
//
// A shard reader keeps its shard read: when a subscription ends (after its
// 5-minute lifetime, or in an error) it subscribes again after the last
// ContinuationSequenceNumber. It calls SubscribeToShard at most once a
// second, and after a ResourceInUseException it waits the 5 seconds after
// which AWS lets a subscription take over another. At the end of a shard
// it starts readers of the child shards at TRIM_HORIZON, a merged child
// once both parents have ended.
//
// Accounting: a consumer counts a record of the run once; one whose
// sequence number is not above the last it got from that shard is a
// duplicate. Consumers stop when each has every acknowledged record, or
// some seconds after the producers stopped; the report then gives what is
// missing per consumer. All consumers record latency into one histogram;
// it runs from the start of the put call to the arrival of the event, so
// it includes the put's round trip.
//
// # Mixed-mode payload
//
// In the mixed and fanout modes every record starts with a 16-byte stamp;
// the rest of the payload is random. All integers are big-endian.
//
//	+--------+--------+-----------------+
//	| magic  | run id | put time        |
//	| 4 B    | 4 B    | 8 B, int64 ns   |
//	+--------+--------+-----------------+
//
// The magic is "RNLB". The run id is random per run, so a reader ignores
// records of other runs. The put time is nanoseconds since the run started,
// on the monotonic clock; reader and producers share the process, so no clock
// synchronisation is involved. The layout is internal to one process run and
// not frozen.
package bench
