package aggregation

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type userRec struct {
	pk, ehk string
	data    []byte
}

func TestAggregatorRoundTrip(t *testing.T) {
	many := make([]userRec, 300) // indices past one varint byte
	for i := range many {
		many[i] = userRec{pk: fmt.Sprintf("key-%d", i), data: bytes.Repeat([]byte{byte(i)}, i)}
	}
	tests := []struct {
		name string
		recs []userRec
	}{
		{"one", []userRec{{pk: "a", data: []byte("hello")}}},
		{"empty and nil data", []userRec{{pk: "a", data: []byte{}}, {pk: "b", data: nil}}},
		{"shared keys", []userRec{{pk: "a", data: []byte("1")}, {pk: "b", data: []byte("2")}, {pk: "a", data: []byte("3")}}},
		{"explicit hash keys", []userRec{
			{pk: "a", ehk: "0", data: []byte("1")},
			{pk: "a", data: []byte("2")},
			{pk: "b", ehk: "340282366920938463463374607431768211455", data: []byte("3")},
			{pk: "c", ehk: "0", data: []byte("4")},
		}},
		{"large data", []userRec{{pk: "a", data: bytes.Repeat([]byte("x"), 70000)}, {pk: strings.Repeat("é", 256), data: []byte("y")}}},
		{"many", many},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Aggregator
			for _, r := range tt.recs {
				want := a.SizeWith(r.pk, r.ehk, len(r.data))
				if err := a.Add(r.pk, r.ehk, r.data); err != nil {
					t.Fatal(err)
				}
				if a.Size() != want {
					t.Fatalf("Size after Add = %d, SizeWith predicted %d", a.Size(), want)
				}
			}
			if a.Len() != len(tt.recs) {
				t.Fatalf("Len = %d, want %d", a.Len(), len(tt.recs))
			}
			size := a.Size()
			data, pk, ehk, n := a.Drain()
			if len(data) != size {
				t.Errorf("len(Drain) = %d, Size said %d", len(data), size)
			}
			if n != len(tt.recs) || pk != tt.recs[0].pk || ehk != tt.recs[0].ehk {
				t.Errorf("Drain = (%q, %q, %d), want first record's keys and %d", pk, ehk, n, len(tt.recs))
			}
			if a.Len() != 0 || a.Size() != 0 {
				t.Errorf("after Drain: Len %d, Size %d", a.Len(), a.Size())
			}
			arrived := time.Unix(1700000000, 0)
			got := Deaggregate(Record{SequenceNumber: "42", PartitionKey: pk, Data: data, ApproximateArrivalTimestamp: arrived}, nil)
			if len(got) != len(tt.recs) {
				t.Fatalf("Deaggregate gave %d user records, want %d", len(got), len(tt.recs))
			}
			for i, u := range got {
				r := tt.recs[i]
				if u.PartitionKey != r.pk || u.ExplicitHashKey != r.ehk || !bytes.Equal(u.Data, r.data) ||
					u.SubSequenceNumber != uint64(i) || !u.Aggregated || u.SequenceNumber != "42" || !u.ApproximateArrivalTimestamp.Equal(arrived) {
					t.Fatalf("user record %d = %+v, want %+v", i, u, r)
				}
			}
		})
	}
}

func TestAggregatorSharesTables(t *testing.T) {
	var a Aggregator
	for range 100 {
		if err := a.Add("same key", "12345", []byte("d")); err != nil {
			t.Fatal(err)
		}
	}
	data, _, _, _ := a.Drain()
	if c := bytes.Count(data, []byte("same key")); c != 1 {
		t.Errorf("partition key stored %d times, want once", c)
	}
	if c := bytes.Count(data, []byte("12345")); c != 1 {
		t.Errorf("explicit hash key stored %d times, want once", c)
	}
}

func TestAggregatorReuseAfterDrain(t *testing.T) {
	var a Aggregator
	a.Add("a", "", []byte("first"))
	a.Drain()
	a.Add("b", "", []byte("second"))
	data, pk, _, n := a.Drain()
	got := Deaggregate(Record{Data: data}, nil)
	if n != 1 || pk != "b" || len(got) != 1 || got[0].PartitionKey != "b" || string(got[0].Data) != "second" {
		t.Fatalf("second aggregate = %+v (pk %q, n %d)", got, pk, n)
	}
}

func TestAggregatorRejectsBadKeys(t *testing.T) {
	tests := []struct {
		pk, ehk string
		want    error
	}{
		{"", "", ErrPartitionKey},
		{strings.Repeat("k", 257), "", ErrPartitionKey},
		{"\xff", "", ErrPartitionKey},
		{"k", "-1", ErrExplicitHashKey},
		{"k", "01", ErrExplicitHashKey},
		{"k", "1e3", ErrExplicitHashKey},
		{"k", "340282366920938463463374607431768211456", ErrExplicitHashKey}, // 2^128
	}
	for _, tt := range tests {
		var a Aggregator
		if err := a.Add(tt.pk, tt.ehk, nil); !errors.Is(err, tt.want) {
			t.Errorf("Add(%.20q, %q) = %v, want %v", tt.pk, tt.ehk, err, tt.want)
		}
		if a.Len() != 0 || a.Size() != 0 {
			t.Errorf("Add(%.20q, %q) kept a record", tt.pk, tt.ehk)
		}
	}
}

func TestHashKey(t *testing.T) {
	sum := md5.Sum([]byte("partition"))
	got, err := HashKey("partition", "")
	if err != nil || got != sum {
		t.Errorf("HashKey(partition) = %x, %v; want MD5 %x", got, err, sum)
	}
	got, err = HashKey("p", "258")
	if want := [16]byte{14: 1, 15: 2}; err != nil || got != want {
		t.Errorf("HashKey(p, 258) = %x, %v; want %x", got, err, want)
	}
}

func BenchmarkAggregate(b *testing.B) {
	data := bytes.Repeat([]byte("x"), 100)
	keys := make([]string, 500)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	var a Aggregator
	b.SetBytes(int64(len(data) * len(keys)))
	for b.Loop() {
		for _, k := range keys {
			a.Add(k, "", data)
		}
		a.Drain()
	}
}
