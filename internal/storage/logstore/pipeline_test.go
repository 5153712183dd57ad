package logstore

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
	"github.com/runnel-dev/runnel/internal/storage/vfs/errorfs"
)

// syncGate holds the next log sync, once armed, until the test releases
// it with an outcome, and counts log writes, so that a test can write
// groups behind a sync in flight.
type syncGate struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan error
	writes  atomic.Int64
}

func newSyncGate() *syncGate {
	return &syncGate{entered: make(chan struct{}), release: make(chan error)}
}

func (g *syncGate) inject(op errorfs.Op, path string) error {
	if !strings.HasSuffix(path, ".wal") {
		return nil
	}
	switch op {
	case errorfs.OpWrite:
		g.writes.Add(1)
	case errorfs.OpSync:
		if g.armed.CompareAndSwap(true, false) {
			close(g.entered)
			return <-g.release
		}
	}
	return nil
}

// waitWrites waits until n log writes have been made.
func (g *syncGate) waitWrites(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); g.writes.Load() < n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d log writes, want %d", g.writes.Load(), n)
		}
	}
}

// TestPipeline holds a log sync while three more groups are staged and
// written behind it, each on the unpublished state of the ones before: an
// append to the same shard, the creation of a shard, an append to that
// shard. Nothing may be visible before the sync returns; then either all
// four are acknowledged, with consecutive indexes, or all fail and leave
// no trace, and the indexes are given again.
func TestPipeline(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(map[bool]string{false: "sync succeeds", true: "sync fails"}[fail], func(t *testing.T) {
			dir := t.TempDir()
			efs := errorfs.Wrap(vfs.Default)
			gate := newSyncGate()
			efs.Inject(gate.inject)
			e := openEngine(t, dir, Options{FS: efs})
			a, b := storage.ShardID{Stream: 1}, storage.ShardID{Stream: 2}
			if err := e.CreateShard(ctx, a); err != nil {
				t.Fatal(err)
			}
			appendN(t, e, a, 0, 2, 100)

			gate.armed.Store(true)
			w := gate.writes.Load()
			results := make(chan error, 4)
			go func() { results <- e.Append(ctx, a, []storage.Record{payload(a, 2, 100)}) }()
			<-gate.entered
			go func() { results <- e.Append(ctx, a, []storage.Record{payload(a, 3, 100)}) }()
			gate.waitWrites(t, w+2)
			go func() { results <- e.CreateShard(ctx, b) }()
			gate.waitWrites(t, w+3)
			go func() { results <- e.Append(ctx, b, []storage.Record{payload(b, 0, 100)}) }()
			gate.waitWrites(t, w+4)

			checkShard(t, e, a, 0, 2)
			if _, err := e.Info(ctx, b); !errors.Is(err, storage.ErrShardNotFound) {
				t.Fatalf("Info of a shard whose creation is not synced = %v, want ErrShardNotFound", err)
			}
			var outcome error
			if fail {
				outcome = errorfs.ErrInjected
			}
			gate.release <- outcome
			for range 4 {
				if err := <-results; !errors.Is(err, outcome) || (err != nil) != fail {
					t.Fatalf("request behind the sync = %v, want %v", err, outcome)
				}
			}

			next := 4
			if fail {
				checkShard(t, e, a, 0, 2)
				if _, err := e.Info(ctx, b); !errors.Is(err, storage.ErrShardNotFound) {
					t.Fatalf("Info of a shard whose creation failed = %v, want ErrShardNotFound", err)
				}
				appendN(t, e, a, 2, 2, 100)
				if err := e.CreateShard(ctx, b); err != nil {
					t.Fatal(err)
				}
				appendN(t, e, b, 0, 1, 100)
			}
			checkShard(t, e, a, 0, next)
			checkShard(t, e, b, 0, 1)
			e.crash()

			e = openEngine(t, dir, Options{})
			defer e.Close()
			checkShard(t, e, a, 0, next)
			checkShard(t, e, b, 0, 1)
		})
	}
}
