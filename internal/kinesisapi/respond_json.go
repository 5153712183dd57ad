package kinesisapi

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/segmentio/asm/base64"

	"github.com/runnel-dev/runnel/internal/shape"
)

// The JSON forms of the two responses on the data path, GetRecordsOutput
// and PutRecordsOutput, are written by hand rather than by encoding/json's
// reflection, into pooled buffers sized beforehand. A GetRecords response
// is up to 10 MiB of data, about 14 MB of base64 JSON: encoding/json
// spends most of its time there in its base64 encoder, growing buffers
// and allocating a buffer per record, so records are written with
// segmentio/asm's SIMD base64 encoder. A PutRecords response is small,
// but its 500 entries made encoding/json a tenth of the server's work on a
// batch of small records. The bytes are exactly those of shape.JSON.Encode
// (TestGetRecordsJSON, TestPutRecordsJSON and their fuzz targets compare
// them). GetRecords in CBOR is written by shape.GetRecordsOutput.AppendCBOR;
// PutRecords in CBOR keeps the generic encoder.

// writeFast answers 200 with out in codec if out has a hand-written
// encoder for it, and reports whether it did.
func (s *Service) writeFast(w http.ResponseWriter, codec shape.Codec, out any) bool {
	var appendBody func([]byte) ([]byte, error)
	switch out := out.(type) {
	case *shape.GetRecordsOutput:
		if out == nil {
			return false
		}
		if codec == shape.CBOR {
			appendBody = out.AppendCBOR
		} else {
			appendBody = func(b []byte) ([]byte, error) { return appendGetRecordsJSON(b, out) }
		}
	case *shape.PutRecordsOutput:
		if out == nil || codec != shape.JSON {
			return false
		}
		appendBody = func(b []byte) ([]byte, error) { return appendPutRecordsJSON(b, out) }
	default:
		return false
	}
	buf := responsePool.Get().(*[]byte)
	defer responsePool.Put(buf)
	body, err := appendBody((*buf)[:0])
	if cap(body) <= maxPooledResponse {
		*buf = body[:0]
	}
	if err != nil {
		s.writeError(w, codec, err)
	} else {
		writeBody(w, http.StatusOK, codec, body)
	}
	return true
}

// responsePool recycles response buffers; a buffer larger than
// maxPooledResponse (more than any GetRecords response needs) is dropped.
var responsePool = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledResponse = 32 << 20

// appendGetRecordsJSON appends the JSON encoding of out to dst, as
// shape.JSON.Encode would write it.
func appendGetRecordsJSON(dst []byte, out *shape.GetRecordsOutput) ([]byte, error) {
	w := jsonWriter{buf: growFor(dst, out.Records, len(deref(out.NextShardIterator)))}
	w.raw(`{"Records":`)
	w.records(out.Records)
	if out.NextShardIterator != nil {
		w.raw(`,"NextShardIterator":`)
		w.string(*out.NextShardIterator)
	}
	if out.MillisBehindLatest != nil {
		w.raw(`,"MillisBehindLatest":`)
		w.buf = strconv.AppendInt(w.buf, *out.MillisBehindLatest, 10)
	}
	if out.ChildShards != nil { // omitzero: an empty list is sent
		w.raw(`,"ChildShards":`)
		w.generic(out.ChildShards)
	}
	w.byte('}')
	return w.buf, w.err
}

// appendPutRecordsJSON appends the JSON encoding of out to dst, as
// shape.JSON.Encode would write it.
func appendPutRecordsJSON(dst []byte, out *shape.PutRecordsOutput) ([]byte, error) {
	w := jsonWriter{buf: slices.Grow(dst, 64+len(out.Records)*putRecordsEntryBytes)}
	w.byte('{')
	if out.FailedRecordCount != nil {
		w.raw(`"FailedRecordCount":`)
		w.buf = strconv.AppendInt(w.buf, int64(*out.FailedRecordCount), 10)
		w.byte(',')
	}
	w.raw(`"Records":`)
	if out.Records == nil {
		w.raw("null")
	} else {
		w.byte('[')
		for i := range out.Records {
			if i > 0 {
				w.byte(',')
			}
			w.putRecordsEntry(&out.Records[i])
		}
		w.byte(']')
	}
	if out.EncryptionType != nil {
		w.raw(`,"EncryptionType":`)
		w.string(*out.EncryptionType)
	}
	w.byte('}')
	return w.buf, w.err
}

// putRecordsEntryBytes is about the JSON size of a successful entry: a
// 56-digit sequence number and a shard id.
const putRecordsEntryBytes = 100

