package logstore

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/internal/storage"
	"github.com/runnel-dev/runnel/internal/storage/storagetest"
	"github.com/runnel-dev/runnel/internal/storage/vfs"
	"github.com/runnel-dev/runnel/internal/storage/vfs/errorfs"
)

// smallOptions makes segments roll and indexes fill after a few records.
func smallOptions(fs vfs.FS) Options {
	return Options{FS: fs, SegmentBytes: 4 << 10, IndexInterval: 512, WALSegmentBytes: 16 << 10, CheckpointBytes: 32 << 10}
}

func openEngine(t testing.TB, dir string, opts Options) *Engine {
	t.Helper()
	e, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return e
}

func TestConformance(t *testing.T) {
	storagetest.RunDurable(t, func(t *testing.T, dir string) storage.Engine {
		return openEngine(t, dir, Options{})
	})
}

func TestConformanceSmallSegments(t *testing.T) {
	storagetest.RunDurable(t, func(t *testing.T, dir string) storage.Engine {
		return openEngine(t, dir, smallOptions(nil))
	})
}

func TestConformanceSyncNever(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Engine {
		return openEngine(t, t.TempDir(), Options{Sync: SyncPolicy{Mode: SyncNever}, SegmentBytes: 16 << 10})
	})
}

// logBuffer is a slog handler target that tests can search.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

var ctx = context.Background()

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "logstore-example") }

func osRemoveAll(dir string) { os.RemoveAll(dir) }

func TestParseSyncPolicy(t *testing.T) {
	tests := []struct {
		in   string
		want SyncPolicy
		ok   bool
	}{
		{"always", SyncPolicy{Mode: SyncAlways}, true},
		{"never", SyncPolicy{Mode: SyncNever}, true},
		{"interval=250ms", SyncPolicy{Mode: SyncInterval, Interval: 250 * time.Millisecond}, true},
		{"interval=0s", SyncPolicy{}, false},
		{"interval=-1s", SyncPolicy{}, false},
		{"interval=soon", SyncPolicy{}, false},
		{"sometimes", SyncPolicy{}, false},
		{"", SyncPolicy{}, false},
	}
	for _, tt := range tests {
		got, err := ParseSyncPolicy(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSyncPolicy(%q) = %v, %v; want %v (ok %t)", tt.in, got, err, tt.want, tt.ok)
		}
		if tt.ok && got.String() != tt.in {
			t.Errorf("%v.String() = %q, want %q", got, got.String(), tt.in)
		}
	}
}

// TestSyncInterval checks that SyncInterval acknowledges before syncing,
// and syncs within the interval, busy or idle.
func TestSyncInterval(t *testing.T) {
	efs := errorfs.Wrap(vfs.Default)
	var syncs atomic.Int64
	efs.Inject(func(op errorfs.Op, path string) error {
		if op == errorfs.OpSync && strings.HasSuffix(path, ".wal") {
			syncs.Add(1)
		}
		return nil
	})
	const interval = 20 * time.Millisecond
	e := openEngine(t, t.TempDir(), Options{FS: efs, Sync: SyncPolicy{Mode: SyncInterval, Interval: interval}})
	defer e.Close()
	id := storage.ShardID{Stream: 1}
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	syncs.Store(0)
	start := time.Now()
	n := 0
	for ; time.Since(start) < 10*interval; n++ { // busy
		appendN(t, e, id, n, 1, 100)
	}
	if got := syncs.Load(); got < 3 || got > 20 || int(got) >= n/2 {
		t.Fatalf("%d syncs for %d appends over %v with interval %v", got, n, time.Since(start), interval)
	}
	before := syncs.Load()
	appendN(t, e, id, n, 1, 100)
	time.Sleep(3 * interval) // idle
	if syncs.Load() == before {
		t.Fatal("no sync after an idle interval")
	}
}

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir, Options{})
	defer e.Close()
	if e2, err := Open(dir, Options{}); err == nil {
		e2.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
}

func TestOpenRejectsCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, dir, Options{})
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, checkpointFile)
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o644)
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with a damaged checkpoint = %v, want ErrCorrupt", err)
	}
}
