package logstore

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs/memfs"
)

// powerLossRun is the workload of one TestPowerLoss case and what was
// acknowledged: records (one writer per shard, so record n has index n),
// trims, metadata versions, and shard creations and deletions.
type powerLossRun struct {
	e       *Engine
	ids     []storage.ShardID
	acked   []atomic.Int64 // records acknowledged per shard
	trimmed atomic.Int64   // shard 0 was trimmed at this arrival
	meta    atomic.Int64   // metadata version acknowledged
	created atomic.Int64   // extra shards 0..created-1 were created...
	deleted atomic.Int64   // ...and the odd ones among 0..deleted-1 deleted
	stop    atomic.Bool
}

func extraShard(k int64) storage.ShardID { return storage.ShardID{Stream: 100, Index: uint32(k)} }

func (r *powerLossRun) start(t *testing.T, wg *sync.WaitGroup) {
	for i, id := range r.ids {
		wg.Go(func() {
			for n := 0; !r.stop.Load(); n++ {
				rec := payload(id, n, 20+n%300)
				if err := r.e.Append(ctx, id, []storage.Record{rec}); err != nil {
					if !errors.Is(err, storage.ErrClosed) {
						t.Error(err)
					}
					return
				}
				r.acked[i].Store(int64(n + 1))
				if i == 0 && n%50 == 49 && r.e.Trim(ctx, id, int64(n/2)) == nil {
					r.trimmed.Store(int64(n / 2))
				}
			}
		})
	}
	wg.Go(func() {
		for v := int64(1); !r.stop.Load(); v++ {
			if r.e.SaveMeta(ctx, fmt.Appendf(nil, "meta-%d", v)) != nil {
				return
			}
			r.meta.Store(v)
		}
	})
	wg.Go(func() {
		for k := int64(0); !r.stop.Load(); k++ {
			if r.e.CreateShard(ctx, extraShard(k)) != nil {
				return
			}
			r.created.Store(k + 1)
			if k%2 == 1 && r.e.DeleteShard(ctx, extraShard(k)) == nil {
				r.deleted.Store(k + 1)
			}
		}
	})
}

// acknowledged is what a run had acknowledged at one instant.
type acknowledged struct {
	records                         []int64
	trimmed, meta, created, deleted int64
}

func (r *powerLossRun) snapshot() acknowledged {
	a := acknowledged{trimmed: r.trimmed.Load(), meta: r.meta.Load(), created: r.created.Load(), deleted: r.deleted.Load()}
	for i := range r.acked {
		a.records = append(a.records, r.acked[i].Load())
	}
	return a
}

// TestPowerLoss cuts the power (see package memfs) at a random instant of
// a concurrent workload, then checks that everything acknowledged before
// the cut survived.
func TestPowerLoss(t *testing.T) {
	for seed := range 16 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			fs := memfs.New()
			opts := smallOptions(fs)
			r := &powerLossRun{e: openEngine(t, "/db", opts), acked: make([]atomic.Int64, 3)}
			for i := range r.acked {
				r.ids = append(r.ids, storage.ShardID{Stream: 1, Index: uint32(i)})
				if err := r.e.CreateShard(ctx, r.ids[i]); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			r.start(t, &wg)
			for target := int64(20 + rng.IntN(400)); r.acked[0].Load() < target; {
				r.e.worker.barrier() // let time pass in steps the workload can use
			}
			acked := r.snapshot() // before the cut: all of it was acknowledged before the cut
			crashed := fs.Crash(rng)
			r.stop.Store(true)
			r.e.Close()
			wg.Wait()

			e := openEngine(t, "/db", Options{FS: crashed, SegmentBytes: opts.SegmentBytes})
			defer e.Close()
			checkPowerLoss(t, e, r.ids, acked)
		})
	}
}

func checkPowerLoss(t *testing.T, e *Engine, ids []storage.ShardID, acked acknowledged) {
	for i, id := range ids {
		info, err := e.Info(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if info.Next < uint64(acked.records[i]) {
			t.Fatalf("shard %v: Next %d, but %d records were acknowledged", id, info.Next, acked.records[i])
		}
		if _, v, _ := e.view(id); i == 0 && !v.segs[0].empty() && v.segs[0].lastArrival < acked.trimmed {
			t.Fatalf("shard %v: trim at arrival %d undone: first segment ends at %d", id, acked.trimmed, v.segs[0].lastArrival)
		}
		checkShard(t, e, id, int(info.First), int(info.Next))
	}
	doc, err := e.LoadMeta(ctx)
	var version int64
	if len(doc) > 0 {
		fmt.Sscanf(string(doc), "meta-%d", &version)
	}
	if err != nil || version < acked.meta {
		t.Fatalf("metadata %q (%v) after the cut, but version %d was acknowledged", doc, err, acked.meta)
	}
	for k := range acked.created {
		_, err := e.Info(ctx, extraShard(k))
		switch {
		case k%2 == 1 && k >= acked.deleted:
			// Its deletion was not acknowledged: it may or may not have happened.
		case k%2 == 1 && !errors.Is(err, storage.ErrShardNotFound):
			t.Fatalf("extra shard %d, deleted, after the cut: %v", k, err)
		case k%2 == 0 && err != nil:
			t.Fatalf("extra shard %d, created, after the cut: %v", k, err)
		}
	}
}
