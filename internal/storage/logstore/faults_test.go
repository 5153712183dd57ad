package logstore

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
	"github.com/runnel-dev/runnel/internal/storage/vfs/errorfs"
)

// failOn returns an injector failing op on paths ending in suffix, and
// counting the failures.
func failOn(op errorfs.Op, suffix string, failures *atomic.Int64) errorfs.Injector {
	return func(o errorfs.Op, path string) error {
		if o == op && strings.HasSuffix(path, suffix) {
			failures.Add(1)
			return errorfs.ErrInjected
		}
		return nil
	}
}

// TestWriteFaults fails one kind of write while appending, then lifts the
// fault: failed appends must leave no trace, later ones must succeed with
// the next indexes, and a crash must find exactly the acknowledged records.
func TestWriteFaults(t *testing.T) {
	const (
		allFail  = iota // every append fails under the fault
		someFail        // appends that need the failing operation fail
		noneFail        // the fault only costs performance or retries
	)
	tests := []struct {
		name   string
		op     errorfs.Op
		suffix string
		mode   int
	}{
		{"log write", errorfs.OpWrite, ".wal", allFail},
		{"log sync", errorfs.OpSync, ".wal", allFail},
		{"log create", errorfs.OpCreate, ".wal", someFail},
		{"segment write", errorfs.OpWrite, ".seg", allFail},
		{"segment create", errorfs.OpCreate, ".seg", someFail},
		{"index write", errorfs.OpWrite, ".idx", noneFail},
		{"index create", errorfs.OpCreate, ".idx", noneFail},
		{"checkpoint sync", errorfs.OpSync, ".seg", noneFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			efs := errorfs.Wrap(vfs.Default)
			var logs logBuffer
			opts := smallOptions(efs)
			opts.Logger = logs.logger()
			e := openEngine(t, dir, opts)
			id := storage.ShardID{Stream: 5}
			if err := e.CreateShard(ctx, id); err != nil {
				t.Fatal(err)
			}
			acked := 0
			for range 5 {
				appendN(t, e, id, acked, 3, 300)
				acked += 3
			}
			var failures atomic.Int64
			efs.Inject(failOn(tt.op, tt.suffix, &failures))
			failed := 0
			for range 60 { // enough to roll segments and log files, and to start checkpoints
				recs := []storage.Record{payload(id, acked, 300), payload(id, acked+1, 300)}
				err := e.Append(ctx, id, recs)
				switch {
				case err == nil && tt.mode != allFail:
					acked += 2
				case err != nil && tt.mode != noneFail && errors.Is(err, errorfs.ErrInjected):
					failed++
				default:
					t.Fatalf("Append under a %s fault = %v", tt.name, err)
				}
			}
			if failures.Load() == 0 || (tt.mode != noneFail && failed == 0) {
				t.Fatalf("the fault was hit %d times and failed %d appends", failures.Load(), failed)
			}
			checkShard(t, e, id, 0, acked)
			efs.Inject(nil)
			for range 10 {
				appendN(t, e, id, acked, 2, 300)
				acked += 2
			}
			checkShard(t, e, id, 0, acked)
			e.crash()

			e = openEngine(t, dir, smallOptions(nil))
			defer e.Close()
			checkShard(t, e, id, 0, acked)
		})
	}
}

// TestFailedSyncThenCrash crashes right after a failed log sync: the
// records it failed may survive, but those acknowledged before must, and
// no index may be given twice.
func TestFailedSyncThenCrash(t *testing.T) {
	dir := t.TempDir()
	efs := errorfs.Wrap(vfs.Default)
	e := openEngine(t, dir, smallOptions(efs))
	id := storage.ShardID{Stream: 6}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	appendN(t, e, id, 0, 4, 100)
	var failures atomic.Int64
	efs.Inject(failOn(errorfs.OpSync, ".wal", &failures))
	if err := e.Append(ctx, id, []storage.Record{payload(id, 4, 100)}); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Append = %v, want the injected error", err)
	}
	e.crash()
	e = openEngine(t, dir, smallOptions(nil))
	defer e.Close()
	info, err := e.Info(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.Next != 4 && info.Next != 5 {
		t.Fatalf("Next = %d after crash, want 4 (failed record lost) or 5 (kept)", info.Next)
	}
	checkShard(t, e, id, 0, int(info.Next))
	appendN(t, e, id, int(info.Next), 1, 100)
}

// TestCheckpointRecovers checks that a failed checkpoint is retried and
// that the log is kept until one succeeds.
func TestCheckpointRecovers(t *testing.T) {
	dir := t.TempDir()
	efs := errorfs.Wrap(vfs.Default)
	var logs logBuffer
	opts := smallOptions(efs)
	opts.Logger = logs.logger()
	e := openEngine(t, dir, opts)
	id := storage.ShardID{Stream: 7}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	var failures atomic.Int64
	efs.Inject(failOn(errorfs.OpSync, ".idx", &failures))
	n := 0
	for ; n < 200; n += 2 {
		appendN(t, e, id, n, 2, 500)
	}
	e.worker.barrier() // wait for the checkpoints in progress
	if failures.Load() == 0 || !strings.Contains(logs.String(), "checkpoint") {
		t.Fatalf("no checkpoint failed (%d failures); log:\n%s", failures.Load(), logs.String())
	}
	// A checkpoint in progress and the log written since the last one
	// keep at most this many log files:
	bound := int(2*opts.CheckpointBytes/opts.WALSegmentBytes) + 2
	walFiles, _ := listWAL(vfs.Default, e.wal.dir)
	if len(walFiles) <= bound {
		t.Fatalf("%d log files kept while checkpoints fail, want more than %d", len(walFiles), bound)
	}
	efs.Inject(nil)
	for ; n < 400; n += 2 {
		appendN(t, e, id, n, 2, 500)
	}
	e.worker.barrier()
	if walFiles, _ := listWAL(vfs.Default, e.wal.dir); len(walFiles) > bound {
		t.Fatalf("%d log files kept after checkpoints recovered", len(walFiles))
	}
	e.crash()
	e = openEngine(t, dir, smallOptions(nil))
	defer e.Close()
	checkShard(t, e, id, 0, n)
}

// barrier waits for the jobs queued so far.
func (w *worker) barrier() {
	done := make(chan struct{})
	w.do(func() { close(done) })
	<-done
}
