package storagetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/runnel-dev/runnel/internal/storage"
)

// RunDurable runs Run and then checks that a durable engine keeps
// everything across Close and reopen. open must open (creating it if
// needed) the engine stored in dir; the suite closes what it opens.
func RunDurable(t *testing.T, open func(t *testing.T, dir string) storage.Engine) {
	t.Helper()
	Run(t, func(t *testing.T) storage.Engine { return open(t, t.TempDir()) })
	tests := []struct {
		name string
		fn   func(t *testing.T, reopen func() storage.Engine)
	}{
		{"ReopenRecords", testReopenRecords},
		{"ReopenEmptyShard", testReopenEmptyShard},
		{"ReopenShards", testReopenShards},
		{"ReopenTrim", testReopenTrim},
		{"ReopenMeta", testReopenMeta},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.fn(t, func() storage.Engine { return open(t, dir) })
		})
	}
}

// mustClose closes e.
func mustClose(t *testing.T, e storage.Engine) {
	t.Helper()
	if err := e.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func testReopenRecords(t *testing.T, reopen func() storage.Engine) {
	e := reopen()
	mustCreate(t, e, shardA)
	var want []storage.Record
	for i := range 20 {
		want = append(want, mustAppend(t, e, shardA, batch("p", len(want), 1+i%4, int64(100+i), 300))...)
	}
	info := mustInfo(t, e, shardA)
	mustClose(t, e)

	for round := range 3 {
		e = reopen()
		if got := mustInfo(t, e, shardA); got != info {
			t.Fatalf("round %d: Info after reopen = %+v, want %+v", round, got, info)
		}
		if diff := equal(readAll(t, e, shardA, 0, 6), want); diff != "" {
			t.Fatalf("round %d: after reopen: %s", round, diff)
		}
		// Indexes continue and arrivals stay monotonic across restarts.
		more := mustAppend(t, e, shardA, batch("p", len(want), 2, 0, 300))
		if more[0].Index != info.Next || more[0].Arrival != info.LastArrival {
			t.Fatalf("round %d: append after reopen got Index %d Arrival %d, want %d and %d",
				round, more[0].Index, more[0].Arrival, info.Next, info.LastArrival)
		}
		want = append(want, more...)
		info = mustInfo(t, e, shardA)
		mustClose(t, e)
	}
}

func testReopenEmptyShard(t *testing.T, reopen func() storage.Engine) {
	e := reopen()
	mustCreate(t, e, shardA)
	mustClose(t, e)
	e = reopen()
	defer mustClose(t, e)
	if info := mustInfo(t, e, shardA); info != (storage.ShardInfo{}) {
		t.Fatalf("Info of empty shard after reopen = %+v", info)
	}
	if stored := mustAppend(t, e, shardA, batch("q", 0, 1, 1, 10)); stored[0].Index != 0 {
		t.Fatalf("first record after reopen got Index %d", stored[0].Index)
	}
}

func testReopenShards(t *testing.T, reopen func() storage.Engine) {
	ctx := context.Background()
	e := reopen()
	ids := []storage.ShardID{{Stream: 1, Index: 0}, {Stream: 1, Index: 1}, {Stream: 2, Index: 5}}
	for _, id := range ids {
		mustCreate(t, e, id)
		mustAppend(t, e, id, batch("s", 0, 3, 1, 10))
	}
	if err := e.DeleteShard(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	mustClose(t, e)
	e = reopen()
	defer mustClose(t, e)
	checkShards(t, e, []storage.ShardID{ids[0], ids[2]})
	checkNotFound(t, e, ids[1])
	if err := e.CreateShard(ctx, ids[0]); err == nil {
		t.Fatal("CreateShard of a shard that survived reopen succeeded")
	}
}

func testReopenTrim(t *testing.T, reopen func() storage.Engine) {
	ctx := context.Background()
	e := reopen()
	mustCreate(t, e, shardA)
	var want []storage.Record
	for a := int64(1); a <= 50; a++ {
		want = append(want, mustAppend(t, e, shardA, batch("t", len(want), 20, a, 1000))...)
	}
	if err := e.Trim(ctx, shardA, 30); err != nil {
		t.Fatal(err)
	}
	info := mustInfo(t, e, shardA)
	mustClose(t, e)
	e = reopen()
	defer mustClose(t, e)
	if got := mustInfo(t, e, shardA); got != info {
		t.Fatalf("Info after reopen = %+v, want %+v", got, info)
	}
	if diff := equal(readAll(t, e, shardA, 0, 100), want[info.First:]); diff != "" {
		t.Fatal(diff)
	}
}

func testReopenMeta(t *testing.T, reopen func() storage.Engine) {
	ctx := context.Background()
	e := reopen()
	for _, doc := range []string{"first", "second", "third"} {
		if err := e.SaveMeta(ctx, []byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, e)
	e = reopen()
	got, err := e.LoadMeta(ctx)
	if err != nil || !bytes.Equal(got, []byte("third")) {
		t.Fatalf("LoadMeta after reopen = %q, %v; want %q", got, err, "third")
	}
	if err := e.SaveMeta(ctx, []byte{}); err != nil {
		t.Fatal(err)
	}
	mustClose(t, e)
	e = reopen()
	defer mustClose(t, e)
	if got, err := e.LoadMeta(ctx); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("LoadMeta of saved empty document after reopen = %q (nil %t), %v", got, got == nil, err)
	}
}
