package stream

import (
	"fmt"
	"sort"
	"time"
)

// Stream statuses, as the API reports them.
const (
	StatusCreating = "CREATING"
	StatusActive   = "ACTIVE"
	StatusUpdating = "UPDATING"
	StatusDeleting = "DELETING"
)

// Stream modes.
const (
	ModeProvisioned = "PROVISIONED"
	ModeOnDemand    = "ON_DEMAND"
)

// Encryption types.
const (
	EncryptionNone = "NONE"
	EncryptionKMS  = "KMS"
)

// Stream is one stream's metadata. Times are Unix milliseconds.
type Stream struct {
	// ID identifies this incarnation of the stream in storage and in shard
	// iterators; a stream re-created under the same name gets a new ID.
	ID      uint64 `json:"id"`
	Name    string `json:"name"`
	Created int64  `json:"created"`
	// UpdatingUntil is when the last update's UPDATING state ends.
	UpdatingUntil int64 `json:"updatingUntil,omitempty"`
	// DeleteRequested is when DeleteStream was called (0: never).
	DeleteRequested int64 `json:"deleteRequested,omitempty"`

	RetentionHours int `json:"retentionHours"`
	// ExpiredBefore is an arrival time (Unix ms) below which records stay
	// expired whatever the retention period: raising the retention must
	// not bring back records the old one had expired.
	ExpiredBefore int64 `json:"expiredBefore,omitempty"`

	Mode             string            `json:"mode"`
	ModeChanged      int64             `json:"modeChanged,omitempty"`
	MaxRecordSizeKiB int               `json:"maxRecordSizeKiB"`
	Shards           []*Shard          `json:"shards"`
	NextShardIndex   uint32            `json:"nextShardIndex"`
	Tags             map[string]string `json:"tags,omitempty"`
	Encryption       string            `json:"encryption"`
	KeyID            string            `json:"keyId,omitempty"`
	// Metrics is the set of enabled shard-level metrics, sorted.
	Metrics        []string    `json:"metrics,omitempty"`
	WarmThroughput int         `json:"warmThroughput,omitempty"`
	Consumers      []*Consumer `json:"consumers,omitempty"`
	Policy         string      `json:"policy,omitempty"`
	// Scalings holds the times of UpdateShardCount calls in the last 24 h.
	Scalings []int64 `json:"scalings,omitempty"`

	// routes holds the open shards sorted by hash-key range (see reindex).
	routes []*Shard
}

// Shard is one shard's metadata. Times are Unix milliseconds.
type Shard struct {
	Index uint32 `json:"index"`
	Range Range  `json:"range"`
	// Created is when the shard was created: the time embedded in the
	// sequence numbers of its records.
	Created int64 `json:"created"`
	// Closed is when the shard was closed by resharding (0: open).
	Closed int64 `json:"closed,omitempty"`
	// Parents holds the parent shard and, after a merge, the adjacent parent.
	Parents  []uint32 `json:"parents,omitempty"`
	Children []uint32 `json:"children,omitempty"`
}

// Open reports whether the shard still accepts records.
func (sh *Shard) Open() bool { return sh.Closed == 0 }

// ShardID formats a shard index as the API names shards.
func ShardID(index uint32) string { return fmt.Sprintf("shardId-%012d", index) }

// ParseShardID parses a shard id the way AWS resolves it: "shardId-000000000007",
// and also a bare or differently padded number after the last '-', which AWS
// accepts too (kinesalite resolveShardId).
func ParseShardID(id string) (uint32, bool) {
	s := id
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '-' {
			s = id[i+1:]
			break
		}
	}
	if s == "" || len(s) > 20 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
		if n > 1<<31-1 {
			return 0, false
		}
	}
	return uint32(n), true
}

// Shard returns the shard with the given index, or nil.
func (s *Stream) Shard(index uint32) *Shard {
	i := sort.Search(len(s.Shards), func(i int) bool { return s.Shards[i].Index >= index })
	if i < len(s.Shards) && s.Shards[i].Index == index {
		return s.Shards[i]
	}
	return nil
}

// OpenShards returns the open shards, in index order.
func (s *Stream) OpenShards() []*Shard {
	var out []*Shard
	for _, sh := range s.Shards {
		if sh.Open() {
			out = append(out, sh)
		}
	}
	return out
}

// OpenShardCount returns the number of open shards.
func (s *Stream) OpenShardCount() int {
	n := 0
	for _, sh := range s.Shards {
		if sh.Open() {
			n++
		}
	}
	return n
}

// Route returns the open shard whose hash-key range contains k. Open
// shards always cover the whole key space, so it only returns nil for a
// stream with no shards.
func (s *Stream) Route(k HashKey) *Shard {
	i := sort.Search(len(s.routes), func(i int) bool { return s.routes[i].Range.End.Cmp(k) >= 0 })
	if i < len(s.routes) && s.routes[i].Range.Contains(k) {
		return s.routes[i]
	}
	return nil
}

// reindex rebuilds the routing table: the open shards sorted by range.
// Every change to the set of open shards calls it, under the caller's
// exclusive lock, so that Route can run under a shared one.
func (s *Stream) reindex() {
	s.routes = s.routes[:0]
	for _, sh := range s.Shards {
		if sh.Open() {
			s.routes = append(s.routes, sh)
		}
	}
	sort.Slice(s.routes, func(i, j int) bool { return s.routes[i].Range.Start.Cmp(s.routes[j].Range.Start) < 0 })
}

// Status returns the stream's status at time now, given the lifecycle
// delays of cfg.
func (s *Stream) Status(cfg *Config, now int64) string {
	switch {
	case s.DeleteRequested != 0:
		return StatusDeleting
	case now < s.Created+cfg.CreateDelay.Milliseconds():
		return StatusCreating
	case now < s.UpdatingUntil:
		return StatusUpdating
	}
	return StatusActive
}

// Gone reports whether a deleted stream has finished DELETING at time now.
func (s *Stream) Gone(cfg *Config, now int64) bool {
	return s.DeleteRequested != 0 && now >= s.DeleteRequested+cfg.DeleteDelay.Milliseconds()
}

// ARN returns the stream's ARN.
func (s *Stream) ARN(cfg *Config) string {
	return fmt.Sprintf("arn:aws:kinesis:%s:%s:stream/%s", cfg.Region, cfg.AccountID, s.Name)
}

// Retention returns the retention period.
func (s *Stream) Retention() time.Duration { return time.Duration(s.RetentionHours) * time.Hour }

// TrimHorizon returns the arrival time (Unix ms) below which records have
// expired at time now.
func (s *Stream) TrimHorizon(now int64) int64 {
	return max(now-s.Retention().Milliseconds(), s.ExpiredBefore)
}

// ShardExpired reports whether a closed shard has outlived the retention
// period at time now: every record it can hold arrived before it closed, so
// once the close time is past the trim horizon it holds nothing readable and
// drops out of ListShards and DescribeStream.
func (s *Stream) ShardExpired(sh *Shard, now int64) bool {
	return !sh.Open() && sh.Closed < s.TrimHorizon(now)
}
