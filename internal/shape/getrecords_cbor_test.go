package shape

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// getRecordsCBORCases are GetRecords replies covering every optional
// member and every width of a CBOR head (lengths, counts and integers
// around 24, 256, 65,536 and 2^32).
func getRecordsCBORCases() map[string]*GetRecordsOutput {
	str := func(s string) *string { return &s }
	ts := func(ms int64) *Timestamp { return NewTimestamp(time.UnixMilli(ms)) }
	zero := int64(0)
	full := Record{SequenceNumber: str("49590338271490256608559692538361571095921575989136588898"),
		ApproximateArrivalTimestamp: ts(1_700_000_000_123), Data: []byte("data"),
		PartitionKey: str("日本 \xff \u2028"), EncryptionType: str("KMS")}
	cases := map[string]*GetRecordsOutput{
		"empty":            {},
		"no records":       {Records: []Record{}, MillisBehindLatest: &zero},
		"empty record":     {Records: []Record{{}}},
		"empty data":       {Records: []Record{{Data: []byte{}}}},
		"full":             {Records: []Record{full, full}, NextShardIterator: str("AAAA"), MillisBehindLatest: &zero},
		"no child shards":  {Records: []Record{full}, ChildShards: []ChildShard{}},
		"child shards":     {Records: []Record{full}, ChildShards: []ChildShard{{ShardId: str("shardId-000000000001"), ParentShards: []string{"shardId-000000000000"}, HashKeyRange: &HashKeyRange{StartingHashKey: str("0"), EndingHashKey: str("1")}}}},
		"300 records":      {Records: make([]Record, 300)},
		"70,000 records":   {Records: make([]Record, 70000)},
		"negative behind":  {MillisBehindLatest: func() *int64 { n := int64(-1 << 40); return &n }()},
		"before the epoch": {Records: []Record{{ApproximateArrivalTimestamp: ts(-25)}}},
	}
	for _, n := range []int64{23, 24, 255, 256, 65535, 65536, 1<<32 - 1, 1 << 32, -1, -24, -25, -256, -257} {
		s := string(bytes.Repeat([]byte{'k'}, int(min(max(n, -n), 70000))))
		cases["heads "+strconv.FormatInt(n, 10)] = &GetRecordsOutput{
			Records:            []Record{{SequenceNumber: &s, ApproximateArrivalTimestamp: ts(n), Data: []byte(s), PartitionKey: &s}},
			MillisBehindLatest: &n,
		}
	}
	return cases
}

func TestGetRecordsAppendCBOR(t *testing.T) {
	for name, out := range getRecordsCBORCases() {
		t.Run(name, func(t *testing.T) {
			want, err := CBOR.Encode(out)
			if err != nil {
				t.Fatal(err)
			}
			got, err := out.AppendCBOR([]byte("prefix"))
			if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Errorf("AppendCBOR = %x, %v\nwant prefix %x", got, err, want)
			}
		})
	}
}

func FuzzGetRecordsAppendCBOR(f *testing.F) {
	f.Add("pk", []byte("data"), int64(1_700_000_000_123), "iterator", int64(0), uint8(0xff))
	f.Add("日本\u2028\xff\"\\", []byte{0, 0xff}, int64(-1), "", int64(-5), uint8(0))
	f.Fuzz(func(t *testing.T, pk string, data []byte, ms int64, it string, behind int64, set uint8) {
		ms %= 1 << 53 // Timestamp's range
		opt := func(bit uint8, s string) *string {
			if set&bit == 0 {
				return nil
			}
			return &s
		}
		rec := Record{SequenceNumber: opt(1, it), Data: data, PartitionKey: opt(2, pk), EncryptionType: opt(4, pk)}
		if set&8 != 0 {
			rec.ApproximateArrivalTimestamp = NewTimestamp(time.UnixMilli(ms))
		}
		if set&16 != 0 {
			rec.Data = nil
		}
		out := &GetRecordsOutput{Records: []Record{rec, {}}, NextShardIterator: opt(32, it)}
		if set&64 != 0 {
			out.MillisBehindLatest = &behind
		}
		if set&128 != 0 {
			out.ChildShards = []ChildShard{{ShardId: &pk, ParentShards: []string{it}}}
		}
		want, err := CBOR.Encode(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := out.AppendCBOR(nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("AppendCBOR = %x, %v\nwant %x", got, err, want)
		}
	})
}
