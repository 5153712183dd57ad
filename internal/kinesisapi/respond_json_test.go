package kinesisapi

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/shape"
)

// getRecordsOutputs are GetRecords responses covering every optional member
// and the strings that JSON must escape.
func getRecordsOutputs() map[string]*shape.GetRecordsOutput {
	ts := func(ms int64) *shape.Timestamp { return shape.NewTimestamp(time.UnixMilli(ms)) }
	i64 := func(n int64) *int64 { return &n }
	rec := func(pk string, data []byte) shape.Record {
		return shape.Record{
			SequenceNumber:              str("49590338271490256608559692538361571095921575989136588898"),
			ApproximateArrivalTimestamp: ts(1_700_000_000_123),
			Data:                        data,
			PartitionKey:                &pk,
			EncryptionType:              str("NONE"),
		}
	}
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	// Every length up to a few SIMD blocks, and around 1 KiB and 1 MiB:
	// the SIMD encoder hands the tail of each to encoding/base64.
	random := make([]byte, 1<<20+100)
	rand.NewChaCha8([32]byte{1}).Read(random)
	var lengths []shape.Record
	for _, n := range append(seq(0, 130), append(seq(1020, 1030), seq(1<<20-3, 1<<20+3)...)...) {
		lengths = append(lengths, rec("pk", random[:n]))
	}
	children := []shape.ChildShard{{
		ShardId:      str("shardId-000000000004"),
		ParentShards: []string{"shardId-000000000001", "shardId-000000000002"},
		HashKeyRange: &shape.HashKeyRange{StartingHashKey: str("0"), EndingHashKey: str("340282366920938463463374607431768211455")},
	}, {ShardId: str("shardId-000000000005")}}
	return map[string]*shape.GetRecordsOutput{
		"zero":         {},
		"no records":   {Records: []shape.Record{}, NextShardIterator: str("AAAA+/=="), MillisBehindLatest: i64(0)},
		"one record":   {Records: []shape.Record{rec("pk", []byte("hello"))}, NextShardIterator: str("it"), MillisBehindLatest: i64(86_400_000)},
		"empty data":   {Records: []shape.Record{rec("pk", []byte{})}},
		"nil data":     {Records: []shape.Record{rec("pk", nil)}},
		"binary data":  {Records: []shape.Record{rec("pk", binary), rec("pk", binary[:1]), rec("pk", binary[:2])}},
		"data lengths": {Records: lengths},
		"unicode keys": {Records: []shape.Record{
			rec("日本語のキー", []byte("a")), rec("emoji 🦀", []byte("b")), rec("é\u2028\u2029", []byte("c")),
		}},
		"escaped keys": {Records: []shape.Record{
			rec(`quote " backslash \ slash /`, nil), rec("\x00\x01\b\f\n\r\t\x1f\x7f", nil),
			rec("<html>&amp;", nil), rec("invalid \xff\xfe utf-8 \xe2\x82", nil),
		}},
		"optional members absent": {Records: []shape.Record{{Data: []byte("x")}, {}}},
		"kms": {Records: []shape.Record{{
			SequenceNumber: str("1"), Data: []byte("x"), PartitionKey: str("k"), EncryptionType: str("KMS"),
		}}},
		"timestamps": {Records: []shape.Record{
			{ApproximateArrivalTimestamp: ts(0)}, {ApproximateArrivalTimestamp: ts(5)},
			{ApproximateArrivalTimestamp: ts(-1)}, {ApproximateArrivalTimestamp: ts(-1_500)},
			{ApproximateArrivalTimestamp: ts(253_402_300_799_999)},
		}},
		"shard end":          {Records: []shape.Record{rec("pk", []byte("last"))}, MillisBehindLatest: i64(0), ChildShards: children},
		"shard end, no kids": {Records: []shape.Record{}, MillisBehindLatest: i64(0), ChildShards: []shape.ChildShard{}},
		"odd iterator":       {Records: []shape.Record{}, NextShardIterator: str("a\"b\\c\n"), MillisBehindLatest: i64(-3)},
	}
}

