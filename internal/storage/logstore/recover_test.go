package logstore

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

// crash stops e the way kill -9 would: no checkpoint, files left as they
// are (the page cache survives a process crash).
func (e *Engine) crash() {
	e.closed.Store(true)
	e.queue.close()
	<-e.flusherDone
	e.worker.stop()
	e.wal.close()
	e.files.close()
	e.lock.Close()
}

// payload returns deterministic, self-checking record content for
// (shard, n): a CRC of the rest in the first four bytes.
func payload(id storage.ShardID, n, size int) storage.Record {
	key := fmt.Sprintf("%d/%d-%d", id.Stream, id.Index, n)
	data := make([]byte, max(size, 8))
	for i := 4; i < len(data); i++ {
		data[i] = byte(n + i*7)
	}
	crc := crc32.ChecksumIEEE(append([]byte(key), data[4:]...))
	data[0], data[1], data[2], data[3] = byte(crc), byte(crc>>8), byte(crc>>16), byte(crc>>24)
	return storage.Record{Arrival: int64(n), PartitionKey: key, Data: data}
}

// checkPayload checks that r is record n of shard id as made by payload.
func checkPayload(r storage.Record, id storage.ShardID, n int) error {
	want := payload(id, n, len(r.Data))
	if r.PartitionKey != want.PartitionKey || !bytes.Equal(r.Data, want.Data) {
		return fmt.Errorf("record %d of shard %v: got key %q (%d bytes), want %q", n, id, r.PartitionKey, len(r.Data), want.PartitionKey)
	}
	return nil
}

func appendN(t testing.TB, e storage.Engine, id storage.ShardID, from, n, size int) {
	t.Helper()
	recs := make([]storage.Record, n)
	for i := range recs {
		recs[i] = payload(id, from+i, size)
	}
	if err := e.Append(ctx, id, recs); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if recs[0].Index != uint64(from) {
		t.Fatalf("Append gave index %d, want %d", recs[0].Index, from)
	}
}

