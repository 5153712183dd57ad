package aggregation

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"math/big"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/runnel-dev/runnel/aggregation/internal/kplpb"
)

// Frozen format constants.
var magic = [4]byte{0xF3, 0x89, 0x9A, 0xC2}

const digestSize = md5.Size

// Errors reported by [Split] for aggregates the KCL would drop in part or
// whole.
var (
	// ErrOutOfRange: a user record's hash key lies outside the shard's
	// range; the whole aggregate is dropped.
	ErrOutOfRange = errors.New("aggregation: user record outside the shard's hash range")
	// ErrBadUserRecord: a user record refers to a missing table entry or
	// has an explicit hash key that is not a number; it and the user
	// records after it are dropped, those before it are kept.
	ErrBadUserRecord = errors.New("aggregation: malformed user record")
)

// Record is a Kinesis record as stored in a stream.
type Record struct {
	SequenceNumber              string
	PartitionKey                string
	Data                        []byte
	ApproximateArrivalTimestamp time.Time
}

// UserRecord is one user record: a de-aggregated part of an aggregated
// Kinesis record, or a non-aggregated Kinesis record passed through
// (SubSequenceNumber 0, Aggregated false).
type UserRecord struct {
	Record                   // the outer record's sequence number and arrival time; this user record's partition key and data
	ExplicitHashKey   string // "" if none
	SubSequenceNumber uint64
	Aggregated        bool
}

// HashRange is a shard's closed hash-key range, for the KCL's rule on user
// records outside it.
type HashRange struct{ Start, End *big.Int }

// contains reports whether k lies in the closed range; a nil range is the
// whole hash-key space [0, 2^128-1], as in the KCL's deaggregate(records).
func (hr *HashRange) contains(k *big.Int) bool {
	if hr == nil {
		return k.Sign() >= 0 && k.Cmp(maxHashKey) <= 0
	}
	return k.Cmp(hr.Start) >= 0 && k.Cmp(hr.End) <= 0
}

var maxHashKey = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// Deaggregate splits r exactly as the KCL does (AggregatorUtil):
// non-aggregated or malformed records pass through as one UserRecord; with
// a non-nil hr, a user record outside it drops that record and the rest of
// its aggregate (and those already taken from it), as the KCL does. A nil
// hr is the whole hash-key space, which only an explicit hash key that is
// negative or above 2^128-1 can leave. A user record with a dangling table
// index or a non-numeric explicit hash key ends the aggregate there: the
// user records before it are returned, it and the rest are not (the KCL
// logs and drops them). Use [Split] to learn about dropped records.
//
// User records' data does not alias r.Data; a passed-through record's does.
func Deaggregate(r Record, hr *HashRange) []UserRecord {
	out, _ := Split(r, hr)
	return out
}

// Split is [Deaggregate] that also reports why user records were dropped:
// an error wrapping [ErrOutOfRange] or [ErrBadUserRecord]. The records it
// returns are Deaggregate's in every case.
func Split(r Record, hr *HashRange) ([]UserRecord, error) {
	ar := parse(r.Data)
	if ar == nil {
		return []UserRecord{{Record: r}}, nil
	}
	out := make([]UserRecord, 0, len(ar.Records))
	for i, ur := range ar.Records {
		u, key, err := userRecord(ar, ur)
		if err != nil {
			return out, fmt.Errorf("%w: user record %d of %s: %w", ErrBadUserRecord, i, r.SequenceNumber, err)
		}
		if (key != nil || hr != nil) && !hr.contains(effectiveHashKey(key, u.PartitionKey)) {
			return nil, fmt.Errorf("%w: user record %d of %s", ErrOutOfRange, i, r.SequenceNumber)
		}
		u.SequenceNumber = r.SequenceNumber
		u.ApproximateArrivalTimestamp = r.ApproximateArrivalTimestamp
		u.SubSequenceNumber = uint64(i)
		out = append(out, u)
	}
	return out, nil
}

// IsAggregated reports whether [Deaggregate] would treat data as an
// aggregated record: magic, length, MD5 and protobuf all valid.
func IsAggregated(data []byte) bool { return parse(data) != nil }

// parse returns the aggregated record in data, or nil if data is not one
// by the KCL's tests.
func parse(data []byte) *kplpb.AggregatedRecord {
	if len(data) < len(magic) || !bytes.Equal(data[:len(magic)], magic[:]) {
		return nil
	}
	body := data[len(magic):]
	if len(body) <= digestSize {
		return nil
	}
	msg, digest := body[:len(body)-digestSize], body[len(body)-digestSize:]
	if sum := md5.Sum(msg); !bytes.Equal(sum[:], digest) {
		return nil
	}
	ar := new(kplpb.AggregatedRecord)
	if err := proto.Unmarshal(msg, ar); err != nil {
		return nil
	}
	return ar
}

// userRecord resolves ur's table indices. key is its explicit hash key as
// a number, nil if it has none.
func userRecord(ar *kplpb.AggregatedRecord, ur *kplpb.Record) (u UserRecord, key *big.Int, err error) {
	pk, ok := lookup(ar.PartitionKeyTable, ur.GetPartitionKeyIndex())
	if !ok {
		return u, nil, fmt.Errorf("partition key index %d of %d", ur.GetPartitionKeyIndex(), len(ar.PartitionKeyTable))
	}
	u = UserRecord{Record: Record{PartitionKey: pk, Data: ur.GetData()}, Aggregated: true}
	if ur.ExplicitHashKeyIndex == nil {
		return u, nil, nil
	}
	ehk, ok := lookup(ar.ExplicitHashKeyTable, ur.GetExplicitHashKeyIndex())
	if !ok {
		return u, nil, fmt.Errorf("explicit hash key index %d of %d", ur.GetExplicitHashKeyIndex(), len(ar.ExplicitHashKeyTable))
	}
	key, ok = new(big.Int).SetString(ehk, 10)
	if !ok {
		return u, nil, fmt.Errorf("explicit hash key %q is not a number", ehk)
	}
	u.ExplicitHashKey = ehk
	return u, key, nil
}

// lookup indexes table as the KCL does: Java's (int) cast keeps the low 32
// bits of the uint64 index, so 2^32 finds entry 0 and 2^31 is negative.
func lookup(table []string, index uint64) (string, bool) {
	i := int32(uint32(index))
	if i < 0 || int(i) >= len(table) {
		return "", false
	}
	return table[i], true
}

// effectiveHashKey is the explicit hash key if there is one, else the
// partition key's MD5 as an unsigned big-endian integer.
func effectiveHashKey(explicit *big.Int, partitionKey string) *big.Int {
	if explicit != nil {
		return explicit
	}
	sum := md5.Sum([]byte(partitionKey))
	return new(big.Int).SetBytes(sum[:])
}
