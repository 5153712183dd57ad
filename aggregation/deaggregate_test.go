package aggregation

import (
	"bytes"
	"crypto/md5"
	"errors"
	"math/big"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// The tests build aggregates byte by byte with protowire, independently of
// the Aggregator, so that they can also build what no KPL writes.

type wireRec struct {
	pkIdx  uint64
	ehkIdx *uint64
	data   []byte
	noData bool
}

func wireAggregate(pks, ehks []string, recs []wireRec) []byte {
	var msg []byte
	for _, pk := range pks {
		msg = protowire.AppendTag(msg, 1, protowire.BytesType)
		msg = protowire.AppendString(msg, pk)
	}
	for _, ehk := range ehks {
		msg = protowire.AppendTag(msg, 2, protowire.BytesType)
		msg = protowire.AppendString(msg, ehk)
	}
	for _, r := range recs {
		var rec []byte
		rec = protowire.AppendTag(rec, 1, protowire.VarintType)
		rec = protowire.AppendVarint(rec, r.pkIdx)
		if r.ehkIdx != nil {
			rec = protowire.AppendTag(rec, 2, protowire.VarintType)
			rec = protowire.AppendVarint(rec, *r.ehkIdx)
		}
		if !r.noData {
			rec = protowire.AppendTag(rec, 3, protowire.BytesType)
			rec = protowire.AppendBytes(rec, r.data)
		}
		msg = protowire.AppendTag(msg, 3, protowire.BytesType)
		msg = protowire.AppendBytes(msg, rec)
	}
	return frame(msg)
}

func frame(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append(append([]byte{}, magic[:]...), msg...), sum[:]...)
}

func idx(i uint64) *uint64 { return &i }

// hashOf is the partition key's hash key as a decimal string.
func hashOf(pk string) *big.Int {
	sum := md5.Sum([]byte(pk))
	return new(big.Int).SetBytes(sum[:])
}

func TestDeaggregatePassThrough(t *testing.T) {
	valid := wireAggregate([]string{"a"}, nil, []wireRec{{pkIdx: 0, data: []byte("x")}})
	badDigest := bytes.Clone(valid)
	badDigest[len(badDigest)-1] ^= 1
	tests := []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"plain", []byte("hello, world, this is not aggregated")},
		{"magic only", magic[:]},
		{"magic and a digest", frame(nil)}, // 16 bytes after the magic: not more than 16
		{"wrong magic", append([]byte{0xF3, 0x89, 0x9A, 0xC3}, valid[4:]...)},
		{"bad digest", badDigest},
		{"truncated", valid[:len(valid)-1]},
		{"not protobuf", frame([]byte{0xFF, 0xFF, 0xFF})},
		{"missing required data", wireAggregate([]string{"a"}, nil, []wireRec{{pkIdx: 0, noData: true}})},
		{"missing required index", frame(protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType),
			protowire.AppendBytes(protowire.AppendTag(nil, 3, protowire.BytesType), []byte("x"))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Record{SequenceNumber: "7", PartitionKey: "outer", Data: tt.data, ApproximateArrivalTimestamp: time.Unix(5, 0)}
			got, err := Split(r, nil)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if len(got) != 1 || got[0].Aggregated || got[0].SubSequenceNumber != 0 || got[0].ExplicitHashKey != "" ||
				got[0].PartitionKey != "outer" || got[0].SequenceNumber != "7" || !bytes.Equal(got[0].Data, tt.data) {
				t.Fatalf("Deaggregate = %+v, want the record passed through", got)
			}
			if IsAggregated(tt.data) {
				t.Error("IsAggregated = true")
			}
		})
	}
}

