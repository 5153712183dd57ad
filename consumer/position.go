package consumer

import (
	"math/big"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/runnel-dev/runnel/consumer/leases"
)

// InitialPosition is where the consumer starts reading a shard that has
// no checkpoint: TrimHorizon, Latest, or AtTimestamp(t).
type InitialPosition struct {
	sentinel string // leases.TrimHorizon, leases.Latest or leases.AtTimestamp
	at       time.Time
}

// Initial positions.
var (
	// TrimHorizon starts at the oldest record the stream keeps.
	TrimHorizon = InitialPosition{sentinel: leases.TrimHorizon}
	// Latest starts after the newest record: only records written from
	// now on are read.
	Latest = InitialPosition{sentinel: leases.Latest}
)

// AtTimestamp starts at the first record that arrived at or after t.
func AtTimestamp(t time.Time) InitialPosition {
	return InitialPosition{sentinel: leases.AtTimestamp, at: t}
}

// String returns the position's name, as in the lease table.
func (p InitialPosition) String() string {
	if p.sentinel == leases.AtTimestamp {
		return p.sentinel + "(" + p.at.Format(time.RFC3339Nano) + ")"
	}
	return p.sentinel
}

// shardFilter is the ListShards filter selecting the shards to lease
// first: those open at the initial position. Their descendants are leased
// as they are reached.
func (p InitialPosition) shardFilter() *types.ShardFilter {
	switch p.sentinel {
	case leases.TrimHorizon:
		return &types.ShardFilter{Type: types.ShardFilterTypeAtTrimHorizon}
	case leases.AtTimestamp:
		return &types.ShardFilter{Type: types.ShardFilterTypeAtTimestamp, Timestamp: aws.Time(p.at)}
	}
	return &types.ShardFilter{Type: types.ShardFilterTypeAtLatest}
}

// startPosition is where a retrieval starts reading: an iterator type and
// its argument.
type startPosition struct {
	typ types.ShardIteratorType
	seq string
	at  time.Time
}

// startOf is where to resume a shard with checkpoint cp. A record's
// checkpoint resumes AT its sequence number, because a KPL aggregate may
// have been processed in part; the reader then skips the user records at
// or before the checkpoint.
func startOf(cp leases.Checkpoint, initial InitialPosition) startPosition {
	switch cp.SequenceNumber {
	case leases.TrimHorizon, "":
		return startPosition{typ: types.ShardIteratorTypeTrimHorizon}
	case leases.Latest:
		return startPosition{typ: types.ShardIteratorTypeLatest}
	case leases.AtTimestamp:
		return startPosition{typ: types.ShardIteratorTypeAtTimestamp, at: initial.at}
	}
	return startPosition{typ: types.ShardIteratorTypeAtSequenceNumber, seq: cp.SequenceNumber}
}

func afterSequence(seq string) startPosition {
	return startPosition{typ: types.ShardIteratorTypeAfterSequenceNumber, seq: seq}
}

var trimHorizonStart = startPosition{typ: types.ShardIteratorTypeTrimHorizon}

// position is a record's place in a shard, ordered by sequence number and
// then subsequence number.
type position struct {
	seq *big.Int
	sub uint64
}

// parsePosition parses a decimal sequence number; ok is false for
// anything else.
func parsePosition(seq string, sub uint64) (position, bool) {
	n, ok := new(big.Int).SetString(seq, 10)
	if !ok || n.Sign() < 0 {
		return position{}, false
	}
	return position{seq: n, sub: sub}, true
}

// compare returns -1, 0 or +1 as p is before, at or after q.
func (p position) compare(q position) int {
	if c := p.seq.Cmp(q.seq); c != 0 {
		return c
	}
	switch {
	case p.sub < q.sub:
		return -1
	case p.sub > q.sub:
		return 1
	}
	return 0
}
