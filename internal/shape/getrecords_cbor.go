package shape

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// GetRecordsOutput's CBOR form, what the AWS SDK for Java and so the KCL
// read by default, is written by hand: fxamacker/cbor's reflection cost
// five allocations and about a microsecond per record, more than the copy
// of a 1 KiB record's data. The bytes are exactly those of CBOR.Encode
// (TestGetRecordsAppendCBOR and FuzzGetRecordsAppendCBOR compare them):
// definite lengths, the shortest heads, members in declaration order, nil
// pointers as null, nil Data as an empty byte string, nil ChildShards left
// out, and timestamps as tag 1 over epoch milliseconds.

// appendCBORHead appends the head of an item of major type major and
// argument n, in its shortest form.
func appendCBORHead(b []byte, major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return append(b, m|byte(n))
	case n <= 0xff:
		return append(b, m|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, m|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, m|26), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, m|27), n)
}

func appendCBORInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendCBORHead(b, cborMajorUint, uint64(v))
	}
	return appendCBORHead(b, cborMajorNegint, uint64(-1-v))
}

func appendCBORText(b []byte, s string) []byte {
	return append(appendCBORHead(b, cborMajorText, uint64(len(s))), s...)
}

func appendCBORTextPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, cborNull)
	}
	return appendCBORText(b, *s)
}

// AppendCBOR appends the CBOR encoding of o to dst, exactly as
// CBOR.Encode(o) writes it, without reflection.
func (o *GetRecordsOutput) AppendCBOR(dst []byte) ([]byte, error) {
	b := slices.Grow(dst, cborSize(o))
	members := 1
	for _, set := range []bool{o.NextShardIterator != nil, o.MillisBehindLatest != nil, o.ChildShards != nil} {
		if set {
			members++
		}
	}
	b = appendCBORHead(b, cborMajorMap, uint64(members))
	b = appendCBORText(b, "Records")
	b = appendCBORHead(b, cborMajorArray, uint64(len(o.Records)))
	for i := range o.Records {
		b = appendRecordCBOR(b, &o.Records[i])
	}
	if o.NextShardIterator != nil {
		b = appendCBORText(b, "NextShardIterator")
		b = appendCBORText(b, *o.NextShardIterator)
	}
	if o.MillisBehindLatest != nil {
		b = appendCBORText(b, "MillisBehindLatest")
		b = appendCBORInt(b, *o.MillisBehindLatest)
	}
	if o.ChildShards != nil {
		children, err := cborEnc.Marshal(o.ChildShards)
		if err != nil {
			return b, fmt.Errorf("shape: encode GetRecords child shards: %w", err)
		}
		b = appendCBORText(b, "ChildShards")
		b = append(b, children...)
	}
	return b, nil
}

func appendRecordCBOR(b []byte, r *Record) []byte {
	members := 3
	if r.ApproximateArrivalTimestamp != nil {
		members++
	}
	if r.EncryptionType != nil {
		members++
	}
	b = appendCBORHead(b, cborMajorMap, uint64(members))
	b = appendCBORText(b, "SequenceNumber")
	b = appendCBORTextPtr(b, r.SequenceNumber)
	if r.ApproximateArrivalTimestamp != nil {
		b = appendCBORText(b, "ApproximateArrivalTimestamp")
		b = appendCBORHead(b, cborMajorTag, cborTagEpoch)
		b = appendCBORInt(b, r.ApproximateArrivalTimestamp.UnixMilli())
	}
	b = appendCBORText(b, "Data")
	b = append(appendCBORHead(b, cborMajorBytes, uint64(len(r.Data))), r.Data...)
	b = appendCBORText(b, "PartitionKey")
	b = appendCBORTextPtr(b, r.PartitionKey)
	if r.EncryptionType != nil {
		b = appendCBORText(b, "EncryptionType")
		b = appendCBORText(b, *r.EncryptionType)
	}
	return b
}

// cborRecordOverhead bounds the CBOR of a record besides its strings and
// data: member names, heads and the timestamp.
const cborRecordOverhead = 96

// cborSize bounds the encoding of o, unless its child shards are large.
func cborSize(o *GetRecordsOutput) int {
	n := 2*cborRecordOverhead + len(deref(o.NextShardIterator))
	for i := range o.Records {
		r := &o.Records[i]
		n += cborRecordOverhead + len(r.Data) + len(deref(r.SequenceNumber)) +
			len(deref(r.PartitionKey)) + len(deref(r.EncryptionType))
	}
	return n
}
