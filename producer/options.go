package producer

import (
	"log/slog"
	"math"
	"time"
)

// An Option configures a Producer. Each With function documents its
// default; New rejects values outside the documented ranges.
type Option func(*config)

type config struct {
	logger *slog.Logger

	aggregate        bool
	aggMaxSize       int
	aggMaxCount      int
	linger           time.Duration
	collectMaxCount  int
	collectMaxSize   int
	maxRecordSize    int
	ttl              time.Duration
	backoffMin       time.Duration
	backoffMax       time.Duration
	ordered          bool
	shardBytesPerSec int
	shardRecsPerSec  int
	maxBufBytes      int
	maxBufRecords    int
	failWhenFull     bool
	maxInFlight      int
	requestTimeout   time.Duration
}

func defaultConfig() config {
	return config{
		logger:           slog.New(slog.DiscardHandler),
		aggregate:        true,
		aggMaxSize:       50 << 10,
		aggMaxCount:      math.MaxInt,
		linger:           100 * time.Millisecond,
		collectMaxCount:  500,
		collectMaxSize:   5 << 20,
		maxRecordSize:    1 << 20,
		ttl:              30 * time.Second,
		backoffMin:       100 * time.Millisecond,
		backoffMax:       2 * time.Second,
		shardBytesPerSec: 1 << 20,
		shardRecsPerSec:  1000,
		maxBufBytes:      64 << 20,
		maxBufRecords:    100_000,
		maxInFlight:      16,
		requestTimeout:   10 * time.Second,
	}
}

// WithLogger sets the logger for shard map refreshes, retries and
// failures. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAggregation turns KPL aggregation on or off. With it off every user
// record is its own Kinesis record. Default: on.
func WithAggregation(on bool) Option { return func(c *config) { c.aggregate = on } }

// WithAggregationMaxSize caps the size of an aggregated Kinesis record, in
// bytes of data; a user record larger than the cap travels alone. Default:
// 51,200 (the KPL's AggregationMaxSize).
func WithAggregationMaxSize(bytes int) Option { return func(c *config) { c.aggMaxSize = bytes } }

// WithAggregationMaxCount caps the number of user records in one aggregated
// record. Default: no cap.
func WithAggregationMaxCount(n int) Option { return func(c *config) { c.aggMaxCount = n } }

// WithLinger sets how long a user record may wait for others to fill its
// aggregate and its PutRecords call (the KPL's RecordMaxBufferedTime).
// Rate limits and retries can hold it longer; Flush and Close end the
// wait. Default: 100ms.
func WithLinger(d time.Duration) Option { return func(c *config) { c.linger = d } }

// WithCollectionMaxCount caps the entries of one PutRecords call, 1 to
// 500. Default: 500.
func WithCollectionMaxCount(n int) Option { return func(c *config) { c.collectMaxCount = n } }

// WithCollectionMaxSize caps the bytes (data and partition keys) of one
// PutRecords call. Default: 5 MiB, which every Kinesis endpoint accepts
// (AWS now takes 10 MiB).
func WithCollectionMaxSize(bytes int) Option { return func(c *config) { c.collectMaxSize = bytes } }

// WithMaxRecordSize sets the stream's record size limit (data and
// partition key); Put refuses larger user records with ErrRecordTooLarge.
// Default: 1 MiB, the default MaxRecordSizeInKiB of a stream.
func WithMaxRecordSize(bytes int) Option { return func(c *config) { c.maxRecordSize = bytes } }

// WithRecordTTL sets how long after Put a user record may still be sent;
// past it the record fails with ErrRecordExpired. Default: 30s.
func WithRecordTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithRetryBackoff sets the backoff before a failed Kinesis record is
// retried: first doubled per attempt up to limit, with the upper half
// jittered. Default: 100ms and 2s.
func WithRetryBackoff(first, limit time.Duration) Option {
	return func(c *config) { c.backoffMin, c.backoffMax = first, limit }
}

// WithOrdering keeps the user records of each partition key in the order
// of their Put calls, at the cost of sending one Kinesis record per shard
// at a time; see the package doc for exactly what holds. Default: off.
func WithOrdering(on bool) Option { return func(c *config) { c.ordered = on } }

// WithShardRateLimit sets the per-shard token buckets that keep the
// producer under a shard's write limits; 0 turns a bucket off. Default:
// 1 MiB/s and 1,000 records/s, AWS's per-shard limits.
func WithShardRateLimit(bytesPerSecond, recordsPerSecond int) Option {
	return func(c *config) { c.shardBytesPerSec, c.shardRecsPerSec = bytesPerSecond, recordsPerSecond }
}

// WithMaxBuffered bounds the user records held between Put and their
// result, by bytes (data and partition key) and by count. Default: 64 MiB
// and 100,000 records.
func WithMaxBuffered(bytes, records int) Option {
	return func(c *config) { c.maxBufBytes, c.maxBufRecords = bytes, records }
}

// WithFailWhenFull makes Put return ErrBufferFull at once when the buffer
// is full, instead of blocking until there is room. Default: Put blocks.
func WithFailWhenFull() Option { return func(c *config) { c.failWhenFull = true } }

// WithMaxInFlight caps the PutRecords calls in flight at once. Default: 16.
func WithMaxInFlight(n int) Option { return func(c *config) { c.maxInFlight = n } }

// WithRequestTimeout bounds each PutRecords and ListShards call. Default:
// 10s.
func WithRequestTimeout(d time.Duration) Option { return func(c *config) { c.requestTimeout = d } }

func (c *config) validate() error {
	switch {
	case c.logger == nil:
		return errConfig("nil logger")
	case c.aggMaxSize < 1 || c.aggMaxCount < 1:
		return errConfig("aggregation limits must be positive")
	case c.linger < 0 || c.ttl <= 0 || c.requestTimeout <= 0:
		return errConfig("linger must not be negative, TTL and request timeout must be positive")
	case c.collectMaxCount < 1 || c.collectMaxCount > 500:
		return errConfig("collection count must be 1 to 500")
	case c.maxRecordSize < 1 || c.collectMaxSize < c.maxRecordSize:
		return errConfig("collection size must hold the largest record")
	case c.backoffMin <= 0 || c.backoffMax < c.backoffMin:
		return errConfig("backoff must be positive, max at least min")
	case c.shardBytesPerSec < 0 || c.shardRecsPerSec < 0:
		return errConfig("rate limits must not be negative")
	case c.maxBufBytes < 1 || c.maxBufRecords < 1 || c.maxInFlight < 1:
		return errConfig("buffer and in-flight limits must be positive")
	}
	return nil
}
