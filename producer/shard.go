package producer

import (
	"bytes"
	"time"

	"github.com/runnel-dev/runnel/aggregation"
)

// userRecord is a Put's record from Put to its result.
type userRecord struct {
	Record
	key      hashKey
	handle   *Handle
	put      time.Time
	deadline time.Time // put + TTL
	epoch    uint64    // for Flush
	size     int       // data and partition key, as buffered
	attempts int
	lastErr  error // the last failure, for ErrRecordExpired
}

// kinesisRecord is one PutRecords entry: one user record, or an aggregate
// of several.
type kinesisRecord struct {
	shard      *shard // predicted
	users      []*userRecord
	data       []byte
	pk, ehk    string
	aggregated bool
	due        time.Time // when its first user record's linger ends
	notBefore  time.Time // backoff after a failure
	expires    time.Time // the earliest TTL of its user records
	attempts   int
}

func (k *kinesisRecord) size() int { return len(k.data) + len(k.pk) }

// setUsers sets k's user records and the earliest of their TTLs.
func (k *kinesisRecord) setUsers(users []*userRecord) {
	k.users = users
	k.expires = users[0].deadline
	for _, u := range users[1:] {
		if u.deadline.Before(k.expires) {
			k.expires = u.deadline
		}
	}
}

// shard is an open shard's share of the producer: the aggregate being
// filled, the Kinesis records waiting to be sent, and the token buckets.
// Guarded by Producer.mu.
type shard struct {
	shardRange
	agg         aggregation.Aggregator
	open        []*userRecord // the user records in agg
	queue       deque[*kinesisRecord]
	queuedBytes int
	inFlight    int // Kinesis records in PutRecords calls
	bytes       bucket
	records     bucket
}

func (p *Producer) newShard(r shardRange, now time.Time) *shard {
	return &shard{
		shardRange: r,
		bytes:      newBucket(p.cfg.shardBytesPerSec, now),
		records:    newBucket(p.cfg.shardRecsPerSec, now),
	}
}

// addLocked appends u to s's aggregate, first sealing the aggregate if u
// would overflow it. A user record that cannot share an aggregate is
// queued alone, after the aggregate, to keep Put order. It reports whether
// the loop should be woken.
func (p *Producer) addLocked(s *shard, u *userRecord) (wake bool) {
	if !p.cfg.aggregate || !p.fitsAlone(u) {
		wake = p.sealLocked(s)
		s.open = append(s.open, u)
		return p.sealLocked(s) || wake
	}
	if len(s.open) > 0 && (len(s.open) >= p.cfg.aggMaxCount ||
		s.agg.SizeWith(u.PartitionKey, u.ExplicitHashKey, len(u.Data)) > p.aggLimit(s.open[0])) {
		wake = p.sealLocked(s)
	}
	_ = s.agg.Add(u.PartitionKey, u.ExplicitHashKey, u.Data) // Put validated the keys
	s.open = append(s.open, u)
	if len(s.open) == 1 {
		due := u.put.Add(p.cfg.linger)
		wake = wake || due.Before(p.mu.nextWake) || p.forcedLocked()
	}
	return wake
}

// aggLimit is the largest aggregate that may start with first: the
// aggregation cap, within the record size limit less the outer partition
// key (first's).
func (p *Producer) aggLimit(first *userRecord) int {
	return min(p.cfg.aggMaxSize, p.cfg.maxRecordSize-len(first.PartitionKey))
}

// fitsAlone reports whether an aggregate of u alone is within aggLimit.
func (p *Producer) fitsAlone(u *userRecord) bool {
	var a aggregation.Aggregator
	return a.SizeWith(u.PartitionKey, u.ExplicitHashKey, len(u.Data)) <= p.aggLimit(u)
}

// sealLocked turns s's open user records into a queued Kinesis record and
// reports whether that filled a PutRecords call.
func (p *Producer) sealLocked(s *shard) (wake bool) {
	if len(s.open) == 0 {
		return false
	}
	k := &kinesisRecord{shard: s, due: s.open[0].put.Add(p.cfg.linger)}
	k.setUsers(s.open)
	for _, u := range k.users[1:] {
		if d := u.put.Add(p.cfg.linger); d.Before(k.due) {
			k.due = d
		}
	}
	p.encode(k, &s.agg)
	s.open = nil
	s.queue.pushBack(k)
	return p.queuedLocked(s, k.size())
}

// encode sets k's data and keys from its user records. agg holds exactly
// k's user records, or none, and is left empty. A lone user record travels
// as it is, as the KPL sends it; with aggregation on, data that would read
// as an aggregate is wrapped in an aggregate of one if that fits.
func (p *Producer) encode(k *kinesisRecord, agg *aggregation.Aggregator) {
	if len(k.users) == 1 {
		u := k.users[0]
		if !p.cfg.aggregate || !aggregation.IsAggregated(u.Data) || p.wrappedTooLarge(u) {
			agg.Reset()
			k.data, k.pk, k.ehk, k.aggregated = u.Data, u.PartitionKey, u.ExplicitHashKey, false
			return
		}
	}
	if agg.Len() == 0 {
		for _, u := range k.users {
			_ = agg.Add(u.PartitionKey, u.ExplicitHashKey, u.Data)
		}
	}
	k.data, k.pk, k.ehk, _ = agg.Drain()
	k.aggregated = true
}

func (p *Producer) wrappedTooLarge(u *userRecord) bool {
	var a aggregation.Aggregator
	return a.SizeWith(u.PartitionKey, u.ExplicitHashKey, len(u.Data))+len(u.PartitionKey) > p.cfg.maxRecordSize
}

// queuedLocked counts a newly queued Kinesis record of size bytes in s
// and reports whether the queued records now fill a PutRecords call.
func (p *Producer) queuedLocked(s *shard, size int) bool {
	wasFull := p.mu.queuedRecords >= p.cfg.collectMaxCount || p.mu.queuedBytes >= p.cfg.collectMaxSize
	p.mu.queuedRecords++
	p.mu.queuedBytes += size
	s.queuedBytes += size
	full := p.mu.queuedRecords >= p.cfg.collectMaxCount || p.mu.queuedBytes >= p.cfg.collectMaxSize
	return full && !wasFull
}

func (p *Producer) dequeuedLocked(s *shard, size int) {
	p.mu.queuedRecords--
	p.mu.queuedBytes -= size
	s.queuedBytes -= size
}

// route returns the open shard predicted for key.
func (p *Producer) routeLocked(key hashKey) *shard {
	ranges := p.mu.ranges
	return p.mu.shards[lookup(ranges, key)]
}

func sameRange(a, b shardRange) bool {
	return a.id == b.id && bytes.Equal(a.start[:], b.start[:]) && bytes.Equal(a.end[:], b.end[:])
}