// seq returns the integers in [from, to).
func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

func TestGetRecordsJSON(t *testing.T) {
	for name, out := range getRecordsOutputs() {
		t.Run(name, func(t *testing.T) {
			want, err := shape.JSON.Encode(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendGetRecordsJSON(nil, out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("appendGetRecordsJSON:\n got %s\nwant %s", got, want)
			}
			prefixed, err := appendGetRecordsJSON([]byte("prefix"), out)
			if err != nil || string(prefixed) != "prefix"+string(want) {
				t.Errorf("appendGetRecordsJSON(prefix) = %s, %v; want prefix%s", prefixed, err, want)
			}
			// The records alone, as fan-out events carry them.
			if out.Records != nil {
				want, err := shape.JSON.Encode(out.Records)
				if err != nil {
					t.Fatal(err)
				}
				got, err := appendRecordsJSON(nil, out.Records)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("appendRecordsJSON = %s, %v\nwant %s", got, err, want)
				}
			}
		})
	}
}

// TestWriteGetRecordsJSON checks the reply, through the pooled buffers:
// the same body as writeOutput's generic path, twice in a row.
func TestWriteGetRecordsJSON(t *testing.T) {
	s := &Service{}
	for name, out := range getRecordsOutputs() {
		want, err := shape.JSON.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			w := httptest.NewRecorder()
			s.writeOutput(w, shape.JSON, out)
			if w.Code != 200 || w.Header().Get("Content-Type") != shape.ContentTypeJSON || !bytes.Equal(w.Body.Bytes(), want) {
				t.Errorf("%s: %d %q %s, want 200 %s", name, w.Code, w.Header().Get("Content-Type"), w.Body, want)
			}
			if got := w.Header().Get("Content-Length"); got != strconv.Itoa(len(want)) {
				t.Errorf("%s: Content-Length %s, want %d", name, got, len(want))
			}
		}
	}
}

// FuzzGetRecordsJSON compares the hand-written encoder with the generic
// one on arbitrary partition keys, data, iterators and times.
func FuzzGetRecordsJSON(f *testing.F) {
	f.Add("pk", []byte("data"), int64(1_700_000_000_123), "iterator", int64(0), true)
	f.Add("日本\u2028\xff\"\\", []byte{0, 0xff}, int64(-1), "a\nb", int64(-5), false)
	f.Fuzz(func(t *testing.T, pk string, data []byte, ms int64, it string, behind int64, encrypted bool) {
		ms %= 1 << 53 // shape.Timestamp's range
		enc := "NONE"
		if encrypted {
			enc = "KMS"
		}
		out := &shape.GetRecordsOutput{
			Records: []shape.Record{{
				SequenceNumber:              &it,
				ApproximateArrivalTimestamp: shape.NewTimestamp(time.UnixMilli(ms)),
				Data:                        data,
				PartitionKey:                &pk,
				EncryptionType:              &enc,
			}, {PartitionKey: &pk}},
			NextShardIterator:  &it,
			MillisBehindLatest: &behind,
		}
		if encrypted {
			out.ChildShards = []shape.ChildShard{{ShardId: &pk, ParentShards: []string{it}}}
		}
		want, err := shape.JSON.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendGetRecordsJSON(nil, out)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendGetRecordsJSON = %s, %v\nwant %s", got, err, want)
		}
	})
}

