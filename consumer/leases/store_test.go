package leases

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// testStore runs the Store contract against the stores newStore returns,
// each an empty table.
func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"CreateOnce", testCreateOnce},
		{"GetMissing", testGetMissing},
		{"TakeRenewRelease", testTakeRenewRelease},
		{"StaleWritesConflict", testStaleWritesConflict},
		{"Checkpoint", testCheckpoint},
		{"ListAndDelete", testListAndDelete},
		{"ConcurrentTakes", testConcurrentTakes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newStore(t)) })
	}
}

func shardLease(key string, parents ...string) Lease {
	return Lease{
		Key:             key,
		Checkpoint:      Checkpoint{SequenceNumber: TrimHorizon},
		ParentShardIDs:  parents,
		StartingHashKey: "0",
		EndingHashKey:   "340282366920938463463374607431768211455",
	}
}

func mustCreate(t *testing.T, s Store, l Lease) {
	t.Helper()
	created, err := s.Create(context.Background(), l)
	if err != nil || !created {
		t.Fatalf("Create(%s) = %v, %v; want true, nil", l.Key, created, err)
	}
}

func testCreateOnce(t *testing.T, s Store) {
	ctx := context.Background()
	want := shardLease("shardId-000000000002", "shardId-000000000000")
	mustCreate(t, s, want)
	again := shardLease("shardId-000000000002")
	again.Checkpoint.SequenceNumber = Latest
	if created, err := s.Create(ctx, again); err != nil || created {
		t.Fatalf("second Create = %v, %v; want false, nil", created, err)
	}
	got, err := s.Get(ctx, want.Key)
	if err != nil {
		t.Fatal(err)
	}
	assertLease(t, got, want)
}

func testGetMissing(t *testing.T, s Store) {
	if _, err := s.Get(context.Background(), "shardId-000000000009"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing lease: %v, want ErrNotFound", err)
	}
}