// checkShard checks that shard id holds exactly records [first, next) as
// made by payload.
func checkShard(t testing.TB, e storage.Engine, id storage.ShardID, first, next int) {
	t.Helper()
	info, err := e.Info(ctx, id)
	if err != nil {
		t.Fatalf("Info(%v): %v", id, err)
	}
	if info.First != uint64(first) || info.Next != uint64(next) {
		t.Fatalf("Info(%v) = %+v, want First %d Next %d", id, info, first, next)
	}
	n := first
	for n < next {
		recs, err := e.Read(ctx, id, uint64(n), storage.ReadOptions{MaxRecords: 97})
		if err != nil {
			t.Fatalf("Read(%v, %d): %v", id, n, err)
		}
		if len(recs) == 0 {
			t.Fatalf("Read(%v, %d) returned nothing, want up to %d", id, n, next)
		}
		for _, r := range recs {
			if r.Index != uint64(n) {
				t.Fatalf("Read(%v): index %d, want %d", id, r.Index, n)
			}
			if err := checkPayload(r, id, n); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
}

// TestCrashReopen crashes an engine at several points relative to its
// checkpoints and checks that reopening restores every record.
func TestCrashReopen(t *testing.T) {
	dir := t.TempDir()
	ids := []storage.ShardID{{Stream: 1, Index: 0}, {Stream: 1, Index: 1}, {Stream: 2, Index: 0}}
	counts := make([]int, len(ids))
	deleted := storage.ShardID{Stream: 3}
	for round := range 5 {
		e := openEngine(t, dir, smallOptions(nil))
		if round == 0 {
			for _, id := range append(ids, deleted) {
				if err := e.CreateShard(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			appendN(t, e, deleted, 0, 10, 100)
			if err := e.DeleteShard(ctx, deleted); err != nil {
				t.Fatal(err)
			}
		}
		for i, id := range ids {
			checkShard(t, e, id, 0, counts[i])
		}
		for k := range 20 * round {
			i := k % len(ids)
			appendN(t, e, ids[i], counts[i], 1+k%4, 50+k*13)
			counts[i] += 1 + k%4
		}
		e.crash()
	}
	e := openEngine(t, dir, smallOptions(nil))
	defer e.Close()
	for i, id := range ids {
		checkShard(t, e, id, 0, counts[i])
	}
	if _, err := e.Info(ctx, deleted); err == nil {
		t.Fatal("deleted shard came back after crash")
	}
	shards, _ := e.Shards(ctx)
	if len(shards) != len(ids) {
		t.Fatalf("Shards = %v, want %v", shards, ids)
	}
}

// copyDir copies the regular files of src into a new directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestTornLogTail cuts and corrupts the write-ahead log at every byte of
// its last entry, as a crash in the middle of a write would leave it.
func TestTornLogTail(t *testing.T) {
	id := storage.ShardID{Stream: 9}
	dir := t.TempDir()
	e := openEngine(t, dir, Options{})
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.crash() // the shard's creation is checkpointed by the next Open
	e = openEngine(t, dir, Options{})
	appendN(t, e, id, 0, 3, 20)
	appendN(t, e, id, 3, 1, 20)
	appendN(t, e, id, 4, 2, 10) // the entry to tear
	e.crash()
	walFile, end := walPath(e.wal.dir, e.wal.seq), e.wal.offset
	full, err := os.ReadFile(walFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) <= int(end) {
		t.Fatalf("log file of %d bytes, want it extended past its end at %d", len(full), end)
	}
	lastEntry := int(end) - (walHeaderSize + 2*(frameHeaderSize+len("9/0-4")+10))
	for off := lastEntry; off < int(end); off++ {
		for _, damage := range []string{"truncate", "flip"} {
			t.Run(fmt.Sprintf("%s@%d", damage, off), func(t *testing.T) {
				t.Parallel()
				crashed := copyDir(t, dir)
				path := filepath.Join(crashed, walDir, filepath.Base(walFile))
				b := bytes.Clone(full)
				if damage == "truncate" {
					b = b[:off]
				} else {
					b[off] ^= 0x40
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				var logs logBuffer
				e := openEngine(t, crashed, Options{Logger: logs.logger()})
				defer e.Close()
				checkShard(t, e, id, 0, 4)
				cleanEnd := damage == "truncate" && off == lastEntry // a crash between two writes
				if !cleanEnd && !strings.Contains(logs.String(), "torn write-ahead log tail") {
					t.Fatalf("recovery not logged; log:\n%s", logs.String())
				}
				appendN(t, e, id, 4, 1, 30) // the next index follows the last intact record
			})
		}
	}
}

// TestDamagedSegmentTail damages the last record of a checkpointed segment
// (as a bad disk would) at every byte, and checks that opening cuts it,
// keeps what precedes it, and says so.
func TestDamagedSegmentTail(t *testing.T) {
	id := storage.ShardID{Stream: 4, Index: 2}
	dir := t.TempDir()
	e := openEngine(t, dir, smallOptions(nil))
	if err := e.CreateShard(ctx, id); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 27; n += 3 {
		appendN(t, e, id, n, 3, 200) // several segments
	}
	appendN(t, e, id, 27, 3, 10) // a short last record, to damage at every byte
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	var active string
	paths, _ := filepath.Glob(filepath.Join(dir, shardsDir, "*", "*.seg"))
	active = paths[len(paths)-1]
	full, _ := os.ReadFile(active)
	lastFrame := len(full) - (frameHeaderSize + len("4/2-29") + 10)
	for off := lastFrame; off < len(full); off++ {
		for _, damage := range []string{"truncate", "flip"} {
			t.Run(fmt.Sprintf("%s@%d", damage, off), func(t *testing.T) {
				t.Parallel()
				damaged := copyDir(t, dir)
				path := filepath.Join(damaged, strings.TrimPrefix(active, dir))
				b := bytes.Clone(full)
				if damage == "truncate" {
					b = b[:off]
				} else {
					b[off] ^= 0x01
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				var logs logBuffer
				e := openEngine(t, damaged, Options{Logger: logs.logger(), SegmentBytes: 4 << 10})
				defer e.Close()
				checkShard(t, e, id, 0, 29)
				if !strings.Contains(logs.String(), "cut damaged segment tail") {
					t.Fatalf("repair not logged; log:\n%s", logs.String())
				}
				appendN(t, e, id, 29, 2, 40)
				checkShard(t, e, id, 0, 31)
			})
		}
	}
}