func TestDeaggregateKCLRules(t *testing.T) {
	lo, hi := new(big.Int), new(big.Int).Lsh(big.NewInt(1), 127) // lower half of the key space
	lower := &HashRange{Start: lo, End: new(big.Int).Sub(hi, big.NewInt(1))}
	// Partition keys on each side of 2^127.
	var in, out string
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		if hashOf(k).Cmp(hi) < 0 {
			in = k
		} else {
			out = k
		}
	}
	if in == "" || out == "" {
		t.Fatal("no partition keys on both sides of 2^127")
	}
	tests := []struct {
		name     string
		pks      []string
		ehks     []string
		recs     []wireRec
		hr       *HashRange
		wantKeys []string // partition keys of the user records returned
		wantErr  error
	}{
		{
			name: "all in range", pks: []string{in}, hr: lower,
			recs:     []wireRec{{pkIdx: 0, data: []byte("1")}, {pkIdx: 0, data: []byte("2")}},
			wantKeys: []string{in, in},
		},
		{
			name: "one out of range drops the whole aggregate", pks: []string{in, out}, hr: lower,
			recs:    []wireRec{{pkIdx: 0}, {pkIdx: 1}, {pkIdx: 0}},
			wantErr: ErrOutOfRange,
		},
		{
			name: "explicit hash key decides the range", pks: []string{out}, ehks: []string{"5"}, hr: lower,
			recs:     []wireRec{{pkIdx: 0, ehkIdx: idx(0)}},
			wantKeys: []string{out},
		},
		{
			name: "explicit hash key above 2^128-1 with no range", pks: []string{"a"}, ehks: []string{"340282366920938463463374607431768211456"},
			recs:    []wireRec{{pkIdx: 0}, {pkIdx: 0, ehkIdx: idx(0)}},
			wantErr: ErrOutOfRange,
		},
		{
			name: "negative explicit hash key with no range", pks: []string{"a"}, ehks: []string{"-1"},
			recs:    []wireRec{{pkIdx: 0, ehkIdx: idx(0)}},
			wantErr: ErrOutOfRange,
		},
		{
			name: "dangling index keeps the records before it", pks: []string{"a", "b"},
			recs:     []wireRec{{pkIdx: 0}, {pkIdx: 1}, {pkIdx: 2}, {pkIdx: 0}},
			wantKeys: []string{"a", "b"}, wantErr: ErrBadUserRecord,
		},
		{
			name: "dangling explicit hash key index", pks: []string{"a"},
			recs:     []wireRec{{pkIdx: 0}, {pkIdx: 0, ehkIdx: idx(0)}},
			wantKeys: []string{"a"}, wantErr: ErrBadUserRecord,
		},
		{
			name: "non-numeric explicit hash key", pks: []string{"a"}, ehks: []string{"12x"},
			recs:    []wireRec{{pkIdx: 0, ehkIdx: idx(0)}},
			wantErr: ErrBadUserRecord,
		},
		{
			name: "index truncated to 32 bits as Java's (int) does", pks: []string{"a", "b"},
			recs:     []wireRec{{pkIdx: 1<<32 + 1}, {pkIdx: 1 << 32}},
			wantKeys: []string{"b", "a"},
		},
		{
			name: "index 2^31 is negative in Java", pks: []string{"a"},
			recs:    []wireRec{{pkIdx: 1 << 31}},
			wantErr: ErrBadUserRecord,
		},
		{
			name: "no user records", pks: []string{"a"},
			wantKeys: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := wireAggregate(tt.pks, tt.ehks, tt.recs)
			if !IsAggregated(data) {
				t.Fatal("IsAggregated = false")
			}
			got, err := Split(Record{SequenceNumber: "9", Data: data}, tt.hr)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Split error = %v, want %v", err, tt.wantErr)
			}
			var keys []string
			for i, u := range got {
				keys = append(keys, u.PartitionKey)
				if !u.Aggregated || u.SubSequenceNumber != uint64(i) || u.SequenceNumber != "9" {
					t.Errorf("user record %d = %+v", i, u)
				}
			}
			if !equalStrings(keys, tt.wantKeys) {
				t.Errorf("partition keys = %q, want %q", keys, tt.wantKeys)
			}
			if d := Deaggregate(Record{SequenceNumber: "9", Data: data}, tt.hr); len(d) != len(got) {
				t.Errorf("Deaggregate gave %d records, Split %d", len(d), len(got))
			}
		})
	}
}