// putRecordsEntry writes e's members that are set (all are omitempty).
func (w *jsonWriter) putRecordsEntry(e *shape.PutRecordsResultEntry) {
	w.byte('{')
	sep := false
	for _, m := range [...]struct {
		name string
		v    *string
	}{
		{`"SequenceNumber":`, e.SequenceNumber},
		{`"ShardId":`, e.ShardId},
		{`"ErrorCode":`, e.ErrorCode},
		{`"ErrorMessage":`, e.ErrorMessage},
	} {
		if m.v == nil {
			continue
		}
		if sep {
			w.byte(',')
		}
		w.raw(m.name)
		w.string(*m.v)
		sep = true
	}
	w.byte('}')
}

// appendRecordsJSON appends recs as a JSON array, as encoding/json writes
// a []shape.Record: the records of a SubscribeToShardEvent.
func appendRecordsJSON(dst []byte, recs []shape.Record) ([]byte, error) {
	w := jsonWriter{buf: growFor(dst, recs, 0)}
	w.records(recs)
	return w.buf, w.err
}

// recordOverhead bounds the JSON of a record besides its strings and data:
// member names, punctuation and the timestamp.
const recordOverhead = 128

// growFor grows dst to hold the encoding of recs and extra bytes more,
// unless a string needs escaping.
func growFor(dst []byte, recs []shape.Record, extra int) []byte {
	n := 2*recordOverhead + extra
	for i := range recs {
		r := &recs[i]
		n += recordOverhead + base64.StdEncoding.EncodedLen(len(r.Data)) +
			len(deref(r.SequenceNumber)) + len(deref(r.PartitionKey)) + len(deref(r.EncryptionType))
	}
	return slices.Grow(dst, n)
}

// jsonWriter appends JSON to buf. Its error is sticky: after a failure
// the output is abandoned.
type jsonWriter struct {
	buf []byte
	err error
}

func (w *jsonWriter) raw(s string) { w.buf = append(w.buf, s...) }

func (w *jsonWriter) byte(c byte) { w.buf = append(w.buf, c) }

func (w *jsonWriter) records(recs []shape.Record) {
	if recs == nil {
		w.raw("null")
		return
	}
	w.byte('[')
	for i := range recs {
		if i > 0 {
			w.byte(',')
		}
		w.record(&recs[i])
	}
	w.byte(']')
}

func (w *jsonWriter) record(r *shape.Record) {
	w.raw(`{"SequenceNumber":`)
	w.stringPtr(r.SequenceNumber)
	if r.ApproximateArrivalTimestamp != nil {
		w.raw(`,"ApproximateArrivalTimestamp":`)
		w.buf = r.ApproximateArrivalTimestamp.AppendJSON(w.buf)
	}
	w.raw(`,"Data":`)
	if r.Data == nil {
		w.raw("null")
	} else {
		w.byte('"')
		w.base64(r.Data)
		w.byte('"')
	}
	w.raw(`,"PartitionKey":`)
	w.stringPtr(r.PartitionKey)
	if r.EncryptionType != nil {
		w.raw(`,"EncryptionType":`)
		w.string(*r.EncryptionType)
	}
	w.byte('}')
}

// base64 appends b in standard base64 with padding, as encoding/json
// writes a []byte, with segmentio/asm's SIMD encoder, about ten times
// faster than encoding/base64's on a 1 KiB record.
func (w *jsonWriter) base64(b []byte) {
	n, size := len(w.buf), base64.StdEncoding.EncodedLen(len(b))
	w.buf = slices.Grow(w.buf, size)[:n+size]
	base64.StdEncoding.Encode(w.buf[n:], b)
}

func (w *jsonWriter) stringPtr(s *string) {
	if s == nil {
		w.raw("null")
		return
	}
	w.string(*s)
}

// string appends s as a JSON string. Sequence numbers, iterators and most
// partition keys are printable ASCII without quotes or backslashes, which
// encoding/json copies as they are; any other string goes to the generic
// encoder, so that its escaping (of control characters, invalid UTF-8,
// U+2028 and U+2029) is followed to the byte.
func (w *jsonWriter) string(s string) {
	for i := 0; i < len(s); i++ {
		if !verbatim[s[i]] {
			w.generic(s)
			return
		}
	}
	w.byte('"')
	w.raw(s)
	w.byte('"')
}

// verbatim holds the bytes that stand for themselves in a JSON string.
var verbatim = func() (t [256]bool) {
	for c := ' '; c <= '~'; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// generic appends v as shape.JSON encodes it.
func (w *jsonWriter) generic(v any) {
	b, err := shape.JSON.Encode(v)
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("kinesisapi: encode GetRecords response: %w", err)
	}
	w.buf = append(w.buf, b...)
}
