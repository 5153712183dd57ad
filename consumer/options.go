package consumer

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// Defaults of the options.
const (
	DefaultPollInterval    = time.Second
	DefaultMaxRecords      = 10000
	DefaultLeaseDuration   = 10 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
	// MinPollGap is the shortest time between two GetRecords calls on a
	// shard: Kinesis allows 5 calls per second per shard.
	MinPollGap = 200 * time.Millisecond
)

// An Option configures a Consumer.
type Option func(*config)

type config struct {
	workerID        string
	log             *slog.Logger
	initial         InitialPosition
	fanOutConsumer  string // enhanced fan-out consumer name; "" polls
	pollInterval    time.Duration
	maxRecords      int32
	leaseDuration   time.Duration
	shutdownTimeout time.Duration
	maxSteal        int
	now             func() time.Time
}

func defaultConfig() config {
	return config{
		log:             slog.Default(),
		initial:         Latest,
		pollInterval:    DefaultPollInterval,
		maxRecords:      DefaultMaxRecords,
		leaseDuration:   DefaultLeaseDuration,
		shutdownTimeout: DefaultShutdownTimeout,
		maxSteal:        1,
		now:             time.Now,
	}
}

// WithWorkerID names this worker in the lease table. Every worker of an
// application needs a distinct ID. Default: the host name and a random
// suffix.
func WithWorkerID(id string) Option { return func(c *config) { c.workerID = id } }

// WithLogger sets the logger. Default: slog.Default().
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithInitialPosition sets where shards without a checkpoint are read
// from: TrimHorizon, Latest or AtTimestamp(t). It applies to the shards
// open at that position when the application first starts; their child
// shards are always read from their start. Default: Latest.
func WithInitialPosition(p InitialPosition) Option { return func(c *config) { c.initial = p } }

// WithPollInterval sets how long a shard waits before its next GetRecords
// call once it has caught up (an empty answer or MillisBehindLatest 0).
// A shard that is behind is read again after MinPollGap; intervals below
// MinPollGap are raised to it. Default: DefaultPollInterval.
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.pollInterval = d } }

// WithMaxRecords sets the Limit of each GetRecords call, 1 to 10000.
// Default: DefaultMaxRecords.
func WithMaxRecords(n int) Option { return func(c *config) { c.maxRecords = int32(n) } }

// WithEnhancedFanOut reads with SubscribeToShard through the named stream
// consumer, registering it if it does not exist, instead of polling.
// Default: polling.
func WithEnhancedFanOut(consumerName string) Option {
	return func(c *config) { c.fanOutConsumer = consumerName }
}

// WithLeaseDuration sets how long a lease stays valid without renewal:
// owners renew every third of it, and other workers take it over when its
// counter has stood still for that long. The lease table is scanned for
// leases to take once per duration. Default: DefaultLeaseDuration.
func WithLeaseDuration(d time.Duration) Option { return func(c *config) { c.leaseDuration = d } }

// WithShutdownTimeout bounds the graceful shutdown that starts when Run's
// context ends. A zero or negative timeout skips it: processors get no
// further call and leases are left to expire, as when the process dies.
// Default: DefaultShutdownTimeout.
func WithShutdownTimeout(d time.Duration) Option { return func(c *config) { c.shutdownTimeout = d } }

// WithMaxLeasesToSteal caps how many leases a worker takes from a busier
// live worker in one pass. Default: 1.
func WithMaxLeasesToSteal(n int) Option { return func(c *config) { c.maxSteal = n } }

func (c *config) validate() error {
	switch {
	case c.log == nil:
		return fmt.Errorf("consumer: nil logger")
	case c.maxRecords < 1 || c.maxRecords > 10000:
		return fmt.Errorf("consumer: max records %d outside 1..10000", c.maxRecords)
	case c.leaseDuration <= 0:
		return fmt.Errorf("consumer: lease duration %v is not positive", c.leaseDuration)
	case c.maxSteal < 0:
		return fmt.Errorf("consumer: max leases to steal %d is negative", c.maxSteal)
	case c.initial.sentinel == "":
		return fmt.Errorf("consumer: zero initial position")
	}
	c.pollInterval = max(c.pollInterval, MinPollGap)
	if c.workerID == "" {
		c.workerID = defaultWorkerID()
	}
	return nil
}

func defaultWorkerID() string {
	host, err := os.Hostname()
	if err != nil {
		host = "worker"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// renewInterval is how often an owner renews its leases.
func (c *config) renewInterval() time.Duration { return c.leaseDuration / 3 }

// parentPollInterval is how often a shard waiting for its parents checks
// them.
func (c *config) parentPollInterval() time.Duration { return c.leaseDuration / 4 }
