package kinesisapi

import (
	"bytes"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/shape"
)

func TestGetRecordsCBOR(t *testing.T) {
	outputs := getRecordsOutputs()
	// CBOR heads change width at 24, 256, 65,536 and 2^32: lengths, counts
	// and integers around them.
	ts := func(ms int64) *shape.Timestamp { return shape.NewTimestamp(time.UnixMilli(ms)) }
	for _, n := range []int64{0, 23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, -1, -24, -25, -257, -(1 << 40)} {
		key := string(bytes.Repeat([]byte{'k'}, int(min(max(n, -n), 70000))))
		out := &shape.GetRecordsOutput{
			Records:            []shape.Record{{SequenceNumber: &key, ApproximateArrivalTimestamp: ts(n), Data: []byte(key), PartitionKey: &key}},
			MillisBehindLatest: &n,
		}
		outputs["heads "+strconv.FormatInt(n, 10)] = out
	}
	many := make([]shape.Record, 300)
	for i := range many {
		many[i] = shape.Record{Data: []byte{byte(i)}}
	}
	outputs["300 records"] = &shape.GetRecordsOutput{Records: many}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			want, err := shape.CBOR.Encode(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendGetRecordsCBOR([]byte("prefix"), out)
			if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Errorf("appendGetRecordsCBOR = %x, %v\nwant prefix %x", got, err, want)
			}
		})
	}
}

func TestWriteGetRecordsCBOR(t *testing.T) {
	s := &Service{}
	for name, out := range getRecordsOutputs() {
		want, err := shape.CBOR.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.writeOutput(w, shape.CBOR, out)
		if w.Code != 200 || w.Header().Get("Content-Type") != shape.ContentTypeCBOR || !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("%s: %d %q %x, want 200 %x", name, w.Code, w.Header().Get("Content-Type"), w.Body, want)
		}
	}
}

func FuzzGetRecordsCBOR(f *testing.F) {
	f.Add("pk", []byte("data"), int64(1_700_000_000_123), "iterator", int64(0), uint8(0xff))
	f.Add("日本\u2028\xff\"\\", []byte{0, 0xff}, int64(-1), "", int64(-5), uint8(0))
	f.Fuzz(func(t *testing.T, pk string, data []byte, ms int64, it string, behind int64, set uint8) {
		ms %= 1 << 53 // shape.Timestamp's range
		opt := func(bit uint8, s string) *string {
			if set&bit == 0 {
				return nil
			}
			return &s
		}
		rec := shape.Record{SequenceNumber: opt(1, it), Data: data, PartitionKey: opt(2, pk), EncryptionType: opt(4, pk)}
		if set&8 != 0 {
			rec.ApproximateArrivalTimestamp = shape.NewTimestamp(time.UnixMilli(ms))
		}
		if set&16 != 0 {
			rec.Data = nil
		}
		out := &shape.GetRecordsOutput{Records: []shape.Record{rec, {}}, NextShardIterator: opt(32, it)}
		if set&64 != 0 {
			out.MillisBehindLatest = &behind
		}
		if set&128 != 0 {
			out.ChildShards = []shape.ChildShard{{ShardId: &pk, ParentShards: []string{it}}}
		}
		want, err := shape.CBOR.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendGetRecordsCBOR(nil, out)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendGetRecordsCBOR = %x, %v\nwant %x", got, err, want)
		}
	})
}

// BenchmarkEncodeGetRecordsCBOR compares the hand-written CBOR encoder with
// the generic one on a full GetRecords reply of 10,000 records of 1 KiB.
func BenchmarkEncodeGetRecordsCBOR(b *testing.B) {
	seq, pk, enc := "49590338271490256608559692538361571095921575989136588898", "partition-key", "NONE"
	recs := make([]shape.Record, 10000)
	for i := range recs {
		recs[i] = shape.Record{SequenceNumber: &seq, ApproximateArrivalTimestamp: shape.NewTimestamp(time.UnixMilli(1_700_000_000_000)),
			Data: make([]byte, 1024), PartitionKey: &pk, EncryptionType: &enc}
	}
	behind := int64(0)
	out := &shape.GetRecordsOutput{Records: recs, NextShardIterator: &seq, MillisBehindLatest: &behind}
	encoders := []struct {
		name   string
		encode func([]byte) ([]byte, error)
	}{
		{"generic", func([]byte) ([]byte, error) { return shape.CBOR.Encode(out) }},
		{"hand-written", func(b []byte) ([]byte, error) { return appendGetRecordsCBOR(b[:0], out) }},
	}
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			b.SetBytes(int64(len(recs) * 1024))
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = e.encode(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
