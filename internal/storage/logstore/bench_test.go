package logstore

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
)

const (
	benchRecord = 1 << 10
	benchBatch  = 500
)

// BenchmarkRawWriteSync is the baseline for BenchmarkAppend: the disk's
// speed at what a durable engine must do at least, appending a batch of
// 500 KiB to one file and waiting for fdatasync.
func BenchmarkRawWriteSync(b *testing.B) {
	f, err := vfs.Default.Create(filepath.Join(b.TempDir(), "raw"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, benchBatch*benchRecord)
	b.SetBytes(int64(len(buf)))
	off := int64(0)
	for b.Loop() {
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		off += int64(len(buf))
	}
}

func benchRecords(data []byte) []storage.Record {
	recs := make([]storage.Record, benchBatch)
	for i := range recs {
		recs[i] = storage.Record{PartitionKey: "partition-key", Data: data}
	}
	return recs
}

// BenchmarkAppend appends batches of 500 records of 1 KiB from concurrent
// writers (at least 4, one per shard up to 64) with the default options.
func BenchmarkAppend(b *testing.B) {
	for _, shards := range []int{1, 4, 64} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			e := openEngine(b, b.TempDir(), Options{})
			defer e.Close()
			for i := range shards {
				if err := e.CreateShard(ctx, storage.ShardID{Index: uint32(i)}); err != nil {
					b.Fatal(err)
				}
			}
			data := make([]byte, benchRecord)
			var writers atomic.Int64
			b.SetParallelism(max(4, shards) / runtime.GOMAXPROCS(0))
			b.SetBytes(benchBatch * benchRecord)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := storage.ShardID{Index: uint32(writers.Add(1) % int64(shards))}
				for pb.Next() {
					if err := e.Append(ctx, id, benchRecords(data)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkAppendConcurrentSmall measures group commit under many small
// requests: 16 writers each append one record of 1 KiB at a time to one of
// 4 shards, with the default options (fdatasync before every
// acknowledgement). It reports throughput and the latency of an Append.
func BenchmarkAppendConcurrentSmall(b *testing.B) {
	const writers, shards = 16, 4
	e := openEngine(b, b.TempDir(), Options{})
	defer e.Close()
	for i := range shards {
		if err := e.CreateShard(ctx, storage.ShardID{Index: uint32(i)}); err != nil {
			b.Fatal(err)
		}
	}
	data := make([]byte, benchRecord)
	var (
		left = atomic.Int64{}
		wg   sync.WaitGroup
		lat  = make([][]time.Duration, writers)
	)
	left.Store(int64(b.N))
	b.SetBytes(benchRecord)
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			id := storage.ShardID{Index: uint32(w % shards)}
			for left.Add(-1) >= 0 {
				t := time.Now()
				recs := []storage.Record{{PartitionKey: "partition-key", Data: data}}
				if err := e.Append(ctx, id, recs); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(percentile(all, 0.50).Seconds()*1e3, "p50-ms")
	b.ReportMetric(percentile(all, 0.99).Seconds()*1e3, "p99-ms")
}

// percentile returns the q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// fillShard writes n records of size bytes to a new shard, with arrival
// times 0, 1, 2...
func fillShard(b *testing.B, e *Engine, id storage.ShardID, n, size int) {
	if err := e.CreateShard(ctx, id); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, size)
	for i := 0; i < n; i += benchBatch {
		recs := benchRecords(data)[:min(benchBatch, n-i)]
		for j := range recs {
			recs[j].Arrival = int64(i + j)
		}
		if err := e.Append(ctx, id, recs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead reads a shard sequentially in GetRecords-sized pages (up to
// 1000 records), from the page cache.
func BenchmarkRead(b *testing.B) {
	const n = 50000
	e := openEngine(b, b.TempDir(), Options{SegmentBytes: 16 << 20})
	defer e.Close()
	id := storage.ShardID{Stream: 1}
	fillShard(b, e, id, n, benchRecord)
	b.SetBytes(1000 * benchRecord)
	from := uint64(0)
	for b.Loop() {
		recs, err := e.Read(ctx, id, from, storage.ReadOptions{MaxRecords: 1000, MaxBytes: 10 << 20})
		if err != nil || len(recs) != 1000 {
			b.Fatalf("Read: %d records, %v", len(recs), err)
		}
		from = (recs[len(recs)-1].Index + 1) % (n - 1000)
	}
}

// BenchmarkSeekArrival finds records by arrival time in a shard of several
// segments.
func BenchmarkSeekArrival(b *testing.B) {
	const n = 100000
	e := openEngine(b, b.TempDir(), Options{SegmentBytes: 8 << 20})
	defer e.Close()
	id := storage.ShardID{Stream: 1}
	fillShard(b, e, id, n, 200)
	rng := rand.New(rand.NewPCG(1, 2))
	for b.Loop() {
		ms := rng.Int64N(n)
		got, err := e.SeekArrival(ctx, id, ms)
		if err != nil || got != uint64(ms) {
			b.Fatalf("SeekArrival(%d) = %d, %v", ms, got, err)
		}
	}
}