func TestDeaggregateIgnoresTagsAndUnknownFields(t *testing.T) {
	var rec []byte
	rec = protowire.AppendTag(rec, 1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 0)
	rec = protowire.AppendTag(rec, 3, protowire.BytesType)
	rec = protowire.AppendString(rec, "payload")
	var tag []byte
	tag = protowire.AppendTag(tag, 1, protowire.BytesType)
	tag = protowire.AppendString(tag, "k")
	rec = protowire.AppendTag(rec, 4, protowire.BytesType)
	rec = protowire.AppendBytes(rec, tag)
	rec = protowire.AppendTag(rec, 9, protowire.VarintType) // unknown
	rec = protowire.AppendVarint(rec, 1)
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.BytesType)
	msg = protowire.AppendString(msg, "pk")
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendBytes(msg, rec)
	got := Deaggregate(Record{Data: frame(msg)}, nil)
	if len(got) != 1 || got[0].PartitionKey != "pk" || string(got[0].Data) != "payload" || !got[0].Aggregated {
		t.Fatalf("Deaggregate = %+v", got)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzDeaggregate checks that any data is passed through or split, never a
// panic, and that what is split re-aggregates to the same user records.
func FuzzDeaggregate(f *testing.F) {
	// With framed set, the input is the protobuf and the fuzzer's bytes get
	// past the MD5 check, which random bytes almost never do.
	f.Add([]byte("plain"), false)
	f.Add(wireAggregate([]string{"a", "b"}, []string{"7"}, []wireRec{{pkIdx: 0, data: []byte("x")}, {pkIdx: 1, ehkIdx: idx(0)}}), false)
	f.Add(wireAggregate([]string{"a"}, nil, []wireRec{{pkIdx: 3}}), false)
	f.Add([]byte{0x1a, 0x02, 0x08}, true)
	f.Add(wireAggregate([]string{"a", "b"}, []string{"7"}, []wireRec{{pkIdx: 1, ehkIdx: idx(0)}})[4:], true)
	f.Fuzz(func(t *testing.T, data []byte, framed bool) {
		if framed {
			data = frame(data)
		}
		r := Record{SequenceNumber: "1", PartitionKey: "outer", Data: data}
		got, err := Split(r, nil)
		if !IsAggregated(data) {
			if len(got) != 1 || got[0].Aggregated || !bytes.Equal(got[0].Data, data) || err != nil {
				t.Fatalf("not aggregated, but Split = %+v, %v", got, err)
			}
			return
		}
		var a Aggregator
		for i, u := range got {
			if !u.Aggregated || u.SubSequenceNumber != uint64(i) {
				t.Fatalf("user record %d = %+v", i, u)
			}
			if a.Add(u.PartitionKey, u.ExplicitHashKey, u.Data) != nil {
				return // keys Kinesis would refuse; nothing to compare
			}
		}
		if a.Len() == 0 {
			return
		}
		again, _, _, _ := a.Drain()
		back := Deaggregate(Record{SequenceNumber: "1", Data: again}, nil)
		if len(back) != len(got) {
			t.Fatalf("re-aggregated %d user records, got %d back", len(got), len(back))
		}
		for i := range back {
			if back[i].PartitionKey != got[i].PartitionKey || back[i].ExplicitHashKey != got[i].ExplicitHashKey || !bytes.Equal(back[i].Data, got[i].Data) {
				t.Fatalf("user record %d: %+v, then %+v", i, got[i], back[i])
			}
		}
	})
}

func BenchmarkDeaggregate(b *testing.B) {
	var a Aggregator
	for range 500 {
		a.Add("key", "", bytes.Repeat([]byte("x"), 100))
	}
	data, _, _, _ := a.Drain()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		Deaggregate(Record{Data: data}, nil)
	}
}