func testTakeRenewRelease(t *testing.T, s Store) {
	ctx := context.Background()
	l := shardLease("shardId-000000000000")
	mustCreate(t, s, l)
	taken, err := s.Take(ctx, l, "w1")
	if err != nil {
		t.Fatal(err)
	}
	if taken.Owner != "w1" || taken.Counter != 1 || taken.OwnerSwitchesSinceCheckpoint != 1 {
		t.Fatalf("taken = %+v", taken)
	}
	renewed, err := s.Renew(ctx, taken)
	if err != nil || renewed.Counter != 2 || renewed.Owner != "w1" {
		t.Fatalf("Renew = %+v, %v", renewed, err)
	}
	released, err := s.Release(ctx, renewed)
	if err != nil || released.Owner != "" || released.Counter != 3 {
		t.Fatalf("Release = %+v, %v", released, err)
	}
	stolen, err := s.Take(ctx, released, "w2")
	if err != nil || stolen.Owner != "w2" || stolen.OwnerSwitchesSinceCheckpoint != 2 {
		t.Fatalf("Take after release = %+v, %v", stolen, err)
	}
	got, err := s.Get(ctx, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	assertLease(t, got, stolen)
}

// testStaleWritesConflict checks that a worker whose lease was taken can no
// longer renew, checkpoint or release it, and that a take needs the
// current counter.
func testStaleWritesConflict(t *testing.T, s Store) {
	ctx := context.Background()
	l := shardLease("shardId-000000000001")
	mustCreate(t, s, l)
	mine, err := s.Take(ctx, l, "w1")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := s.Take(ctx, mine, "w2")
	if err != nil {
		t.Fatal(err)
	}
	stale := []struct {
		name string
		call func() error
	}{
		{"Take", func() error { _, err := s.Take(ctx, mine, "w3"); return err }},
		{"Renew", func() error { _, err := s.Renew(ctx, mine); return err }},
		{"Checkpoint", func() error { _, err := s.Checkpoint(ctx, mine); return err }},
		{"Release", func() error { _, err := s.Release(ctx, mine); return err }},
		{"Delete", func() error { return s.Delete(ctx, mine) }},
		// The right counter with the wrong owner.
		{"RenewOtherOwner", func() error { o := theirs; o.Owner = "w1"; _, err := s.Renew(ctx, o); return err }},
		{"RenewMissing", func() error { _, err := s.Renew(ctx, shardLease("shardId-000000000099")); return err }},
	}
	for _, tt := range stale {
		if err := tt.call(); !errors.Is(err, ErrConflict) {
			t.Errorf("%s with a stale lease: %v, want ErrConflict", tt.name, err)
		}
	}
	got, err := s.Get(ctx, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	assertLease(t, got, theirs)
}

func testCheckpoint(t *testing.T, s Store) {
	ctx := context.Background()
	l := shardLease("shardId-000000000003")
	mustCreate(t, s, l)
	l, err := s.Take(ctx, l, "w1")
	if err != nil {
		t.Fatal(err)
	}
	l.Checkpoint = Checkpoint{SequenceNumber: "49646437577219980142909529521584382901372494361638469714", SubSequenceNumber: 7}
	l, err = s.Checkpoint(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	if l.OwnerSwitchesSinceCheckpoint != 0 || l.Checkpoint.SubSequenceNumber != 7 {
		t.Fatalf("after checkpoint: %+v", l)
	}
	l.Checkpoint = Checkpoint{SequenceNumber: ShardEnd}
	l.ChildShardIDs = []string{"shardId-000000000004", "shardId-000000000005"}
	l, err = s.Checkpoint(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, l.Key)
	if err != nil {
		t.Fatal(err)
	}
	assertLease(t, got, l)
	if !got.Checkpoint.IsSentinel() {
		t.Fatalf("SHARD_END is not a sentinel: %+v", got.Checkpoint)
	}
}

func testListAndDelete(t *testing.T, s Store) {
	ctx := context.Background()
	keys := []string{"shardId-000000000000", "shardId-000000000001", "shardId-000000000002"}
	for _, k := range keys {
		mustCreate(t, s, shardLease(k))
	}
	all, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := leaseKeys(all); !slices.Equal(got, keys) {
		t.Fatalf("List keys = %v, want %v", got, keys)
	}
	victim, err := s.Get(ctx, keys[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, victim); err != nil {
		t.Fatal(err)
	}
	all, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := leaseKeys(all), []string{keys[0], keys[2]}; !slices.Equal(got, want) {
		t.Fatalf("List after Delete = %v, want %v", got, want)
	}
}

// testConcurrentTakes races workers for one lease version: exactly one wins.
func testConcurrentTakes(t *testing.T, s Store) {
	ctx := context.Background()
	l := shardLease("shardId-000000000007")
	mustCreate(t, s, l)
	const workers = 8
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Take(ctx, l, string(rune('a'+i)))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrConflict):
			t.Errorf("Take: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d takes of one version succeeded, want 1", won)
	}
}

func leaseKeys(ls []Lease) []string {
	keys := make([]string, len(ls))
	for i, l := range ls {
		keys[i] = l.Key
	}
	slices.Sort(keys)
	return keys
}

func assertLease(t *testing.T, got, want Lease) {
	t.Helper()
	norm := func(l Lease) Lease {
		l = l.Clone()
		slices.Sort(l.ParentShardIDs)
		slices.Sort(l.ChildShardIDs)
		if len(l.ParentShardIDs) == 0 {
			l.ParentShardIDs = nil
		}
		if len(l.ChildShardIDs) == 0 {
			l.ChildShardIDs = nil
		}
		return l
	}
	g, w := norm(got), norm(want)
	if g.Key != w.Key || g.Owner != w.Owner || g.Counter != w.Counter ||
		g.OwnerSwitchesSinceCheckpoint != w.OwnerSwitchesSinceCheckpoint || g.Checkpoint != w.Checkpoint ||
		!slices.Equal(g.ParentShardIDs, w.ParentShardIDs) || !slices.Equal(g.ChildShardIDs, w.ChildShardIDs) ||
		g.StartingHashKey != w.StartingHashKey || g.EndingHashKey != w.EndingHashKey {
		t.Fatalf("lease = %+v\nwant    %+v", got, want)
	}
}

func TestMemory(t *testing.T) {
	testStore(t, func(*testing.T) Store { return NewMemory() })
}
