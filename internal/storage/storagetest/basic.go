package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

var shardA = storage.ShardID{Stream: 1, Index: 0}

func testCreateShard(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	mustCreate(t, e, shardA)
	if err := e.CreateShard(ctx, shardA); !errors.Is(err, storage.ErrShardExists) {
		t.Fatalf("second CreateShard = %v, want ErrShardExists", err)
	}
	if got := mustInfo(t, e, shardA); got != (storage.ShardInfo{}) {
		t.Fatalf("Info of new shard = %+v, want zero", got)
	}
	recs, err := e.Read(ctx, shardA, 0, storage.ReadOptions{MaxRecords: 10})
	if err != nil || len(recs) != 0 {
		t.Fatalf("Read of new shard = %d records, %v; want none", len(recs), err)
	}
	if got, err := e.SeekArrival(ctx, shardA, 0); err != nil || got != 0 {
		t.Fatalf("SeekArrival on new shard = %d, %v; want 0", got, err)
	}
}

func testAppendAssignsIndexes(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	var want []storage.Record
	for i, n := range []int{1, 3, 1, 7} {
		recs := batch("a", len(want), n, int64(1000+i), 10)
		for j := range recs {
			recs[j].Index = 999 // ignored: the engine assigns indexes
		}
		stored := mustAppend(t, e, shardA, recs)
		for j, r := range stored {
			if wantIndex := uint64(len(want) + j); r.Index != wantIndex {
				t.Fatalf("batch %d record %d: Index %d, want %d", i, j, r.Index, wantIndex)
			}
		}
		want = append(want, stored...)
	}
	if diff := equal(readAll(t, e, shardA, 0, 100), want); diff != "" {
		t.Fatal(diff)
	}
	info := mustInfo(t, e, shardA)
	if info != (storage.ShardInfo{First: 0, Next: 12, LastArrival: 1003}) {
		t.Fatalf("Info = %+v, want {0 12 1003}", info)
	}
}

func testAppendClampsArrival(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	arrivals := []int64{100, 50, 100, 200, 199, 0, 300}
	want := []int64{100, 100, 100, 200, 200, 200, 300}
	recs := make([]storage.Record, 0, len(arrivals))
	for i, a := range arrivals[:4] {
		recs = append(recs, record("c", i, a, 8))
	}
	stored := mustAppend(t, e, shardA, recs)
	for i, a := range arrivals[4:] { // across calls as well as within one
		stored = append(stored, mustAppend(t, e, shardA, []storage.Record{record("c", 4+i, a, 8)})...)
	}
	for i, r := range stored {
		if r.Arrival != want[i] {
			t.Errorf("record %d: Arrival %d set by Append, want %d", i, r.Arrival, want[i])
		}
	}
	if diff := equal(readAll(t, e, shardA, 0, 3), stored); diff != "" {
		t.Fatal(diff)
	}
}

func testAppendEmpty(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	if err := e.Append(context.Background(), shardA, nil); err != nil {
		t.Fatalf("Append(nil) = %v", err)
	}
	mustAppend(t, e, shardA, batch("e", 0, 2, 5, 4))
	if err := e.Append(context.Background(), shardA, []storage.Record{}); err != nil {
		t.Fatalf("Append(empty) = %v", err)
	}
	if info := mustInfo(t, e, shardA); info.Next != 2 || info.LastArrival != 5 {
		t.Fatalf("Info = %+v, want Next 2, LastArrival 5", info)
	}
}

// testRoundTrip stores records of unusual shapes: empty data and key, all
// flags, a 1 MiB payload, bytes of every value.
func testRoundTrip(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	recs := []storage.Record{
		{Arrival: -5},
		{Arrival: 1, PartitionKey: strings.Repeat("k", 256), Data: every, Flags: 0xff},
		{Arrival: 1 << 50, PartitionKey: "ключ", Data: bytes.Repeat([]byte{0xa5}, 1<<20), Flags: storage.FlagEncrypted},
		{Arrival: 1<<50 + 1, PartitionKey: "\x00", Data: []byte{0}},
	}
	want := mustAppend(t, e, shardA, recs)
	if diff := equal(readAll(t, e, shardA, 0, 1), want); diff != "" {
		t.Fatal(diff)
	}
}