// putRecordsOutputs are PutRecords responses covering every optional
// member, failed entries and strings that JSON must escape.
func putRecordsOutputs() map[string]*shape.PutRecordsOutput {
	i32 := func(n int32) *int32 { return &n }
	ok := func(seq, shard string) shape.PutRecordsResultEntry {
		return shape.PutRecordsResultEntry{SequenceNumber: &seq, ShardId: &shard}
	}
	failed := func(code, msg string) shape.PutRecordsResultEntry {
		return shape.PutRecordsResultEntry{ErrorCode: &code, ErrorMessage: &msg}
	}
	many := make([]shape.PutRecordsResultEntry, 500)
	for i := range many {
		many[i] = ok(fmt.Sprintf("4959033827149025660855969253836157109592157598913658%04d", i), "shardId-000000000003")
	}
	return map[string]*shape.PutRecordsOutput{
		"empty":            {},
		"no records":       {FailedRecordCount: i32(0), Records: []shape.PutRecordsResultEntry{}},
		"one":              {FailedRecordCount: i32(0), Records: []shape.PutRecordsResultEntry{ok("49590338271490256608559692538361571095921575989136588898", "shardId-000000000000")}, EncryptionType: str("NONE")},
		"500":              {FailedRecordCount: i32(0), Records: many, EncryptionType: str("KMS")},
		"failed":           {FailedRecordCount: i32(1), Records: []shape.PutRecordsResultEntry{ok("1", "shardId-000000000001"), failed("ProvisionedThroughputExceededException", `Rate exceeded for shard shardId-000000000001 in stream s under account 123456789012.`)}},
		"escaped":          {Records: []shape.PutRecordsResultEntry{failed("InternalFailure", "quote \" <html> & \x00 \u2028 \xff")}},
		"empty entry":      {Records: []shape.PutRecordsResultEntry{{}}},
		"no count":         {Records: []shape.PutRecordsResultEntry{ok("2", "s")}},
		"partial entry":    {Records: []shape.PutRecordsResultEntry{{ShardId: str("s")}, {ErrorMessage: str("m")}}},
		"encryption alone": {EncryptionType: str("NONE")},
	}
}

func TestPutRecordsJSON(t *testing.T) {
	for name, out := range putRecordsOutputs() {
		t.Run(name, func(t *testing.T) {
			want, err := shape.JSON.Encode(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendPutRecordsJSON([]byte("prefix"), out)
			if err != nil || string(got) != "prefix"+string(want) {
				t.Errorf("appendPutRecordsJSON = %s, %v\nwant prefix%s", got, err, want)
			}
		})
	}
}

func TestWritePutRecordsJSON(t *testing.T) {
	s := &Service{}
	for name, out := range putRecordsOutputs() {
		want, err := shape.JSON.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		s.writeOutput(w, shape.JSON, out)
		if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), want) || w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("%s: %d %s (Content-Length %s), want 200 %s", name, w.Code, w.Body, w.Header().Get("Content-Length"), want)
		}
	}
}

func FuzzPutRecordsJSON(f *testing.F) {
	f.Add("49590338271490256608559692538361571095921575989136588898", "shardId-000000000000", "", "", int32(0), uint8(3))
	f.Add("", "", "InternalFailure", "日本\u2028\xff\"\\", int32(1), uint8(12))
	f.Fuzz(func(t *testing.T, seq, shard, code, msg string, failed int32, set uint8) {
		opt := func(bit uint8, s string) *string {
			if set&bit == 0 {
				return nil
			}
			return &s
		}
		out := &shape.PutRecordsOutput{
			Records: []shape.PutRecordsResultEntry{
				{SequenceNumber: opt(1, seq), ShardId: opt(2, shard), ErrorCode: opt(4, code), ErrorMessage: opt(8, msg)},
				{SequenceNumber: &seq, ShardId: &shard},
			},
		}
		if set&16 != 0 {
			out.FailedRecordCount = &failed
		}
		if set&32 != 0 {
			out.EncryptionType = &code
		}
		want, err := shape.JSON.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendPutRecordsJSON(nil, out)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("appendPutRecordsJSON = %s, %v\nwant %s", got, err, want)
		}
	})
}

// TestWriteGetRecordsCBOR checks that CBOR replies go through
// shape.GetRecordsOutput.AppendCBOR with the right headers.
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
