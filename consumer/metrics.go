package consumer

import (
	"sort"
	"sync"
)

// Metrics is a snapshot of a consumer's progress.
type Metrics struct {
	WorkerID string
	// LeasesHeld is the number of leases this worker holds.
	LeasesHeld int
	// Shards has an entry for every shard this worker has processed since
	// Run started, in shard ID order.
	Shards []ShardMetrics
}

// ShardMetrics is one shard's progress on this worker.
type ShardMetrics struct {
	ShardID string
	// Held reports whether this worker holds the shard's lease now.
	Held bool
	// MillisBehindLatest is how far the last batch read was behind the
	// shard's tip.
	MillisBehindLatest int64
	// Records and Bytes count the records (user records, for aggregates)
	// and data bytes delivered to processors.
	Records, Bytes uint64
}

// metricsSet accumulates the per-shard metrics.
type metricsSet struct {
	mu     sync.Mutex
	shards map[string]*ShardMetrics // guarded by mu
}

func (m *metricsSet) shard(id string) *ShardMetrics {
	if m.shards == nil {
		m.shards = map[string]*ShardMetrics{}
	}
	s := m.shards[id]
	if s == nil {
		s = &ShardMetrics{ShardID: id}
		m.shards[id] = s
	}
	return s
}

func (m *metricsSet) setHeld(id string, held bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shard(id).Held = held
}

// read adds one batch read from a shard.
func (m *metricsSet) read(id string, behind int64, records []Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shard(id)
	s.MillisBehindLatest = behind
	s.Records += uint64(len(records))
	for i := range records {
		s.Bytes += uint64(len(records[i].Data))
	}
}

func (m *metricsSet) snapshot(workerID string) Metrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := Metrics{WorkerID: workerID, Shards: make([]ShardMetrics, 0, len(m.shards))}
	for _, s := range m.shards {
		out.Shards = append(out.Shards, *s)
		if s.Held {
			out.LeasesHeld++
		}
	}
	sort.Slice(out.Shards, func(i, j int) bool { return out.Shards[i].ShardID < out.Shards[j].ShardID })
	return out
}
