package logstore

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
	"github.com/runnel-dev/runnel/internal/storage/vfs/errorfs"
)

// walOps counts the creations and renames of log files.
type walOps struct{ creates, renames atomic.Int64 }

func countWALOps(efs *errorfs.FS) *walOps {
	var ops walOps
	efs.Inject(func(op errorfs.Op, path string) error {
		if filepath.Base(filepath.Dir(path)) != walDir || !strings.HasSuffix(path, ".wal") {
			return nil
		}
		switch op {
		case errorfs.OpCreate:
			ops.creates.Add(1)
		case errorfs.OpRename:
			ops.renames.Add(1)
		}
		return nil
	})
	return &ops
}

// TestReusedLogFiles writes many log files' worth of records with small
// log files and frequent checkpoints: the log must reuse the files that
// checkpoints release instead of creating new ones, keep a bounded number
// of them, and read back everything, across reused files
// whose old entries follow the new ones, after a clean close and after a
// crash.
func TestReusedLogFiles(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			dir := t.TempDir()
			efs := errorfs.Wrap(vfs.Default)
			ops := countWALOps(efs)
			var logs logBuffer
			// Replay after a crash spans up to four log files, the later
			// ones reused.
			opts := Options{FS: efs, Logger: logs.logger(), WALSegmentBytes: 32 << 10, CheckpointBytes: 128 << 10}
			e := openEngine(t, dir, opts)
			ids := []storage.ShardID{{Stream: 1}, {Stream: 1, Index: 1}}
			for _, id := range ids {
				if err := e.CreateShard(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			const appends, perAppend = 300, 5 // about 1.6 MiB of log, 50 files
			for k := range appends {
				appendN(t, e, ids[k%2], k/2*perAppend, perAppend, 1000)
			}
			if got := ops.renames.Load(); got < appends/20 {
				t.Errorf("%d log files reused, want most of about 50", got)
			}
			if got := ops.creates.Load(); got > 10 {
				t.Errorf("%d log files created, want few: the rest reused", got)
			}
			if crash {
				e.crash()
			} else if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			e = openEngine(t, dir, opts)
			defer e.Close()
			for _, id := range ids {
				checkShard(t, e, id, 0, appends/2*perAppend)
			}
			if !crash && strings.Contains(logs.String(), "torn") {
				t.Errorf("clean reopen reported damage:\n%s", logs.String())
			}
			paths, _ := filepath.Glob(filepath.Join(dir, walDir, "*.wal"))
			if spares := e.wal.spares.max; len(paths) > 1+spares {
				t.Errorf("%d log files after reopen, want at most the current one and %d spares", len(paths), spares)
			}
		})
	}
}

// TestLogFileExtended checks that a new log file is extended with zeros
// ahead of its entries, so that syncs overwrite, and that the zeros read
// as the clean end of the log.
func TestLogFileExtended(t *testing.T) {
	dir := t.TempDir()
	var logs logBuffer
	e := openEngine(t, dir, Options{Logger: logs.logger()})
	id := storage.ShardID{Stream: 3}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	appendN(t, e, id, 0, 10, 100)
	e.crash()
	f, err := vfs.Default.Open(walPath(e.wal.dir, e.wal.seq))
	if err != nil {
		t.Fatal(err)
	}
	size, err := f.Size()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if size != e.wal.allocated || size < e.wal.offset+preallocBytes/2 {
		t.Errorf("log file of %d bytes with entries up to %d, want about %d more", size, e.wal.offset, preallocBytes)
	}
	e = openEngine(t, dir, Options{Logger: logs.logger()})
	defer e.Close()
	checkShard(t, e, id, 0, 10)
	if strings.Contains(logs.String(), "torn") {
		t.Errorf("zeros after the log's end reported as damage:\n%s", logs.String())
	}
}
