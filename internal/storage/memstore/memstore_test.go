package memstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/storagetest"
)

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(*testing.T) storage.Engine { return New() })
}

// TestTrimExact checks what memstore adds to the contract: Trim discards
// exactly the records older than the cutoff.
func TestTrimExact(t *testing.T) {
	ctx := context.Background()
	e := New()
	id := storage.ShardID{Stream: 1}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	for a := range int64(10) {
		if err := e.Append(ctx, id, []storage.Record{{Arrival: a}, {Arrival: a}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		cutoff    int64
		wantFirst uint64
	}{
		{0, 0}, {1, 2}, {4, 8}, {3, 8}, {9, 18}, {10, 20},
	}
	for _, tt := range tests {
		if err := e.Trim(ctx, id, tt.cutoff); err != nil {
			t.Fatal(err)
		}
		info, _ := e.Info(ctx, id)
		if info.First != tt.wantFirst {
			t.Errorf("Trim(%d): First = %d, want %d", tt.cutoff, info.First, tt.wantFirst)
		}
	}
}

// TestTrimReleasesMemory checks that trimming a long log does not keep its
// backing array alive.
func TestTrimReleasesMemory(t *testing.T) {
	ctx := context.Background()
	e := New()
	id := storage.ShardID{Stream: 1}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	recs := make([]storage.Record, 10000)
	for i := range recs {
		recs[i].Arrival = int64(i)
	}
	if err := e.Append(ctx, id, recs); err != nil {
		t.Fatal(err)
	}
	if err := e.Trim(ctx, id, 9990); err != nil {
		t.Fatal(err)
	}
	s, _ := e.shard(ctx, id)
	if len(s.recs) != 10 || cap(s.recs) > 64 {
		t.Fatalf("after trimming to 10 records: len %d cap %d", len(s.recs), cap(s.recs))
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, shards := range []int{1, 64} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			ctx := context.Background()
			e := New()
			for i := range shards {
				if err := e.CreateShard(ctx, storage.ShardID{Index: uint32(i)}); err != nil {
					b.Fatal(err)
				}
			}
			data := make([]byte, 1024)
			b.SetBytes(100 * 1024)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				recs := make([]storage.Record, 100)
				i := 0
				for pb.Next() {
					for j := range recs {
						recs[j] = storage.Record{PartitionKey: "k", Data: data}
					}
					if err := e.Append(ctx, storage.ShardID{Index: uint32(i % shards)}, recs); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
	}
}
