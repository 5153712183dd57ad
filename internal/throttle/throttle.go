// Package throttle enforces AWS's per-shard throughput limits with token
// buckets: writes 1 MiB/s and 1,000 records/s, reads 2 MiB/s and 5 calls/s.
//
// Each bucket holds at most one second of its rate, so a burst above the
// rate is refused as AWS refuses it. A read may overdraw the byte bucket
// (a single GetRecords can return 10 MiB); later reads are refused until
// the debt is repaid at 2 MiB/s. A 10 MiB read from a full bucket leaves
// 8 MiB of debt, so reads resume after 4 s; AWS documents "the next 5
// seconds", counting the second the read itself used.
//
// Time is passed in, so the package is deterministic.
package throttle

import (
	"sync"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
)

// Per-shard limits (AWS quotas, frozen).
const (
	WriteBytesPerSecond   = 1 << 20
	WriteRecordsPerSecond = 1000
	ReadBytesPerSecond    = 2 << 20
	ReadCallsPerSecond    = 5
)

// bucket is a token bucket refilled continuously at rate per second up to
// rate tokens.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) refill(rate float64, now time.Time) {
	if b.last.IsZero() {
		b.tokens, b.last = rate, now
		return
	}
	if dt := now.Sub(b.last).Seconds(); dt > 0 {
		b.tokens = min(rate, b.tokens+dt*rate)
		b.last = now
	}
}

type shardBuckets struct {
	writeBytes, writeRecords, readBytes, readCalls bucket
}

// Limits holds the buckets of every shard. It is safe for concurrent use.
type Limits struct {
	mu struct {
		sync.Mutex
		shards map[storage.ShardID]*shardBuckets
	}
}

// New returns limits with full buckets.
func New() *Limits {
	l := &Limits{}
	l.mu.shards = map[storage.ShardID]*shardBuckets{}
	return l
}

func (l *Limits) bucketsLocked(id storage.ShardID) *shardBuckets {
	b := l.mu.shards[id]
	if b == nil {
		b = &shardBuckets{}
		l.mu.shards[id] = b
	}
	return b
}

// AllowWrite reports whether the shard can take one more record of size
// bytes at now, and if so takes it from the buckets.
func (l *Limits) AllowWrite(id storage.ShardID, size int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketsLocked(id)
	b.writeBytes.refill(WriteBytesPerSecond, now)
	b.writeRecords.refill(WriteRecordsPerSecond, now)
	if b.writeRecords.tokens < 1 || b.writeBytes.tokens < float64(size) {
		return false
	}
	b.writeRecords.tokens--
	b.writeBytes.tokens -= float64(size)
	return true
}

// AllowRead reports whether the shard accepts one more GetRecords call at
// now: within 5 calls per second and with no outstanding byte debt.
func (l *Limits) AllowRead(id storage.ShardID, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketsLocked(id)
	b.readCalls.refill(ReadCallsPerSecond, now)
	b.readBytes.refill(ReadBytesPerSecond, now)
	if b.readCalls.tokens < 1 || b.readBytes.tokens <= 0 {
		return false
	}
	b.readCalls.tokens--
	return true
}

// ChargeRead takes the bytes a GetRecords call returned from the shard's
// read bucket, possibly overdrawing it.
func (l *Limits) ChargeRead(id storage.ShardID, bytes int, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketsLocked(id)
	b.readBytes.refill(ReadBytesPerSecond, now)
	b.readBytes.tokens -= float64(bytes)
}

// Forget drops the buckets of a shard that no longer exists.
func (l *Limits) Forget(id storage.ShardID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.mu.shards, id)
}
