package stream

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/runnel-dev/runnel/internal/apierr"
)

const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	// t0 is an arbitrary start time in Unix ms with a non-zero millisecond part.
	t0 int64 = 1_700_000_000_123
)

// testConfig is the fixed configuration the tests use; delays are zero
// unless a test sets them.
func testConfig() Config { return Config{AccountID: testAccount, Region: testRegion} }

func newTestRegistry(cfg Config) *Registry {
	return New(cfg, []byte("0123456789abcdef0123456789abcdef"))
}

func mustCreate(t testing.TB, r *Registry, name string, shards int, now int64) *Stream {
	t.Helper()
	s, err := r.Create(CreateParams{Name: name, ShardCount: shards}, now)
	if err != nil {
		t.Fatalf("Create(%s, %d): %v", name, shards, err)
	}
	return s
}

// wantErr fails unless err is an *apierr.Error of the given kind whose
// message is exactly msg.
func wantErr(t testing.TB, err error, kind apierr.Kind, msg string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want %s %q", err, kind, msg)
	}
	if e.Kind != kind || e.Message != msg {
		t.Fatalf("err = %s %q\n           want %s %q", e.Kind, e.Message, kind, msg)
	}
}

// wantKind fails unless err is an *apierr.Error of the given kind.
func wantKind(t testing.TB, err error, kind apierr.Kind) {
	t.Helper()
	if err == nil || apierr.KindOf(err) != kind {
		t.Fatalf("err = %v, want kind %s", err, kind)
	}
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// keyOf converts a big integer in [0, 2^128-1] to a HashKey.
func keyOf(b *big.Int) HashKey {
	lo := new(big.Int).And(b, new(big.Int).SetUint64(^uint64(0)))
	hi := new(big.Int).Rsh(b, 64)
	return HashKey{Hi: hi.Uint64(), Lo: lo.Uint64()}
}

// randKey returns a uniformly random key in [lo, hi].
func randKey(rnd *rand.Rand, lo, hi HashKey) HashKey {
	width := new(big.Int).Sub(bigOf(hi), bigOf(lo))
	width.Add(width, big.NewInt(1))
	x := bigOf(HashKey{Hi: rnd.Uint64(), Lo: rnd.Uint64()})
	x.Mod(x, width)
	return keyOf(x.Add(x, bigOf(lo)))
}

// follows reports whether b starts right after a ends, computed with big
// integers so as not to share the arithmetic under test.
func follows(a, b Range) bool {
	next := new(big.Int).Add(bigOf(a.End), big.NewInt(1))
	return next.Cmp(bigOf(b.Start)) == 0
}

// union returns the range covered by two adjacent ranges given in either
// order, and false if they are not adjacent.
func union(a, b Range) (Range, bool) {
	if bigOf(b.Start).Cmp(bigOf(a.Start)) < 0 {
		a, b = b, a
	}
	if !follows(a, b) {
		return Range{}, false
	}
	return Range{Start: a.Start, End: b.End}, true
}

// openByKey returns the open shards sorted by starting hash key.
func openByKey(s *Stream) []*Shard {
	open := s.OpenShards()
	sort.Slice(open, func(i, j int) bool { return open[i].Range.Start.Cmp(open[j].Range.Start) < 0 })
	return open
}

// checkShards verifies the invariants every sequence of splits, merges and
// UpdateShardCount calls must keep:
//   - shards are stored in increasing index order, all below NextShardIndex;
//   - the open shards partition [0, 2^128-1] without gaps or overlaps;
//   - every shard has at most two parents, each with a smaller index, and
//     Parents and Children agree in both directions;
//   - lineage preserves coverage: a split parent's range is exactly the
//     union of its two children's, a merged child's range is exactly the
//     union of its two parents', and a shard is closed iff it has children.
func checkShards(t testing.TB, s *Stream) {
	t.Helper()
	for i, sh := range s.Shards {
		if i > 0 && sh.Index <= s.Shards[i-1].Index {
			t.Fatalf("shard %d stored after shard %d", sh.Index, s.Shards[i-1].Index)
		}
		if sh.Index >= s.NextShardIndex {
			t.Fatalf("shard %d not below NextShardIndex %d", sh.Index, s.NextShardIndex)
		}
		if bigOf(sh.Range.Start).Cmp(bigOf(sh.Range.End)) > 0 {
			t.Fatalf("shard %d has empty range %v", sh.Index, sh.Range)
		}
	}
	checkPartition(t, s)
	for _, sh := range s.Shards {
		checkParents(t, s, sh)
		checkChildren(t, s, sh)
	}
}

func checkPartition(t testing.TB, s *Stream) {
	t.Helper()
	open := openByKey(s)
	if len(open) == 0 {
		t.Fatal("no open shards")
	}
	if open[0].Range.Start != (HashKey{}) {
		t.Fatalf("open shards start at %s, not 0", open[0].Range.Start)
	}
	for i := 1; i < len(open); i++ {
		if !follows(open[i-1].Range, open[i].Range) {
			t.Fatalf("gap or overlap between shard %d %v and shard %d %v",
				open[i-1].Index, open[i-1].Range, open[i].Index, open[i].Range)
		}
	}
	if last := open[len(open)-1]; last.Range.End != MaxHashKey {
		t.Fatalf("open shards end at %s, not 2^128-1", last.Range.End)
	}
}

func checkParents(t testing.TB, s *Stream, sh *Shard) {
	t.Helper()
	if len(sh.Parents) > 2 {
		t.Fatalf("shard %d has %d parents", sh.Index, len(sh.Parents))
	}
	for _, p := range sh.Parents {
		ps := s.Shard(p)
		if ps == nil || p >= sh.Index {
			t.Fatalf("shard %d has parent %d (missing or not older)", sh.Index, p)
		}
		if !contains(ps.Children, sh.Index) {
			t.Fatalf("parent %d does not list child %d", p, sh.Index)
		}
		if ps.Open() || ps.Closed > sh.Created {
			t.Fatalf("parent %d closed at %d, child %d created at %d", p, ps.Closed, sh.Index, sh.Created)
		}
	}
	if len(sh.Parents) == 2 {
		u, ok := union(s.Shard(sh.Parents[0]).Range, s.Shard(sh.Parents[1]).Range)
		if !ok || u != sh.Range {
			t.Fatalf("merged shard %d range %v is not the union of its parents %v", sh.Index, sh.Range, sh.Parents)
		}
	}
}

func checkChildren(t testing.TB, s *Stream, sh *Shard) {
	t.Helper()
	if sh.Open() != (len(sh.Children) == 0) {
		t.Fatalf("shard %d: closed at %d with children %v", sh.Index, sh.Closed, sh.Children)
	}
	for _, c := range sh.Children {
		cs := s.Shard(c)
		if cs == nil || !contains(cs.Parents, sh.Index) {
			t.Fatalf("child %d of shard %d does not list it as parent", c, sh.Index)
		}
	}
	switch len(sh.Children) {
	case 0:
	case 1: // merged: the child's two parents were checked to cover it exactly
		if len(s.Shard(sh.Children[0]).Parents) != 2 {
			t.Fatalf("shard %d has a single child with %d parents", sh.Index, len(s.Shard(sh.Children[0]).Parents))
		}
	case 2: // split: the two children cover the parent exactly
		a, b := s.Shard(sh.Children[0]), s.Shard(sh.Children[1])
		u, ok := union(a.Range, b.Range)
		if !ok || u != sh.Range || len(a.Parents) != 1 || len(b.Parents) != 1 {
			t.Fatalf("split shard %d range %v is not covered exactly by children %v %v", sh.Index, sh.Range, a, b)
		}
	default:
		t.Fatalf("shard %d has %d children", sh.Index, len(sh.Children))
	}
}

// checkEven verifies that the open shards' ranges are exactly EvenRanges(n).
func checkEven(t testing.TB, s *Stream, n int) {
	t.Helper()
	open := openByKey(s)
	want := EvenRanges(n)
	if len(open) != len(want) {
		t.Fatalf("%d open shards, want %d", len(open), n)
	}
	for i, sh := range open {
		if sh.Range != want[i] {
			t.Fatalf("open shard %d (index %d) range %v, want %v", i, sh.Index, sh.Range, want[i])
		}
	}
}

// checkRoute verifies that Route finds the open shard containing each of
// the open shards' boundary keys and of random keys.
func checkRoute(t testing.TB, s *Stream, rnd *rand.Rand) {
	t.Helper()
	open := openByKey(s)
	var keys []HashKey
	for _, sh := range open {
		keys = append(keys, sh.Range.Start, sh.Range.End)
	}
	for range 100 {
		keys = append(keys, HashKey{Hi: rnd.Uint64(), Lo: rnd.Uint64()})
	}
	for _, k := range keys {
		// The owner found by binary search over the sorted partition.
		i := sort.Search(len(open), func(i int) bool { return open[i].Range.End.Cmp(k) >= 0 })
		got := s.Route(k)
		if got == nil || got != open[i] {
			t.Fatalf("Route(%s) = %v, want shard %d %v", k, got, open[i].Index, open[i].Range)
		}
	}
}

func contains(xs []uint32, x uint32) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