func testRead(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	// Ten records of Size 100 (a key of 3 bytes plus 97 of data).
	want := mustAppend(t, e, shardA, batch("r", 0, 10, 7, 97))
	tests := []struct {
		name   string
		from   uint64
		opts   storage.ReadOptions
		wantN  int // records expected from index from
		wantAt uint64
	}{
		{"all", 0, storage.ReadOptions{MaxRecords: 100}, 10, 0},
		{"unbounded", 0, storage.ReadOptions{}, 10, 0},
		{"middle", 4, storage.ReadOptions{MaxRecords: 100}, 6, 4},
		{"max records", 2, storage.ReadOptions{MaxRecords: 3}, 3, 2},
		{"max bytes exact", 0, storage.ReadOptions{MaxRecords: 100, MaxBytes: 300}, 3, 0},
		{"max bytes between", 0, storage.ReadOptions{MaxRecords: 100, MaxBytes: 399}, 3, 0},
		{"first always returned", 5, storage.ReadOptions{MaxRecords: 100, MaxBytes: 1}, 1, 5},
		{"both caps", 1, storage.ReadOptions{MaxRecords: 2, MaxBytes: 1000}, 2, 1},
		{"last", 9, storage.ReadOptions{MaxRecords: 100}, 1, 9},
		{"at end", 10, storage.ReadOptions{MaxRecords: 100}, 0, 0},
		{"past end", 1 << 40, storage.ReadOptions{MaxRecords: 100}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Read(context.Background(), shardA, tt.from, tt.opts)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := equal(got, want[tt.wantAt:int(tt.wantAt)+tt.wantN]); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func testSeekArrival(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	// Arrivals by index: 10 10 20 20 20 30 50.
	for _, a := range []int64{10, 10, 20, 20, 20, 30, 50} {
		mustAppend(t, e, shardA, []storage.Record{record("s", 0, a, 8)})
	}
	tests := []struct {
		ms   int64
		want uint64
	}{
		{-1 << 62, 0}, {0, 0}, {10, 0}, {11, 2}, {20, 2}, {21, 5}, {30, 5},
		{31, 6}, {49, 6}, {50, 6}, {51, 7}, {1 << 62, 7},
	}
	for _, tt := range tests {
		got, err := e.SeekArrival(context.Background(), shardA, tt.ms)
		if err != nil || got != tt.want {
			t.Errorf("SeekArrival(%d) = %d, %v; want %d", tt.ms, got, err, tt.want)
		}
	}
}

// testTrim checks the guarantees Trim gives every engine: records at or
// after the cutoff stay, reads start at the trim horizon, and the horizon
// never moves back.
func testTrim(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	mustCreate(t, e, shardA)
	var want []storage.Record
	for a := int64(1); a <= 20; a++ {
		want = append(want, mustAppend(t, e, shardA, batch("t", len(want), 5, a*100, 50))...)
	}
	prevFirst, highest := uint64(0), int64(0)
	for _, cutoff := range []int64{50, 100, 250, 1000, 900, 1901} {
		if err := e.Trim(ctx, shardA, cutoff); err != nil {
			t.Fatalf("Trim(%d): %v", cutoff, err)
		}
		info := mustInfo(t, e, shardA)
		highest = max(highest, cutoff) // an earlier, higher cutoff may already have trimmed more
		kept := slices.IndexFunc(want, func(r storage.Record) bool { return r.Arrival >= highest })
		if info.First > uint64(kept) || info.First < prevFirst || info.Next != 100 {
			t.Fatalf("after Trim(%d): Info %+v; want First in [%d, %d], Next 100", cutoff, info, prevFirst, kept)
		}
		prevFirst = info.First
		if diff := equal(readAll(t, e, shardA, 0, 7), want[info.First:]); diff != "" {
			t.Fatalf("after Trim(%d), Read from 0: %s", cutoff, diff)
		}
		got, err := e.SeekArrival(ctx, shardA, 0)
		if err != nil || got != info.First {
			t.Fatalf("after Trim(%d): SeekArrival(0) = %d, %v; want First %d", cutoff, got, err, info.First)
		}
	}
	more := mustAppend(t, e, shardA, batch("t", 100, 1, 5000, 50))
	if more[0].Index != 100 {
		t.Fatalf("append after trim got Index %d, want 100", more[0].Index)
	}
}

// testTrimAll trims past the last record: whatever the engine's
// granularity, nothing older than the cutoff remains to keep.
func testTrimAll(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	mustCreate(t, e, shardA)
	mustAppend(t, e, shardA, batch("x", 0, 30, 10, 100))
	if err := e.Trim(ctx, shardA, 11); err != nil {
		t.Fatalf("Trim: %v", err)
	}
	info := mustInfo(t, e, shardA)
	if info != (storage.ShardInfo{First: 30, Next: 30, LastArrival: 10}) {
		t.Fatalf("Info after trimming everything = %+v, want {30 30 10}", info)
	}
	if got := readAll(t, e, shardA, 0, 10); len(got) != 0 {
		t.Fatalf("Read after trimming everything returned %d records", len(got))
	}
	if got, err := e.SeekArrival(ctx, shardA, 0); err != nil || got != 30 {
		t.Fatalf("SeekArrival(0) = %d, %v; want 30", got, err)
	}
	stored := mustAppend(t, e, shardA, batch("x", 30, 1, 5, 100))
	if stored[0].Index != 30 || stored[0].Arrival != 10 {
		t.Fatalf("append after trimming everything: Index %d Arrival %d, want 30 and 10", stored[0].Index, stored[0].Arrival)
	}
}

func testDeleteShard(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	other := storage.ShardID{Stream: 1, Index: 1}
	mustCreate(t, e, shardA)
	mustCreate(t, e, other)
	mustAppend(t, e, shardA, batch("d", 0, 10, 1, 100))
	keep := mustAppend(t, e, other, batch("o", 0, 3, 1, 100))
	if err := e.DeleteShard(ctx, shardA); err != nil {
		t.Fatalf("DeleteShard: %v", err)
	}
	if err := e.DeleteShard(ctx, shardA); !errors.Is(err, storage.ErrShardNotFound) {
		t.Fatalf("second DeleteShard = %v, want ErrShardNotFound", err)
	}
	checkNotFound(t, e, shardA)
	if diff := equal(readAll(t, e, other, 0, 10), keep); diff != "" {
		t.Fatalf("other shard after delete: %s", diff)
	}
	// A deleted shard's log is gone: creating it again starts afresh.
	mustCreate(t, e, shardA)
	if info := mustInfo(t, e, shardA); info != (storage.ShardInfo{}) {
		t.Fatalf("Info of re-created shard = %+v, want zero", info)
	}
	if got := readAll(t, e, shardA, 0, 10); len(got) != 0 {
		t.Fatalf("re-created shard has %d records", len(got))
	}
}

func testShardNotFound(t *testing.T, e storage.Engine) {
	mustCreate(t, e, shardA)
	checkNotFound(t, e, storage.ShardID{Stream: 2, Index: 0})
	checkNotFound(t, e, storage.ShardID{Stream: 1, Index: 1})
}

// checkNotFound checks that every shard method fails with ErrShardNotFound.
func checkNotFound(t *testing.T, e storage.Engine, id storage.ShardID) {
	t.Helper()
	ctx := context.Background()
	_, readErr := e.Read(ctx, id, 0, storage.ReadOptions{MaxRecords: 1})
	_, seekErr := e.SeekArrival(ctx, id, 0)
	_, infoErr := e.Info(ctx, id)
	errs := map[string]error{
		"Append":      e.Append(ctx, id, batch("n", 0, 1, 1, 4)),
		"Read":        readErr,
		"SeekArrival": seekErr,
		"Info":        infoErr,
		"Trim":        e.Trim(ctx, id, 10),
		"DeleteShard": e.DeleteShard(ctx, id),
	}
	for name, err := range errs {
		if !errors.Is(err, storage.ErrShardNotFound) {
			t.Errorf("%s(%v) = %v, want ErrShardNotFound", name, id, err)
		}
	}
}

func testShards(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	if ids, err := e.Shards(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("Shards of empty engine = %v, %v", ids, err)
	}
	want := []storage.ShardID{{Stream: 1, Index: 0}, {Stream: 1, Index: 7}, {Stream: 2, Index: 0}, {Stream: 1 << 60, Index: 1 << 31}}
	for _, id := range want {
		mustCreate(t, e, id)
	}
	if err := e.DeleteShard(ctx, want[1]); err != nil {
		t.Fatal(err)
	}
	want = slices.Delete(want, 1, 2)
	checkShards(t, e, want)
}

// checkShards checks that e lists exactly want, in any order.
func checkShards(t *testing.T, e storage.Engine, want []storage.ShardID) {
	t.Helper()
	got, err := e.Shards(context.Background())
	if err != nil {
		t.Fatalf("Shards: %v", err)
	}
	less := func(a, b storage.ShardID) int {
		if a.Stream != b.Stream {
			return compare(a.Stream, b.Stream)
		}
		return compare(a.Index, b.Index)
	}
	got, want = slices.Clone(got), slices.Clone(want)
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Fatalf("Shards = %v, want %v", got, want)
	}
}

func compare[T uint32 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testMeta(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	if doc, err := e.LoadMeta(ctx); err != nil || doc != nil {
		t.Fatalf("LoadMeta before any save = %q, %v; want nil", doc, err)
	}
	for _, doc := range [][]byte{[]byte(`{"v":1}`), bytes.Repeat([]byte("m"), 1<<20), {}, []byte("last")} {
		buf := bytes.Clone(doc)
		if err := e.SaveMeta(ctx, buf); err != nil {
			t.Fatalf("SaveMeta: %v", err)
		}
		clear(buf) // SaveMeta must not keep the caller's buffer
		got, err := e.LoadMeta(ctx)
		if err != nil || got == nil || !bytes.Equal(got, doc) {
			t.Fatalf("LoadMeta = %d bytes (nil %t), %v; want the %d bytes saved", len(got), got == nil, err, len(doc))
		}
		clear(got) // nor hand out its own
		if again, _ := e.LoadMeta(ctx); !bytes.Equal(again, doc) {
			t.Fatal("LoadMeta result aliases the engine's copy")
		}
	}
}

func testShardsIndependent(t *testing.T, e storage.Engine) {
	ids := []storage.ShardID{{Stream: 3, Index: 0}, {Stream: 3, Index: 1}, {Stream: 4, Index: 0}}
	want := make([][]storage.Record, len(ids))
	for _, id := range ids {
		mustCreate(t, e, id)
	}
	for round := range 5 {
		for i, id := range ids {
			arrival := int64(1000*i + round)
			want[i] = append(want[i], mustAppend(t, e, id, batch(fmt.Sprintf("%d.%d", id.Stream, id.Index), len(want[i]), i+1, arrival, 20))...)
		}
	}
	for i, id := range ids {
		if diff := equal(readAll(t, e, id, 0, 4), want[i]); diff != "" {
			t.Fatalf("shard %v: %s", id, diff)
		}
	}
}

func testClosed(t *testing.T, e storage.Engine) {
	ctx := context.Background()
	mustCreate(t, e, shardA)
	mustAppend(t, e, shardA, batch("z", 0, 2, 1, 10))
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, readErr := e.Read(ctx, shardA, 0, storage.ReadOptions{MaxRecords: 1})
	_, seekErr := e.SeekArrival(ctx, shardA, 0)
	_, infoErr := e.Info(ctx, shardA)
	_, shardsErr := e.Shards(ctx)
	_, loadErr := e.LoadMeta(ctx)
	errs := map[string]error{
		"CreateShard": e.CreateShard(ctx, storage.ShardID{Stream: 9}),
		"Append":      e.Append(ctx, shardA, batch("z", 2, 1, 1, 10)),
		"Read":        readErr,
		"SeekArrival": seekErr,
		"Info":        infoErr,
		"Trim":        e.Trim(ctx, shardA, 10),
		"DeleteShard": e.DeleteShard(ctx, shardA),
		"Shards":      shardsErr,
		"LoadMeta":    loadErr,
		"SaveMeta":    e.SaveMeta(ctx, []byte("x")),
		"Close":       e.Close(),
	}
	for name, err := range errs {
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}
