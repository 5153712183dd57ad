package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"
)

// Mode selects the workload.
type Mode string

// The workloads; see the package documentation.
const (
	ModePutRecord  Mode = "put-record"
	ModePutRecords Mode = "put-records"
	ModeGetRecords Mode = "get-records"
	ModeMixed      Mode = "mixed"
	ModeFanout     Mode = "fanout"
)

var modes = []Mode{ModePutRecord, ModePutRecords, ModeGetRecords, ModeMixed, ModeFanout}

// Limits of the Kinesis API that the configuration is checked against.
const (
	maxBatchSize     = 500     // PutRecords entries
	maxReadLimit     = 10000   // GetRecords Limit
	maxPartitionKeys = 1 << 20 // distinct keys we are willing to pre-generate
	maxRecordSize    = 10 << 20
	maxConsumers     = 20 // registered consumers per stream
)

// Config describes one run. The zero value of every field except Mode means
// its documented default.
type Config struct {
	Mode Mode

	// Endpoint is the base URL of the Kinesis endpoint, such as
	// "http://127.0.0.1:4567". Empty means AWS's endpoint for Region.
	Endpoint string
	// Region signs requests; default "us-east-1".
	Region string
	// Stream is the stream's name; default "runnel-bench".
	Stream string

	// Create creates the stream with Shards shards if it does not exist and
	// waits until it is ACTIVE. An existing stream keeps its shards.
	Create bool
	// Delete deletes the stream when the run ends and waits until it is gone.
	Delete bool
	// Shards is the shard count for Create; default 4.
	Shards int

	// RecordSize is the payload size in bytes; default 1024.
	RecordSize int
	// BatchSize is the number of PutRecords entries per call; default 500.
	// In the mixed and fanout modes, 1 means PutRecord.
	BatchSize int
	// Concurrency is the number of producing clients; default 4.
	Concurrency int
	// Duration is how long producers run in the put and mixed modes;
	// default 10s. Calls in flight at the end are awaited and counted.
	Duration time.Duration
	// Records is how many records get-records fills and reads; default 200,000.
	Records int
	// SkipFill makes get-records read the stream as it is, without filling it.
	SkipFill bool
	// Rate caps producers at this many records per second in total; 0 means
	// no cap.
	Rate float64
	// PartitionKeys is the number of distinct partition keys; 0 means a fresh
	// random key per record (from a pre-generated pool per client).
	PartitionKeys int
	// ReadLimit is GetRecords' Limit; default 10,000.
	ReadLimit int
	// PollInterval is how long a reader sleeps after a GetRecords call that
	// found it caught up, and the first backoff after an error (fan-out
	// subscriptions too); default 10ms.
	PollInterval time.Duration
	// Consumers is the number of enhanced fan-out consumers in fanout mode,
	// each subscribed to every shard; default 1, at most 20.
	Consumers int

	// HTTPClient overrides the shared HTTP client; nil builds one sized for
	// Concurrency clients plus one reader per shard (per consumer and shard
	// in fanout mode).
	HTTPClient *http.Client
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Default values of Config fields left zero.
const (
	DefaultRegion       = "us-east-1"
	DefaultStream       = "runnel-bench"
	DefaultShards       = 4
	DefaultRecordSize   = 1024
	DefaultBatchSize    = 500
	DefaultConcurrency  = 4
	DefaultDuration     = 10 * time.Second
	DefaultRecords      = 200_000
	DefaultReadLimit    = maxReadLimit
	DefaultPollInterval = 10 * time.Millisecond
	DefaultConsumers    = 1
)

// errConfig marks configuration errors.
var errConfig = errors.New("bench: invalid configuration")

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	setDefault(&c.Region, DefaultRegion)
	setDefault(&c.Stream, DefaultStream)
	setDefault(&c.Shards, DefaultShards)
	setDefault(&c.RecordSize, DefaultRecordSize)
	setDefault(&c.BatchSize, DefaultBatchSize)
	setDefault(&c.Concurrency, DefaultConcurrency)
	setDefault(&c.Duration, DefaultDuration)
	setDefault(&c.Records, DefaultRecords)
	setDefault(&c.ReadLimit, DefaultReadLimit)
	setDefault(&c.PollInterval, DefaultPollInterval)
	setDefault(&c.Consumers, DefaultConsumers)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// validate checks a configuration that has its defaults applied.
func (c Config) validate() error {
	switch {
	case !slices.Contains(modes, c.Mode):
		return fmt.Errorf("%w: unknown mode %q", errConfig, c.Mode)
	case c.Shards < 1:
		return fmt.Errorf("%w: shards must be at least 1", errConfig)
	case c.RecordSize < 1 || c.RecordSize > maxRecordSize:
		return fmt.Errorf("%w: record size must be in [1, %d]", errConfig, maxRecordSize)
	case (c.Mode == ModeMixed || c.Mode == ModeFanout) && c.RecordSize < stampSize:
		return fmt.Errorf("%w: %s mode needs records of at least %d bytes", errConfig, c.Mode, stampSize)
	case c.BatchSize < 1 || c.BatchSize > maxBatchSize:
		return fmt.Errorf("%w: batch size must be in [1, %d]", errConfig, maxBatchSize)
	case c.Concurrency < 1:
		return fmt.Errorf("%w: concurrency must be at least 1", errConfig)
	case c.Duration < 0:
		return fmt.Errorf("%w: duration must not be negative", errConfig)
	case c.Records < 1:
		return fmt.Errorf("%w: records must be at least 1", errConfig)
	case c.Rate < 0:
		return fmt.Errorf("%w: rate must not be negative", errConfig)
	case c.PartitionKeys < 0 || c.PartitionKeys > maxPartitionKeys:
		return fmt.Errorf("%w: partition keys must be in [0, %d]", errConfig, maxPartitionKeys)
	case c.ReadLimit < 1 || c.ReadLimit > maxReadLimit:
		return fmt.Errorf("%w: read limit must be in [1, %d]", errConfig, maxReadLimit)
	case c.PollInterval < 0:
		return fmt.Errorf("%w: poll interval must not be negative", errConfig)
	case c.Consumers < 1 || c.Consumers > maxConsumers:
		return fmt.Errorf("%w: consumers must be in [1, %d]", errConfig, maxConsumers)
	}
	return nil
}
