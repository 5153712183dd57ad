package aggregation

import (
	"crypto/md5"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/runnel-dev/runnel/aggregation/internal/kplpb"
)

// Overhead is the size of an aggregated record without its protobuf: the
// magic and the MD5 trailer.
const Overhead = len(magic) + digestSize

// Aggregator builds one aggregated record from user records (KPL format:
// magic F3 89 9A C2, protobuf AggregatedRecord, MD5 trailer), with size
// accounting so the caller can stay under the record-size limit. Partition
// keys and explicit hash keys are stored once each, as the KPL does.
//
// The zero value is ready to use. An Aggregator is not safe for concurrent
// use.
type Aggregator struct {
	ar       kplpb.AggregatedRecord
	pkIndex  map[string]uint64
	ehkIndex map[string]uint64
	size     int // protobuf bytes of ar
	first    struct{ partitionKey, explicitHashKey string }
}

// Add appends a user record. It returns an error wrapping [ErrPartitionKey]
// or [ErrExplicitHashKey], and adds nothing, if Kinesis would refuse the
// keys. Add retains data until the next Drain; the caller must not modify
// it before then.
func (a *Aggregator) Add(partitionKey, explicitHashKey string, data []byte) error {
	if _, err := checkKeys(partitionKey, explicitHashKey); err != nil {
		return err
	}
	if a.pkIndex == nil {
		a.pkIndex, a.ehkIndex = make(map[string]uint64), make(map[string]uint64)
	}
	if len(a.ar.Records) == 0 {
		a.first.partitionKey, a.first.explicitHashKey = partitionKey, explicitHashKey
	}
	a.size += a.growth(partitionKey, explicitHashKey, len(data))
	r := &kplpb.Record{
		PartitionKeyIndex: proto.Uint64(a.intern(&a.ar.PartitionKeyTable, a.pkIndex, partitionKey)),
		Data:              data,
	}
	if r.Data == nil {
		r.Data = []byte{} // a nil required field would be missing
	}
	if explicitHashKey != "" {
		r.ExplicitHashKeyIndex = proto.Uint64(a.intern(&a.ar.ExplicitHashKeyTable, a.ehkIndex, explicitHashKey))
	}
	a.ar.Records = append(a.ar.Records, r)
	return nil
}

// Size is the encoded size if Drain were called now: 0 if empty.
func (a *Aggregator) Size() int {
	if len(a.ar.Records) == 0 {
		return 0
	}
	return Overhead + a.size
}

// SizeWith is the encoded size after adding a user record with these keys
// and dataLen bytes of data.
func (a *Aggregator) SizeWith(partitionKey, explicitHashKey string, dataLen int) int {
	return Overhead + a.size + a.growth(partitionKey, explicitHashKey, dataLen)
}

// Len is the number of user records added since the last Drain.
func (a *Aggregator) Len() int { return len(a.ar.Records) }

// Drain encodes the user records added since the last Drain and resets the
// Aggregator. partitionKey and explicitHashKey are the first user record's,
// for the outer Kinesis record, so that it is routed where that user record
// would be. n is the number of user records; with none, Drain returns zero
// values.
func (a *Aggregator) Drain() (data []byte, partitionKey, explicitHashKey string, n int) {
	n = len(a.ar.Records)
	if n == 0 {
		return nil, "", "", 0
	}
	buf := make([]byte, len(magic), a.Size())
	copy(buf, magic[:])
	buf, err := proto.MarshalOptions{}.MarshalAppend(buf, &a.ar)
	if err != nil {
		// Every field is set and every string is valid UTF-8 (checkKeys
		// checked), so marshalling cannot fail.
		panic(fmt.Sprintf("aggregation: marshal: %v", err))
	}
	sum := md5.Sum(buf[len(magic):])
	data = append(buf, sum[:]...)
	partitionKey, explicitHashKey = a.first.partitionKey, a.first.explicitHashKey
	a.Reset()
	return data, partitionKey, explicitHashKey, n
}

// Reset discards the user records added since the last Drain.
func (a *Aggregator) Reset() {
	clear(a.ar.Records) // let the user records' data go
	a.ar.Records = a.ar.Records[:0]
	a.ar.PartitionKeyTable = a.ar.PartitionKeyTable[:0]
	a.ar.ExplicitHashKeyTable = a.ar.ExplicitHashKeyTable[:0]
	clear(a.pkIndex)
	clear(a.ehkIndex)
	a.size = 0
	a.first.partitionKey, a.first.explicitHashKey = "", ""
}

// intern returns s's index in table, appending it if new.
func (a *Aggregator) intern(table *[]string, index map[string]uint64, s string) uint64 {
	if i, ok := index[s]; ok {
		return i
	}
	i := uint64(len(*table))
	*table = append(*table, s)
	index[s] = i
	return i
}

// growth is how many protobuf bytes adding a user record would add: new
// table entries and the record field.
func (a *Aggregator) growth(partitionKey, explicitHashKey string, dataLen int) int {
	pkIdx, newPK := indexOf(a.pkIndex, len(a.ar.PartitionKeyTable), partitionKey)
	n := 0
	if newPK {
		n += bytesField(len(partitionKey))
	}
	rec := 1 + protowire.SizeVarint(pkIdx) + bytesField(dataLen)
	if explicitHashKey != "" {
		ehkIdx, newEHK := indexOf(a.ehkIndex, len(a.ar.ExplicitHashKeyTable), explicitHashKey)
		if newEHK {
			n += bytesField(len(explicitHashKey))
		}
		rec += 1 + protowire.SizeVarint(ehkIdx)
	}
	return n + bytesField(rec)
}

func indexOf(index map[string]uint64, next int, s string) (i uint64, isNew bool) {
	if i, ok := index[s]; ok {
		return i, false
	}
	return uint64(next), true
}

// bytesField is the size of a length-delimited field numbered below 16.
func bytesField(n int) int { return 1 + protowire.SizeBytes(n) }
