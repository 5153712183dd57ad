package storagetest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

// writerOf splits a key written by concurrentWriter into writer and
// sequence number.
func writerOf(key string) (writer string, seq int, ok bool) {
	i := strings.LastIndexByte(key, '-')
	if i < 0 {
		return "", 0, false
	}
	seq, err := strconv.Atoi(key[i+1:])
	return key[:i], seq, err == nil
}

// checkLog checks a whole log written by concurrent writers: indexes dense
// from 0, arrivals never decreasing, every record intact, and each writer's
// records in the order it wrote them. It returns the record count per
// writer.
func checkLog(t *testing.T, recs []storage.Record) map[string]int {
	t.Helper()
	next := map[string]int{}
	for i, r := range recs {
		if r.Index != uint64(i) {
			t.Fatalf("record %d has Index %d", i, r.Index)
		}
		if i > 0 && r.Arrival < recs[i-1].Arrival {
			t.Fatalf("record %d: Arrival %d after %d", i, r.Arrival, recs[i-1].Arrival)
		}
		if !intact(r) {
			t.Fatalf("record %d (%q) is damaged", i, r.PartitionKey)
		}
		w, seq, ok := writerOf(r.PartitionKey)
		if !ok || seq != next[w] {
			t.Fatalf("record %d: key %q, want writer %q's record %d", i, r.PartitionKey, w, next[w])
		}
		next[w]++
	}
	return next
}

func testConcurrentOneShard(t *testing.T, e storage.Engine) {
	const writers, appends = 8, 40
	mustCreate(t, e, shardA)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			tag := fmt.Sprintf("w%d", w)
			seq := 0
			for i := range appends {
				n := 1 + (w+i)%5
				recs := batch(tag, seq, n, int64(w*1000+i), 64)
				if err := e.Append(context.Background(), shardA, recs); err != nil {
					t.Errorf("writer %d: Append: %v", w, err)
					return
				}
				for j := 1; j < n; j++ { // a batch is never interleaved with another
					if recs[j].Index != recs[0].Index+uint64(j) {
						t.Errorf("writer %d: batch indexes %d then %d", w, recs[0].Index, recs[j].Index)
					}
				}
				seq += n
			}
		})
	}
	wg.Wait()
	counts := checkLog(t, readAll(t, e, shardA, 0, 33))
	total := 0
	for w := range writers {
		total += counts[fmt.Sprintf("w%d", w)]
	}
	if info := mustInfo(t, e, shardA); info.Next != uint64(total) || total != writers*appends*3 {
		t.Fatalf("Info.Next %d, records read %d, want %d", info.Next, total, writers*appends*3)
	}
}

func testConcurrentManyShards(t *testing.T, e storage.Engine) {
	const shards, writers, appends = 64, 16, 40
	for i := range shards {
		mustCreate(t, e, storage.ShardID{Stream: 7, Index: uint32(i)})
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			seq := make(map[int]int)
			for i := range appends {
				s := (w*7 + i*3) % shards
				id := storage.ShardID{Stream: 7, Index: uint32(s)}
				recs := batch(fmt.Sprintf("w%d", w), seq[s], 2, int64(i), 32)
				if err := e.Append(context.Background(), id, recs); err != nil {
					t.Errorf("writer %d: Append(%v): %v", w, id, err)
					return
				}
				seq[s] += 2
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range shards {
		for _, n := range checkLog(t, readAll(t, e, storage.ShardID{Stream: 7, Index: uint32(i)}, 0, 50)) {
			total += n
		}
	}
	if total != writers*appends*2 {
		t.Fatalf("read %d records in all, want %d", total, writers*appends*2)
	}
}

// testConcurrentReadWrite tails a shard while it is written: readers and
// Info must only ever see whole, acknowledged prefixes of the log.
func testConcurrentReadWrite(t *testing.T, e storage.Engine) {
	const appends, per = 150, 3
	mustCreate(t, e, shardA)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range appends {
			if err := e.Append(context.Background(), shardA, batch("w", i*per, per, int64(i), 100)); err != nil {
				t.Errorf("Append: %v", err)
				return
			}
		}
	})
	for r := range 2 {
		wg.Go(func() { tail(t, e, r, appends*per) })
	}
	wg.Go(func() {
		var last uint64
		for last < appends*per {
			info, err := e.Info(context.Background(), shardA)
			if err != nil || info.Next < last {
				t.Errorf("Info = %+v, %v after Next %d", info, err, last)
				return
			}
			last = info.Next
			if last == 0 {
				continue
			}
			recs, err := e.Read(context.Background(), shardA, last-1, storage.ReadOptions{MaxRecords: 1})
			if err != nil || len(recs) != 1 || recs[0].Index != last-1 {
				t.Errorf("Info.Next = %d but Read(%d) = %d records, %v", last, last-1, len(recs), err)
				return
			}
		}
	})
	wg.Wait()
}

// tail reads shardA until it has seen total records, checking each page.
func tail(t *testing.T, e storage.Engine, reader, total int) {
	from := uint64(0)
	for from < uint64(total) {
		recs, err := e.Read(context.Background(), shardA, from, storage.ReadOptions{MaxRecords: 1 + reader*10, MaxBytes: 2000})
		if err != nil {
			t.Errorf("reader %d: Read(%d): %v", reader, from, err)
			return
		}
		for i, r := range recs {
			if r.Index != from+uint64(i) || !intact(r) || r.PartitionKey != fmt.Sprintf("w-%d", r.Index) {
				t.Errorf("reader %d: Read(%d)[%d] = index %d key %q intact %t", reader, from, i, r.Index, r.PartitionKey, intact(r))
				return
			}
		}
		from += uint64(len(recs))
	}
}
