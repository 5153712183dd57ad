package kinesisapi

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/runnel-dev/runnel/internal/shape"
)

// The CBOR form of GetRecordsOutput, what the AWS SDK for Java and so the
// KCL read by default, is written by hand too: fxamacker/cbor's reflection
// cost five allocations and about a microsecond per record, more than the
// copy of a 1 KiB record's data. The bytes are exactly those of
// shape.CBOR.Encode (TestGetRecordsCBOR and FuzzGetRecordsCBOR compare
// them): definite lengths, the shortest heads, members in declaration
// order, nil pointers as null, nil Data as an empty byte string, nil
// ChildShards left out, and timestamps as tag 1 over epoch milliseconds.

// CBOR major types.
const (
	cborUint   = 0
	cborNegint = 1
	cborBytes  = 2
	cborText   = 3
	cborArray  = 4
	cborMap    = 5
	cborTag    = 6
	cborNull   = 0xf6
)

// cborTagEpoch is the tag of epoch-based date/time (RFC 8949 3.4.2).
const cborTagEpoch = 1

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
		return appendCBORHead(b, cborUint, uint64(v))
	}
	return appendCBORHead(b, cborNegint, uint64(-1-v))
}

func appendCBORText(b []byte, s string) []byte {
	return append(appendCBORHead(b, cborText, uint64(len(s))), s...)
}

func appendCBORTextPtr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, cborNull)
	}
	return appendCBORText(b, *s)
}

// appendGetRecordsCBOR appends the CBOR encoding of out to dst, as
// shape.CBOR.Encode would write it.
func appendGetRecordsCBOR(dst []byte, out *shape.GetRecordsOutput) ([]byte, error) {
	b := slices.Grow(dst, cborSize(out))
	members := 1
	for _, set := range []bool{out.NextShardIterator != nil, out.MillisBehindLatest != nil, out.ChildShards != nil} {
		if set {
			members++
		}
	}
	b = appendCBORHead(b, cborMap, uint64(members))
	b = appendCBORText(b, "Records")
	b = appendCBORHead(b, cborArray, uint64(len(out.Records)))
	for i := range out.Records {
		b = appendRecordCBOR(b, &out.Records[i])
	}
	if out.NextShardIterator != nil {
		b = appendCBORText(b, "NextShardIterator")
		b = appendCBORText(b, *out.NextShardIterator)
	}
	if out.MillisBehindLatest != nil {
		b = appendCBORText(b, "MillisBehindLatest")
		b = appendCBORInt(b, *out.MillisBehindLatest)
	}
	if out.ChildShards != nil {
		children, err := shape.CBOR.Encode(out.ChildShards)
		if err != nil {
			return b, fmt.Errorf("kinesisapi: encode GetRecords response: %w", err)
		}
		b = appendCBORText(b, "ChildShards")
		b = append(b, children...)
	}
	return b, nil
}

func appendRecordCBOR(b []byte, r *shape.Record) []byte {
	members := 3
	if r.ApproximateArrivalTimestamp != nil {
		members++
	}
	if r.EncryptionType != nil {
		members++
	}
	b = appendCBORHead(b, cborMap, uint64(members))
	b = appendCBORText(b, "SequenceNumber")
	b = appendCBORTextPtr(b, r.SequenceNumber)
	if r.ApproximateArrivalTimestamp != nil {
		b = appendCBORText(b, "ApproximateArrivalTimestamp")
		b = appendCBORHead(b, cborTag, cborTagEpoch)
		b = appendCBORInt(b, r.ApproximateArrivalTimestamp.UnixMilli())
	}
	b = appendCBORText(b, "Data")
	b = append(appendCBORHead(b, cborBytes, uint64(len(r.Data))), r.Data...)
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

// cborSize bounds the encoding of out, unless its child shards are large.
func cborSize(out *shape.GetRecordsOutput) int {
	n := 2*cborRecordOverhead + len(deref(out.NextShardIterator))
	for i := range out.Records {
		r := &out.Records[i]
		n += cborRecordOverhead + len(r.Data) + len(deref(r.SequenceNumber)) +
			len(deref(r.PartitionKey)) + len(deref(r.EncryptionType))
	}
	return n
}
