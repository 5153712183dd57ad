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
// # Mixed-mode payload
//
// In mixed mode every record starts with a 16-byte stamp; the rest of the
// payload is random. All integers are big-endian.
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
