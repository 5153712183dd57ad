package logstore

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
	"github.com/runnel-dev/runnel/internal/storage/vfs/errorfs"
)

// TestOpenWorkIndependentOfVolume counts the bytes Open reads: they must
// not grow with the records stored (only by a few bytes per segment, for
// the checkpoint's segment list).
func TestOpenWorkIndependentOfVolume(t *testing.T) {
	dir := t.TempDir()
	efs := errorfs.Wrap(vfs.Default)
	opts := Options{FS: efs, SegmentBytes: 64 << 10, IndexInterval: 4 << 10}
	e := openEngine(t, dir, opts)
	ids := []storage.ShardID{{Stream: 1}, {Stream: 1, Index: 1}, {Stream: 2}, {Stream: 3}}
	counts := make([]int, len(ids))
	for _, id := range ids {
		if err := e.CreateShard(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	write := func(mib int) {
		for k := range mib * 4 { // 256 KiB per append
			i := k % len(ids)
			appendN(t, e, ids[i], counts[i], 256, 1000)
			counts[i] += 256
		}
	}
	reopen := func() int64 {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		before := efs.BytesRead()
		e = openEngine(t, dir, opts)
		return efs.BytesRead() - before
	}
	segments := func() int {
		paths, _ := filepath.Glob(filepath.Join(dir, shardsDir, "*", "*.seg"))
		return len(paths)
	}

	write(2)
	small, smallSegs := reopen(), segments()
	write(30)
	large, largeSegs := reopen(), segments()
	defer e.Close()
	t.Logf("Open read %d bytes with 2 MiB stored in %d segments, %d bytes with 32 MiB in %d", small, smallSegs, large, largeSegs)
	if allowed := small + int64(64*(largeSegs-smallSegs)); large > allowed {
		t.Fatalf("Open read %d bytes with 16 times the data, more than %d", large, allowed)
	}
	if large > 64<<10 {
		t.Fatalf("Open read %d bytes", large)
	}
	for i, id := range ids {
		checkShard(t, e, id, 0, counts[i])
	}
}

// TestManyShards writes to thousands of shards at once: the writes must
// share log syncs, the engine must keep few files open, and everything
// must come back after a crash. (2,000 shards keep the test fast: creating
// files costs about 0.3 ms each on the test machines. 10,000 behave the
// same, in five times the time.)
func TestManyShards(t *testing.T) {
	const shards, writers = 2000, 100
	dir := t.TempDir()
	efs := errorfs.Wrap(vfs.Default)
	var walSyncs atomic.Int64
	efs.Inject(func(op errorfs.Op, path string) error {
		if op == errorfs.OpSync && strings.HasSuffix(path, ".wal") {
			walSyncs.Add(1)
		}
		return nil
	})
	opts := Options{FS: efs, MaxOpenFiles: 64}
	e := openEngine(t, dir, opts)
	id := func(i int) storage.ShardID { return storage.ShardID{Stream: uint64(i / 100), Index: uint32(i % 100)} }
	parallel := func(fn func(i int)) {
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := w; i < shards; i += writers {
					fn(i)
				}
			})
		}
		wg.Wait()
	}
	start := time.Now()
	parallel(func(i int) {
		if err := e.CreateShard(ctx, id(i)); err != nil {
			t.Error(err)
		}
	})
	t.Logf("create: %v", time.Since(start))
	start = time.Now()
	walSyncs.Store(0)
	parallel(func(i int) { appendN(t, e, id(i), 0, 1, 100) })
	if n := walSyncs.Load(); n > shards/10 {
		t.Errorf("%d log syncs for %d appends from %d writers: no group commit", n, shards, writers)
	}
	if n := e.files.lru.Len(); n > opts.MaxOpenFiles {
		t.Errorf("%d files open, more than MaxOpenFiles %d", n, opts.MaxOpenFiles)
	}
	t.Logf("%d appends to %d shards took %d log syncs, %v", shards, shards, walSyncs.Load(), time.Since(start))
	e.crash()

	start = time.Now()
	e = openEngine(t, dir, opts)
	t.Logf("reopen: %v", time.Since(start))
	defer e.Close()
	got, err := e.Shards(ctx)
	if err != nil || len(got) != shards {
		t.Fatalf("Shards after crash: %d, %v; want %d", len(got), err, shards)
	}
	for i := 0; i < shards; i += 97 {
		checkShard(t, e, id(i), 0, 1)
	}
}

func TestTrimRemovesFiles(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir, smallOptions(nil))
	defer e.Close()
	id := storage.ShardID{Stream: 8}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 100; n += 5 {
		appendN(t, e, id, n, 5, 500) // arrival n: payload uses the record number
	}
	segFiles := func() int {
		e.worker.barrier() // removals run in the background
		paths, _ := filepath.Glob(filepath.Join(dir, shardsDir, "*", "*.seg"))
		return len(paths)
	}
	before := segFiles()
	if err := e.Trim(ctx, id, 50); err != nil {
		t.Fatal(err)
	}
	info, _ := e.Info(ctx, id)
	after := segFiles()
	if info.First == 0 || info.First > 50 || after >= before {
		t.Fatalf("Trim(50): First %d, segment files %d -> %d", info.First, before, after)
	}
	checkShard(t, e, id, int(info.First), 100)
	if err := e.Trim(ctx, id, 1000); err != nil {
		t.Fatal(err)
	}
	if n := segFiles(); n != 1 {
		t.Fatalf("%d segment files after trimming everything, want 1", n)
	}
	if err := e.DeleteShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.worker.barrier()
	if paths, _ := filepath.Glob(filepath.Join(dir, shardsDir, "*")); len(paths) != 0 {
		t.Fatalf("files left after DeleteShard: %v", paths)
	}
}

func ExampleOpen() {
	dir, _ := osMkdirTemp()
	defer osRemoveAll(dir)
	e, err := Open(dir, Options{Sync: SyncPolicy{Mode: SyncAlways}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	id := storage.ShardID{Stream: 1}
	e.CreateShard(ctx, id)
	recs := []storage.Record{{Arrival: 1000, PartitionKey: "k", Data: []byte("hello")}}
	e.Append(ctx, id, recs)
	got, _ := e.Read(ctx, id, 0, storage.ReadOptions{MaxRecords: 10})
	fmt.Println(got[0].Index, string(got[0].Data))
	// Output: 0 hello
}
